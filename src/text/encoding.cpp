#include "text/encoding.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <vector>

namespace juwei::text {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::size_t kChunkBytes = std::size_t{64} * 1024;
// Room for the UTF-8 of one chunk: a GB18030 character of n bytes never needs more than
// 2n UTF-8 bytes.
constexpr std::size_t kDecodedBytes = 2 * kChunkBytes;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    return lower(x) == lower(y);
  });
}

std::string offset_message(std::string_view what, std::uint64_t offset) {
  std::string message(what);
  message += " at byte offset ";
  message += std::to_string(offset);
  return message;
}

}  // namespace

std::optional<Encoding> parse_encoding(std::string_view name) {
  struct Alias {
    std::string_view name;
    Encoding encoding;
  };
  static constexpr std::array<Alias, 7> kAliases = {{
      {"utf-8", Encoding::utf8},
      {"utf8", Encoding::utf8},
      {"utf-8-bom", Encoding::utf8_bom},
      {"utf8-bom", Encoding::utf8_bom},
      {"gb18030", Encoding::gb18030},
      {"gbk", Encoding::gb18030},
      {"gb2312", Encoding::gb18030},
  }};
  for (const Alias& alias : kAliases) {
    if (equals_ignoring_case(name, alias.name)) return alias.encoding;
  }
  return std::nullopt;
}

std::string_view encoding_name(Encoding encoding) {
  switch (encoding) {
    case Encoding::utf8:
      return "utf-8";
    case Encoding::utf8_bom:
      return "utf-8-bom";
    case Encoding::gb18030:
      return "gb18030";
  }
  return "unknown";
}

EncodingError::EncodingError(std::string_view what, std::uint64_t offset)
    : TextError(offset_message(what, offset)), m_offset(offset) {}

// ---------------------------------------------------------------------------------------------
// UTF-8 validation

bool Utf8Validator::fail() {
  m_failed = true;
  return false;
}

bool Utf8Validator::feed(std::string_view chunk) {
  if (m_failed) return false;
  const auto* bytes = reinterpret_cast<const unsigned char*>(chunk.data());
  const std::size_t size = chunk.size();
  std::size_t i = 0;
  // Finish the character the previous chunk cut.
  for (; m_pending > 0 && i < size; ++i, --m_pending) {
    if (bytes[i] < m_low || bytes[i] > m_high) return fail();
    m_low = 0x80;
    m_high = 0xBF;
  }
  while (i < size) {
    // Registers are largely ASCII (ids, phone numbers, dates): skip 8 bytes at a time.
    while (i + 8 <= size) {
      std::uint64_t word;
      std::memcpy(&word, bytes + i, sizeof word);
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i == size) break;
    const unsigned char lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    // The lead byte fixes the length and narrows the range of the second byte, which is what
    // excludes overlong forms, surrogates and code points above U+10FFFF. Bytes below C2 are
    // continuations or start only overlong forms; bytes from F5 start nothing.
    m_sequence_start = m_offset + i;
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead < 0xE0) {
      length = 2;
    } else if (lead >= 0xE0 && lead < 0xF0) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;   // below is overlong
      if (lead == 0xED) high = 0x9F;  // above are the surrogates D800..DFFF
    } else if (lead >= 0xF0 && lead < 0xF5) {
      length = 4;
      if (lead == 0xF0) low = 0x90;   // below is overlong
      if (lead == 0xF4) high = 0x8F;  // above is beyond U+10FFFF
    }
    if (length == 0) return fail();
    const std::size_t available = std::min(length, size - i);
    for (std::size_t k = 1; k < available; ++k) {
      if (bytes[i + k] < low || bytes[i + k] > high) return fail();
      low = 0x80;
      high = 0xBF;
    }
    if (available < length) {  // the chunk cuts this character; the next one finishes it
      m_pending = static_cast<std::uint8_t>(length - available);
      m_low = low;
      m_high = high;
      break;
    }
    i += length;
  }
  m_offset += size;
  return true;
}

bool Utf8Validator::finish() {
  if (m_pending > 0) m_failed = true;
  return !m_failed;
}

bool is_valid_utf8(std::string_view text) {
  Utf8Validator validator;
  return validator.feed(text) && validator.finish();
}

// ---------------------------------------------------------------------------------------------
// Detection

Encoding detect_encoding(Reader& source) {
  std::vector<char> buf(kChunkBytes);
  std::string head;  // the first bytes, up to the length of a BOM
  Utf8Validator validator;
  for (;;) {
    const std::size_t n = source.read(buf.data(), buf.size());
    if (n == 0) break;
    const std::string_view chunk(buf.data(), n);
    if (head.size() < kBom.size()) {
      head.append(chunk.substr(0, kBom.size() - head.size()));
      if (head == kBom) return Encoding::utf8_bom;
    }
    // A BOM prefix is valid UTF-8, so failing here rules a BOM out.
    if (!validator.feed(chunk)) return Encoding::gb18030;
  }
  return validator.finish() ? Encoding::utf8 : Encoding::gb18030;
}

// ---------------------------------------------------------------------------------------------
// DecodingReader

DecodingReader::DecodingReader(Reader& source, Encoding encoding)
    : m_source(source), m_encoding(encoding) {
  if (encoding == Encoding::gb18030) {
    m_iconv.emplace("UTF-8", "GB18030");
    m_in = std::make_unique<char[]>(kChunkBytes);
    m_out = std::make_unique<char[]>(kDecodedBytes);
  }
}

std::size_t DecodingReader::read(char* buf, std::size_t n) {
  if (n == 0) return 0;
  return m_encoding == Encoding::gb18030 ? read_gb18030(buf, n) : read_utf8(buf, n);
}

std::size_t DecodingReader::read_utf8(char* buf, std::size_t n) {
  if (!m_head_read) {
    m_head_read = true;
    while (m_head_size < kBom.size()) {
      const std::size_t got = m_source.read(m_head + m_head_size, kBom.size() - m_head_size);
      if (got == 0) break;
      m_head_size += got;
    }
    if (std::string_view(m_head, m_head_size) == kBom) {
      m_validator.feed(kBom);  // so that error offsets count from the start of the source
      m_head_pos = m_head_size;
    }
  }
  std::size_t got = 0;
  if (m_head_pos < m_head_size) {
    got = std::min(n, m_head_size - m_head_pos);
    std::memcpy(buf, m_head + m_head_pos, got);
    m_head_pos += got;
  } else {
    got = m_source.read(buf, n);
  }
  if (got == 0) {
    if (!m_validator.finish()) {
      throw EncodingError("invalid UTF-8", m_validator.error_offset());
    }
    return 0;
  }
  if (!m_validator.feed(std::string_view(buf, got))) {
    throw EncodingError("invalid UTF-8", m_validator.error_offset());
  }
  return got;
}

std::size_t DecodingReader::read_gb18030(char* buf, std::size_t n) {
  while (m_out_pos == m_out_end) {
    if (!convert_more()) return 0;
    // GB18030 has a BOM of its own (84 31 95 33), which converts to the UTF-8 one.
    if (m_at_start && std::string_view(m_out.get(), m_out_end).starts_with(kBom)) {
      m_out_pos = kBom.size();
    }
    m_at_start = false;
  }
  const std::size_t count = std::min(n, m_out_end - m_out_pos);
  std::memcpy(buf, m_out.get() + m_out_pos, count);
  m_out_pos += count;
  return count;
}

// Refills m_out from the source; false at the end of the input.
bool DecodingReader::convert_more() {
  m_out_pos = 0;
  m_out_end = 0;
  for (;;) {
    if (m_in_pos == m_in_end || m_needs_input) {
      // Keep the start of a character that a chunk boundary cut, and read its rest after it.
      const std::size_t kept = m_in_end - m_in_pos;
      std::memmove(m_in.get(), m_in.get() + m_in_pos, kept);
      m_in_pos = 0;
      m_in_end = kept;
      const std::size_t got = m_eof ? 0 : m_source.read(m_in.get() + kept, kChunkBytes - kept);
      if (got == 0) {
        m_eof = true;
        if (kept > 0) throw EncodingError("truncated GB18030 character", m_in_offset);
        return false;
      }
      m_in_end += got;
      m_needs_input = false;
    }
    const char* in = m_in.get() + m_in_pos;
    std::size_t in_left = m_in_end - m_in_pos;
    char* out = m_out.get();
    std::size_t out_left = kDecodedBytes;
    const IconvStatus status = m_iconv->convert(in, in_left, out, out_left);
    const std::size_t consumed = static_cast<std::size_t>(in - m_in.get()) - m_in_pos;
    m_in_pos += consumed;
    m_in_offset += consumed;
    m_out_end = static_cast<std::size_t>(out - m_out.get());
    if (status == IconvStatus::invalid_input) {
      throw EncodingError("invalid GB18030", m_in_offset);
    }
    if (status == IconvStatus::incomplete_input) m_needs_input = true;
    if (m_out_end > 0) return true;
  }
}

// ---------------------------------------------------------------------------------------------
// EncodingWriter

EncodingWriter::EncodingWriter(std::ostream& out, Encoding encoding)
    : m_out(out), m_encoding(encoding) {
  if (encoding == Encoding::gb18030) {
    m_iconv.emplace("GB18030", "UTF-8");
    m_buf = std::make_unique<char[]>(kChunkBytes);
  }
  if (encoding == Encoding::utf8_bom) {
    m_out.write(kBom.data(), static_cast<std::streamsize>(kBom.size()));
    check_stream();
  }
}

void EncodingWriter::write(std::string_view utf8) {
  if (m_encoding != Encoding::gb18030) {
    m_out.write(utf8.data(), static_cast<std::streamsize>(utf8.size()));
    check_stream();
    return;
  }
  std::string_view input = utf8;
  if (!m_carry.empty()) {
    m_carry.append(utf8);
    input = m_carry;
  }
  const char* in = input.data();
  std::size_t in_left = input.size();
  while (in_left > 0) {
    const char* const start = in;
    char* out = m_buf.get();
    std::size_t out_left = kChunkBytes;
    const IconvStatus status = m_iconv->convert(in, in_left, out, out_left);
    m_offset += static_cast<std::uint64_t>(in - start);
    m_out.write(m_buf.get(), out - m_buf.get());
    check_stream();
    if (status == IconvStatus::invalid_input) throw EncodingError("invalid UTF-8", m_offset);
    if (status == IconvStatus::incomplete_input) break;
  }
  // Whatever is left is the start of a character whose rest comes with the next call.
  if (input.data() == m_carry.data()) {
    m_carry.erase(0, m_carry.size() - in_left);
  } else {
    m_carry.assign(in, in_left);
  }
}

void EncodingWriter::finish() {
  if (!m_carry.empty()) throw EncodingError("truncated UTF-8 character", m_offset);
  m_out.flush();
  check_stream();
}

void EncodingWriter::check_stream() {
  if (!m_out) throw TextError("cannot write: the output stream failed");
}

}  // namespace juwei::text
