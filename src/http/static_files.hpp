// The built web app (Vite's output: index.html, assets/NAME-HASH.js|css|...), read into memory
// once and served from there: no request touches the disk, so no request path can reach a file
// outside the folder. Immutable after construction; serve() is safe from many threads at once.
// It answers GET and HEAD outside /api/; the Server asks it only about requests no route took.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>

#include "http/router.hpp"

namespace juwei::http {

// The Content-Security-Policy of every HTML answer. Vant sets inline styles, hence
// 'unsafe-inline' for styles (and for nothing else), and its icon font is a data: URL in its
// CSS (the CDN copy it falls back to stays blocked: the app works without the Internet).
inline constexpr const char* kWebAppPolicy =
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'";

class StaticFiles {
 public:
  // Reads every regular file under `root`. Skipped: hidden files and folders (".git",
  // ".env"), symbolic links that lead outside `root` or to a folder. "X.gz" beside "X" is X's
  // gzip encoding, not a file of its own. Throws std::filesystem::filesystem_error when `root`
  // or a file in it cannot be read.
  explicit StaticFiles(const std::filesystem::path& root);

  // The answer to `request`, or nullopt when the web app has none (the caller's 404): a method
  // other than GET and HEAD, a path under /api/, a path that names no file and is not an app
  // route. A file answers 200 (304 when If-None-Match holds its ETag) with its content type,
  // nosniff, an ETag and Cache-Control: a year and immutable under /assets/ (their names
  // change with their content), no-cache elsewhere; gzip when Accept-Encoding admits it and
  // the folder has X.gz. An app route (no file, outside /assets/, no dot in the last segment:
  // "/desk/requests/12") answers index.html, for the app's router. Paths are percent-decoded;
  // one with a "." or ".." segment, a NUL or a backslash names no file. HEAD gets the GET
  // answer, body included: the Server sends only its length.
  std::optional<Response> serve(const Request& request) const;

  std::size_t file_count() const { return m_files.size(); }
  std::size_t total_bytes() const;  // of the files as they are, without their .gz

 private:
  // One encoding of a file: its bytes and their quoted ETag.
  struct Encoded {
    std::string bytes;
    std::string etag;
  };
  struct File {
    std::string content_type;
    bool immutable = false;  // under /assets/
    bool html = false;
    Encoded identity;
    std::optional<Encoded> gzip;
  };

  static Response answer(const File& file, const Request& request);

  std::unordered_map<std::string, File> m_files;  // by decoded URL path: "/assets/app-1a2b.js"
};

}  // namespace juwei::http
