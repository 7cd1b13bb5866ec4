#include "service/files.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace juwei::service {

namespace fs = std::filesystem;

Result<void> make_private_folder(const fs::path& folder) {
  std::error_code ec;
  if (fs::is_directory(folder, ec)) return {};
  const fs::path parent = folder.has_parent_path() ? folder.parent_path() : fs::path(".");
  if (auto r = make_private_folder(parent); !r) return r;
  fs::create_directory(folder, ec);
  if (!ec) fs::permissions(folder, fs::perms::owner_all, ec);
  if (ec) {
    return std::unexpected(
        Error::invalid("cannot create " + folder.string() + ": " + ec.message()));
  }
  return {};
}

Result<void> write_private_file_whole(const fs::path& to, std::string_view bytes) {
  fs::path part = to;
  part += ".part";
  std::error_code ec;
  fs::remove(part, ec);  // a copy an earlier run left half-written
  if (!write_private_file(part, bytes)) {
    return std::unexpected(
        Error::invalid(fmt::format("cannot write {}: {}", part.string(), std::strerror(errno))));
  }
  fs::rename(part, to, ec);
  if (ec) {
    fs::remove(part, ec);
    return std::unexpected(Error::invalid("cannot write " + to.string()));
  }
  return {};
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool write_private_file(const std::filesystem::path& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      ::close(fd);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  return ::close(fd) == 0 && synced;
}

bool sync_folder(const std::filesystem::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool synced = ::fsync(fd) == 0;
  return ::close(fd) == 0 && synced;
}

}  // namespace juwei::service
