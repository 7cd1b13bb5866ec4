#include "http/static_files.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <iterator>
#include <map>
#include <string_view>
#include <system_error>
#include <utility>

#include "service/digest.hpp"

namespace juwei::http {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kApi = "/api";
constexpr std::string_view kAssets = "/assets";  // hashed names, changed with the content
constexpr std::string_view kIndex = "/index.html";
constexpr std::string_view kGzipSuffix = ".gz";
constexpr const char* kImmutable = "public, max-age=31536000, immutable";
constexpr const char* kRevalidate = "no-cache";

struct ContentType {
  std::string_view extension;  // lower case, without the dot
  std::string_view type;
};

constexpr ContentType kContentTypes[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"webmanifest", "application/manifest+json"},
    {"txt", "text/plain; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"ico", "image/x-icon"},
    {"woff2", "font/woff2"},
    {"woff", "font/woff"},
    {"wasm", "application/wasm"},
};
constexpr std::string_view kUnknownType = "application/octet-stream";

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Calls f(item) for each comma-separated item of a header value, trimmed, empty ones skipped.
template <typename F>
void for_each_item(std::string_view list, F f) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    const auto item = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (!item.empty()) f(item);
  }
}

std::string_view content_type_of(std::string_view path) {
  const auto slash = path.rfind('/');
  const auto dot = path.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return kUnknownType;
  }
  const auto extension = path.substr(dot + 1);
  for (const auto& c : kContentTypes) {
    if (iequals(extension, c.extension)) return c.type;
  }
  return kUnknownType;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw fs::filesystem_error("cannot read", path,
                               std::error_code(errno, std::generic_category()));
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// `path` is `folder` or under it ("/api", "/api/v1/me"; not "/apis").
bool under(std::string_view path, std::string_view folder) {
  return path.starts_with(folder) && (path.size() == folder.size() || path[folder.size()] == '/');
}

bool inside(const fs::path& root, const fs::path& path) {
  const auto relative = path.lexically_relative(root);
  return !relative.empty() && *relative.begin() != "..";
}

// The regular files under `root` (canonical) by URL path, with the skipping rules of the
// StaticFiles constructor.
std::map<std::string, fs::path> list_files(const fs::path& root) {
  std::map<std::string, fs::path> files;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const fs::directory_entry& entry = *it;
    if (entry.path().filename().string().starts_with('.')) {
      it.disable_recursion_pending();
      continue;
    }
    fs::path source = entry.path();
    if (entry.is_symlink()) {
      std::error_code ec;
      source = fs::canonical(entry.path(), ec);
      if (ec || !inside(root, source) || !fs::is_regular_file(source)) continue;
    } else if (!entry.is_regular_file()) {
      continue;
    }
    files.emplace("/" + entry.path().lexically_relative(root).generic_string(), source);
  }
  return files;
}

// The path `raw` (as received, percent-encoded) names, or nullopt when it has a "." or ".."
// segment, a NUL or a backslash once decoded.
std::optional<std::string> decoded_path(std::string_view raw) {
  std::string path = percent_decode(raw, false);
  if (!path.starts_with('/') ||
      path.find_first_of(std::string_view("\0\\", 2)) != std::string::npos) {
    return std::nullopt;
  }
  std::string_view rest = std::string_view(path).substr(1);
  for (;;) {
    const auto slash = rest.find('/');
    const auto segment = rest.substr(0, slash);
    if (segment == "." || segment == "..") return std::nullopt;
    if (slash == std::string_view::npos) return path;
    rest.remove_prefix(slash + 1);
  }
}

// An app route: what the app's own router shows, so a reload there gets index.html.
bool is_app_route(std::string_view path) {
  if (under(path, kAssets)) return false;
  return path.substr(path.rfind('/') + 1).find('.') == std::string_view::npos;
}

// Accept-Encoding admits gzip: listed (or "*" is, with gzip not listed) with a q above 0.
bool accepts_gzip(std::string_view header) {
  std::optional<bool> gzip;
  std::optional<bool> any;
  for_each_item(header, [&](std::string_view item) {
    const auto semi = item.find(';');
    const auto coding = trim(item.substr(0, semi));
    bool acceptable = true;
    if (semi != std::string_view::npos) {
      const auto param = trim(item.substr(semi + 1));
      if (param.size() > 2 && lower(param[0]) == 'q' && param[1] == '=') {
        double q = 1;
        std::from_chars(param.data() + 2, param.data() + param.size(), q);
        acceptable = q > 0;
      }
    }
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) gzip = acceptable;
    if (coding == "*") any = acceptable;
  });
  return gzip.value_or(any.value_or(false));
}

// If-None-Match lists `etag` (weakly compared, as RFC 9110 13.1.2 says) or is "*".
bool none_match_lists(std::string_view header, std::string_view etag) {
  bool matched = false;
  for_each_item(header, [&](std::string_view item) {
    if (item.starts_with("W/")) item.remove_prefix(2);
    matched = matched || item == "*" || item == etag;
  });
  return matched;
}

}  // namespace

StaticFiles::StaticFiles(const std::filesystem::path& root) {
  const fs::path base = fs::canonical(root);
  if (!fs::is_directory(base)) {
    throw fs::filesystem_error("not a folder", root,
                               std::make_error_code(std::errc::not_a_directory));
  }
  const auto listed = list_files(base);
  auto encoded = [](const fs::path& source) {
    std::string bytes = read_file(source);
    std::string etag = "\"" + service::blake2b_hex(bytes) + "\"";
    return Encoded{std::move(bytes), std::move(etag)};
  };
  for (const auto& [path, source] : listed) {
    if (path.ends_with(kGzipSuffix) &&
        listed.contains(path.substr(0, path.size() - kGzipSuffix.size()))) {
      continue;  // X's gzip encoding, read with X
    }
    File file;
    file.content_type = content_type_of(path);
    file.immutable = under(path, kAssets);
    file.html = file.content_type.starts_with("text/html");
    file.identity = encoded(source);
    if (auto gz = listed.find(path + std::string(kGzipSuffix)); gz != listed.end()) {
      file.gzip = encoded(gz->second);
    }
    m_files.emplace(path, std::move(file));
  }
}

std::size_t StaticFiles::total_bytes() const {
  std::size_t total = 0;
  for (const auto& [path, file] : m_files)
    total += file.identity.bytes.size();
  return total;
}

std::optional<Response> StaticFiles::serve(const Request& request) const {
  if (request.method != "GET" && request.method != "HEAD") return std::nullopt;
  const auto path = decoded_path(request.path);
  if (!path || under(*path, kApi)) return std::nullopt;
  const std::string index(kIndex);
  auto found = m_files.find(*path == "/" ? index : *path);
  if (found == m_files.end() && is_app_route(*path)) found = m_files.find(index);
  if (found == m_files.end()) return std::nullopt;
  return answer(found->second, request);
}

Response StaticFiles::answer(const File& file, const Request& request) {
  const bool gzip = file.gzip && accepts_gzip(request.accept_encoding);
  const Encoded& encoded = gzip ? *file.gzip : file.identity;
  Response response{200, file.content_type, {}, {}};
  auto& headers = response.headers;
  headers.emplace_back("Cache-Control", file.immutable ? kImmutable : kRevalidate);
  headers.emplace_back("ETag", encoded.etag);
  headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (file.gzip) headers.emplace_back("Vary", "Accept-Encoding");
  if (gzip) headers.emplace_back("Content-Encoding", "gzip");
  if (file.html) headers.emplace_back("Content-Security-Policy", kWebAppPolicy);
  if (none_match_lists(request.if_none_match, encoded.etag)) {
    response.status = 304;
    return response;
  }
  response.body = encoded.bytes;
  return response;
}

}  // namespace juwei::http
