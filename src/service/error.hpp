// Errors a use case reports to its caller (CLI or HTTP). `invalid`, `not_found` and
// `conflict` are the user's to fix (exit code 1, HTTP 4xx); `internal` is ours (exit 2, 5xx).
// Rule outcomes that are part of normal operation (a rejected row) are data, not Errors.
#pragma once

#include <expected>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace juwei::service {

// One invalid input field, as the HTTP layer reports it (problem+json `errors`).
struct FieldIssue {
  std::string field;  // "id_number"
  std::string code;   // stable: "id_number.bad_check_digit"
  std::string message;
  std::string message_zh;
};

struct Error {
  // unavailable: the database is busy with other writers or out of reach for now; the same
  // request may succeed when tried again (HTTP 503 with Retry-After, exit code 1).
  enum class Kind { invalid, not_found, conflict, internal, unavailable };
  Kind kind;
  std::string message;             // one line, saying what to fix
  std::vector<FieldIssue> fields;  // for invalid input: every field at fault

  static Error invalid(std::string m) { return {Kind::invalid, std::move(m)}; }
  static Error invalid(std::string m, std::vector<FieldIssue> fields) {
    return {Kind::invalid, std::move(m), std::move(fields)};
  }
  static Error not_found(std::string m) { return {Kind::not_found, std::move(m)}; }
  static Error conflict(std::string m) { return {Kind::conflict, std::move(m)}; }
  static Error internal(std::string m) { return {Kind::internal, std::move(m)}; }
  static Error unavailable(std::string m) { return {Kind::unavailable, std::move(m)}; }
  bool is_user_error() const { return kind != Kind::internal; }
};

template <typename T>
using Result = std::expected<T, Error>;

// Maps a storage failure: a foreign or too-new database is the user's to resolve; a busy or
// unreachable one is unavailable (try again); anything else is internal.
Error from_store(const store::Error& e);

}  // namespace juwei::service
