// Pass tokens (出入证), as the gate scans them: any text through service::verify_token, against
// a community's keys and against an offline bundle holding the same keys; the raw bytes through
// domain::decode_claims and domain::from_base64url. A token must be refused as malformed or
// bad_signature, or verify the same way both ways; what verifies must be exactly the token its
// claims and signature encode to, and goes on through domain::check_offline. Decoding is
// canonical: what decodes encodes back to the same bytes.
#include <sodium.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "domain/offline_gate.hpp"
#include "domain/pass.hpp"
#include "service/pass_keys.hpp"

namespace {

using namespace juwei;
using namespace std::chrono;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_pass_token: %s\n", what);
  std::abort();
}

// Community 1's keys 1 (retired) and 2, made from fixed seeds so that the seed corpus holds
// tokens that verify: key k from the seed of 32 bytes k, k+1, ..., k+31.
struct Keys {
  std::vector<store::SigningKey> signing;
  domain::OfflineBundle bundle;

  Keys() {
    if (sodium_init() < 0) fail("libsodium failed to initialise");
    bundle.community_id = 1;
    bundle.issued_at = sys_days{year{2022} / 4 / 5} + hours{1};
    bundle.stale_after = bundle.issued_at + hours{24};
    for (std::uint32_t id : {1U, 2U}) {
      std::array<unsigned char, crypto_sign_SEEDBYTES> seed{};
      for (std::size_t i = 0; i < seed.size(); ++i)
        seed[i] = static_cast<unsigned char>(id + i);
      std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> public_key{};
      std::array<unsigned char, crypto_sign_SECRETKEYBYTES> secret_key{};
      crypto_sign_seed_keypair(public_key.data(), secret_key.data(), seed.data());
      const std::string key(reinterpret_cast<const char*>(public_key.data()), public_key.size());
      signing.push_back(
          {1, id, key, "2022-04-01T00:00:00Z", id == 1 ? "2022-04-03T00:00:00Z" : ""});
      bundle.keys.emplace_back(id, key);
    }
    // Passes 1 (individual, holder 10) and 2 (household, holder 20, two exits a week).
    domain::OfflinePass one;
    one.id = 1;
    one.holder = 10;
    domain::OfflinePass two;
    two.id = 2;
    two.holder = 20;
    two.kind = domain::PassKind::household;
    two.quota = 2;
    two.period_days = 7;
    two.slots = {{hours{8}, hours{12}}};
    two.uses = {bundle.issued_at - hours{30}};
    bundle.passes = {one, two};
  }
};

void check_token(std::string_view token, const Keys& keys) {
  const auto online = service::verify_token(token, keys.signing);
  const auto offline = service::verify_token(token, keys.bundle);
  if (online.has_value() != offline.has_value()) fail("the keys and the bundle disagree");
  if (!online) {
    if (online.error() != offline.error()) fail("the keys and the bundle refuse differently");
    if (online.error() != domain::PassRefusal::malformed &&
        online.error() != domain::PassRefusal::bad_signature) {
      fail("a token refused for more than its form and signature");
    }
    return;
  }
  const domain::PassClaims& claims = *online;
  if (claims != *offline) fail("the keys and the bundle read different claims");
  // The token is its claims' encoding and a signature, and nothing else.
  const auto bytes = domain::from_base64url(token.substr(domain::kTokenPrefix.size()));
  if (!bytes || !bytes->starts_with(domain::encode_claims(claims)) ||
      bytes->size() != domain::encode_claims(claims).size() + domain::kSignatureBytes) {
    fail("a verified token is not its claims and a signature");
  }
  const std::vector<domain::OfflineCheck> queued = {
      {1, true, true, keys.bundle.issued_at + minutes{5}, 0},
      {claims.pass_id, true, true, keys.bundle.issued_at + minutes{10}, claims.holder},
  };
  for (const bool out : {true, false}) {
    for (const auto now : {keys.bundle.issued_at + hours{1}, keys.bundle.stale_after + hours{1}}) {
      const auto verdict =
          domain::check_offline(keys.bundle, claims, out, queued, now, minutes{8 * 60});
      if (verdict.code.empty() || domain::gate_label_zh(verdict.code) == verdict.code) {
        fail("an offline verdict without a known code");
      }
      const std::span<const domain::OfflinePass> passes = keys.bundle.passes;
      if (verdict.pass != nullptr &&
          (verdict.pass < passes.data() || verdict.pass >= passes.data() + passes.size())) {
        fail("an offline verdict names a pass outside the bundle");
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Keys keys;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_token(input, keys);
  if (const auto claims = domain::decode_claims(input)) {
    if (domain::encode_claims(*claims) != input)
      fail("claims decoded from bytes they do not encode to");
  }
  if (const auto bytes = domain::from_base64url(input)) {
    if (domain::base64url(*bytes) != input)
      fail("base64url decoded from text it does not encode to");
  }
  return 0;
}
