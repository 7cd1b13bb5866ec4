#include "service/exits.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>

#include "domain/id_number.hpp"
#include "domain/short_code.hpp"
#include "render/pdf.hpp"
#include "render/qr.hpp"
#include "service/audit.hpp"
#include "service/digest.hpp"
#include "service/files.hpp"
#include "service/input.hpp"
#include "service/pass_view.hpp"
#include "service/policy_file.hpp"
#include "service/resident_access.hpp"
#include "service/transaction.hpp"
#include "text/csv.hpp"
#include "text/encoding.hpp"

namespace juwei::service {

using domain::CommunityId;
using domain::ResidentId;
using domain::Role;

std::filesystem::path proof_path(const std::filesystem::path& folder, std::string_view digest) {
  return folder / "proofs" / std::string(digest.substr(0, 2)) / std::string(digest);
}

namespace {

constexpr std::size_t kMaxDestinationBytes = 200;
constexpr std::size_t kMaxNoteBytes = 1000;
constexpr std::size_t kMaxFilenameBytes = 200;
constexpr std::string_view kStatusOpen = "open";

Error hidden_request(std::int64_t id) {
  return Error::not_found(fmt::format("no exit request {}", id));
}

Result<store::ResidentRow> live_resident(store::Transaction& tx, CommunityId c, ResidentId id) {
  auto row = lift(tx.get_resident(c, id));
  if (!row) return std::unexpected(row.error());
  if (!*row || (*row)->resident.removal.removed()) {
    return std::unexpected(Error::not_found(fmt::format("no resident {}", id)));
  }
  return std::move(**row);
}

// The status a building's history ends on; none when never set.
std::optional<domain::ZoneStatus> current_status(std::span<const domain::StatusSince> history) {
  if (history.empty()) return std::nullopt;
  return history.back().status;
}

// The status of the building a household lives in; none when never set.
Result<std::optional<domain::ZoneStatus>> building_status(store::Transaction& tx, CommunityId c,
                                                          domain::HouseholdId household) {
  auto history = building_history(tx, c, household);
  if (!history) return std::unexpected(history.error());
  return current_status(*history);
}

Result<store::ExitRequest> visible_request(store::Transaction& tx, CommunityId c, std::int64_t id,
                                           const domain::User& viewer) {
  auto request = lift(tx.get_exit_request(c, id));
  if (!request) return std::unexpected(request.error());
  if (!*request) return std::unexpected(hidden_request(id));
  if (!may_see(tx, c, (*request)->resident_id, viewer)) return std::unexpected(hidden_request(id));
  return std::move(**request);
}

// The resident a request is for.
Result<store::ResidentRow> resident_of(store::Transaction& tx, CommunityId c,
                                       const store::ExitRequest& request) {
  auto row = lift(tx.get_resident(c, request.resident_id));
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::unexpected(Error::internal("a request's resident is missing"));
  return std::move(**row);
}

// The decision aid for `request`, whose resident (`row`) the caller has read already.
// Whether a screening round of today (community time) covers the household's building: the
// decision aid says to join it, or, without one, to arrange a swab.
Result<bool> has_round_today(store::Transaction& tx, CommunityId c, domain::HouseholdId household,
                             TimePoint now) {
  auto h = lift(tx.get_household(c, household));
  if (!h) return std::unexpected(h.error());
  auto rounds = lift(tx.list_rounds(c));
  if (!rounds) return std::unexpected(rounds.error());
  const std::string today = domain::format_date(local_date(now));
  return std::ranges::any_of(*rounds, [&](const store::ScreeningRound& r) {
    return r.day == today &&
           (r.buildings.empty() ||
            (*h && std::ranges::find(r.buildings, (*h)->building_id) != r.buildings.end()));
  });
}

Result<domain::ExitAssessment> assess(store::Transaction& tx, CommunityId c,
                                      const store::ExitRequest& request,
                                      const store::ResidentRow& row,
                                      const domain::ExitPolicy& policy, TimePoint now) {
  auto status = building_status(tx, c, row.resident.household_id);
  if (!status) return std::unexpected(status.error());
  auto history = tests_of(tx, c, request.resident_id);
  if (!history) return std::unexpected(history.error());
  auto proofs = lift(tx.list_proofs(c, request.id));
  if (!proofs) return std::unexpected(proofs.error());
  auto pledge = lift(tx.get_pledge(c, request.id));
  if (!pledge) return std::unexpected(pledge.error());
  const bool has_proof =
      std::ranges::any_of(*proofs, [](const store::Proof& p) { return p.kind == "proof"; });
  const domain::ExitRequestFacts facts{request.reason, time_of(request.planned_exit).value_or(now),
                                       time_of(request.planned_return), has_proof,
                                       pledge->has_value()};
  auto round_today = has_round_today(tx, c, row.resident.household_id, now);
  if (!round_today) return std::unexpected(round_today.error());
  return domain::assess_exit(facts, {!row.resident.removal.removed(), *status, *round_today},
                             *history, policy, now, kShanghaiOffset);
}

Result<RequestView> view_of(store::Transaction& tx, CommunityId c, store::ExitRequest request,
                            TimePoint now) {
  RequestView v;
  auto policy = load_policy(tx, c);
  if (!policy) return std::unexpected(policy.error());
  auto row = resident_of(tx, c, request);
  if (!row) return std::unexpected(row.error());
  v.resident = std::move(*row);
  auto proofs = lift(tx.list_proofs(c, request.id));
  if (!proofs) return std::unexpected(proofs.error());
  v.proofs = std::move(*proofs);
  auto pledge = lift(tx.get_pledge(c, request.id));
  if (!pledge) return std::unexpected(pledge.error());
  v.pledge = std::move(*pledge);
  auto decisions = lift(tx.list_decisions(c, request.id));
  if (!decisions) return std::unexpected(decisions.error());
  v.decisions = std::move(*decisions);
  for (const store::Decision& d : v.decisions) {
    if (d.decided_by == kOperator || v.deciders.contains(d.decided_by)) continue;
    auto user = lift(tx.get_user(c, d.decided_by));
    if (!user) return std::unexpected(user.error());
    if (*user) v.deciders.emplace(d.decided_by, (*user)->user.username);
  }
  auto pass = lift(tx.find_pass_of_request(c, request.id));
  if (!pass) return std::unexpected(pass.error());
  v.pass = std::move(*pass);
  auto assessment = assess(tx, c, request, v.resident, policy->policy, now);
  if (!assessment) return std::unexpected(assessment.error());
  v.assessment = std::move(*assessment);
  v.request = std::move(request);
  return v;
}

// Writes `bytes` under their digest, durably; true when this call wrote them (false: they were
// there already, for another proof).
Result<bool> store_content(const std::filesystem::path& folder, std::string_view digest,
                           std::string_view bytes) {
  const std::filesystem::path path = proof_path(folder, digest);
  const std::filesystem::path dir = path.parent_path();
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return false;
  std::filesystem::create_directories(dir, ec);
  if (ec) return std::unexpected(Error::internal("cannot create " + dir.string()));
  const std::filesystem::path temp = dir / (std::string(digest) + ".part");
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected(Error::internal("cannot write " + temp.string()));
  std::size_t done = 0;
  bool ok = true;
  while (ok && done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    std::filesystem::remove(temp, ec);
    return std::unexpected(Error::internal("cannot write " + temp.string()));
  }
  std::filesystem::rename(temp, path, ec);
  if (ec) return std::unexpected(Error::internal("cannot store " + path.string()));
  return true;
}

// An upload's use case: `use_case(tx, keep)` runs in a write transaction and calls `keep()` to
// write the file only once its access checks have passed (nothing is written for a request one
// may not see, or that does not exist), before the row that points at it. If the use case fails
// after `keep()` wrote the file, the file is removed again: a failed request leaves nothing in
// the data folder. Uploads take turns in this process, so a file another upload of the same bytes
// is about to point at is never removed under it.
std::mutex g_uploads;  // one upload's write-and-cleanup at a time, whatever it uploads

template <typename T, typename UseCase>
Result<T> with_content(store::Store& store, CommunityId c, const std::filesystem::path& folder,
                       std::string_view digest, std::string_view bytes, UseCase use_case) {
  std::lock_guard lock(g_uploads);
  bool written = false;
  const auto keep = [&]() -> Result<void> {
    auto stored = store_content(folder, digest, bytes);
    if (!stored) return std::unexpected(stored.error());
    written = written || *stored;
    return {};
  };
  auto result =
      in_community(store, c, [&](store::Transaction& tx) -> Result<T> { return use_case(tx, keep); });
  if (!result && written) {
    std::error_code ec;
    std::filesystem::remove(proof_path(folder, digest), ec);
  }
  return result;
}

std::string fill_template(std::string_view text, const store::ExitRequest& request,
                          const store::ResidentRow& resident, const domain::ExitPolicy& policy) {
  const domain::ExitReason* reason = policy.reason(request.reason);
  const auto local = [](std::string_view iso) {
    const auto t = time_of(iso);
    return t ? domain::local_minute(*t, kShanghaiOffset) : std::string("—");
  };
  const std::pair<std::string_view, std::string> fields[] = {
      {"{name}", resident.resident.name},
      {"{id_number}", resident.resident.id_number},
      {"{building}", resident.building},
      {"{room}", resident.room},
      {"{destination}", request.destination},
      {"{reason}", reason ? reason->label_zh : request.reason},
      {"{exit}", local(request.planned_exit)},
      {"{return}", local(request.planned_return)},
  };
  std::string out;
  while (!text.empty()) {
    bool replaced = false;
    for (const auto& [key, value] : fields) {
      if (text.starts_with(key)) {
        out += value;
        text.remove_prefix(key.size());
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      out += text.front();
      text.remove_prefix(1);
    }
  }
  return out;
}

// Stores a request's pledge with its audit record: the first one only, a signed pledge is final.
Result<store::Pledge> keep_pledge(store::Transaction& tx, const store::Pledge& p,
                                  const domain::User& by, const std::string& policy_version,
                                  TimePoint now) {
  auto existing = lift(tx.get_pledge(p.community_id, p.request_id));
  if (!existing) return std::unexpected(existing.error());
  if (*existing) {
    return std::unexpected(
        Error::conflict(fmt::format("request {} has a signed pledge already", p.request_id)));
  }
  if (auto r = lift(tx.insert_pledge(p)); !r) return std::unexpected(r.error());
  if (auto a = audit(
          tx, p.community_id, by,
          {"pledge." + p.method, "pledge", std::to_string(p.request_id), "",
           p.text + "|" + p.signed_name + "|" + std::to_string(p.photo_proof_id), policy_version},
          now);
      !a) {
    return std::unexpected(a.error());
  }
  return p;
}

// A pass as the audit trail digests it.
std::string pass_text(const store::PassRow& p) {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", p.id, domain::to_code(p.kind),
                     p.request_id, p.holder, p.valid_from, p.valid_until, p.return_by, p.emergency,
                     p.override_rules, p.token, p.revoked_at, p.revoke_reason, p.short_code);
}

// A short code no pass of the community has: 35 random bits, drawn again on the rare clash.
Result<std::string> new_short_code(store::Transaction& tx, CommunityId c) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::uint64_t bits = 0;
    randombytes_buf(&bits, sizeof bits);
    std::string code = domain::make_short_code(bits);
    auto taken = lift(tx.find_pass_by_short_code(c, code));
    if (!taken) return std::unexpected(taken.error());
    if (!*taken) return code;
  }
  return std::unexpected(Error::internal("no free pass short code after 8 draws"));
}

// Signs a new pass and stores its token, with a short code of its own.
Result<store::PassRow> issue_pass(store::Transaction& tx, PassKeys& keys, store::PassRow pass,
                                  const domain::User& by, TimePoint now) {
  auto code = new_short_code(tx, pass.community_id);
  if (!code) return std::unexpected(code.error());
  pass.short_code = std::move(*code);
  auto id = lift(tx.insert_pass(pass));
  if (!id) return std::unexpected(id.error());
  pass.id = *id;
  domain::PassClaims claims{0,
                            pass.community_id,
                            pass.id,
                            pass.holder,
                            pass.kind,
                            pass.emergency,
                            time_of(pass.valid_from).value_or(now),
                            time_of(pass.valid_until).value_or(now)};
  auto token = keys.sign(tx, claims, now);
  if (!token) return std::unexpected(token.error());
  pass.key_id = claims.key_id;
  pass.token = std::move(*token);
  if (auto r = lift(tx.set_pass_token(pass.community_id, pass.id, pass.key_id, pass.token)); !r) {
    return std::unexpected(r.error());
  }
  if (auto a = audit(
          tx, pass.community_id, by,
          {"pass.issue", "pass", std::to_string(pass.id), "", pass_text(pass), pass.policy_version},
          now);
      !a) {
    return std::unexpected(a.error());
  }
  return pass;
}

}  // namespace

std::string_view proof_type_of(std::string_view bytes) {
  if (bytes.starts_with("%PDF-")) return "application/pdf";
  if (bytes.starts_with("\xFF\xD8\xFF")) return "image/jpeg";
  if (bytes.starts_with("\x89PNG\r\n\x1A\n")) return "image/png";
  return {};
}

Exits::Exits(store::Store& store, Clock clock, std::filesystem::path data_folder)
    : m_store(store),
      m_clock(std::move(clock)),
      m_folder(std::move(data_folder)),
      m_keys(m_folder / "keys") {}

Result<PolicyInForce> Exits::policy(CommunityId c) {
  return in_transaction(m_store, store::TxMode::read,
                        [&](store::Transaction& tx) { return load_policy(tx, c); });
}

Result<store::PolicyVersion> Exits::set_policy(CommunityId c, std::string_view toml,
                                               const domain::User& by) {
  auto parsed = parse_policy(toml);
  if (!parsed) return std::unexpected(parsed.error());
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<store::PolicyVersion> {
        store::PolicyVersion v{
            c, 0, parsed->version, std::string(toml), iso_utc(m_clock()), by.id, blake2b_hex(toml)};
        auto id = lift(tx.insert_policy(v));
        if (!id) return std::unexpected(id.error());
        v.id = *id;
        if (auto a = audit(tx, c, by,
                           {"policy.set", "policy", std::to_string(v.id), "", v.body, v.version},
                           m_clock());
            !a) {
          return std::unexpected(a.error());
        }
        return v;
      });
}

Result<std::vector<store::PolicyVersion>> Exits::policy_history(CommunityId c) {
  return in_transaction(m_store, store::TxMode::read,
                        [&](store::Transaction& tx) { return lift(tx.list_policies(c)); });
}

Result<store::ExitRequest> Exits::file_request(CommunityId c, const RequestInput& in,
                                               const domain::User& by) {
  const TimePoint now = m_clock();
  std::vector<FieldIssue> issues;
  auto destination = checked_text("destination", in.destination, kMaxDestinationBytes, true);
  if (!destination)
    issues.insert(issues.end(), destination.error().fields.begin(),
                  destination.error().fields.end());
  auto note = checked_text("note", in.note, kMaxNoteBytes, false);
  if (!note) issues.insert(issues.end(), note.error().fields.begin(), note.error().fields.end());
  const auto exit_at = parse_time(text::trim(in.planned_exit));
  if (!exit_at) {
    issues.push_back({"planned_exit", "planned_exit.invalid",
                      "a time, YYYY-MM-DD HH:MM or ISO-8601", "外出时间应为 YYYY-MM-DD HH:MM"});
  }
  std::optional<TimePoint> return_at;
  if (!text::trim(in.planned_return).empty()) {
    return_at = parse_time(text::trim(in.planned_return));
    if (!return_at) {
      issues.push_back({"planned_return", "planned_return.invalid",
                        "a time, YYYY-MM-DD HH:MM or ISO-8601", "返回时间应为 YYYY-MM-DD HH:MM"});
    }
  }
  if (exit_at) {
    for (const domain::PlanProblem p : domain::check_planned_times(*exit_at, return_at, now)) {
      switch (p) {
        case domain::PlanProblem::exit_past:
          issues.push_back(
              {"planned_exit", "planned_exit.past",
               "more than a day ago: a request is for leaving; a past emergency "
               "exit is recorded as an emergency release",
               "外出时间已过去一天以上：出门申请用于将要外出；紧急外出请走紧急放行登记"});
          break;
        case domain::PlanProblem::return_not_after_exit:
          issues.push_back({"planned_return", "planned_return.before_exit",
                            "the return must be after the exit", "返回时间应晚于外出时间"});
          break;
        case domain::PlanProblem::return_past:
          issues.push_back({"planned_return", "planned_return.past",
                            "the return is already past: the holder would be overdue at once",
                            "返回时间已过：外出即逾期，请填写将来的返回时间"});
          break;
      }
    }
  }
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<store::ExitRequest> {
        if (auto seen = may_see(tx, c, in.resident_id, by); !seen) {
          return std::unexpected(seen.error());
        }
        auto policy = load_policy(tx, c);
        if (!policy) return std::unexpected(policy.error());
        if (!policy->policy.reason(text::trim(in.reason))) {
          std::string known;
          for (const auto& r : policy->policy.reasons)
            known += (known.empty() ? "" : ", ") + r.code;
          issues.push_back({"reason", "reason.unknown", "one of: " + known, "事由不在政策中"});
        }
        if (!issues.empty()) return std::unexpected(Error::invalid("invalid exit request", issues));
        store::ExitRequest r{c,
                             0,
                             in.resident_id,
                             std::string(text::trim(in.reason)),
                             *destination,
                             iso_utc(*exit_at),
                             return_at ? iso_utc(*return_at) : "",
                             *note,
                             by.id,
                             by.role == Role::resident ? "resident" : "staff",
                             iso_utc(now),
                             std::string(kStatusOpen)};
        auto id = lift(tx.insert_exit_request(r));
        if (!id) return std::unexpected(id.error());
        r.id = *id;
        if (auto a = audit(tx, c, by,
                           {"exit_request.file", "exit_request", std::to_string(r.id), "",
                            fmt::format("{}|{}|{}|{}|{}|{}", r.resident_id, r.reason, r.destination,
                                        r.planned_exit, r.planned_return, r.note),
                            policy->policy.version},
                           now);
            !a) {
          return std::unexpected(a.error());
        }
        return r;
      });
}

Result<RequestView> Exits::request(CommunityId c, std::int64_t id, const domain::User& viewer) {
  const TimePoint now = m_clock();
  return in_transaction(m_store, store::TxMode::read,
                        [&](store::Transaction& tx) -> Result<RequestView> {
                          auto request = visible_request(tx, c, id, viewer);
                          if (!request) return std::unexpected(request.error());
                          return view_of(tx, c, std::move(*request), now);
                        });
}

namespace {

// The page of requests `viewer` may see: the desk all, a resident their household's.
// The query of the requests `viewer` may see: the desk all, a resident their household's
// (nullopt: a resident with no live record, who sees none).
Result<std::optional<store::ExitRequestQuery>> visible_query(
    store::Transaction& tx, CommunityId c, std::string_view status, const domain::User& viewer,
    std::int64_t after, std::size_t limit, std::optional<domain::BuildingId> building) {
  store::ExitRequestQuery q{c,       std::string(status), std::nullopt, std::nullopt, after, limit,
                            building};
  if (!is_desk(viewer.role)) {
    auto own = live_resident(tx, c, viewer.resident_id);
    if (!own) return std::optional<store::ExitRequestQuery>();
    q.household = own->resident.household_id;
  }
  return q;
}

Result<std::vector<store::ExitRequest>> visible_requests(
    store::Transaction& tx, CommunityId c, std::string_view status, const domain::User& viewer,
    std::int64_t after, std::size_t limit,
    std::optional<domain::BuildingId> building = std::nullopt) {
  auto q = visible_query(tx, c, status, viewer, after, limit, building);
  if (!q) return std::unexpected(q.error());
  if (!*q) return std::vector<store::ExitRequest>{};
  return lift(tx.list_exit_requests(**q));
}

}  // namespace

Result<std::vector<store::ExitRequest>> Exits::requests(CommunityId c, std::string_view status,
                                                        const domain::User& viewer,
                                                        std::int64_t after, std::size_t limit) {
  return in_transaction(m_store, store::TxMode::read, [&](store::Transaction& tx) {
    return visible_requests(tx, c, status, viewer, after, limit);
  });
}

Result<store::ExitRequestCounts> Exits::request_counts(CommunityId c, const domain::User& viewer,
                                                       std::optional<domain::BuildingId> building) {
  return in_transaction(m_store, store::TxMode::read,
                        [&](store::Transaction& tx) -> Result<store::ExitRequestCounts> {
                          auto q = visible_query(tx, c, "", viewer, 0, 0, building);
                          if (!q) return std::unexpected(q.error());
                          if (!*q) return store::ExitRequestCounts{};
                          return lift(tx.count_exit_requests(**q));
                        });
}

Result<std::vector<RequestListItem>> Exits::request_list(
    CommunityId c, std::string_view status, const domain::User& viewer, std::int64_t after,
    std::size_t limit, std::optional<domain::BuildingId> building) {
  const TimePoint now = m_clock();
  return in_transaction(
      m_store, store::TxMode::read,
      [&](store::Transaction& tx) -> Result<std::vector<RequestListItem>> {
        auto requests = visible_requests(tx, c, status, viewer, after, limit, building);
        if (!requests) return std::unexpected(requests.error());
        auto policy = load_policy(tx, c);
        if (!policy) return std::unexpected(policy.error());
        std::vector<RequestListItem> items;
        items.reserve(requests->size());
        for (store::ExitRequest& request : *requests) {
          auto row = resident_of(tx, c, request);
          if (!row) return std::unexpected(row.error());
          auto assessment = assess(tx, c, request, *row, policy->policy, now);
          if (!assessment) return std::unexpected(assessment.error());
          items.push_back({std::move(request), std::move(*row), std::move(*assessment)});
        }
        return items;
      });
}

Result<store::Proof> Exits::add_proof(CommunityId c, std::int64_t request_id, const ProofInput& in,
                                      const domain::User& by) {
  const std::string_view type = proof_type_of(in.bytes);
  if (type.empty() || in.bytes.size() > kMaxProofBytes) {
    return std::unexpected(Error::invalid(
        "a proof is a PDF, JPEG or PNG file of at most 10 MiB",
        {FieldIssue{"file", "file.invalid", "a PDF, JPEG or PNG file of at most 10 MiB",
                    "证明应为 PDF、JPEG 或 PNG 文件，不超过 10 MiB"}}));
  }
  auto filename = checked_text("filename", in.filename, kMaxFilenameBytes, false);
  if (!filename) return std::unexpected(filename.error());
  const std::string digest = blake2b_hex(in.bytes);
  return with_content<store::Proof>(
      m_store, c, m_folder, digest, in.bytes,
      [&](store::Transaction& tx, const auto& keep) -> Result<store::Proof> {
        auto request = visible_request(tx, c, request_id, by);
        if (!request) return std::unexpected(request.error());
        if (request->status != "open" && request->status != "released") {
          return std::unexpected(Error::conflict(fmt::format(
              "request {} is {}: it takes no more proofs", request_id, request->status)));
        }
        // The file before the row: a row never points at missing bytes.
        if (auto kept = keep(); !kept) return std::unexpected(kept.error());
        store::Proof p{c,
                       0,
                       request_id,
                       "proof",
                       digest,
                       std::string(type),
                       static_cast<std::int64_t>(in.bytes.size()),
                       *filename,
                       by.id,
                       iso_utc(m_clock())};
        auto id = lift(tx.insert_proof(p));
        if (!id) return std::unexpected(id.error());
        p.id = *id;
        if (auto a = audit(
                tx, c, by,
                {"proof.add", "proof", std::to_string(p.id), "",
                 fmt::format("{}|{}|{}|{}", p.request_id, p.digest, p.content_type, p.size), ""},
                m_clock());
            !a) {
          return std::unexpected(a.error());
        }
        return p;
      });
}

Result<Exits::File> Exits::proof_file(CommunityId c, std::int64_t proof_id,
                                      const domain::User& viewer) {
  auto proof = in_transaction(
      m_store, store::TxMode::read, [&](store::Transaction& tx) -> Result<store::Proof> {
        auto p = lift(tx.get_proof(c, proof_id));
        if (!p) return std::unexpected(p.error());
        const Error hidden = Error::not_found(fmt::format("no proof {}", proof_id));
        if (!*p) return std::unexpected(hidden);
        if (!visible_request(tx, c, (*p)->request_id, viewer)) return std::unexpected(hidden);
        return std::move(**p);
      });
  if (!proof) return std::unexpected(proof.error());
  std::string bytes = read_file(proof_path(m_folder, proof->digest));
  if (blake2b_hex(bytes) != proof->digest) {
    return std::unexpected(Error::internal(
        fmt::format("proof {} is missing or damaged in the data folder", proof_id)));
  }
  return File{proof->content_type, std::move(bytes)};
}

Result<std::string> Exits::pledge_text(CommunityId c, std::int64_t request_id,
                                       const domain::User& viewer) {
  return in_transaction(
      m_store, store::TxMode::read, [&](store::Transaction& tx) -> Result<std::string> {
        auto request = visible_request(tx, c, request_id, viewer);
        if (!request) return std::unexpected(request.error());
        if (auto pledge = lift(tx.get_pledge(c, request_id)); !pledge) {
          return std::unexpected(pledge.error());
        } else if (*pledge) {
          return (*pledge)->text;
        }
        auto policy = load_policy(tx, c);
        if (!policy) return std::unexpected(policy.error());
        auto resident = lift(tx.get_resident(c, request->resident_id));
        if (!resident) return std::unexpected(resident.error());
        return fill_template(policy->policy.pledge_template, *request, **resident, policy->policy);
      });
}

Result<store::Pledge> Exits::sign_pledge(CommunityId c, std::int64_t request_id,
                                         std::string_view typed_name, bool consent,
                                         const domain::User& by) {
  if (by.role != Role::resident) {
    return std::unexpected(Error::invalid(
        "a typed signature is the resident's own; staff record a paper pledge by its photo"));
  }
  if (!consent) {
    return std::unexpected(Error::invalid(
        "the pledge needs consent",
        {FieldIssue{"consent", "consent.missing", "tick that you have read and agree",
                    "请勾选已阅读并同意承诺书"}}));
  }
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<store::Pledge> {
        auto request = visible_request(tx, c, request_id, by);
        if (!request) return std::unexpected(request.error());
        auto resident = lift(tx.get_resident(c, request->resident_id));
        if (!resident) return std::unexpected(resident.error());
        if (text::trim(typed_name) != (*resident)->resident.name) {
          return std::unexpected(
              Error::invalid("the typed name must be the resident's name",
                             {FieldIssue{"signed_name", "signed_name.mismatch",
                                         "type the name of the resident who leaves",
                                         "请输入外出居民本人的姓名"}}));
        }
        auto policy = load_policy(tx, c);
        if (!policy) return std::unexpected(policy.error());
        store::Pledge p{
            c,
            request_id,
            fill_template(policy->policy.pledge_template, *request, **resident, policy->policy),
            "typed",
            (*resident)->resident.name,
            0,
            iso_utc(m_clock()),
            by.id};
        return keep_pledge(tx, p, by, policy->policy.version, m_clock());
      });
}

Result<store::Pledge> Exits::record_paper_pledge(CommunityId c, std::int64_t request_id,
                                                 const ProofInput& photo, const domain::User& by) {
  if (!is_desk(by.role)) {
    return std::unexpected(Error::invalid("paper pledges are recorded by the committee's staff"));
  }
  const std::string_view type = proof_type_of(photo.bytes);
  if (type.empty() || photo.bytes.size() > kMaxProofBytes) {
    return std::unexpected(Error::invalid(
        "the pledge's photo is a JPEG, PNG or PDF of at most 10 MiB",
        {FieldIssue{"file", "file.invalid", "a JPEG, PNG or PDF file of at most 10 MiB",
                    "承诺书照片应为 JPEG、PNG 或 PDF，不超过 10 MiB"}}));
  }
  const std::string digest = blake2b_hex(photo.bytes);
  return with_content<store::Pledge>(
      m_store, c, m_folder, digest, photo.bytes,
      [&](store::Transaction& tx, const auto& keep) -> Result<store::Pledge> {
        auto request = visible_request(tx, c, request_id, by);
        if (!request) return std::unexpected(request.error());
        const std::string now = iso_utc(m_clock());
        auto filename = checked_text("filename", photo.filename, kMaxFilenameBytes, false);
        if (!filename) return std::unexpected(filename.error());
        if (auto kept = keep(); !kept) return std::unexpected(kept.error());
        store::Proof proof{c,
                           0,
                           request_id,
                           "pledge_photo",
                           digest,
                           std::string(type),
                           static_cast<std::int64_t>(photo.bytes.size()),
                           *filename,
                           by.id,
                           now};
        auto proof_id = lift(tx.insert_proof(proof));
        if (!proof_id) return std::unexpected(proof_id.error());
        auto policy = load_policy(tx, c);
        if (!policy) return std::unexpected(policy.error());
        auto resident = lift(tx.get_resident(c, request->resident_id));
        if (!resident) return std::unexpected(resident.error());
        store::Pledge p{
            c,
            request_id,
            fill_template(policy->policy.pledge_template, *request, **resident, policy->policy),
            "paper_photo",
            "",
            *proof_id,
            now,
            by.id};
        return keep_pledge(tx, p, by, policy->policy.version, m_clock());
      });
}

Result<std::string> Exits::pledge_pdf(CommunityId c, std::int64_t request_id,
                                      const domain::User& viewer) {
  auto doc = in_transaction(
      m_store, store::TxMode::read, [&](store::Transaction& tx) -> Result<render::PledgeDoc> {
        auto request = visible_request(tx, c, request_id, viewer);
        if (!request) return std::unexpected(request.error());
        auto policy = load_policy(tx, c);
        if (!policy) return std::unexpected(policy.error());
        auto resident = lift(tx.get_resident(c, request->resident_id));
        if (!resident) return std::unexpected(resident.error());
        auto pledge = lift(tx.get_pledge(c, request_id));
        if (!pledge) return std::unexpected(pledge.error());
        render::PledgeDoc doc;
        doc.title = "出门承诺书";
        if (*pledge) {
          doc.body = (*pledge)->text;
          const auto at = time_of((*pledge)->signed_at);
          doc.signature =
              (*pledge)->method == "typed"
                  ? fmt::format("承诺人：{}（网上签署）    {}", (*pledge)->signed_name,
                                at ? domain::local_minute(*at, kShanghaiOffset) : "")
                  : fmt::format("承诺人：{}（纸质承诺书已拍照存档）", (*resident)->resident.name);
        } else {
          doc.body =
              fill_template(policy->policy.pledge_template, *request, **resident, policy->policy);
        }
        doc.footer = fmt::format("申请编号 {} · 政策版本 {}", request_id, policy->policy.version);
        return doc;
      });
  if (!doc) return std::unexpected(doc.error());
  return render::pledge_pdf(*doc);
}

Result<RequestView> Exits::decide(CommunityId c, std::int64_t request_id, const DecisionInput& in,
                                  const domain::User& by) {
  const TimePoint now = m_clock();
  if (in.approve && by.role != Role::secretary) {
    return std::unexpected(Error::invalid("only the secretary approves exit requests"));
  }
  if (!is_desk(by.role)) return std::unexpected(Error::invalid("only the desk decides requests"));
  std::string reason(text::trim(in.reason));
  if ((!in.approve || in.override_rules) && reason.empty()) {
    return std::unexpected(Error::invalid(
        in.approve ? "an override needs a written reason" : "a denial needs a reason",
        {FieldIssue{"reason", "reason.missing", "write the reason", "请填写理由"}}));
  }
  if (reason.size() > kMaxReasonBytes) {
    return std::unexpected(Error::invalid(
        "the reason is too long",
        {FieldIssue{"reason", "reason.too_long", "at most 500 bytes", "理由最多 500 字节"}}));
  }
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<RequestView> {
        auto request = visible_request(tx, c, request_id, by);
        if (!request) return std::unexpected(request.error());
        if (request->status != kStatusOpen) {
          return std::unexpected(Error::conflict(
              fmt::format("request {} is {} already", request_id, request->status)));
        }
        // rule: pass.window — approved after its planned return, the holder would be overdue
        // the moment they leave: the request is denied and filed again with new times.
        if (const auto back = time_of(request->planned_return);
            in.approve && back && *back <= now) {
          return std::unexpected(Error::invalid(
              "the planned return is past: deny the request and file it again with new times",
              {FieldIssue{"planned_return", "planned_return.past",
                          "the planned return " + request->planned_return + " is past",
                          "计划返回时间已过：请驳回后按新的时间重新申请"}}));
        }
        auto policy = load_policy(tx, c);
        if (!policy) return std::unexpected(policy.error());
        auto row = resident_of(tx, c, *request);
        if (!row) return std::unexpected(row.error());
        auto assessment = assess(tx, c, *request, *row, policy->policy, now);
        if (!assessment) return std::unexpected(assessment.error());
        if (in.approve && !assessment->eligible && !in.override_rules) {
          std::string unmet;
          for (const auto& id : assessment->unmet())
            unmet += (unmet.empty() ? "" : ", ") + id;
          return std::unexpected(Error::invalid(
              "rules unmet: " + unmet + "; approve with override and a written reason, or deny",
              {FieldIssue{"override", "override.required",
                          "rules unmet: " + unmet + " (override with a reason)",
                          "有未满足的条件：如需放行请选择特批并写明理由"}}));
        }
        // An override is only an override when a rule was unmet.
        const bool override_rules = in.approve && !assessment->eligible;
        store::Decision d{c,
                          0,
                          request_id,
                          in.approve ? "approved" : "denied",
                          override_rules,
                          reason,
                          policy->policy.version,
                          assessment->applied(),
                          assessment->unmet(),
                          by.id,
                          iso_utc(now)};
        if (auto id = lift(tx.insert_decision(d)); !id) return std::unexpected(id.error());
        const std::string action = d.override_rules ? "decision.override" : "decision." + d.outcome;
        if (auto a = audit(tx, c, by,
                           {action, "exit_request", std::to_string(request_id), request->status,
                            d.outcome + "|" + d.reason, d.policy_version},
                           now);
            !a) {
          return std::unexpected(a.error());
        }
        if (auto s = lift(tx.set_exit_request_status(c, request_id, d.outcome)); !s) {
          return std::unexpected(s.error());
        }
        request->status = d.outcome;
        if (in.approve) {
          const domain::ExitReason* r = policy->policy.reason(request->reason);
          auto holder = lift(tx.get_resident(c, request->resident_id));
          if (!holder) return std::unexpected(holder.error());
          const domain::PassWindow window = domain::individual_pass_window(
              now, time_of(request->planned_exit).value_or(now), r->pass_valid_for);
          store::PassRow pass;
          pass.community_id = c;
          pass.kind = domain::PassKind::individual;
          pass.request_id = request_id;
          pass.holder = request->resident_id;
          pass.household_id = (*holder)->resident.household_id;
          pass.reason = request->reason;
          pass.destination = request->destination;
          pass.valid_from = iso_utc(window.from);
          pass.valid_until = iso_utc(window.until);
          pass.return_required = r->return_required;
          if (r->return_required) {
            if (auto back = time_of(request->planned_return)) {
              pass.return_by = iso_utc(*back);
            } else if (r->return_within) {
              pass.return_by = iso_utc(window.from + *r->return_within);
            }
          }
          pass.override_rules = override_rules;
          pass.policy_version = policy->policy.version;
          pass.approved_at = iso_utc(now);
          pass.approved_by = by.id;
          auto issued = issue_pass(tx, m_keys, std::move(pass), by, now);
          if (!issued) return std::unexpected(issued.error());
        }
        return view_of(tx, c, std::move(*request), now);
      });
}

Result<RequestView> Exits::release_emergency(CommunityId c, const EmergencyInput& in,
                                             const domain::User& by) {
  const TimePoint now = m_clock();
  if (!is_desk(by.role)) {
    return std::unexpected(Error::invalid("only the committee's staff release emergencies"));
  }
  auto note = checked_text("note", in.note, kMaxNoteBytes, true);
  if (!note) return std::unexpected(note.error());
  auto destination = checked_text("destination", in.destination, kMaxDestinationBytes, true);
  if (!destination) return std::unexpected(destination.error());
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<RequestView> {
        auto resident = live_resident(tx, c, in.resident_id);
        if (!resident) return std::unexpected(resident.error());
        auto policy = load_policy(tx, c);
        if (!policy) return std::unexpected(policy.error());
        const domain::ExitReason* r = policy->policy.reason(text::trim(in.reason));
        if (!r || !r->emergency) {
          std::string known;
          for (const auto& e : policy->policy.reasons) {
            if (e.emergency) known += (known.empty() ? "" : ", ") + e.code;
          }
          return std::unexpected(
              Error::invalid("not an emergency reason of the policy",
                             {FieldIssue{"reason", "reason.not_emergency", "one of: " + known,
                                         "不是绿色通道事由"}}));
        }
        store::ExitRequest request{c,  0,     in.resident_id, r->code, *destination, iso_utc(now),
                                   "", *note, by.id,          "staff", iso_utc(now), "released"};
        auto id = lift(tx.insert_exit_request(request));
        if (!id) return std::unexpected(id.error());
        request.id = *id;
        auto row = resident_of(tx, c, request);
        if (!row) return std::unexpected(row.error());
        auto assessment = assess(tx, c, request, *row, policy->policy, now);
        if (!assessment) return std::unexpected(assessment.error());
        store::Decision d{c,
                          0,
                          request.id,
                          "released",
                          false,
                          *note,
                          policy->policy.version,
                          assessment->applied(),
                          assessment->unmet(),
                          by.id,
                          iso_utc(now)};
        if (auto did = lift(tx.insert_decision(d)); !did) return std::unexpected(did.error());
        if (auto a =
                audit(tx, c, by,
                      {"decision.emergency_release", "exit_request", std::to_string(request.id), "",
                       fmt::format("{}|{}|{}|{}", request.resident_id, request.reason,
                                   request.destination, request.note),
                       d.policy_version},
                      now);
            !a) {
          return std::unexpected(a.error());
        }
        store::PassRow pass;
        pass.community_id = c;
        pass.kind = domain::PassKind::individual;
        pass.request_id = request.id;
        pass.holder = in.resident_id;
        pass.household_id = resident->resident.household_id;
        pass.reason = r->code;
        pass.destination = *destination;
        pass.valid_from = iso_utc(now);
        pass.valid_until = iso_utc(now + r->pass_valid_for);
        pass.return_required = r->return_required;
        if (r->return_required && r->return_within) {
          pass.return_by = iso_utc(now + *r->return_within);
        }
        pass.emergency = true;
        pass.paperwork_due_at = iso_utc(now + r->paperwork_within);
        pass.policy_version = policy->policy.version;
        pass.approved_at = iso_utc(now);
        pass.approved_by = by.id;
        auto issued = issue_pass(tx, m_keys, std::move(pass), by, now);
        if (!issued) return std::unexpected(issued.error());
        return view_of(tx, c, std::move(request), now);
      });
}

Result<PassView> Exits::issue_household_pass(CommunityId c, ResidentId member,
                                             const domain::User& by) {
  const TimePoint now = m_clock();
  if (!is_desk(by.role)) {
    return std::unexpected(Error::invalid("only the committee's staff issue household passes"));
  }
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<PassView> {
        auto resident = live_resident(tx, c, member);
        if (!resident) return std::unexpected(resident.error());
        auto policy = load_policy(tx, c);
        if (!policy) return std::unexpected(policy.error());
        const domain::HouseholdPassPolicy& h = policy->policy.household;
        auto building = building_history(tx, c, resident->resident.household_id);
        if (!building) return std::unexpected(building.error());
        const std::optional<domain::ZoneStatus> status = current_status(*building);
        // rule: household.building_precaution
        if (!domain::household_building_open(status, h)) {
          return std::unexpected(Error::conflict(
              status ? fmt::format("{} is {}: household passes are for precaution buildings "
                                   "(防范区) only (rule household.building_precaution)",
                                   resident->building, domain::to_code(*status))
                     : fmt::format("{} has no status yet and the policy gives household passes "
                                   "only in precaution buildings: set its status first (rule "
                                   "household.building_precaution)",
                                   resident->building)));
        }
        auto open =
            lift(tx.list_passes({c, true, resident->resident.household_id, std::nullopt, 0, 200}));
        if (!open) return std::unexpected(open.error());
        for (const store::PassRow& p : *open) {
          if (p.kind != domain::PassKind::household ||
              time_of(p.valid_until).value_or(now) <= now) {
            continue;
          }
          // A pass its building stopped for good (the policy does not resume) is replaced.
          if (domain::check_household_building(*building, time_of(p.valid_from).value_or(now), now,
                                               h)) {
            continue;
          }
          return std::unexpected(Error::conflict(
              fmt::format("household {} {} has household pass {} already: revoke it first",
                          resident->building, resident->room, p.id)));
        }
        store::PassRow pass;
        pass.community_id = c;
        pass.kind = domain::PassKind::household;
        pass.holder = member;
        pass.household_id = resident->resident.household_id;
        pass.reason = "household";
        pass.valid_from = iso_utc(now);
        pass.valid_until = iso_utc(now + std::chrono::days{h.valid_days});
        pass.return_required = true;
        pass.policy_version = policy->policy.version;
        pass.approved_at = iso_utc(now);
        pass.approved_by = by.id;
        pass.quota = h.quota;
        pass.period_days = h.period_days;
        pass.slots = domain::to_text(h.slots);
        pass.negative_within_hours =
            h.negative_within ? static_cast<int>(h.negative_within->count()) : 0;
        pass.test_age_from = domain::to_code(policy->policy.test_age_from);
        auto issued = issue_pass(tx, m_keys, std::move(pass), by, now);
        if (!issued) return std::unexpected(issued.error());
        return pass_view(tx, c, std::move(*issued), policy->policy, now);
      });
}

Result<PassView> Exits::pass(CommunityId c, std::int64_t id, const domain::User& viewer) {
  const TimePoint now = m_clock();
  return in_transaction(m_store, store::TxMode::read, [&](store::Transaction& tx) {
    return visible_pass(tx, c, id, viewer, now);
  });
}

Result<std::vector<PassView>> Exits::passes(CommunityId c, bool open_only,
                                            const domain::User& viewer) {
  const TimePoint now = m_clock();
  return in_transaction(
      m_store, store::TxMode::read, [&](store::Transaction& tx) -> Result<std::vector<PassView>> {
        store::PassQuery q{c, open_only};
        if (!is_desk(viewer.role)) {
          auto own = live_resident(tx, c, viewer.resident_id);
          if (!own) return std::vector<PassView>{};
          q.household = own->resident.household_id;
        }
        auto policy = load_policy(tx, c);
        if (!policy) return std::unexpected(policy.error());
        std::vector<PassView> out;
        auto listed = for_each_pass(tx, q, [&](store::PassRow row) -> Result<void> {
          auto v = pass_view(tx, c, std::move(row), policy->policy, now);
          if (!v) return std::unexpected(v.error());
          out.push_back(std::move(*v));
          return {};
        });
        if (!listed) return std::unexpected(listed.error());
        return out;
      });
}

Result<PassView> Exits::revoke(CommunityId c, std::int64_t id, std::string_view reason,
                               const domain::User& by) {
  const TimePoint now = m_clock();
  if (!is_desk(by.role)) return std::unexpected(Error::invalid("only the desk revokes passes"));
  auto why = required_reason(reason);
  if (!why) return std::unexpected(why.error());
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<PassView> {
        auto pass = lift(tx.get_pass(c, id));
        if (!pass) return std::unexpected(pass.error());
        if (!*pass) return std::unexpected(hidden_pass(id));
        if (!(*pass)->revoked_at.empty()) {
          return std::unexpected(Error::conflict(fmt::format("pass {} is revoked already", id)));
        }
        if (auto r = lift(tx.revoke_pass(c, id, iso_utc(now), by.id, *why)); !r) {
          return std::unexpected(r.error());
        }
        store::PassRow after = **pass;
        after.revoked_at = iso_utc(now);
        after.revoke_reason = *why;
        if (auto a = audit(tx, c, by,
                           {"pass.revoke", "pass", std::to_string(id), pass_text(**pass),
                            pass_text(after), (*pass)->policy_version},
                           now);
            !a) {
          return std::unexpected(a.error());
        }
        return visible_pass(tx, c, id, by, now);
      });
}

Result<PassView> Exits::record_exit(CommunityId c, std::int64_t id, const domain::User& by,
                                    std::string_view via) {
  const TimePoint now = m_clock();
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<PassView> {
        auto view = visible_pass(tx, c, id, by, now);
        if (!view) return std::unexpected(view.error());
        // rule: gate.one_open_exit
        auto open = holder_open_exit(tx, c, view->pass.holder, now);
        if (!open) return std::unexpected(open.error());
        if (*open) {
          return std::unexpected(Error::conflict(fmt::format(
              "the holder of pass {} is out on pass {} since {} ({}): record that return first", id,
              (*open)->pass.id, (*open)->exit.exited_at,
              domain::to_code(domain::GateOutcome::already_out))));
        }
        const std::optional<domain::PassRefusal> refusal = view->refusal;
        if (refusal) {
          return std::unexpected(Error::conflict(
              fmt::format("pass {} does not let its holder out: {} ({})", id,
                          domain::to_label_en(*refusal), domain::to_code(*refusal))));
        }
        auto event =
            log_exit(tx, view->pass, register_event(c, view->holder, by, "desk"), by, via, now);
        if (!event) return std::unexpected(event.error());
        if (auto a = audit(tx, c, by,
                           {"pass.exit", "pass", std::to_string(id), "",
                            iso_utc(now) + "|" + std::string(via), view->pass.policy_version},
                           now);
            !a) {
          return std::unexpected(a.error());
        }
        return visible_pass(tx, c, id, by, now);
      });
}

Result<PassView> Exits::check_in(CommunityId c, std::int64_t id, const domain::User& by,
                                 std::string_view reason) {
  const TimePoint now = m_clock();
  const bool desk = is_desk(by.role);
  // The desk records a return the gate did not see: why, in a line (a resident reports their
  // own return, 我已返回, without one).
  std::string note(text::trim(reason));
  if (desk) {
    auto why = required_reason(reason);
    if (!why) return std::unexpected(why.error());
    note = *why;
  } else if (note.size() > kMaxReasonBytes) {
    return std::unexpected(Error::invalid(
        "the reason is too long",
        {FieldIssue{"reason", "reason.too_long", "at most 500 bytes", "理由最多 500 字节"}}));
  }
  return in_community(m_store, c, [&](store::Transaction& tx) -> Result<PassView> {
        auto view = visible_pass(tx, c, id, by, now);
        if (!view) return std::unexpected(view.error());
        if (view->pass.exits.empty() || !view->pass.exits.back().returned_at.empty()) {
          return std::unexpected(
              Error::conflict(fmt::format("the holder of pass {} is not out", id)));
        }
        store::GateEvent event = register_event(c, view->holder, by, desk ? "desk" : "resident");
        event.note = note;
        const std::string via = desk ? "staff" : "resident";
        const store::PassExit& exit = view->pass.exits.back();
        auto logged = log_return(tx, view->pass, exit, event, by, via, now);
        if (!logged) return std::unexpected(logged.error());
        if (auto a = audit(tx, c, by,
                           {"pass.return", "pass", std::to_string(id), exit.exited_at,
                            iso_utc(now) + "|" + via + "|" + note, view->pass.policy_version},
                           now);
            !a) {
          return std::unexpected(a.error());
        }
        return visible_pass(tx, c, id, by, now);
      });
}

Result<std::vector<PassView>> Exits::building_household_passes(CommunityId c,
                                                               domain::BuildingId building) {
  const TimePoint now = m_clock();
  return in_transaction(
      m_store, store::TxMode::read, [&](store::Transaction& tx) -> Result<std::vector<PassView>> {
        auto policy = load_policy(tx, c);
        if (!policy) return std::unexpected(policy.error());
        std::vector<PassView> out;
        domain::HouseholdId after = 0;
        constexpr std::size_t kPage = 500;
        for (;;) {
          auto households = lift(tx.list_households(c, building, after, kPage));
          if (!households) return std::unexpected(households.error());
          for (const domain::Household& h : *households) {
            after = h.id;
            auto listed = for_each_pass(
                tx, {c, true, h.id, std::nullopt}, [&](store::PassRow row) -> Result<void> {
                  if (row.kind != domain::PassKind::household ||
                      time_of(row.valid_until).value_or(now) <= now) {
                    return {};
                  }
                  auto v = pass_view(tx, c, std::move(row), policy->policy, now);
                  if (!v) return std::unexpected(v.error());
                  out.push_back(std::move(*v));
                  return {};
                });
            if (!listed) return std::unexpected(listed.error());
          }
          if (households->size() < kPage) return out;
        }
      });
}

Result<PassBoard> Exits::board(CommunityId c) {
  const TimePoint now = m_clock();
  const domain::User desk{c, 0, "", Role::secretary};
  auto all = passes(c, false, desk);
  if (!all) return std::unexpected(all.error());
  PassBoard board;
  for (PassView& v : *all) {
    if (v.paperwork_overdue) board.paperwork_overdue.push_back(v);
    switch (v.return_state) {
      case domain::ReturnState::overdue:
        board.overdue.push_back(v);
        [[fallthrough]];
      case domain::ReturnState::out:
      case domain::ReturnState::not_required:
        board.out.push_back(std::move(v));
        break;
      case domain::ReturnState::returned:
        if (back_today(v.pass, now)) board.back_today.push_back(std::move(v));
        break;
      case domain::ReturnState::not_out:
        break;
    }
  }
  std::ranges::sort(board.overdue, std::ranges::greater{}, &PassView::hours_overdue);
  return board;
}

Result<TokenCheck> Exits::check_token(CommunityId c, std::string_view token) {
  const TimePoint now = m_clock();
  return in_transaction(
      m_store, store::TxMode::read, [&](store::Transaction& tx) -> Result<TokenCheck> {
        TokenCheck check;
        auto pass = scanned_pass(tx, c, text::trim(token));
        if (!pass) return std::unexpected(pass.error());
        if (!*pass) {
          check.refusal = pass->error();
          return check;
        }
        auto policy = load_policy(tx, c);
        if (!policy) return std::unexpected(policy.error());
        auto view = pass_view(tx, c, std::move(**pass), policy->policy, now);
        if (!view) return std::unexpected(view.error());
        check.refusal = view->refusal;
        check.masked_id_number = domain::mask_id_number(view->holder.resident.id_number);
        check.pass = std::move(*view);
        return check;
      });
}

Result<std::uint32_t> Exits::rotate_key(CommunityId c, const domain::User& by) {
  const TimePoint now = m_clock();
  return in_community(m_store, c,
                        [&](store::Transaction& tx) -> Result<std::uint32_t> {
                          auto id = m_keys.rotate(tx, c, now);
                          if (!id) return id;
                          if (auto a = audit(tx, c, by,
                                             {"pass_key.rotate", "signing_key", std::to_string(*id),
                                              "", std::to_string(*id), ""},
                                             now);
                              !a) {
                            return std::unexpected(a.error());
                          }
                          return id;
                        });
}

Result<std::string> Exits::pass_qr(CommunityId c, std::int64_t id, std::string_view format,
                                   const domain::User& viewer) {
  auto view = pass(c, id, viewer);
  if (!view) return std::unexpected(view.error());
  if (format == "svg") return render::qr_svg(view->pass.token);
  if (format == "png") return render::qr_png(view->pass.token);
  return std::unexpected(Error::invalid("format: svg or png"));
}

Result<std::string> Exits::pass_pdf(CommunityId c, std::int64_t id, const domain::User& viewer) {
  auto view = pass(c, id, viewer);
  if (!view) return std::unexpected(view.error());
  auto policy = this->policy(c);
  if (!policy) return std::unexpected(policy.error());
  const store::PassRow& p = view->pass;
  const auto local = [](std::string_view iso) {
    const auto t = time_of(iso);
    return t ? domain::local_minute(*t, kShanghaiOffset) : std::string("不限");
  };
  render::PassDoc doc;
  doc.title = pass_title_zh(p);
  doc.token = p.token;
  if (!p.short_code.empty()) {
    doc.code = domain::format_short_code(p.short_code);
    doc.code_label = "出入证编码：扫码不成功时，门岗可输入此编码";
  }
  const domain::ExitReason* reason = policy->policy.reason(p.reason);
  doc.fields = {
      {"持证人", view->holder.resident.name},
      {"证件号", domain::mask_id_number(view->holder.resident.id_number)},
      {"楼栋房号", view->holder.building + " " + view->holder.room},
      {"事由", p.kind == domain::PassKind::household ? "家庭外出（防范区）"
               : reason                              ? reason->label_zh
                                                     : p.reason},
      {"有效期", local(p.valid_from) + " 至 " + local(p.valid_until)},
  };
  if (!p.destination.empty()) doc.fields.push_back({"目的地", p.destination});
  if (p.kind == domain::PassKind::household) {
    doc.fields.push_back(
        {"次数", fmt::format("每 {} 天 {} 次，时段 {}", p.period_days, p.quota, p.slots)});
  } else if (p.return_required) {
    doc.fields.push_back(
        {"须返回", p.return_by.empty() ? "须返回报备（无时限）" : local(p.return_by)});
  }
  if (p.override_rules) doc.fields.push_back({"备注", "书记特批"});
  doc.footer =
      fmt::format("出入证编号 {} · 政策版本 {} · 出门扫码，返回报备", p.id, p.policy_version);
  return render::pass_pdf(doc);
}

}  // namespace juwei::service
