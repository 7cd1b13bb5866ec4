// A lab's results file (检测结果), as `juwei import results` and POST /api/v1/results/import
// read it: any bytes, encoding detected, ingested as a dry run against a seeded community whose
// tubes P1, S1 (unreported) and P2 (reported negative) the file may name. A file it cannot read
// must come back as an invalid Error, never an internal one; a report must add up: every row is
// added, unchanged, a conflict, an unknown tube or rejected, and nothing is committed.
#include <cstdint>
#include <string>
#include <string_view>

#include "seeded_community.hpp"
#include "service/lab_results.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace juwei;
  static fuzz::SeededCommunity& c = fuzz::seeded_community();
  const std::string_view file(reinterpret_cast<const char*>(data), size);
  service::ResultsOptions options;
  options.dry_run = true;
  const auto report = service::import_results(*c.store, c.clock, c.community,
                                              service::memory_source("lab.csv", file), options);
  if (!report) {
    if (report.error().kind != service::Error::Kind::invalid) {
      fuzz::fail("fuzz_lab_results", "not an invalid-input error: " + report.error().message);
    }
    return 0;
  }
  const service::ResultsReport& r = *report;
  if (r.rows != r.added + r.unchanged + r.conflicts + r.unknown + r.rejected) {
    fuzz::fail("fuzz_lab_results", "the report's counts do not add up to its rows");
  }
  if (r.committed || r.refused != (r.rejected > 0)) {
    fuzz::fail("fuzz_lab_results", "a dry run committed, or refused without a bad row");
  }
  if (r.problems.size() < static_cast<std::size_t>(r.rejected + r.unknown)) {
    fuzz::fail("fuzz_lab_results", "a rejected row or unknown tube without its problem");
  }
  return 0;
}
