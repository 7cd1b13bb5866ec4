// For service tests: a fresh SQLite file in a scratch folder with one community, a clock
// the test moves by hand (m_now), and a look at the community's audit trail.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "service/audit.hpp"
#include "service/open_store.hpp"
#include "service/registry.hpp"

namespace juwei::service {

// What a test checks of an audit record: who did what to which record.
struct Audited {
  std::string action;
  std::string entity;
  std::string entity_id;
  domain::UserId actor = 0;
  friend bool operator==(const Audited&, const Audited&) = default;
  friend void PrintTo(const Audited& a, std::ostream* os) {
    *os << a.action << ' ' << a.entity << ' ' << a.entity_id << " by " << a.actor;
  }
};

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    m_dir = std::filesystem::temp_directory_path() /
            ("juwei-service-" + std::to_string(rd()) + "-" + std::to_string(rd()));
    m_store = open_store("sqlite:" + (m_dir / "juwei.db").string()).value();
    m_community = Registry(*m_store, clock())
                      .init_community("春晖居民区", "", kOperator)
                      .value()
                      .community.id;
  }
  void TearDown() override {
    m_store.reset();
    std::filesystem::remove_all(m_dir);
  }
  Clock clock() {
    return [this] { return m_now; };
  }
  // The trail of community `c` after record `after`, which must still verify.
  std::vector<store::AuditRecord> trail(std::int64_t after = 0, domain::CommunityId c = 0) {
    if (c == 0) c = m_community;
    const auto check = verify_audit(*m_store, c).value();
    EXPECT_FALSE(check.first_bad.has_value()) << check.problem;
    return audit_records(*m_store, c, after, 1000).value();
  }
  std::vector<Audited> audited(std::int64_t after = 0, domain::CommunityId c = 0) {
    std::vector<Audited> out;
    for (const store::AuditRecord& r : trail(after, c))
      out.push_back({r.action, r.entity, r.entity_id, r.actor});
    return out;
  }
  // The seq of the trail's last record: later records are what a test did.
  std::int64_t last_seq() {
    const auto all = trail();
    return all.empty() ? 0 : all.back().seq;
  }

  std::filesystem::path m_dir;
  std::unique_ptr<store::Store> m_store;
  domain::CommunityId m_community = 0;
  TimePoint m_now = std::chrono::sys_days{std::chrono::year{2022} / 4 / 4} + std::chrono::hours{2};
};

}  // namespace juwei::service
