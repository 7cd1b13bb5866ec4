// make_self_signed on the real file system: what it writes is read back from disk and checked
// with OpenSSL itself, the way a browser or `openssl x509` would see it.
#include "http/tls.hpp"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "http/openssl.hpp"

namespace juwei::http {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

const service::TimePoint kNow = std::chrono::sys_days{2022y / 4 / 4} + 2h;

// A fresh folder under the system's temporary folder, removed with everything in it.
class TempDir {
 public:
  TempDir()
      : m_path(fs::temp_directory_path() /
               ("juwei-tls-" + std::to_string(std::random_device{}()))) {
    fs::create_directories(m_path);
  }
  ~TempDir() { fs::remove_all(m_path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

// Sets the process' umask for the scope: the modes written must not depend on it.
class Umask {
 public:
  explicit Umask(mode_t mask) : m_old(::umask(mask)) {}
  ~Umask() { ::umask(m_old); }

 private:
  mode_t m_old;
};

mode_t mode_of(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

openssl::Certificate read_certificate(const fs::path& file) {
  const openssl::Bio in(BIO_new_file(file.c_str(), "r"));
  return openssl::Certificate(in ? PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr)
                                 : nullptr);
}

openssl::Key read_key(const fs::path& file) {
  const openssl::Bio in(BIO_new_file(file.c_str(), "r"));
  return openssl::Key(in ? PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr) : nullptr);
}

// The subjectAltName as `openssl x509 -text` lists it: "DNS:localhost", "IP:127.0.0.1", ...
std::vector<std::string> alt_names(X509* cert) {
  std::vector<std::string> out;
  const openssl::GeneralNames names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      const ASN1_STRING* dns = name->d.dNSName;
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                         ASN1_STRING_length(dns)));
    } else if (name->type == GEN_IPADD) {
      const ASN1_STRING* ip = name->d.iPAddress;
      char text[INET6_ADDRSTRLEN] = {};
      inet_ntop(ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(ip), text,
                sizeof text);
      out.push_back(std::string("IP:") + text);
    }
  }
  return out;
}

// SHA-256 over the certificate's DER encoding, in the form `openssl x509 -fingerprint -sha256`
// prints: uppercase hex pairs joined by colons.
std::string der_sha256(X509* cert) {
  unsigned char* der = nullptr;
  const int size = i2d_X509(cert, &der);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  const bool ok = size > 0 && EVP_Digest(der, static_cast<std::size_t>(size), digest, &digest_size,
                                         EVP_sha256(), nullptr) == 1;
  OPENSSL_free(der);
  std::string hex;
  for (unsigned int i = 0; ok && i < digest_size; ++i) {
    char pair[4];
    std::snprintf(pair, sizeof pair, i == 0 ? "%02X" : ":%02X", digest[i]);
    hex += pair;
  }
  return hex;
}

TEST(SelfSigned, WritesAKeyOnlyTheOwnerReadsAndACertificateForTheMachine) {
  TempDir dir;
  const Umask open_to_all(0);  // the modes must come from make_self_signed, not the umask
  SelfSignedOptions options;
  options.out_dir = dir.path() / "data" / "tls";  // created
  options.extra_names = {"Desk.Example", "192.168.7.7", "fd00::7"};
  options.days = 30;
  const auto made = make_self_signed(options, service::fixed_clock(kNow));
  ASSERT_TRUE(made) << made.error().message;

  EXPECT_EQ(made->files.cert, options.out_dir / "cert.pem");
  EXPECT_EQ(made->files.key, options.out_dir / "key.pem");
  EXPECT_EQ(mode_of(made->files.key), 0600u);
  EXPECT_EQ(mode_of(made->files.cert), 0644u);
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(options.out_dir))
    files.push_back(entry.path().filename().string());
  std::ranges::sort(files);
  EXPECT_EQ(files, (std::vector<std::string>{"cert.pem", "key.pem"})) << "nothing left over";

  const auto cert = read_certificate(made->files.cert);
  ASSERT_TRUE(cert);
  const auto names = alt_names(cert.get());
  for (const char* expected :
       {"DNS:localhost", "IP:127.0.0.1", "DNS:desk.example", "IP:192.168.7.7", "IP:fd00::7"}) {
    EXPECT_NE(std::ranges::find(names, expected), names.end()) << expected;
  }
  for (const auto& name : machine_names()) {
    EXPECT_NE(std::ranges::find(made->names, name), made->names.end()) << name;
  }
  EXPECT_EQ(names.size(), made->names.size()) << "the names printed are the names covered";

  EXPECT_EQ(made->fingerprint, der_sha256(cert.get()));
  EXPECT_TRUE(std::regex_match(made->fingerprint, std::regex("([0-9A-F]{2}:){31}[0-9A-F]{2}")))
      << made->fingerprint;

  const auto key = read_key(made->files.key);
  ASSERT_TRUE(key);
  EXPECT_TRUE(EVP_PKEY_is_a(key.get(), "EC"));
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 256);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  EXPECT_EQ(X509_verify(cert.get(), key.get()), 1) << "signed with its own key";
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 1);

  // Valid from an hour before now, for `days`.
  const std::time_t from = (kNow - 1h).time_since_epoch().count();
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notBefore(cert.get()), from), 0);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert.get()), from + 30 * 24 * 3600), 0);
}

TEST(SelfSigned, ReplacesExistingFilesOnlyWhenForced) {
  TempDir dir;
  SelfSignedOptions options;
  options.out_dir = dir.path();
  const auto first = make_self_signed(options, service::fixed_clock(kNow));
  ASSERT_TRUE(first) << first.error().message;
  fs::permissions(first->files.key, fs::perms::others_read, fs::perm_options::add);

  const auto refused = make_self_signed(options, service::fixed_clock(kNow));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, service::Error::Kind::invalid);
  EXPECT_THAT(refused.error().message, HasSubstr("exists already"));
  EXPECT_EQ(der_sha256(read_certificate(first->files.cert).get()), first->fingerprint);

  options.force = true;
  const auto second = make_self_signed(options, service::fixed_clock(kNow));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_NE(second->fingerprint, first->fingerprint);
  EXPECT_EQ(der_sha256(read_certificate(second->files.cert).get()), second->fingerprint);
  EXPECT_EQ(mode_of(second->files.key), 0600u) << "a replaced key is private again";
}

TEST(SelfSigned, RejectsBadNamesAndValidities) {
  struct Case {
    std::string name;
    int days;
    const char* message;
  };
  const Case cases[] = {
      {"two words", 825, "neither a host name nor an IP address"},
      {"-desk.example", 825, "neither a host name nor an IP address"},
      {"desk..example", 825, "neither a host name nor an IP address"},
      {"desk_1.example", 825, "neither a host name nor an IP address"},
      {"", 825, "neither a host name nor an IP address"},
      {"desk.example", 0, "days must be from 1 to 3650"},
      {"desk.example", 3651, "days must be from 1 to 3650"},
  };
  TempDir dir;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name + " " + std::to_string(c.days));
    SelfSignedOptions options;
    options.out_dir = dir.path() / "tls";
    options.extra_names = {c.name};
    options.days = c.days;
    const auto made = make_self_signed(options, service::fixed_clock(kNow));
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().kind, service::Error::Kind::invalid);
    EXPECT_THAT(made.error().message, HasSubstr(c.message));
    EXPECT_FALSE(fs::exists(options.out_dir)) << "nothing written";
  }
}

}  // namespace
}  // namespace juwei::http
