// Who may see a resident's records, and a resident's tests as the domain rules read them.
// Shared by the use cases that answer for one resident (tests, antigen photos, exit requests).
#pragma once

#include <string_view>
#include <vector>

#include "domain/lab_result.hpp"
#include "service/clock.hpp"
#include "service/error.hpp"
#include "store/store.hpp"

namespace juwei::service {

// The committee's desk: the secretary and staff.
bool is_desk(domain::Role r);

// The desk sees every live resident; a resident their own household. not_found otherwise,
// which also hides whether the resident exists.
Result<void> may_see(store::Transaction& tx, domain::CommunityId c, domain::ResidentId resident,
                     const domain::User& viewer);

TimePoint time_or_epoch(std::string_view iso);
domain::TestRecord record_of(const store::ResidentTest& t);
std::vector<domain::TestRecord> records_of(const std::vector<store::ResidentTest>& tests);

}  // namespace juwei::service
