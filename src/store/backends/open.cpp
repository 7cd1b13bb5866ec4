#include "store/backends/open.hpp"

#include <system_error>

#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace juwei::store::backends {

namespace {

Error invalid(std::string message) {
  return Error{Error::Kind::io, std::move(message)};
}

}  // namespace

Result<Target> parse_url(std::string_view url) {
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return Target{Kind::postgresql, {}, std::string(url)};
  }
  std::string_view path = url;
  if (path.starts_with("sqlite:")) {
    path.remove_prefix(7);
  } else if (path.find("://") != std::string_view::npos) {
    return std::unexpected(invalid("unsupported database URL '" + std::string(url) +
                                   "': use sqlite:PATH or postgresql://user@host:port/dbname"));
  }
  if (path.empty()) return std::unexpected(invalid("--db needs a path: sqlite:PATH"));
  return Target{Kind::sqlite, std::filesystem::path(path), {}};
}

Result<std::unique_ptr<Store>> open(std::string_view url) {
  auto target = parse_url(url);
  if (!target) return std::unexpected(target.error());
  if (target->kind == Kind::postgresql) return postgres::open(target->url);
  const std::filesystem::path& file = target->file;
  if (file.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
      return std::unexpected(
          invalid("cannot create folder " + file.parent_path().string() + ": " + ec.message()));
    }
  }
  return sqlite::open(file);
}

}  // namespace juwei::store::backends
