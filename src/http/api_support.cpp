#include "http/api_support.hpp"

#include <fmt/format.h>

#include <cctype>

#include "http/json_input.hpp"

namespace juwei::http {

const std::vector<std::string> kEveryone = {"admin",     "secretary", "staff", "gate",
                                            "volunteer", "resident",  "street"};
const std::vector<std::string> kRegistryReaders = {"secretary", "staff", "gate", "volunteer"};
const std::vector<std::string> kDesk = {"secretary", "staff"};

Response from_error(const service::Error& e) {
  std::vector<FieldError> fields;
  for (const service::FieldIssue& f : e.fields) {
    fields.push_back(FieldError{f.field, f.message, f.code, f.message_zh});
  }
  switch (e.kind) {
    case service::Error::Kind::invalid:
      return problem(400, "Bad Request", e.message, std::move(fields));
    case service::Error::Kind::not_found:
      return problem(404, "Not Found", e.message);
    case service::Error::Kind::conflict:
      return problem(409, "Conflict", e.message, std::move(fields));
    case service::Error::Kind::unavailable: {
      // Busy with other writers or the database out of reach: the request changed nothing
      // and may be sent again.
      Response r = problem(503, "Service Unavailable", e.message);
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    case service::Error::Kind::internal:
      break;
  }
  return problem(500, "Internal Server Error", "the server failed; the error is in its log");
}

Response not_found() {
  return problem(404, "Not Found", "no such record");
}

void add_removal(js::object& o, const domain::Removal& removal) {
  if (removal.removed()) {
    o["removed_at"] = removal.at;
    o["removal_reason"] = removal.reason;
  } else {
    o["removed_at"] = nullptr;
  }
}

js::object resident_json(const store::ResidentRow& row) {
  const domain::Resident& r = row.resident;
  js::array tags;
  for (domain::Vulnerability v : domain::kAllVulnerabilities) {
    if (r.vulnerabilities.has(v)) tags.emplace_back(domain::to_code(v));
  }
  js::object o{{"id", std::to_string(r.id)},
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
  add_removal(o, r.removal);
  return o;
}

Response created(bool restored, std::string_view collection, std::int64_t id, js::object body) {
  Response r = json(restored ? 200 : 201, body);
  r.headers.emplace_back("Location", fmt::format("/api/v1/{}/{}", collection, id));
  return r;
}

domain::Role role_of(const Request& req) {
  return domain::role_from_code(req.principal->role).value_or(domain::Role::resident);
}

domain::User user_of(const Request& req) {
  const Principal& p = *req.principal;
  return domain::User{p.community_id, p.user_id, p.username, role_of(req), false, p.resident_id};
}

namespace {

// The request as the idempotency fingerprint sees it: method, path, query and body.
std::string fingerprint(const Request& req) {
  std::string text = req.method + ' ' + req.path;
  for (const auto& [k, v] : req.query)
    text += '&' + k + '=' + v;
  text += '\n';
  text += req.body;
  return text;
}

}  // namespace

Handler idempotent(std::shared_ptr<service::Idempotency> keys, Handler inner) {
  return [keys = std::move(keys), inner = std::move(inner)](Request& req) -> Response {
    if (req.idempotency_key.empty()) return inner(req);
    const Principal& p = *req.principal;
    auto claimed = keys->claim(p.community_id, p.user_id, req.idempotency_key, fingerprint(req));
    if (!claimed) return from_error(claimed.error());
    if (*claimed) {
      Response replay{(*claimed)->status, (*claimed)->content_type, (*claimed)->body, {}};
      replay.headers.emplace_back("Idempotent-Replayed", "true");
      return replay;
    }
    Response r;
    try {
      r = inner(req);
    } catch (...) {
      (void)keys->forget(p.community_id, p.user_id, req.idempotency_key);
      throw;
    }
    if (r.status >= 500) {
      (void)keys->forget(p.community_id, p.user_id, req.idempotency_key);
    } else {
      (void)keys->remember(p.community_id, p.user_id, req.idempotency_key,
                           service::StoredAnswer{r.status, r.content_type, r.body});
    }
    return r;
  };
}

js::array row_problems_json(const std::vector<service::RowProblem>& problems) {
  js::array list;
  for (const auto& p : problems) {
    if (list.size() == kMaxReportedProblems) break;
    list.push_back(js::object{{"line", p.line},
                              {"column", p.column},
                              {"field", p.field},
                              {"code", p.code},
                              {"message", p.message_en},
                              {"message_zh", p.message_zh}});
  }
  return list;
}

std::expected<CsvUpload, Response> csv_upload(const Request& req, std::string_view default_name,
                                              std::string_view what) {
  const auto type = media_type(req.content_type);
  if (type != "text/csv") {
    return std::unexpected(problem(415, "Unsupported Media Type",
                                   fmt::format("send {} as the body, as text/csv", what)));
  }
  CsvUpload upload;
  auto dry_run = query_flag(req, "dry_run");
  if (!dry_run) return std::unexpected(dry_run.error());
  auto skip_invalid = query_flag(req, "skip_invalid");
  if (!skip_invalid) return std::unexpected(skip_invalid.error());
  upload.dry_run = *dry_run;
  upload.skip_invalid = *skip_invalid;
  if (auto it = req.query.find("encoding"); it != req.query.end()) {
    upload.encoding = text::parse_encoding(it->second);
    if (!upload.encoding) {
      return std::unexpected(problem(400, "Bad Request", "invalid query parameters",
                                     {{"encoding", "utf-8, utf-8-bom or gb18030 (gbk)"}}));
    }
  }
  upload.name = std::string(default_name);
  if (auto it = req.query.find("filename"); it != req.query.end() && !it->second.empty()) {
    upload.name = it->second.substr(0, 200);
  }
  return upload;
}

Response import_rows_problem(js::object report, std::int64_t rejected, std::int64_t rows) {
  js::value problems = report["problems"];
  report.erase("problems");
  js::object p{
      {"type", "/problems/import-rows"},
      {"title", "Bad Request"},
      {"status", 400},
      {"detail", fmt::format("{} of {} rows have problems; nothing was imported", rejected, rows)},
      {"errors", std::move(problems)},
      {"report", std::move(report)}};
  return Response{400, "application/problem+json", js::serialize(p), {}};
}

Response download(std::string_view content_type, std::string bytes, std::string_view filename,
                  std::string_view fallback) {
  std::string encoded;
  for (unsigned char c : filename) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      encoded += static_cast<char>(c);
    } else {
      encoded += fmt::format("%{:02X}", c);
    }
  }
  Response r{200, std::string(content_type), std::move(bytes), {}};
  r.headers.emplace_back(
      "Content-Disposition",
      fmt::format("attachment; filename=\"{}\"; filename*=UTF-8''{}", fallback, encoded));
  r.headers.emplace_back("Cache-Control", "private, no-store");
  return r;
}

std::string query_param(const Request& req, const char* name) {
  const auto it = req.query.find(name);
  return it == req.query.end() ? std::string() : it->second;
}

}  // namespace juwei::http
