// The sharded layout the ctest fixture `pg_shards` starts (`scripts/pg-shards start DIR`, see
// docs/scale.md): JUWEI_TEST_SHARDED_URL_FILE names DIR/url, and a test makes a sharded database
// of its own with `pg-shards newdb`. Tests that get no such file skip their sharded half. The
// benchmark of the layout (bench/shard_bench.cpp) shares the street's count and command_output.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "support/pg_test_database.hpp"

namespace juwei::testing {

// DIR, the folder of the running layout.
inline std::optional<std::filesystem::path> shards_dir() {
  const char* file = std::getenv("JUWEI_TEST_SHARDED_URL_FILE");
  if (file == nullptr || *file == 0 || !std::filesystem::exists(file)) return std::nullopt;
  return std::filesystem::path(file).parent_path();
}

// The residents of each community by the current status of their building: a street office's
// daily view. The current status is a building's change that no later change follows; written
// as an outer join counted with FILTER (not as NOT EXISTS, which PostgreSQL 15's postgres_fdw
// cannot send to a shard), so the whole join and its aggregate run on each shard.
inline constexpr const char* kCountByStatus = R"sql(
  SELECT r.community_id, s.status, count(*) FILTER (WHERE later.change_id IS NULL) AS residents
  FROM residents r
  JOIN households h ON h.community_id = r.community_id AND h.household_id = r.household_id
  JOIN building_status s ON s.community_id = h.community_id AND s.building_id = h.building_id
  LEFT JOIN building_status later ON later.community_id = s.community_id
    AND later.building_id = s.building_id AND later.change_id > s.change_id
  WHERE r.deleted_at IS NULL AND h.deleted_at IS NULL
  GROUP BY r.community_id, s.status
  HAVING count(*) FILTER (WHERE later.change_id IS NULL) > 0
  ORDER BY r.community_id, s.status)sql";

// What a shell command printed, without its last newline; throws when it fails.
inline std::string command_output(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> out(popen(command.c_str(), "r"), pclose);
  if (!out) throw std::runtime_error("cannot run " + command);
  std::string printed;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, out.get()) != nullptr)
    printed += buffer;
  if (pclose(out.release()) != 0) throw std::runtime_error(command + " failed");
  while (!printed.empty() && printed.back() == '\n')
    printed.pop_back();
  return printed;
}

// Runs `scripts/pg-shards ACTION DIR NAME` and returns what it printed (newdb: the coordinator's
// url of the new database); throws when it fails.
inline std::string pg_shards(std::string_view action, const std::string& name) {
  return command_output(std::string("'" JUWEI_SOURCE_DIR "/scripts/pg-shards' ") +
                        std::string(action) + " '" + shards_dir().value().string() + "' " + name);
}

// The url of database `name` on shard k (pg-test-server wrote each server's url in its folder).
inline std::string pg_shard_url(int k, const std::string& name) {
  std::string server;
  std::getline(std::ifstream(shards_dir().value() / ("shard" + std::to_string(k)) / "url"), server);
  return pg_url_of(server, name);
}

}  // namespace juwei::testing
