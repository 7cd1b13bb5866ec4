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
