#include "http/json_input.hpp"

#include <boost/json.hpp>
#include <charconv>

namespace juwei::http {
namespace {

namespace js = boost::json;

// A JSON integer the program can hold. Boost.JSON reads an integer past INT64_MAX as a uint64
// (and one past UINT64_MAX as a double): each is refused here, where the field is named, so no
// read after the check converts a number that does not fit.
bool is_int64(const js::value& v) {
  return v.is_int64() || (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX));
}

bool is_id(const js::value& v) {
  if (is_int64(v)) return v.to_number<std::int64_t>() > 0;
  if (!v.is_string()) return false;
  const auto id = to_int(std::string_view(v.as_string()));
  return id && *id > 0;
}

bool has_type(const js::value& v, JsonType type) {
  switch (type) {
    case JsonType::string:
      return v.is_string();
    case JsonType::integer:
      return is_int64(v);
    case JsonType::boolean:
      return v.is_bool();
    case JsonType::id:
      return is_id(v);
    case JsonType::strings:
      return v.is_array() &&
             std::ranges::all_of(v.as_array(), [](const js::value& e) { return e.is_string(); });
    case JsonType::objects:
      return v.is_array() &&
             std::ranges::all_of(v.as_array(), [](const js::value& e) { return e.is_object(); });
  }
  return false;
}

std::string_view type_message(JsonType type) {
  switch (type) {
    case JsonType::string:
      return "must be a string";
    case JsonType::integer:
      return "must be an integer from -9223372036854775808 to 9223372036854775807";
    case JsonType::boolean:
      return "must be true or false";
    case JsonType::id:
      return "must be an id (a string of up to 19 digits)";
    case JsonType::strings:
      return "must be an array of strings";
    case JsonType::objects:
      return "must be an array of objects";
  }
  return "has the wrong type";
}

const js::value* present(const js::object& body, std::string_view name) {
  const js::value* v = body.if_contains(name);
  return v == nullptr || v->is_null() ? nullptr : v;
}

}  // namespace

std::expected<js::object, Response> json_body(const Request& request,
                                              std::initializer_list<FieldSpec> fields) {
  if (media_type(request.content_type) != "application/json") {
    return std::unexpected(
        problem(415, "Unsupported Media Type", "send the body as application/json"));
  }
  boost::system::error_code ec;
  js::value body = js::parse(request.body, ec);
  if (ec) {
    return std::unexpected(problem(400, "Bad Request", "the body is not valid JSON",
                                   {{"", "malformed JSON: " + ec.message()}}));
  }
  if (!body.is_object()) {
    return std::unexpected(problem(400, "Bad Request", "the body must be a JSON object",
                                   {{"", "expected an object"}}));
  }
  std::vector<FieldError> errors;
  for (const auto& [key, value] : body.as_object()) {
    const auto spec = std::ranges::find(fields, std::string_view(key), &FieldSpec::name);
    if (spec == fields.end()) {
      errors.push_back({std::string(key), "unknown field"});
    } else if (!value.is_null() && !has_type(value, spec->type)) {
      errors.push_back({std::string(key), std::string(type_message(spec->type))});
    }
  }
  for (const FieldSpec& spec : fields) {
    if (spec.required && present(body.as_object(), spec.name) == nullptr) {
      errors.push_back(
          {std::string(spec.name), "is required", std::string(spec.name) + ".missing", "必填"});
    }
  }
  if (!errors.empty()) {
    return std::unexpected(
        problem(400, "Bad Request", "the request has invalid fields", std::move(errors)));
  }
  return std::move(body.as_object());
}

std::optional<std::string> string_field(const js::object& body, std::string_view name) {
  const js::value* v = present(body, name);
  if (v == nullptr) return std::nullopt;
  return std::string(v->as_string());
}

std::optional<std::int64_t> int_field(const js::object& body, std::string_view name) {
  const js::value* v = present(body, name);
  if (v == nullptr) return std::nullopt;
  if (v->is_string()) return to_int(std::string_view(v->as_string()));
  if (!is_int64(*v)) return std::nullopt;
  return v->to_number<std::int64_t>();
}

std::optional<bool> bool_field(const js::object& body, std::string_view name) {
  const js::value* v = present(body, name);
  if (v == nullptr) return std::nullopt;
  return v->as_bool();
}

std::optional<std::string> strings_field(const js::object& body, std::string_view name) {
  const js::value* v = present(body, name);
  if (v == nullptr) return std::nullopt;
  std::string joined;
  for (const js::value& e : v->as_array()) {
    if (!joined.empty()) joined += ';';
    joined += std::string_view(e.as_string());
  }
  return joined;
}

std::optional<std::int64_t> to_int(std::string_view text) {
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<std::int64_t> path_id(const Request& request) {
  const auto it = request.params.find("id");
  if (it == request.params.end()) return std::nullopt;
  const auto id = to_int(it->second);
  if (!id || *id <= 0) return std::nullopt;
  return id;
}

std::expected<Page, Response> page_of(const Request& request) {
  Page page;
  std::vector<FieldError> errors;
  if (auto it = request.query.find("limit"); it != request.query.end()) {
    const auto limit = to_int(it->second);
    if (!limit || *limit < 1 || *limit > 500) {
      errors.push_back({"limit", "an integer from 1 to 500"});
    } else {
      page.limit = static_cast<std::size_t>(*limit);
    }
  }
  if (auto it = request.query.find("cursor"); it != request.query.end()) {
    const auto after = to_int(it->second);
    if (!after || *after < 0) {
      errors.push_back({"cursor", "the next_cursor of a previous page"});
    } else {
      page.after = *after;
    }
  }
  if (!errors.empty()) {
    return std::unexpected(
        problem(400, "Bad Request", "invalid query parameters", std::move(errors)));
  }
  return page;
}

std::expected<bool, Response> query_flag(const Request& request, std::string_view name) {
  const auto it = request.query.find(std::string(name));
  if (it == request.query.end()) return false;
  if (it->second == "true" || it->second == "1") return true;
  if (it->second == "false" || it->second == "0") return false;
  return std::unexpected(problem(400, "Bad Request", "invalid query parameters",
                                 {{std::string(name), "true or false"}}));
}

}  // namespace juwei::http
