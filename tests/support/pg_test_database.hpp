// A database of its own for a test, on the throwaway PostgreSQL that the ctest fixture
// `postgres` starts (scripts/pg-test-server): its URL is in the file JUWEI_TEST_PG_URL_FILE
// names (or in JUWEI_TEST_PG_URL). Tests that get no URL skip their PostgreSQL half.
#pragma once

#include <libpq-fe.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

namespace juwei::testing {

// The maintenance URL of the test server ("postgresql://juwei@127.0.0.1:PORT/postgres").
inline std::optional<std::string> pg_server_url() {
  if (const char* file = std::getenv("JUWEI_TEST_PG_URL_FILE"); file != nullptr && *file != 0) {
    std::ifstream in(file);
    std::string url;
    if (std::getline(in, url) && !url.empty()) return url;
    return std::nullopt;
  }
  if (const char* url = std::getenv("JUWEI_TEST_PG_URL"); url != nullptr && *url != 0) return url;
  return std::nullopt;
}

// `url` with its database name replaced by `name`.
inline std::string pg_url_of(const std::string& url, const std::string& name) {
  const auto slash = url.rfind('/');
  const auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + name + (query == std::string::npos ? "" : url.substr(query));
}

// Runs one statement on the server's maintenance database; throws with the server's message.
inline void pg_admin(const std::string& server_url, const std::string& sql) {
  PGconn* conn = PQconnectdb(server_url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    const std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot reach the test PostgreSQL: " + message);
  }
  PGresult* res = PQexec(conn, sql.c_str());
  const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  const std::string message = PQerrorMessage(conn);
  PQclear(res);
  PQfinish(conn);
  if (!ok) throw std::runtime_error(sql + ": " + message);
}

// Creates database `name` (collation C, as Juwei needs) and returns its URL.
inline std::string pg_create_database(const std::string& server_url, const std::string& name) {
  pg_admin(server_url, "CREATE DATABASE " + name +
                           " TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'");
  return pg_url_of(server_url, name);
}

inline void pg_drop_database(const std::string& server_url, const std::string& name) {
  pg_admin(server_url, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
}

// The --db URL a test's juwei uses, in its scratch folder `dir`: SQLite by default; a fresh
// PostgreSQL database (named after the folder) when JUWEI_TEST_BACKEND is
// "postgresql:URLFILE", the file holding the test server's URL, as ctest sets it for the API
// tests' second run (one variable: ctest splits test properties at semicolons).
inline std::string test_database_url(const std::string& dir) {
  const char* backend = std::getenv("JUWEI_TEST_BACKEND");
  const std::string prefix = "postgresql:";
  if (backend == nullptr || !std::string(backend).starts_with(prefix)) {
    return "sqlite:" + dir + "/juwei.db";
  }
  std::ifstream in(std::string(backend).substr(prefix.size()));
  std::string server;
  if (!std::getline(in, server) || server.empty()) {
    throw std::runtime_error(std::string("JUWEI_TEST_BACKEND=") + backend + ": no server URL");
  }
  std::string name = "juwei_" + dir.substr(dir.rfind('/') + 1);
  for (char& ch : name)
    if (std::isalnum(static_cast<unsigned char>(ch)) == 0) ch = '_';
  pg_drop_database(server, name);
  return pg_create_database(server, name);
}

}  // namespace juwei::testing
