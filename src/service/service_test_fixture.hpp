// For service tests: a fresh SQLite file in a scratch folder with one community, and a clock
// the test moves by hand (m_now).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "service/open_store.hpp"
#include "service/registry.hpp"

namespace juwei::service {

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    m_dir = std::filesystem::temp_directory_path() /
            ("juwei-service-" + std::to_string(rd()) + "-" + std::to_string(rd()));
    m_store = open_store("sqlite:" + (m_dir / "juwei.db").string()).value();
    m_community = Registry(*m_store, clock()).init_community("春晖居民区").value().community.id;
  }
  void TearDown() override {
    m_store.reset();
    std::filesystem::remove_all(m_dir);
  }
  Clock clock() {
    return [this] { return m_now; };
  }

  std::filesystem::path m_dir;
  std::unique_ptr<store::Store> m_store;
  domain::CommunityId m_community = 0;
  TimePoint m_now = std::chrono::sys_days{std::chrono::year{2022} / 4 / 4} + std::chrono::hours{2};
};

}  // namespace juwei::service
