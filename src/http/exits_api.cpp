// Exit requests, the decision aid, decisions, emergency exits, passes and the exit policy
// (see docs/openapi.yaml). Thin: parse, call the service, map the result. The gate role sees
// none of this; residents see their own household only (the service answers 404 otherwise).
#include <fmt/format.h>

#include "http/api.hpp"
#include "http/api_support.hpp"
#include "http/json_input.hpp"
#include "http/offline_json.hpp"
#include "service/audit.hpp"
#include "service/exits.hpp"

namespace juwei::http {
namespace {

const std::vector<std::string> kAdmin = {"admin"};
const std::vector<std::string> kPolicyReaders = {"admin", "secretary", "staff", "resident"};
const std::vector<std::string> kPolicyHistoryReaders = {"admin", "secretary"};
const std::vector<std::string> kDeskAndResidents = {"secretary", "staff", "resident"};
const std::vector<std::string> kAuditReaders = {"admin", "secretary"};
const std::vector<std::string> kGateCheckers = {"secretary", "staff", "gate"};

js::value nullable(const std::string& text) {
  if (text.empty()) return nullptr;
  return js::value(text);
}

// The checks of a gate sync: each an object of strings (and `decision`: allow or deny);
// 400 naming every field at fault ("checks[2].at").
std::expected<std::vector<service::QueuedGateCheck>, Response> queued_checks(
    const js::array& items) {
  std::vector<service::QueuedGateCheck> checks;
  std::vector<FieldError> errors;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const js::object& o = items[i].as_object();
    service::QueuedGateCheck q;
    const auto text = [&](std::string_view key, std::string& into) {
      const js::value* v = o.if_contains(key);
      if (v && v->is_string()) {
        into = std::string(v->as_string());
      } else {
        errors.push_back({fmt::format("checks[{}].{}", i, key), "must be a string"});
      }
    };
    text("client_id", q.client_id);
    text("at", q.at);
    text("direction", q.direction);
    text("token", q.token);
    text("code", q.code);
    std::string decision;
    text("decision", decision);
    if (decision != "allow" && decision != "deny" && o.contains("decision")) {
      errors.push_back({fmt::format("checks[{}].decision", i), "allow or deny"});
    }
    q.allow = decision == "allow";
    checks.push_back(std::move(q));
  }
  if (!errors.empty()) {
    return std::unexpected(problem(400, "Bad Request", "invalid gate checks", std::move(errors)));
  }
  return checks;
}

js::value id_or_null(std::int64_t id) {
  return id == 0 ? js::value(nullptr) : js::value(std::to_string(id));
}

js::array strings(const std::vector<std::string>& items) {
  js::array out;
  for (const auto& s : items)
    out.emplace_back(s);
  return out;
}

js::object assessment_json(const domain::ExitAssessment& a) {
  js::array rules;
  for (const domain::RuleCheck& r : a.rules) {
    rules.push_back(js::object{{"id", r.id},
                               {"met", r.met},
                               {"deferred", r.deferred},
                               {"note_zh", r.note_zh},
                               {"note_en", r.note_en}});
  }
  return js::object{{"eligible", a.eligible},
                    {"emergency", a.emergency},
                    {"policy_version", a.policy_version},
                    {"rules", std::move(rules)}};
}

js::object request_json(const store::ExitRequest& r) {
  return js::object{{"id", std::to_string(r.id)},
                    {"resident_id", std::to_string(r.resident_id)},
                    {"reason", r.reason},
                    {"destination", r.destination},
                    {"planned_exit", r.planned_exit},
                    {"planned_return", nullable(r.planned_return)},
                    {"note", r.note},
                    {"asked_by", std::to_string(r.asked_by)},
                    {"asked_via", r.asked_via},
                    {"created_at", r.created_at},
                    {"status", r.status}};
}

js::object proof_json(const store::Proof& p) {
  return js::object{{"id", std::to_string(p.id)},
                    {"kind", p.kind},
                    {"content_type", p.content_type},
                    {"size", p.size},
                    {"filename", p.filename},
                    {"digest", p.digest},
                    {"uploaded_at", p.uploaded_at},
                    {"uploaded_by", std::to_string(p.uploaded_by)},
                    {"url", fmt::format("/api/v1/proofs/{}", p.id)}};
}

js::object pledge_json(const store::Pledge& p) {
  return js::object{{"request_id", std::to_string(p.request_id)},
                    {"text", p.text},
                    {"method", p.method},
                    {"signed_name", nullable(p.signed_name)},
                    {"photo_proof_id", id_or_null(p.photo_proof_id)},
                    {"signed_at", p.signed_at},
                    {"recorded_by", std::to_string(p.recorded_by)}};
}

// `decider`: the decider's username (empty: the machine's operator).
js::object decision_json(const store::Decision& d, const std::string& decider) {
  return js::object{{"id", std::to_string(d.id)},
                    {"outcome", d.outcome},
                    {"override", d.override_rules},
                    {"reason", d.reason},
                    {"policy_version", d.policy_version},
                    {"rules_applied", strings(d.rules_applied)},
                    {"rules_unmet", strings(d.rules_unmet)},
                    {"decided_by", std::to_string(d.decided_by)},
                    {"decided_by_name", nullable(decider)},
                    {"decided_at", d.decided_at}};
}

js::object pass_row_json(const store::PassRow& p) {
  js::array exits;
  for (const store::PassExit& e : p.exits) {
    exits.push_back(js::object{{"exited_at", e.exited_at},
                               {"exited_via", e.exited_via},
                               {"returned_at", nullable(e.returned_at)},
                               {"returned_via", nullable(e.returned_via)}});
  }
  js::object o{{"id", std::to_string(p.id)},
               {"kind", domain::to_code(p.kind)},
               {"request_id", id_or_null(p.request_id)},
               {"holder_id", std::to_string(p.holder)},
               {"household_id", std::to_string(p.household_id)},
               {"reason", p.reason},
               {"destination", p.destination},
               {"valid_from", p.valid_from},
               {"valid_until", p.valid_until},
               {"single_exit", p.kind == domain::PassKind::individual},
               {"return_required", p.return_required},
               {"return_by", nullable(p.return_by)},
               {"emergency", p.emergency},
               {"override", p.override_rules},
               {"paperwork_due_at", nullable(p.paperwork_due_at)},
               {"policy_version", p.policy_version},
               {"key_id", p.key_id},
               {"token", p.token},
               {"short_code", p.short_code},
               {"approved_at", p.approved_at},
               {"approved_by", std::to_string(p.approved_by)},
               {"revoked_at", nullable(p.revoked_at)},
               {"revoke_reason", nullable(p.revoke_reason)},
               {"exits", std::move(exits)}};
  if (p.kind == domain::PassKind::household) {
    o["quota"] = p.quota;
    o["period_days"] = p.period_days;
    o["slots"] = p.slots;
    o["negative_within_hours"] =
        p.negative_within_hours > 0 ? js::value(p.negative_within_hours) : js::value(nullptr);
    o["test_age_from"] = p.test_age_from;
  }
  return o;
}

js::object pass_json(const service::PassView& v) {
  js::object o = pass_row_json(v.pass);
  o["holder"] = resident_json(v.holder);
  o["valid_now"] = !v.refusal.has_value();
  o["refusal"] = v.refusal ? js::value(js::object{{"code", domain::to_code(*v.refusal)},
                                                  {"message_zh", domain::to_label_zh(*v.refusal)},
                                                  {"message_en", domain::to_label_en(*v.refusal)}})
                           : js::value(nullptr);
  o["return_state"] = domain::to_code(v.return_state);
  o["return_state_zh"] = domain::to_label_zh(v.return_state);
  o["hours_overdue"] = v.hours_overdue;
  o["paperwork_overdue"] = v.paperwork_overdue;
  if (v.pass.kind == domain::PassKind::household) o["uses_left"] = v.uses_left;
  o["qr_svg"] = fmt::format("/api/v1/passes/{}/qr?format=svg", v.pass.id);
  o["pdf"] = fmt::format("/api/v1/passes/{}/pdf", v.pass.id);
  return o;
}

js::object request_view_json(const service::RequestView& v) {
  js::object o = request_json(v.request);
  o["resident"] = resident_json(v.resident);
  js::array proofs, decisions;
  for (const auto& p : v.proofs)
    proofs.push_back(proof_json(p));
  for (const auto& d : v.decisions)
    decisions.push_back(decision_json(
        d, v.deciders.contains(d.decided_by) ? v.deciders.at(d.decided_by) : std::string()));
  o["proofs"] = std::move(proofs);
  o["pledge"] = v.pledge ? js::value(pledge_json(*v.pledge)) : js::value(nullptr);
  o["decisions"] = std::move(decisions);
  o["pass"] = v.pass ? js::value(pass_row_json(*v.pass)) : js::value(nullptr);
  o["assessment"] = assessment_json(v.assessment);
  return o;
}

// A request as the queue lists it: who (no ID number or phone: the queue needs neither) and
// the decision aid.
js::object request_list_item_json(const service::RequestListItem& item) {
  js::object o = request_json(item.request);
  o["resident"] = js::object{{"id", std::to_string(item.resident.resident.id)},
                             {"name", item.resident.resident.name},
                             {"building", item.resident.building},
                             {"room", item.resident.room}};
  o["assessment"] = assessment_json(item.assessment);
  return o;
}

Response file_response(std::string content_type, std::string bytes) {
  Response r{200, std::move(content_type), std::move(bytes), {}};
  r.headers.emplace_back("Cache-Control", "private, no-store");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

// The optional building_id filter of a list (nullopt: every building).
std::expected<std::optional<domain::BuildingId>, Response> building_filter(const Request& req) {
  const auto it = req.query.find("building_id");
  if (it == req.query.end() || it->second.empty()) return std::optional<domain::BuildingId>();
  const auto id = to_int(it->second);
  if (!id) {
    return std::unexpected(problem(400, "Bad Request", "invalid query parameters",
                                   {{"building_id", "a building id"}}));
  }
  return std::optional<domain::BuildingId>(*id);
}

bool is_upload(const Request& req) {
  const auto type = media_type(req.content_type);
  return type == "application/pdf" || type == "image/jpeg" || type == "image/png";
}

// A record of the audit trail with the names of who acted and what it is about.
js::object audit_listing_json(const store::AuditListing& l) {
  const store::AuditRecord& r = l.record;
  return js::object{
      {"seq", std::to_string(r.seq)},
      {"at", r.at},
      {"actor", std::to_string(r.actor)},
      {"actor_name", nullable(l.actor_name)},
      {"role", r.role},
      {"action", r.action},
      {"entity", r.entity},
      {"entity_id", r.entity_id},
      {"object_name", nullable(l.object_name)},
      {"resident", l.resident == 0 ? js::value(nullptr)
                                   : js::value(js::object{{"id", std::to_string(l.resident)},
                                                          {"name", l.object_name},
                                                          {"building", l.building},
                                                          {"room", l.room}})},
      {"before_digest", nullable(r.before_digest)},
      {"after_digest", nullable(r.after_digest)},
      {"policy_version", nullable(r.policy_version)},
      {"prev_hash", nullable(r.prev_hash)},
      {"hash", r.hash}};
}

// A row of the register; `follow_up` is how the desk followed up its conflict (null: not yet).
js::object gate_event_json(const store::GateEvent& e) {
  js::object o{{"id", std::to_string(e.id)},
               {"at", e.at},
               {"direction", e.direction},
               {"decision", e.decision},
               {"code", e.code},
               {"pass_id", id_or_null(e.pass_id)},
               {"resident_id", id_or_null(e.resident_id)},
               {"building", e.building},
               {"gate_user", std::to_string(e.gate_user)},
               {"source", e.source},
               {"note", nullable(e.note)},
               {"device", nullable(e.device)},
               {"synced_at", nullable(e.synced_at)},
               {"conflict", nullable(e.conflict)}};
  o["follow_up"] = e.followed_up_at.empty()
                       ? js::value(nullptr)
                       : js::value(js::object{{"at", e.followed_up_at},
                                              {"by", std::to_string(e.followed_up_by)},
                                              {"note", e.follow_up_note}});
  return o;
}

js::array board_list(const std::vector<service::PassView>& views) {
  js::array out;
  for (const auto& v : views)
    out.push_back(pass_json(v));
  return out;
}

}  // namespace

void add_exit_routes(Router& router, const ApiServices& s,
                     const std::shared_ptr<service::Idempotency>& keys) {
  auto exits = std::make_shared<service::Exits>(s.store, s.clock, s.data_folder);

  router.add("GET", "/api/v1/policy", kPolicyReaders, [exits](Request& req) {
    auto p = exits->policy(req.principal->community_id);
    if (!p) return from_error(p.error());
    js::array reasons;
    for (const domain::ExitReason& r : p->policy.reasons) {
      reasons.push_back(js::object{{"code", r.code},
                                   {"label_zh", r.label_zh},
                                   {"label_en", r.label_en},
                                   {"emergency", r.emergency},
                                   {"rules", strings(r.rules)},
                                   {"negative_within_hours", r.negative_within.count()},
                                   {"pass_valid_hours", r.pass_valid_for.count()},
                                   {"return_required", r.return_required}});
    }
    return json(
        200, js::object{
                 {"version", p->policy.version},
                 {"test_age_from",
                  p->policy.test_age_from == domain::CountedFrom::sampled ? "sampled" : "reported"},
                 {"reasons", std::move(reasons)},
                 {"toml", p->body},
                 {"set_at", p->stored ? js::value(p->stored->set_at) : js::value(nullptr)}});
  });
  router.add("PUT", "/api/v1/policy", kAdmin, [exits](Request& req) {
    auto body = json_body(req, {{"toml", JsonType::string, true}});
    if (!body) return body.error();
    auto v =
        exits->set_policy(req.principal->community_id, *string_field(*body, "toml"), user_of(req));
    if (!v) return from_error(v.error());
    return json(200, js::object{{"id", std::to_string(v->id)},
                                {"version", v->version},
                                {"digest", v->digest},
                                {"set_at", v->set_at},
                                {"set_by", std::to_string(v->set_by)}});
  });
  router.add("GET", "/api/v1/policy/versions", kPolicyHistoryReaders, [exits](Request& req) {
    auto list = exits->policy_history(req.principal->community_id);
    if (!list) return from_error(list.error());
    js::array items;
    for (const auto& v : *list) {
      items.push_back(js::object{{"id", std::to_string(v.id)},
                                 {"version", v.version},
                                 {"digest", v.digest},
                                 {"set_at", v.set_at},
                                 {"set_by", std::to_string(v.set_by)}});
    }
    return json(200, js::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
  });

  router.add("GET", "/api/v1/exit-requests", kDeskAndResidents, [exits](Request& req) {
    auto page = page_of(req);
    if (!page) return page.error();
    auto building = building_filter(req);
    if (!building) return building.error();
    auto list = exits->request_list(req.principal->community_id, query_param(req, "status"),
                                    user_of(req), page->after, page->limit, *building);
    if (!list) return from_error(list.error());
    return page_json(*list, page->limit, request_list_item_json,
                     [](const auto& item) { return item.request.id; });
  });
  router.add("GET", "/api/v1/exit-requests/counts", kDesk, [exits](Request& req) {
    auto building = building_filter(req);
    if (!building) return building.error();
    auto counts = exits->request_counts(req.principal->community_id, user_of(req), *building);
    if (!counts) return from_error(counts.error());
    // Every status is named, with 0 where none has it; "all" is their sum.
    js::object o{{"open", 0}, {"approved", 0}, {"released", 0}, {"denied", 0}, {"withdrawn", 0}};
    std::int64_t all = 0;
    for (const auto& [status, n] : *counts) {
      o[status] = n;
      all += n;
    }
    o["all"] = all;
    return json(200, o);
  });
  router.add("POST", "/api/v1/exit-requests", kDeskAndResidents,
             idempotent(keys, [exits](Request& req) {
               auto body = json_body(req, {{"resident_id", JsonType::id, true},
                                           {"reason", JsonType::string, true},
                                           {"destination", JsonType::string, true},
                                           {"planned_exit", JsonType::string, true},
                                           {"planned_return", JsonType::string},
                                           {"note", JsonType::string}});
               if (!body) return body.error();
               service::RequestInput in{*int_field(*body, "resident_id"),
                                        *string_field(*body, "reason"),
                                        *string_field(*body, "destination"),
                                        *string_field(*body, "planned_exit"),
                                        string_field(*body, "planned_return").value_or(""),
                                        string_field(*body, "note").value_or("")};
               auto r = exits->file_request(req.principal->community_id, in, user_of(req));
               if (!r) return from_error(r.error());
               auto view = exits->request(req.principal->community_id, r->id, user_of(req));
               if (!view) return from_error(view.error());
               return created(false, "exit-requests", r->id, request_view_json(*view));
             }));
  router.add("GET", "/api/v1/exit-requests/{id}", kDeskAndResidents, [exits](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto view = exits->request(req.principal->community_id, *id, user_of(req));
    if (!view) return from_error(view.error());
    return json(200, request_view_json(*view));
  });
  router.add("POST", "/api/v1/exit-requests/{id}/proofs", kDeskAndResidents,
             idempotent(keys, [exits](Request& req) {
               const auto id = path_id(req);
               if (!id) return not_found();
               if (!is_upload(req)) {
                 return problem(415, "Unsupported Media Type",
                                "Send the proof as the body: application/pdf, image/jpeg or "
                                "image/png.");
               }
               auto proof =
                   exits->add_proof(req.principal->community_id, *id,
                                    {req.body, query_param(req, "filename")}, user_of(req));
               if (!proof) return from_error(proof.error());
               return created(false, "proofs", proof->id, proof_json(*proof));
             }));
  router.add("GET", "/api/v1/proofs/{id}", kDeskAndResidents, [exits](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto file = exits->proof_file(req.principal->community_id, *id, user_of(req));
    if (!file) return from_error(file.error());
    return file_response(std::move(file->content_type), std::move(file->bytes));
  });
  router.add("GET", "/api/v1/exit-requests/{id}/pledge", kDeskAndResidents, [exits](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto view = exits->request(req.principal->community_id, *id, user_of(req));
    if (!view) return from_error(view.error());
    auto text = exits->pledge_text(req.principal->community_id, *id, user_of(req));
    if (!text) return from_error(text.error());
    return json(200, js::object{{"request_id", std::to_string(*id)},
                                {"text", *text},
                                {"signed", view->pledge.has_value()},
                                {"pledge", view->pledge ? js::value(pledge_json(*view->pledge))
                                                        : js::value(nullptr)},
                                {"pdf", fmt::format("/api/v1/exit-requests/{}/pledge/pdf", *id)}});
  });
  // The resident signs with the typed name and consent (JSON); staff record a paper pledge by
  // its photo (the image as the body).
  router.add("POST", "/api/v1/exit-requests/{id}/pledge", kDeskAndResidents, [exits](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    service::Result<store::Pledge> pledge = std::unexpected(service::Error::internal(""));
    if (is_upload(req)) {
      pledge = exits->record_paper_pledge(req.principal->community_id, *id,
                                          {req.body, query_param(req, "filename")}, user_of(req));
    } else {
      auto body = json_body(
          req, {{"signed_name", JsonType::string, true}, {"consent", JsonType::boolean, true}});
      if (!body) return body.error();
      pledge =
          exits->sign_pledge(req.principal->community_id, *id, *string_field(*body, "signed_name"),
                             *bool_field(*body, "consent"), user_of(req));
    }
    if (!pledge) return from_error(pledge.error());
    return json(201, pledge_json(*pledge));
  });
  router.add("GET", "/api/v1/exit-requests/{id}/pledge/pdf", kDeskAndResidents,
             [exits](Request& req) {
               const auto id = path_id(req);
               if (!id) return not_found();
               auto pdf = exits->pledge_pdf(req.principal->community_id, *id, user_of(req));
               if (!pdf) return from_error(pdf.error());
               return file_response("application/pdf", std::move(*pdf));
             });
  router.add("POST", "/api/v1/exit-requests/{id}/decision", kDesk, [exits](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto body = json_body(req, {{"decision", JsonType::string, true},
                                {"override", JsonType::boolean},
                                {"reason", JsonType::string}});
    if (!body) return body.error();
    const std::string decision = *string_field(*body, "decision");
    if (decision != "approve" && decision != "deny") {
      return problem(400, "Bad Request", "the request has invalid fields",
                     {{"decision", "approve or deny", "decision.unknown", "应为 approve 或 deny"}});
    }
    if (decision == "approve" && role_of(req) != domain::Role::secretary) {
      return problem(403, "Forbidden", "only the secretary approves exit requests");
    }
    auto view = exits->decide(req.principal->community_id, *id,
                              {decision == "approve", bool_field(*body, "override").value_or(false),
                               string_field(*body, "reason").value_or("")},
                              user_of(req));
    if (!view) return from_error(view.error());
    return json(200, request_view_json(*view));
  });
  router.add("POST", "/api/v1/emergency-exits", kDesk, idempotent(keys, [exits](Request& req) {
               auto body = json_body(req, {{"resident_id", JsonType::id, true},
                                           {"reason", JsonType::string, true},
                                           {"destination", JsonType::string, true},
                                           {"note", JsonType::string, true}});
               if (!body) return body.error();
               auto view = exits->release_emergency(
                   req.principal->community_id,
                   {*int_field(*body, "resident_id"), *string_field(*body, "reason"),
                    *string_field(*body, "destination"), *string_field(*body, "note")},
                   user_of(req));
               if (!view) return from_error(view.error());
               return created(false, "exit-requests", view->request.id, request_view_json(*view));
             }));

  router.add("POST", "/api/v1/household-passes", kDesk, idempotent(keys, [exits](Request& req) {
               auto body = json_body(req, {{"resident_id", JsonType::id, true}});
               if (!body) return body.error();
               auto view = exits->issue_household_pass(
                   req.principal->community_id, *int_field(*body, "resident_id"), user_of(req));
               if (!view) return from_error(view.error());
               return created(false, "passes", view->pass.id, pass_json(*view));
             }));
  router.add("GET", "/api/v1/passes", kDeskAndResidents, [exits](Request& req) {
    const std::string open = query_param(req, "open");
    if (!open.empty() && open != "true" && open != "false") {
      return problem(400, "Bad Request", "invalid query parameters", {{"open", "true or false"}});
    }
    auto list = exits->passes(req.principal->community_id, open == "true", user_of(req));
    if (!list) return from_error(list.error());
    return json(200, js::object{{"items", board_list(*list)}, {"next_cursor", nullptr}});
  });
  router.add("GET", "/api/v1/passes/{id}", kDeskAndResidents, [exits](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto view = exits->pass(req.principal->community_id, *id, user_of(req));
    if (!view) return from_error(view.error());
    return json(200, pass_json(*view));
  });
  router.add("GET", "/api/v1/passes/{id}/qr", kDeskAndResidents, [exits](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    std::string format = query_param(req, "format");
    if (format.empty()) format = "svg";
    if (format != "svg" && format != "png") {
      return problem(400, "Bad Request", "invalid query parameters", {{"format", "svg or png"}});
    }
    auto image = exits->pass_qr(req.principal->community_id, *id, format, user_of(req));
    if (!image) return from_error(image.error());
    return file_response(format == "svg" ? "image/svg+xml" : "image/png", std::move(*image));
  });
  router.add("GET", "/api/v1/passes/{id}/pdf", kDeskAndResidents, [exits](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto pdf = exits->pass_pdf(req.principal->community_id, *id, user_of(req));
    if (!pdf) return from_error(pdf.error());
    return file_response("application/pdf", std::move(*pdf));
  });
  router.add("POST", "/api/v1/passes/{id}/revocation", kDesk, [exits](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto body = json_body(req, {{"reason", JsonType::string, true}});
    if (!body) return body.error();
    auto view = exits->revoke(req.principal->community_id, *id, *string_field(*body, "reason"),
                              user_of(req));
    if (!view) return from_error(view.error());
    return json(200, pass_json(*view));
  });
  router.add("POST", "/api/v1/passes/{id}/exit", kDesk, [exits](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto view = exits->record_exit(req.principal->community_id, *id, user_of(req));
    if (!view) return from_error(view.error());
    return json(200, pass_json(*view));
  });
  // The desk records a return the gate did not see with {"reason": ...}; a resident reports
  // their own with no body.
  router.add("POST", "/api/v1/passes/{id}/return", kDeskAndResidents, [exits](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    std::string reason;
    if (!req.body.empty()) {
      auto body = json_body(req, {{"reason", JsonType::string}});
      if (!body) return body.error();
      reason = string_field(*body, "reason").value_or("");
    }
    auto view = exits->check_in(req.principal->community_id, *id, user_of(req), reason);
    if (!view) return from_error(view.error());
    return json(200, pass_json(*view));
  });
  router.add("GET", "/api/v1/buildings/{id}/household-passes", kDesk, [exits](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto passes = exits->building_household_passes(req.principal->community_id, *id);
    if (!passes) return from_error(passes.error());
    return json(200, js::object{{"items", board_list(*passes)}});
  });
  router.add("GET", "/api/v1/pass-board", kDesk, [exits](Request& req) {
    auto board = exits->board(req.principal->community_id);
    if (!board) return from_error(board.error());
    return json(200, js::object{{"out", board_list(board->out)},
                                {"back_today", board_list(board->back_today)},
                                {"overdue", board_list(board->overdue)},
                                {"paperwork_overdue", board_list(board->paperwork_overdue)}});
  });
  router.add("POST", "/api/v1/pass-checks", kDesk, [exits](Request& req) {
    auto body = json_body(req, {{"token", JsonType::string, true}});
    if (!body) return body.error();
    auto check = exits->check_token(req.principal->community_id, *string_field(*body, "token"));
    if (!check) return from_error(check.error());
    js::object o{{"valid", !check->refusal.has_value()}};
    if (check->refusal) {
      o["refusal"] = js::object{{"code", domain::to_code(*check->refusal)},
                                {"message_zh", domain::to_label_zh(*check->refusal)},
                                {"message_en", domain::to_label_en(*check->refusal)}};
    } else {
      o["refusal"] = nullptr;
    }
    if (check->pass) {
      const auto& holder = check->pass->holder;
      o["pass_id"] = std::to_string(check->pass->pass.id);
      o["holder"] = js::object{{"name", holder.resident.name},
                               {"building", holder.building},
                               {"room", holder.room},
                               {"id_number", check->masked_id_number}};
    }
    return json(200, o);
  });
  router.add("POST", "/api/v1/gate/check", kGateCheckers, [exits](Request& req) {
    auto body = json_body(req, {{"token", JsonType::string},
                                {"id_number", JsonType::string},
                                {"code", JsonType::string},
                                {"direction", JsonType::string, true},
                                {"check_id", JsonType::string},
                                {"device", JsonType::string}});
    if (!body) return body.error();
    auto v = exits->gate_check(
        req.principal->community_id,
        {string_field(*body, "token").value_or(""), string_field(*body, "id_number").value_or(""),
         *string_field(*body, "direction"), string_field(*body, "check_id").value_or(""),
         string_field(*body, "device").value_or(""), string_field(*body, "code").value_or("")},
        user_of(req));
    if (!v) return from_error(v.error());
    Response r = json(
        200, js::object{{"decision", v->allow ? "allow" : "deny"},
                        {"code", v->code},
                        {"message_zh", v->message_zh},
                        {"message_en", v->message_en},
                        {"pass_id", id_or_null(v->pass_id)},
                        {"holder", v->name.empty()
                                       ? js::value(nullptr)
                                       : js::value(js::object{{"name", v->name},
                                                              {"building", v->building},
                                                              {"room", v->room},
                                                              {"id_number", v->masked_id_number}})},
                        {"event_id", std::to_string(v->event_id)}});
    if (v->replayed) r.headers.emplace_back("Idempotent-Replayed", "true");
    return r;
  });
  router.add("GET", "/api/v1/gate/offline-bundle", kGateCheckers, [exits](Request& req) {
    auto bundle = exits->offline_bundle(req.principal->community_id);
    if (!bundle) return from_error(bundle.error());
    Response r = json(200, offline_bundle_json(*bundle));
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  });
  router.add("POST", "/api/v1/gate/sync", kGateCheckers, [exits](Request& req) {
    auto body =
        json_body(req, {{"device", JsonType::string, true}, {"checks", JsonType::objects, true}});
    if (!body) return body.error();
    auto checks = queued_checks(body->at("checks").as_array());
    if (!checks) return checks.error();
    auto synced =
        exits->sync_gate_checks(req.principal->community_id, *string_field(*body, "device"),
                                std::move(*checks), user_of(req));
    if (!synced) return from_error(synced.error());
    js::array items;
    for (const service::SyncedGateCheck& s : *synced) {
      items.push_back(js::object{{"client_id", s.client_id},
                                 {"event_id", std::to_string(s.event_id)},
                                 {"duplicate", s.duplicate},
                                 {"conflict", nullable(s.conflict)}});
    }
    return json(200, js::object{{"items", std::move(items)}});
  });
  router.add("GET", "/api/v1/gate/events", kDesk, [exits](Request& req) {
    auto page = page_of(req);
    if (!page) return page.error();
    store::GateEventQuery q;
    q.community_id = req.principal->community_id;
    q.direction = query_param(req, "direction");
    q.decision = query_param(req, "decision");
    q.building = query_param(req, "building");
    q.after = page->after;
    q.limit = page->limit;
    if (const std::string pass = query_param(req, "pass_id"); !pass.empty()) {
      const auto id = to_int(pass);
      if (!id || *id <= 0) {
        return problem(400, "Bad Request", "invalid query parameters", {{"pass_id", "a pass id"}});
      }
      q.pass_id = *id;
    }
    if (!q.direction.empty() && q.direction != "out" && q.direction != "in") {
      return problem(400, "Bad Request", "invalid query parameters", {{"direction", "out or in"}});
    }
    if (!q.decision.empty() && q.decision != "allow" && q.decision != "deny") {
      return problem(400, "Bad Request", "invalid query parameters",
                     {{"decision", "allow or deny"}});
    }
    auto conflicts = query_flag(req, "conflict");
    if (!conflicts) return conflicts.error();
    q.conflicts_only = *conflicts;
    if (const std::string followed = query_param(req, "followed_up"); !followed.empty()) {
      if (followed != "true" && followed != "false") {
        return problem(400, "Bad Request", "invalid query parameters",
                       {{"followed_up", "true or false"}});
      }
      q.followed_up = followed == "true";
    }
    const std::string day = query_param(req, "day");
    const std::string state = query_param(req, "state");
    if (query_param(req, "format") == "csv") {
      auto csv = exits->gate_events_csv(day, q, state);
      if (!csv) return from_error(csv.error());
      Response r{200, "text/csv; charset=utf-8", std::move(*csv), {}};
      r.headers.emplace_back("Content-Disposition", "attachment; filename=\"gate-log.csv\"");
      return r;
    }
    auto events = exits->gate_events(day, q, state);
    if (!events) return from_error(events.error());
    return page_json(*events, page->limit, gate_event_json,
                     [](const store::GateEvent& e) { return e.id; });
  });
  router.add("POST", "/api/v1/gate/events/{id}/follow-up", kDesk, [exits](Request& req) {
    const auto id = path_id(req);
    if (!id) return not_found();
    auto body = json_body(req, {{"note", JsonType::string, true}});
    if (!body) return body.error();
    auto e = exits->follow_up_gate_conflict(req.principal->community_id, *id,
                                            *string_field(*body, "note"), user_of(req));
    if (!e) return from_error(e.error());
    return json(200, gate_event_json(*e));
  });
  // The audit trail: read only; there is no route that changes it. Newest first unless
  // order=oldest, filtered by actor, action, object, resident and day.
  router.add("GET", "/api/v1/audit", kAuditReaders, [&store = s.store](Request& req) {
    auto page = page_of(req);
    if (!page) return page.error();
    service::AuditFilter filter{.action = query_param(req, "action"),
                                .entity = query_param(req, "entity"),
                                .entity_id = query_param(req, "entity_id"),
                                .resident = query_param(req, "resident"),
                                .day = query_param(req, "day"),
                                .after = page->after,
                                .limit = page->limit};
    std::vector<FieldError> errors;
    if (const std::string actor = query_param(req, "actor"); !actor.empty()) {
      const auto id = to_int(actor);
      if (!id || *id < 0) {
        errors.push_back({"actor", "a user id"});
      } else {
        filter.actor = *id;
      }
    }
    if (const std::string order = query_param(req, "order"); order == "oldest") {
      filter.newest_first = false;
    } else if (!order.empty() && order != "newest") {
      errors.push_back({"order", "newest or oldest"});
    }
    if (!errors.empty()) {
      return problem(400, "Bad Request", "invalid query parameters", std::move(errors));
    }
    auto records = service::find_audit(store, req.principal->community_id, filter);
    if (!records) return from_error(records.error());
    return page_json(*records, page->limit, audit_listing_json,
                     [](const store::AuditListing& l) { return l.record.seq; });
  });
  router.add("GET", "/api/v1/audit/verification", kAuditReaders, [&store = s.store](Request& req) {
    auto check = service::verify_audit(store, req.principal->community_id);
    if (!check) return from_error(check.error());
    return json(200, js::object{{"records", check->records},
                                {"intact", !check->first_bad.has_value()},
                                {"first_bad", check->first_bad
                                                  ? js::value(std::to_string(*check->first_bad))
                                                  : js::value(nullptr)},
                                {"problem", nullable(check->problem)},
                                {"head", nullable(check->head)}});
  });
  router.add("POST", "/api/v1/pass-keys/rotation", kAdmin, [exits](Request& req) {
    auto id = exits->rotate_key(req.principal->community_id, user_of(req));
    if (!id) return from_error(id.error());
    return json(200, js::object{{"key_id", *id}});
  });
}

}  // namespace juwei::http
