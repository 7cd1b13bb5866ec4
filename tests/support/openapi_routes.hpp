// The operations docs/openapi.yaml describes, read from its layout: each path at two spaces,
// each method at four, its x-roles at six. "GET /api/v1/me" -> {"admin", "secretary", ...}.
#pragma once

#include <cctype>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace juwei::testing {

using RouteRoles = std::map<std::string, std::set<std::string>>;

inline RouteRoles openapi_routes(const std::string& spec_path) {
  std::ifstream in(spec_path);
  if (!in) throw std::runtime_error("cannot read " + spec_path);
  RouteRoles out;
  const std::regex path_line("^  (/[^:]*):$");
  const std::regex method_line("^    (get|post|put|patch|delete):$");
  const std::regex roles_line("^      x-roles: \\[(.*)\\]$");
  bool in_paths = false;
  std::string path;
  std::string current;
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (line == "paths:") {
      in_paths = true;
      continue;
    }
    if (in_paths && !line.empty() && line[0] != ' ') break;
    if (!in_paths) continue;
    if (std::regex_match(line, m, path_line)) {
      path = m[1];
    } else if (std::regex_match(line, m, method_line)) {
      std::string method = m[1];
      for (char& c : method)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      current = method + " " + path;
      out[current];
    } else if (std::regex_match(line, m, roles_line) && !current.empty()) {
      std::stringstream roles(m[1]);
      std::string role;
      while (std::getline(roles, role, ',')) {
        role.erase(0, role.find_first_not_of(' '));
        if (!role.empty()) out[current].insert(role);
      }
    }
  }
  return out;
}

}  // namespace juwei::testing
