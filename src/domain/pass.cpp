#include "domain/pass.hpp"

#include <algorithm>
#include <array>

namespace juwei::domain {

namespace {

constexpr std::uint8_t kClaimsVersion = 1;
constexpr std::uint8_t kFlagHousehold = 1;
constexpr std::uint8_t kFlagEmergency = 2;

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : m_bytes(bytes) {}

  std::optional<std::uint8_t> u8() {
    if (m_at >= m_bytes.size()) return std::nullopt;
    return static_cast<std::uint8_t>(m_bytes[m_at++]);
  }
  std::optional<std::uint32_t> u32() {
    if (m_bytes.size() - m_at < 4) return std::nullopt;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      v |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(m_bytes[m_at++])) << (8 * i);
    }
    return v;
  }
  // Canonical varints only (no trailing zero groups), at most 63 bits.
  std::optional<std::int64_t> varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 63; shift += 7) {
      auto b = u8();
      if (!b) return std::nullopt;
      v |= static_cast<std::uint64_t>(*b & 0x7f) << shift;
      if (!(*b & 0x80)) {
        if (*b == 0 && shift > 0) return std::nullopt;
        if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
        return static_cast<std::int64_t>(v);
      }
    }
    return std::nullopt;
  }
  bool done() const { return m_at == m_bytes.size(); }

 private:
  std::string_view m_bytes;
  std::size_t m_at = 0;
};

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

std::string_view to_code(PassKind k) {
  return k == PassKind::household ? "household" : "individual";
}

std::string encode_claims(const PassClaims& c) {
  std::string out;
  out.reserve(32);
  out.push_back(static_cast<char>(kClaimsVersion));
  std::uint8_t flags = 0;
  if (c.kind == PassKind::household) flags |= kFlagHousehold;
  if (c.emergency) flags |= kFlagEmergency;
  out.push_back(static_cast<char>(flags));
  put_u32(out, c.key_id);
  put_varint(out, static_cast<std::uint64_t>(c.community_id));
  put_varint(out, static_cast<std::uint64_t>(c.pass_id));
  put_varint(out, static_cast<std::uint64_t>(c.holder));
  put_u32(out, static_cast<std::uint32_t>(c.valid_from.time_since_epoch().count()));
  put_u32(out, static_cast<std::uint32_t>(c.valid_until.time_since_epoch().count()));
  return out;
}

std::optional<PassClaims> decode_claims(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kClaimsVersion) return std::nullopt;
  auto flags = r.u8();
  auto key_id = r.u32();
  auto community = r.varint();
  auto pass = r.varint();
  auto holder = r.varint();
  auto from = r.u32();
  auto until = r.u32();
  if (!flags || (*flags & ~(kFlagHousehold | kFlagEmergency)) || !key_id || !community || !pass ||
      !holder || !from || !until || !r.done()) {
    return std::nullopt;
  }
  PassClaims c;
  c.key_id = *key_id;
  c.community_id = *community;
  c.pass_id = *pass;
  c.holder = *holder;
  c.kind = (*flags & kFlagHousehold) ? PassKind::household : PassKind::individual;
  c.emergency = (*flags & kFlagEmergency) != 0;
  c.valid_from = Instant{std::chrono::seconds{*from}};
  c.valid_until = Instant{std::chrono::seconds{*until}};
  return c;
}

std::string base64url(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = static_cast<std::uint8_t>(bytes[i]) << 16 |
                            static_cast<std::uint8_t>(bytes[i + 1]) << 8 |
                            static_cast<std::uint8_t>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6)
      out.push_back(kAlphabet[(v >> s) & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = static_cast<std::uint8_t>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<std::uint8_t>(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> from_base64url(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char ch : text) {
    const auto pos = kAlphabet.find(ch);
    if (pos == std::string_view::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Canonical: the unused low bits of the last character are zero.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string_view to_code(PassRefusal r) {
  switch (r) {
    case PassRefusal::malformed:
      return "pass.malformed";
    case PassRefusal::bad_signature:
      return "pass.bad_signature";
    case PassRefusal::wrong_community:
      return "pass.wrong_community";
    case PassRefusal::unknown_pass:
      return "pass.unknown";
    case PassRefusal::not_yet_valid:
      return "pass.not_yet_valid";
    case PassRefusal::expired:
      return "pass.expired";
    case PassRefusal::revoked:
      return "pass.revoked";
    case PassRefusal::used:
      return "pass.used";
    case PassRefusal::returned:
      return "pass.returned";
    case PassRefusal::holder_positive:
      return "pass.holder_positive";
    case PassRefusal::quota_used:
      return "household.quota";
    case PassRefusal::outside_slot:
      return "household.time_slot";
    case PassRefusal::needs_negative:
      return "household.needs_negative_within";
    case PassRefusal::building_closed:
      return "household.building_closed";
  }
  return "pass.malformed";
}

std::optional<PassRefusal> parse_pass_refusal(std::string_view code) {
  for (int r = 0; r <= static_cast<int>(kLastPassRefusal); ++r) {
    if (to_code(static_cast<PassRefusal>(r)) == code) return static_cast<PassRefusal>(r);
  }
  return std::nullopt;
}

std::string_view to_label_zh(PassRefusal r) {
  switch (r) {
    case PassRefusal::malformed:
      return "不是本系统的出入证";
    case PassRefusal::bad_signature:
      return "出入证签名无效（可能被篡改）";
    case PassRefusal::wrong_community:
      return "不是本小区的出入证";
    case PassRefusal::unknown_pass:
      return "查无此出入证";
    case PassRefusal::not_yet_valid:
      return "出入证尚未生效";
    case PassRefusal::expired:
      return "出入证已过期";
    case PassRefusal::revoked:
      return "出入证已撤销";
    case PassRefusal::used:
      return "出入证已使用";
    case PassRefusal::returned:
      return "已返回，出入证已关闭";
    case PassRefusal::holder_positive:
      return "持证人阳性或待复核，出入证暂停";
    case PassRefusal::quota_used:
      return "本周期外出次数已用完";
    case PassRefusal::outside_slot:
      return "不在允许外出的时段";
    case PassRefusal::needs_negative:
      return "缺少规定时间内的核酸阴性";
    case PassRefusal::building_closed:
      return "楼栋已转为封控/管控区，家庭出入证暂停";
  }
  return "";
}

std::string_view to_label_en(PassRefusal r) {
  switch (r) {
    case PassRefusal::malformed:
      return "not a Juwei pass";
    case PassRefusal::bad_signature:
      return "the signature does not match (edited?)";
    case PassRefusal::wrong_community:
      return "a pass of another community";
    case PassRefusal::unknown_pass:
      return "no such pass";
    case PassRefusal::not_yet_valid:
      return "the pass is not valid yet";
    case PassRefusal::expired:
      return "the pass has expired";
    case PassRefusal::revoked:
      return "the pass was revoked";
    case PassRefusal::used:
      return "the pass was used already";
    case PassRefusal::returned:
      return "the holder is back; the pass is closed";
    case PassRefusal::holder_positive:
      return "the holder is positive or awaiting a retest";
    case PassRefusal::quota_used:
      return "no exits left in this period";
    case PassRefusal::outside_slot:
      return "outside the exit time slots";
    case PassRefusal::needs_negative:
      return "no negative test within the pass's window";
    case PassRefusal::building_closed:
      return "the building is sealed or controlled: household passes are stopped";
  }
  return "";
}

std::optional<PassRefusal> check_pass_exit(const PassState& pass,
                                           std::span<const TestRecord> history, Instant now) {
  if (pass.revoked_at && *pass.revoked_at <= now) return PassRefusal::revoked;
  // rule: pass.holder_not_positive
  if (known_doubt(history, now)) return PassRefusal::holder_positive;
  if (pass.kind == PassKind::individual) {
    if (pass.returned_at) return PassRefusal::returned;
    if (pass.exited_at) return PassRefusal::used;
  }
  // rule: pass.window
  if (now < pass.valid_from) return PassRefusal::not_yet_valid;
  if (now >= pass.valid_until) return PassRefusal::expired;
  return std::nullopt;
}

PassWindow individual_pass_window(Instant approved_at, Instant planned_exit,
                                  std::chrono::hours valid_for) {
  const Instant from = std::max(approved_at, planned_exit);
  return {from, from + valid_for};
}

bool household_building_open(std::optional<ZoneStatus> status, const HouseholdPassPolicy& policy) {
  return status ? *status == ZoneStatus::precaution : policy.allow_without_status;
}

std::optional<PassRefusal> check_household_building(std::span<const StatusSince> history,
                                                    Instant issued_at, Instant now,
                                                    const HouseholdPassPolicy& policy) {
  // rule: household.building_precaution
  std::optional<ZoneStatus> current;
  bool closed_since_issue = false;
  for (const StatusSince& s : history) {
    if (s.at > now) break;
    current = s.status;
    if (s.at > issued_at && s.status != ZoneStatus::precaution) closed_since_issue = true;
  }
  if (!household_building_open(current, policy)) return PassRefusal::building_closed;
  if (closed_since_issue && !policy.resumes_in_precaution) return PassRefusal::building_closed;
  return std::nullopt;
}

int household_uses_left(std::span<const Instant> uses, const HouseholdPassPolicy& policy,
                        Instant now) {
  const Instant since = now - std::chrono::days{policy.period_days};
  const auto used = std::ranges::count_if(uses, [&](Instant u) { return u > since && u <= now; });
  return std::max(0, policy.quota - static_cast<int>(used));
}

std::optional<PassRefusal> check_household_use(std::span<const Instant> uses,
                                               const HouseholdPassPolicy& policy,
                                               CountedFrom counted_from,
                                               std::span<const TestRecord> history, Instant now,
                                               std::chrono::minutes utc_offset) {
  // rule: household.quota
  if (household_uses_left(uses, policy, now) == 0) return PassRefusal::quota_used;
  // rule: household.time_slot
  if (!policy.slots.empty()) {
    const auto local = now + utc_offset;
    const auto minute = std::chrono::floor<std::chrono::minutes>(
        local - std::chrono::floor<std::chrono::days>(local));
    const bool inside = std::ranges::any_of(
        policy.slots, [&](const TimeSlot& s) { return minute >= s.start && minute < s.end; });
    if (!inside) return PassRefusal::outside_slot;
  }
  // rule: household.needs_negative_within
  if (policy.negative_within) {
    const TestRecord* negative = latest_negative(history, now, counted_from);
    const auto counted = [&](const TestRecord& t) {
      return counted_from == CountedFrom::sampled ? t.sampled_at : t.reported_at;
    };
    if (!negative || counted(*negative) < now - *policy.negative_within) {
      return PassRefusal::needs_negative;
    }
  }
  return std::nullopt;
}

std::string_view to_code(GateOutcome o) {
  switch (o) {
    case GateOutcome::out:
      return "gate.out";
    case GateOutcome::in:
      return "gate.in";
    case GateOutcome::in_without_exit:
      return "gate.in_without_exit";
    case GateOutcome::no_valid_pass:
      return "gate.no_valid_pass";
    case GateOutcome::unknown_person:
      return "gate.unknown_person";
    case GateOutcome::already_out:
      return "gate.already_out";
  }
  return "";
}

std::string_view to_label_zh(GateOutcome o) {
  switch (o) {
    case GateOutcome::out:
      return "放行";
    case GateOutcome::in:
      return "已返回，出入证关闭";
    case GateOutcome::in_without_exit:
      return "返回（无外出记录，请核实）";
    case GateOutcome::no_valid_pass:
      return "没有有效的出入证";
    case GateOutcome::unknown_person:
      return "非本小区登记居民";
    case GateOutcome::already_out:
      return "已外出未返回：请先到居委会补登返回";
  }
  return "";
}

std::string_view to_label_en(GateOutcome o) {
  switch (o) {
    case GateOutcome::out:
      return "allowed out";
    case GateOutcome::in:
      return "back; the pass is closed";
    case GateOutcome::in_without_exit:
      return "let in without an open exit: check it";
    case GateOutcome::no_valid_pass:
      return "holds no valid pass";
    case GateOutcome::unknown_person:
      return "not a registered resident";
    case GateOutcome::already_out:
      return "out and not back: the desk records the return first";
  }
  return "";
}

GateDecision decision_of(PassRefusal r) {
  return {false, to_code(r), to_label_zh(r), to_label_en(r)};
}

GateDecision decision_of(GateOutcome o) {
  const bool allow =
      o == GateOutcome::out || o == GateOutcome::in || o == GateOutcome::in_without_exit;
  return {allow, to_code(o), to_label_zh(o), to_label_en(o)};
}

GateDecision decide_gate(const GateFacts& f) {
  // rule: gate.return_closes_exit
  if (!f.out) return decision_of(f.holder_out ? GateOutcome::in : GateOutcome::in_without_exit);
  // rule: gate.one_open_exit
  if (f.holder_out) return decision_of(GateOutcome::already_out);
  if (!f.has_pass) return decision_of(GateOutcome::no_valid_pass);
  if (f.refusal) return decision_of(*f.refusal);
  return decision_of(GateOutcome::out);
}

std::string_view to_code(ReturnState s) {
  switch (s) {
    case ReturnState::not_out:
      return "not_out";
    case ReturnState::out:
      return "out";
    case ReturnState::overdue:
      return "overdue";
    case ReturnState::returned:
      return "returned";
    case ReturnState::not_required:
      return "not_required";
  }
  return "not_out";
}

std::string_view to_label_zh(ReturnState s) {
  switch (s) {
    case ReturnState::not_out:
      return "未出门";
    case ReturnState::out:
      return "外出中";
    case ReturnState::overdue:
      return "逾期未归";
    case ReturnState::returned:
      return "已返回";
    case ReturnState::not_required:
      return "无需返回";
  }
  return "";
}

ReturnState return_state(bool return_required, std::optional<Instant> exited_at,
                         std::optional<Instant> returned_at, std::optional<Instant> return_by,
                         Instant now) {
  if (returned_at) return ReturnState::returned;
  if (!exited_at) return ReturnState::not_out;
  if (!return_required) return ReturnState::not_required;
  if (return_by && now > *return_by) return ReturnState::overdue;
  return ReturnState::out;
}

}  // namespace juwei::domain
