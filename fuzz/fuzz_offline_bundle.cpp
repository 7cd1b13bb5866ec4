// The offline gate's bundle (离线核验), as `juwei gate verify --bundle FILE` and a gate's
// device read it back: any text through http::offline_bundle_from_json. A bundle it cannot read
// must come back as an error naming what is wrong; a bundle it reads goes through
// domain::check_offline for every pass in it (each way, at three times, with queued checks of
// its own passes), and, written again by offline_bundle_json, reads back to what it wrote.
#include <algorithm>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/offline_gate.hpp"
#include "http/offline_json.hpp"

namespace {

using namespace juwei;
using namespace std::chrono;

// Passes checked per input: enough to reach every rule, few enough to keep runs fast.
constexpr std::size_t kMaxPassesChecked = 8;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_offline_bundle: %s\n", what);
  std::abort();
}

void check_verdict(const domain::OfflineBundle& bundle, const domain::OfflineVerdict& verdict) {
  if (verdict.code.empty() || domain::gate_label_zh(verdict.code) == verdict.code) {
    fail("an offline verdict without a known code");
  }
  const std::span<const domain::OfflinePass> passes = bundle.passes;
  if (verdict.pass != nullptr &&
      (verdict.pass < passes.data() || verdict.pass >= passes.data() + passes.size())) {
    fail("an offline verdict names a pass outside the bundle");
  }
}

void check_passes(const domain::OfflineBundle& bundle) {
  const std::size_t n = std::min(bundle.passes.size(), kMaxPassesChecked);
  // This gate let the first passes' holders out and the second one's back in since the bundle.
  std::vector<domain::OfflineCheck> queued;
  for (std::size_t i = 0; i < n; ++i) {
    const domain::OfflinePass& p = bundle.passes[i];
    queued.push_back({p.id, i % 2 == 0, true, bundle.issued_at + minutes{10 * (i + 1)}, 0});
  }
  const domain::Instant times[] = {bundle.issued_at + hours{1}, bundle.issued_at + hours{6},
                                   bundle.stale_after + seconds{1}};
  for (std::size_t i = 0; i < n; ++i) {
    const domain::OfflinePass& p = bundle.passes[i];
    domain::PassClaims claims;
    claims.community_id = bundle.community_id;
    claims.pass_id = p.id;
    claims.holder = p.holder;
    claims.kind = p.kind;
    claims.valid_from = bundle.issued_at;
    claims.valid_until = bundle.issued_at + days{7};
    for (const domain::Instant now : times) {
      for (const bool out : {true, false}) {
        check_verdict(bundle,
                      domain::check_offline(bundle, claims, out, queued, now, minutes{8 * 60}));
        check_verdict(bundle, domain::check_offline(bundle, claims, out, std::span(queued).first(i),
                                                    now, minutes{0}));
      }
    }
  }
}

std::string written(const domain::OfflineBundle& bundle) {
  return boost::json::serialize(http::offline_bundle_json(bundle));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto bundle = http::offline_bundle_from_json(text);
  if (!bundle) {
    if (bundle.error().empty()) fail("a bundle refused without a reason");
    return 0;
  }
  if (!std::ranges::is_sorted(bundle->passes, {}, &domain::OfflinePass::id)) {
    fail("the passes are not sorted by id");
  }
  check_passes(*bundle);
  // With two passes of one id their order is unspecified, and so is what is written.
  if (std::ranges::adjacent_find(bundle->passes, {}, &domain::OfflinePass::id) !=
      bundle->passes.end()) {
    return 0;
  }
  const std::string first = written(*bundle);
  const auto again = http::offline_bundle_from_json(first);
  if (!again) fail("a bundle as offline_bundle_json writes it does not read back");
  if (written(*again) != first) fail("a bundle read back is not the bundle written");
  return 0;
}
