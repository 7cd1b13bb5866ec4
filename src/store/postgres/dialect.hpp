// The portable SQL dialect of store/sql/driver.hpp, rewritten for PostgreSQL: the only place
// where the PostgreSQL backend changes the text of a Query. Pure string work, no I/O; done once
// per statement and connection, when the statement is first prepared.
#pragma once

#include <string>
#include <string_view>

namespace juwei::store::postgres {

// `portable` as PostgreSQL reads it:
// - `?N` becomes `$N`;
// - `INDEXED BY name` (SQLite's planner hint) is dropped;
// - `json_each(?N)` becomes json_array_elements_text($N::json) AS json_each(value);
// - `CROSS JOIN` becomes JOIN (PostgreSQL takes no ON after CROSS JOIN, and orders joins
//   itself); `LIKE` becomes ILIKE (SQLite's LIKE ignores the case of ASCII letters).
// String literals ('...'), quoted identifiers ("...") and comments are copied unchanged. When
// `max_param` is given it receives the highest N used (0 when there is none): the number of
// parameters the statement is prepared with.
std::string translate(std::string_view portable, int* max_param = nullptr);

}  // namespace juwei::store::postgres
