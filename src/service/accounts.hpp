// Accounts, passwords and sessions. Passwords are hashed with argon2id (libsodium
// crypto_pwhash_str); a session token is 32 random bytes, handed out once and stored only as
// its BLAKE2b hash. Repeated failed logins of an account meet a growing delay, then lock the
// account for a while (kept in the database: a restart does not lift it); failures from one
// client address only slow that address down, by at most kMaxAddressDelay, and never lock it: a
// committee office shares one address. A change to an account names who makes it (`by`, a user of
// the account's community or kOperator) and is audited in the account's community; logins and
// sessions are not. Thread-safe: the throttle is guarded by a mutex; the Store serializes
// transactions.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "domain/account.hpp"
#include "service/audit.hpp"
#include "service/clock.hpp"
#include "service/error.hpp"
#include "store/store.hpp"

namespace juwei::service {

// argon2id costs: 2 passes over 19 MiB (the OWASP baseline for argon2id), so a login costs a
// server ~20 MiB for a few tens of milliseconds. Hashes with other costs still verify and are
// re-hashed at the next successful login.
inline constexpr unsigned long long kPasswordOpsLimit = 2;
inline constexpr std::size_t kPasswordMemLimit = 19U << 20;

inline constexpr std::chrono::hours kSessionLifetime{12};
// A valid session is remembered this long, so requests do not each read it from the
// database. Logout, a new password or disabling through this server end it at once; the same
// done by another process (`juwei user disable`) takes effect here within this time.
inline constexpr std::chrono::seconds kSessionCacheTime{5};
inline constexpr std::size_t kSessionCacheSize = 10'000;
inline constexpr int kFreeFailures = 3;        // failures before any delay
inline constexpr int kLockAfterFailures = 10;  // of one account
inline constexpr std::chrono::minutes kLockFor{15};
inline constexpr std::chrono::seconds kMaxAddressDelay{8};

// The accounts `juwei demo` creates in the seed community, one per desk and gate role.
inline constexpr std::pair<std::string_view, domain::Role> kDemoUsers[] = {
    {"admin", domain::Role::admin},         {"secretary", domain::Role::secretary},
    {"staff", domain::Role::staff},         {"gate", domain::Role::gate},
    {"volunteer", domain::Role::volunteer},
};

struct LoginSession {
  std::string token;  // shown once; "c<community>.<random>"
  domain::User user;
  std::string expires_at;
};

// The outcome of a login attempt: a session, or why not (a rule outcome, not an Error).
struct LoginOutcome {
  enum class Refusal { none, bad_credentials, throttled };
  std::optional<LoginSession> session;
  Refusal refusal = Refusal::none;
  std::chrono::seconds retry_after{0};
};

class Accounts {
 public:
  Accounts(store::Store& store, Clock clock);

  // A resident's account names the resident it belongs to (they see their own household);
  // no other role does (resident_id 0). Audited as "user.create".
  Result<domain::User> add_user(domain::CommunityId community, std::string_view username,
                                domain::Role role, std::string_view password,
                                std::int64_t resident_id, domain::UserId by);
  // Audited as "user.password": the trail holds no password, nor its hash.
  Result<void> set_password(std::string_view username, std::string_view password,
                            domain::UserId by);
  // Audited as "user.disable" or "user.enable".
  Result<void> set_disabled(std::string_view username, bool disabled, domain::UserId by);
  Result<std::vector<domain::User>> list(domain::CommunityId community);

  Result<LoginOutcome> login(std::string_view username, std::string_view password,
                             std::string_view client_address);
  // The user a token belongs to, if it is valid now (not expired, revoked or disabled; see
  // kSessionCacheTime).
  Result<std::optional<domain::User>> authenticate(std::string_view token);
  Result<void> logout(std::string_view token);

  // A random password for accounts created by `init` and `demo` (printed once).
  static std::string generate_password();

 private:
  struct Throttle {
    int failures = 0;
    TimePoint next_allowed{};
  };
  // Finds the user, applies `change` and audits the change it returns, and, if asked, ends
  // the user's sessions; one transaction.
  Result<void> change_user(
      std::string_view username, bool end_sessions, domain::UserId by,
      const std::function<Result<AuditEntry>(store::Transaction&, const domain::User&)>& change);
  std::chrono::seconds wait_for(std::string_view key, TimePoint now);  // requires m_mutex
  // requires m_mutex; the delay grows to at most `cap`
  void note_failure(const std::string& key, TimePoint now, std::chrono::seconds cap);

  struct CachedSession {
    domain::User user;
    std::string expires_at;
    TimePoint checked_at{};
  };

  store::Store& m_store;
  Clock m_clock;
  std::mutex m_mutex;
  std::map<std::string, Throttle, std::less<>> m_throttle;    // guarded by m_mutex
  std::unordered_map<std::string, CachedSession> m_sessions;  // by token hash; m_mutex
};

}  // namespace juwei::service
