// The gate (门岗): checks online and offline, syncing a gate's offline checks, and the
// register (出入登记).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "domain/id_number.hpp"
#include "domain/place.hpp"
#include "domain/short_code.hpp"
#include "service/audit.hpp"
#include "service/exits.hpp"
#include "service/input.hpp"
#include "service/pass_view.hpp"
#include "service/resident_access.hpp"
#include "service/transaction.hpp"
#include "text/csv.hpp"
#include "text/encoding.hpp"

namespace juwei::service {

using domain::CommunityId;

namespace {

constexpr std::size_t kMaxSyncedChecks = 1000;
constexpr std::size_t kMaxClientIdBytes = 64;
constexpr std::size_t kMaxTokenBytes = 512;
// A gate's clock may run a little ahead of the server's; more than this is refused.
constexpr std::chrono::minutes kMaxClockSkew{5};

// Refusals that do not lapse by themselves: a gate offline keeps refusing on them.
bool standing(domain::PassRefusal r) {
  using domain::PassRefusal;
  return r == PassRefusal::revoked || r == PassRefusal::used || r == PassRefusal::returned ||
         r == PassRefusal::holder_positive || r == PassRefusal::needs_negative ||
         r == PassRefusal::building_closed;
}

std::vector<domain::LoggedExit> logged_exits(const store::PassRow& pass, TimePoint fallback) {
  std::vector<domain::LoggedExit> out;
  for (const store::PassExit& e : pass.exits)
    out.push_back({time_of(e.exited_at).value_or(fallback), time_of(e.returned_at)});
  return out;
}

bool has_open_exit(const store::PassRow& pass) {
  return !pass.exits.empty() && pass.exits.back().returned_at.empty();
}

Result<void> checked_direction(std::string_view direction, std::string_view field) {
  if (direction == "out" || direction == "in") return {};
  return std::unexpected(
      Error::invalid(fmt::format("{}: out or in", field),
                     {FieldIssue{std::string(field), "direction.invalid", "out or in",
                                 "方向应为 out（出）或 in（进）"}}));
}

Result<void> checked_one_of(std::string_view token, std::string_view id_number,
                            std::string_view code) {
  if (int{!token.empty()} + int{!id_number.empty()} + int{!code.empty()} == 1) return {};
  return std::unexpected(
      Error::invalid("give a pass token, a pass's short code or an ID number",
                     {FieldIssue{"token", "token.missing",
                                 "scan the pass, or type its code or the ID number (one of them)",
                                 "请扫码，或输入出入证编码或身份证号（三选一）"}}));
}

// A typed short code in its one spelling, or why it cannot be one (checked before any lookup).
Result<std::string> checked_short_code(std::string_view typed) {
  auto code = domain::parse_short_code(typed);
  if (code) return std::move(*code);
  const auto problem = code.error();
  const std::string_view zh = problem == domain::ShortCodeProblem::check ? "出入证编码有误，请核对"
                              : problem == domain::ShortCodeProblem::length
                                  ? "出入证编码应为 8 位（如 K7QM-2X9C）"
                                  : "出入证编码只含数字和字母（不含 I、L、O、U）";
  return std::unexpected(Error::invalid(
      "code: 8 characters of 0-9 and A-Z but I, L, O, U, the last a check character",
      {FieldIssue{"code", std::string(domain::to_code(problem)),
                  "8 characters of 0-9 and A-Z but I, L, O, U, the last a check character",
                  std::string(zh)}}));
}

Result<void> invalid_check(std::size_t i, std::string_view field, std::string_view code,
                           std::string_view en, std::string_view zh) {
  const std::string name = fmt::format("checks[{}].{}", i, field);
  return std::unexpected(
      Error::invalid(fmt::format("{}: {}", name, en),
                     {FieldIssue{name, std::string(code), std::string(en), std::string(zh)}}));
}

// Each queued check is well formed, named by its index when it is not.
Result<void> validate_checks(std::string_view device, const std::vector<QueuedGateCheck>& checks,
                             TimePoint now) {
  if (device.empty() || device.size() > kMaxClientIdBytes) {
    return std::unexpected(
        Error::invalid("device: the gate's name, 1 to 64 bytes",
                       {FieldIssue{"device", "device.invalid", "the gate's name, 1 to 64 bytes",
                                   "请填写门岗设备名（1–64 字节）"}}));
  }
  if (checks.size() > kMaxSyncedChecks) {
    return std::unexpected(
        Error::invalid(fmt::format("checks: at most {} per sync", kMaxSyncedChecks),
                       {FieldIssue{"checks", "checks.too_many", "at most 1000 checks per sync",
                                   "每次同步最多 1000 条"}}));
  }
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const QueuedGateCheck& q = checks[i];
    if (q.client_id.empty() || q.client_id.size() > kMaxClientIdBytes) {
      return invalid_check(i, "client_id", "client_id.invalid", "the gate's id, 1 to 64 bytes",
                           "缺少门岗记录编号（1–64 字节）");
    }
    const auto at = parse_iso_utc(q.at);
    if (!at) {
      return invalid_check(i, "at", "at.invalid", "a time like 2022-04-05T09:30:00Z",
                           "时间格式应为 2022-04-05T09:30:00Z");
    }
    if (*at > now + kMaxClockSkew) {
      return invalid_check(i, "at", "at.future", "later than the server's clock",
                           "时间晚于服务器时间，请校准门岗设备时钟");
    }
    if (auto r = checked_direction(q.direction, fmt::format("checks[{}].direction", i)); !r) {
      return r;
    }
    if (q.token.empty() || q.token.size() > kMaxTokenBytes) {
      return invalid_check(i, "token", "token.invalid", "the scanned pass, up to 512 bytes",
                           "缺少扫码内容（最长 512 字节）");
    }
    if (q.code.size() > kMaxClientIdBytes) {
      return invalid_check(i, "code", "code.invalid", "up to 64 bytes", "代码最长 64 字节");
    }
  }
  return {};
}

// The answer a gate check gave when it was made, read back from its register event.
Result<GateVerdict> replayed_check(store::Transaction& tx, const store::GateEvent& e,
                                   std::string_view direction) {
  if (e.direction != direction) {
    return std::unexpected(Error::conflict(fmt::format(
        "check {} of device '{}' was a check going {}", e.client_event_id, e.device, e.direction)));
  }
  GateVerdict v;
  v.allow = e.decision == "allow";
  v.code = e.code;
  v.message_zh = domain::gate_label_zh(e.code);
  v.message_en = domain::gate_label_en(e.code);
  v.pass_id = e.pass_id;
  v.event_id = e.id;
  v.replayed = true;
  if (e.resident_id != 0) {
    auto row = lift(tx.get_resident(e.community_id, e.resident_id));
    if (!row) return std::unexpected(row.error());
    if (*row) {
      v.holder = (*row)->resident.id;
      v.name = (*row)->resident.name;
      v.building = (*row)->building;
      v.room = (*row)->room;
      v.masked_id_number = domain::mask_id_number((*row)->resident.id_number);
    }
  }
  return v;
}

}  // namespace

Result<GateVerdict> check_offline(const domain::OfflineBundle& bundle, const GateInput& in,
                                  std::span<const domain::OfflineCheck> queued, TimePoint now) {
  std::string_view token = text::trim(in.token);
  const std::string_view id_number = text::trim(in.id_number);
  const std::string_view typed_code = text::trim(in.code);
  if (auto r = checked_direction(in.direction, "direction"); !r) return std::unexpected(r.error());
  if (auto r = checked_one_of(token, id_number, typed_code); !r) {
    return std::unexpected(r.error());
  }
  domain::OfflineVerdict verdict;
  std::int64_t pass_id = 0;
  domain::ResidentId holder = 0;
  bool unknown_code = false;
  if (!typed_code.empty()) {
    // A typed code is the token it stands for in the bundle, checked as if scanned.
    auto code = checked_short_code(typed_code);
    if (!code) return std::unexpected(code.error());
    const domain::OfflinePass* listed = bundle.find_by_short_code(*code);
    if (listed != nullptr && !listed->token.empty()) {
      token = listed->token;
    } else {
      unknown_code = true;
    }
  }
  if (unknown_code) {
    verdict = domain::refuse_offline(domain::OfflineRefusal::unknown_offline);
  } else if (token.empty()) {
    verdict = domain::refuse_offline(domain::OfflineRefusal::needs_network);
  } else {
    const auto claims = verify_token(token, bundle);
    if (!claims) {
      verdict = domain::refuse_offline(claims.error());
    } else {
      pass_id = claims->pass_id;
      holder = claims->holder;
      verdict = domain::check_offline(bundle, *claims, in.direction == "out", queued, now,
                                      kShanghaiOffset);
    }
  }
  GateVerdict v;
  v.holder = holder;
  v.allow = verdict.allow;
  v.code = verdict.code;
  v.message_zh = verdict.label_zh;
  v.message_en = verdict.label_en;
  v.pass_id = pass_id;
  if (verdict.pass) {
    v.name = verdict.pass->name;
    v.building = verdict.pass->building;
    v.room = verdict.pass->room;
    v.masked_id_number = verdict.pass->masked_id_number;
  }
  return v;
}

Result<domain::OfflineBundle> Exits::offline_bundle(CommunityId c) {
  const TimePoint now = m_clock();
  return in_transaction(
      m_store, store::TxMode::read, [&](store::Transaction& tx) -> Result<domain::OfflineBundle> {
        domain::OfflineBundle bundle;
        bundle.community_id = c;
        auto chain = chain_id_of(tx, c);
        if (!chain) return std::unexpected(chain.error());
        bundle.chain_id = *chain;
        bundle.issued_at = now;
        bundle.stale_after = now + kOfflineBundleLife;
        auto keys = lift(tx.list_signing_keys(c));
        if (!keys) return std::unexpected(keys.error());
        for (const store::SigningKey& k : *keys)
          bundle.keys.emplace_back(k.key_id, k.public_key);
        auto policy = load_policy(tx, c);
        if (!policy) return std::unexpected(policy.error());
        auto listed = for_each_pass(tx, {c}, [&](store::PassRow row) -> Result<void> {
          const bool out = has_open_exit(row);
          if (!out && time_of(row.valid_until).value_or(now) <= now) return {};
          auto view = pass_view(tx, c, std::move(row), policy->policy, now);
          if (!view) return std::unexpected(view.error());
          const store::PassRow& p = view->pass;
          domain::OfflinePass o;
          o.id = p.id;
          o.holder = p.holder;
          o.kind = p.kind;
          if (view->refusal && standing(*view->refusal)) o.refusal = view->refusal;
          o.out = out;
          if (p.kind == domain::PassKind::household) {
            o.quota = p.quota;
            o.period_days = p.period_days;
            o.slots = domain::parse_time_slots(p.slots);
            for (const store::PassExit& e : p.exits) {
              const auto at = time_of(e.exited_at);
              if (at && *at > now - std::chrono::days{p.period_days}) o.uses.push_back(*at);
            }
          }
          o.name = view->holder.resident.name;
          o.building = view->holder.building;
          o.room = view->holder.room;
          o.masked_id_number = domain::mask_id_number(view->holder.resident.id_number);
          o.short_code = p.short_code;
          o.token = p.token;
          bundle.passes.push_back(std::move(o));
          return {};
        });
        if (!listed) return std::unexpected(listed.error());
        return bundle;
      });
}

Result<std::vector<SyncedGateCheck>> Exits::sync_gate_checks(CommunityId c, std::string_view device,
                                                             std::vector<QueuedGateCheck> checks,
                                                             const domain::User& by) {
  const TimePoint now = m_clock();
  if (auto valid = validate_checks(device, checks, now); !valid) {
    return std::unexpected(valid.error());
  }
  std::vector<std::size_t> order(checks.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  // In the order they happened (ISO-8601 UTC texts sort as times).
  std::ranges::stable_sort(order, {}, [&](std::size_t i) { return *parse_iso_utc(checks[i].at); });
  return in_community(m_store, c,
      [&](store::Transaction& tx) -> Result<std::vector<SyncedGateCheck>> {
        std::vector<SyncedGateCheck> synced(checks.size());
        auto keys = lift(tx.list_signing_keys(c));
        if (!keys) return std::unexpected(keys.error());
        auto policy = load_policy(tx, c);
        if (!policy) return std::unexpected(policy.error());
        // Each token verified once: whose pass each check scanned (a token that does not
        // verify: nobody's), so an exit can see the return of its holder the same sync brings.
        std::vector<std::expected<domain::PassClaims, domain::PassRefusal>> claims_of;
        std::vector<domain::ResidentId> holder_of(checks.size(), 0);
        for (std::size_t i = 0; i < checks.size(); ++i) {
          auto claims = verified_claims(tx, c, text::trim(checks[i].token), *keys);
          if (!claims) return std::unexpected(claims.error());
          if (*claims) holder_of[i] = (*claims)->holder;
          claims_of.push_back(std::move(*claims));
        }
        // The first allowed return of the holder of check order[k] after it (in time order).
        const auto queued_return_after = [&](std::size_t k) -> std::optional<TimePoint> {
          for (std::size_t j = k + 1; j < order.size(); ++j) {
            const QueuedGateCheck& q = checks[order[j]];
            if (q.allow && q.direction == "in" && holder_of[order[j]] == holder_of[order[k]]) {
              return parse_iso_utc(q.at);
            }
          }
          return std::nullopt;
        };
        for (std::size_t k = 0; k < order.size(); ++k) {
          const std::size_t i = order[k];
          const QueuedGateCheck& q = checks[i];
          SyncedGateCheck& s = synced[i];
          s.client_id = q.client_id;
          auto before = lift(tx.find_gate_event(c, device, q.client_id));
          if (!before) return std::unexpected(before.error());
          if (*before) {
            s.event_id = (*before)->id;
            s.duplicate = true;
            s.conflict = (*before)->conflict;
            continue;
          }
          const TimePoint at = *parse_iso_utc(q.at);
          store::GateEvent event{c,        0, iso_utc(at), q.direction, q.allow ? "allow" : "deny",
                                 q.code,   0, 0,           "",          by.id,
                                 "offline"};
          event.device = device;
          event.client_event_id = q.client_id;
          event.synced_at = iso_utc(now);
          // What the server holds about the pass the gate scanned, and its holder's passes.
          std::optional<PassView> view;
          std::optional<domain::PassRefusal> refusal;
          std::vector<store::PassRow> holder_passes;
          std::optional<store::PassRow> pass;
          if (!claims_of[i]) {
            refusal = claims_of[i].error();
          } else {
            auto passes = passes_of_holder(tx, c, claims_of[i]->holder);
            if (!passes) return std::unexpected(passes.error());
            holder_passes = std::move(*passes);
            pass = pass_named(holder_passes, *claims_of[i]);
            if (!pass) refusal = domain::PassRefusal::unknown_pass;
          }
          if (pass) {
            auto v = pass_view(tx, c, std::move(*pass), policy->policy, at);
            if (!v) return std::unexpected(v.error());
            view = std::move(*v);
            refusal = view->refusal;
            event.pass_id = view->pass.id;
            event.resident_id = view->holder.resident.id;
            event.building = view->holder.building;
          }
          std::optional<std::int64_t> logged;
          if (q.allow && q.direction == "out") {
            std::optional<std::string_view> conflict;
            if (refusal) conflict = domain::to_code(*refusal);
            if (!conflict) {
              // Exits logged meanwhile, later ones too, count against it: the holder's on every
              // pass (out then), the pass's own (used, quota).
              std::vector<domain::LoggedExit> holder_exits;
              for (const store::PassRow& p : holder_passes) {
                std::ranges::move(logged_exits(p, at), std::back_inserter(holder_exits));
              }
              const store::PassRow& p = view->pass;
              conflict =
                  domain::check_synced_exit(p.kind, logged_exits(p, at), holder_exits, p.quota,
                                            p.period_days, at, queued_return_after(k));
            }
            if (conflict) {
              // Server state wins and the desk follows it up.
              event.conflict = std::string(*conflict);
            } else {
              auto id = log_exit(tx, view->pass, event, by, "gate", at);
              if (!id) return std::unexpected(id.error());
              logged = *id;
            }
          } else if (q.allow && view) {
            // rule: gate.return_closes_exit — back: closes the holder's exit open at that time,
            // on whichever pass it is.
            if (const auto open = open_exit_of(holder_passes, at)) {
              auto id = log_return(tx, open->pass, open->exit, event, by, "gate", at);
              if (!id) return std::unexpected(id.error());
              logged = *id;
              event.pass_id = open->pass.id;
            }
          }
          if (logged) {
            event.decision = "allow";
            event.code = domain::to_code(event.direction == "out" ? domain::GateOutcome::out
                                                                  : domain::GateOutcome::in);
          } else {
            auto id = lift(tx.insert_gate_event(event));
            if (!id) return std::unexpected(id.error());
            logged = *id;
          }
          s.event_id = *logged;
          s.conflict = event.conflict;
          if (auto a = audit(
                  tx, c, by,
                  {"gate.offline_" + event.direction, "gate_event", std::to_string(*logged), "",
                   fmt::format("{}|{}|{}|{}|{}|{}|{}", event.at, event.decision, event.code,
                               event.pass_id, event.resident_id, device, event.conflict),
                   view ? view->pass.policy_version : ""},
                  now);
              !a) {
            return std::unexpected(a.error());
          }
        }
        return synced;
      });
}

Result<GateVerdict> Exits::gate_check(CommunityId c, const GateInput& in, const domain::User& by) {
  const TimePoint now = m_clock();
  std::string token(text::trim(in.token));
  const std::string id_number(text::trim(in.id_number));
  const std::string typed_code(text::trim(in.code));
  if (auto r = checked_direction(in.direction, "direction"); !r) return std::unexpected(r.error());
  if (auto r = checked_one_of(token, id_number, typed_code); !r) {
    return std::unexpected(r.error());
  }
  std::string code;
  if (!typed_code.empty()) {
    auto checked = checked_short_code(typed_code);
    if (!checked) return std::unexpected(checked.error());
    code = std::move(*checked);
  }
  if (in.check_id.size() > kMaxClientIdBytes || in.device.size() > kMaxClientIdBytes ||
      (in.check_id.empty() && !in.device.empty())) {
    return std::unexpected(Error::invalid(
        "check_id: the gate's id for the check, 1 to 64 bytes, with its device",
        {FieldIssue{"check_id", "check_id.invalid", "1 to 64 bytes (device: at most 64)",
                    "核验编号应为 1–64 字节"}}));
  }
  const bool out = in.direction == "out";
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<GateVerdict> {
        if (!in.check_id.empty()) {
          // The same check sent again (its reply was lost): the first answer, applied once.
          auto before = lift(tx.find_gate_event(c, in.device, in.check_id));
          if (!before) return std::unexpected(before.error());
          if (*before) return replayed_check(tx, **before, in.direction);
        }
        store::GateEvent event{c, 0, iso_utc(now), in.direction, "deny",  "",
                               0, 0, "",           by.id,        "online"};
        event.device = in.device;
        event.client_event_id = in.check_id;
        // Who is at the gate: the holder of the scanned pass, or the resident typed in; and
        // every pass of theirs, read once (the scanned one among them).
        std::optional<domain::GateDecision> decision;
        std::optional<store::PassRow> shown;
        std::optional<store::ResidentRow> holder;
        std::vector<store::PassRow> passes;
        // The holder's register row; their passes too, unless the token's check read them.
        const auto read_holder = [&](domain::ResidentId id) -> Result<void> {
          auto row = lift(tx.get_resident(c, id));
          if (!row) return std::unexpected(row.error());
          if (!*row) return std::unexpected(Error::internal("a pass's holder is missing"));
          holder = std::move(**row);
          if (shown) return {};
          auto listed = passes_of_holder(tx, c, id);
          if (!listed) return std::unexpected(listed.error());
          passes = std::move(*listed);
          return {};
        };
        if (!code.empty()) {
          // A typed code stands for its pass's token: checked as if scanned.
          auto found = lift(tx.find_pass_by_short_code(c, code));
          if (!found) return std::unexpected(found.error());
          if (*found) {
            token = std::move((*found)->token);
          } else {
            decision = domain::decision_of(domain::PassRefusal::unknown_pass);
          }
        }
        if (decision) {
          // A code no pass has: nobody to name.
        } else if (!token.empty()) {
          auto claims = verified_claims(tx, c, token);
          if (!claims) return std::unexpected(claims.error());
          if (!*claims) {
            decision = domain::decision_of(claims->error());
          } else {
            auto listed = passes_of_holder(tx, c, (*claims)->holder);
            if (!listed) return std::unexpected(listed.error());
            passes = std::move(*listed);
            shown = pass_named(passes, **claims);
            if (!shown) {
              decision = domain::decision_of(domain::PassRefusal::unknown_pass);
            } else if (auto r = read_holder(shown->holder); !r) {
              return std::unexpected(r.error());
            }
            event.pass_id = shown ? shown->id : 0;
          }
        } else {
          auto found = lift(tx.find_resident_by_id_number(c, id_number));
          if (!found) return std::unexpected(found.error());
          if (!*found || (*found)->removal.removed()) {
            decision = domain::decision_of(domain::GateOutcome::unknown_person);
          } else if (auto r = read_holder((*found)->id); !r) {
            return std::unexpected(r.error());
          }
        }
        std::optional<OpenExit> open;
        std::optional<store::PassRow> chosen;  // the pass going out on
        if (!decision) {
          open = open_exit_of(passes, now);
          domain::GateFacts facts{out, open.has_value(), true, std::nullopt};
          if (out) {
            auto policy = load_policy(tx, c);
            if (!policy) return std::unexpected(policy.error());
            auto tests = tests_of(tx, c, holder->resident.id);
            if (!tests) return std::unexpected(tests.error());
            const HolderFacts facts_of_holder{*holder, std::move(*tests)};
            // The scanned pass, or every pass of theirs that may still be in its window.
            std::vector<store::PassRow> candidates;
            if (shown) {
              candidates.push_back(*shown);
            } else {
              for (const store::PassRow& p : passes) {
                if (p.revoked_at.empty() && time_of(p.valid_until).value_or(now) > now) {
                  candidates.push_back(p);
                }
              }
            }
            facts.has_pass = !candidates.empty();
            for (store::PassRow& row : candidates) {
              auto view = pass_view(tx, c, std::move(row), facts_of_holder, policy->policy, now);
              if (!view) return std::unexpected(view.error());
              if (!view->refusal) {
                chosen = std::move(view->pass);
                facts.refusal.reset();
                break;
              }
              if (!facts.refusal) {
                facts.refusal = view->refusal;
                event.pass_id = view->pass.id;  // the register names the pass refused
              }
            }
          }
          if (open && !shown) event.pass_id = open->pass.id;  // typed ID: the pass they are out on
          decision = domain::decide_gate(facts);
        }
        GateVerdict v;
        v.allow = decision->allow;
        v.code = decision->code;
        v.message_zh = decision->label_zh;
        v.message_en = decision->label_en;
        if (holder) {
          v.name = holder->resident.name;
          v.building = holder->building;
          v.room = holder->room;
          v.masked_id_number = domain::mask_id_number(holder->resident.id_number);
          v.holder = holder->resident.id;
          event.resident_id = holder->resident.id;
          event.building = holder->building;
        }
        event.decision = v.allow ? "allow" : "deny";
        event.code = v.code;
        Result<std::int64_t> id = 0;
        if (v.allow && out) {
          id = log_exit(tx, *chosen, event, by, "gate", now);
          event.pass_id = chosen->id;
        } else if (v.allow && open) {
          // rule: gate.return_closes_exit
          id = log_return(tx, open->pass, open->exit, event, by, "gate", now);
          event.pass_id = open->pass.id;
        } else {
          id = lift(tx.insert_gate_event(event));
        }
        if (!id) return std::unexpected(id.error());
        v.event_id = *id;
        v.pass_id = event.pass_id;
        if (auto a = audit(tx, c, by,
                           {"gate." + event.direction, "gate_event", std::to_string(*id), "",
                            fmt::format("{}|{}|{}|{}", event.decision, event.code, event.pass_id,
                                        event.resident_id),
                            ""},
                           now);
            !a) {
          return std::unexpected(a.error());
        }
        return v;
      });
}

Result<store::GateEvent> Exits::follow_up_gate_conflict(CommunityId c, std::int64_t event_id,
                                                        std::string_view note,
                                                        const domain::User& by) {
  if (!is_desk(by.role)) {
    return std::unexpected(Error::invalid("only the desk follows up gate conflicts"));
  }
  auto text = checked_text("note", note, kMaxReasonBytes, true);
  if (!text) return std::unexpected(text.error());
  const TimePoint now = m_clock();
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<store::GateEvent> {
        auto found = lift(tx.get_gate_event(c, event_id));
        if (!found) return std::unexpected(found.error());
        if (!*found) {
          return std::unexpected(Error::not_found(fmt::format("no gate event {}", event_id)));
        }
        store::GateEvent e = std::move(**found);
        if (e.conflict.empty()) {
          return std::unexpected(
              Error::conflict(fmt::format("gate event {} has no conflict to follow up", event_id)));
        }
        if (!e.followed_up_at.empty()) {
          return std::unexpected(Error::conflict(fmt::format(
              "gate event {} was followed up already at {}", event_id, e.followed_up_at)));
        }
        e.followed_up_at = iso_utc(now);
        e.followed_up_by = by.id;
        e.follow_up_note = *text;
        if (auto r = lift(tx.follow_up_gate_event(e)); !r) return std::unexpected(r.error());
        if (auto a = audit(tx, c, by,
                           {"gate.follow_up", "gate_event", std::to_string(event_id), "",
                            e.conflict + "|" + e.follow_up_note, ""},
                           now);
            !a) {
          return std::unexpected(a.error());
        }
        return e;
      });
}

Result<std::vector<store::GateEvent>> Exits::gate_events(std::string_view day,
                                                         store::GateEventQuery q,
                                                         std::string_view state) {
  if (!q.building.empty()) q.building = domain::normalize_building_name(q.building);
  if (!day.empty()) {
    const auto start = day_start(day);
    if (!start) return std::unexpected(start.error());
    q.from = iso_utc(*start);
    q.to = iso_utc(*start + std::chrono::days{1});
  }
  if (state.empty()) {
    return in_transaction(m_store, store::TxMode::read,
                          [&](store::Transaction& tx) { return lift(tx.list_gate_events(q)); });
  }
  if (state != "out_now" && state != "back_today" && state != "overdue") {
    return std::unexpected(Error::invalid(
        "state: out_now, back_today or overdue",
        {FieldIssue{"state", "state.invalid", "out_now, back_today or overdue",
                    "应为 out_now（外出中）、back_today（今日返回）或 overdue（逾期未归）"}}));
  }
  // The gate's records of the exits the pass board lists: an exit still open (out now,
  // overdue) is the allowed `out` at its time; a return today, the allowed `in` at its time.
  // Which exits those are shows in the passes' rows alone: the board's views (tests, quotas,
  // paperwork) are not needed for it.
  const TimePoint now = m_clock();
  const bool back = state == "back_today";
  const auto listed = [&](const store::PassRow& p) {
    const domain::ReturnState s = return_state_of(p, now);
    if (back) return s == domain::ReturnState::returned && back_today(p, now);
    if (state == "overdue") return s == domain::ReturnState::overdue;
    return s == domain::ReturnState::out || s == domain::ReturnState::overdue ||
           s == domain::ReturnState::not_required;
  };
  const std::size_t limit = q.limit;
  return in_transaction(
      m_store, store::TxMode::read,
      [&](store::Transaction& tx) -> Result<std::vector<store::GateEvent>> {
        std::set<std::pair<std::int64_t, std::string>> wanted;
        auto scanned = for_each_pass(tx, {q.community_id}, [&](store::PassRow p) -> Result<void> {
          if (!p.exits.empty() && listed(p)) {
            const store::PassExit& e = p.exits.back();
            wanted.emplace(p.id, back ? e.returned_at : e.exited_at);
          }
          return {};
        });
        if (!scanned) return std::unexpected(scanned.error());
        std::vector<store::GateEvent> out;
        if (wanted.empty()) return out;
        // The register is read only from the earliest listed exit (or return) on, not whole:
        // on a register of months, an empty or short list costs next to nothing.
        const std::string& earliest =
            std::min_element(wanted.begin(), wanted.end(), [](const auto& a, const auto& b) {
              return a.second < b.second;
            })->second;
        if (q.from < earliest) q.from = earliest;
        q.direction = back ? "in" : "out";
        q.decision = "allow";
        q.limit = 500;
        for (;;) {
          auto page = lift(tx.list_gate_events(q));
          if (!page) return std::unexpected(page.error());
          for (store::GateEvent& e : *page) {
            q.after = e.id;
            if (e.conflict.empty() && wanted.contains({e.pass_id, e.at})) {
              out.push_back(std::move(e));
              if (out.size() == limit) return out;
            }
          }
          if (page->size() < q.limit) return out;
        }
      });
}

std::string_view register_source_zh(std::string_view source) {
  if (source == "offline") return "离线";
  if (source == "desk") return "居委登记";
  if (source == "resident") return "居民报备";
  return "在线";
}

Result<std::vector<RegisterLine>> Exits::register_lines(std::string_view day,
                                                        store::GateEventQuery q,
                                                        std::string_view state) {
  auto events = gate_events(day, q, state);
  if (!events) return std::unexpected(events.error());
  return in_transaction(
      m_store, store::TxMode::read,
      [&](store::Transaction& tx) -> Result<std::vector<RegisterLine>> {
        auto policy = load_policy(tx, q.community_id);
        if (!policy) return std::unexpected(policy.error());
        std::map<domain::ResidentId, std::optional<store::ResidentRow>> residents;
        std::map<std::int64_t, std::string> passes;
        // A resident's row, read once; nullptr for no such resident.
        const auto resident = [&](domain::ResidentId id) -> Result<const store::ResidentRow*> {
          auto it = residents.find(id);
          if (it == residents.end()) {
            auto row = lift(tx.get_resident(q.community_id, id));
            if (!row) return std::unexpected(row.error());
            it = residents.emplace(id, std::move(*row)).first;
          }
          return it->second ? &*it->second : nullptr;
        };
        std::vector<RegisterLine> lines;
        lines.reserve(events->size());
        for (store::GateEvent& e : *events) {
          RegisterLine line;
          if (e.resident_id != 0) {
            auto row = resident(e.resident_id);
            if (!row) return std::unexpected(row.error());
            line.resident = *row ? resident_name_zh(**row) : std::to_string(e.resident_id);
          }
          if (e.pass_id != 0) {
            auto named = passes.find(e.pass_id);
            if (named == passes.end()) {
              auto pass = lift(tx.get_pass(q.community_id, e.pass_id));
              if (!pass) return std::unexpected(pass.error());
              std::string name = std::to_string(e.pass_id);
              if (*pass) {
                auto holder = resident((*pass)->holder);
                if (!holder) return std::unexpected(holder.error());
                name = pass_name_zh(
                    **pass, *holder ? (*holder)->resident.name : std::to_string((*pass)->holder),
                    policy->policy);
              }
              named = passes.emplace(e.pass_id, std::move(name)).first;
            }
            line.pass = named->second;
          }
          line.event = std::move(e);
          lines.push_back(std::move(line));
        }
        return lines;
      });
}

Result<std::string> Exits::gate_events_csv(std::string_view day, store::GateEventQuery q,
                                           std::string_view state) {
  q.limit = 1'000'000;
  auto lines = register_lines(day, q, state);
  if (!lines) return std::unexpected(lines.error());
  std::ostringstream out;
  text::EncodingWriter encoder(out, text::Encoding::utf8_bom);
  text::CsvWriter csv(encoder);
  csv.write_row({"时间", "方向", "结果", "代码", "说明", "出入证", "居民", "楼栋", "来源", "备注",
                 "冲突", "跟进"});
  const auto source_text = [](const store::GateEvent& e) {
    const std::string_view label = register_source_zh(e.source);
    return e.source == "offline" ? fmt::format("{}（{}）", label, e.device) : std::string(label);
  };
  for (const RegisterLine& line : *lines) {
    const store::GateEvent& e = line.event;
    const auto at = parse_iso_utc(e.at);
    csv.write_row({at ? domain::local_date_time(*at, kShanghaiOffset) : e.at,
                   e.direction == "out" ? "出" : "进", e.decision == "allow" ? "放行" : "禁止",
                   e.code, std::string(domain::gate_label_zh(e.code)), line.pass, line.resident,
                   e.building, source_text(e), e.note,
                   e.conflict.empty()
                       ? ""
                       : fmt::format("{}（{}）", domain::gate_label_zh(e.conflict), e.conflict),
                   e.follow_up_note});
  }
  encoder.finish();
  return out.str();
}

}  // namespace juwei::service
