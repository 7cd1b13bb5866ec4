// Ed25519 keys that sign pass tokens, one current key per community with older ones kept
// for verifying (rotation). The private half is a 0600 file in the data folder's keys/
// folder; the public half is in the database, so any server of the community can verify.
// Thread-safe: the private keys read from disk are cached behind a mutex.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "domain/offline_gate.hpp"
#include "domain/pass.hpp"
#include "service/clock.hpp"
#include "service/error.hpp"
#include "store/store.hpp"

namespace juwei::service {

// "JW1." + base64url(claims || Ed25519 signature of claims) with a 64-byte secret key.
std::string sign_token(const domain::PassClaims& claims, std::string_view secret_key);

// The claims of a token whose signature one of `keys` (one community's, retired ones too: the
// claims' key id picks it) verifies; malformed or bad_signature otherwise. Checks the signature
// only: whose pass it is (the claims' community) is the caller's to check, and whether the pass
// still lets its holder out is domain::check_pass_exit's.
std::expected<domain::PassClaims, domain::PassRefusal> verify_token(
    std::string_view token, std::span<const store::SigningKey> keys);
// The same against an offline bundle's keys, as a gate without the network checks.
std::expected<domain::PassClaims, domain::PassRefusal> verify_token(
    std::string_view token, const domain::OfflineBundle& bundle);

// The file of community c's private key `key_id` in the keys folder `folder`.
std::filesystem::path pass_key_file(const std::filesystem::path& folder, domain::CommunityId c,
                                    std::uint32_t key_id);

class PassKeys {
 public:
  explicit PassKeys(std::filesystem::path folder);

  // Signs the claims with the community's current key (claims.key_id is set to it), making
  // the community's first key when it has none.
  Result<std::string> sign(store::Transaction& tx, domain::PassClaims& claims, TimePoint now);
  // A new current key; the old one is retired but still verifies the passes it signed.
  Result<std::uint32_t> rotate(store::Transaction& tx, domain::CommunityId c, TimePoint now);

 private:
  struct Key {
    std::uint32_t id = 0;
    std::string secret;  // 64 bytes
  };
  Result<Key> current(store::Transaction& tx, domain::CommunityId c, TimePoint now);
  Result<Key> make_key(store::Transaction& tx, domain::CommunityId c, std::uint32_t id,
                       TimePoint now);
  std::filesystem::path file_of(domain::CommunityId c, std::uint32_t id) const;

  std::filesystem::path m_folder;
  std::mutex m_mutex;
  std::map<domain::CommunityId, Key> m_current;  // guarded by m_mutex
};

}  // namespace juwei::service
