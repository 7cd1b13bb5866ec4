#include "service/pass_keys.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ranges>

#include "service/files.hpp"
#include "service/transaction.hpp"

namespace juwei::service {

std::string sign_token(const domain::PassClaims& claims, std::string_view secret_key) {
  std::string signed_bytes = domain::encode_claims(claims);
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(
      signature, nullptr, reinterpret_cast<const unsigned char*>(signed_bytes.data()),
      signed_bytes.size(), reinterpret_cast<const unsigned char*>(secret_key.data()));
  signed_bytes.append(reinterpret_cast<const char*>(signature), sizeof signature);
  return std::string(domain::kTokenPrefix) + domain::base64url(signed_bytes);
}

namespace {

// The claims of `token` when `public_key_of(claims)` names a key (32 bytes) whose signature
// over them verifies.
template <typename PublicKeyOf>
std::expected<domain::PassClaims, domain::PassRefusal> verify_with(std::string_view token,
                                                                   PublicKeyOf public_key_of) {
  using domain::PassRefusal;
  if (!token.starts_with(domain::kTokenPrefix) || token.size() > 512) {
    return std::unexpected(PassRefusal::malformed);
  }
  token.remove_prefix(domain::kTokenPrefix.size());
  const auto bytes = domain::from_base64url(token);
  if (!bytes || bytes->size() <= domain::kSignatureBytes) {
    return std::unexpected(PassRefusal::malformed);
  }
  const std::string_view all(*bytes);
  const std::string_view body = all.substr(0, all.size() - domain::kSignatureBytes);
  const std::string_view signature = all.substr(body.size());
  const auto claims = domain::decode_claims(body);
  if (!claims) return std::unexpected(PassRefusal::malformed);
  const std::string* key = public_key_of(*claims);
  if (key == nullptr || key->size() != crypto_sign_PUBLICKEYBYTES) {
    return std::unexpected(PassRefusal::bad_signature);
  }
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                  reinterpret_cast<const unsigned char*>(body.data()), body.size(),
                                  reinterpret_cast<const unsigned char*>(key->data())) != 0) {
    return std::unexpected(PassRefusal::bad_signature);
  }
  return *claims;
}

}  // namespace

std::expected<domain::PassClaims, domain::PassRefusal> verify_token(
    std::string_view token, std::span<const store::SigningKey> keys) {
  return verify_with(token, [&](const domain::PassClaims& c) -> const std::string* {
    // Not matched on the claims' community: a community moved from another database (juwei
    // migrate) keeps verifying the passes it signed there, under the id it had there.
    const auto key = std::ranges::find(keys, c.key_id, &store::SigningKey::key_id);
    return key == keys.end() ? nullptr : &key->public_key;
  });
}

std::expected<domain::PassClaims, domain::PassRefusal> verify_token(
    std::string_view token, const domain::OfflineBundle& bundle) {
  return verify_with(token, [&](const domain::PassClaims& c) -> const std::string* {
    // The bundle's keys are its community's; as above, not matched on the claims' community:
    // domain::check_offline then takes the community's id or its chain id (a pass signed before
    // the community moved here) and refuses any other as another community's.
    const auto key =
        std::ranges::find(bundle.keys, c.key_id, &std::pair<std::uint32_t, std::string>::first);
    return key == bundle.keys.end() ? nullptr : &key->second;
  });
}

PassKeys::PassKeys(std::filesystem::path folder) : m_folder(std::move(folder)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::filesystem::path pass_key_file(const std::filesystem::path& folder, domain::CommunityId c,
                                    std::uint32_t key_id) {
  return folder / fmt::format("community-{}-pass-key-{}.ed25519", c, key_id);
}

std::filesystem::path PassKeys::file_of(domain::CommunityId c, std::uint32_t id) const {
  return pass_key_file(m_folder, c, id);
}

Result<PassKeys::Key> PassKeys::make_key(store::Transaction& tx, domain::CommunityId c,
                                         std::uint32_t id, TimePoint now) {
  std::error_code ec;
  std::filesystem::create_directories(m_folder, ec);
  if (ec) return std::unexpected(Error::internal("cannot create " + m_folder.string()));
  std::filesystem::permissions(m_folder, std::filesystem::perms::owner_all, ec);
  const auto path = file_of(c, id);
  Key key{id, std::string(crypto_sign_SECRETKEYBYTES, '\0')};
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  // A file left by a transaction that rolled back is reused: its public half was never
  // stored, so no pass was signed with it.
  if (std::string existing = read_file(path); existing.size() == crypto_sign_SECRETKEYBYTES) {
    key.secret = std::move(existing);
    crypto_sign_ed25519_sk_to_pk(public_key,
                                 reinterpret_cast<const unsigned char*>(key.secret.data()));
  } else {
    crypto_sign_keypair(public_key, reinterpret_cast<unsigned char*>(key.secret.data()));
    std::filesystem::remove(path, ec);
    if (!write_private_file(path, key.secret)) {
      return std::unexpected(
          Error::internal(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno))));
    }
  }
  store::SigningKey row{c, id,
                        std::string(reinterpret_cast<const char*>(public_key), sizeof public_key),
                        iso_utc(now), ""};
  if (auto r = lift(tx.insert_signing_key(row)); !r) return std::unexpected(r.error());
  return key;
}

Result<PassKeys::Key> PassKeys::current(store::Transaction& tx, domain::CommunityId c,
                                        TimePoint now) {
  {
    std::lock_guard lock(m_mutex);
    if (auto it = m_current.find(c); it != m_current.end()) return it->second;
  }
  auto keys = lift(tx.list_signing_keys(c));
  if (!keys) return std::unexpected(keys.error());
  Result<Key> key = std::unexpected(Error::internal("no key"));
  const auto live = std::ranges::find_if(
      *keys | std::views::reverse, [](const store::SigningKey& k) { return k.retired_at.empty(); });
  if (live != (*keys | std::views::reverse).end()) {
    std::string secret = read_file(file_of(c, live->key_id));
    if (secret.size() != crypto_sign_SECRETKEYBYTES) {
      return std::unexpected(Error::internal(
          fmt::format("the pass signing key {} is missing or damaged: restore it from the backup, "
                      "or rotate keys (juwei passes rotate-key)",
                      file_of(c, live->key_id).string())));
    }
    key = Key{live->key_id, std::move(secret)};
    std::lock_guard lock(m_mutex);
    m_current.try_emplace(c, *key);
  } else {
    // Not cached: its public half commits with the caller's transaction, or not at all.
    key = make_key(tx, c, keys->empty() ? 1 : keys->back().key_id + 1, now);
    if (!key) return key;
  }
  return key;
}

Result<std::string> PassKeys::sign(store::Transaction& tx, domain::PassClaims& claims,
                                   TimePoint now) {
  auto key = current(tx, claims.community_id, now);
  if (!key) return std::unexpected(key.error());
  claims.key_id = key->id;
  return sign_token(claims, key->secret);
}

Result<std::uint32_t> PassKeys::rotate(store::Transaction& tx, domain::CommunityId c,
                                       TimePoint now) {
  auto keys = lift(tx.list_signing_keys(c));
  if (!keys) return std::unexpected(keys.error());
  for (const store::SigningKey& k : *keys) {
    if (!k.retired_at.empty()) continue;
    if (auto r = lift(tx.retire_signing_key(c, k.key_id, iso_utc(now))); !r) {
      return std::unexpected(r.error());
    }
  }
  auto key = make_key(tx, c, keys->empty() ? 1 : keys->back().key_id + 1, now);
  if (!key) return std::unexpected(key.error());
  std::lock_guard lock(m_mutex);
  m_current.erase(c);
  return key->id;
}

}  // namespace juwei::service
