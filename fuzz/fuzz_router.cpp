// JSON request bodies through the real API: the first byte of the input picks one of the
// routes below (modulo their number), the rest is the body, sent as application/json by the
// route's sender through http::Router::dispatch, handlers, services and a seeded SQLite store.
// "@TOKEN@" in a body stands for the token of pass 1, so that seeds can hold a pass that
// verifies. Whatever the body, the answer must not be a 5xx (that is ours, never the client's)
// and a JSON answer must be JSON. Valid bodies change the store, as they would on a server.
#include <boost/json/parse.hpp>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "http/api.hpp"
#include "http/router.hpp"
#include "seeded_community.hpp"
#include "service/lab_results.hpp"

namespace {

using namespace juwei;

enum class Sender { secretary, admin, resident };

struct FuzzRoute {
  std::string_view method;
  std::string_view path;
  Sender by = Sender::secretary;
};

// Routes that read a JSON body; ids name records the seeded community or the setup made.
constexpr FuzzRoute kRoutes[] = {
    {"POST", "/api/v1/buildings"},
    {"PATCH", "/api/v1/buildings/1"},
    {"POST", "/api/v1/households"},
    {"PATCH", "/api/v1/households/1"},
    {"POST", "/api/v1/residents"},
    {"PATCH", "/api/v1/residents/1"},
    {"POST", "/api/v1/buildings/2/status-changes"},
    {"POST", "/api/v1/rounds"},
    {"POST", "/api/v1/rounds/1/samples"},
    {"PUT", "/api/v1/policy", Sender::admin},
    {"POST", "/api/v1/exit-requests"},
    {"POST", "/api/v1/exit-requests/2/pledge", Sender::resident},
    {"POST", "/api/v1/exit-requests/2/decision"},
    {"POST", "/api/v1/emergency-exits"},
    {"POST", "/api/v1/household-passes"},
    {"POST", "/api/v1/passes/2/revocation"},
    {"POST", "/api/v1/passes/1/return"},
    {"POST", "/api/v1/pass-checks"},
    {"POST", "/api/v1/gate/check"},
    {"POST", "/api/v1/gate/sync"},
    {"POST", "/api/v1/gate/events/2/follow-up"},
    {"POST", "/api/v1/result-conflicts/1/resolution"},
    {"PUT", "/api/v1/residents/4/screening-mark"},
    {"POST", "/api/v1/residents/5/antigen-tests"},
};

constexpr std::string_view kTokenPlaceholder = "@TOKEN@";

struct Api {
  fuzz::SeededCommunity& community = fuzz::seeded_community();
  http::Router router;
  http::Authenticator authenticate;
  std::string pass_token;  // pass 1's

  Api() {
    http::add_api_routes(router, {*community.store, community.clock, *community.accounts,
                                  *community.registry, community.dir});
    authenticate = http::make_authenticator(*community.accounts);
    // Building 1 a precaution building, so that household passes are issued there.
    setup("POST", "/api/v1/buildings/1/status-changes",
          R"({"status":"precaution","reason":"解封"})");
    // Pass 1 (and exit request 1): an emergency release of resident 1, out through the gate;
    // gate event 2, a west gate's offline exit on it too, is a conflict.
    const std::string released =
        setup("POST", "/api/v1/emergency-exits",
              R"({"resident_id":"1","reason":"medical_emergency","destination":"瑞金医院",)"
              R"("note":"胸痛"})");
    const boost::json::value pass = boost::json::parse(released).as_object().at("pass");
    pass_token = std::string(pass.as_object().at("token").as_string());
    setup("POST", "/api/v1/gate/check", R"({"token":")" + pass_token + R"(","direction":"out"})");
    setup("POST", "/api/v1/gate/sync",
          R"({"device":"west","checks":[{"client_id":"w-0","at":"2022-04-05T08:00:00Z",)"
          R"("direction":"out","token":")" +
              pass_token + R"(","decision":"allow","code":"gate.out"}]})");
    // Pass 2: resident 2's household pass. Exit request 2: resident 3 back to work.
    setup("POST", "/api/v1/household-passes", R"({"resident_id":"2"})");
    setup("POST", "/api/v1/exit-requests",
          R"({"resident_id":"3","reason":"medical_staff_return","destination":"医院",)"
          R"("planned_exit":"2022-04-05T18:00:00+08:00",)"
          R"("planned_return":"2022-04-05T22:00:00+08:00"})");
    // Result conflict 1: P2, reported negative, comes back positive.
    static constexpr std::string_view kConflict =
        "tube_code,result,reported_at,lab\n"
        "P2,阳性,2022-04-05 15:45,华大\n";
    const auto report =
        service::import_results(*community.store, community.clock, community.community,
                                service::memory_source("conflict.csv", kConflict), {});
    if (!report || report->conflicts != 1) fuzz::fail("fuzz_router", "no result conflict");
  }

  http::Response send(std::string_view method, std::string_view path, std::string body,
                      Sender by) const {
    http::Request request;
    request.method = method;
    request.path = path;
    request.body = std::move(body);
    request.content_type = "application/json";
    request.bearer = by == Sender::admin      ? community.admin_token
                     : by == Sender::resident ? community.resident_token
                                              : community.secretary_token;
    request.host = "127.0.0.1:8080";
    request.client_address = "127.0.0.1";
    return router.dispatch(request, authenticate);
  }

  // A request of the setup, which must succeed; its answer's body.
  std::string setup(std::string_view method, std::string_view path, std::string body) const {
    const http::Response r = send(method, path, std::move(body), Sender::secretary);
    if (r.status < 200 || r.status > 299) {
      fuzz::fail("fuzz_router", std::string(path) + " failed in the setup: " + r.body);
    }
    return r.body;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Api api;
  if (size == 0) return 0;
  const FuzzRoute& route = kRoutes[data[0] % std::size(kRoutes)];
  std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (auto at = body.find(kTokenPlaceholder); at != std::string::npos;
       at = body.find(kTokenPlaceholder, at + api.pass_token.size())) {
    body.replace(at, kTokenPlaceholder.size(), api.pass_token);
  }
  const http::Response r = api.send(route.method, route.path, std::move(body), route.by);
  if (r.status < 200 || r.status >= 500) {
    fuzz::fail("fuzz_router", std::string(route.method) + " " + std::string(route.path) +
                                  " answered " + std::to_string(r.status) + ": " + r.body);
  }
  if (r.content_type.ends_with("json")) {
    boost::system::error_code ec;
    boost::json::parse(r.body, ec);
    if (ec) fuzz::fail("fuzz_router", "a JSON answer that is not JSON: " + r.body);
  }
  return 0;
}
