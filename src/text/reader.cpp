#include "text/reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace juwei::text {

namespace {

std::string describe_errno(const std::filesystem::path& path, std::string_view what, int err) {
  std::string message(what);
  message += ' ';
  message += path.string();
  message += ": ";
  message += std::generic_category().message(err);
  return message;
}

}  // namespace

Reader::~Reader() = default;

std::size_t StringReader::read(char* buf, std::size_t n) {
  const std::size_t count = std::min(n, m_data.size() - m_pos);
  std::memcpy(buf, m_data.data() + m_pos, count);
  m_pos += count;
  return count;
}

FileReader::FileReader(const std::filesystem::path& path) : m_path(path) {
  m_file = std::fopen(path.c_str(), "rb");
  if (m_file == nullptr) throw TextError(describe_errno(path, "cannot open", errno));
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec) m_size = size;
  }
}

FileReader::~FileReader() {
  std::fclose(m_file);
}

std::size_t FileReader::read(char* buf, std::size_t n) {
  if (n == 0) return 0;
  const std::size_t count = std::fread(buf, 1, n, m_file);
  if (count == 0 && std::ferror(m_file) != 0) {
    throw TextError(describe_errno(m_path, "cannot read", errno));
  }
  m_position += count;
  return count;
}

}  // namespace juwei::text
