#include "cli/common.hpp"

#include <fmt/format.h>

#include <iostream>

#include "service/clock.hpp"
#include "service/exits.hpp"
#include "service/open_store.hpp"

namespace juwei::cli {

void fail(service::Error e) {
  throw Failure{std::move(e)};
}

std::unique_ptr<store::Store> open_db(const Globals& g) {
  return check(service::open_store(g.db));
}

domain::Community community_of(service::Registry& registry, const Globals& g) {
  return check(registry.resolve_community(
      g.community.empty() ? std::nullopt : std::optional<std::string_view>(g.community)));
}

domain::Community community_of(store::Store& db, const Globals& g) {
  service::Registry registry(db, service::system_clock());
  return community_of(registry, g);
}

text::Encoding encoding_option(const std::string& name) {
  const auto e = text::parse_encoding(name);
  if (!e) {
    fail(service::Error::invalid("unknown encoding '" + name + "': use utf-8, utf-8-bom or gbk"));
  }
  return *e;
}

std::string local(std::string_view iso) {
  if (iso.empty()) return "-";
  const auto t = service::parse_iso_utc(iso);
  return t ? domain::local_date_time(*t, service::system_clock()(), service::kShanghaiOffset)
           : std::string(iso);
}

void print_problems(const std::vector<service::RowProblem>& problems, std::size_t limit) {
  std::size_t shown = 0;
  for (const auto& p : problems) {
    if (shown++ == limit) {
      std::cerr << fmt::format("… and {} more problems\n", problems.size() - limit);
      break;
    }
    const std::string where = p.column.empty()
                                  ? fmt::format("line {}", p.line)
                                  : fmt::format("line {}, column {}", p.line, p.column);
    std::cerr << fmt::format("{}: {} — {}\n", where, p.message_zh, p.message_en);
  }
}

void refuse_file(const std::string& counts, std::int64_t rejected) {
  std::cout << "would have been: " << counts << '\n';
  fail(service::Error::invalid(
      fmt::format("nothing imported: {} rows have problems (listed above); fix them, or pass "
                  "--skip-invalid to import the rest",
                  rejected)));
}

}  // namespace juwei::cli
