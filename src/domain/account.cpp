#include "domain/account.hpp"

#include <array>

#include "domain/name_table.hpp"

namespace juwei::domain {
namespace {

using RoleName = Name<Role>;
constexpr std::array kRoles = {
    RoleName{Role::admin, "admin", "管理员"},
    RoleName{Role::secretary, "secretary", "书记"},
    RoleName{Role::staff, "staff", "居委干部"},
    RoleName{Role::gate, "gate", "门岗"},
    RoleName{Role::volunteer, "volunteer", "志愿者"},
    RoleName{Role::resident, "resident", "居民"},
    RoleName{Role::street, "street", "街道"},
};

}  // namespace

std::string_view to_code(Role r) {
  return code_of(kRoles, r);
}
std::string_view to_label_zh(Role r) {
  return label_of(kRoles, r);
}
std::optional<Role> role_from_code(std::string_view code) {
  return find_by_code(kRoles, code);
}

bool sees_masked_id_numbers(Role r) {
  return r == Role::gate || r == Role::volunteer;
}

std::optional<std::string> username_problem(std::string_view u) {
  if (u.size() < 3 || u.size() > 32) return "a username has 3 to 32 characters";
  if (!(u[0] >= 'a' && u[0] <= 'z')) return "a username starts with a lower-case letter";
  for (char c : u) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return "a username uses only a-z, 0-9, '.', '_' and '-'";
  }
  return std::nullopt;
}

std::optional<std::string> password_problem(std::string_view p) {
  if (p.size() < kMinPasswordLength) {
    return "a password has at least " + std::to_string(kMinPasswordLength) + " characters";
  }
  if (p.size() > kMaxPasswordLength) return "a password has at most 256 characters";
  return std::nullopt;
}

}  // namespace juwei::domain
