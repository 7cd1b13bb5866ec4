// The store's aggregate code, written once over the driver seam (driver.hpp): a Transaction
// that runs every store call as SQL on a Session. Backends make Sessions; this makes them
// Transactions.
#pragma once

#include <memory>

#include "store/sql/driver.hpp"
#include "store/store.hpp"

namespace juwei::store::sql {

std::unique_ptr<Transaction> make_transaction(std::unique_ptr<Session> session);

}  // namespace juwei::store::sql
