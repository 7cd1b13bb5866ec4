// TLS for the server: the files it serves HTTPS with (TlsFiles, in ServerOptions), and a
// self-signed certificate for this machine's LAN names, so that phones on the committee's
// Wi-Fi reach Juwei in a secure context (browsers give the camera to secure contexts only).
// The functions are thread-safe; they touch no files but those under the folder they are given.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "service/clock.hpp"
#include "service/error.hpp"

namespace juwei::http {

// Both PEM: the certificate (a chain, the server's own first) and its unencrypted private key.
struct TlsFiles {
  std::filesystem::path cert;
  std::filesystem::path key;
};

struct SelfSignedOptions {
  std::filesystem::path out_dir;         // created if missing; gets cert.pem and key.pem
  std::vector<std::string> extra_names;  // DNS names or IP addresses beyond machine_names()
  int days = 825;                        // validity; 825 is the most iPhones accept
  bool force = false;                    // replace cert.pem and key.pem if they exist
};

struct SelfSigned {
  TlsFiles files;
  std::vector<std::string> names;  // what the certificate covers (subjectAltName), in order
  std::string fingerprint;         // SHA-256 of the certificate, "AB:CD:…" as browsers show it
};

// The names this machine answers to: localhost, 127.0.0.1, the host name and the IPv4 address
// of every interface that is up and not a loopback.
std::vector<std::string> machine_names();

// Makes an ECDSA P-256 key and a certificate signed with it for machine_names() and
// extra_names, valid from an hour before clock() (for phones whose clock is behind) for
// `days`. Writes cert.pem (0644) and key.pem (0600 from its creation, whatever the umask),
// each whole or not at all. Existing files are an `invalid` error unless `force`; a bad name
// or `days` outside 1..3650 is `invalid` too.
service::Result<SelfSigned> make_self_signed(const SelfSignedOptions& options,
                                             const service::Clock& clock);

}  // namespace juwei::http
