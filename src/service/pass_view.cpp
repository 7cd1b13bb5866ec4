#include "service/pass_view.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "domain/id_number.hpp"
#include "domain/short_code.hpp"
#include "service/audit.hpp"
#include "service/input.hpp"
#include "service/policy_file.hpp"
#include "service/resident_access.hpp"
#include "service/transaction.hpp"
#include "text/csv.hpp"

namespace juwei::service {

using domain::CommunityId;
using domain::ResidentId;

std::optional<TimePoint> time_of(std::string_view iso) {
  if (iso.empty()) return std::nullopt;
  return parse_iso_utc(iso);
}

Error hidden_pass(std::int64_t id) {
  return Error::not_found(fmt::format("no pass {}", id));
}

std::string_view pass_title_zh(const store::PassRow& p) {
  if (p.kind == domain::PassKind::household) return "家庭出入证";
  return p.emergency ? "出入证（绿色通道）" : "出入证";
}

std::string pass_name_zh(const store::PassRow& p, std::string_view holder,
                         const domain::ExitPolicy& policy) {
  // The code the pass shows (K7QM-2X9C) names it on paper; the id before passes had codes.
  std::string name = p.short_code.empty()
                         ? fmt::format("{} #{}：{}", pass_title_zh(p), p.id, holder)
                         : fmt::format("{} {}：{}", pass_title_zh(p),
                                       domain::format_short_code(p.short_code), holder);
  if (p.kind != domain::PassKind::household) {
    const domain::ExitReason* reason = policy.reason(p.reason);
    name += fmt::format("，{}", reason ? std::string_view(reason->label_zh) : p.reason);
  }
  return name;
}

std::string resident_name_zh(const store::ResidentRow& row) {
  return fmt::format("{}（{}{}室，{}）", row.resident.name, row.building, row.room,
                     domain::mask_id_number(row.resident.id_number));
}

Result<PolicyInForce> load_policy(store::Transaction& tx, CommunityId c) {
  auto stored = lift(tx.current_policy(c));
  if (!stored) return std::unexpected(stored.error());
  if (!*stored) return PolicyInForce{default_policy(), std::string(default_policy_toml()), {}};
  // Parsed once per stored text: every pass view and gate check reads the policy in force.
  static std::mutex mutex;
  static std::map<std::string, domain::ExitPolicy> parsed_by_digest;  // guarded by mutex
  {
    std::lock_guard lock(mutex);
    if (auto it = parsed_by_digest.find((*stored)->digest); it != parsed_by_digest.end()) {
      return PolicyInForce{it->second, (*stored)->body, std::move(*stored)};
    }
  }
  auto parsed = parse_policy((*stored)->body);
  if (!parsed) {
    return std::unexpected(
        Error::internal("the stored policy no longer parses: " + parsed.error().message));
  }
  std::lock_guard lock(mutex);
  parsed_by_digest.try_emplace((*stored)->digest, *parsed);
  return PolicyInForce{std::move(*parsed), (*stored)->body, std::move(*stored)};
}

namespace {

// The register's allowed event of `pass` at `at`: an exit (gate.out) or a return (gate.in).
Result<std::int64_t> insert_allowed(store::Transaction& tx, const store::PassRow& pass,
                                    store::GateEvent event, bool out, std::string at) {
  event.at = std::move(at);
  event.direction = out ? "out" : "in";
  event.decision = "allow";
  event.code = domain::to_code(out ? domain::GateOutcome::out : domain::GateOutcome::in);
  event.pass_id = pass.id;
  return lift(tx.insert_gate_event(event));
}

}  // namespace

Result<std::int64_t> log_exit(store::Transaction& tx, const store::PassRow& pass,
                              store::GateEvent event, const domain::User& by, std::string_view via,
                              TimePoint at) {
  store::PassExit e{0, iso_utc(at), by.id, std::string(via), "", 0, ""};
  if (auto id = lift(tx.insert_pass_exit(pass.community_id, pass.id, e)); !id) {
    return std::unexpected(id.error());
  }
  return insert_allowed(tx, pass, std::move(event), true, e.exited_at);
}

Result<std::int64_t> log_return(store::Transaction& tx, const store::PassRow& pass,
                                store::PassExit exit, store::GateEvent event,
                                const domain::User& by, std::string_view via, TimePoint at) {
  exit.returned_at = iso_utc(at);
  exit.returned_by = by.id;
  exit.returned_via = std::string(via);
  if (auto r = lift(tx.return_pass_exit(pass.community_id, pass.id, exit)); !r) {
    return std::unexpected(r.error());
  }
  return insert_allowed(tx, pass, std::move(event), false, exit.returned_at);
}

store::GateEvent register_event(CommunityId c, const store::ResidentRow& holder,
                                const domain::User& by, std::string_view source) {
  store::GateEvent e;
  e.community_id = c;
  e.resident_id = holder.resident.id;
  e.building = holder.building;
  e.gate_user = by.id;
  e.source = std::string(source);
  return e;
}

Result<std::vector<store::PassRow>> passes_of_holder(store::Transaction& tx, CommunityId c,
                                                     ResidentId holder) {
  std::vector<store::PassRow> out;
  auto listed = for_each_pass(tx, {c, false, std::nullopt, holder}, [&](store::PassRow row) {
    out.push_back(std::move(row));
    return Result<void>{};
  });
  if (!listed) return std::unexpected(listed.error());
  return out;
}

std::optional<OpenExit> open_exit_of(const std::vector<store::PassRow>& passes, TimePoint at) {
  std::optional<OpenExit> open;
  for (const store::PassRow& p : passes) {
    for (const store::PassExit& e : p.exits) {
      const auto out = time_of(e.exited_at);
      if (!out || *out > at || !e.returned_at.empty()) continue;
      if (!open || e.exited_at > open->exit.exited_at) open = OpenExit{p, e};
    }
  }
  return open;
}

Result<std::optional<OpenExit>> holder_open_exit(store::Transaction& tx, CommunityId c,
                                                 ResidentId holder, TimePoint at) {
  auto passes = passes_of_holder(tx, c, holder);
  if (!passes) return std::unexpected(passes.error());
  return open_exit_of(*passes, at);
}

Result<std::vector<domain::StatusSince>> building_history(store::Transaction& tx, CommunityId c,
                                                          domain::HouseholdId household) {
  std::vector<domain::StatusSince> history;
  auto h = lift(tx.get_household(c, household));
  if (!h) return std::unexpected(h.error());
  if (!*h) return history;
  auto changes = lift(tx.list_status_changes(c, (*h)->building_id));
  if (!changes) return std::unexpected(changes.error());
  for (const store::StatusChange& s : *changes) {
    history.push_back({time_of(s.changed_at).value_or(TimePoint{}), s.status});
  }
  return history;
}

Result<std::vector<domain::TestRecord>> tests_of(store::Transaction& tx, CommunityId c,
                                                 ResidentId r) {
  auto tests = lift(tx.resident_tests(c, r));
  if (!tests) return std::unexpected(tests.error());
  return records_of(*tests);
}

Result<bool> has_paperwork(store::Transaction& tx, CommunityId c, std::int64_t request_id) {
  auto pledge = lift(tx.get_pledge(c, request_id));
  if (!pledge) return std::unexpected(pledge.error());
  if (!*pledge) return false;
  auto proofs = lift(tx.list_proofs(c, request_id));
  if (!proofs) return std::unexpected(proofs.error());
  return std::ranges::any_of(*proofs, [](const store::Proof& p) { return p.kind == "proof"; });
}

domain::ReturnState return_state_of(const store::PassRow& pass, TimePoint now) {
  std::optional<TimePoint> exited_at;
  std::optional<TimePoint> returned_at;
  if (!pass.exits.empty()) {
    exited_at = time_of(pass.exits.back().exited_at);
    returned_at = time_of(pass.exits.back().returned_at);
  }
  return domain::return_state(pass.return_required, exited_at, returned_at, time_of(pass.return_by),
                              now);
}

bool back_today(const store::PassRow& pass, TimePoint now) {
  if (pass.exits.empty()) return false;
  const auto back = time_of(pass.exits.back().returned_at);
  return back &&
         domain::local_minute(*back, kShanghaiOffset).substr(0, 5) ==
             domain::local_minute(now, kShanghaiOffset).substr(0, 5) &&
         now - *back < std::chrono::hours{24};
}

Result<HolderFacts> holder_facts(store::Transaction& tx, CommunityId c, ResidentId holder) {
  auto row = lift(tx.get_resident(c, holder));
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::unexpected(Error::internal("a pass's holder is missing"));
  auto tests = tests_of(tx, c, holder);
  if (!tests) return std::unexpected(tests.error());
  return HolderFacts{std::move(**row), std::move(*tests)};
}

Result<PassView> pass_view(store::Transaction& tx, CommunityId c, store::PassRow pass,
                           const domain::ExitPolicy& policy, TimePoint now) {
  auto holder = holder_facts(tx, c, pass.holder);
  if (!holder) return std::unexpected(holder.error());
  return pass_view(tx, c, std::move(pass), *holder, policy, now);
}

Result<PassView> pass_view(store::Transaction& tx, CommunityId c, store::PassRow pass,
                           const HolderFacts& holder, const domain::ExitPolicy& policy,
                           TimePoint now) {
  PassView v;
  v.holder = holder.row;
  const std::vector<domain::TestRecord>& history = holder.tests;
  domain::PassState state{pass.kind, time_of(pass.valid_from).value_or(TimePoint{}),
                          time_of(pass.valid_until).value_or(TimePoint{})};
  state.revoked_at = time_of(pass.revoked_at);
  std::vector<domain::Instant> uses;
  for (const store::PassExit& e : pass.exits)
    uses.push_back(time_of(e.exited_at).value_or(now));
  const store::PassExit* last = pass.exits.empty() ? nullptr : &pass.exits.back();
  if (last) {
    state.exited_at = time_of(last->exited_at);
    state.returned_at = time_of(last->returned_at);
  }
  v.refusal = domain::check_pass_exit(state, history, now);
  if (pass.kind == domain::PassKind::household) {
    // The pass carries its quota, slots and test window: a policy changed since does not
    // change them. Its building's status is read under the policy in force.
    domain::HouseholdPassPolicy carried = policy.household;
    carried.quota = pass.quota;
    carried.period_days = pass.period_days;
    carried.slots = domain::parse_time_slots(pass.slots);
    carried.negative_within.reset();
    if (pass.negative_within_hours > 0)
      carried.negative_within = std::chrono::hours{pass.negative_within_hours};
    const domain::CountedFrom counted_from =
        domain::counted_from_code(pass.test_age_from).value_or(domain::CountedFrom::sampled);
    v.uses_left = domain::household_uses_left(uses, carried, now);
    if (!v.refusal) {
      auto building = building_history(tx, c, pass.household_id);
      if (!building) return std::unexpected(building.error());
      v.refusal = domain::check_household_building(*building, state.valid_from, now, carried);
    }
    if (!v.refusal) {
      v.refusal =
          domain::check_household_use(uses, carried, counted_from, history, now, kShanghaiOffset);
    }
  }
  v.return_state = return_state_of(pass, now);
  if (v.return_state == domain::ReturnState::overdue) {
    v.hours_overdue =
        std::chrono::duration<double, std::ratio<3600>>(now - *time_of(pass.return_by)).count();
  }
  if (pass.emergency && !pass.paperwork_due_at.empty() &&
      now > time_of(pass.paperwork_due_at).value_or(now)) {
    auto paperwork = has_paperwork(tx, c, pass.request_id);
    if (!paperwork) return std::unexpected(paperwork.error());
    v.paperwork_overdue = !*paperwork;
  }
  v.pass = std::move(pass);
  return v;
}

Result<PassView> visible_pass(store::Transaction& tx, CommunityId c, std::int64_t id,
                              const domain::User& viewer, TimePoint now) {
  auto pass = lift(tx.get_pass(c, id));
  if (!pass) return std::unexpected(pass.error());
  if (!*pass || !may_see(tx, c, (*pass)->holder, viewer)) return std::unexpected(hidden_pass(id));
  auto policy = load_policy(tx, c);
  if (!policy) return std::unexpected(policy.error());
  return pass_view(tx, c, std::move(**pass), policy->policy, now);
}

Result<std::expected<domain::PassClaims, domain::PassRefusal>> verified_claims(
    store::Transaction& tx, CommunityId c, std::string_view token,
    std::span<const store::SigningKey> keys) {
  using Verified = std::expected<domain::PassClaims, domain::PassRefusal>;
  std::vector<store::SigningKey> read;
  if (keys.empty()) {
    auto listed = lift(tx.list_signing_keys(c));
    if (!listed) return std::unexpected(listed.error());
    read = std::move(*listed);
    keys = read;
  }
  auto claims = verify_token(token, keys);
  // A token signed for another community fails on the key before anything else.
  if (!claims) return Verified(std::unexpected(claims.error()));
  if (claims->community_id != c) {
    // A pass signed before its community moved here (juwei migrate) names the id it had then,
    // which its chain id keeps; one of its own keys has just verified it.
    auto chain = chain_id_of(tx, c);
    if (!chain) return std::unexpected(chain.error());
    if (claims->community_id != *chain) {
      return Verified(std::unexpected(domain::PassRefusal::wrong_community));
    }
  }
  return Verified(std::move(*claims));
}

std::optional<store::PassRow> pass_named(const std::vector<store::PassRow>& passes,
                                         const domain::PassClaims& claims) {
  const auto it = std::ranges::find(passes, claims.pass_id, &store::PassRow::id);
  if (it == passes.end() || it->holder != claims.holder) return std::nullopt;
  return *it;
}

Result<std::expected<store::PassRow, domain::PassRefusal>> scanned_pass(
    store::Transaction& tx, CommunityId c, std::string_view token,
    std::span<const store::SigningKey> keys) {
  using Scanned = std::expected<store::PassRow, domain::PassRefusal>;
  auto claims = verified_claims(tx, c, token, keys);
  if (!claims) return std::unexpected(claims.error());
  if (!*claims) return Scanned(std::unexpected(claims->error()));
  auto pass = lift(tx.get_pass(c, (*claims)->pass_id));
  if (!pass) return std::unexpected(pass.error());
  if (!*pass || (*pass)->holder != (*claims)->holder) {
    return Scanned(std::unexpected(domain::PassRefusal::unknown_pass));
  }
  return Scanned(std::move(**pass));
}

}  // namespace juwei::service
