#include "http/offline_json.hpp"

#include <gtest/gtest.h>

#include <string>

namespace juwei::http {
namespace {

std::string bundle_with(std::string_view quota, std::string_view period_days) {
  return std::string(R"({"community_id":"1","issued_at":"2022-04-05T01:00:00Z",)"
                     R"("stale_after":"2022-04-06T01:00:00Z","keys":[],"passes":[{"id":"7",)"
                     R"("holder":"70","kind":"household","refusal":null,"out":false,"quota":)") +
         std::string(quota) + R"(,"period_days":)" + std::string(period_days) +
         R"(,"slots":"","uses":["2022-04-05T00:00:00Z"],"name":"住户70","building":"1号楼",)"
         R"("room":"107","id_number":"3101**********0070"}]})";
}

// A quota or period the gate's int cannot hold was wrapped into one: -2147483648 exits a week
// then overflowed in household_uses_left (found by fuzz/fuzz_offline_bundle). Each is refused,
// naming the field; any count an int holds is read as it is.
TEST(OfflineBundleFromJson, CountsThatDoNotFitAnIntAreRefusedNamingTheField) {
  struct Case {
    std::string_view quota;
    std::string_view period_days;
    std::string_view refused;  // the field named; empty: read
  } cases[] = {
      {"2", "7", ""},
      {"0", "0", ""},
      {"2147483647", "\"2147483647\"", ""},
      {"-2147483648", "7", "quota"},
      {"-1", "7", "quota"},
      {"4294967298", "7", "quota"},  // was read as 2
      {"2", "2147483648", "period_days"},
      {"2", "\"2147483648\"", "period_days"},
      {"2", "-7", "period_days"},
  };
  for (const auto& c : cases) {
    const auto bundle = offline_bundle_from_json(bundle_with(c.quota, c.period_days));
    if (c.refused.empty()) {
      ASSERT_TRUE(bundle) << c.quota << " " << c.period_days << ": " << bundle.error();
      EXPECT_EQ(std::to_string(bundle->passes.at(0).quota), c.quota);
    } else {
      ASSERT_FALSE(bundle) << c.quota << " " << c.period_days;
      EXPECT_EQ(bundle.error(),
                "passes[0]." + std::string(c.refused) + " is not a count from 0 to 2147483647");
    }
  }
}

}  // namespace
}  // namespace juwei::http
