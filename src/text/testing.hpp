// Readers for tests of this layer: ChunkedReader hands out a string a few bytes at a time, so
// that every chunk boundary a parser or decoder must survive actually occurs. Test-only; it
// reads a string_view that must outlive it.
#pragma once

#include <algorithm>
#include <cstring>
#include <string_view>

#include "text/reader.hpp"

namespace juwei::text::test {

class ChunkedReader final : public Reader {
 public:
  ChunkedReader(std::string_view data, std::size_t chunk) : m_data(data), m_chunk(chunk) {}

  std::size_t read(char* buf, std::size_t n) override {
    const std::size_t count = std::min({n, m_chunk, m_data.size()});
    std::memcpy(buf, m_data.data(), count);
    m_data.remove_prefix(count);
    return count;
  }

 private:
  std::string_view m_data;
  std::size_t m_chunk;
};

// Chunk sizes that split every multibyte character and every CRLF somewhere, plus one that
// hands out everything at once.
inline constexpr std::size_t kChunkSizes[] = {1, 2, 3, 5, 7, 1 << 20};

}  // namespace juwei::text::test
