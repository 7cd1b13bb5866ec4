#include "http/tls.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <ranges>
#include <system_error>

#include "http/openssl.hpp"

namespace juwei::http {
namespace {

namespace fs = std::filesystem;
using service::Error;

constexpr int kMaxDays = 3650;
constexpr auto kBackdate = std::chrono::hours(1);

std::string lowercase(std::string s) {
  std::ranges::transform(s, s.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return s;
}

bool is_ip_address(const std::string& name) {
  unsigned char address[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), address) == 1 ||
         inet_pton(AF_INET6, name.c_str(), address) == 1;
}

// A host name as RFC 1123 has it: dot-separated labels of letters, digits and inner hyphens.
bool is_host_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (const auto part : std::views::split(name, '.')) {
    const std::string_view label(part.begin(), part.end());
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    const bool allowed = std::ranges::all_of(label, [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    });
    if (!allowed) return false;
  }
  return true;
}

// gethostname(), when it is a host name a certificate can carry and not "localhost".
std::optional<std::string> host_name() {
  char buffer[HOST_NAME_MAX + 1] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) return std::nullopt;
  std::string name = lowercase(buffer);
  if (!is_host_name(name) || name == "localhost") return std::nullopt;
  return name;
}

void add_unique(std::vector<std::string>& names, std::string name) {
  if (std::ranges::find(names, name) == names.end()) names.push_back(std::move(name));
}

// Fails a step of making the key or the certificate: an internal error, with OpenSSL's reason.
std::unexpected<Error> openssl_failed(std::string_view what) {
  return std::unexpected(
      Error::internal(fmt::format("cannot make the {}: {}", what, openssl::error_reason())));
}

// An X.509 v3 certificate for `names`, signed with `key` itself. Its extensions are those
// browsers and phones look for: subjectAltName (the names; the common name is not read),
// serverAuth, and CA:TRUE so that a phone can install it as trusted, as `openssl req -x509`
// makes it.
service::Result<openssl::Certificate> make_certificate(EVP_PKEY* key,
                                                       const std::vector<std::string>& names,
                                                       service::TimePoint from, int days) {
  openssl::Certificate cert(X509_new());
  openssl::Bignum serial(BN_new());
  if (!cert || !serial) return openssl_failed("certificate");
  const auto host = host_name();
  const std::string common_name = host ? ("Juwei " + *host).substr(0, 64) : "Juwei";
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const std::time_t not_before = from.time_since_epoch().count();
  const std::time_t not_after = not_before + std::time_t{days} * 24 * 60 * 60;
  const bool filled =
      X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
      BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) != nullptr &&
      ASN1_TIME_set(X509_getm_notBefore(cert.get()), not_before) != nullptr &&
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), not_after) != nullptr &&
      X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>("Juwei"), -1, -1, 0) == 1 &&
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) == 1 &&
      X509_set_issuer_name(cert.get(), subject) == 1 && X509_set_pubkey(cert.get(), key) == 1;
  if (!filled) return openssl_failed("certificate");

  openssl::GeneralNames alt_names(sk_GENERAL_NAME_new_null());
  if (!alt_names) return openssl_failed("certificate");
  for (const auto& name : names) {
    GENERAL_NAME* entry = a2i_GENERAL_NAME(
        nullptr, nullptr, nullptr, is_ip_address(name) ? GEN_IPADD : GEN_DNS, name.c_str(), 0);
    if (entry == nullptr) return openssl_failed("certificate's name " + name);
    if (sk_GENERAL_NAME_push(alt_names.get(), entry) == 0) {
      GENERAL_NAME_free(entry);
      return openssl_failed("certificate");
    }
  }
  if (X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, alt_names.get(), 0, X509V3_ADD_DEFAULT) !=
      1) {
    return openssl_failed("certificate's subjectAltName");
  }
  // The key identifier goes before the authority key identifier, which copies it.
  const std::pair<int, const char*> extensions[] = {
      {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
      {NID_key_usage, "critical,digitalSignature,keyCertSign"},
      {NID_ext_key_usage, "serverAuth"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"},
  };
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    openssl::X509Extension extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value));
    if (!extension || X509_add_ext(cert.get(), extension.get(), -1) != 1)
      return openssl_failed(fmt::format("certificate's {}", OBJ_nid2sn(nid)));
  }
  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) return openssl_failed("certificate");
  return cert;
}

std::string fingerprint(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  X509_digest(cert, EVP_sha256(), digest, &size);
  return fmt::format("{:02X}", fmt::join(digest, digest + size, ":"));
}

// Writes a new file beside `path` with `mode` from its creation (and exactly `mode`, whatever
// the umask), through `write`, and syncs it. Returns the new file's path, for commit().
service::Result<fs::path> write_pending(const fs::path& path, mode_t mode,
                                        const std::function<bool(BIO*)>& write) {
  fs::path pending = path;
  pending += ".new";
  ::unlink(pending.c_str());  // left by an interrupted run; O_EXCL below refuses it otherwise
  const int fd =
      ::open(pending.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) {
    return std::unexpected(
        Error::invalid(fmt::format("cannot write {}: {}", pending.string(), std::strerror(errno))));
  }
  errno = 0;
  bool ok = ::fchmod(fd, mode) == 0;
  if (ok) {
    const openssl::Bio out(BIO_new_fd(fd, BIO_NOCLOSE));
    ok = out && write(out.get()) && BIO_flush(out.get()) == 1 && ::fsync(fd) == 0;
  }
  const int error = errno;
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    ::unlink(pending.c_str());
    return std::unexpected(
        Error::invalid(fmt::format("writing {} failed: {}", pending.string(),
                                   error != 0 ? std::strerror(error) : "I/O error")));
  }
  return pending;
}

// Renames each written file over its destination; removes any left if one fails.
service::Result<void> commit(const std::vector<std::pair<fs::path, fs::path>>& renames) {
  for (const auto& [from, to] : renames) {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      const int error = errno;
      for (const auto& [left, unused] : renames)
        ::unlink(left.c_str());
      return std::unexpected(
          Error::invalid(fmt::format("cannot write {}: {}", to.string(), std::strerror(error))));
    }
  }
  return {};
}

}  // namespace

std::vector<std::string> machine_names() {
  std::vector<std::string> names = {"localhost", "127.0.0.1"};
  if (auto name = host_name()) add_unique(names, std::move(*name));
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return names;
  const std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> owner(list, &freeifaddrs);
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    if ((i->ifa_flags & IFF_UP) == 0 || (i->ifa_flags & IFF_LOOPBACK) != 0) continue;
    char text[INET_ADDRSTRLEN];
    const auto* address = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    if (inet_ntop(AF_INET, &address->sin_addr, text, sizeof text) != nullptr)
      add_unique(names, text);
  }
  return names;
}

service::Result<SelfSigned> make_self_signed(const SelfSignedOptions& options,
                                             const service::Clock& clock) {
  if (options.days < 1 || options.days > kMaxDays) {
    return std::unexpected(
        Error::invalid(fmt::format("days must be from 1 to {}, not {}", kMaxDays, options.days)));
  }
  SelfSigned made;
  made.names = machine_names();
  for (const auto& extra : options.extra_names) {
    std::string name = lowercase(extra);
    if (!is_ip_address(name) && !is_host_name(name)) {
      return std::unexpected(
          Error::invalid(fmt::format("'{}' is neither a host name nor an IP address", extra)));
    }
    add_unique(made.names, std::move(name));
  }
  made.files = {options.out_dir / "cert.pem", options.out_dir / "key.pem"};
  for (const auto& file : {made.files.cert, made.files.key}) {
    std::error_code ec;
    if (!options.force && fs::exists(fs::symlink_status(file, ec))) {
      return std::unexpected(Error::invalid(fmt::format(
          "{} exists already; pass --force to replace it (phones that trust the old certificate "
          "will need the new one)",
          file.string())));
    }
  }
  std::error_code ec;
  fs::create_directories(options.out_dir, ec);
  if (ec) {
    return std::unexpected(Error::invalid(
        fmt::format("cannot create folder {}: {}", options.out_dir.string(), ec.message())));
  }

  const openssl::Key key(EVP_EC_gen("P-256"));
  if (!key) return openssl_failed("key");
  auto cert = make_certificate(key.get(), made.names, clock() - kBackdate, options.days);
  if (!cert) return std::unexpected(std::move(cert.error()));
  made.fingerprint = fingerprint(cert->get());

  const auto key_file = write_pending(made.files.key, 0600, [&](BIO* out) {
    return PEM_write_bio_PrivateKey(out, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
  if (!key_file) return std::unexpected(key_file.error());
  const auto cert_file = write_pending(
      made.files.cert, 0644, [&](BIO* out) { return PEM_write_bio_X509(out, cert->get()) == 1; });
  if (!cert_file) {
    ::unlink(key_file->c_str());
    return std::unexpected(cert_file.error());
  }
  if (auto done = commit({{*key_file, made.files.key}, {*cert_file, made.files.cert}}); !done)
    return std::unexpected(std::move(done.error()));
  return made;
}

}  // namespace juwei::http
