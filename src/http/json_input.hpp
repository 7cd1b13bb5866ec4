// Reading what clients send: a JSON object body checked against the fields a route accepts
// (every problem listed, as problem+json), ids in paths, and list paging parameters.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <expected>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "http/router.hpp"

namespace juwei::http {

enum class JsonType {
  string,
  integer,
  boolean,
  id,       // an id: a string of digits (ids travel as strings) or a positive integer
  strings,  // an array of strings
  objects,  // an array of objects (the caller reads their fields)
};

struct FieldSpec {
  std::string_view name;
  JsonType type;
  bool required = false;
};

// The body as a JSON object whose fields are all known, of the right types, with the
// required ones present; else 415 (not JSON) or 400 listing every field at fault. `null`
// counts as absent.
std::expected<boost::json::object, Response> json_body(const Request& request,
                                                       std::initializer_list<FieldSpec> fields);

// Typed reads of a field json_body() has checked; nullopt when absent or null.
std::optional<std::string> string_field(const boost::json::object& body, std::string_view name);
std::optional<std::int64_t> int_field(const boost::json::object& body, std::string_view name);
std::optional<bool> bool_field(const boost::json::object& body, std::string_view name);
// An array of strings joined with ';'.
std::optional<std::string> strings_field(const boost::json::object& body, std::string_view name);

// A decimal integer, all of `text`.
std::optional<std::int64_t> to_int(std::string_view text);

// The {id} of a path, a positive integer; nullopt for anything else (the caller answers 404).
std::optional<std::int64_t> path_id(const Request& request);

struct Page {
  std::size_t limit = 50;
  std::int64_t after = 0;
};

// `limit` (1..500, default 50) and `cursor` (the next_cursor of the previous page).
std::expected<Page, Response> page_of(const Request& request);

// true/false/1/0 query flags; 400 naming the parameter otherwise.
std::expected<bool, Response> query_flag(const Request& request, std::string_view name);

}  // namespace juwei::http
