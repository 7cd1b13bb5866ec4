#include "http/api.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <charconv>

namespace juwei::http {
namespace {

namespace js = boost::json;

const std::vector<std::string> kEveryone = {"admin",     "secretary", "staff", "gate",
                                            "volunteer", "resident",  "street"};
const std::vector<std::string> kRegistryReaders = {"secretary", "staff", "gate", "volunteer"};
const std::vector<std::string> kDesk = {"secretary", "staff"};

Response from_error(const service::Error& e) {
  switch (e.kind) {
    case service::Error::Kind::invalid:
      return problem(400, "Bad Request", e.message);
    case service::Error::Kind::not_found:
      return problem(404, "Not Found", e.message);
    case service::Error::Kind::conflict:
      return problem(409, "Conflict", e.message);
    case service::Error::Kind::internal:
      break;
  }
  return problem(500, "Internal Server Error", "the server failed; the error is in its log");
}

// Parses a JSON object body with exactly the given string fields; every problem is listed.
std::expected<std::map<std::string, std::string>, Response> string_fields(
    const Request& req, std::initializer_list<std::string_view> required) {
  if (req.content_type.find("application/json") == std::string::npos) {
    return std::unexpected(
        problem(415, "Unsupported Media Type", "send the body as application/json"));
  }
  boost::system::error_code ec;
  const js::value body = js::parse(req.body, ec);
  if (ec) {
    return std::unexpected(problem(400, "Bad Request", "the body is not valid JSON",
                                   {{"", "malformed JSON: " + ec.message()}}));
  }
  if (!body.is_object()) {
    return std::unexpected(problem(400, "Bad Request", "the body must be a JSON object",
                                   {{"", "expected an object"}}));
  }
  std::map<std::string, std::string> out;
  std::vector<FieldError> errors;
  for (const auto& [key, value] : body.as_object()) {
    const std::string name(key);
    if (std::find(required.begin(), required.end(), name) == required.end()) {
      errors.push_back({name, "unknown field"});
    } else if (!value.is_string()) {
      errors.push_back({name, "must be a string"});
    } else {
      out[name] = std::string(value.as_string());
    }
  }
  for (std::string_view field : required) {
    if (!body.as_object().contains(field)) errors.push_back({std::string(field), "is required"});
  }
  if (!errors.empty()) {
    return std::unexpected(
        problem(400, "Bad Request", "the request has invalid fields", std::move(errors)));
  }
  return out;
}

js::object user_json(const domain::User& u) {
  return js::object{{"id", std::to_string(u.id)},
                    {"username", u.username},
                    {"role", domain::to_code(u.role)},
                    {"community_id", std::to_string(u.community_id)}};
}

js::object resident_json(const store::ResidentRow& row) {
  const domain::Resident& r = row.resident;
  js::array tags;
  for (domain::Vulnerability v : domain::kAllVulnerabilities) {
    if (r.vulnerabilities.has(v)) tags.emplace_back(domain::to_code(v));
  }
  return js::object{{"id", std::to_string(r.id)},
                    {"household_id", std::to_string(r.household_id)},
                    {"name", r.name},
                    {"gender", domain::to_code(r.gender)},
                    {"birth_date", domain::format_date(r.birth_date)},
                    {"id_number", r.id_number},
                    {"phone", r.phone},
                    {"building", row.building},
                    {"room", row.room},
                    {"relation", domain::to_code(r.relation)},
                    {"vulnerabilities", std::move(tags)},
                    {"volunteer", r.volunteer},
                    {"notes", r.notes}};
}

domain::Role role_of(const Request& req) {
  return domain::role_from_code(req.principal->role).value_or(domain::Role::resident);
}

std::optional<std::int64_t> to_int(std::string_view s) {
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

Authenticator make_authenticator(service::Accounts& accounts) {
  return [&accounts](const Request& req) -> std::optional<Principal> {
    auto user = accounts.authenticate(req.bearer);
    if (!user || !*user) return std::nullopt;
    const domain::User& u = **user;
    return Principal{u.id, u.username, std::string(domain::to_code(u.role)), u.community_id};
  };
}

void add_api_routes(Router& router, service::Accounts& accounts, service::Registry& registry) {
  router.add("POST", "/api/v1/session", {}, [&accounts](Request& req) {
    auto fields = string_fields(req, {"username", "password"});
    if (!fields) return fields.error();
    auto outcome = accounts.login((*fields)["username"], (*fields)["password"], req.client_address);
    if (!outcome) return from_error(outcome.error());
    using Refusal = service::LoginOutcome::Refusal;
    if (outcome->refusal == Refusal::throttled) {
      Response r =
          problem(429, "Too Many Requests", "too many failed logins; wait before trying again");
      r.headers.emplace_back("Retry-After", std::to_string(outcome->retry_after.count()));
      return r;
    }
    if (outcome->refusal == Refusal::bad_credentials) {
      return problem(401, "Unauthorized", "wrong username or password");
    }
    const service::LoginSession& s = *outcome->session;
    Response r = json(
        201,
        js::object{{"token", s.token}, {"expires_at", s.expires_at}, {"user", user_json(s.user)}});
    r.headers.emplace_back("Set-Cookie",
                           fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict; "
                                       "Max-Age={}",
                                       kSessionCookie, s.token,
                                       std::chrono::seconds(service::kSessionLifetime).count()));
    return r;
  });

  router.add("DELETE", "/api/v1/session", kEveryone, [&accounts](Request& req) {
    if (auto done = accounts.logout(req.bearer); !done) return from_error(done.error());
    Response r{204, "", "", {}};
    r.headers.emplace_back("Set-Cookie", fmt::format("{}=; Path=/; HttpOnly; SameSite=Strict; "
                                                     "Max-Age=0",
                                                     kSessionCookie));
    return r;
  });

  router.add("GET", "/api/v1/me", kEveryone, [](Request& req) {
    const Principal& p = *req.principal;
    return json(200, js::object{{"id", std::to_string(p.user_id)},
                                {"username", p.username},
                                {"role", p.role},
                                {"community_id", std::to_string(p.community_id)}});
  });

  router.add("GET", "/api/v1/residents", kRegistryReaders, [&registry](Request& req) {
    store::ResidentQuery q;
    q.community_id = req.principal->community_id;
    std::vector<FieldError> errors;
    if (auto it = req.query.find("q"); it != req.query.end()) q.text = it->second;
    if (auto it = req.query.find("limit"); it != req.query.end()) {
      const auto limit = to_int(it->second);
      if (!limit || *limit < 1 || *limit > 500) {
        errors.push_back({"limit", "an integer from 1 to 500"});
      } else {
        q.limit = static_cast<std::size_t>(*limit);
      }
    }
    if (auto it = req.query.find("cursor"); it != req.query.end()) {
      const auto after = to_int(it->second);
      if (!after || *after < 0) {
        errors.push_back({"cursor", "the next_cursor of a previous page"});
      } else {
        q.after = *after;
      }
    }
    if (!errors.empty()) {
      return problem(400, "Bad Request", "invalid query parameters", std::move(errors));
    }
    if (auto it = req.query.find("building"); it != req.query.end()) {
      auto building = registry.building(q.community_id, it->second);
      if (!building) return from_error(building.error());
      q.building = building->id;
    }
    auto rows = registry.search_as(role_of(req), q);
    if (!rows) return from_error(rows.error());
    js::array items;
    for (const auto& row : *rows)
      items.push_back(resident_json(row));
    js::value next = nullptr;
    if (rows->size() == q.limit) next = std::to_string(rows->back().resident.id);
    return json(200, js::object{{"items", std::move(items)}, {"next_cursor", next}});
  });

  router.add("GET", "/api/v1/buildings", kDesk, [&registry](Request& req) {
    auto buildings = registry.buildings(req.principal->community_id);
    if (!buildings) return from_error(buildings.error());
    js::array items;
    for (const auto& b : *buildings) {
      items.push_back(
          js::object{{"id", std::to_string(b.id)}, {"name", b.name}, {"floors", b.floors}});
    }
    return json(200, js::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
  });
}

}  // namespace juwei::http
