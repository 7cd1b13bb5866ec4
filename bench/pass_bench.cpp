// Exit passes (issue 5). Figures, each the mean time of one call:
// - pass_sign: `service::sign_token` of one pass's claims with the community's current key.
// - pass_verify: `service::verify_token` of that token against the community's two keys (one
//   retired, then the current one that signed it), against pass_raw_verify: libsodium's
//   crypto_sign_verify_detached of the same signed bytes and signature with the same public
//   key, already decoded. Target < 100 us.
// - pass_assess_30_days: `domain::assess_exit` of a medical_staff_return request that meets
//   every rule of the default policy, for a resident with 30 days of daily negative pooled
//   swabs and an antigen self-test this morning, also against pass_raw_verify. Target < 20 us.
// - gate_offline_check: `service::check_offline`, a gate's whole check without the network: the
//   token verified against the bundle's keys, then the bundle's record of the pass (one of
//   2,000) and the gate's queue of 500 earlier checks; also against pass_raw_verify.
//   Target < 100 us.
// The keys are made afresh in every run.
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "domain/exit.hpp"
#include "domain/pass.hpp"
#include "report.hpp"
#include "service/exits.hpp"
#include "service/pass_keys.hpp"
#include "service/policy_file.hpp"
#include "store/store.hpp"

namespace juwei::bench {
namespace {

using namespace std::chrono_literals;
using domain::Instant;

// Juwei's clock reads 2022-04-06, 08:00 Shanghai time.
constexpr Instant kNow = std::chrono::sys_days{2022y / 4 / 6};
constexpr auto kShanghai = std::chrono::minutes{8h};
constexpr domain::CommunityId kCommunity = 1;
constexpr int kHistoryDays = 30;

// A pass signed with the community's current key (2; key 1 is retired), the token decoded
// into the bytes libsodium checks, and both public keys as the store lists them.
struct SignedPass {
  std::string secret_key;  // the current key's, 64 bytes
  std::vector<store::SigningKey> keys;
  domain::PassClaims claims;
  std::string token;
  std::string signed_bytes;  // the encoded claims
  std::string signature;
  std::string public_key;  // the current key's, 32 bytes
};

// A new key pair of the community: the secret half into `secret`, the public half as the store
// lists it.
store::SigningKey make_key(std::uint32_t id, std::string& secret, std::string_view retired_at) {
  std::string public_key(crypto_sign_PUBLICKEYBYTES, '\0');
  secret.assign(crypto_sign_SECRETKEYBYTES, '\0');
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(public_key.data()),
                      reinterpret_cast<unsigned char*>(secret.data()));
  return store::SigningKey{kCommunity, id, std::move(public_key), "2022-04-01T00:00:00Z",
                           std::string(retired_at)};
}

const SignedPass& signed_pass() {
  static const SignedPass pass = [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    SignedPass p;
    std::string retired_secret;
    p.keys.push_back(make_key(1, retired_secret, "2022-04-03T00:00:00Z"));
    p.keys.push_back(make_key(2, p.secret_key, ""));
    p.public_key = p.keys.back().public_key;
    p.claims = domain::PassClaims{.key_id = 2,
                                  .community_id = kCommunity,
                                  .pass_id = 1,
                                  .holder = 1,
                                  .valid_from = kNow,
                                  .valid_until = kNow + 24h};
    p.token = service::sign_token(p.claims, p.secret_key);
    const auto bytes =
        domain::from_base64url(std::string_view(p.token).substr(domain::kTokenPrefix.size()));
    if (!bytes || bytes->size() <= domain::kSignatureBytes) {
      throw std::runtime_error("sign_token made a token it cannot decode");
    }
    p.signed_bytes = bytes->substr(0, bytes->size() - domain::kSignatureBytes);
    p.signature = bytes->substr(p.signed_bytes.size());
    return p;
  }();
  return pass;
}

// Times `iterations` calls of `call` and records their mean in `unit` ("ns" or "us"), after
// one call whose answer `expected` must accept (the benchmark fails otherwise).
template <typename Call, typename Check>
void measure_mean(benchmark::State& state, std::string_view name, std::string_view unit,
                  std::string_view baseline, Call call, Check expected) {
  if (!expected(call())) {
    state.SkipWithError("unexpected answer");
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    auto answer = call();
    benchmark::DoNotOptimize(answer);
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  const double per_call =
      took.count() / static_cast<double>(state.iterations()) * (unit == "ns" ? 1e9 : 1e6);
  state.counters[std::string(unit)] = per_call;
  record(name, per_call, unit, baseline);
}

void BM_pass_sign(benchmark::State& state) {
  const SignedPass& pass = signed_pass();
  measure_mean(
      state, "pass_sign", "ns", {},
      [&] { return service::sign_token(pass.claims, pass.secret_key); },
      // Ed25519 signatures are deterministic: the same claims make the same token.
      [&](const std::string& token) { return token == pass.token; });
}

void BM_pass_raw_verify(benchmark::State& state) {
  const SignedPass& pass = signed_pass();
  measure_mean(
      state, "pass_raw_verify", "us", {},
      [&] {
        return crypto_sign_verify_detached(
            reinterpret_cast<const unsigned char*>(pass.signature.data()),
            reinterpret_cast<const unsigned char*>(pass.signed_bytes.data()),
            pass.signed_bytes.size(),
            reinterpret_cast<const unsigned char*>(pass.public_key.data()));
      },
      [](int rc) { return rc == 0; });
}

void BM_pass_verify(benchmark::State& state) {
  const SignedPass& pass = signed_pass();
  measure_mean(
      state, "pass_verify", "us", "pass_raw_verify",
      [&] { return service::verify_token(pass.token, pass.keys); },
      [&](const auto& claims) { return claims && *claims == pass.claims; });
}

// Newest sampled first: this morning's antigen self-test, then a pooled swab every morning
// (09:00 Shanghai) of the last 30 days, each reported negative 12 hours later.
std::vector<domain::TestRecord> thirty_days_of_tests() {
  using domain::TestKind, domain::TestResult;
  std::vector<domain::TestRecord> history;
  history.push_back({TestKind::antigen, kNow - 1h, TestResult::negative, kNow - 45min});
  const Instant yesterday_morning = kNow - 23h;
  for (int day = 0; day < kHistoryDays; ++day) {
    const Instant sampled = yesterday_morning - std::chrono::days{day};
    history.push_back({TestKind::pooled, sampled, TestResult::negative, sampled + 12h});
  }
  return history;
}

void BM_pass_assess_30_days(benchmark::State& state) {
  const std::vector<domain::TestRecord> history = thirty_days_of_tests();
  const domain::ExitRequestFacts request{.reason = "medical_staff_return",
                                         .planned_exit = kNow + 1h,
                                         .planned_return = kNow + 11h,
                                         .has_proof = true,
                                         .pledge_signed = true};
  const domain::ResidentFacts resident{.live = true, .building = domain::ZoneStatus::controlled};
  const domain::ExitPolicy& policy = service::default_policy();
  measure_mean(
      state, "pass_assess_30_days", "us", "pass_raw_verify",
      [&] { return domain::assess_exit(request, resident, history, policy, kNow, kShanghai); },
      // Eligible after checking the two rules every request meets and the reason's five.
      [](const domain::ExitAssessment& a) { return a.eligible && a.rules.size() == 7; });
}

void BM_gate_offline_check(benchmark::State& state) {
  const SignedPass& pass = signed_pass();
  domain::OfflineBundle bundle;
  bundle.community_id = kCommunity;
  bundle.issued_at = kNow - 1h;
  bundle.stale_after = kNow + 11h;
  for (const store::SigningKey& k : pass.keys)
    bundle.keys.emplace_back(k.key_id, k.public_key);
  constexpr int kPasses = 2000;
  for (int id = 1; id <= kPasses; ++id) {
    domain::OfflinePass p;
    p.id = id;
    p.holder = id;
    p.name = "居民";
    p.masked_id_number = "3101**********0044";
    bundle.passes.push_back(std::move(p));
  }
  // Earlier checks of other passes at this gate.
  std::vector<domain::OfflineCheck> queued;
  for (int i = 0; i < 500; ++i)
    queued.push_back({2 + i, i % 2 == 0, true, kNow - std::chrono::minutes{i}});
  const service::GateInput in{pass.token, "", "out"};
  measure_mean(
      state, "gate_offline_check", "us", "pass_raw_verify",
      [&] { return service::check_offline(bundle, in, queued, kNow); },
      [](const auto& v) { return v && v->allow && v->code == "gate.out"; });
}

// The baseline first: it is on the report's line above the figures quoted against it.
BENCHMARK(BM_pass_raw_verify)->Iterations(20'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_pass_sign)->Iterations(20'000)->Unit(benchmark::kNanosecond);
BENCHMARK(BM_pass_verify)->Iterations(20'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_pass_assess_30_days)->Iterations(200'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_gate_offline_check)->Iterations(20'000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace juwei::bench
