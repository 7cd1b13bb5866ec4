// Reading tests/vectors/offline_gate.json, shared by the runners that decide its cases (the
// offline C++ decider's and the online gate's): its times, its ids and a case's claims.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "domain/pass.hpp"
#include "service/clock.hpp"

namespace juwei::testing {

// The text of tests/vectors/offline_gate.json; throws when it cannot be read.
inline std::string vector_file_text() {
  std::ifstream in(JUWEI_SOURCE_DIR "/tests/vectors/offline_gate.json");
  if (!in) throw std::runtime_error("tests/vectors/offline_gate.json is missing");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A vector's time ("2022-04-05T02:00:00Z").
inline domain::Instant vector_time(const boost::json::value& v) {
  const auto t = service::parse_iso_utc(v.as_string());
  if (!t) throw std::runtime_error("not a time: " + std::string(v.as_string()));
  return *t;
}

// A vector's id, written as a string as the API writes ids.
inline std::int64_t vector_id(const boost::json::value& v) {
  return std::stoll(std::string(v.as_string()));
}

// The file's claims_default (`defaults`) with a case's own claims over it.
inline domain::PassClaims vector_claims(const boost::json::object& defaults,
                                        const boost::json::object& own) {
  boost::json::object merged = defaults;
  for (const auto& [key, value] : own)
    merged[key] = value;
  domain::PassClaims c;
  c.key_id = static_cast<std::uint32_t>(merged.at("key_id").as_int64());
  c.community_id = vector_id(merged.at("community_id"));
  c.pass_id = vector_id(merged.at("pass_id"));
  c.holder = vector_id(merged.at("holder"));
  c.kind = merged.at("kind").as_string() == "household" ? domain::PassKind::household
                                                        : domain::PassKind::individual;
  c.emergency = merged.at("emergency").as_bool();
  c.valid_from = vector_time(merged.at("valid_from"));
  c.valid_until = vector_time(merged.at("valid_until"));
  return c;
}

}  // namespace juwei::testing
