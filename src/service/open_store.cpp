#include "service/open_store.hpp"

#include <filesystem>
#include <system_error>

#include "store/sqlite/sqlite_store.hpp"

namespace juwei::service {

std::filesystem::path data_folder(std::string_view url) {
  if (url.starts_with("sqlite:")) url.remove_prefix(7);
  const std::filesystem::path parent = std::filesystem::path(url).parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

Result<std::filesystem::path> sqlite_file(std::string_view url) {
  std::string_view path = url;
  if (path.starts_with("sqlite:")) {
    path.remove_prefix(7);
  } else if (const auto colon = path.find("://"); colon != std::string_view::npos) {
    return std::unexpected(
        Error::invalid("unsupported database URL '" + std::string(url) + "': use sqlite:PATH"));
  }
  if (path.empty()) return std::unexpected(Error::invalid("--db needs a path: sqlite:PATH"));
  return std::filesystem::path(path);
}

Result<std::unique_ptr<store::Store>> open_store(std::string_view url) {
  auto path = sqlite_file(url);
  if (!path) return std::unexpected(path.error());
  const std::filesystem::path& file = *path;
  if (file.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
      return std::unexpected(Error::invalid("cannot create folder " + file.parent_path().string() +
                                            ": " + ec.message()));
    }
  }
  auto store = store::sqlite::open(file);
  if (!store) {
    Error e = from_store(store.error());
    if (store.error().kind == store::Error::Kind::io) e.kind = Error::Kind::invalid;
    return std::unexpected(std::move(e));
  }
  return std::move(*store);
}

}  // namespace juwei::service
