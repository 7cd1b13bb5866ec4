// Idempotency-Key handling for creating POSTs: the first request with a key claims it, and
// its answer is remembered for a day; a retry with the same key and the same request gets
// the remembered answer and changes nothing. Keys are per user.
//
// A claim that is never answered (the server died mid-request) is abandoned after a minute
// and the key can be claimed again; if the first request had committed, the retry then
// meets the record it made (a conflict, not a duplicate).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "service/clock.hpp"
#include "service/error.hpp"
#include "store/store.hpp"

namespace juwei::service {

inline constexpr std::chrono::hours kIdempotencyKeyLifetime{24};
inline constexpr std::chrono::seconds kIdempotencyClaimTimeout{60};
inline constexpr std::size_t kMaxIdempotencyKeyBytes = 255;

struct StoredAnswer {
  int status = 0;
  std::string content_type;
  std::string body;
};

class Idempotency {
 public:
  Idempotency(store::Store& store, Clock clock);

  // Claims `key` for a request whose method, route and body are `request`. Returns the
  // remembered answer of an earlier request with the key, or nullopt: go ahead, then call
  // remember() (or forget() when the answer should not be kept, e.g. a server error).
  // invalid: a malformed key; conflict: the key was used for a different request, or the
  // first request with it is still running.
  Result<std::optional<StoredAnswer>> claim(domain::CommunityId c, domain::UserId user,
                                            std::string_view key, std::string_view request);
  Result<void> remember(domain::CommunityId c, domain::UserId user, std::string_view key,
                        const StoredAnswer& answer);
  Result<void> forget(domain::CommunityId c, domain::UserId user, std::string_view key);

 private:
  store::Store& m_store;
  Clock m_clock;
};

}  // namespace juwei::service
