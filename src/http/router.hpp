// The HTTP edge without the network: Request and Response values, RFC 9457 problem responses,
// and a Router that maps (method, path pattern) to a handler behind a role check. Build the
// Router once at startup with add(); after that dispatch() is const and safe to call from many
// threads at once. Nothing here includes Beast; server.hpp puts it on a socket.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace juwei::http {

// Who is calling, as the Authenticator resolved it from the bearer token.
struct Principal {
  std::int64_t user_id = 0;
  std::string username;
  std::string role;  // one of the roles in DESIGN.md: admin, secretary, staff, gate, ...
  std::int64_t community_id = 0;
  std::int64_t resident_id = 0;  // a resident's own account: the resident it belongs to
};

struct Request {
  std::string method;                         // "GET", "POST", ...
  std::string path;                           // as received, without the query; still encoded
  std::map<std::string, std::string> query;   // decoded; the first of repeated keys wins
  std::map<std::string, std::string> params;  // decoded {name} segments; set by dispatch()
  std::string body;
  std::string content_type;
  std::string bearer;  // Authorization: Bearer X, else the juwei_session cookie; may be empty
  bool bearer_from_cookie = false;  // the browser sent it by itself: cross-site requests could
  std::string origin;               // the Origin header
  std::string sec_fetch_site;       // the Sec-Fetch-Site header
  std::string host;                 // the Host header
  bool secure = false;              // it came over HTTPS
  std::string client_address;
  std::string idempotency_key;
  std::string if_none_match;           // the header, for conditional GETs of static files
  std::string accept_encoding;         // the header, for their gzip encoding
  std::optional<Principal> principal;  // set by dispatch() when the bearer is valid
  std::string route;                   // the matched pattern, set by dispatch(); "" if none
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond Content-Type/-Length
};

// One invalid input field of a validation problem.
struct FieldError {
  std::string field;
  std::string message;     // English
  std::string code;        // stable, for clients: "id_number.bad_check_digit"; may be empty
  std::string message_zh;  // Chinese, for the screen; may be empty
};

// A JSON response: `value` serialized as the body.
Response json(int status, const boost::json::value& value);

// An RFC 9457 application/problem+json response: {type, title, status, detail} plus
// errors: [{field, message[, code, message_zh]}] when there are any. The type is
// "/problems/validation" when errors are given, else "about:blank" (so the title should be the
// status phrase).
Response problem(int status, std::string_view title, std::string_view detail,
                 std::vector<FieldError> errors = {});

// Percent-decodes `text`; with `plus_as_space` (query strings) '+' becomes ' '. A malformed
// escape ("%G1", a lone "%") is kept as it is.
std::string percent_decode(std::string_view text, bool plus_as_space);

// Splits an origin-form request target ("/a/b?x=1&y=%E5%B1%85") into path and decoded query.
void set_target(Request& request, std::string_view target);

// The bearer token: the credentials of "Authorization: Bearer X" (scheme case-insensitive),
// else the value of the juwei_session cookie, else "".
std::string bearer_token(std::string_view authorization, std::string_view cookie);

// Whether a request that changes state, authenticated by the session cookie a browser attaches
// by itself, comes from another site (CSRF): its Sec-Fetch-Site is cross-site or same-site, or
// its Origin names another host than the one it was sent to ("null" included). A request with
// neither header is not a browser's, and a bearer sent in Authorization is not a cookie.
bool cross_site(const Request& request);

// The media type of a Content-Type header, lowercased, without its parameters
// ("Application/JSON; charset=utf-8" -> "application/json").
std::string media_type(std::string_view content_type);

using Handler = std::function<Response(Request&)>;
// Resolves the principal of a request whose bearer is non-empty; nullopt when the token is
// unknown or expired. Called on the worker threads, concurrently.
using Authenticator = std::function<std::optional<Principal>(const Request&)>;

// A registered route, as routes() lists it.
struct RouteInfo {
  std::string method;
  std::string pattern;             // "/api/v1/residents/{id}"
  std::vector<std::string> roles;  // empty = public, no login needed
};

class Router {
 public:
  // Registers a route. Pattern segments are literals or "{name}" (one whole, non-empty
  // segment). A literal segment beats a parameter where both match. Throws
  // std::invalid_argument on a malformed pattern or a duplicate (method, pattern shape).
  void add(std::string method, std::string pattern, std::vector<std::string> roles, Handler h);

  std::vector<RouteInfo> routes() const;

  // Routes `request` and runs its handler; every failure becomes a problem response:
  // unknown path 404; known path, other method 405 with Allow; roles but no principal 401
  // with WWW-Authenticate: Bearer; role not listed 403; handler or authenticator throws 500,
  // logged here and never shown to the client. Fills request.params, .principal and .route.
  Response dispatch(Request& request, const Authenticator& authenticate) const;

 private:
  struct Segment {
    std::string text;  // the literal, or the parameter's name
    bool is_param = false;
  };
  struct Route {
    RouteInfo info;
    std::vector<Segment> segments;
    Handler handler;
  };

  std::vector<Route> m_routes;
};

}  // namespace juwei::http
