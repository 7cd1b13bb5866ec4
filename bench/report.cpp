#include "report.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <vector>

namespace juwei::bench {
namespace {

struct Figure {
  std::string name;
  double value;
  std::string unit;
  std::string baseline;
};

std::vector<Figure>& figures() {
  static std::vector<Figure> all;
  return all;
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

struct Scratch {
  std::filesystem::path dir;
  Scratch() {
    std::random_device rd;
    dir = std::filesystem::temp_directory_path() / ("juwei-bench-" + std::to_string(rd()));
    std::filesystem::create_directories(dir);
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace

void record(std::string_view name, double value, std::string_view unit, std::string_view baseline) {
  for (Figure& f : figures()) {
    if (f.name == name) {
      f = Figure{std::string(name), value, std::string(unit), std::string(baseline)};
      return;
    }
  }
  figures().push_back(Figure{std::string(name), value, std::string(unit), std::string(baseline)});
}

const std::filesystem::path& scratch_dir() {
  static Scratch scratch;
  return scratch.dir;
}

bool write_report(const std::filesystem::path& json) {
  bool complete = true;
  std::string out = "[\n";
  fmt::print("\n{:<34} {:>16} {:<8} {:<34} {:>16} {:>8}\n", "figure", "value", "unit", "baseline",
             "baseline value", "ratio");
  for (std::size_t i = 0; i < figures().size(); ++i) {
    const Figure& f = figures()[i];
    const Figure* base = nullptr;
    for (const Figure& b : figures()) {
      if (!f.baseline.empty() && b.name == f.baseline) base = &b;
    }
    if (!f.baseline.empty() && base == nullptr) complete = false;
    const double ratio = base != nullptr && base->value != 0 ? f.value / base->value : 0;
    fmt::print("{:<34} {:>16.1f} {:<8} {:<34} {:>16} {:>8}\n", f.name, f.value, f.unit,
               f.baseline.empty() ? "-" : f.baseline,
               base != nullptr ? fmt::format("{:.1f}", base->value) : "-",
               base != nullptr ? fmt::format("{:.3f}", ratio) : "-");
    out += fmt::format(
        "  {{\"name\": \"{}\", \"value\": {}, \"unit\": \"{}\", \"baseline_name\": {}, "
        "\"baseline_value\": {}, \"ratio\": {}}}{}\n",
        json_escape(f.name), f.value, json_escape(f.unit),
        base != nullptr ? "\"" + json_escape(base->name) + "\"" : "null",
        base != nullptr ? fmt::format("{}", base->value) : "null",
        base != nullptr ? fmt::format("{:.4f}", ratio) : "null",
        i + 1 < figures().size() ? "," : "");
  }
  out += "]\n";
  if (json.has_parent_path()) std::filesystem::create_directories(json.parent_path());
  std::ofstream(json) << out;
  fmt::print("\nwrote {}\n", json.string());
  return complete;
}

}  // namespace juwei::bench
