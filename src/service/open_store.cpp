#include "service/open_store.hpp"

#include "store/backends/open.hpp"

namespace juwei::service {

std::filesystem::path data_folder(std::string_view url) {
  auto target = store::backends::parse_url(url);
  if (!target) return "juwei-data";
  if (target->kind != store::backends::Kind::sqlite) {
    // A server database has no file to sit beside: its keys and proofs live in
    // ./juwei-data/<database name>, one folder per database.
    std::string_view name = target->url;
    name = name.substr(name.rfind('/') + 1);
    name = name.substr(0, name.find('?'));
    return std::filesystem::path("juwei-data") / std::string(name.empty() ? "postgres" : name);
  }
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
