#include "text/reader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace juwei::text {
namespace {

std::string read_all(Reader& reader, std::size_t buf_size) {
  std::vector<char> buf(buf_size);
  std::string result;
  while (const std::size_t n = reader.read(buf.data(), buf.size()))
    result.append(buf.data(), n);
  return result;
}

class TempFile {
 public:
  explicit TempFile(std::string_view content)
      : m_path(std::filesystem::temp_directory_path() /
               (std::string("juwei_text_") +
                ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::ofstream out(m_path, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  ~TempFile() { std::filesystem::remove(m_path); }
  const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
};

TEST(StringReader, YieldsEveryByteWhateverTheBufferSize) {
  const std::string data = "姓名,身份证号\r\n张三,11010519491231002X\r\n";
  for (const std::size_t buf_size : {1, 2, 3, 7, 4096}) {
    StringReader reader(data);
    EXPECT_EQ(read_all(reader, buf_size), data) << "buffer of " << buf_size;
    char c;
    EXPECT_EQ(reader.read(&c, 1), 0u) << "end is sticky";
  }
}

TEST(StringReader, EmptyInputEndsAtOnce) {
  StringReader reader("");
  char c;
  EXPECT_EQ(reader.read(&c, 1), 0u);
}

TEST(FileReader, ReadsTheFileAndReportsProgress) {
  std::string content(100'000, 'x');
  content += "张三\n";
  const TempFile file(content);
  FileReader reader(file.path());
  EXPECT_EQ(reader.size(), content.size());
  EXPECT_EQ(reader.position(), 0u);
  char buf[1000];
  ASSERT_EQ(reader.read(buf, sizeof buf), sizeof buf);
  EXPECT_EQ(reader.position(), sizeof buf);
  EXPECT_EQ(std::string(buf, sizeof buf) + read_all(reader, 4096), content);
  EXPECT_EQ(reader.position(), content.size());
}

TEST(FileReader, MissingFileNamesPathAndReason) {
  const std::filesystem::path path = "/nonexistent/juwei/居民.csv";
  try {
    FileReader reader(path);
    FAIL() << "expected TextError";
  } catch (const TextError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
}

TEST(FileReader, DirectoryFailsAsTextError) {
  EXPECT_THROW(
      {
        FileReader reader(std::filesystem::temp_directory_path());
        char buf[16];
        reader.read(buf, sizeof buf);
      },
      TextError);
}

}  // namespace
}  // namespace juwei::text
