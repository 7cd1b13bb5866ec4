// One use case, one transaction: runs `work` on a transaction of the given mode and, for a
// write, commits when it succeeds; on failure (or for a read) the transaction rolls back.
#pragma once

#include <type_traits>
#include <utility>

#include "service/error.hpp"
#include "store/store.hpp"

namespace juwei::service {

template <typename Work>
auto in_transaction(store::Store& store, store::TxMode mode, Work&& work)
    -> std::invoke_result_t<Work, store::Transaction&> {
  auto tx = store.begin(mode);
  if (!tx) return std::unexpected(from_store(tx.error()));
  auto result = std::forward<Work>(work)(**tx);
  if (!result || mode == store::TxMode::read) return result;
  if (auto done = (*tx)->commit(); !done) return std::unexpected(from_store(done.error()));
  return result;
}

// A write of community c: in_transaction(write), with c's write lock taken before `work`'s
// first statement (the concurrency contract in store.hpp: what the write reads is then what
// it writes after, on every layout).
template <typename Work>
auto in_community(store::Store& store, domain::CommunityId c, Work&& work)
    -> std::invoke_result_t<Work, store::Transaction&> {
  return in_transaction(store, store::TxMode::write,
                        [&](store::Transaction& tx) -> std::invoke_result_t<Work, store::Transaction&> {
                          if (auto locked = tx.lock_community(c); !locked) {
                            return std::unexpected(from_store(locked.error()));
                          }
                          return std::forward<Work>(work)(tx);
                        });
}

// Unwraps a store result into a service result: `auto x = lift(tx.get_building(c, id));`
template <typename T>
Result<T> lift(store::Result<T> r) {
  if (!r) return std::unexpected(from_store(r.error()));
  if constexpr (std::is_void_v<T>) {
    return {};
  } else {
    return std::move(*r);
  }
}

}  // namespace juwei::service
