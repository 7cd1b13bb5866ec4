// tests/vectors/offline_gate.json, as the server reads it: the bundle through the same JSON
// reader `juwei gate verify` uses, each case through domain::check_offline, each claims
// encoding through domain::encode_claims / decode_claims. web/tests/offline-vectors.mjs runs
// the same file through the gate page's offline.js, so the two copies of the rules cannot drift.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "domain/id_number.hpp"
#include "domain/offline_gate.hpp"
#include "domain/pass.hpp"
#include "domain/short_code.hpp"
#include "http/offline_json.hpp"
#include "service/clock.hpp"
#include "support/gate_vectors.hpp"

namespace juwei {
namespace {

namespace js = boost::json;

class OfflineVectors : public ::testing::Test {
 protected:
  void SetUp() override {
    m_text = testing::vector_file_text();
    m_doc = js::parse(m_text).as_object();
  }

  static domain::Instant time(const js::value& v) { return juwei::testing::vector_time(v); }
  static std::int64_t id(const js::value& v) { return juwei::testing::vector_id(v); }

  // claims_default with the case's own claims over it.
  domain::PassClaims claims(const js::object& own) const {
    return juwei::testing::vector_claims(m_doc.at("claims_default").as_object(), own);
  }

  std::string m_text;
  js::object m_doc;
};

TEST_F(OfflineVectors, TheServersRulesGiveEveryCasesVerdict) {
  const auto bundle = http::offline_bundle_from_json(js::serialize(m_doc.at("bundle")));
  ASSERT_TRUE(bundle) << bundle.error();
  const std::chrono::minutes offset{m_doc.at("utc_offset_minutes").as_int64()};
  const js::array& cases = m_doc.at("cases").as_array();
  ASSERT_GE(cases.size(), 30U);
  for (const js::value& v : cases) {
    const js::object& c = v.as_object();
    std::vector<domain::OfflineCheck> queued;
    for (const js::value& q : c.at("queued").as_array()) {
      const js::object& o = q.as_object();
      queued.push_back({id(o.at("pass_id")), o.at("direction").as_string() == "out",
                        o.at("decision").as_string() == "allow", time(o.at("at")),
                        o.contains("holder") ? id(o.at("holder")) : 0});
    }
    const domain::OfflineVerdict verdict = domain::check_offline(
        *bundle, claims(c.at("claims").as_object()), c.at("direction").as_string() == "out", queued,
        time(c.at("now")), offset);
    const std::string_view expected = c.at("expect").as_string();
    EXPECT_EQ(verdict.code, expected) << c.at("name").as_string();
    const bool allowed =
        expected == "gate.out" || expected == "gate.in" || expected == "gate.in_without_exit";
    EXPECT_EQ(verdict.allow, allowed) << c.at("name").as_string();
  }
}

TEST_F(OfflineVectors, ClaimsEncodeToTheirBytesAndMalformedBytesAreRefused) {
  for (const js::value& v : m_doc.at("encodings").as_array()) {
    const js::object& e = v.as_object();
    const domain::PassClaims c = claims(e.at("claims").as_object());
    const std::string bytes = domain::encode_claims(c);
    EXPECT_EQ(domain::base64url(bytes), e.at("bytes").as_string());
    EXPECT_EQ(domain::decode_claims(bytes), c);
  }
  for (const js::value& v : m_doc.at("malformed").as_array()) {
    const js::object& m = v.as_object();
    const auto bytes = domain::from_base64url(m.at("bytes").as_string());
    ASSERT_TRUE(bytes) << m.at("name").as_string();
    EXPECT_EQ(domain::decode_claims(*bytes), std::nullopt) << m.at("name").as_string();
  }
}

// What a guard types at the gate is read alike on the phone (web/src/lib/short-code.js,
// id-number.js) and here: a pass's short code and an ID number's check character.
TEST_F(OfflineVectors, TypedCodesAndIdNumbersReadAlike) {
  const auto& codes = m_doc.at("short_codes").as_array();
  ASSERT_FALSE(codes.empty());
  for (const js::value& v : codes) {
    const js::object& c = v.as_object();
    const std::string typed(c.at("typed").as_string());
    const auto read = domain::parse_short_code(typed);
    if (const auto* code = c.if_contains("code")) {
      ASSERT_TRUE(read) << typed;
      EXPECT_EQ(*read, code->as_string()) << typed;
    } else {
      ASSERT_FALSE(read) << typed;
      EXPECT_EQ(domain::to_code(read.error()), c.at("problem").as_string()) << typed;
    }
  }
  const auto& ids = m_doc.at("id_numbers").as_array();
  ASSERT_FALSE(ids.empty());
  for (const js::value& v : ids) {
    const std::string number(v.at("number").as_string());
    const char last = number.back() == 'x' ? 'X' : number.back();
    EXPECT_EQ(domain::id_check_character(number.substr(0, 17)) == last, v.at("valid").as_bool())
        << number;
  }
}

}  // namespace
}  // namespace juwei
