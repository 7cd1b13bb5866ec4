// Printable A4 PDFs for residents: a pledge (承诺书) to read and sign, and a pass (出入证) with a
// big QR code for residents without a phone. Text is laid out by Pango in Noto Serif CJK SC and
// flows onto further pages rather than being cut. Pure functions; safe to call from several
// threads. They throw std::runtime_error when cairo or the QR encoder fails.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace juwei::render {

struct PledgeDoc {        // 承诺书
  std::string title;      // "出门承诺书"
  std::string body;       // the filled text, paragraphs separated by "\n", printed as given
  std::string signature;  // e.g. "承诺人：张三    2022-04-05 10:00"; empty: a line to sign on
  std::string footer;     // small grey line: community, request id, policy version
};

struct PassDoc {           // 出入证
  std::string title;       // "出入证" or "出入证（绿色通道）"
  std::string token;       // what the QR code encodes
  std::string code;        // printed large under the QR code, to type at the gate; empty: none
  std::string code_label;  // the small line under it: "扫码不成功时，门岗可输入此编码"
  std::vector<std::pair<std::string, std::string>> fields;  // label, value: 持证人, 有效期, ...
  std::string footer;
};

// The pledge: title, body, then the signature, or a blank line to sign on paper.
std::string pledge_pdf(const PledgeDoc& doc);
// The pass: title, the QR code of the token 7 cm wide (vector rectangles), the code under it,
// then the fields.
std::string pass_pdf(const PassDoc& doc);

}  // namespace juwei::render
