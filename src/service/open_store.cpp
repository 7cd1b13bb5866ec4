#include "service/open_store.hpp"

#include "store/backends/open.hpp"

namespace juwei::service {

std::filesystem::path data_folder(std::string_view url) {
  auto target = store::backends::parse_url(url);
  // A server database has no file to sit beside: its keys and proofs live in ./juwei-data.
  if (!target || target->kind != store::backends::Kind::sqlite) return "juwei-data";
  const std::filesystem::path parent = target->file.parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

Result<std::filesystem::path> sqlite_file(std::string_view url) {
  auto target = store::backends::parse_url(url);
  if (!target) return std::unexpected(Error::invalid(target.error().message));
  if (target->kind != store::backends::Kind::sqlite) {
    return std::unexpected(Error::invalid(
        "this works on a SQLite database; a PostgreSQL database is backed up with PostgreSQL's "
        "own tools (pg_dump, pg_basebackup)"));
  }
  return target->file;
}

Result<std::unique_ptr<store::Store>> open_store(std::string_view url) {
  auto store = store::backends::open(url);
  if (!store) {
    Error e = from_store(store.error());
    // A file that cannot be opened, a folder that cannot be made: the user's to fix.
    if (store.error().kind == store::Error::Kind::io) e.kind = Error::Kind::invalid;
    return std::unexpected(std::move(e));
  }
  return std::move(*store);
}

}  // namespace juwei::service
