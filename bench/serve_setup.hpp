// Setting up `juwei serve` for the wrk loads, on either backend: the demo community with the
// accounts a load logs in as, emergency passes for the gate, a login, the gate's wrk script.
// Shared by the SQLite loads (gate_bench.cpp, http_bench.cpp) and the PostgreSQL ones
// (postgres_bench.cpp), so that both run the very same load. Header-only; failures throw
// std::runtime_error or come back as an unexpected string, to be shown by the benchmark.
#pragma once

#include <fmt/format.h>

#include <expected>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "service/exits.hpp"
#include "service/open_store.hpp"
#include "wrk.hpp"

namespace juwei::bench {

// An account a load logs in as.
struct Account {
  std::string_view name;
  std::string_view role;
  std::string_view password;
};

inline constexpr Account kGateAccount{"gate1", "gate", "gate-password-1"};
inline constexpr Account kDeskAccount{"bench", "staff", "bench-password"};

// The desk's search load: residents by room, a page of 20.
inline constexpr std::string_view kSearchPath = "/api/v1/residents?q=301&limit=20";
inline constexpr std::string_view kGateCheckPath = "/api/v1/gate/check";

// Emergency passes the gate load rotates through.
inline constexpr std::size_t kGatePasses = 256;

// `juwei demo --no-serve` into `db` (1,383 households, 3,650 residents), then `accounts`
// through `juwei user add`; `dir` holds the password file it reads.
inline void seed_demo(const std::string& db, const std::filesystem::path& dir,
                      std::initializer_list<Account> accounts) {
  const std::string bin = JUWEI_BIN;
  shell(bin + " demo --no-serve --db '" + db + "' > /dev/null");
  for (const Account& a : accounts) {
    std::ofstream(dir / "pw") << a.password << '\n';
    shell(fmt::format("{} user add {} --role {} --password-stdin --db '{}' < '{}' > /dev/null", bin,
                      a.name, a.role, db, (dir / "pw").string()));
  }
}

// POST /api/v1/session as `a`: the bearer token, or what the server answered.
inline std::expected<std::string, std::string> login(const std::string& base, const Account& a) {
  const std::string answer =
      shell(fmt::format("curl -s -X POST -H 'Content-Type: application/json' "
                        "-d '{{\"username\":\"{}\",\"password\":\"{}\"}}' {}/api/v1/session",
                        a.name, a.password, base));
  std::smatch t;
  if (!std::regex_search(answer, t, std::regex("\"token\":\"([^\"]+)\""))) {
    return std::unexpected(fmt::format("login of {} failed: {}", a.name, answer));
  }
  return t[1].str();
}

// Issues an emergency pass (绿色通道) to each of the first kGatePasses live residents of the
// database `url` that can get one, through the service as the command line does; returns the
// passes' tokens. The keys that sign them go to the data folder of `url` (service::data_folder),
// where `juwei serve` finds them: run the server from the same working folder.
inline std::vector<std::string> issue_passes(const std::string& url) {
  auto store = service::open_store(url);
  if (!store) throw std::runtime_error("cannot open " + url + ": " + store.error().message);
  // Candidates first, in a read transaction of their own: the releases below write.
  std::vector<std::pair<domain::CommunityId, domain::ResidentId>> residents;
  {
    auto tx = (*store)->begin(store::TxMode::read);
    if (!tx) throw std::runtime_error("cannot read " + url + ": " + tx.error().message);
    auto communities = (*tx)->list_communities();
    if (!communities)
      throw std::runtime_error("cannot list communities: " + communities.error().message);
    for (const domain::Community& c : *communities) {
      auto listed = (*tx)->for_each_resident(c.id, [&](const store::ResidentRow& row) {
        residents.emplace_back(c.id, row.resident.id);
        return residents.size() < 8 * kGatePasses;
      });
      if (!listed) throw std::runtime_error("cannot list residents: " + listed.error().message);
    }
  }
  service::Exits exits(**store, service::system_clock(), service::data_folder(url));
  std::vector<std::string> tokens;
  std::string last_problem;
  for (const auto& [community, resident] : residents) {
    if (tokens.size() == kGatePasses) break;
    const domain::User desk{community, 0, "cli", domain::Role::secretary};
    const service::EmergencyInput in{resident, "medical_emergency", "瑞金医院",
                                     "benchmark: chest pain"};
    auto v = exits.release_emergency(community, in, desk);
    if (v && v->pass) {
      tokens.push_back(v->pass->token);
    } else if (!v) {
      last_problem = v.error().message;
    }
  }
  if (tokens.size() < kGatePasses) {
    throw std::runtime_error(fmt::format("only {} emergency passes issued; last problem: {}",
                                         tokens.size(), last_problem));
  }
  return tokens;
}

// Logs in as the gate account, checks one pass by hand (the load must get 200 and "allow": in
// without exit) and writes the wrk script into `dir`: POST kGateCheckPath {"token": T,
// "direction": "in"} rotating through `tokens`. Each check is a write: a gate event and an audit
// record. Returns the script's path, or what went wrong.
inline std::expected<std::filesystem::path, std::string> gate_check_script(
    const std::string& base, const std::filesystem::path& dir,
    const std::vector<std::string>& tokens) {
  const auto bearer = login(base, kGateAccount);
  if (!bearer) return std::unexpected(bearer.error());
  const std::string probe = shell(
      fmt::format("curl -s -w ' %{{http_code}}' -X POST -H 'Content-Type: application/json' -H "
                  "'Authorization: Bearer {}' -d '{{\"token\":\"{}\",\"direction\":\"in\"}}' {}{}",
                  *bearer, tokens.front(), base, kGateCheckPath));
  if (!probe.ends_with(" 200") || probe.find("\"decision\":\"allow\"") == std::string::npos) {
    return std::unexpected("gate check probe: " + probe);
  }
  const std::filesystem::path script = dir / "gate.lua";
  std::ofstream lua(script);
  lua << "local tokens = {\n";
  for (const std::string& token : tokens)
    lua << "  \"" << token << "\",\n";
  lua << "}\n"
         "local i = math.random(#tokens)\n"
         "wrk.method = \"POST\"\n"
         "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
         "wrk.headers[\"Authorization\"] = \"Bearer "
      << *bearer
      << "\"\n"
         "request = function()\n"
         "  i = i % #tokens + 1\n"
         "  return wrk.format(nil, nil, nil,\n"
         "    '{\"token\":\"' .. tokens[i] .. '\",\"direction\":\"in\"}')\n"
         "end\n";
  return script;
}

}  // namespace juwei::bench
