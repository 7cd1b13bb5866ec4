// One HTTP request to the real server with curl, for the API tests: the status, the response
// headers as received and the body. Header-only; each call writes its request and response
// into `scratch`, so one caller at a time per folder.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "support/juwei_process.hpp"
#include "text/encoding.hpp"

namespace juwei::testing {

struct Reply {
  int status = 0;
  std::string headers;
  std::string body;
  boost::json::value json() const { return boost::json::parse(body); }
};

// What the spec validator (SpecProxy in juwei_process.hpp) said of one exchange: the JSON array
// of its `sl-violations` header, or "" when it found nothing (or there is no validator).
inline std::string spec_violations(const std::string& headers) {
  static const std::regex header("(^|\n)sl-violations: *([^\r\n]*)", std::regex::icase);
  std::smatch m;
  return std::regex_search(headers, m, header) ? m[2].str() : std::string();
}

// The server and docs/openapi.yaml agree on an exchange when the response is one the spec
// describes for that request, and the server accepts (2xx) only requests the spec allows. A
// request the spec forbids and the server refuses is a test of the server's own validation
// (over-long numbers, missing fields, wrong media types), so prism's `--errors` mode, which
// answers such requests itself, would keep them from the server: the proxy forwards every
// request and this check fails the test on any other violation.
inline void expect_within_spec(const std::string& method, const std::string& path, const Reply& r) {
  const std::string found = spec_violations(r.headers);
  if (found.empty()) return;
  boost::json::value violations;
  try {
    violations = boost::json::parse(found);
  } catch (const std::exception&) {
    ADD_FAILURE() << method << " " << path << ": unreadable sl-violations header: " << found;
    return;
  }
  for (const boost::json::value& v : violations.as_array()) {
    const auto& location = v.at("location").as_array();
    const bool in_request = !location.empty() && location[0] == "request";
    if (in_request && (r.status < 200 || r.status >= 300)) continue;
    ADD_FAILURE() << method << " " << path << " answered " << r.status
                  << (in_request ? ": the server accepted a request the spec forbids: "
                                 : ": the response breaks docs/openapi.yaml: ")
                  << boost::json::serialize(v);
  }
}

// `method` `base` + `path` with an optional body (sent as `content_type`), bearer token and
// extra "Name: value" headers.
inline Reply curl(const std::filesystem::path& scratch, const std::string& base,
                  const std::string& method, const std::string& path, const std::string& body,
                  const std::string& token, const std::string& content_type,
                  const std::vector<std::string>& headers) {
  const auto out = scratch / "body";
  const auto head = scratch / "head";
  const auto in = scratch / "request";
  std::ofstream(in, std::ios::binary) << body;
  std::string cmd = "curl -s -o " + out.string() + " -D " + head.string() +
                    " -w '%{http_code}' -X " + method + " '" + base + path + "'";
  if (!body.empty()) {
    cmd += " -H 'Content-Type: " + content_type + "' --data-binary @" + in.string();
  }
  if (!token.empty()) cmd += " -H 'Authorization: Bearer " + token + "'";
  for (const std::string& h : headers)
    cmd += " -H '" + h + "'";
  cmd += " > " + (scratch / "code").string();
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  Reply r;
  r.status = std::atoi(slurp(scratch / "code").c_str());
  r.headers = slurp(head);
  r.body = slurp(out);
  return r;
}

// Whether the spec validator can carry a request as it is: prism forwards what it has parsed,
// so a body that is not text (a photo, a PDF, a GBK file) or is not the JSON its media type
// says, or a multipart body, would reach the server changed; and a request that tests where it
// comes from (Origin, Sec-Fetch-Site) is about the server's own address. Those go straight to
// the server, unvalidated.
inline bool spec_proxy_carries(const std::string& body, const std::string& content_type,
                               const std::vector<std::string>& headers) {
  for (const std::string& h : headers) {
    if (h.starts_with("Origin:") || h.starts_with("Sec-Fetch-Site:")) return false;
  }
  if (body.empty()) return true;
  if (content_type == "text/csv") return text::is_valid_utf8(body);
  if (content_type != "application/json") return false;
  boost::system::error_code ec;
  boost::json::parse(body, ec);
  return !ec;
}

// One exchange with the server, through the spec validator when it runs behind one (see
// ServerProcess), and checked by it (expect_within_spec). A GET whose answer is not text (a QR
// code, a PDF) is validated through the proxy, then read again from the server, since prism
// passes such bodies on as text.
inline Reply curl(const std::filesystem::path& scratch, const ServerProcess& server,
                  const std::string& method, const std::string& path, const std::string& body,
                  const std::string& token, const std::string& content_type,
                  const std::vector<std::string>& headers) {
  if (server.base_url() == server.direct_url() ||
      !spec_proxy_carries(body, content_type, headers)) {
    return curl(scratch, server.direct_url(), method, path, body, token, content_type, headers);
  }
  Reply r = curl(scratch, server.base_url(), method, path, body, token, content_type, headers);
  expect_within_spec(method, path, r);
  static const std::regex text_type("(^|\n)content-type: *(application/(problem\\+)?json|text/)",
                                    std::regex::icase);
  if (method == "GET" && !std::regex_search(r.headers, text_type)) {
    r = curl(scratch, server.direct_url(), method, path, body, token, content_type, headers);
  }
  return r;
}

// Whether `r` has the header `name` (any case, as HTTP has it) with exactly `value`.
// `s` as a query parameter's value: every byte but letters, digits and -_. percent-encoded.
inline std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

inline bool has_header(const Reply& r, const std::string& name, const std::string& value) {
  const std::regex line("(^|\n)" + name + ": *" + value + "\r?\n", std::regex::icase);
  return std::regex_search(r.headers, line);
}

}  // namespace juwei::testing
