#include "service/policy_file.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/zone.hpp"

namespace juwei::service {
namespace {

// The bounds a committee could sensibly write; anything outside is a typo.
struct Bounds {
  std::int64_t min;
  std::int64_t max;
  std::string_view unit_en;
  std::string_view unit_zh;
};
constexpr Bounds kHours{1, 30 * 24, "hours", "小时"};
constexpr Bounds kQuota{1, 50, "exits", "次"};
constexpr Bounds kPeriodDays{1, 30, "days", "天"};
constexpr Bounds kValidDays{1, 90, "days", "天"};
constexpr Bounds kRiskDays{1, 60, "days", "天"};
constexpr Bounds kRiskCount{1, 10000, "", ""};
constexpr Bounds kCadenceDays{1, 28, "days", "天"};
constexpr Bounds kCadenceTests{0, 28, "tests", "次"};

// Keys of the file's top level; TOML puts one written after a [table] header into that table.
constexpr std::array<std::string_view, 8> kTopLevelKeys = {
    "version", "test_age_from", "pledge_template", "reasons", "household", "risk", "cadence",
    "report"};

constexpr std::string_view kPlaceholders[] = {"name",        "id_number", "building", "room",
                                              "destination", "reason",    "exit",     "return"};

std::string join_path(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

std::string index_path(std::string_view path, std::size_t i) {
  return fmt::format("{}[{}]", path, i);
}

bool is_blank(std::string_view text) {
  return std::ranges::all_of(text, [](char ch) { return ch == ' ' || (ch >= '\t' && ch <= '\r'); });
}

struct TypeName {
  std::string_view en;
  std::string_view zh;
};

TypeName type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::string:
      return {"a string", "文本"};
    case toml::node_type::integer:
      return {"an integer", "整数"};
    case toml::node_type::floating_point:
      return {"a decimal number", "小数"};
    case toml::node_type::boolean:
      return {"true or false", "布尔值（true 或 false）"};
    case toml::node_type::array:
      return {"a list", "列表"};
    case toml::node_type::table:
      return {"a table", "表"};
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return {"a date or time", "日期或时间"};
    case toml::node_type::none:
      break;
  }
  return {"nothing", "空"};
}

// Every problem found so far, in the order found.
class Problems {
 public:
  void add(std::string field, std::string_view kind, std::string en, std::string zh) {
    m_issues.push_back(
        FieldIssue{std::move(field), fmt::format("policy.{}", kind), std::move(en), std::move(zh)});
  }
  void missing(std::string field) {
    add(std::move(field), "missing", "is required", "缺少此项，必须填写");
  }
  void wrong_type(std::string field, const toml::node& node, toml::node_type expected) {
    const TypeName want = type_name(expected);
    const TypeName got = type_name(node.type());
    add(std::move(field), "type", fmt::format("must be {}, not {}", want.en, got.en),
        fmt::format("应为{}，而不是{}", want.zh, got.zh));
  }

  bool empty() const { return m_issues.empty(); }

  Error error() && {
    const FieldIssue& first = m_issues.front();
    std::string message =
        m_issues.size() == 1
            ? fmt::format("the policy has a problem: {}: {}", first.field, first.message)
            : fmt::format("the policy has {} problems, the first: {}: {}", m_issues.size(),
                          first.field, first.message);
    return Error::invalid(std::move(message), std::move(m_issues));
  }

 private:
  std::vector<FieldIssue> m_issues;
};

// One TOML table as it is read: each key is taken once, by the code that knows what it means;
// finish() reports the keys nobody took.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string path, Problems& problems)
      : m_table(table), m_path(std::move(path)), m_problems(problems) {}

  std::string path_of(std::string_view key) const { return join_path(m_path, key); }

  // The value at `key`, or nullptr (a problem if `required`).
  const toml::node* take(std::string_view key, bool required) {
    m_taken.emplace_back(key);
    const toml::node* node = m_table.get(key);
    if (!node && required) m_problems.missing(path_of(key));
    return node;
  }

  // A non-blank string.
  std::optional<std::string> text(std::string_view key) {
    const toml::node* node = take(key, true);
    if (!node) return std::nullopt;
    std::optional<std::string> value = node->value_exact<std::string>();
    if (!value) {
      m_problems.wrong_type(path_of(key), *node, toml::node_type::string);
    } else if (is_blank(*value)) {
      m_problems.add(path_of(key), "missing", "must not be empty", "不能为空");
      return std::nullopt;
    }
    return value;
  }

  std::optional<bool> boolean(std::string_view key, bool required = true) {
    const toml::node* node = take(key, required);
    if (!node) return std::nullopt;
    std::optional<bool> value = node->value_exact<bool>();
    if (!value) m_problems.wrong_type(path_of(key), *node, toml::node_type::boolean);
    return value;
  }

  // An integer within `bounds`; nothing if absent (a problem if `required`) or wrong.
  std::optional<std::int64_t> integer(std::string_view key, const Bounds& bounds, bool required) {
    const toml::node* node = take(key, required);
    if (!node) return std::nullopt;
    std::optional<std::int64_t> value = node->value_exact<std::int64_t>();
    if (!value) {
      m_problems.wrong_type(path_of(key), *node, toml::node_type::integer);
      return std::nullopt;
    }
    if (*value < bounds.min || *value > bounds.max) {
      m_problems.add(path_of(key), "range",
                     fmt::format("must be {} to {} {}", bounds.min, bounds.max, bounds.unit_en),
                     fmt::format("应为 {} 到 {} {}", bounds.min, bounds.max, bounds.unit_zh));
      return std::nullopt;
    }
    return value;
  }

  std::optional<std::chrono::hours> hours(std::string_view key, bool required) {
    auto value = integer(key, kHours, required);
    if (!value) return std::nullopt;
    return std::chrono::hours{*value};
  }

  std::optional<int> count(std::string_view key, const Bounds& bounds) {
    auto value = integer(key, bounds, true);
    if (!value) return std::nullopt;
    return static_cast<int>(*value);
  }

  const toml::table* table(std::string_view key) {
    return typed<toml::table>(key, toml::node_type::table);
  }
  const toml::array* array(std::string_view key) {
    return typed<toml::array>(key, toml::node_type::array);
  }

  // Reports every key that was not taken: a misspelt key must not leave a default in force.
  void finish() {
    for (auto&& [key, node] : m_table) {
      if (std::ranges::find(m_taken, key.str()) != m_taken.end()) continue;
      const std::string known = fmt::format("{}", fmt::join(m_taken, ", "));
      if (!m_path.empty() && std::ranges::find(kTopLevelKeys, key.str()) != kTopLevelKeys.end()) {
        m_problems.add(path_of(key.str()), "unknown_key",
                       fmt::format("{} belongs before the first [table] of the file", key.str()),
                       fmt::format("{} 应写在文件开头、第一个 [表] 之前", key.str()));
      } else {
        m_problems.add(path_of(key.str()), "unknown_key",
                       fmt::format("unknown key; this table has: {}", known),
                       fmt::format("无此设置项（可能拼写有误）；此处可用：{}", known));
      }
    }
  }

 private:
  template <typename T>
  const T* typed(std::string_view key, toml::node_type type) {
    const toml::node* node = take(key, true);
    if (!node) return nullptr;
    const T* value = node->as<T>();
    if (!value) m_problems.wrong_type(path_of(key), *node, type);
    return value;
  }

  const toml::table& m_table;
  std::string m_path;
  Problems& m_problems;
  std::vector<std::string> m_taken;
};

bool is_reason_code(std::string_view code) {
  return !code.empty() &&
         std::ranges::all_of(code, [](char ch) { return (ch >= 'a' && ch <= 'z') || ch == '_'; });
}

bool is_reason_rule(std::string_view id) {
  return std::ranges::find(domain::kReasonRules, id) != std::end(domain::kReasonRules);
}

// `rules = [...]`: known ids, each once.
std::vector<std::string> read_rules(const toml::array& array, const std::string& path,
                                    Problems& problems) {
  std::vector<std::string> rules;
  for (std::size_t i = 0; i < array.size(); ++i) {
    const std::string at = index_path(path, i);
    std::optional<std::string> id = array[i].value_exact<std::string>();
    if (!id) {
      problems.wrong_type(at, array[i], toml::node_type::string);
    } else if (!is_reason_rule(*id)) {
      const std::string known = fmt::format("{}", fmt::join(domain::kReasonRules, ", "));
      problems.add(at, "unknown_rule", fmt::format("unknown rule \"{}\"; known: {}", *id, known),
                   fmt::format("无此规则「{}」；可用规则：{}", *id, known));
    } else if (std::ranges::find(rules, *id) != rules.end()) {
      problems.add(at, "duplicate", fmt::format("\"{}\" is listed twice", *id),
                   fmt::format("规则「{}」重复", *id));
    } else {
      rules.push_back(std::move(*id));
    }
  }
  return rules;
}

std::optional<domain::ExitReason> read_reason(std::string code, const toml::node& node,
                                              const std::string& path, Problems& problems) {
  const toml::table* table = node.as_table();
  if (!table) {
    problems.wrong_type(path, node, toml::node_type::table);
    return std::nullopt;
  }
  if (!is_reason_code(code)) {
    problems.add(path, "format", "a reason code is lowercase letters and _ only",
                 "事由代码只能由小写字母和 _ 组成");
  }
  domain::ExitReason reason;
  reason.code = std::move(code);
  TableReader in(*table, path, problems);
  bool complete = true;
  auto keep = [&complete]<typename T>(std::optional<T> value, T& field) {
    if (value) {
      field = std::move(*value);
    } else {
      complete = false;
    }
  };
  keep(in.text("label_zh"), reason.label_zh);
  keep(in.text("label_en"), reason.label_en);
  const std::optional<bool> emergency = in.boolean("emergency");
  keep(emergency, reason.emergency);
  if (const toml::array* rules = in.array("rules")) {
    reason.rules = read_rules(*rules, in.path_of("rules"), problems);
  } else {
    complete = false;
  }

  // rule: exit.needs_negative_within
  if (reason.lists(domain::kRuleNeedsNegativeWithin)) {
    keep(in.hours("negative_within_hours", true), reason.negative_within);
  } else if (in.take("negative_within_hours", false)) {
    problems.add(
        in.path_of("negative_within_hours"), "inconsistent",
        fmt::format("has no effect unless rules list {}", domain::kRuleNeedsNegativeWithin),
        fmt::format("规则中没有 {}，此项无效", domain::kRuleNeedsNegativeWithin));
  }

  keep(in.hours("pass_valid_hours", true), reason.pass_valid_for);

  const std::optional<bool> return_required = in.boolean("return_required");
  keep(return_required, reason.return_required);
  if (return_required != false) {
    reason.return_within = in.hours("return_within_hours", false);
  } else if (in.take("return_within_hours", false)) {
    problems.add(in.path_of("return_within_hours"), "inconsistent",
                 "has no effect unless return_required = true",
                 "return_required 不为 true 时，此项无效");
  }

  // An emergency's rules are paperwork due after the release.
  if (emergency == true) {
    keep(in.hours("paperwork_within_hours", true), reason.paperwork_within);
  } else if (in.take("paperwork_within_hours", false) && emergency == false) {
    problems.add(in.path_of("paperwork_within_hours"), "inconsistent",
                 "applies only to emergencies (emergency = true)",
                 "仅适用于紧急事由（emergency = true）");
  }
  in.finish();
  if (!complete) return std::nullopt;
  return reason;
}

// `[reasons.<code>]` tables, in the order of the file (TOML tables themselves are unordered).
std::vector<domain::ExitReason> read_reasons(const toml::table& table, Problems& problems) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (auto&& [key, node] : table)
    entries.emplace_back(&key, &node);
  std::ranges::stable_sort(entries, [](const auto& a, const auto& b) {
    const toml::source_position pa = a.second->source().begin;
    const toml::source_position pb = b.second->source().begin;
    return std::pair(pa.line, pa.column) < std::pair(pb.line, pb.column);
  });
  if (entries.empty()) {
    problems.add("reasons", "missing", "at least one reason is required", "至少需要一项出门事由");
  }
  std::vector<domain::ExitReason> reasons;
  for (const auto& [key, node] : entries) {
    auto reason =
        read_reason(std::string(key->str()), *node, join_path("reasons", key->str()), problems);
    if (reason) reasons.push_back(std::move(*reason));
  }
  return reasons;
}

std::vector<domain::TimeSlot> read_slots(const toml::array& array, const std::string& path,
                                         Problems& problems) {
  std::vector<domain::TimeSlot> slots;
  for (std::size_t i = 0; i < array.size(); ++i) {
    const std::string at = index_path(path, i);
    std::optional<std::string> text = array[i].value_exact<std::string>();
    if (!text) {
      problems.wrong_type(at, array[i], toml::node_type::string);
      continue;
    }
    const std::string_view s = *text;
    const auto slot = domain::parse_time_slot(s);
    if (!slot) {
      problems.add(at, "format", fmt::format("\"{}\" is not a time slot like \"08:00-12:00\"", s),
                   fmt::format("「{}」不是时段，格式应如 \"08:00-12:00\"", s));
    } else if (slot->start >= slot->end) {
      problems.add(at, "range", fmt::format("\"{}\" must end after it starts", s),
                   fmt::format("时段「{}」的结束时间应晚于开始时间", s));
    } else {
      slots.push_back(*slot);
    }
  }
  return slots;
}

std::optional<domain::HouseholdPassPolicy> read_household(const toml::table& table,
                                                          Problems& problems) {
  domain::HouseholdPassPolicy household;
  TableReader in(table, "household", problems);
  const auto quota = in.count("quota", kQuota);
  const auto period_days = in.count("period_days", kPeriodDays);
  const toml::array* slots = in.array("slots");
  if (slots) household.slots = read_slots(*slots, in.path_of("slots"), problems);
  // rule: household.needs_negative_within
  household.negative_within = in.hours("negative_within_hours", false);
  const auto valid_days = in.count("valid_days", kValidDays);
  // rule: household.building_precaution (absent: false, as the file's comment says)
  household.resumes_in_precaution = in.boolean("resumes_in_precaution", false).value_or(false);
  household.allow_without_status = in.boolean("allow_without_status", false).value_or(false);
  in.finish();
  if (!quota || !period_days || !slots || !valid_days) return std::nullopt;
  household.quota = *quota;
  household.period_days = *period_days;
  household.valid_days = *valid_days;
  return household;
}

// Every {word} must be one the pledge is filled in with.
void check_placeholders(std::string_view text, Problems& problems) {
  std::vector<std::string_view> reported;
  for (std::size_t open = text.find('{'); open != std::string_view::npos;
       open = text.find('{', open + 1)) {
    const std::size_t close = text.find('}', open);
    if (close == std::string_view::npos) {
      problems.add("pledge_template", "unknown_placeholder", "a '{' without its '}'",
                   "有「{」而没有对应的「}」");
      return;
    }
    const std::string_view name = text.substr(open + 1, close - open - 1);
    if (std::ranges::find(kPlaceholders, name) != std::end(kPlaceholders)) continue;
    if (std::ranges::find(reported, name) != reported.end()) continue;
    reported.push_back(name);
    const std::string known = fmt::format("{{{}}}", fmt::join(kPlaceholders, "} {"));
    problems.add("pledge_template", "unknown_placeholder",
                 fmt::format("unknown placeholder {{{}}}; known: {}", name, known),
                 fmt::format("无法填写的占位符 {{{}}}；可用：{}", name, known));
  }
}

}  // namespace

Result<domain::ExitPolicy> parse_policy(std::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    const toml::source_position at = e.source().begin;
    return std::unexpected(Error::invalid(
        fmt::format("the policy is not valid TOML: line {}, column {}: {}", at.line, at.column,
                    e.description()),
        {FieldIssue{"", "policy.syntax",
                    fmt::format("line {}, column {}: {}", at.line, at.column, e.description()),
                    fmt::format("第 {} 行第 {} 列：TOML 格式错误（{}）", at.line, at.column,
                                e.description())}}));
  }

  Problems problems;
  domain::ExitPolicy policy;
  TableReader in(root, "", problems);
  if (auto version = in.text("version")) policy.version = std::move(*version);
  if (const toml::node* node = in.take("test_age_from", true)) {
    const std::optional<std::string> code = node->value_exact<std::string>();
    const auto from = code ? domain::counted_from_code(*code) : std::nullopt;
    if (!code) {
      problems.wrong_type("test_age_from", *node, toml::node_type::string);
    } else if (!from) {
      problems.add("test_age_from", "range", "must be \"sampled\" or \"reported\"",
                   "应为 \"sampled\"（采样时间）或 \"reported\"（报告时间）");
    } else {
      policy.test_age_from = *from;
    }
  }
  if (const toml::table* reasons = in.table("reasons")) {
    policy.reasons = read_reasons(*reasons, problems);
  }
  if (const toml::table* household = in.table("household")) {
    if (auto h = read_household(*household, problems)) policy.household = std::move(*h);
  }
  // [risk] may be left out (policies set before it existed): the defaults of RiskPolicy.
  if (const toml::node* node = in.take("risk", false)) {
    if (const toml::table* risk = node->as_table()) {
      TableReader r(*risk, "risk", problems);
      if (auto days = r.count("window_days", kRiskDays)) policy.risk.window_days = *days;
      if (auto n = r.count("high_cases", kRiskCount)) policy.risk.high_cases = *n;
      if (auto n = r.count("high_clusters", kRiskCount)) policy.risk.high_clusters = *n;
      if (auto n = r.count("cluster_cases", kRiskCount)) policy.risk.cluster_cases = *n;
      r.finish();
    } else {
      problems.wrong_type("risk", *node, toml::node_type::table);
    }
  }
  // [cadence] may be left out too: the defaults of CadencePolicy.
  if (const toml::node* node = in.take("cadence", false)) {
    if (const toml::table* cadence = node->as_table()) {
      TableReader r(*cadence, "cadence", problems);
      if (auto days = r.count("window_days", kCadenceDays)) policy.cadence.window_days = *days;
      for (const domain::ZoneStatus status : {domain::ZoneStatus::sealed,
                                              domain::ZoneStatus::controlled,
                                              domain::ZoneStatus::precaution}) {
        if (const toml::table* t = r.table(domain::to_code(status))) {
          TableReader tests(*t, fmt::format("cadence.{}", domain::to_code(status)), problems);
          domain::TestCadence& c = policy.cadence.by_status[static_cast<int>(status)];
          if (auto n = tests.count("pcr", kCadenceTests)) {
            // PCR counts days swabbed: more than the window's days could never be met.
            if (*n > policy.cadence.window_days) {
              problems.add(fmt::format("cadence.{}.pcr", domain::to_code(status)), "range",
                           fmt::format("must be at most window_days ({}): one PCR a day counts",
                                       policy.cadence.window_days),
                           fmt::format("不能超过 window_days（{} 天）：核酸每天只计一次",
                                       policy.cadence.window_days));
            } else {
              c.pcr = *n;
            }
          }
          if (auto n = tests.count("antigen", kCadenceTests)) c.antigen = *n;
          tests.finish();
        }
      }
      r.finish();
    } else {
      problems.wrong_type("cadence", *node, toml::node_type::table);
    }
  }
  // [report] may be left out too: the deadline of ReportPolicy.
  if (const toml::node* node = in.take("report", false)) {
    if (const toml::table* report = node->as_table()) {
      TableReader r(*report, "report", problems);
      if (auto text = r.text("deadline")) {
        if (const auto at = domain::parse_time_of_day(*text)) {
          policy.report.deadline = *at;
        } else {
          problems.add("report.deadline", "format",
                       fmt::format("\"{}\" is not a time of day like \"20:00\"", *text),
                       fmt::format("「{}」不是时间，格式应如 \"20:00\"", *text));
        }
      }
      r.finish();
    } else {
      problems.wrong_type("report", *node, toml::node_type::table);
    }
  }
  if (auto pledge = in.text("pledge_template")) {
    check_placeholders(*pledge, problems);
    policy.pledge_template = std::move(*pledge);
  }
  in.finish();

  if (!problems.empty()) return std::unexpected(std::move(problems).error());
  return policy;
}

const domain::ExitPolicy& default_policy() {
  static const domain::ExitPolicy policy = [] {
    auto parsed = parse_policy(default_policy_toml());
    if (!parsed) {
      throw std::logic_error("the built-in policy.toml is invalid: " + parsed.error().message);
    }
    return std::move(*parsed);
  }();
  return policy;
}

}  // namespace juwei::service
