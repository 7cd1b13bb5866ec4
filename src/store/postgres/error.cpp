// SQLSTATEs and libpq's messages as store::Error. The kinds follow the SQLite backend
// (store/sqlite/db.cpp) so that the service treats both backends' failures alike.
#include "store/postgres/error.hpp"

#include <cctype>
#include <memory>
#include <vector>

namespace juwei::store::postgres {
namespace {

// The first line of a libpq or server message, without its severity prefix.
std::string first_line(std::string_view m) {
  m = m.substr(0, m.find('\n'));
  for (std::string_view prefix : {"ERROR:  ", "FATAL:  ", "PANIC:  "}) {
    if (m.starts_with(prefix)) m.remove_prefix(prefix.size());
  }
  while (!m.empty() && std::isspace(static_cast<unsigned char>(m.back())) != 0)
    m.remove_suffix(1);
  return std::string(m);
}

std::string_view field(const PGresult* r, int code) {
  const char* v = r != nullptr ? PQresultErrorField(r, code) : nullptr;
  return v != nullptr ? std::string_view(v) : std::string_view();
}

// The passwords `url` spells out: in the URI's user info and in any password= parameter.
std::vector<std::string> passwords_in(std::string_view url) {
  std::vector<std::string> found;
  if (const std::size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    const std::string_view rest = url.substr(scheme + 3);
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
      const std::string_view user_info = authority.substr(0, at);
      if (const std::size_t colon = user_info.find(':'); colon != std::string_view::npos) {
        found.emplace_back(user_info.substr(colon + 1));
      }
    }
  }
  for (std::size_t at = url.find("password="); at != std::string_view::npos;
       at = url.find("password=", at + 1)) {
    const std::string_view value = url.substr(at + 9);
    found.emplace_back(value.substr(0, value.find_first_of("& \t")));
  }
  return found;
}

}  // namespace

Error::Kind kind_of(std::string_view sqlstate) {
  if (sqlstate.starts_with("23")) return Error::Kind::conflict;  // integrity constraint
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") {
    return Error::Kind::busy;  // serialization failure, deadlock, lock_timeout: run it again
  }
  if (is_connection_lost(sqlstate)) return Error::Kind::unavailable;
  if (sqlstate == "XX001" || sqlstate == "XX002") return Error::Kind::corrupt;
  return Error::Kind::io;
}

bool is_connection_lost(std::string_view sqlstate) {
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

bool is_lost(PGconn* conn, const PGresult* result) {
  return is_connection_lost(field(result, PG_DIAG_SQLSTATE)) ||
         (conn != nullptr && PQstatus(conn) != CONNECTION_OK);
}

Error make_error(PGconn* conn, const PGresult* result, std::string_view what) {
  const std::string_view state = field(result, PG_DIAG_SQLSTATE);
  std::string text(field(result, PG_DIAG_MESSAGE_PRIMARY));
  if (text.empty() && result != nullptr) text = first_line(PQresultErrorMessage(result));
  if (text.empty() && conn != nullptr) text = first_line(PQerrorMessage(conn));
  const bool lost = is_lost(conn, result);

  std::string message(what);
  message += lost ? ": connection lost: " : ": ";
  message += text;
  if (!state.empty()) {
    message += " (SQLSTATE ";
    message += state;
    message += ')';
  }
  return Error{lost ? Error::Kind::unavailable : kind_of(state), std::move(message)};
}

std::string connect_failure_reason(std::string_view libpq_message) {
  std::string line = first_line(libpq_message);
  // libpq 15: `connection to server at "127.0.0.1", port 5999 failed: Connection refused`.
  if (const std::size_t failed = line.find("failed: "); failed != std::string::npos) {
    line = first_line(std::string_view(line).substr(failed + 8));
  }
  if (line.size() > 1 && std::isupper(static_cast<unsigned char>(line[0])) != 0 &&
      std::islower(static_cast<unsigned char>(line[1])) != 0) {
    line[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(line[0])));
  }
  return line;
}

Result<Target> parse_target(std::string_view url) {
  char* raw_error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(std::string(url).c_str(), &raw_error), &PQconninfoFree);
  if (!options) {
    std::string reason = raw_error != nullptr ? first_line(raw_error) : "out of memory";
    PQfreemem(raw_error);
    return std::unexpected(Error{
        Error::Kind::io, without_password("not a PostgreSQL URL: " + std::move(reason), url)});
  }
  std::string host;
  std::string port;
  Target t;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    const std::string_view key = o->keyword;
    if (key == "host" || (key == "hostaddr" && host.empty())) host = o->val;
    if (key == "port") port = o->val;
    if (key == "dbname") t.database = o->val;
  }
  t.server = (host.empty() ? "localhost" : host) + ":" + (port.empty() ? "5432" : port);
  return t;
}

std::string without_password(std::string text, std::string_view url) {
  for (const std::string& password : passwords_in(url)) {
    if (password.empty()) continue;
    for (std::size_t at = text.find(password); at != std::string::npos;
         at = text.find(password, at + 3)) {
      text.replace(at, password.size(), "***");
    }
  }
  return text;
}

}  // namespace juwei::store::postgres
