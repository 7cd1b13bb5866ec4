// Reads a PDF back for a test with poppler-utils (pdfinfo, pdftotext), which `scripts/install-deps
// test` installs: its page count, its text, and its words with their boxes on the page. A
// missing tool throws rather than skipping, so a machine without it cannot pass silently.
// Header-only; one reader per thread.
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "juwei_process.hpp"

namespace juwei::testing {

// `text` without white space, ASCII or ideographic (U+3000): pdftotext breaks lines where Pango
// did, and spaces them as it guesses.
inline std::string squeeze(std::string text) {
  for (std::size_t at = 0; (at = text.find("\u3000", at)) != std::string::npos;)
    text.erase(at, 3);
  std::erase_if(text, [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); });
  return text;
}

// A word as pdftotext -bbox finds it, its box in points from the page's top left.
struct PdfWord {
  double x_min = 0;
  double y_min = 0;
  double x_max = 0;
  double y_max = 0;
  std::string text;
};

class PdfReader {
 public:
  explicit PdfReader(const std::string& pdf)
      : m_scratch(scratch_dir("juwei-pdf-reader-")), m_file(m_scratch / "doc.pdf") {
    std::ofstream(m_file, std::ios::binary) << pdf;
  }
  ~PdfReader() { std::filesystem::remove_all(m_scratch); }
  PdfReader(const PdfReader&) = delete;
  PdfReader& operator=(const PdfReader&) = delete;

  // What `tool OPTIONS FILE AFTER` prints.
  std::string run(const std::string& tool, const std::string& options,
                  const std::string& after = "") const {
    const Output o = run_shell(
        fmt::format("{} {} {} {}", tool, options, quote(m_file.string()), after), m_scratch);
    if (o.code == 127)
      throw std::runtime_error(tool +
                               " not found: install poppler-utils (scripts/install-deps test)");
    if (o.code != 0) throw std::runtime_error(tool + " failed: " + o.err);
    return o.out;
  }

  int pages() const {
    static const std::regex pages(R"(Pages:\s+(\d+))");
    std::smatch m;
    const std::string info = run("pdfinfo", "");
    if (!std::regex_search(info, m, pages)) throw std::runtime_error("pdfinfo gave no page count");
    return std::stoi(m[1]);
  }

  // The text of every page, each ended by a form feed.
  std::string text(const std::string& options = "") const {
    return run("pdftotext", "-enc UTF-8 " + options, "-");
  }

  std::vector<PdfWord> words() const {
    static const std::regex word(
        R"re(<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">([^<]*)</word>)re");
    const std::string html = text("-bbox");
    std::vector<PdfWord> words;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), word);
         it != std::sregex_iterator(); ++it) {
      const std::smatch& m = *it;
      words.push_back(
          {std::stod(m[1]), std::stod(m[2]), std::stod(m[3]), std::stod(m[4]), unescape(m[5])});
    }
    return words;
  }

 private:
  static std::string unescape(std::string text) {
    for (const auto& [entity, c] : {std::pair{"&lt;", "<"},
                                    {"&gt;", ">"},
                                    {"&quot;", "\""},
                                    {"&apos;", "'"},
                                    {"&amp;", "&"}}) {
      for (std::size_t at = 0; (at = text.find(entity, at)) != std::string::npos; ++at)
        text.replace(at, std::string_view(entity).size(), c);
    }
    return text;
  }

  std::filesystem::path m_scratch;
  std::filesystem::path m_file;
};

}  // namespace juwei::testing
