#include "domain/offline_gate.hpp"

#include <algorithm>

namespace juwei::domain {

const OfflinePass* OfflineBundle::find(std::int64_t pass_id) const {
  const auto it = std::ranges::lower_bound(passes, pass_id, {}, &OfflinePass::id);
  return it != passes.end() && it->id == pass_id ? &*it : nullptr;
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

std::optional<PassRefusal> check_synced_exit(PassKind kind, std::span<const LoggedExit> exits,
                                             int quota, int period_days, Instant at) {
  if (kind == PassKind::individual) {
    if (exits.empty()) return std::nullopt;
    return PassRefusal::used;
  }
  const bool out_then = std::ranges::any_of(exits, [&](const LoggedExit& e) {
    return e.exited_at <= at && (!e.returned_at || *e.returned_at > at);
  });
  if (out_then) return PassRefusal::used;
  // rule: household.quota — every period ending at `at` or at a later exit within one period.
  const std::chrono::days period{period_days};
  const auto over_quota = [&](Instant end) {
    const auto in_period = [&](Instant t) { return t > end - period && t <= end; };
    const auto logged =
        std::ranges::count_if(exits, [&](const LoggedExit& e) { return in_period(e.exited_at); });
    return logged + (in_period(at) ? 1 : 0) > quota;
  };
  if (over_quota(at)) return PassRefusal::quota_used;
  for (const LoggedExit& e : exits) {
    if (e.exited_at > at && e.exited_at < at + period && over_quota(e.exited_at)) {
      return PassRefusal::quota_used;
    }
  }
  return std::nullopt;
}

std::string_view gate_label_zh(std::string_view code) {
  for (int o = 0; o <= static_cast<int>(GateOutcome::unknown_person); ++o) {
    if (to_code(static_cast<GateOutcome>(o)) == code)
      return to_label_zh(static_cast<GateOutcome>(o));
  }
  if (const auto refusal = parse_pass_refusal(code)) return to_label_zh(*refusal);
  for (int r = 0; r <= static_cast<int>(OfflineRefusal::unknown_offline); ++r) {
    if (to_code(static_cast<OfflineRefusal>(r)) == code) {
      return to_label_zh(static_cast<OfflineRefusal>(r));
    }
  }
  return code;
}

OfflineVerdict refuse_offline(PassRefusal r) {
  return {false, to_code(r), to_label_zh(r), to_label_en(r), nullptr};
}

OfflineVerdict refuse_offline(OfflineRefusal r) {
  return {false, to_code(r), to_label_zh(r), to_label_en(r), nullptr};
}

namespace {

OfflineVerdict outcome(GateOutcome o, const OfflinePass* pass) {
  return {o == GateOutcome::out || o == GateOutcome::in || o == GateOutcome::in_without_exit,
          to_code(o), to_label_zh(o), to_label_en(o), pass};
}

// Whether the holder is out on this pass: the bundle's open exit, or this gate's own last
// allowed check of it, whichever is later.
bool is_out(const OfflinePass* pass, std::int64_t pass_id, std::span<const OfflineCheck> queued) {
  std::optional<OfflineCheck> last;
  for (const OfflineCheck& q : queued) {
    if (q.pass_id == pass_id && q.allow && (!last || q.at >= last->at)) last = q;
  }
  if (last) return last->out;
  return pass && pass->out;
}

}  // namespace

OfflineVerdict check_offline(const OfflineBundle& bundle, const PassClaims& claims, bool out,
                             std::span<const OfflineCheck> queued, Instant now,
                             std::chrono::minutes utc_offset) {
  const OfflinePass* pass = bundle.find(claims.pass_id);
  if (pass && pass->holder != claims.holder) return refuse_offline(PassRefusal::unknown_pass);
  if (claims.community_id != bundle.community_id) {
    return refuse_offline(PassRefusal::wrong_community);
  }
  if (!out) {
    // Coming home is never refused; whether an exit of theirs was open tells the desk.
    return outcome(
        is_out(pass, claims.pass_id, queued) ? GateOutcome::in : GateOutcome::in_without_exit,
        pass);
  }
  if (now > bundle.stale_after) return refuse_offline(OfflineRefusal::stale);
  const auto refuse = [&](PassRefusal r) {
    OfflineVerdict v = refuse_offline(r);
    v.pass = pass;
    return v;
  };
  if (!pass && claims.valid_from < bundle.issued_at) {
    // Every pass valid at or after the bundle is in it: this one was not issued since.
    return refuse_offline(OfflineRefusal::unknown_offline);
  }
  if (pass && pass->refusal) return refuse(*pass->refusal);
  if (now < claims.valid_from) return refuse(PassRefusal::not_yet_valid);
  if (now >= claims.valid_until) return refuse(PassRefusal::expired);
  if (is_out(pass, claims.pass_id, queued)) return refuse(PassRefusal::used);
  if (claims.kind == PassKind::individual) {
    const bool used_here = std::ranges::any_of(queued, [&](const OfflineCheck& q) {
      return q.pass_id == claims.pass_id && q.out && q.allow;
    });
    if (used_here) return refuse(PassRefusal::used);
  } else if (pass) {
    std::vector<Instant> uses = pass->uses;
    for (const OfflineCheck& q : queued) {
      if (q.pass_id == claims.pass_id && q.out && q.allow) uses.push_back(q.at);
    }
    const HouseholdPassPolicy carried{pass->quota, pass->period_days, pass->slots, std::nullopt};
    if (auto r = check_household_use(uses, carried, CountedFrom::sampled, {}, now, utc_offset)) {
      return refuse(*r);
    }
  }
  return outcome(GateOutcome::out, pass);
}

}  // namespace juwei::domain
