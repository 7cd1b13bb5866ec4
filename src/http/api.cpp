#include "http/api.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <memory>

#include "http/api_support.hpp"
#include "http/json_input.hpp"
#include "service/communities.hpp"
#include "service/idempotency.hpp"
#include "service/resident_import.hpp"
#include "service/screening.hpp"
#include "service/zones.hpp"

namespace juwei::http {
namespace {

js::object user_json(const domain::User& u) {
  return js::object{{"id", std::to_string(u.id)},
                    {"username", u.username},
                    {"role", domain::to_code(u.role)},
                    {"community_id", std::to_string(u.community_id)}};
}

// A community with its street office (id and name; null when none) among `streets`.
js::object community_json(const domain::Community& c, const std::vector<domain::Street>& streets) {
  js::value street = nullptr;
  for (const domain::Street& s : streets) {
    if (c.street_id != 0 && s.id == c.street_id) {
      street = js::object{{"id", std::to_string(s.id)}, {"name", s.name}};
    }
  }
  return js::object{
      {"id", std::to_string(c.id)},
      {"name", c.name},
      {"street_id", c.street_id == 0 ? js::value(nullptr) : js::value(std::to_string(c.street_id))},
      {"street", std::move(street)},
      {"time_zone", c.time_zone}};
}

js::object building_json(const domain::Building& b) {
  js::object o{{"id", std::to_string(b.id)}, {"name", b.name}, {"floors", b.floors}};
  add_removal(o, b.removal);
  return o;
}

js::object household_json(const domain::Household& h) {
  js::object o{{"id", std::to_string(h.id)},
               {"building_id", std::to_string(h.building_id)},
               {"room", h.room}};
  add_removal(o, h.removal);
  return o;
}

std::optional<std::string> yes_no(std::optional<bool> b) {
  if (!b) return std::nullopt;
  return *b ? "yes" : "no";
}

const std::initializer_list<FieldSpec> kResidentFields = {
    {"name", JsonType::string},
    {"gender", JsonType::string},
    {"birth_date", JsonType::string},
    {"id_number", JsonType::string},
    {"phone", JsonType::string},
    {"relation", JsonType::string},
    {"vulnerabilities", JsonType::strings},
    {"volunteer", JsonType::boolean},
    {"notes", JsonType::string},
    {"building", JsonType::string},
    {"room", JsonType::string},
    {"household_id", JsonType::id},
};

service::ResidentChange resident_change(const js::object& body) {
  service::ResidentChange c;
  c.name = string_field(body, "name");
  c.gender = string_field(body, "gender");
  c.birth_date = string_field(body, "birth_date");
  c.id_number = string_field(body, "id_number");
  c.phone = string_field(body, "phone");
  c.relation = string_field(body, "relation");
  c.vulnerabilities = strings_field(body, "vulnerabilities");
  c.volunteer = yes_no(bool_field(body, "volunteer"));
  c.notes = string_field(body, "notes");
  c.building = string_field(body, "building");
  c.room = string_field(body, "room");
  c.household_id = int_field(body, "household_id");
  return c;
}

// DELETE bodies: {"reason": "..."}.
std::expected<std::string, Response> removal_reason(const Request& req) {
  auto body = json_body(req, {{"reason", JsonType::string, true}});
  if (!body) return std::unexpected(body.error());
  return *string_field(*body, "reason");
}

js::object import_report_json(const service::ImportReport& r) {
  js::array ignored;
  for (const auto& c : r.ignored_columns)
    ignored.emplace_back(c);
  return js::object{{"committed", r.committed},
                    {"encoding", text::encoding_name(r.encoding)},
                    {"rows", r.rows},
                    {"added", r.added},
                    {"updated", r.updated},
                    {"unchanged", r.unchanged},
                    {"rejected", r.rejected},
                    {"buildings_added", r.buildings_added},
                    {"households_added", r.households_added},
                    {"ignored_columns", std::move(ignored)}};
}

Response import_residents(const ApiServices& services, Request& req) {
  auto upload = csv_upload(req, "upload.csv", "the CSV file");
  if (!upload) return upload.error();
  service::ImportOptions options;
  options.dry_run = upload->dry_run;
  options.skip_invalid = upload->skip_invalid;
  options.encoding = upload->encoding;
  auto report = service::import_residents(
      services.store, services.clock, req.principal->community_id,
      service::memory_source(upload->name, req.body), options, req.principal->user_id);
  if (!report) return from_error(report.error());
  js::object body = import_report_json(*report);
  body["dry_run"] = options.dry_run;
  body["problems"] = row_problems_json(report->problems);
  if (report->refused) {
    return import_rows_problem(std::move(body), report->rejected, report->rows);
  }
  return json(200, body);
}

void add_building_routes(Router& router, const ApiServices& s,
                         const std::shared_ptr<service::Idempotency>& keys) {
  service::Registry& registry = s.registry;
  router.add("GET", "/api/v1/buildings", kDesk, [&registry](Request& req) {
    auto page = page_of(req);
    if (!page) return page.error();
    auto all = registry.buildings(req.principal->community_id);
    if (!all) return from_error(all.error());
    std::vector<domain::Building> items;
    for (const auto& b : *all) {
      if (b.id > page->after && items.size() < page->limit) items.push_back(b);
    }
    return page_json(items, page->limit, building_json, [](const auto& b) { return b.id; });
  });
  router.add(
      "POST", "/api/v1/buildings", kDesk, idempotent(keys, [&registry](Request& req) {
        auto body =
            json_body(req, {{"name", JsonType::string, true}, {"floors", JsonType::integer}});
        if (!body) return body.error();
        const service::BuildingChange change{string_field(*body, "name"),
                                             int_field(*body, "floors")};
        auto made =
            registry.create_building(req.principal->community_id, change, req.principal->user_id);
        if (!made) return from_error(made.error());
        return created(made->restored, "buildings", made->value.id, building_json(made->value));
      }));
  router.add("GET", "/api/v1/buildings/{id}", kDesk, [&registry](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto b = registry.get_building(req.principal->community_id, *id);
    if (!b) return from_error(b.error());
    return json(200, building_json(*b));
  });
  // The building's households and their residents, by room, as a workbook.
  router.add("GET", "/api/v1/buildings/{id}/households/export", kDesk, [&registry](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto b = registry.get_building(req.principal->community_id, *id);
    if (!b) return from_error(b.error());
    store::ResidentQuery q;
    q.community_id = req.principal->community_id;
    q.building = b->id;
    auto book = registry.residents_xlsx(role_of(req), q, b->name + " 住户");
    if (!book) return from_error(book.error());
    return download(kXlsxType, std::move(*book), b->name + "住户.xlsx",
                         fmt::format("building-{}-households.xlsx", b->id));
  });
  router.add("PATCH", "/api/v1/buildings/{id}", kDesk, [&registry](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto body = json_body(req, {{"name", JsonType::string}, {"floors", JsonType::integer}});
    if (!body) return body.error();
    const service::BuildingChange change{string_field(*body, "name"), int_field(*body, "floors")};
    auto b =
        registry.update_building(req.principal->community_id, *id, change, req.principal->user_id);
    if (!b) return from_error(b.error());
    return json(200, building_json(*b));
  });
  router.add("DELETE", "/api/v1/buildings/{id}", kDesk, [&registry](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto reason = removal_reason(req);
    if (!reason) return reason.error();
    auto done =
        registry.remove_building(req.principal->community_id, *id, *reason, req.principal->user_id);
    if (!done) return from_error(done.error());
    return Response{204, "", "", {}};
  });
}

void add_household_routes(Router& router, const ApiServices& s,
                          const std::shared_ptr<service::Idempotency>& keys) {
  service::Registry& registry = s.registry;
  router.add("GET", "/api/v1/households", kDesk, [&registry](Request& req) {
    auto page = page_of(req);
    if (!page) return page.error();
    std::optional<domain::BuildingId> building;
    if (auto it = req.query.find("building_id"); it != req.query.end()) {
      building = to_int(it->second);
      if (!building) {
        return problem(400, "Bad Request", "invalid query parameters",
                       {{"building_id", "a building id"}});
      }
    }
    auto items =
        registry.households(req.principal->community_id, building, page->after, page->limit);
    if (!items) return from_error(items.error());
    return page_json(*items, page->limit, household_json, [](const auto& h) { return h.id; });
  });
  router.add(
      "POST", "/api/v1/households", kDesk, idempotent(keys, [&registry](Request& req) {
        auto body =
            json_body(req, {{"building_id", JsonType::id, true}, {"room", JsonType::string, true}});
        if (!body) return body.error();
        auto made = registry.create_household(
            req.principal->community_id,
            service::HouseholdChange{int_field(*body, "building_id"), string_field(*body, "room")},
            req.principal->user_id);
        if (!made) return from_error(made.error());
        return created(made->restored, "households", made->value.id, household_json(made->value));
      }));
  router.add("GET", "/api/v1/households/{id}", kDesk, [&registry](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    const auto community = req.principal->community_id;
    auto h = registry.get_household(community, *id);
    if (!h) return from_error(h.error());
    store::ResidentQuery q;
    q.community_id = community;
    q.household = *id;
    q.limit = 500;
    auto members = registry.search_as(role_of(req), q);
    if (!members) return from_error(members.error());
    js::object o = household_json(*h);
    js::array list;
    for (const auto& row : *members)
      list.push_back(resident_json(row));
    o["residents"] = std::move(list);
    return json(200, o);
  });
  router.add("PATCH", "/api/v1/households/{id}", kDesk, [&registry](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto body = json_body(req, {{"building_id", JsonType::id}, {"room", JsonType::string}});
    if (!body) return body.error();
    auto h = registry.update_household(
        req.principal->community_id, *id,
        service::HouseholdChange{int_field(*body, "building_id"), string_field(*body, "room")},
        req.principal->user_id);
    if (!h) return from_error(h.error());
    return json(200, household_json(*h));
  });
  router.add("DELETE", "/api/v1/households/{id}", kDesk, [&registry](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto reason = removal_reason(req);
    if (!reason) return reason.error();
    auto done = registry.remove_household(req.principal->community_id, *id, *reason,
                                          req.principal->user_id);
    if (!done) return from_error(done.error());
    return Response{204, "", "", {}};
  });
}

void add_resident_routes(Router& router, const ApiServices& s,
                         const std::shared_ptr<service::Idempotency>& keys) {
  service::Registry& registry = s.registry;
  router.add("GET", "/api/v1/residents", kRegistryReaders, [&registry](Request& req) {
    auto page = page_of(req);
    if (!page) return page.error();
    store::ResidentQuery q;
    q.community_id = req.principal->community_id;
    q.limit = page->limit;
    q.after = page->after;
    if (auto it = req.query.find("q"); it != req.query.end()) q.text = it->second;
    if (auto it = req.query.find("household_id"); it != req.query.end()) {
      q.household = to_int(it->second);
      if (!q.household) {
        return problem(400, "Bad Request", "invalid query parameters",
                       {{"household_id", "a household id"}});
      }
    }
    if (auto it = req.query.find("building"); it != req.query.end()) {
      auto building = registry.building(q.community_id, it->second);
      if (!building) return from_error(building.error());
      q.building = building->id;
    }
    auto rows = registry.search_as(role_of(req), q);
    if (!rows) return from_error(rows.error());
    return page_json(*rows, q.limit, resident_json,
                     [](const store::ResidentRow& r) { return r.resident.id; });
  });
  // The residents the same search finds (q, building), every page, as a workbook.
  router.add("GET", "/api/v1/residents/export", kRegistryReaders, [&registry](Request& req) {
    store::ResidentQuery q;
    q.community_id = req.principal->community_id;
    if (auto it = req.query.find("q"); it != req.query.end()) q.text = it->second;
    std::string title = "居民名单";
    if (auto it = req.query.find("building"); it != req.query.end() && !it->second.empty()) {
      auto building = registry.building(q.community_id, it->second);
      if (!building) return from_error(building.error());
      q.building = building->id;
      title = building->name + " 居民名单";
    }
    auto book = registry.residents_xlsx(role_of(req), q, title);
    if (!book) return from_error(book.error());
    std::string filename = title + ".xlsx";
    std::erase(filename, ' ');
    return download(kXlsxType, std::move(*book), filename, "residents.xlsx");
  });
  router.add("POST", "/api/v1/residents", kDesk, idempotent(keys, [&registry](Request& req) {
               auto body = json_body(req, kResidentFields);
               if (!body) return body.error();
               auto made = registry.create_resident(req.principal->community_id,
                                                    resident_change(*body), req.principal->user_id);
               if (!made) return from_error(made.error());
               return created(made->restored, "residents", made->value.resident.id,
                              resident_json(made->value));
             }));
  router.add("GET", "/api/v1/residents/{id}", kRegistryReaders, [&registry](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto row = registry.get_resident_as(role_of(req), req.principal->community_id, *id);
    if (!row) return from_error(row.error());
    return json(200, resident_json(*row));
  });
  router.add("PATCH", "/api/v1/residents/{id}", kDesk, [&registry](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto body = json_body(req, kResidentFields);
    if (!body) return body.error();
    auto row = registry.update_resident(req.principal->community_id, *id, resident_change(*body),
                                        req.principal->user_id);
    if (!row) return from_error(row.error());
    return json(200, resident_json(*row));
  });
  router.add("DELETE", "/api/v1/residents/{id}", kDesk, [&registry](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto reason = removal_reason(req);
    if (!reason) return reason.error();
    auto done =
        registry.remove_resident(req.principal->community_id, *id, *reason, req.principal->user_id);
    if (!done) return from_error(done.error());
    return Response{204, "", "", {}};
  });
  router.add("POST", "/api/v1/residents/import", kDesk,
             idempotent(keys, [s](Request& req) { return import_residents(s, req); }));
}

const std::vector<std::string> kZoneReaders = {"secretary", "staff", "gate"};
const std::vector<std::string> kSecretary = {"secretary"};

js::object status_change_json(const store::StatusChange& c) {
  return js::object{{"id", std::to_string(c.id)},
                    {"building_id", std::to_string(c.building_id)},
                    {"status", domain::to_code(c.status)},
                    {"status_zh", domain::to_label_zh(c.status)},
                    {"changed_at", c.changed_at},
                    {"changed_by", std::to_string(c.changed_by)},
                    {"reason", c.reason},
                    {"rule", c.rule}};
}

js::value suggestion_json(const std::optional<domain::ZoneSuggestion>& s) {
  if (!s) return nullptr;
  return js::object{{"next", domain::to_code(*s->next)},
                    {"next_zh", domain::to_label_zh(*s->next)},
                    {"due_at", service::iso_utc(s->due_at)},
                    {"due", s->due},
                    {"held", s->held},
                    {"remaining_seconds", s->remaining.count()},
                    {"rule", s->rule}};
}

js::value optional_time(const std::optional<service::TimePoint>& t) {
  if (!t) return nullptr;
  return js::value(service::iso_utc(*t));
}

void add_zone_routes(Router& router, std::shared_ptr<service::Zones> zones) {
  router.add("GET", "/api/v1/zones", kZoneReaders, [zones](Request& req) {
    auto overview = zones->overview(req.principal->community_id);
    if (!overview) return from_error(overview.error());
    js::array items;
    for (const service::BuildingZone& z : *overview) {
      js::object o{{"building_id", std::to_string(z.building.id)},
                   {"building", z.building.name},
                   {"current", nullptr},
                   {"suggestion", suggestion_json(z.suggestion)},
                   {"last_positive_at", optional_time(z.evidence.last_positive)},
                   {"retests_open_since", optional_time(z.evidence.retests_open_since)},
                   {"retest_due_at", optional_time(z.retest_due_at)}};
      if (z.current) o["current"] = status_change_json(*z.current);
      items.push_back(std::move(o));
    }
    return json(200, js::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
  });
  router.add("GET", "/api/v1/buildings/{id}/status-changes", kDesk, [zones](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto history = zones->history(req.principal->community_id, *id);
    if (!history) return from_error(history.error());
    js::array items;
    for (const auto& c : *history)
      items.push_back(status_change_json(c));
    return json(200, js::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
  });
  router.add("POST", "/api/v1/buildings/{id}/status-changes", kSecretary, [zones](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto body = json_body(req, {{"status", JsonType::string, true},
                                {"reason", JsonType::string, true},
                                {"rule", JsonType::string}});
    if (!body) return body.error();
    const auto status = domain::zone_status_from_code(*string_field(*body, "status"));
    if (!status) {
      return problem(400, "Bad Request", "the request has invalid fields",
                     {{"status", "sealed, controlled or precaution", "status.unknown",
                       "应为 sealed（封控区）、controlled（管控区）或 precaution（防范区）"}});
    }
    auto change =
        zones->set_status(req.principal->community_id, *id, *status, req.principal->user_id,
                          *string_field(*body, "reason"), string_field(*body, "rule").value_or(""));
    if (!change) return from_error(change.error());
    return json(201, status_change_json(*change));
  });
}

const std::vector<std::string> kSamplers = {"secretary", "staff", "volunteer"};

js::object round_json(const store::ScreeningRound& r) {
  js::array buildings;
  for (domain::BuildingId b : r.buildings)
    buildings.emplace_back(std::to_string(b));
  return js::object{{"id", std::to_string(r.id)},
                    {"day", r.day},
                    {"buildings", std::move(buildings)},
                    {"created_at", r.created_at},
                    {"created_by", std::to_string(r.created_by)},
                    {"number_in_day", r.number_in_day}};
}

js::object sample_json(const store::Sample& s) {
  return js::object{{"id", std::to_string(s.id)}, {"round_id", std::to_string(s.round_id)},
                    {"tube_code", s.tube_code},   {"resident_id", std::to_string(s.resident_id)},
                    {"sampled_at", s.sampled_at}, {"sampled_by", std::to_string(s.sampled_by)},
                    {"at_home", s.at_home},       {"resample_reason", s.resample_reason}};
}

void add_screening_routes(Router& router, std::shared_ptr<service::Screening> screening,
                          const std::shared_ptr<service::Idempotency>& keys) {
  router.add("GET", "/api/v1/rounds", kSamplers, [screening](Request& req) {
    auto rounds = screening->rounds(req.principal->community_id);
    if (!rounds) return from_error(rounds.error());
    js::array items;
    for (const auto& r : *rounds)
      items.push_back(round_json(r));
    return json(200, js::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
  });
  router.add("POST", "/api/v1/rounds", kDesk, idempotent(keys, [screening](Request& req) {
               auto body = json_body(req, {{"day", JsonType::string, true},
                                           {"buildings", JsonType::strings},
                                           {"another_that_day", JsonType::boolean}});
               if (!body) return body.error();
               std::vector<domain::BuildingId> buildings;
               if (const auto* list = body->if_contains("buildings"); list && list->is_array()) {
                 for (const auto& b : list->as_array()) {
                   const auto id = to_int(std::string_view(b.as_string()));
                   if (!id || *id <= 0) {
                     return problem(400, "Bad Request", "the request has invalid fields",
                                    {{"buildings", "building ids (strings of digits)"}});
                   }
                   buildings.push_back(*id);
                 }
               }
               const auto* another = body->if_contains("another_that_day");
               auto round = screening->create_round(
                   req.principal->community_id, *string_field(*body, "day"), buildings,
                   req.principal->user_id, another != nullptr && another->as_bool());
               if (!round) return from_error(round.error());
               return created(false, "rounds", round->id, round_json(*round));
             }));
  router.add(
      "POST", "/api/v1/rounds/{id}/samples", kSamplers, idempotent(keys, [screening](Request& req) {
        const auto id = path_id(req);
        if (!id) return not_found();
        auto body = json_body(req, {{"tube_code", JsonType::string, true},
                                    {"kind", JsonType::string},
                                    {"resident_id", JsonType::id, true},
                                    {"at_home", JsonType::boolean},
                                    {"resample_reason", JsonType::string}});
        if (!body) return body.error();
        service::SampleInput in;
        in.tube_code = *string_field(*body, "tube_code");
        if (auto kind = string_field(*body, "kind")) {
          const auto parsed = domain::tube_kind_from_code(*kind);
          if (!parsed) {
            return problem(400, "Bad Request", "the request has invalid fields",
                           {{"kind", "pooled or single", "kind.unknown",
                             "应为 pooled（混管）或 single（单管）"}});
          }
          in.kind = *parsed;
        }
        in.resident_id = *int_field(*body, "resident_id");
        in.at_home = bool_field(*body, "at_home").value_or(false);
        in.resample_reason = string_field(*body, "resample_reason").value_or("");
        auto sample =
            screening->record_sample(req.principal->community_id, *id, in, req.principal->user_id);
        if (!sample) return from_error(sample.error());
        return json(201, sample_json(*sample));
      }));
  router.add("GET", "/api/v1/rounds/{id}/door-knock", kSamplers, [screening](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto list = screening->door_knock_list(req.principal->community_id, *id, role_of(req));
    if (!list) return from_error(list.error());
    js::array buildings;
    std::int64_t total = 0;
    for (auto& b : *list) {
      js::array floors;
      for (auto& f : b.floors) {
        js::array residents;
        for (const auto& row : f.residents) {
          residents.push_back(resident_json(row));
          ++total;
        }
        floors.push_back(js::object{{"floor", f.floor}, {"residents", std::move(residents)}});
      }
      buildings.push_back(js::object{{"building_id", std::to_string(b.building_id)},
                                     {"building", b.building},
                                     {"floors", std::move(floors)}});
    }
    return json(200, js::object{{"round_id", std::to_string(*id)},
                                {"missing", total},
                                {"buildings", std::move(buildings)}});
  });
  router.add(
      "GET", "/api/v1/rounds/{id}/households/{household_id}", kSamplers, [screening](Request& req) {
        const auto id = path_id(req);
        const auto household = to_int(req.params["household_id"]);
        if (!id || !household) return not_found();
        auto members = screening->household_for_sampling(req.principal->community_id, *id,
                                                         *household, role_of(req));
        if (!members) return from_error(members.error());
        js::array items;
        for (const auto& m : *members) {
          js::object o{{"resident", resident_json(m.row)}, {"skip", nullptr}};
          if (!m.skip.empty()) {
            o["skip"] =
                js::object{{"code", m.skip}, {"message", m.skip_en}, {"message_zh", m.skip_zh}};
          }
          items.push_back(std::move(o));
        }
        return json(200, js::object{{"round_id", std::to_string(*id)},
                                    {"household_id", std::to_string(*household)},
                                    {"members", std::move(items)}});
      });
  router.add("GET", "/api/v1/rounds/{id}/coverage", kDesk, [screening](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto coverage = screening->coverage(req.principal->community_id, *id);
    if (!coverage) return from_error(coverage.error());
    js::array items;
    std::int64_t expected = 0;
    std::int64_t sampled = 0;
    for (const auto& b : *coverage) {
      expected += b.expected;
      sampled += b.sampled;
      items.push_back(js::object{{"building_id", std::to_string(b.building_id)},
                                 {"building", b.building},
                                 {"expected", b.expected},
                                 {"sampled", b.sampled},
                                 {"excused", b.excused}});
    }
    return json(200, js::object{{"round_id", std::to_string(*id)},
                                {"expected", expected},
                                {"sampled", sampled},
                                {"buildings", std::move(items)}});
  });
}

}  // namespace

Authenticator make_authenticator(service::Accounts& accounts) {
  return [&accounts](const Request& req) -> std::optional<Principal> {
    auto user = accounts.authenticate(req.bearer);
    if (!user || !*user) return std::nullopt;
    const domain::User& u = **user;
    return Principal{u.id, u.username, std::string(domain::to_code(u.role)), u.community_id,
                     u.resident_id};
  };
}

void add_api_routes(Router& router, const ApiServices& services) {
  service::Accounts& accounts = services.accounts;
  router.add("POST", "/api/v1/session", {}, [&accounts](Request& req) {
    auto body = json_body(
        req, {{"username", JsonType::string, true}, {"password", JsonType::string, true}});
    if (!body) return body.error();
    auto outcome = accounts.login(*string_field(*body, "username"),
                                  *string_field(*body, "password"), req.client_address);
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
    // Over HTTPS the cookie is never sent over plain HTTP.
    r.headers.emplace_back("Set-Cookie",
                           fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict; "
                                       "Max-Age={}{}",
                                       kSessionCookie, s.token,
                                       std::chrono::seconds(service::kSessionLifetime).count(),
                                       req.secure ? "; Secure" : ""));
    return r;
  });

  router.add("DELETE", "/api/v1/session", kEveryone, [&accounts](Request& req) {
    if (auto done = accounts.logout(req.bearer); !done) return from_error(done.error());
    Response r{204, "", "", {}};
    r.headers.emplace_back("Set-Cookie", fmt::format("{}=; Path=/; HttpOnly; SameSite=Strict; "
                                                     "Max-Age=0{}",
                                                     kSessionCookie, req.secure ? "; Secure" : ""));
    return r;
  });

  router.add("GET", "/api/v1/me", kEveryone, [](Request& req) {
    const Principal& p = *req.principal;
    return json(
        200, js::object{{"id", std::to_string(p.user_id)},
                        {"username", p.username},
                        {"role", p.role},
                        {"community_id", std::to_string(p.community_id)},
                        {"resident_id", p.resident_id == 0
                                            ? boost::json::value(nullptr)
                                            : boost::json::value(std::to_string(p.resident_id))}});
  });

  // Who the ids in the register, the audit trail and the building history are: the
  // community's staff accounts by name (residents' own accounts are left out: their records
  // name the resident).
  router.add("GET", "/api/v1/users", {"admin", "secretary", "staff"},
             [&accounts = services.accounts](Request& req) {
               auto users = accounts.list(req.principal->community_id);
               if (!users) return from_error(users.error());
               js::array items;
               for (const domain::User& u : *users) {
                 if (u.role == domain::Role::resident) continue;
                 js::object o = user_json(u);
                 o["disabled"] = u.disabled;
                 items.push_back(std::move(o));
               }
               return json(200, js::object{{"items", std::move(items)}});
             });

  // The communities this server serves: an admin sees every one, a street office's account
  // its street's. The admin adds one with its street office and its first admin account,
  // whose password the answer carries once.
  router.add("GET", "/api/v1/communities", {"admin", "street"}, [services](Request& req) {
    const domain::User user = user_of(req);
    auto list = service::communities_seen_by(services.store, user);
    if (!list) return from_error(list.error());
    auto streets = service::streets_seen_by(services.store, user);
    if (!streets) return from_error(streets.error());
    js::array items;
    for (const domain::Community& c : *list)
      items.push_back(community_json(c, *streets));
    return json(200, js::object{{"items", std::move(items)}});
  });
  router.add("POST", "/api/v1/communities", {"admin"}, [services](Request& req) {
    auto body = json_body(req, {{"name", JsonType::string, true},
                                {"street", JsonType::string},
                                {"admin_username", JsonType::string}});
    if (!body) return body.error();
    const std::string street = string_field(*body, "street").value_or("");
    auto made =
        service::create_community(services.store, services.clock, *string_field(*body, "name"),
                                  street, string_field(*body, "admin_username").value_or(""),
                                  req.principal->community_id, req.principal->user_id);
    if (!made) return from_error(made.error());
    js::object o =
        community_json(made->community, {domain::Street{made->community.street_id, street}});
    o["admin"] = js::object{{"username", made->admin.username}, {"password", made->password}};
    return json(201, std::move(o));
  });

  // Street offices (街道): an admin sees every one, a street office's account its own. The
  // admin adds a street office's account (its password in the answer, once).
  router.add("GET", "/api/v1/streets", {"admin", "street"}, [services](Request& req) {
    const domain::User user = user_of(req);
    auto streets = service::streets_seen_by(services.store, user);
    if (!streets) return from_error(streets.error());
    auto list = service::communities_seen_by(services.store, user);
    if (!list) return from_error(list.error());
    js::array items;
    for (const domain::Street& s : *streets) {
      const auto n = std::ranges::count(*list, s.id, &domain::Community::street_id);
      items.push_back(
          js::object{{"id", std::to_string(s.id)}, {"name", s.name}, {"communities", n}});
    }
    return json(200, js::object{{"items", std::move(items)}});
  });
  router.add("POST", "/api/v1/street-accounts", {"admin"}, [services](Request& req) {
    auto body =
        json_body(req, {{"street", JsonType::string, true}, {"username", JsonType::string, true}});
    if (!body) return body.error();
    auto made = service::add_street_account(
        services.store, services.clock, *string_field(*body, "street"),
        *string_field(*body, "username"), "", req.principal->community_id, req.principal->user_id);
    if (!made) return from_error(made.error());
    return json(201, js::object{{"username", made->user.username},
                                {"street", js::object{{"id", std::to_string(made->street.id)},
                                                      {"name", made->street.name}}},
                                {"password", made->password}});
  });

  router.add(
      "GET", "/api/v1/me/household", {"resident"}, [&registry = services.registry](Request& req) {
        const Principal& p = *req.principal;
        auto members = registry.household_of(p.community_id, p.resident_id);
        if (!members) return from_error(members.error());
        const store::ResidentRow& me = members->front();
        js::array list;
        for (const store::ResidentRow& row : *members)
          list.push_back(resident_json(row));
        return json(200, js::object{{"household_id", std::to_string(me.resident.household_id)},
                                    {"building", me.building},
                                    {"room", me.room},
                                    {"members", std::move(list)}});
      });

  auto keys = std::make_shared<service::Idempotency>(services.store, services.clock);
  add_building_routes(router, services, keys);
  add_household_routes(router, services, keys);
  add_resident_routes(router, services, keys);
  add_zone_routes(router, std::make_shared<service::Zones>(services.store, services.clock));
  add_screening_routes(router, std::make_shared<service::Screening>(services.store, services.clock),
                       keys);
  add_results_routes(router, services, keys);
  add_exit_routes(router, services, keys);
  add_report_routes(router, services);
}

}  // namespace juwei::http
