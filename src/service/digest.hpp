// BLAKE2b digests (libsodium's crypto_generichash), as lowercase hex.
#pragma once

#include <string>
#include <string_view>

namespace juwei::service {

// The 32-byte BLAKE2b digest of `data`, as 64 hex digits.
std::string blake2b_hex(std::string_view data);

}  // namespace juwei::service
