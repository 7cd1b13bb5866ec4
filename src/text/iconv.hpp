// RAII owner of a glibc iconv(3) conversion descriptor, used by DecodingReader and
// EncodingWriter. Not copyable or movable; a descriptor keeps conversion state, so one object
// serves one stream on one thread.
#pragma once

#include <iconv.h>

#include <cstddef>

namespace juwei::text {

enum class IconvStatus {
  done,              // all input converted
  output_full,       // stopped because the output buffer is full; call again with more room
  incomplete_input,  // input ends inside a character; call again with more input appended
  invalid_input,     // *in points at a byte sequence that is invalid in the source encoding
};

class Iconv {
 public:
  // Throws TextError if glibc cannot convert between the two encodings.
  Iconv(const char* to, const char* from);
  ~Iconv();
  Iconv(const Iconv&) = delete;
  Iconv& operator=(const Iconv&) = delete;

  // One iconv(3) call: advances in/out past what was converted and shrinks the counts.
  IconvStatus convert(const char*& in, std::size_t& in_left, char*& out, std::size_t& out_left);

 private:
  iconv_t m_cd;
};

}  // namespace juwei::text
