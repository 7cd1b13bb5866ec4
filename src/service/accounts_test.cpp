#include "service/accounts.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include "service/digest.hpp"
#include "service/service_test_fixture.hpp"

namespace juwei::service {
namespace {

using namespace std::chrono;
using Refusal = LoginOutcome::Refusal;

using AccountsTest = ServiceTest;

TEST_F(AccountsTest, LogsInWithTheRightPasswordOnly) {
  Accounts accounts(*m_store, clock());
  ASSERT_TRUE(
      accounts
          .add_user(m_community, "liumiao", domain::Role::secretary, "correct horse", 0, kOperator)
          .has_value());
  auto bad = accounts.login("liumiao", "wrong horse!", "10.0.0.1").value();
  EXPECT_EQ(bad.refusal, Refusal::bad_credentials);
  EXPECT_EQ(accounts.login("nobody", "correct horse", "10.0.0.1").value().refusal,
            Refusal::bad_credentials);

  const auto ok = accounts.login("liumiao", "correct horse", "10.0.0.1").value();
  ASSERT_TRUE(ok.session.has_value());
  EXPECT_EQ(ok.session->user.role, domain::Role::secretary);
  EXPECT_EQ(ok.session->expires_at, "2022-04-04T14:00:00Z");
  const auto user = accounts.authenticate(ok.session->token).value();
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->username, "liumiao");

  // Tokens are unguessable and only their hash is stored: a changed token is nobody.
  std::string forged = ok.session->token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(accounts.authenticate(forged).value().has_value());
  EXPECT_FALSE(accounts.authenticate("garbage").value().has_value());
}

TEST_F(AccountsTest, SessionsExpireAndLogOut) {
  Accounts accounts(*m_store, clock());
  ASSERT_TRUE(
      accounts.add_user(m_community, "staff1", domain::Role::staff, "0123456789", 0, kOperator)
          .has_value());
  const auto a = accounts.login("staff1", "0123456789", "x").value().session.value();
  const auto b = accounts.login("staff1", "0123456789", "x").value().session.value();
  EXPECT_NE(a.token, b.token);
  ASSERT_TRUE(accounts.logout(a.token).has_value());
  EXPECT_FALSE(accounts.authenticate(a.token).value().has_value());
  EXPECT_TRUE(accounts.authenticate(b.token).value().has_value());
  m_now += kSessionLifetime;
  EXPECT_FALSE(accounts.authenticate(b.token).value().has_value());
}

TEST_F(AccountsTest, DisablingOrChangingThePasswordEndsSessions) {
  Accounts accounts(*m_store, clock());
  ASSERT_TRUE(
      accounts.add_user(m_community, "gate1", domain::Role::gate, "0123456789", 0, kOperator)
          .has_value());
  auto s = accounts.login("gate1", "0123456789", "x").value().session.value();
  ASSERT_TRUE(accounts.set_password("gate1", "9876543210", kOperator).has_value());
  EXPECT_FALSE(accounts.authenticate(s.token).value().has_value());
  EXPECT_EQ(accounts.login("gate1", "0123456789", "x").value().refusal, Refusal::bad_credentials);
  s = accounts.login("gate1", "9876543210", "x").value().session.value();
  ASSERT_TRUE(accounts.set_disabled("gate1", true, kOperator).has_value());
  EXPECT_FALSE(accounts.authenticate(s.token).value().has_value());
  EXPECT_EQ(accounts.login("gate1", "9876543210", "x").value().refusal, Refusal::bad_credentials);
}

TEST_F(AccountsTest, RepeatedFailuresSlowDownThenLock) {
  Accounts accounts(*m_store, clock());
  ASSERT_TRUE(
      accounts
          .add_user(m_community, "liumiao", domain::Role::secretary, "correct horse", 0, kOperator)
          .has_value());
  for (int i = 0; i < kFreeFailures; ++i) {
    EXPECT_EQ(accounts.login("liumiao", "guess" + std::to_string(i), "a").value().refusal,
              Refusal::bad_credentials);
  }
  EXPECT_EQ(accounts.login("liumiao", "guess", "a").value().refusal, Refusal::bad_credentials);
  // Now even the right password must wait.
  const auto held = accounts.login("liumiao", "correct horse", "a").value();
  EXPECT_EQ(held.refusal, Refusal::throttled);
  EXPECT_EQ(held.retry_after, seconds(2));
  // Another address is held back too: the account is throttled, not only the address.
  EXPECT_EQ(accounts.login("liumiao", "correct horse", "b").value().refusal, Refusal::throttled);
  for (int i = kFreeFailures + 1; i < kLockAfterFailures; ++i) {
    m_now += minutes(2);
    EXPECT_EQ(accounts.login("liumiao", "guess", "a").value().refusal, Refusal::bad_credentials);
  }
  m_now += minutes(2);
  const auto locked = accounts.login("liumiao", "correct horse", "a").value();
  EXPECT_EQ(locked.refusal, Refusal::throttled);
  EXPECT_GT(locked.retry_after, minutes(10));
  m_now += kLockFor;
  EXPECT_TRUE(accounts.login("liumiao", "correct horse", "a").value().session.has_value());
}

// A committee office shares one address: someone guessing from it (at another account, or at
// names that do not exist) slows that address by seconds at most; it never locks the secretary
// out. The account guessed at is locked, in the database: a restarted server keeps the lock.
TEST_F(AccountsTest, GuessesFromOneAddressLockTheAccountNotTheOffice) {
  Accounts accounts(*m_store, clock());
  ASSERT_TRUE(accounts.add_user(m_community, "liumiao", domain::Role::secretary, "correct horse", 0,
                                kOperator));
  ASSERT_TRUE(accounts.add_user(m_community, "wanggang", domain::Role::staff, "staff password", 0,
                                kOperator));
  for (int i = 0; i < 3 * kLockAfterFailures; ++i) {
    const bool staff = i % 2;
    const auto r =
        accounts.login(staff ? "wanggang" : "nobody" + std::to_string(i), "guess", "10.0.0.7");
    ASSERT_TRUE(r.has_value());
    // A name never tried before waits for the address alone: seconds, at most.
    if (!staff && r->refusal == Refusal::throttled) EXPECT_LE(r->retry_after, kMaxAddressDelay);
    m_now += minutes(1) + seconds(5);  // past the account's own delay
  }
  // The secretary, from the same office, a moment later.
  m_now += kMaxAddressDelay;
  const auto secretary = accounts.login("liumiao", "correct horse", "10.0.0.7").value();
  EXPECT_TRUE(secretary.session.has_value()) << static_cast<int>(secretary.refusal);
  // The account guessed at is locked, from any address, even with its password...
  const auto staff = accounts.login("wanggang", "staff password", "10.0.0.8").value();
  EXPECT_EQ(staff.refusal, Refusal::throttled);
  EXPECT_GT(staff.retry_after, seconds(64));  // longer than any delay: the lock
  // ... and after a restart (a new Accounts over the same database).
  Accounts restarted(*m_store, clock());
  EXPECT_EQ(restarted.login("wanggang", "staff password", "10.0.0.9").value().refusal,
            Refusal::throttled);
  m_now += kLockFor;
  EXPECT_TRUE(restarted.login("wanggang", "staff password", "10.0.0.9").value().session);
}

TEST_F(AccountsTest, RefusesBadNamesWeakPasswordsAndDuplicates) {
  Accounts accounts(*m_store, clock());
  EXPECT_EQ(
      accounts.add_user(m_community, "Bad Name", domain::Role::staff, "0123456789", 0, kOperator)
          .error()
          .kind,
      Error::Kind::invalid);
  EXPECT_EQ(accounts.add_user(m_community, "staff1", domain::Role::staff, "short", 0, kOperator)
                .error()
                .kind,
            Error::Kind::invalid);
  ASSERT_TRUE(
      accounts.add_user(m_community, "staff1", domain::Role::staff, "0123456789", 0, kOperator)
          .has_value());
  EXPECT_EQ(accounts.add_user(m_community, "staff1", domain::Role::gate, "0123456789", 0, kOperator)
                .error()
                .kind,
            Error::Kind::conflict);
  EXPECT_EQ(Accounts::generate_password().size(), 16u);
  EXPECT_NE(Accounts::generate_password(), Accounts::generate_password());
}

TEST_F(AccountsTest, AnOlderCostlierHashIsReplacedAtTheNextLogin) {
  char old_hash[crypto_pwhash_STRBYTES];
  const std::string password = "correct horse";
  ASSERT_EQ(
      crypto_pwhash_str(old_hash, password.data(), password.size(),
                        crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE),
      0);
  {
    auto tx = m_store->begin(store::TxMode::write).value();
    domain::User u{m_community, 0, "liumiao", domain::Role::secretary, false};
    ASSERT_TRUE(tx->insert_user(u, old_hash, "2022-04-04T00:00:00Z").has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }
  Accounts accounts(*m_store, clock());
  ASSERT_TRUE(accounts.login("liumiao", password, "10.0.0.1").value().session.has_value());
  const auto stored = m_store->begin(store::TxMode::read).value()->find_user("liumiao").value();
  EXPECT_NE(stored->password_hash.find("m=19456,t=2,p=1"), std::string::npos)
      << stored->password_hash;
  EXPECT_TRUE(accounts.login("liumiao", password, "10.0.0.1").value().session.has_value());
}

// Another process (juwei user disable) changes the database behind this server's back: its
// remembered session lasts at most kSessionCacheTime more; in-process changes end it at once.
TEST_F(AccountsTest, ASessionEndedElsewhereEndsHereWithinTheCacheTime) {
  Accounts server(*m_store, clock());
  ASSERT_TRUE(server.add_user(m_community, "liumiao", domain::Role::secretary, "correct horse", 0,
                              kOperator));
  ASSERT_TRUE(
      server.add_user(m_community, "wangli", domain::Role::staff, "correct horse", 0, kOperator));
  const auto a = server.login("liumiao", "correct horse", "10.0.0.1").value().session->token;
  const auto b = server.login("wangli", "correct horse", "10.0.0.1").value().session->token;
  ASSERT_TRUE(server.authenticate(a).value().has_value());
  ASSERT_TRUE(server.authenticate(b).value().has_value());

  Accounts other_process(*m_store, clock());
  ASSERT_TRUE(other_process.set_disabled("liumiao", true, kOperator));
  m_now += kSessionCacheTime - seconds{1};
  EXPECT_TRUE(server.authenticate(a).value().has_value());  // remembered
  m_now += seconds{1};
  EXPECT_FALSE(server.authenticate(a).value().has_value());

  ASSERT_TRUE(server.logout(b));
  EXPECT_FALSE(server.authenticate(b).value().has_value());  // at once
}

TEST_F(AccountsTest, AResidentsAccountBelongsToAResident) {
  Accounts accounts(*m_store, clock());
  EXPECT_EQ(
      accounts.add_user(m_community, "res1", domain::Role::resident, "0123456789", 0, kOperator)
          .error()
          .kind,
      Error::Kind::invalid);  // which resident?
  EXPECT_EQ(
      accounts.add_user(m_community, "res1", domain::Role::resident, "0123456789", 99, kOperator)
          .error()
          .kind,
      Error::Kind::not_found);
  EXPECT_EQ(
      accounts.add_user(m_community, "staff9", domain::Role::staff, "0123456789", 1, kOperator)
          .error()
          .kind,
      Error::Kind::invalid);
}

// rule: every change to an account is in its community's audit trail, with who made it; the
// trail holds neither the password nor its hash.
TEST_F(AccountsTest, EveryAccountChangeIsAuditedWithoutThePassword) {
  Accounts accounts(*m_store, clock());
  const auto from = last_seq();
  const auto by =
      accounts
          .add_user(m_community, "liumiao", domain::Role::secretary, "correct horse", 0, kOperator)
          .value()
          .id;
  const auto gate =
      accounts.add_user(m_community, "gate1", domain::Role::gate, "0123456789", 0, by).value().id;
  ASSERT_TRUE(accounts.set_password("gate1", "9876543210", by));
  ASSERT_TRUE(accounts.set_disabled("gate1", true, by));
  ASSERT_TRUE(accounts.set_disabled("gate1", false, kOperator));
  // Logins and sessions change no account: no record.
  ASSERT_TRUE(accounts.login("gate1", "9876543210", "10.0.0.1").value().session.has_value());
  // Refused changes leave none either.
  EXPECT_FALSE(accounts.add_user(m_community, "gate1", domain::Role::staff, "0123456789", 0, by));
  EXPECT_FALSE(accounts.set_password("gate1", "short", by));
  EXPECT_FALSE(accounts.set_disabled("nobody", true, by));

  const std::string a = std::to_string(by), g = std::to_string(gate);
  EXPECT_EQ(audited(from), (std::vector<Audited>{{"user.create", "user", a, kOperator},
                                                 {"user.create", "user", g, by},
                                                 {"user.password", "user", g, by},
                                                 {"user.disable", "user", g, by},
                                                 {"user.enable", "user", g, kOperator}}));
  const auto records = trail(from);
  EXPECT_EQ(records[0].role, "operator");  // the operator at the machine
  EXPECT_EQ(records[1].role, "secretary");
  EXPECT_NE(records[3].before_digest, records[3].after_digest);
  const std::string hash =
      m_store->begin(store::TxMode::read).value()->find_user("gate1").value()->password_hash;
  for (const store::AuditRecord& r : records) {
    for (const std::string& column : {r.before_digest, r.after_digest}) {
      EXPECT_NE(column, blake2b_hex(hash)) << r.action;
      EXPECT_NE(column, blake2b_hex("9876543210")) << r.action;
    }
  }
}

}  // namespace
}  // namespace juwei::service
