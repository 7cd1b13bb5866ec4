// Byte sources for the text layer. A Reader hands out bytes in chunks of any size until it
// returns 0; StringReader reads a buffer the caller keeps alive, FileReader owns an open file.
// Failures throw TextError, the base of every error this layer throws. A reader is used by one
// thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace juwei::text {

// An I/O or format failure while reading or writing text (infrastructure, not a rule outcome).
class TextError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Reader {
 public:
  virtual ~Reader();

  // Copies up to n bytes into buf and returns how many; returns 0 only at the end of the input
  // (and again on every later call). May return fewer than n bytes before the end.
  virtual std::size_t read(char* buf, std::size_t n) = 0;
};

// Reads a string_view that must outlive the reader.
class StringReader final : public Reader {
 public:
  explicit StringReader(std::string_view data) : m_data(data) {}

  std::size_t read(char* buf, std::size_t n) override;

 private:
  std::string_view m_data;
  std::size_t m_pos = 0;
};

// Reads a file from the start. size() and position() are in raw bytes, for progress reports.
class FileReader final : public Reader {
 public:
  // Throws TextError naming the path and the system's reason if the file cannot be opened.
  explicit FileReader(const std::filesystem::path& path);
  ~FileReader() override;
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  std::size_t read(char* buf, std::size_t n) override;

  // Size of the file when it was opened; 0 if it is not a regular file.
  std::uint64_t size() const { return m_size; }
  // Bytes handed out so far.
  std::uint64_t position() const { return m_position; }
  const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
  std::FILE* m_file = nullptr;
  std::uint64_t m_size = 0;
  std::uint64_t m_position = 0;
};

}  // namespace juwei::text
