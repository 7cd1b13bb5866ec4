// The benchmark report: each benchmark records its figures here, naming the baseline it is
// to be compared with; main() prints one table and writes the JSON list
// {name, value, unit, baseline_name, baseline_value, ratio} once every benchmark has run.
// Not thread-safe: benchmarks run one at a time.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace juwei::bench {

// A figure; baseline empty for a figure that is itself a baseline.
void record(std::string_view name, double value, std::string_view unit,
            std::string_view baseline = {});

// Prints the table to stdout and writes the JSON file; false if a baseline is missing.
bool write_report(const std::filesystem::path& json);

// A scratch folder for this run, removed at exit.
const std::filesystem::path& scratch_dir();

}  // namespace juwei::bench
