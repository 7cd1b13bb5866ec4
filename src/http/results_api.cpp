// Lab results, conflicts, a resident's tests, antigen self-tests, screening marks and the
// home-sampling list (see docs/openapi.yaml). Thin: parse, call the service, map the result.
#include <fmt/format.h>

#include "http/api.hpp"
#include "http/api_support.hpp"
#include "http/json_input.hpp"
#include "service/lab_results.hpp"
#include "service/screening.hpp"

namespace juwei::http {
namespace {

const std::vector<std::string> kSecretaryOnly = {"secretary"};
const std::vector<std::string> kHomeSamplers = {"secretary", "staff", "volunteer"};
const std::vector<std::string> kDeskAndResidents = {"secretary", "staff", "resident"};

js::value nullable(const std::string& text) {
  if (text.empty()) return nullptr;
  return js::value(text);
}

js::object test_json(const store::ResidentTest& t) {
  const auto outcome = domain::swab_outcome(t.kind, t.result);
  js::object o{
      {"kind", domain::to_code(t.kind)},
      {"id", std::to_string(t.id)},
      {"round_id", t.round_id == 0 ? js::value(nullptr) : js::value(std::to_string(t.round_id))},
      {"tube_code", nullable(t.tube_code)},
      {"sampled_at", t.sampled_at},
      {"at_home", t.at_home},
      {"result", t.result ? js::value(domain::to_code(*t.result)) : js::value(nullptr)},
      {"outcome", domain::to_code(outcome)},
      {"outcome_zh", domain::to_label_zh(outcome)},
      {"reported_at", t.result ? nullable(t.reported_at) : js::value(nullptr)},
      {"lab", t.lab}};
  return o;
}

js::object conflict_json(const store::ResultConflict& k) {
  return js::object{{"id", std::to_string(k.id)},
                    {"tube_code", k.tube_code},
                    {"result", domain::to_code(k.result)},
                    {"reported_at", k.reported_at},
                    {"lab", k.lab},
                    {"received_at", k.received_at},
                    {"source", k.source},
                    {"stored_result", domain::to_code(k.stored_result)},
                    {"resolution", nullable(k.resolution)},
                    {"resolution_reason", nullable(k.resolution_reason)},
                    {"resolved_at", nullable(k.resolved_at)},
                    {"resolved_by", k.resolved_by == 0 ? js::value(nullptr)
                                                       : js::value(std::to_string(k.resolved_by))}};
}

js::object mark_json(const store::ScreeningMarkRow& m) {
  return js::object{{"resident_id", std::to_string(m.resident_id)},
                    {"mark", domain::to_code(m.mark)},
                    {"mark_zh", domain::to_label_zh(m.mark)},
                    {"reason", m.reason},
                    {"set_at", m.set_at},
                    {"set_by", std::to_string(m.set_by)}};
}

js::object notice_json(const service::PositiveNotice& n) {
  js::array residents, buildings;
  for (auto r : n.residents)
    residents.emplace_back(std::to_string(r));
  for (auto b : n.buildings)
    buildings.emplace_back(std::to_string(b));
  return js::object{{"tube_code", n.tube_code},
                    {"kind", domain::to_code(n.kind)},
                    {"reported_at", n.reported_at},
                    {"residents", std::move(residents)},
                    {"outcome", domain::to_code(n.follow_up.residents)},
                    {"buildings", std::move(buildings)},
                    {"suggested_status", domain::to_code(n.follow_up.suggest)},
                    {"rule", n.follow_up.rule},
                    {"building_retest_after", nullable(n.building_retest_after)},
                    {"housemates_to_home_sampling", n.housemates}};
}

Response import_results(service::LabResults& results, Request& req) {
  auto upload = csv_upload(req, "results.csv", "the lab's CSV file");
  if (!upload) return upload.error();
  service::ResultsOptions options;
  options.by = req.principal->user_id;
  options.dry_run = upload->dry_run;
  options.skip_invalid = upload->skip_invalid;
  options.encoding = upload->encoding;
  auto report = results.import_csv(req.principal->community_id,
                                   service::memory_source(upload->name, req.body), options);
  if (!report) return from_error(report.error());
  js::array positives;
  for (const auto& n : report->positives)
    positives.push_back(notice_json(n));
  js::object body{{"committed", report->committed},
                  {"dry_run", options.dry_run},
                  {"encoding", text::encoding_name(report->encoding)},
                  {"rows", report->rows},
                  {"added", report->added},
                  {"unchanged", report->unchanged},
                  {"conflicts", report->conflicts},
                  {"unknown", report->unknown},
                  {"rejected", report->rejected},
                  {"positives", std::move(positives)},
                  {"problems", row_problems_json(report->problems)}};
  if (report->refused) {
    return import_rows_problem(std::move(body), report->rejected, report->rows);
  }
  return json(200, body);
}

std::expected<domain::CountedFrom, Response> counted_from_of(const Request& req) {
  const auto it = req.query.find("counted_from");
  if (it == req.query.end()) return domain::CountedFrom::sampled;
  if (auto c = domain::counted_from_code(it->second)) return *c;
  return std::unexpected(problem(400, "Bad Request", "invalid query parameters",
                                 {{"counted_from", "sampled or reported"}}));
}

Response report_antigen(service::LabResults& results, Request& req) {
  const auto id = path_id(req);
  if (!id) return not_found();
  service::AntigenInput in;
  in.resident_id = *id;
  const auto type = media_type(req.content_type);
  if (type == "image/jpeg" || type == "image/png") {
    // The photo is the body; the rest travels in the query.
    const auto param = [&](const char* name) {
      const auto it = req.query.find(name);
      return it == req.query.end() ? std::string() : it->second;
    };
    in.result = param("result");
    in.tested_at = param("tested_at");
    in.photo = req.body;
  } else {
    auto body =
        json_body(req, {{"result", JsonType::string, true}, {"tested_at", JsonType::string, true}});
    if (!body) return body.error();
    in.result = *string_field(*body, "result");
    in.tested_at = *string_field(*body, "tested_at");
  }
  auto test = results.report_antigen(req.principal->community_id, in, user_of(req));
  if (!test) return from_error(test.error());
  store::ResidentTest t;
  t.kind = domain::TestKind::antigen;
  t.id = test->id;
  t.sampled_at = test->tested_at;
  t.result = test->result;
  t.reported_at = test->reported_at;
  js::object o = test_json(t);
  o["resident_id"] = std::to_string(test->resident_id);
  o["photo"] = test->photo_type.empty()
                   ? js::value(nullptr)
                   : js::value(fmt::format("/api/v1/antigen-tests/{}/photo", test->id));
  return created(false, "antigen-tests", test->id, std::move(o));
}

}  // namespace

void add_results_routes(Router& router, const ApiServices& s,
                        const std::shared_ptr<service::Idempotency>& keys) {
  auto results = std::make_shared<service::LabResults>(s.store, s.clock);
  auto screening = std::make_shared<service::Screening>(s.store, s.clock);

  router.add("POST", "/api/v1/results/import", kDesk,
             idempotent(keys, [results](Request& req) { return import_results(*results, req); }));
  router.add("GET", "/api/v1/result-conflicts", kDesk, [results](Request& req) {
    auto open = query_flag(req, "open");
    if (!open) return open.error();
    const bool only_open = req.query.contains("open") ? *open : true;
    auto list = results->conflicts(req.principal->community_id, only_open);
    if (!list) return from_error(list.error());
    js::array items;
    for (const auto& k : *list)
      items.push_back(conflict_json(k));
    return json(200, js::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
  });
  router.add(
      "POST", "/api/v1/result-conflicts/{id}/resolution", kSecretaryOnly, [results](Request& req) {
        const auto id = path_id(req);
        if (!id) return not_found();
        auto body = json_body(
            req, {{"decision", JsonType::string, true}, {"reason", JsonType::string, true}});
        if (!body) return body.error();
        const std::string decision = *string_field(*body, "decision");
        if (decision != "accept" && decision != "reject") {
          return problem(400, "Bad Request", "the request has invalid fields",
                         {{"decision", "accept or reject", "decision.unknown",
                           "应为 accept（采用新结果）或 reject（维持原结果）"}});
        }
        auto k = results->resolve_conflict(req.principal->community_id, *id, decision == "accept",
                                           *string_field(*body, "reason"), req.principal->user_id);
        if (!k) return from_error(k.error());
        return json(200, conflict_json(*k));
      });
  router.add("GET", "/api/v1/residents/{id}/tests", kDeskAndResidents, [results](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    if (auto ok = results->check_may_see(req.principal->community_id, *id, user_of(req)); !ok) {
      return from_error(ok.error());
    }
    auto history = results->history(req.principal->community_id, *id);
    if (!history) return from_error(history.error());
    js::array items;
    for (const auto& t : history->tests)
      items.push_back(test_json(t));
    return json(200, js::object{{"resident_id", std::to_string(*id)},
                                {"standing", domain::to_code(history->standing)},
                                {"standing_zh", domain::to_label_zh(history->standing)},
                                {"mark", history->mark ? js::value(mark_json(*history->mark))
                                                       : js::value(nullptr)},
                                {"items", std::move(items)},
                                {"next_cursor", nullptr}});
  });
  router.add("GET", "/api/v1/residents/{id}/latest-negative", kDesk, [results, s](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto from = counted_from_of(req);
    if (!from) return from.error();
    service::TimePoint at = s.clock();
    if (auto it = req.query.find("at"); it != req.query.end()) {
      const auto parsed = service::parse_time(it->second);
      if (!parsed) {
        return problem(400, "Bad Request", "invalid query parameters",
                       {{"at", "a time, ISO-8601 with an offset"}});
      }
      at = *parsed;
    }
    auto test = results->latest_negative(req.principal->community_id, *id, at, *from);
    if (!test) return from_error(test.error());
    return json(
        200,
        js::object{{"resident_id", std::to_string(*id)},
                   {"at", service::iso_utc(at)},
                   {"counted_from", *from == domain::CountedFrom::sampled ? "sampled" : "reported"},
                   {"test", *test ? js::value(test_json(**test)) : js::value(nullptr)}});
  });
  router.add("GET", "/api/v1/rounds/{id}/positives", kDesk, [results](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto list = results->round_positives(req.principal->community_id, *id);
    if (!list) return from_error(list.error());
    js::array items;
    for (const auto& p : *list) {
      items.push_back(js::object{{"resident_id", std::to_string(p.swab.sample.resident_id)},
                                 {"tube_code", p.swab.sample.tube_code},
                                 {"kind", domain::to_code(p.swab.kind)},
                                 {"building_id", std::to_string(p.swab.building_id)},
                                 {"household_id", std::to_string(p.swab.household_id)},
                                 {"sampled_at", p.swab.sample.sampled_at},
                                 {"reported_at", p.swab.reported_at},
                                 {"outcome", domain::to_code(p.outcome)},
                                 {"standing", domain::to_code(p.standing)},
                                 {"cleared", p.cleared}});
    }
    return json(200, js::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
  });
  router.add("GET", "/api/v1/home-sampling", kHomeSamplers, [results](Request& req) {
    auto list = results->home_sampling_list(req.principal->community_id, role_of(req));
    if (!list) return from_error(list.error());
    js::array items;
    for (const auto& e : *list) {
      items.push_back(js::object{{"resident", resident_json(e.resident)},
                                 {"reason", e.reason},
                                 {"since", nullable(e.since)},
                                 {"tube_code", nullable(e.tube_code)}});
    }
    return json(200, js::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
  });
  router.add("GET", "/api/v1/screening-marks", kDesk, [screening](Request& req) {
    auto list = screening->marks(req.principal->community_id);
    if (!list) return from_error(list.error());
    js::array items;
    for (const auto& m : *list)
      items.push_back(mark_json(m));
    return json(200, js::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
  });
  router.add("PUT", "/api/v1/residents/{id}/screening-mark", kDesk, [screening](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto body =
        json_body(req, {{"mark", JsonType::string, true}, {"reason", JsonType::string, true}});
    if (!body) return body.error();
    const auto mark = domain::screening_mark_from_code(*string_field(*body, "mark"));
    if (!mark) {
      return problem(400, "Bad Request", "the request has invalid fields",
                     {{"mark", "away, exempt or home", "mark.unknown",
                       "应为 away（不在小区）、exempt（免检）或 home（上门采样）"}});
    }
    auto m = screening->set_mark(req.principal->community_id, *id, *mark,
                                 *string_field(*body, "reason"), req.principal->user_id);
    if (!m) return from_error(m.error());
    return json(200, mark_json(*m));
  });
  router.add("DELETE", "/api/v1/residents/{id}/screening-mark", kDesk, [screening](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    if (auto done = screening->clear_mark(req.principal->community_id, *id, req.principal->user_id);
        !done) {
      return from_error(done.error());
    }
    return Response{204, "", "", {}};
  });
  router.add("POST", "/api/v1/residents/{id}/antigen-tests", kDeskAndResidents,
             idempotent(keys, [results](Request& req) { return report_antigen(*results, req); }));
  router.add("GET", "/api/v1/antigen-tests/{id}/photo", kDeskAndResidents, [results](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto test = results->antigen_photo(req.principal->community_id, *id, user_of(req));
    if (!test) return from_error(test.error());
    if (test->photo.empty()) return problem(404, "Not Found", "the test has no photo");
    Response r{200, test->photo_type, std::move(test->photo), {}};
    r.headers.emplace_back("Cache-Control", "private, max-age=3600");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return r;
  });
}

}  // namespace juwei::http
