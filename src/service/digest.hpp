// BLAKE2b digests (libsodium's crypto_generichash), as lowercase hex.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace juwei::service {

// The 32-byte BLAKE2b digest of `data`, as 64 hex digits.
std::string blake2b_hex(std::string_view data);

// The same digest of data that arrives in pieces (a file read as it streams): blake2b_hex of
// the pieces joined. Not thread-safe.
class Blake2b {
 public:
  Blake2b();
  ~Blake2b();
  Blake2b(const Blake2b&) = delete;
  Blake2b& operator=(const Blake2b&) = delete;

  void update(std::string_view piece);
  // The digest of every piece so far; the hasher takes no more pieces after it.
  std::string finish_hex();

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace juwei::service
