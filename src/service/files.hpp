// The files the service keeps beside the database (pass signing keys, proofs, backups): read
// whole, or written once as new files readable by their owner only and made durable.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "service/error.hpp"

namespace juwei::service {

// Creates `folder` and any missing parents, each its owner's only (0700).
Result<void> make_private_folder(const std::filesystem::path& folder);
// Writes `to` whole or not at all: `bytes` into `to`.part (write_private_file), renamed over
// `to`. The folder is not synced: the caller syncs it once for all the files it wrote.
Result<void> write_private_file_whole(const std::filesystem::path& to, std::string_view bytes);

// The whole file; empty when it cannot be read.
std::string read_file(const std::filesystem::path& path);

// Writes a new file (mode 0600) and fsyncs it; false, with errno set, if it exists already or
// cannot be written.
bool write_private_file(const std::filesystem::path& path, std::string_view bytes);

// fsyncs a folder, so that the names of files created or renamed in it survive a power cut.
bool sync_folder(const std::filesystem::path& folder);

}  // namespace juwei::service
