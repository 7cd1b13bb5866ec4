#include "domain/offline_gate.hpp"

#include <algorithm>

namespace juwei::domain {

const OfflinePass* OfflineBundle::find(std::int64_t pass_id) const {
  const auto it = std::ranges::lower_bound(passes, pass_id, {}, &OfflinePass::id);
  return it != passes.end() && it->id == pass_id ? &*it : nullptr;
}

const OfflinePass* OfflineBundle::find_by_short_code(std::string_view code) const {
  if (code.empty()) return nullptr;
  const auto it = std::ranges::find(passes, code, &OfflinePass::short_code);
  return it != passes.end() ? &*it : nullptr;
}

std::string_view to_code(OfflineRefusal r) {
  switch (r) {
    case OfflineRefusal::stale:
      return "offline.stale";
    case OfflineRefusal::needs_network:
      return "offline.needs_network";
    case OfflineRefusal::unknown_offline:
      return "offline.unknown_pass";
  }
  return "offline.unknown";
}

std::string_view to_label_zh(OfflineRefusal r) {
  switch (r) {
    case OfflineRefusal::stale:
      return "离线数据已过期，请联网更新后再核验";
    case OfflineRefusal::needs_network:
      return "离线时无法按身份证号核验，请扫码或联网";
    case OfflineRefusal::unknown_offline:
      return "离线数据中查无此出入证，请联网核验";
  }
  return "离线核验失败";
}

std::string_view to_label_en(OfflineRefusal r) {
  switch (r) {
    case OfflineRefusal::stale:
      return "the offline data is too old: go online to refresh it";
    case OfflineRefusal::needs_network:
      return "an ID number cannot be checked offline: scan the pass or go online";
    case OfflineRefusal::unknown_offline:
      return "the pass is not in the offline data: check it online";
  }
  return "offline check failed";
}

std::optional<std::string_view> check_synced_exit(PassKind kind, std::span<const LoggedExit> exits,
                                                  std::span<const LoggedExit> holder_exits,
                                                  int quota, int period_days, Instant at,
                                                  std::optional<Instant> back_at) {
  // rule: gate.one_open_exit
  const bool out_then = std::ranges::any_of(holder_exits, [&](const LoggedExit& e) {
    return e.exited_at <= at && (!e.returned_at || *e.returned_at > at);
  });
  const bool out_again_before_back = std::ranges::any_of(holder_exits, [&](const LoggedExit& e) {
    return e.exited_at > at && (!back_at || *back_at > e.exited_at);
  });
  if (out_then || out_again_before_back) return to_code(GateOutcome::already_out);
  if (kind == PassKind::individual) {
    if (exits.empty()) return std::nullopt;
    return to_code(PassRefusal::used);
  }
  // rule: household.quota — every period ending at `at` or at a later exit within one period.
  const std::chrono::days period{period_days};
  const auto over_quota = [&](Instant end) {
    const auto in_period = [&](Instant t) { return t > end - period && t <= end; };
    const auto logged =
        std::ranges::count_if(exits, [&](const LoggedExit& e) { return in_period(e.exited_at); });
    return logged + (in_period(at) ? 1 : 0) > quota;
  };
  if (over_quota(at)) return to_code(PassRefusal::quota_used);
  for (const LoggedExit& e : exits) {
    if (e.exited_at > at && e.exited_at < at + period && over_quota(e.exited_at)) {
      return to_code(PassRefusal::quota_used);
    }
  }
  return std::nullopt;
}

namespace {

// The label in one language of any code a gate check records; the code itself for any other.
template <typename Label>
std::string_view gate_label(std::string_view code, Label label) {
  for (int o = 0; o <= static_cast<int>(kLastGateOutcome); ++o) {
    if (to_code(static_cast<GateOutcome>(o)) == code) return label(static_cast<GateOutcome>(o));
  }
  if (const auto refusal = parse_pass_refusal(code)) return label(*refusal);
  for (int r = 0; r <= static_cast<int>(OfflineRefusal::unknown_offline); ++r) {
    if (to_code(static_cast<OfflineRefusal>(r)) == code) {
      return label(static_cast<OfflineRefusal>(r));
    }
  }
  return code;
}

}  // namespace

std::string_view gate_label_zh(std::string_view code) {
  return gate_label(code, [](auto c) { return to_label_zh(c); });
}

std::string_view gate_label_en(std::string_view code) {
  return gate_label(code, [](auto c) { return to_label_en(c); });
}

OfflineVerdict refuse_offline(PassRefusal r) {
  const GateDecision d = decision_of(r);
  return {d.allow, d.code, d.label_zh, d.label_en, nullptr};
}

OfflineVerdict refuse_offline(OfflineRefusal r) {
  return {false, to_code(r), to_label_zh(r), to_label_en(r), nullptr};
}

namespace {

OfflineVerdict verdict_of(GateDecision d, const OfflinePass* pass) {
  return {d.allow, d.code, d.label_zh, d.label_en, pass};
}

// Whether the register, as this gate knows it, shows `holder` out: this gate's own last allowed
// check of them, on any pass, whichever is latest; else an open exit in the bundle.
bool holder_is_out(const OfflineBundle& bundle, ResidentId holder,
                   std::span<const OfflineCheck> queued) {
  std::optional<OfflineCheck> last;
  for (const OfflineCheck& q : queued) {
    if (!q.allow) continue;
    ResidentId whose = q.holder;
    if (whose == 0) {
      const OfflinePass* p = bundle.find(q.pass_id);
      whose = p ? p->holder : 0;
    }
    if (whose == holder && (!last || q.at >= last->at)) last = q;
  }
  if (last) return last->out;
  return std::ranges::any_of(bundle.passes,
                             [&](const OfflinePass& p) { return p.holder == holder && p.out; });
}

// The pass's own refusal at `now`, as far as the bundle and this gate's queue know it.
std::optional<PassRefusal> offline_refusal(const OfflinePass* pass, const PassClaims& claims,
                                           std::span<const OfflineCheck> queued, Instant now,
                                           std::chrono::minutes utc_offset) {
  if (pass && pass->refusal) return pass->refusal;
  if (now < claims.valid_from) return PassRefusal::not_yet_valid;
  if (now >= claims.valid_until) return PassRefusal::expired;
  const auto used_here = [&](const OfflineCheck& q) {
    return q.pass_id == claims.pass_id && q.out && q.allow;
  };
  if (claims.kind == PassKind::individual) {
    if (std::ranges::any_of(queued, used_here)) return PassRefusal::used;
  } else if (pass) {
    std::vector<Instant> uses = pass->uses;
    for (const OfflineCheck& q : queued) {
      if (used_here(q)) uses.push_back(q.at);
    }
    const HouseholdPassPolicy carried{pass->quota, pass->period_days, pass->slots, std::nullopt};
    return check_household_use(uses, carried, CountedFrom::sampled, {}, now, utc_offset);
  }
  return std::nullopt;
}

}  // namespace

OfflineVerdict check_offline(const OfflineBundle& bundle, const PassClaims& claims, bool out,
                             std::span<const OfflineCheck> queued, Instant now,
                             std::chrono::minutes utc_offset) {
  const OfflinePass* pass = bundle.find(claims.pass_id);
  if (pass && pass->holder != claims.holder) return refuse_offline(PassRefusal::unknown_pass);
  if (claims.community_id != bundle.community_id &&
      (bundle.chain_id == 0 || claims.community_id != bundle.chain_id)) {
    return refuse_offline(PassRefusal::wrong_community);
  }
  GateFacts facts;
  facts.out = out;
  facts.holder_out = holder_is_out(bundle, claims.holder, queued);
  if (out) {
    if (now > bundle.stale_after) return refuse_offline(OfflineRefusal::stale);
    if (!pass && claims.valid_from < bundle.issued_at) {
      // Every pass valid at or after the bundle is in it: this one was not issued since.
      return refuse_offline(OfflineRefusal::unknown_offline);
    }
    facts.refusal = offline_refusal(pass, claims, queued, now, utc_offset);
  }
  return verdict_of(decide_gate(facts), pass);
}

}  // namespace juwei::domain
