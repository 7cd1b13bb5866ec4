#include "service/accounts.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <charconv>

#include "service/digest.hpp"
#include "service/transaction.hpp"

namespace juwei::service {
namespace {

bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

std::string hash_token(std::string_view token) {
  return blake2b_hex(token);
}

std::string random_base64(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string out(sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), raw.data(), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// "c12.<random>" -> 12; nullopt for anything else.
std::optional<domain::CommunityId> community_of_token(std::string_view token) {
  if (token.size() < 4 || token[0] != 'c') return std::nullopt;
  const auto dot = token.find('.');
  if (dot == std::string_view::npos || dot < 2) return std::nullopt;
  domain::CommunityId id = 0;
  const auto [ptr, ec] = std::from_chars(token.data() + 1, token.data() + dot, id);
  if (ec != std::errc() || ptr != token.data() + dot) return std::nullopt;
  return id;
}

Result<std::string> hash_password(std::string_view password) {
  if (!sodium_ready()) return std::unexpected(Error::internal("libsodium failed to start"));
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, password.data(), password.size(), kPasswordOpsLimit,
                        kPasswordMemLimit) != 0) {
    return std::unexpected(Error::internal("out of memory hashing a password"));
  }
  return std::string(hash);
}

// A fixed argon2id hash to verify against when the user does not exist, so a missing
// account costs the same time as a wrong password.
const std::string& dummy_hash() {
  static const std::string hash = hash_password("juwei-no-such-user").value_or("");
  return hash;
}

// An account's fields as the audit trail digests them (never its password hash).
std::string audit_text(const domain::User& u) {
  return fmt::format("{}|{}|{}|{}", u.username, domain::to_code(u.role), u.disabled, u.resident_id);
}

}  // namespace

Accounts::Accounts(store::Store& store, Clock clock) : m_store(store), m_clock(std::move(clock)) {}

std::string Accounts::generate_password() {
  sodium_ready();
  return random_base64(12);  // 16 characters, 96 bits
}

Result<domain::User> Accounts::add_user(domain::CommunityId community, std::string_view username,
                                        domain::Role role, std::string_view password,
                                        std::int64_t resident_id, domain::UserId by) {
  if (auto p = domain::username_problem(username)) return std::unexpected(Error::invalid(*p));
  if (auto p = domain::password_problem(password)) return std::unexpected(Error::invalid(*p));
  if ((role == domain::Role::resident) != (resident_id > 0)) {
    return std::unexpected(
        Error::invalid(role == domain::Role::resident
                           ? "a resident's account names the resident it belongs to (--resident ID)"
                           : "only a resident's account belongs to a resident"));
  }
  auto hash = hash_password(password);
  if (!hash) return std::unexpected(hash.error());
  auto tx = m_store.begin(store::TxMode::write);
  if (!tx) return std::unexpected(from_store(tx.error()));
  // A street office's accounts, and only they, belong to its own unit.
  auto unit = (*tx)->get_community(community);
  if (!unit) return std::unexpected(from_store(unit.error()));
  if (!*unit) return std::unexpected(Error::not_found(fmt::format("no community {}", community)));
  if ((*unit)->office != (role == domain::Role::street)) {
    return std::unexpected(Error::invalid(
        role == domain::Role::street
            ? "a street office's account belongs to its street, not to a community (--street NAME)"
            : fmt::format("{} holds its street office's accounts only (role street)",
                          (*unit)->name),
        {{"role", "user.role_unit", "the role does not belong there",
          role == domain::Role::street ? "街道账号属于街道，不属于居民区"
                                       : "街道办事处只有街道账号"}}));
  }
  if (resident_id > 0) {
    auto resident = (*tx)->get_resident(community, resident_id);
    if (!resident) return std::unexpected(from_store(resident.error()));
    if (!*resident || (*resident)->resident.removal.removed()) {
      return std::unexpected(Error::not_found(fmt::format("no resident {}", resident_id)));
    }
  }
  const TimePoint now = m_clock();
  domain::User user{community, 0, std::string(username), role, false, resident_id};
  auto id = (*tx)->insert_user(user, *hash, iso_utc(now));
  if (!id) {
    if (id.error().kind == store::Error::Kind::conflict) {
      return std::unexpected(
          Error{Error::Kind::conflict, fmt::format("the username '{}' is taken", username)});
    }
    return std::unexpected(from_store(id.error()));
  }
  user.id = *id;
  if (auto a =
          audit(**tx, community, by,
                {"user.create", "user", std::to_string(user.id), "", audit_text(user), ""}, now);
      !a) {
    return std::unexpected(a.error());
  }
  if (auto done = (*tx)->commit(); !done) return std::unexpected(from_store(done.error()));
  return user;
}

Result<void> Accounts::change_user(
    std::string_view username, bool end_sessions, domain::UserId by,
    const std::function<Result<AuditEntry>(store::Transaction&, const domain::User&)>& change) {
  const TimePoint now = m_clock();
  auto tx = m_store.begin(store::TxMode::write);
  if (!tx) return std::unexpected(from_store(tx.error()));
  auto user = (*tx)->find_user(username);
  if (!user) return std::unexpected(from_store(user.error()));
  if (!*user) return std::unexpected(Error::not_found(fmt::format("no user '{}'", username)));
  const domain::User& u = (*user)->user;
  auto entry = change(**tx, u);
  if (!entry) return std::unexpected(entry.error());
  // The account's own community keeps the record: every account has one.
  if (auto a = audit(**tx, u.community_id, by, *entry, now); !a) return a;
  if (end_sessions) {
    if (auto r = (*tx)->revoke_sessions_of(u.community_id, u.id, iso_utc(now)); !r) {
      return std::unexpected(from_store(r.error()));
    }
  }
  if (auto done = (*tx)->commit(); !done) return std::unexpected(from_store(done.error()));
  std::lock_guard lock(m_mutex);
  m_sessions.clear();  // rare; the next requests read their sessions again
  return {};
}

Result<void> Accounts::set_password(std::string_view username, std::string_view password,
                                    domain::UserId by) {
  if (auto p = domain::password_problem(password)) return std::unexpected(Error::invalid(*p));
  auto hash = hash_password(password);
  if (!hash) return std::unexpected(hash.error());
  // A new password ends every session the old one opened. The trail gets only a digest of
  // the new hash (which it digests once more).
  auto change = [&](store::Transaction& tx, const domain::User& u) -> Result<AuditEntry> {
    if (auto r = lift(tx.set_user_password(u.community_id, u.id, *hash)); !r) {
      return std::unexpected(r.error());
    }
    return AuditEntry{"user.password",
                      "user",
                      std::to_string(u.id),
                      "",
                      audit_text(u) + "|" + blake2b_hex(*hash),
                      ""};
  };
  return change_user(username, true, by, change);
}

Result<void> Accounts::set_disabled(std::string_view username, bool disabled, domain::UserId by) {
  auto change = [&](store::Transaction& tx, const domain::User& u) -> Result<AuditEntry> {
    if (auto r = lift(tx.set_user_disabled(u.community_id, u.id, disabled)); !r) {
      return std::unexpected(r.error());
    }
    domain::User after = u;
    after.disabled = disabled;
    return AuditEntry{disabled ? "user.disable" : "user.enable",
                      "user",
                      std::to_string(u.id),
                      audit_text(u),
                      audit_text(after),
                      ""};
  };
  return change_user(username, disabled, by, change);
}

Result<std::vector<domain::User>> Accounts::list(domain::CommunityId community) {
  auto tx = m_store.begin(store::TxMode::read);
  if (!tx) return std::unexpected(from_store(tx.error()));
  auto users = (*tx)->list_users(community);
  if (!users) return std::unexpected(from_store(users.error()));
  return std::move(*users);
}

std::chrono::seconds Accounts::wait_for(std::string_view key, TimePoint now) {
  const auto it = m_throttle.find(key);
  if (it == m_throttle.end() || it->second.next_allowed <= now) return std::chrono::seconds(0);
  return std::chrono::duration_cast<std::chrono::seconds>(it->second.next_allowed - now);
}

void Accounts::note_failure(const std::string& key, TimePoint now, std::chrono::seconds cap) {
  Throttle& t = m_throttle[key];
  ++t.failures;
  if (t.failures > kFreeFailures) {
    // 2, 4, 8 ... seconds, at most `cap`.
    const int exponent = std::min(t.failures - kFreeFailures, 6);
    t.next_allowed = now + std::min(std::chrono::seconds(1 << exponent), cap);
  }
}

Result<LoginOutcome> Accounts::login(std::string_view username, std::string_view password,
                                     std::string_view client_address) {
  if (!sodium_ready()) return std::unexpected(Error::internal("libsodium failed to start"));
  const TimePoint now = m_clock();
  const std::string user_key = "user:" + std::string(username);
  const std::string address_key = "addr:" + std::string(client_address);
  const auto throttled = [](std::chrono::seconds wait) {
    return LoginOutcome{std::nullopt, LoginOutcome::Refusal::throttled, wait};
  };
  {
    std::lock_guard lock(m_mutex);
    const auto wait = std::max(wait_for(user_key, now), wait_for(address_key, now));
    if (wait.count() > 0) return throttled(wait);
  }
  std::optional<store::StoredUser> user;
  {
    auto tx = m_store.begin(store::TxMode::read);
    if (!tx) return std::unexpected(from_store(tx.error()));
    auto found = (*tx)->find_user(username);
    if (!found) return std::unexpected(from_store(found.error()));
    user = std::move(*found);
  }
  // A locked account stays locked, the right password too, until its lock ends.
  if (user && !user->locked_until.empty()) {
    if (const auto until = parse_iso_utc(user->locked_until); until && *until > now) {
      return throttled(std::chrono::ceil<std::chrono::seconds>(*until - now));
    }
  }
  // Verify even when the user is missing, so timing does not tell which usernames exist.
  const std::string& hash = user ? user->password_hash : dummy_hash();
  const bool password_ok =
      password.size() <= domain::kMaxPasswordLength &&
      crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
  if (!user || !password_ok || user->user.disabled) {
    {
      std::lock_guard lock(m_mutex);
      note_failure(user_key, now, std::chrono::duration_cast<std::chrono::seconds>(kLockFor));
      note_failure(address_key, now, kMaxAddressDelay);
    }
    if (user) {
      // The account's count and lock, in the database.
      const int failures = user->failed_logins + 1;
      const std::string locked_until =
          failures >= kLockAfterFailures ? iso_utc(now + kLockFor) : std::string();
      auto tx = m_store.begin(store::TxMode::write);
      if (!tx) return std::unexpected(from_store(tx.error()));
      if (auto r = (*tx)->set_login_failures(user->user.community_id, user->user.id,
                                             failures >= kLockAfterFailures ? 0 : failures,
                                             locked_until);
          !r) {
        return std::unexpected(from_store(r.error()));
      }
      if (auto done = (*tx)->commit(); !done) return std::unexpected(from_store(done.error()));
    }
    return LoginOutcome{std::nullopt, LoginOutcome::Refusal::bad_credentials, {}};
  }
  {
    std::lock_guard lock(m_mutex);
    m_throttle.erase(user_key);
  }
  const domain::User& u = user->user;
  const std::string token = fmt::format("c{}.{}", u.community_id, random_base64(32));
  store::Session session{
      u.community_id, hash_token(token), u.id, iso_utc(now), iso_utc(now + kSessionLifetime), ""};
  auto tx = m_store.begin(store::TxMode::write);
  if (!tx) return std::unexpected(from_store(tx.error()));
  if (auto r = (*tx)->insert_session(session); !r) return std::unexpected(from_store(r.error()));
  if (user->failed_logins != 0 || !user->locked_until.empty()) {
    if (auto r = (*tx)->set_login_failures(u.community_id, u.id, 0, ""); !r) {
      return std::unexpected(from_store(r.error()));
    }
  }
  // A hash made with other costs (an older Juwei) is replaced now that we know the password.
  if (crypto_pwhash_str_needs_rehash(hash.c_str(), kPasswordOpsLimit, kPasswordMemLimit) != 0) {
    auto rehashed = hash_password(password);
    if (!rehashed) return std::unexpected(rehashed.error());
    if (auto r = (*tx)->set_user_password(u.community_id, u.id, *rehashed); !r) {
      return std::unexpected(from_store(r.error()));
    }
  }
  if (auto done = (*tx)->commit(); !done) return std::unexpected(from_store(done.error()));
  return LoginOutcome{LoginSession{token, u, session.expires_at}, LoginOutcome::Refusal::none, {}};
}

Result<std::optional<domain::User>> Accounts::authenticate(std::string_view token) {
  const auto community = community_of_token(token);
  if (!community) return std::optional<domain::User>();
  const std::string token_hash = hash_token(token);
  const TimePoint now = m_clock();
  const std::string now_iso = iso_utc(now);
  {
    std::lock_guard lock(m_mutex);
    const auto it = m_sessions.find(token_hash);
    if (it != m_sessions.end() && now - it->second.checked_at < kSessionCacheTime &&
        it->second.expires_at > now_iso) {
      return std::optional<domain::User>(it->second.user);
    }
  }
  auto tx = m_store.begin(store::TxMode::read);
  if (!tx) return std::unexpected(from_store(tx.error()));
  auto session = (*tx)->find_session(*community, token_hash);
  if (!session) return std::unexpected(from_store(session.error()));
  // ISO-8601 UTC strings of one fixed format compare like the times they spell.
  if (!*session || !(*session)->revoked_at.empty() || (*session)->expires_at <= now_iso) {
    return std::optional<domain::User>();
  }
  auto user = (*tx)->get_user(*community, (*session)->user_id);
  if (!user) return std::unexpected(from_store(user.error()));
  if (!*user || (*user)->user.disabled) return std::optional<domain::User>();
  std::lock_guard lock(m_mutex);
  if (m_sessions.size() >= kSessionCacheSize) m_sessions.clear();
  m_sessions[token_hash] = CachedSession{(*user)->user, (*session)->expires_at, now};
  return std::optional<domain::User>((*user)->user);
}

Result<void> Accounts::logout(std::string_view token) {
  const auto community = community_of_token(token);
  if (!community) return std::unexpected(Error::not_found("no such session"));
  auto tx = m_store.begin(store::TxMode::write);
  if (!tx) return std::unexpected(from_store(tx.error()));
  const std::string token_hash = hash_token(token);
  if (auto r = (*tx)->revoke_session(*community, token_hash, iso_utc(m_clock())); !r) {
    return std::unexpected(from_store(r.error()));
  }
  if (auto done = (*tx)->commit(); !done) return std::unexpected(from_store(done.error()));
  std::lock_guard lock(m_mutex);
  m_sessions.erase(token_hash);
  return {};
}

}  // namespace juwei::service
