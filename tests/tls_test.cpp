// HTTPS end to end: `juwei tls self-signed` makes the certificate, `juwei serve` serves with it,
// and curl talks to the server as a phone's browser would: trusting that certificate, or not.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "support/juwei_process.hpp"

namespace {

namespace fs = std::filesystem;

using juwei::testing::Output;
using juwei::testing::quote;
using juwei::testing::run_shell;
using juwei::testing::ServerProcess;
using juwei::testing::slurp;

const std::regex kFingerprint("SHA-256 fingerprint: (([0-9A-F]{2}:){31}[0-9A-F]{2})\n");

class Https : public ::testing::Test {
 protected:
  // A database and, beside it (the default folder), a certificate for this machine.
  void SetUp() override {
    m_dir = juwei::testing::scratch_dir("juwei-https-");
    m_db = "sqlite:" + (m_dir / "juwei.db").string();
    ASSERT_EQ(juwei("init").code, 0);
    m_made = juwei("tls self-signed");
    ASSERT_EQ(m_made.code, 0) << m_made.err;
  }
  void TearDown() override { fs::remove_all(m_dir); }

  // Runs juwei on the test's database; gives up after 10 s (a server that should not start).
  Output juwei(const std::string& args) {
    return run_shell("timeout 10 " + std::string(JUWEI_BIN) + " " + args + " --db " + quote(m_db),
                     m_dir);
  }

  // Runs curl; `out` is the HTTP status ("000" when there was no answer), body() the body.
  Output curl(const std::string& args) {
    return run_shell(
        "curl -s -o " + quote((m_dir / "body").string()) + " -w '%{http_code}' " + args, m_dir);
  }
  std::string body() const { return slurp(m_dir / "body"); }

  fs::path cert() const { return m_dir / "tls" / "cert.pem"; }
  fs::path key() const { return m_dir / "tls" / "key.pem"; }
  std::vector<std::string> tls_args() const {
    return {"--tls-cert", cert().string(), "--tls-key", key().string()};
  }

  fs::path m_dir;
  std::string m_db;
  Output m_made;  // what `juwei tls self-signed` printed
};

TEST_F(Https, SelfSignedSaysWhatItWroteAndHowToServeIt) {
  const std::string& out = m_made.out;
  EXPECT_NE(out.find("wrote " + cert().string()), std::string::npos) << out;
  EXPECT_NE(out.find(key().string()), std::string::npos) << out;
  EXPECT_NE(out.find("covers: localhost, 127.0.0.1"), std::string::npos) << out;
  EXPECT_TRUE(std::regex_search(out, kFingerprint)) << out;
  EXPECT_NE(out.find("juwei serve --listen 0.0.0.0:8443 --tls-cert " + cert().string() +
                     " --tls-key " + key().string()),
            std::string::npos)
      << out;

  Output again = juwei("tls self-signed");
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("exists already"), std::string::npos) << again.err;
  EXPECT_EQ(again.err.find('\n'), again.err.size() - 1) << "one line: " << again.err;

  again = juwei("tls self-signed --force --name desk.example --name 10.9.8.7 --days 90");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find(", desk.example, 10.9.8.7\n"), std::string::npos) << again.out;
  std::smatch before;
  std::smatch after;
  ASSERT_TRUE(std::regex_search(m_made.out, before, kFingerprint));
  ASSERT_TRUE(std::regex_search(again.out, after, kFingerprint));
  EXPECT_NE(before[1], after[1]) << "a new certificate";
}

TEST_F(Https, AnswersClientsThatTrustTheCertificateWithinTheSameLimits) {
  ServerProcess server(JUWEI_BIN, m_db, tls_args());
  const std::string& base = server.base_url();
  ASSERT_TRUE(base.starts_with("https://127.0.0.1:")) << base;

  Output o = curl("--cacert " + quote(cert().string()) + " " + base + "/healthz");
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out, "200");
  EXPECT_EQ(body(), R"({"status":"ok"})");

  const fs::path big = m_dir / "big.json";
  std::ofstream(big) << std::string(2 << 20, ' ');
  o = curl("--cacert " + quote(cert().string()) +
           " -H 'Content-Type: application/json' --data-binary @" + quote(big.string()) + " " +
           base + "/api/v1/session");
  EXPECT_EQ(o.out, "413") << o.err;
}

// Mozilla's "intermediate" profile: TLS 1.2 or later, AEAD suites only (a CBC suite, open to
// LUCKY13, is refused), and over HTTPS the answers tell the browser to stay on HTTPS and the
// session cookie never travels over plain HTTP.
TEST_F(Https, OffersOnlyAeadSuitesAndKeepsTheSessionOnHttps) {
  const std::string password = "tls-secretary-2022";
  std::ofstream(m_dir / "password") << password << "\n";
  const Output added = run_shell(std::string(JUWEI_BIN) +
                                     " user add tlssec --role secretary --password-stdin --db " +
                                     quote(m_db) + " < " + quote((m_dir / "password").string()),
                                 m_dir);
  ASSERT_EQ(added.code, 0) << added.out << added.err;
  ServerProcess server(JUWEI_BIN, m_db, tls_args());
  const std::string& base = server.base_url();
  const std::string trust = "--cacert " + quote(cert().string()) + " ";
  // The key is P-256: ECDSA suites.
  Output o =
      curl(trust + "--tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 " + base + "/healthz");
  EXPECT_EQ(o.out, "200") << o.err;
  for (const char* cbc :
       {"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384", "ECDHE-ECDSA-AES128-SHA256"}) {
    o = curl(trust + "--tls-max 1.2 --ciphers " + cbc + " " + base + "/healthz");
    EXPECT_EQ(o.out, "000") << cbc << " was accepted";
    EXPECT_NE(o.code, 0) << cbc;
  }
  o = run_shell("curl -s -D - -o /dev/null " + trust + base + "/healthz", m_dir);
  EXPECT_NE(o.out.find("Strict-Transport-Security: max-age=31536000"), std::string::npos) << o.out;
  o = run_shell("curl -s -D - -o /dev/null " + trust +
                    "-H 'Content-Type: application/json' --data '{\"username\":\"tlssec\","
                    "\"password\":\"" +
                    password + "\"}' " + base + "/api/v1/session",
                m_dir);
  EXPECT_NE(o.out.find("juwei_session="), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("; Secure"), std::string::npos) << o.out;
}

TEST_F(Https, RefusesPlainHttpAndClientsThatDoNotTrustTheCertificate) {
  ServerProcess server(JUWEI_BIN, m_db, tls_args());
  const std::string& base = server.base_url();

  Output o = curl(base + "/healthz");  // the system's CAs only
  EXPECT_EQ(o.code, 60) << "curl: the peer's certificate cannot be verified";
  EXPECT_EQ(o.out, "000");

  const std::string plain = "http://" + base.substr(std::string("https://").size());
  o = curl(plain + "/healthz");
  EXPECT_NE(o.code, 0);
  EXPECT_EQ(o.out, "000");
}

TEST_F(Https, StopsOnSigtermWithExitCodeZero) {
  ServerProcess server(JUWEI_BIN, m_db, tls_args());
  ASSERT_EQ(curl("--cacert " + quote(cert().string()) + " " + server.base_url() + "/healthz").out,
            "200");
  server.terminate();
  const int status = server.wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(Https, ServeWantsBothTlsFilesAndUsableOnes) {
  struct Case {
    std::string args;
    std::string message;
  };
  const std::string missing = (m_dir / "missing.pem").string();
  const Case cases[] = {
      {"--tls-cert " + quote(cert().string()), "--tls-cert requires --tls-key"},
      {"--tls-key " + quote(key().string()), "--tls-key requires --tls-cert"},
      {"--tls-cert " + quote(missing) + " --tls-key " + quote(key().string()),
       "cannot read the TLS certificate " + missing + ": No such file or directory"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    const Output o = juwei("serve --listen 127.0.0.1:0 " + c.args);
    EXPECT_EQ(o.code, 1);
    EXPECT_NE(o.err.find(c.message), std::string::npos) << o.err;
    EXPECT_EQ(o.err.find('\n'), o.err.size() - 1) << "one line: " << o.err;
    EXPECT_EQ(o.out, "") << "no listening line";
  }
}

}  // namespace
