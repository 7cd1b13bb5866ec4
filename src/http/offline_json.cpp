#include "http/offline_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <limits>

#include "service/clock.hpp"

namespace juwei::http {

namespace js = boost::json;

namespace {

std::string id_text(std::int64_t id) {
  return std::to_string(id);
}

// Reading a bundle back: each read names the field it failed on.
class Reader {
 public:
  explicit Reader(std::string path) : m_path(std::move(path)) {}

  const js::value& at(const js::object& o, std::string_view key) {
    const js::value* v = o.if_contains(key);
    if (!v) fail(key, "is missing");
    return *v;
  }
  std::string text(const js::object& o, std::string_view key) {
    const js::value& v = at(o, key);
    if (!v.is_string()) fail(key, "is not a string");
    return std::string(v.as_string());
  }
  std::int64_t integer(const js::object& o, std::string_view key) {
    const js::value& v = at(o, key);
    if (v.is_int64()) return v.as_int64();
    if (v.is_string()) {
      const std::string s(v.as_string());
      if (!s.empty() && s.size() < 19 &&
          std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; })) {
        return std::stoll(s);
      }
    }
    fail(key, "is not an integer");
  }
  // A count the domain's int holds: a pass's quota or period. Never wrapped into one.
  int count(const js::object& o, std::string_view key) {
    const std::int64_t n = integer(o, key);
    if (n < 0 || n > std::numeric_limits<int>::max()) {
      fail(key, "is not a count from 0 to 2147483647");
    }
    return static_cast<int>(n);
  }
  bool flag(const js::object& o, std::string_view key) {
    const js::value& v = at(o, key);
    if (!v.is_bool()) fail(key, "is not true or false");
    return v.as_bool();
  }
  domain::Instant time(const js::object& o, std::string_view key) {
    const auto t = service::parse_iso_utc(text(o, key));
    if (!t) fail(key, "is not a time like 2022-04-05T09:30:00Z");
    return *t;
  }
  const js::array& array(const js::object& o, std::string_view key) {
    const js::value& v = at(o, key);
    if (!v.is_array()) fail(key, "is not an array");
    return v.as_array();
  }
  const js::object& object(const js::value& v, std::string_view what) {
    if (!v.is_object()) fail(what, "is not an object");
    return v.as_object();
  }
  Reader in(std::string_view key, std::size_t i) const {
    return Reader(fmt::format("{}{}[{}].", m_path, key, i));
  }

  [[noreturn]] void fail(std::string_view key, std::string_view what) const {
    throw std::runtime_error(fmt::format("{}{} {}", m_path, key, what));
  }

 private:
  std::string m_path;
};

}  // namespace

js::object offline_bundle_json(const domain::OfflineBundle& bundle) {
  js::array keys;
  for (const auto& [id, public_key] : bundle.keys) {
    keys.push_back(js::object{{"key_id", id}, {"public_key", domain::base64url(public_key)}});
  }
  js::array passes;
  for (const domain::OfflinePass& p : bundle.passes) {
    js::array uses;
    for (const domain::Instant u : p.uses)
      uses.push_back(js::value(service::iso_utc(u)));
    passes.push_back(js::object{
        {"id", id_text(p.id)},
        {"holder", id_text(p.holder)},
        {"kind", domain::to_code(p.kind)},
        {"refusal", p.refusal ? js::value(domain::to_code(*p.refusal)) : js::value(nullptr)},
        {"out", p.out},
        {"quota", p.quota},
        {"period_days", p.period_days},
        {"slots", domain::to_text(p.slots)},
        {"uses", std::move(uses)},
        {"name", p.name},
        {"building", p.building},
        {"room", p.room},
        {"id_number", p.masked_id_number},
        {"short_code", p.short_code},
        {"token", p.token},
    });
  }
  return js::object{{"community_id", id_text(bundle.community_id)},
                    {"chain_id", id_text(bundle.chain_id == 0 ? bundle.community_id
                                                              : bundle.chain_id)},
                    {"issued_at", service::iso_utc(bundle.issued_at)},
                    {"stale_after", service::iso_utc(bundle.stale_after)},
                    {"keys", std::move(keys)},
                    {"passes", std::move(passes)}};
}

std::expected<domain::OfflineBundle, std::string> offline_bundle_from_json(std::string_view text) {
  boost::system::error_code ec;
  const js::value doc = js::parse(text, ec);
  if (ec) return std::unexpected("not JSON: " + ec.message());
  try {
    Reader r("");
    const js::object& o = r.object(doc, "bundle");
    domain::OfflineBundle b;
    b.community_id = r.integer(o, "community_id");
    // A bundle from before juwei migrate has no chain id: its passes name community_id.
    if (o.contains("chain_id")) b.chain_id = r.integer(o, "chain_id");
    b.issued_at = r.time(o, "issued_at");
    b.stale_after = r.time(o, "stale_after");
    const js::array& keys = r.array(o, "keys");
    for (std::size_t i = 0; i < keys.size(); ++i) {
      Reader k = r.in("keys", i);
      const js::object& key = k.object(keys[i], "");
      const auto bytes = domain::from_base64url(k.text(key, "public_key"));
      if (!bytes) k.fail("public_key", "is not base64url");
      b.keys.emplace_back(static_cast<std::uint32_t>(k.integer(key, "key_id")), *bytes);
    }
    const js::array& passes = r.array(o, "passes");
    for (std::size_t i = 0; i < passes.size(); ++i) {
      Reader pr = r.in("passes", i);
      const js::object& po = pr.object(passes[i], "");
      domain::OfflinePass p;
      p.id = pr.integer(po, "id");
      p.holder = pr.integer(po, "holder");
      const std::string kind = pr.text(po, "kind");
      if (kind == domain::to_code(domain::PassKind::household)) {
        p.kind = domain::PassKind::household;
      } else if (kind != domain::to_code(domain::PassKind::individual)) {
        pr.fail("kind", "is not individual or household");
      }
      if (const js::value& refusal = pr.at(po, "refusal"); !refusal.is_null()) {
        p.refusal = domain::parse_pass_refusal(pr.text(po, "refusal"));
        if (!p.refusal) pr.fail("refusal", "is not a pass refusal code");
      }
      p.out = pr.flag(po, "out");
      p.quota = pr.count(po, "quota");
      p.period_days = pr.count(po, "period_days");
      p.slots = domain::parse_time_slots(pr.text(po, "slots"));
      const js::array& uses = pr.array(po, "uses");
      for (std::size_t u = 0; u < uses.size(); ++u) {
        const auto t =
            uses[u].is_string() ? service::parse_iso_utc(uses[u].as_string()) : std::nullopt;
        if (!t) pr.fail(fmt::format("uses[{}]", u), "is not a time");
        p.uses.push_back(*t);
      }
      p.name = pr.text(po, "name");
      p.building = pr.text(po, "building");
      p.room = pr.text(po, "room");
      p.masked_id_number = pr.text(po, "id_number");
      if (po.contains("short_code")) p.short_code = pr.text(po, "short_code");
      if (po.contains("token")) p.token = pr.text(po, "token");
      b.passes.push_back(std::move(p));
    }
    std::ranges::sort(b.passes, {}, &domain::OfflinePass::id);
    return b;
  } catch (const std::runtime_error& e) {
    return std::unexpected(std::string(e.what()));
  }
}

js::object queued_check_json(const service::QueuedGateCheck& check) {
  return js::object{{"client_id", check.client_id},
                    {"at", check.at},
                    {"direction", check.direction},
                    {"token", check.token},
                    {"decision", check.allow ? "allow" : "deny"},
                    {"code", check.code},
                    {"pass_id", id_text(check.pass_id)}};
}

std::expected<std::vector<service::QueuedGateCheck>, std::string> queued_checks_from_lines(
    std::string_view text) {
  std::vector<service::QueuedGateCheck> checks;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    boost::system::error_code ec;
    const js::value doc = js::parse(line, ec);
    if (ec) return std::unexpected(fmt::format("line {}: not JSON: {}", line_no, ec.message()));
    try {
      Reader r(fmt::format("line {}: ", line_no));
      const js::object& o = r.object(doc, "check");
      service::QueuedGateCheck q;
      q.client_id = r.text(o, "client_id");
      q.at = r.text(o, "at");
      q.direction = r.text(o, "direction");
      q.token = r.text(o, "token");
      const std::string decision = r.text(o, "decision");
      if (decision != "allow" && decision != "deny") r.fail("decision", "is not allow or deny");
      q.allow = decision == "allow";
      q.code = r.text(o, "code");
      q.pass_id = o.contains("pass_id") ? r.integer(o, "pass_id") : 0;
      checks.push_back(std::move(q));
    } catch (const std::runtime_error& e) {
      return std::unexpected(std::string(e.what()));
    }
  }
  return checks;
}

}  // namespace juwei::http
