// One HTTP request to the real server with curl, for the API tests: the status, the response
// headers as received and the body. Header-only; each call writes its request and response
// into `scratch`, so one caller at a time per folder.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/juwei_process.hpp"

namespace juwei::testing {

struct Reply {
  int status = 0;
  std::string headers;
  std::string body;
  boost::json::value json() const { return boost::json::parse(body); }
};

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

}  // namespace juwei::testing
