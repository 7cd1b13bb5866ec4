// The offline gate vectors (tests/vectors/offline_gate.json) through the online gate (issue 19,
// item 1): the same pass, moment and history get the same answer online, from domain::
// check_offline (tests/offline_vectors_test.cpp) and from the gate page's offline.js
// (web/tests/offline-vectors.mjs), or a difference named in kDifferences, with its reason.
//
// For each case a fresh SQLite store is made to hold what the case's bundle says the server
// held when it made the bundle (the passes, their holders, kinds and windows, what stood against
// them, who was out, the household passes' earlier exits, the buildings' status), then the
// case's allowed queued checks are made as real online gate checks at their times, and last
// Exits::gate_check answers a token signed with the community's key for the case's claims at
// the case's `now`. Ids are the store's: the vector's ids are mapped to the ones it allocates.
// Each fact happens at the server at its own time, and only if that is not after the case's
// `now` (a server holds no later facts). A queued check the gate refused changed nothing, at
// the gate or anywhere, so it is not made online.
//
// How each fact is made, and why not always through the service: passes are inserted with
// their window, quota and slots through the store's Transaction (what the service signs is
// its own choice of window; a case needs the window its claims name), then signed with the
// community's key as Exits signs them. A household pass's exits from before its window (the
// bundle's `uses`) are inserted the same way: no gate would have let them through. Everything
// else goes through the service as the desk and the gate do it: revocations, a positive
// antigen test, a building sealed, exits and returns at the gate.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "domain/id_number.hpp"
#include "domain/offline_gate.hpp"
#include "domain/pass.hpp"
#include "domain/short_code.hpp"
#include "http/offline_json.hpp"
#include "service/audit.hpp"
#include "service/clock.hpp"
#include "service/exits.hpp"
#include "service/lab_results.hpp"
#include "service/open_store.hpp"
#include "service/pass_keys.hpp"
#include "service/policy_file.hpp"
#include "service/registry.hpp"
#include "service/transaction.hpp"
#include "service/zones.hpp"
#include "support/gate_vectors.hpp"

namespace juwei {
namespace {

namespace js = boost::json;
using namespace std::chrono;
using domain::PassKind;
using domain::PassRefusal;
using service::TimePoint;

// A case whose answer online must differ from the vector's (its `expect`, which is the offline
// answer), the online answer, and why. Every other case must give its `expect` online.
struct Difference {
  std::string_view name;
  std::string_view offline;
  std::string_view online;
  std::string_view why;
};

constexpr Difference kDifferences[] = {
    {"a stale bundle refuses going out", "offline.stale", "gate.out",
     "A bundle's age is the offline gate's own limit: past stale_after its copy of the register "
     "may be out of date, so it lets nobody out until it fetches a new one. The server reads the "
     "register itself; the pass is valid until 05:00 UTC, so the holder goes out."},
    {"not in the bundle and older than it", "offline.unknown_pass", "pass.unknown",
     "Every pass valid at or after the bundle is in it, so a signed pass older than the bundle "
     "and not in it is one the server does not hold (here: a token naming a pass id the store "
     "never allocated). Offline the gate cannot tell that from a bundle it lacks, and asks for "
     "the network; online the server knows: no such pass."},
    {"issued since and used on this gate", "pass.used", "gate.already_out",
     "The queued exit names no holder (a queue from before checks named theirs) and its pass is "
     "not in the bundle, so the offline gate cannot tell whose exit it was and refuses on the "
     "pass itself (used). The server logged that exit against the pass's holder, so rule "
     "gate.one_open_exit, which domain::decide_gate puts before the pass's own refusal, answers. "
     "Both refuse the exit."},
};

const Difference* difference_of(std::string_view name) {
  const auto it = std::ranges::find(kDifferences, name, &Difference::name);
  return it == std::end(kDifferences) ? nullptr : &*it;
}

// How long before the bundle was made each fact it records came about (UTC, at the server):
// inside the passes' windows, so the gate would have let the exits through, and in the order a
// committee would see them.
constexpr minutes kReturnedPassOut{60};
constexpr minutes kOutPassOut{50};
constexpr minutes kReturnedPassBack{40};
constexpr minutes kRevoked{30};
constexpr minutes kPositiveReported{20};
constexpr minutes kPositiveTested{25};
constexpr minutes kBuildingSealed{10};
// A household pass's earlier exit (the bundle's `uses`) came back this much later.
constexpr hours kUseLasted{1};
// The building the holders of a household pass stopped by its building live in. One building
// cannot be a precaution building for the other household passes and sealed for this one at
// once, whatever name the bundle shows (the name plays no part in any decision).
constexpr std::string_view kSealedBuilding = "99号楼";

TimePoint time_of(const js::value& v) {
  return juwei::testing::vector_time(v);
}

std::int64_t id_of(const js::value& v) {
  return juwei::testing::vector_id(v);
}

// A result the world needs to go on; a failure names what was being done.
template <typename T>
T must(service::Result<T> r, std::string_view what) {
  if (!r) throw std::runtime_error(fmt::format("{}: {}", what, r.error().message));
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

// One case of the vector file, its ids still the vector's.
struct VectorCase {
  std::string name;
  domain::PassClaims claims;
  bool out = true;
  std::vector<domain::OfflineCheck> queued;
  TimePoint now{};
  std::string expect;
};

// A pass the server holds, in the vector's ids.
struct PassSpec {
  std::int64_t id = 0;
  domain::ResidentId holder = 0;
  PassKind kind = PassKind::individual;
  TimePoint valid_from{};
  TimePoint valid_until{};
  int quota = 0;
  int period_days = 0;
  std::string slots;
};

// A resident the server holds, in the vector's ids.
struct ResidentSpec {
  domain::ResidentId id = 0;
  std::string name;
  std::string building;
  std::string room;
};

// Something that happened at the server before the case's check.
struct Step {
  TimePoint at{};
  std::string what;
  std::function<void()> apply;
};

// A fresh store holding one case's world: its community, residents, passes and their history.
class World {
 public:
  World(const domain::OfflineBundle& bundle, const domain::PassClaims& defaults,
        const VectorCase& c)
      : m_bundle(bundle), m_defaults(defaults), m_case(c) {
    std::random_device rd;
    m_dir = std::filesystem::temp_directory_path() /
            fmt::format("juwei-online-vectors-{}-{}", rd(), rd());
    std::filesystem::create_directories(m_dir);
    m_store = must(service::open_store("sqlite:" + (m_dir / "juwei.db").string()), "open");
    // The keys folder Exits keeps under its data folder: the tokens made here are its own.
    m_exits.emplace(*m_store, clock(), m_dir);
    m_keys.emplace(m_dir / "keys");
    m_now = m_bundle.issued_at - days{30};
    make_communities();
    m_desk = {m_community, 1, "secretary", domain::Role::secretary};
    m_gate = {m_community, 3, "gate", domain::Role::gate};
    make_residents();
    make_passes();
    replay(history());
  }
  ~World() {
    m_exits.reset();
    m_store.reset();
    std::error_code ignored;
    std::filesystem::remove_all(m_dir, ignored);
  }
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // The online gate's answer to the case's token at the case's `now`.
  service::GateVerdict check() {
    m_now = m_case.now;
    return gate(sign(server_claims(m_case.claims)), m_case.out);
  }

  // What the server would hand a gate now, and the maps back to the vector's ids.
  domain::OfflineBundle offline_bundle() {
    m_now = m_case.now;
    return must(m_exits->offline_bundle(m_community), "the offline bundle");
  }
  std::int64_t vector_pass(std::int64_t server_id) const {
    for (const auto& [v, s] : m_passes)
      if (s == server_id) return v;
    return 0;
  }
  domain::ResidentId vector_holder(domain::ResidentId server_id) const {
    for (const auto& [v, s] : m_residents)
      if (s.id == server_id) return v;
    return 0;
  }
  domain::CommunityId community() const { return m_community; }

 private:
  service::Clock clock() {
    return [this] { return m_now; };
  }

  // The vector's community, moved here from another database (juwei migrate) where its id was
  // the bundle's chain id: tokens signed there name that id. Any other community a case's
  // claims name is another community of this server.
  void make_communities() {
    const domain::CommunityId chain = m_bundle.chain_id;  // 0: none, its own id
    m_community = must(
        service::in_transaction(
            *m_store, store::TxMode::write,
            [&](store::Transaction& tx) -> service::Result<domain::CommunityId> {
              const domain::Community moved{0, 0, "春晖居民区", "Asia/Shanghai", chain};
              auto id = service::lift(tx.insert_community(moved, service::iso_utc(m_now)));
              if (!id) return id;
              if (auto a = service::audit(tx, *id, service::kOperator,
                                          {"community.create", "community", std::to_string(*id), "",
                                           "春晖居民区||Asia/Shanghai", ""},
                                          m_now);
                  !a) {
                return std::unexpected(a.error());
              }
              return id;
            }),
        "the community");
    m_communities[m_bundle.community_id] = m_community;
    if (chain != 0) m_communities[chain] = chain;
    const domain::CommunityId other = m_case.claims.community_id;
    if (m_communities.contains(other)) return;
    service::Registry registry(*m_store, clock());
    const auto made =
        must(registry.init_community(fmt::format("另一居民区{}", other), "", service::kOperator),
             "another community");
    if (made.community.id == chain) throw std::runtime_error("another community has the chain id");
    m_communities[other] = made.community.id;
  }

  std::vector<ResidentSpec> resident_specs() const {
    std::vector<ResidentSpec> out;
    const auto add = [&](domain::ResidentId id, std::string building, std::string room) {
      if (std::ranges::find(out, id, &ResidentSpec::id) != out.end()) return;
      out.push_back({id, fmt::format("住户{}", id), std::move(building), std::move(room)});
    };
    for (const domain::OfflinePass& p : m_bundle.passes) {
      const bool sealed = p.refusal == PassRefusal::building_closed;
      add(p.holder, sealed ? std::string(kSealedBuilding) : p.building, p.room);
    }
    // Holders the bundle does not name live in its first pass's building, a flat each.
    const std::string building = m_bundle.passes.front().building;
    add(m_case.claims.holder, building, fmt::format("9{:02}", out.size()));
    for (const domain::OfflineCheck& q : m_case.queued) {
      if (q.holder != 0) add(q.holder, building, fmt::format("9{:02}", out.size()));
    }
    return out;
  }

  // Residents through the registry (each building and flat is made with its first resident),
  // every building a precaution building from the start.
  void make_residents() {
    service::Registry registry(*m_store, clock());
    std::set<std::string> buildings;
    for (const ResidentSpec& r : resident_specs()) {
      service::ResidentChange change;
      change.name = r.name;
      change.id_number = id_number_of(r.id);
      change.building = r.building;
      change.room = r.room;
      m_residents[r.id] =
          must(registry.create_resident(m_community, change, service::kOperator), r.name)
              .value.resident;
      buildings.insert(r.building);
    }
    service::Zones zones(*m_store, clock());
    for (const std::string& name : buildings) {
      m_buildings[name] = must(registry.building(m_community, name), name).id;
      must(zones.set_status(m_community, m_buildings[name], domain::ZoneStatus::precaution,
                            m_desk.id, "防范区", domain::kRuleManual),
           name);
    }
  }

  // A valid GB 11643 number of its own for each resident.
  static std::string id_number_of(domain::ResidentId id) {
    const std::string first17 = fmt::format("31010119900101{:03}", id % 1000);
    return first17 + domain::id_check_character(first17);
  }

  // The window the server holds for a pass: the case's claims' when they are the pass's own
  // (the same pass and holder), else the default claims' (the window every bundle pass has).
  std::pair<TimePoint, TimePoint> window_of(std::int64_t pass, domain::ResidentId holder) const {
    const domain::PassClaims& c = m_case.claims;
    if (c.pass_id == pass && c.holder == holder) return {c.valid_from, c.valid_until};
    return {m_defaults.valid_from, m_defaults.valid_until};
  }

  // The bundle's passes, and the passes issued since the bundle that the case names: its own,
  // when its window starts at or after the bundle was made (an older one would be in the
  // bundle), and those its queued checks name with their holder.
  std::vector<PassSpec> pass_specs() const {
    std::vector<PassSpec> out;
    for (const domain::OfflinePass& p : m_bundle.passes) {
      const auto [from, until] = window_of(p.id, p.holder);
      out.push_back(
          {p.id, p.holder, p.kind, from, until, p.quota, p.period_days, domain::to_text(p.slots)});
    }
    const domain::PassClaims& c = m_case.claims;
    if (!m_bundle.find(c.pass_id) && c.valid_from >= m_bundle.issued_at) {
      const domain::HouseholdPassPolicy& h = service::default_policy().household;
      const bool household = c.kind == PassKind::household;
      out.push_back({c.pass_id, c.holder, c.kind, c.valid_from, c.valid_until,
                     household ? h.quota : 0, household ? h.period_days : 0,
                     household ? domain::to_text(h.slots) : ""});
    }
    for (const domain::OfflineCheck& q : m_case.queued) {
      if (m_bundle.find(q.pass_id) || std::ranges::find(out, q.pass_id, &PassSpec::id) != out.end())
        continue;
      if (q.holder == 0) {
        throw std::runtime_error(fmt::format(
            "a queued check of pass {}, not in the bundle, names no holder", q.pass_id));
      }
      out.push_back({q.pass_id, q.holder, PassKind::individual, m_bundle.issued_at,
                     m_defaults.valid_until, 0, 0, ""});
    }
    std::ranges::sort(out, {}, &PassSpec::id);
    return out;
  }

  // Each pass as Exits issues one: a row with a short code, then a token signed with the
  // community's current key (its first, made on the first pass: the bundle's key 1).
  void make_passes() {
    for (const PassSpec& spec : pass_specs()) {
      if (spec.valid_from > m_case.now && !m_bundle.find(spec.id)) {
        throw std::runtime_error(fmt::format("pass {} is issued after the case's check", spec.id));
      }
      const domain::Resident& holder = m_residents.at(spec.holder);
      store::PassRow row;
      row.community_id = m_community;
      row.kind = spec.kind;
      row.holder = holder.id;
      row.household_id = holder.household_id;
      row.reason = spec.kind == PassKind::household ? "household" : "medical_staff_return";
      row.valid_from = service::iso_utc(spec.valid_from);
      row.valid_until = service::iso_utc(spec.valid_until);
      row.policy_version = service::default_policy().version;
      row.approved_at = row.valid_from;
      row.approved_by = m_desk.id;
      row.quota = spec.quota;
      row.period_days = spec.period_days;
      row.slots = spec.slots;
      row.test_age_from = "sampled";
      row.short_code = domain::make_short_code(0x5EED0000 + static_cast<std::uint64_t>(spec.id));
      m_passes[spec.id] = insert_pass(std::move(row));
    }
  }

  std::int64_t insert_pass(store::PassRow row) {
    return must(service::in_community(
                    *m_store, m_community,
                    [&](store::Transaction& tx) -> service::Result<std::int64_t> {
                      auto id = service::lift(tx.insert_pass(row));
                      if (!id) return id;
                      domain::PassClaims claims{0,
                                                m_community,
                                                *id,
                                                row.holder,
                                                row.kind,
                                                false,
                                                *service::parse_iso_utc(row.valid_from),
                                                *service::parse_iso_utc(row.valid_until)};
                      auto token = m_keys->sign(tx, claims, m_now);
                      if (!token) return std::unexpected(token.error());
                      auto set =
                          service::lift(tx.set_pass_token(m_community, *id, claims.key_id, *token));
                      if (!set) return std::unexpected(set.error());
                      return id;
                    }),
                "a pass");
  }

  // What the bundle says stood against each pass, and the case's own queued checks, as steps
  // in time order: each happens at the server at its time, if that is not after the case's
  // check (a server holds no later facts).
  std::vector<Step> history() {
    std::vector<Step> steps;
    for (const domain::OfflinePass& p : m_bundle.passes)
      add_bundle_steps(p, steps);
    for (const domain::OfflineCheck& q : m_case.queued) {
      // A check the gate refused changed nothing anywhere: nothing to make.
      if (!q.allow) continue;
      steps.push_back({q.at,
                       fmt::format("queued check {} of pass {}", q.out ? "out" : "in", q.pass_id),
                       [this, q] { allowed_gate(token_of(q.pass_id), q.out, "a queued check"); }});
    }
    std::ranges::stable_sort(steps, {}, &Step::at);
    return steps;
  }

  void add_bundle_steps(const domain::OfflinePass& p, std::vector<Step>& steps) {
    const TimePoint made = m_bundle.issued_at;
    for (const TimePoint use : p.uses) {
      steps.push_back({use, fmt::format("an earlier exit of pass {}", p.id),
                       [this, id = p.id, use] { earlier_exit(id, use); }});
    }
    if (p.out) {
      steps.push_back({made - kOutPassOut, fmt::format("pass {} out", p.id), [this, id = p.id] {
                         allowed_gate(token_of(id), true, "an exit still open");
                       }});
    }
    if (!p.refusal) return;
    switch (*p.refusal) {
      case PassRefusal::revoked:
        steps.push_back({made - kRevoked, fmt::format("pass {} revoked", p.id), [this, id = p.id] {
                           must(m_exits->revoke(m_community, m_passes.at(id), "居委会收回", m_desk),
                                "revoke");
                         }});
        return;
      case PassRefusal::returned:
        steps.push_back({made - kReturnedPassOut, fmt::format("pass {} out", p.id),
                         [this, id = p.id] { allowed_gate(token_of(id), true, "an exit"); }});
        steps.push_back({made - kReturnedPassBack, fmt::format("pass {} back", p.id),
                         [this, id = p.id] { allowed_gate(token_of(id), false, "a return"); }});
        return;
      case PassRefusal::holder_positive:
        steps.push_back({made - kPositiveReported, fmt::format("holder {} positive", p.holder),
                         [this, holder = p.holder, made] { report_positive(holder, made); }});
        return;
      case PassRefusal::building_closed:
        steps.push_back({made - kBuildingSealed, fmt::format("{} sealed", kSealedBuilding),
                         [this] { seal(std::string(kSealedBuilding)); }});
        return;
      case PassRefusal::used:
        // An individual pass used and not back: the open exit above is its use.
        if (p.out) return;
        [[fallthrough]];
      default:
        throw std::runtime_error(fmt::format("no way to make a bundle pass refused with {}",
                                             domain::to_code(*p.refusal)));
    }
  }

  void replay(const std::vector<Step>& steps) {
    for (const Step& s : steps) {
      if (s.at > m_case.now) continue;
      m_now = s.at;
      try {
        s.apply();
      } catch (const std::exception& e) {
        throw std::runtime_error(
            fmt::format("{} at {}: {}", s.what, service::iso_utc(s.at), e.what()));
      }
    }
  }

  // An exit of a household pass from before its window, and its return, as the register keeps
  // them (no gate would have allowed them, so they go in through the store).
  void earlier_exit(std::int64_t pass, TimePoint at) {
    const std::int64_t id = m_passes.at(pass);
    must(service::in_community(
             *m_store, m_community,
             [&](store::Transaction& tx) -> service::Result<void> {
               store::PassExit e{0, service::iso_utc(at), m_gate.id, "gate", "", 0, ""};
               auto exit_id = service::lift(tx.insert_pass_exit(m_community, id, e));
               if (!exit_id) return std::unexpected(exit_id.error());
               e.id = *exit_id;
               e.returned_at = service::iso_utc(at + kUseLasted);
               e.returned_by = m_gate.id;
               e.returned_via = "gate";
               return service::lift(tx.return_pass_exit(m_community, id, e));
             }),
         "an earlier exit");
  }

  void report_positive(domain::ResidentId holder, TimePoint made) {
    service::LabResults results(*m_store, clock());
    const service::AntigenInput in{m_residents.at(holder).id, "阳性",
                                   service::iso_utc(made - kPositiveTested), ""};
    must(results.report_antigen(m_community, in, m_desk), "a positive antigen test");
  }

  void seal(const std::string& building) {
    must(service::Zones(*m_store, clock())
             .set_status(m_community, m_buildings.at(building), domain::ZoneStatus::sealed,
                         m_desk.id, "阳性病例", domain::kRuleManual),
         "seal");
  }

  // The stored token of a pass the server holds.
  std::string token_of(std::int64_t pass) {
    const auto row = must(
        service::in_transaction(*m_store, store::TxMode::read,
                                [&](store::Transaction& tx) {
                                  return service::lift(tx.get_pass(m_community, m_passes.at(pass)));
                                }),
        "a pass's token");
    if (!row) throw std::runtime_error(fmt::format("no pass {}", pass));
    return row->token;
  }

  // The case's claims in the server's ids. A pass the server does not hold is named by an id
  // far past any the store allocated here.
  domain::PassClaims server_claims(domain::PassClaims c) const {
    c.community_id = m_communities.at(c.community_id);
    const auto pass = m_passes.find(c.pass_id);
    c.pass_id = pass != m_passes.end() ? pass->second : 1'000'000 + c.pass_id;
    c.holder = m_residents.at(c.holder).id;
    return c;
  }

  // A token for `claims`, signed with the community's key that stands for the bundle's key the
  // claims name (the same place in the list). Signed from the key's file rather than by
  // PassKeys::sign, which takes the key of the claims' community: the vector's claims may name
  // another community, or the id this one had before it moved, and are still signed with this
  // community's key (the bundle's key verifies them offline).
  std::string sign(const domain::PassClaims& claims) {
    const auto keys =
        must(service::in_transaction(*m_store, store::TxMode::read,
                                     [&](store::Transaction& tx) {
                                       return service::lift(tx.list_signing_keys(m_community));
                                     }),
             "the community's keys");
    const auto at = std::ranges::find(m_bundle.keys, m_case.claims.key_id,
                                      &std::pair<std::uint32_t, std::string>::first);
    const auto index = static_cast<std::size_t>(at - m_bundle.keys.begin());
    if (at == m_bundle.keys.end() || index >= keys.size()) {
      throw std::runtime_error(fmt::format("no key for the claims' key {}", m_case.claims.key_id));
    }
    domain::PassClaims signed_claims = claims;
    signed_claims.key_id = keys[index].key_id;
    std::ifstream file(service::pass_key_file(m_dir / "keys", m_community, signed_claims.key_id),
                       std::ios::binary);
    const std::string secret{std::istreambuf_iterator<char>(file), {}};
    if (secret.size() != 64) throw std::runtime_error("the community's private key is unreadable");
    return service::sign_token(signed_claims, secret);
  }

  // A check at the online gate now.
  service::GateVerdict gate(const std::string& token, bool out) {
    service::GateInput in;
    in.token = token;
    in.direction = out ? "out" : "in";
    return must(m_exits->gate_check(m_community, in, m_gate), "a gate check");
  }

  // A check the world is built of: the online gate must allow it as the offline one did.
  void allowed_gate(const std::string& token, bool out, std::string_view what) {
    const service::GateVerdict v = gate(token, out);
    if (!v.allow) throw std::runtime_error(fmt::format("{} was refused online: {}", what, v.code));
  }

  const domain::OfflineBundle& m_bundle;
  const domain::PassClaims& m_defaults;
  const VectorCase& m_case;
  std::filesystem::path m_dir;
  std::unique_ptr<store::Store> m_store;
  std::optional<service::Exits> m_exits;
  std::optional<service::PassKeys> m_keys;
  domain::User m_desk;  // the committee's secretary
  domain::User m_gate;  // the gate's volunteer
  TimePoint m_now{};
  domain::CommunityId m_community = 0;
  std::map<domain::CommunityId, domain::CommunityId> m_communities;  // vector id -> server's
  std::map<domain::ResidentId, domain::Resident> m_residents;        // vector holder -> row
  std::map<std::string, domain::BuildingId> m_buildings;
  std::map<std::int64_t, std::int64_t> m_passes;  // vector pass id -> server's
};

class OnlineVectors : public ::testing::Test {
 protected:
  void SetUp() override {
    m_doc = js::parse(testing::vector_file_text()).as_object();
    auto bundle = http::offline_bundle_from_json(js::serialize(m_doc.at("bundle")));
    ASSERT_TRUE(bundle) << bundle.error();
    m_bundle = std::move(*bundle);
    ASSERT_EQ(m_doc.at("utc_offset_minutes").as_int64(), service::kShanghaiOffset.count())
        << "the server checks household slots in Shanghai time";
    m_defaults = claims({});
  }

  // claims_default with `own` over it.
  domain::PassClaims claims(const js::object& own) const {
    return juwei::testing::vector_claims(m_doc.at("claims_default").as_object(), own);
  }

  std::vector<VectorCase> cases() const {
    std::vector<VectorCase> out;
    for (const js::value& v : m_doc.at("cases").as_array()) {
      const js::object& c = v.as_object();
      VectorCase vc{std::string(c.at("name").as_string()),
                    claims(c.at("claims").as_object()),
                    c.at("direction").as_string() == "out",
                    {},
                    time_of(c.at("now")),
                    std::string(c.at("expect").as_string())};
      for (const js::value& q : c.at("queued").as_array()) {
        const js::object& o = q.as_object();
        vc.queued.push_back({id_of(o.at("pass_id")), o.at("direction").as_string() == "out",
                             o.at("decision").as_string() == "allow", time_of(o.at("at")),
                             o.contains("holder") ? id_of(o.at("holder")) : 0});
      }
      out.push_back(std::move(vc));
    }
    return out;
  }

  js::object m_doc;
  domain::OfflineBundle m_bundle;
  domain::PassClaims m_defaults;
};

bool allowed(std::string_view code) {
  return code == "gate.out" || code == "gate.in" || code == "gate.in_without_exit";
}

// Every case online: the vector's answer, or the documented difference's.
TEST_F(OnlineVectors, TheServerGivesEveryCasesVerdictOrItsDocumentedDifference) {
  const std::vector<VectorCase> all = cases();
  ASSERT_GE(all.size(), 30U);
  int agreed = 0;
  int differed = 0;
  for (const VectorCase& c : all) {
    SCOPED_TRACE(c.name);
    const Difference* d = difference_of(c.name);
    if (d) {
      // The table states the vector's answer too: it goes stale when the vector changes.
      EXPECT_EQ(c.expect, d->offline) << "kDifferences is out of date";
    } else {
      // An offline refusal has no online meaning: such a case must say what the server does.
      EXPECT_FALSE(c.expect.starts_with("offline."))
          << "an offline-only answer needs its online answer in kDifferences";
    }
    const std::string_view want = d ? d->online : std::string_view(c.expect);
    try {
      World world(m_bundle, m_defaults, c);
      const service::GateVerdict v = world.check();
      EXPECT_EQ(v.code, want);
      EXPECT_EQ(v.allow, allowed(want)) << v.code;
      if (v.code == want) ++(d ? differed : agreed);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
  // Every documented difference names a case of the file.
  for (const Difference& d : kDifferences) {
    EXPECT_TRUE(std::ranges::any_of(all, [&](const VectorCase& c) { return c.name == d.name; }))
        << "no case '" << d.name << "'";
  }
  std::cout << fmt::format("online: {} of {} cases agree, {} differ as documented\n", agreed,
                           all.size(), differed);
}

// The world the cases are built on is the bundle's: the server's own bundle for it, made when
// the vector's was, holds the same passes with the same holders, kinds, refusals, open exits,
// quotas, slots and earlier exits. One field differs, in the vector: the server marks an
// individual pass whose holder is out on it `pass.used` (its one exit is made), where the
// vector's bundle leaves it null. No case's answer depends on it: check_offline reads a pass's
// refusal only when its holder is not out (rule gate.one_open_exit comes first), and no case
// brings that holder back on this gate and then out again on the same pass.
TEST_F(OnlineVectors, TheWorldIsTheOneTheBundleDescribes) {
  VectorCase at_bundle{"the bundle", m_defaults, true, {}, m_bundle.issued_at, "gate.out"};
  World world(m_bundle, m_defaults, at_bundle);
  const domain::OfflineBundle made = world.offline_bundle();
  EXPECT_EQ(made.community_id, world.community());
  EXPECT_EQ(made.chain_id, m_bundle.chain_id);
  ASSERT_EQ(made.passes.size(), m_bundle.passes.size());
  for (const domain::OfflinePass& p : made.passes) {
    const std::int64_t id = world.vector_pass(p.id);
    SCOPED_TRACE(fmt::format("pass {}", id));
    const domain::OfflinePass* want = m_bundle.find(id);
    ASSERT_NE(want, nullptr);
    EXPECT_EQ(world.vector_holder(p.holder), want->holder);
    EXPECT_EQ(p.kind, want->kind);
    EXPECT_EQ(p.out, want->out);
    if (p.out && p.kind == PassKind::individual && !want->refusal) {
      EXPECT_EQ(p.refusal, PassRefusal::used);
    } else {
      EXPECT_EQ(p.refusal, want->refusal);
    }
    EXPECT_EQ(p.quota, want->quota);
    EXPECT_EQ(p.period_days, want->period_days);
    EXPECT_EQ(domain::to_text(p.slots), domain::to_text(want->slots));
    EXPECT_EQ(p.uses, want->uses);
  }
}

}  // namespace
}  // namespace juwei
