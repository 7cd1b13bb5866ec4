#include "service/demo_history.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "domain/zone.hpp"
#include "service/audit.hpp"
#include "service/exits.hpp"
#include "service/lab_results.hpp"
#include "service/resident_import.hpp"
#include "service/screening.hpp"
#include "service/transaction.hpp"
#include "service/zones.hpp"

namespace juwei::service {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

struct Person {
  domain::ResidentId id = 0;
  domain::BuildingId building = 0;
  domain::Vulnerabilities vulnerabilities;
};

// splitmix64: the same day and resident draw the same number.
std::uint64_t draw(std::uint64_t a, std::uint64_t b) {
  std::uint64_t x = a * 0x9E3779B97F4A7C15ULL + b + 0x632BE59BD9B4E019ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

template <typename Range, typename Value>
bool contains(const Range& range, const Value& value) {
  return std::ranges::find(range, value) != std::ranges::end(range);
}

// A released resident to bring back the next day.
struct Outing {
  std::int64_t request_id = 0;
  std::string token;
  bool paperwork = true;  // the hospital's note and the pledge reach the desk that day
};

class History {
 public:
  History(store::Store& store, const std::filesystem::path& data_folder, domain::Date first,
          domain::UserId by)
      : m_store(store),
        m_first(first),
        m_clock([this] { return m_now; }),
        m_zones(store, m_clock),
        m_screening(store, m_clock),
        m_exits(store, m_clock, data_folder),
        m_labs(store, m_clock),
        m_by(by) {}

  // The seed community, registered on the first day's morning.
  Result<SeedOutcome> seed() {
    set(0, 7, 0);
    return Registry(m_store, m_clock).ensure_seed_community(m_by);
  }

  Result<HistoryFigures> run(domain::CommunityId c, int day_count) {
    m_community = c;
    m_desk = domain::User{c, m_by, "", domain::Role::secretary};
    m_gate = domain::User{c, m_by, "", domain::Role::gate};
    m_figures.days = day_count;
    if (auto r = read_people(); !r) return std::unexpected(r.error());
    if (m_buildings.empty()) return m_figures;
    // The outbreak: a pooled tube positive on day k, its residents retested the next day.
    const int k = std::max(1, day_count - 9);
    m_outbreak_building = m_buildings[m_buildings.size() / 3];
    const auto at = std::ranges::find(m_buildings, m_outbreak_building);
    if (at != m_buildings.begin()) m_neighbours.push_back(*(at - 1));
    if (at + 1 != m_buildings.end()) m_neighbours.push_back(*(at + 1));

    set(0, 7, 5);
    for (const domain::BuildingId b : m_buildings) {
      if (auto r = status(b, domain::ZoneStatus::precaution, "封控管理开始，各楼栋进入防范",
                          domain::kRuleManual);
          !r) {
        return std::unexpected(r.error());
      }
    }
    for (int day = 0; day < day_count; ++day) {
      if (auto r = run_day(day, k); !r) return std::unexpected(r.error());
    }
    return m_figures;
  }

 private:
  void set(int day, int hour, int minute) {
    m_now = TimePoint{std::chrono::sys_days{m_first} + days{day}} - kShanghaiOffset + hours{hour} +
            minutes{minute};
  }
  std::string date_of(int day) const {
    return domain::format_date(domain::Date{std::chrono::sys_days{m_first} + days{day}});
  }

  Result<void> read_people() {
    return in_transaction(
        m_store, store::TxMode::read, [&](store::Transaction& tx) -> Result<void> {
          auto buildings = lift(tx.list_buildings(m_community));
          if (!buildings) return std::unexpected(buildings.error());
          std::map<std::string, domain::BuildingId, std::less<>> by_name;
          for (const domain::Building& b : *buildings) {
            by_name.emplace(b.name, b.id);
            m_buildings.push_back(b.id);
          }
          std::ranges::sort(m_buildings);
          return lift(tx.for_each_resident(m_community, [&](const store::ResidentRow& row) {
            const auto b = by_name.find(row.building);
            if (b != by_name.end()) {
              m_people.push_back(Person{row.resident.id, b->second, row.resident.vulnerabilities});
            }
            return true;
          }));
        });
  }

  Result<void> status(domain::BuildingId b, domain::ZoneStatus to, std::string_view reason,
                      std::string_view rule) {
    auto changed = m_zones.set_status(m_community, b, to, m_by, reason, rule);
    // A timer's step the rules do not suggest yet is made by hand, as the desk would.
    if (!changed && rule != domain::kRuleManual) {
      changed = m_zones.set_status(m_community, b, to, m_by, reason, domain::kRuleManual);
    }
    if (!changed) return std::unexpected(changed.error());
    ++m_figures.status_changes;
    return {};
  }

  Result<void> run_day(int day, int outbreak_day) {
    const std::string date = date_of(day);
    set(day, 7, 10);
    auto round = m_screening.create_round(m_community, date, {}, m_by);
    if (!round) return std::unexpected(round.error());

    // Yesterday's released residents come back in the afternoon; today's leave in the morning.
    std::vector<Outing> back = std::move(m_out);
    m_out.clear();
    std::set<domain::ResidentId> away;
    for (const auto& [resident, outing] : m_outings)
      away.insert(resident);

    std::vector<std::string> positive_tubes;
    if (auto r = swab(day, round->id, away, outbreak_day, positive_tubes); !r) return r;

    set(day, 9, 0);
    if (auto r = release(day, away); !r) return r;
    set(day, 12, 0);
    if (auto r = antigen(day); !r) return r;
    set(day, 15, 0);
    // A relative brings the hospital's note and the signed pledge to the desk the same day.
    for (const Outing& o : m_out) {
      if (!o.paperwork) continue;
      if (auto r = m_exits.add_proof(m_community, o.request_id,
                                     ProofInput{kHospitalNote, "医院证明.pdf"}, m_desk);
          !r) {
        return std::unexpected(r.error());
      }
      if (auto r = m_exits.record_paper_pledge(m_community, o.request_id,
                                               ProofInput{kHospitalNote, "承诺书.pdf"}, m_desk);
          !r) {
        return std::unexpected(r.error());
      }
    }
    for (const Outing& o : back) {
      auto in = m_exits.gate_check(m_community, GateInput{o.token, "", "in"}, m_gate);
      if (!in) return std::unexpected(in.error());
      if (in->allow) ++m_figures.returns;
    }
    std::erase_if(m_outings, [&](const auto& entry) {
      return std::ranges::any_of(back, [&](const Outing& o) { return o.token == entry.second; });
    });

    set(day, 18, 0);
    if (auto r = results(date, positive_tubes); !r) return r;

    if (day == outbreak_day + 1) {
      set(day, 19, 0);
      if (auto r = status(m_outbreak_building, domain::ZoneStatus::sealed, "单管核酸阳性，楼栋封控",
                          domain::kRulePositiveSeals);
          !r) {
        return r;
      }
      for (const domain::BuildingId b : m_neighbours) {
        if (auto r =
                status(b, domain::ZoneStatus::controlled, "相邻楼栋，管控", domain::kRuleManual);
            !r) {
          return r;
        }
      }
    }
    if (day == outbreak_day + 8) {
      set(day, 8, 0);
      if (auto r = status(m_outbreak_building, domain::ZoneStatus::controlled,
                          "7 天无新增阳性，降为管控", domain::kRuleSealedToControlled);
          !r) {
        return r;
      }
    }
    if (day == outbreak_day + 11) {
      set(day, 8, 0);
      for (const domain::BuildingId b : m_neighbours) {
        if (auto r = status(b, domain::ZoneStatus::precaution, "连续无新增，降为防范",
                            domain::kRuleControlledToPrecaution);
            !r) {
          return r;
        }
      }
    }
    return {};
  }

  // The day's swabs: ten a pooled tube building by building, a few residents missed (most of
  // them outside a sealed building self-test instead); the outbreak tube's residents the day
  // after it, one single tube each.
  Result<void> swab(int day, std::int64_t round_id, const std::set<domain::ResidentId>& away,
                    int outbreak_day, std::vector<std::string>& positive_tubes) {
    const std::string stamp = date_of(day);
    std::string compact = stamp;
    std::erase(compact, '-');
    const int miss_percent = 2 + static_cast<int>(draw(day, 7) % 5);
    m_day_tubes.clear();
    return in_community(m_store, m_community, [&](store::Transaction& tx) -> Result<void> {
      TimePoint at = m_now + minutes{20};
      int tube_number = 0;
      int in_tube = 0;
      std::string tube;
      domain::BuildingId tube_building = 0;
      std::int64_t samples = 0;
      std::int64_t tubes = 0;
      std::int64_t antigen = 0;
      const auto open_tube = [&](domain::TubeKind kind, std::string_view prefix) -> Result<void> {
        tube = fmt::format("{}{}-{:04}", prefix, compact, ++tube_number);
        m_day_tubes.push_back(tube);
        in_tube = 0;
        ++tubes;
        return lift(tx.insert_tube(m_community, tube, round_id, kind, iso_utc(at)));
      };
      const auto add = [&](domain::ResidentId resident) -> Result<void> {
        store::Sample s{m_community, round_id, 0, tube, resident, iso_utc(at), m_by, false, ""};
        at += seconds{4};
        ++in_tube;
        ++samples;
        auto id = lift(tx.insert_sample(s));
        if (!id) return std::unexpected(id.error());
        return {};
      };
      const bool retest_day = day == outbreak_day + 1 && !m_retest.empty();
      for (const Person& p : m_people) {
        if (away.contains(p.id)) continue;
        if (retest_day && contains(m_retest, p.id)) continue;
        if (static_cast<int>(draw(day, p.id) % 100) < miss_percent) {
          // Most who miss the swab outside a sealed building report a self-test at noon.
          if (p.building != m_outbreak_building && draw(day, p.id + 1) % 5 != 0) {
            const std::string noon = iso_utc(m_now + hours{5});
            store::AntigenTest test{m_community, 0,  p.id, domain::TestResult::negative,
                                    noon,        noon, m_by, "",  ""};
            if (auto id = lift(tx.insert_antigen_test(test)); !id) {
              return std::unexpected(id.error());
            }
            ++antigen;
          }
          continue;
        }
        if (tube.empty() || in_tube == 10 || p.building != tube_building) {
          if (auto r = open_tube(domain::TubeKind::pooled, "H"); !r) return r;
          tube_building = p.building;
        }
        if (day == outbreak_day && p.building == m_outbreak_building && m_retest.size() < 10 &&
            (positive_tubes.empty() || positive_tubes.back() == tube)) {
          if (positive_tubes.empty()) positive_tubes.push_back(tube);
          m_retest.push_back(p.id);
        }
        if (auto r = add(p.id); !r) return r;
      }
      if (retest_day) {
        for (std::size_t i = 0; i < m_retest.size(); ++i) {
          if (auto r = open_tube(domain::TubeKind::single, "S"); !r) return r;
          if (i == 0) positive_tubes.push_back(tube);  // the case
          if (auto r = add(m_retest[i]); !r) return r;
        }
      }
      m_figures.samples += samples;
      m_figures.tubes += tubes;
      m_figures.antigen_reports += antigen;
      return audit(tx, m_community, m_by,
                   AuditEntry{"screening.generate", "round", std::to_string(round_id), "",
                              fmt::format("{}|{}|{}", samples, tubes, antigen), ""},
                   at);
    });
  }

  // Two residents released at once a day: a dialysis patient in turn, then another by lot.
  Result<void> release(int day, std::set<domain::ResidentId>& away) {
    std::vector<domain::ResidentId> chosen;
    std::vector<domain::ResidentId> dialysis;
    for (const Person& p : m_people) {
      if (p.vulnerabilities.has(domain::Vulnerability::dialysis) && !away.contains(p.id) &&
          p.building != m_outbreak_building) {
        dialysis.push_back(p.id);
      }
    }
    if (!dialysis.empty())
      chosen.push_back(dialysis[static_cast<std::size_t>(day) % dialysis.size()]);
    for (std::uint64_t n = 0; chosen.size() < 2 && n < 100; ++n) {
      const Person& p = m_people[draw(day, 1000 + n) % m_people.size()];
      if (!away.contains(p.id) && p.building != m_outbreak_building && !contains(chosen, p.id)) {
        chosen.push_back(p.id);
      }
    }
    for (std::size_t i = 0; i < chosen.size(); ++i) {
      const bool kidney = i == 0 && !dialysis.empty();
      auto released =
          m_exits.release_emergency(m_community,
                                    EmergencyInput{chosen[i], "medical_emergency",
                                                   kidney ? "瑞金医院血透中心" : "第六人民医院",
                                                   kidney ? "每周三次血透" : "急诊就医"},
                                    m_desk);
      if (!released) return std::unexpected(released.error());
      if (!released->pass) continue;
      m_now += minutes{15};
      auto out =
          m_exits.gate_check(m_community, GateInput{released->pass->token, "", "out"}, m_gate);
      if (!out) return std::unexpected(out.error());
      if (!out->allow) continue;
      ++m_figures.exits;
      away.insert(chosen[i]);
      // One in seven brings no paperwork back: the desk's overdue list has something to show.
      const bool paperwork = draw(day, chosen[i]) % 7 != 0;
      m_out.push_back(Outing{released->request.id, released->pass->token, paperwork});
      m_outings.emplace(chosen[i], released->pass->token);
    }
    return {};
  }

  // Self-tests reported from the buildings not sealed: about one resident in a hundred a day.
  Result<void> antigen(int day) {
    const std::string when = fmt::format("{} 11:30", date_of(day));
    int reported = 0;
    for (std::uint64_t n = 0; reported < 30 && n < 200; ++n) {
      const Person& p = m_people[draw(day, 5000 + n) % m_people.size()];
      if (p.building == m_outbreak_building || m_outings.contains(p.id)) continue;
      auto r = m_labs.report_antigen(m_community, AntigenInput{p.id, "阴性", when, ""}, m_desk);
      if (!r) return std::unexpected(r.error());
      ++reported;
    }
    m_figures.antigen_reports += reported;
    return {};
  }

  // The lab's file of the day: every tube of the day negative but `positive`.
  Result<void> results(const std::string& date, const std::vector<std::string>& positive) {
    std::string csv = "tube_code,result,reported_at,lab\n";
    const std::string reported = iso_utc(m_now);
    for (const std::string& code : m_day_tubes) {
      const bool hit = contains(positive, code);
      csv += fmt::format("{},{},{},华大基因\n", code, hit ? "阳性" : "阴性", reported);
      if (hit) ++m_figures.positive_tubes;
    }
    auto imported = import_results(m_store, m_clock, m_community,
                                   memory_source(fmt::format("结果-{}.csv", date), csv), {});
    if (!imported) return std::unexpected(imported.error());
    return {};
  }

  static constexpr const char* kHospitalNote = "%PDF-1.4\n%%EOF\n";

  store::Store& m_store;
  domain::Date m_first;
  TimePoint m_now{};
  Clock m_clock;
  Zones m_zones;
  Screening m_screening;
  Exits m_exits;
  LabResults m_labs;
  domain::UserId m_by;
  domain::CommunityId m_community = 0;
  domain::User m_desk;
  domain::User m_gate;
  std::vector<domain::BuildingId> m_buildings;
  std::vector<Person> m_people;
  domain::BuildingId m_outbreak_building = 0;
  std::vector<domain::BuildingId> m_neighbours;
  std::vector<domain::ResidentId> m_retest;
  std::vector<Outing> m_out;
  std::map<domain::ResidentId, std::string> m_outings;
  std::vector<std::string> m_day_tubes;
  HistoryFigures m_figures;
};

}  // namespace

Result<SeedHistory> ensure_seed_with_history(store::Store& store, TimePoint now,
                                             const std::filesystem::path& data_folder, int days,
                                             domain::UserId by) {
  if (days < 1 || days > kMaxHistoryDays) {
    const std::string en = fmt::format("history is 1 to {} days, not {}", kMaxHistoryDays, days);
    return std::unexpected(
        Error::invalid(en, {FieldIssue{"history", "history.range", en,
                                       fmt::format("历史天数应为 1 到 {} 天", kMaxHistoryDays)}}));
  }
  const domain::Date first{std::chrono::sys_days{local_date(now)} - std::chrono::days{days}};
  History history(store, data_folder, first, by);
  auto seed = history.seed();
  if (!seed) return std::unexpected(seed.error());
  if (!seed->created) return SeedHistory{std::move(*seed), {}};
  auto figures = history.run(seed->community.id, days);
  if (!figures) return std::unexpected(figures.error());
  return SeedHistory{std::move(*seed), *figures};
}

}  // namespace juwei::service
