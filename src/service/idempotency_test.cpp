#include "service/idempotency.hpp"

#include <gtest/gtest.h>

#include "service/service_test_fixture.hpp"

namespace juwei::service {
namespace {

using namespace std::chrono;

using IdempotencyTest = ServiceTest;

TEST_F(IdempotencyTest, ARetryGetsTheFirstAnswer) {
  Idempotency keys(*m_store, clock());
  auto first = keys.claim(m_community, 1, "k-1", "POST /x {}");
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(first->has_value());  // go ahead
  ASSERT_TRUE(keys.remember(m_community, 1, "k-1", StoredAnswer{201, "application/json", "{}"}));
  auto again = keys.claim(m_community, 1, "k-1", "POST /x {}").value();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 201);
  EXPECT_EQ(again->body, "{}");
  // Another user's key of the same name is theirs.
  EXPECT_FALSE(keys.claim(m_community, 2, "k-1", "POST /x {}").value().has_value());
}

TEST_F(IdempotencyTest, TheSameKeyForAnotherRequestIsAConflict) {
  Idempotency keys(*m_store, clock());
  ASSERT_TRUE(keys.claim(m_community, 1, "k-1", "POST /x {\"a\":1}").has_value());
  ASSERT_TRUE(keys.remember(m_community, 1, "k-1", StoredAnswer{201, "application/json", "{}"}));
  auto other = keys.claim(m_community, 1, "k-1", "POST /x {\"a\":2}");
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().kind, Error::Kind::conflict);
}

TEST_F(IdempotencyTest, AClaimInFlightBlocksUntilItIsAbandoned) {
  Idempotency keys(*m_store, clock());
  ASSERT_FALSE(keys.claim(m_community, 1, "k-1", "r").value().has_value());
  auto busy = keys.claim(m_community, 1, "k-1", "r");
  ASSERT_FALSE(busy.has_value());
  EXPECT_EQ(busy.error().kind, Error::Kind::conflict);
  m_now += kIdempotencyClaimTimeout + seconds{1};
  EXPECT_FALSE(keys.claim(m_community, 1, "k-1", "r").value().has_value());
}

TEST_F(IdempotencyTest, KeysAreForgottenAfterADayOrOnRequest) {
  Idempotency keys(*m_store, clock());
  ASSERT_FALSE(keys.claim(m_community, 1, "k-1", "r").value().has_value());
  ASSERT_TRUE(keys.remember(m_community, 1, "k-1", StoredAnswer{201, "text/plain", "x"}));
  m_now += kIdempotencyKeyLifetime + seconds{1};
  EXPECT_FALSE(keys.claim(m_community, 1, "k-1", "other").value().has_value());
  ASSERT_TRUE(keys.forget(m_community, 1, "k-1"));
  EXPECT_FALSE(keys.claim(m_community, 1, "k-1", "again").value().has_value());
}

TEST_F(IdempotencyTest, MalformedKeysAreInvalid) {
  Idempotency keys(*m_store, clock());
  for (const std::string& key :
       {std::string(), std::string(256, 'a'), std::string("a b"), std::string("钥匙")}) {
    auto r = keys.claim(m_community, 1, key, "r");
    ASSERT_FALSE(r.has_value()) << key;
    EXPECT_EQ(r.error().kind, Error::Kind::invalid);
  }
}

}  // namespace
}  // namespace juwei::service
