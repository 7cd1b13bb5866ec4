// Character encodings of the CSV files Chinese offices exchange: UTF-8 with or without a BOM,
// and GB18030 (a superset of GBK and GB2312, what Excel on Chinese Windows writes). Inside the
// program all text is UTF-8; DecodingReader converts on the way in, EncodingWriter on the way
// out. Neither owns the stream it wraps; each object is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "text/iconv.hpp"
#include "text/reader.hpp"

namespace juwei::text {

enum class Encoding { utf8, utf8_bom, gb18030 };

// Accepts "utf-8", "utf8", "utf-8-bom", "utf8-bom", "gb18030", "gbk" and "gb2312", in any
// letter case; GBK and GB2312 map to GB18030, which decodes both.
std::optional<Encoding> parse_encoding(std::string_view name);
// "utf-8", "utf-8-bom" or "gb18030"; parse_encoding accepts each.
std::string_view encoding_name(Encoding encoding);

// A byte sequence that is not valid in the encoding it is read or written in. offset() counts
// bytes from the start of that byte stream (a UTF-8 BOM included) to the first byte of the bad
// sequence.
class EncodingError : public TextError {
 public:
  EncodingError(std::string_view what, std::uint64_t offset);
  std::uint64_t offset() const { return m_offset; }

 private:
  std::uint64_t m_offset;
};

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view text);

// Validates UTF-8 fed in chunks that may split a character anywhere.
class Utf8Validator {
 public:
  // Checks the next chunk; false once the input seen so far cannot be valid UTF-8.
  bool feed(std::string_view chunk);
  // Call after the last chunk: false if the input was invalid or ends inside a character.
  bool finish();
  // After feed() or finish() returned false: offset of the first byte of the bad sequence.
  std::uint64_t error_offset() const { return m_sequence_start; }

 private:
  bool fail();

  std::uint64_t m_offset = 0;          // bytes fed before the current chunk
  std::uint64_t m_sequence_start = 0;  // offset of the lead byte of the character in progress
  std::uint8_t m_pending = 0;          // continuation bytes the character still needs
  std::uint8_t m_low = 0x80;           // range the next continuation byte must fall in; the
  std::uint8_t m_high = 0xBF;          // lead byte narrows it to exclude overlongs/surrogates
  bool m_failed = false;
};

// Reads the source until its encoding is known: a UTF-8 BOM gives utf8_bom, input that is
// strictly valid UTF-8 to the end gives utf8, anything else gb18030. Consumes the source;
// reopen it to read the text.
Encoding detect_encoding(Reader& source);

// Yields the source's text as validated UTF-8 with a leading BOM (U+FEFF) removed. Throws
// EncodingError (offset in source bytes) on a sequence invalid in the source encoding,
// including a character cut off by the end of the input. Does not own the source.
class DecodingReader final : public Reader {
 public:
  DecodingReader(Reader& source, Encoding encoding);
  DecodingReader(const DecodingReader&) = delete;
  DecodingReader& operator=(const DecodingReader&) = delete;

  std::size_t read(char* buf, std::size_t n) override;

 private:
  std::size_t read_utf8(char* buf, std::size_t n);
  std::size_t read_gb18030(char* buf, std::size_t n);
  bool convert_more();

  Reader& m_source;
  Encoding m_encoding;

  // UTF-8: the first three source bytes, held back until we know whether they are a BOM.
  char m_head[3] = {};
  std::size_t m_head_size = 0;
  std::size_t m_head_pos = 0;
  bool m_head_read = false;
  Utf8Validator m_validator;

  // GB18030: source bytes in m_in[m_in_pos, m_in_end), converted UTF-8 in m_out[...).
  std::optional<Iconv> m_iconv;
  std::unique_ptr<char[]> m_in;
  std::unique_ptr<char[]> m_out;
  std::size_t m_in_pos = 0;
  std::size_t m_in_end = 0;
  std::size_t m_out_pos = 0;
  std::size_t m_out_end = 0;
  std::uint64_t m_in_offset = 0;  // source offset of m_in[m_in_pos]
  bool m_needs_input = false;     // the bytes at m_in_pos begin an incomplete character
  bool m_at_start = true;         // nothing converted yet, so a BOM may come
  bool m_eof = false;
};

// Writes UTF-8 text to a stream in the target encoding: utf8 unchanged, utf8_bom after an
// EF BB BF written by the constructor, gb18030 converted (every Unicode character has a GB18030
// form, so nothing is lost). Does not own the stream; the stream buffers.
class EncodingWriter {
 public:
  EncodingWriter(std::ostream& out, Encoding encoding);
  EncodingWriter(const EncodingWriter&) = delete;
  EncodingWriter& operator=(const EncodingWriter&) = delete;

  // A character split across calls is completed by the next call. Throws EncodingError on
  // input that is not UTF-8 (detected for gb18030 only) and TextError if the stream fails.
  void write(std::string_view utf8);
  // Throws EncodingError if the text ended inside a character; flushes the stream.
  void finish();

 private:
  void check_stream();

  std::ostream& m_out;
  Encoding m_encoding;
  std::optional<Iconv> m_iconv;
  std::unique_ptr<char[]> m_buf;
  std::string m_carry;         // start of a character split by the caller, awaiting its rest
  std::uint64_t m_offset = 0;  // UTF-8 bytes converted so far
};

}  // namespace juwei::text
