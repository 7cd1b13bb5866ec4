// What the API's handlers share: the roles routes admit, mapping service errors to
// problem+json, the JSON of common records, paging, and the Idempotency-Key wrapper.
// Internal to http.
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "http/router.hpp"
#include "service/error.hpp"
#include "service/idempotency.hpp"
#include "service/resident_import.hpp"

namespace juwei::http {

namespace js = boost::json;

extern const std::vector<std::string> kEveryone;
extern const std::vector<std::string> kRegistryReaders;
extern const std::vector<std::string> kDesk;

Response from_error(const service::Error& e);
Response not_found();

void add_removal(js::object& o, const domain::Removal& removal);
js::object resident_json(const store::ResidentRow& row);

// A page of items; next_cursor is the last id when the page is full.
template <typename T, typename ToJson, typename IdOf>
Response page_json(const std::vector<T>& items, std::size_t limit, ToJson to_json, IdOf id_of) {
  js::array list;
  for (const T& item : items)
    list.push_back(to_json(item));
  js::value next = nullptr;
  if (!items.empty() && items.size() == limit) next = std::to_string(id_of(items.back()));
  return json(200, js::object{{"items", std::move(list)}, {"next_cursor", next}});
}

// 201 with Location for a new record; 200 when a removed one was restored.
Response created(bool restored, std::string_view collection, std::int64_t id, js::object body);

domain::Role role_of(const Request& req);
// The user behind the request, as the services take it.
domain::User user_of(const Request& req);

// Wraps a creating POST: with an Idempotency-Key, the first answer is kept and replayed to
// retries (marked Idempotent-Replayed: true); server errors are not kept.
Handler idempotent(std::shared_ptr<service::Idempotency> keys, Handler inner);

// The options of a CSV upload (the body, as text/csv): dry_run, skip_invalid, encoding and
// filename from the query; 415 or 400 naming the parameter otherwise.
struct CsvUpload {
  bool dry_run = false;
  bool skip_invalid = false;
  std::optional<text::Encoding> encoding;
  std::string name;
};
std::expected<CsvUpload, Response> csv_upload(const Request& req, std::string_view default_name,
                                              std::string_view what);
// The 400 for a file refused for its rows: /problems/import-rows with every row problem in
// `errors` and the report (without them) beside.
Response import_rows_problem(js::object report, std::int64_t rejected, std::int64_t rows);

// At most this many row problems travel in one answer; the count says how many there were.
inline constexpr std::size_t kMaxReportedProblems = 1000;
js::array row_problems_json(const std::vector<service::RowProblem>& problems);

// A query parameter's value; empty when absent.
std::string query_param(const Request& req, const char* name);

inline constexpr std::string_view kXlsxType =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
// A file to save as `filename` (UTF-8; RFC 6266's filename* carries it, with an ASCII `fallback`
// for clients that read only filename), never cached: residents' personal data.
Response download(std::string_view content_type, std::string bytes, std::string_view filename,
                  std::string_view fallback);

struct ApiServices;
// Lab results, conflicts, tests, antigen self-tests, marks, home sampling (results_api.cpp).
void add_results_routes(Router& router, const ApiServices& services,
                        const std::shared_ptr<service::Idempotency>& keys);
// Exit requests, decisions, emergency exits, passes and the policy (exits_api.cpp).
void add_exit_routes(Router& router, const ApiServices& services,
                     const std::shared_ptr<service::Idempotency>& keys);
// The daily report (reports_api.cpp).
void add_report_routes(Router& router, const ApiServices& services);

}  // namespace juwei::http
