#include "http/json_input.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>
#include <string>

namespace juwei::http {
namespace {

Request json_request(std::string body) {
  Request r;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

// The class of bug: a JSON number accepted by the type check, then converted with a call that
// throws (a 500). Every number a client can send is either refused with its field named, or
// read as the value it is.
TEST(JsonBody, NumbersThatDoNotFitAreRefusedNamingTheField) {
  struct Case {
    std::string value;
    bool id_ok;
    bool integer_ok;
  } cases[] = {
      {"1", true, true},
      {"9223372036854775807", true, true},    // INT64_MAX
      {"9223372036854775808", false, false},  // read as a uint64
      {"18446744073709551615", false, false},  // UINT64_MAX
      {"18446744073709551616", false, false},  // read as a double
      {"1e30", false, false},
      {"-1", false, true},
      {"0", false, true},
      {"-9223372036854775808", false, true},
      {"\"42\"", true, false},
      {"\"9223372036854775808\"", false, false},
      {"\"00042\"", true, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.value);
    const std::string body = R"({"resident_id":)" + c.value + R"(,"floors":)" + c.value + "}";
    const auto parsed = json_body(json_request(body), {{"resident_id", JsonType::id, true},
                                                       {"floors", JsonType::integer, true}});
    if (c.id_ok && c.integer_ok) {
      ASSERT_TRUE(parsed.has_value()) << parsed.error().body;
      EXPECT_EQ(int_field(*parsed, "resident_id"), int_field(*parsed, "floors"));
      continue;
    }
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().status, 400);
    const auto problem = boost::json::parse(parsed.error().body).as_object();
    std::set<std::string> named;
    for (const auto& e : problem.at("errors").as_array())
      named.insert(std::string(e.at("field").as_string()));
    EXPECT_EQ(named.contains("resident_id"), !c.id_ok);
    EXPECT_EQ(named.contains("floors"), !c.integer_ok);
  }
  // The reads never throw, whatever they are handed.
  const auto big = boost::json::parse(R"({"n":18446744073709551615,"s":"x"})").as_object();
  EXPECT_EQ(int_field(big, "n"), std::nullopt);
  EXPECT_EQ(int_field(big, "s"), std::nullopt);
}

}  // namespace
}  // namespace juwei::http
