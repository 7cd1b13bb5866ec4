#include "service/error.hpp"

namespace juwei::service {

Error from_store(const store::Error& e) {
  using K = store::Error::Kind;
  switch (e.kind) {
    case K::not_found:
      return Error{Error::Kind::not_found, e.message};
    case K::conflict:
      return Error{Error::Kind::conflict, e.message};
    case K::busy:
      return Error::unavailable("the database is busy; try again: " + e.message);
    case K::unavailable:
      return Error::unavailable("the database cannot be reached; try again: " + e.message);
    case K::corrupt:
    case K::too_new:
      return Error::invalid(e.message);
    case K::io:
      return Error::internal(e.message);
  }
  return Error::internal(e.message);
}

}  // namespace juwei::service
