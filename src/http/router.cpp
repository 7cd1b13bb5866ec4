#include "http/router.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <exception>
#include <stdexcept>

namespace juwei::http {
namespace {

constexpr std::string_view kSessionCookie = "juwei_session";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

// "/a/b" -> {"a", "b"}; "/" -> {""}. The leading '/' is not a separator.
std::vector<std::string_view> split_path(std::string_view path) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::vector<std::string_view> segments;
  for (;;) {
    auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) return segments;
    path.remove_prefix(slash + 1);
  }
}

}  // namespace

Response json(int status, const boost::json::value& value) {
  return Response{status, "application/json", boost::json::serialize(value), {}};
}

Response problem(int status, std::string_view title, std::string_view detail,
                 std::vector<FieldError> errors) {
  boost::json::object body;
  body["type"] = errors.empty() ? "about:blank" : "/problems/validation";
  body["title"] = title;
  body["status"] = status;
  body["detail"] = detail;
  if (!errors.empty()) {
    boost::json::array list;
    for (auto& e : errors) {
      boost::json::object item{{"field", e.field}, {"message", e.message}};
      if (!e.code.empty()) item["code"] = e.code;
      if (!e.message_zh.empty()) item["message_zh"] = e.message_zh;
      list.push_back(std::move(item));
    }
    body["errors"] = std::move(list);
  }
  return Response{status, "application/problem+json", boost::json::serialize(body), {}};
}

std::string percent_decode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_as_space && c == '+' ? ' ' : c);
  }
  return out;
}

void set_target(Request& request, std::string_view target) {
  target = target.substr(0, target.find('#'));
  auto mark = target.find('?');
  request.path = std::string(target.substr(0, mark));
  request.query.clear();
  if (mark == std::string_view::npos) return;
  std::string_view rest = target.substr(mark + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1), true);
    request.query.emplace(std::move(key), std::move(value));
  }
}

std::string bearer_token(std::string_view authorization, std::string_view cookie) {
  authorization = trim(authorization);
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() > kScheme.size() &&
      iequals(authorization.substr(0, kScheme.size()), kScheme)) {
    auto token = trim(authorization.substr(kScheme.size()));
    if (!token.empty()) return std::string(token);
  }
  while (!cookie.empty()) {
    auto semi = cookie.find(';');
    auto pair = trim(cookie.substr(0, semi));
    cookie = semi == std::string_view::npos ? std::string_view{} : cookie.substr(semi + 1);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == kSessionCookie) {
      return std::string(pair.substr(eq + 1));
    }
  }
  return {};
}

std::string media_type(std::string_view content_type) {
  std::string out(trim(content_type.substr(0, content_type.find(';'))));
  for (char& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return out;
}

bool cross_site(const Request& request) {
  const std::string_view method = request.method;
  if (method == "GET" || method == "HEAD" || method == "OPTIONS") return false;
  if (!request.bearer_from_cookie) return false;
  const std::string_view site = trim(request.sec_fetch_site);
  if (!site.empty() && site != "same-origin" && site != "none") return true;
  std::string_view origin = trim(request.origin);
  if (origin.empty()) return false;
  const auto scheme = origin.find("://");
  if (scheme == std::string_view::npos) return true;  // "null", or nothing an origin can be
  origin.remove_prefix(scheme + 3);
  return !iequals(origin, trim(request.host));
}

void Router::add(std::string method, std::string pattern, std::vector<std::string> roles,
                 Handler h) {
  if (method.empty() || pattern.empty() || pattern.front() != '/' || !h) {
    throw std::invalid_argument("route needs a method, a pattern starting with '/' and a handler");
  }
  Route route{{std::move(method), std::move(pattern), std::move(roles)}, {}, std::move(h)};
  for (auto segment : split_path(route.info.pattern)) {
    bool is_param = segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
    if (!is_param && segment.find_first_of("{}") != std::string_view::npos) {
      throw std::invalid_argument("malformed route pattern: " + route.info.pattern);
    }
    route.segments.push_back(
        {std::string(is_param ? segment.substr(1, segment.size() - 2) : segment), is_param});
  }
  for (const auto& other : m_routes) {
    bool same_shape =
        other.info.method == route.info.method &&
        std::ranges::equal(other.segments, route.segments, [](const Segment& a, const Segment& b) {
          return a.is_param == b.is_param && (a.is_param || a.text == b.text);
        });
    if (same_shape) {
      throw std::invalid_argument("duplicate route: " + route.info.method + " " +
                                  route.info.pattern);
    }
  }
  m_routes.push_back(std::move(route));
}

std::vector<RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  out.reserve(m_routes.size());
  for (const auto& r : m_routes)
    out.push_back(r.info);
  return out;
}

Response Router::dispatch(Request& request, const Authenticator& authenticate) const {
  const auto segments = split_path(request.path);
  auto matches = [&](const Route& r) {
    return std::ranges::equal(r.segments, segments, [](const Segment& s, std::string_view text) {
      return s.is_param ? !text.empty() : s.text == text;
    });
  };
  // Where two patterns match, the one with a literal at the first differing segment wins.
  auto more_specific = [](const Route& a, const Route& b) {
    for (std::size_t i = 0; i < a.segments.size(); ++i) {
      if (a.segments[i].is_param != b.segments[i].is_param) return !a.segments[i].is_param;
    }
    return false;
  };

  const Route* best = nullptr;
  std::vector<std::string> allowed;
  for (const auto& r : m_routes) {
    if (!matches(r)) continue;
    if (r.info.method != request.method) {
      allowed.push_back(r.info.method);
    } else if (best == nullptr || more_specific(r, *best)) {
      best = &r;
    }
  }
  if (best == nullptr) {
    request.route.clear();
    if (allowed.empty()) return problem(404, "Not Found", "No resource at this path.");
    std::ranges::sort(allowed);
    auto [first, last] = std::ranges::unique(allowed);
    allowed.erase(first, last);
    std::string allow;
    for (const auto& m : allowed)
      allow += (allow.empty() ? "" : ", ") + m;
    auto response =
        problem(405, "Method Not Allowed", "This resource does not accept " + request.method + ".");
    response.headers.emplace_back("Allow", std::move(allow));
    return response;
  }

  request.route = best->info.pattern;
  request.params.clear();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (best->segments[i].is_param) {
      request.params[best->segments[i].text] = percent_decode(segments[i], false);
    }
  }

  try {
    request.principal.reset();
    if (cross_site(request)) {
      return problem(403, "Forbidden",
                     "A request from another site may not use this session: sign in here, or "
                     "send the token in Authorization.");
    }
    if (!request.bearer.empty() && authenticate) request.principal = authenticate(request);
    const auto& roles = best->info.roles;
    if (!roles.empty()) {
      if (!request.principal) {
        auto response = problem(401, "Unauthorized", "Sign in to use this resource.");
        response.headers.emplace_back("WWW-Authenticate", "Bearer");
        return response;
      }
      if (std::ranges::find(roles, request.principal->role) == roles.end()) {
        return problem(403, "Forbidden", "Your role may not use this resource.");
      }
    }
    return best->handler(request);
  } catch (const std::exception& e) {
    spdlog::error("{} {} failed: {}", request.method, request.route, e.what());
  } catch (...) {
    spdlog::error("{} {} failed with a non-standard exception", request.method, request.route);
  }
  return problem(500, "Internal Server Error", "The server could not complete the request.");
}

}  // namespace juwei::http
