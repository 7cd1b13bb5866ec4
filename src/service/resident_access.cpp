#include "service/resident_access.hpp"

#include <fmt/format.h>

#include "service/transaction.hpp"

namespace juwei::service {

using domain::CommunityId;
using domain::ResidentId;

bool is_desk(domain::Role r) {
  return r == domain::Role::secretary || r == domain::Role::staff;
}

Result<void> may_see(store::Transaction& tx, CommunityId c, ResidentId resident,
                     const domain::User& viewer) {
  const Error hidden = Error::not_found(fmt::format("no resident {}", resident));
  auto row = lift(tx.get_resident(c, resident));
  if (!row) return std::unexpected(row.error());
  if (!*row || (*row)->resident.removal.removed()) return std::unexpected(hidden);
  if (is_desk(viewer.role)) return {};
  if (viewer.role != domain::Role::resident || viewer.resident_id == 0) {
    return std::unexpected(hidden);
  }
  auto own = lift(tx.get_resident(c, viewer.resident_id));
  if (!own) return std::unexpected(own.error());
  if (!*own || (*own)->resident.household_id != (*row)->resident.household_id) {
    return std::unexpected(hidden);
  }
  return {};
}

TimePoint time_or_epoch(std::string_view iso) {
  return parse_iso_utc(iso).value_or(TimePoint{});
}

domain::TestRecord record_of(const store::ResidentTest& t) {
  return domain::TestRecord{t.kind, time_or_epoch(t.sampled_at), t.result,
                            time_or_epoch(t.reported_at), time_or_epoch(t.received_at)};
}

std::vector<domain::TestRecord> records_of(const std::vector<store::ResidentTest>& tests) {
  std::vector<domain::TestRecord> out;
  out.reserve(tests.size());
  for (const auto& t : tests)
    out.push_back(record_of(t));
  return out;
}

}  // namespace juwei::service
