#include "text/iconv.hpp"

#include <cerrno>
#include <string>
#include <system_error>

#include "text/reader.hpp"

namespace juwei::text {

Iconv::Iconv(const char* to, const char* from) : m_cd(iconv_open(to, from)) {
  // (iconv_t)-1 is how iconv_open(3) reports failure.
  if (m_cd == reinterpret_cast<iconv_t>(-1)) {  // NOLINT(performance-no-int-to-ptr)
    const int err = errno;
    throw TextError(std::string("iconv cannot convert ") + from + " to " + to + ": " +
                    std::generic_category().message(err));
  }
}

Iconv::~Iconv() {
  iconv_close(m_cd);
}

IconvStatus Iconv::convert(const char*& in, std::size_t& in_left, char*& out,
                           std::size_t& out_left) {
  // glibc declares the input as char** although it never writes through it.
  char* in_ptr = const_cast<char*>(in);
  const std::size_t result = iconv(m_cd, &in_ptr, &in_left, &out, &out_left);
  in = in_ptr;
  if (result != static_cast<std::size_t>(-1)) return IconvStatus::done;
  switch (errno) {
    case E2BIG:
      return IconvStatus::output_full;
    case EINVAL:
      return IconvStatus::incomplete_input;
    default:
      return IconvStatus::invalid_input;
  }
}

}  // namespace juwei::text
