#include "service/digest.hpp"

#include <sodium.h>

namespace juwei::service {
namespace {

constexpr std::size_t kDigestBytes = 32;

std::string to_hex(const unsigned char (&digest)[kDigestBytes]) {
  char hex[kDigestBytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, kDigestBytes);
  return hex;
}

}  // namespace

std::string blake2b_hex(std::string_view data) {
  unsigned char digest[kDigestBytes];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size(), nullptr, 0);
  return to_hex(digest);
}

struct Blake2b::State {
  crypto_generichash_state hash;
};

Blake2b::Blake2b() : m_state(std::make_unique<State>()) {
  crypto_generichash_init(&m_state->hash, nullptr, 0, kDigestBytes);
}

Blake2b::~Blake2b() = default;

void Blake2b::update(std::string_view piece) {
  crypto_generichash_update(&m_state->hash, reinterpret_cast<const unsigned char*>(piece.data()),
                            piece.size());
}

std::string Blake2b::finish_hex() {
  unsigned char digest[kDigestBytes];
  crypto_generichash_final(&m_state->hash, digest, sizeof digest);
  return to_hex(digest);
}

}  // namespace juwei::service
