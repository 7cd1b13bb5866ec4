// Accounts and roles (see DESIGN.md "Users and roles"). Pure rules: which roles exist, what a
// username and a password must look like, and which roles see ID numbers unmasked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace juwei::domain {

enum class Role : std::uint8_t { admin, secretary, staff, gate, volunteer, resident, street };

inline constexpr Role kAllRoles[] = {Role::admin,     Role::secretary, Role::staff, Role::gate,
                                     Role::volunteer, Role::resident,  Role::street};

std::string_view to_code(Role r);
std::string_view to_label_zh(Role r);
std::optional<Role> role_from_code(std::string_view code);

// Gate volunteers and resident volunteers check people, they do not need to read ID numbers.
bool sees_masked_id_numbers(Role r);

using UserId = std::int64_t;

struct User {
  std::int64_t community_id = 0;
  UserId id = 0;
  std::string username;
  Role role = Role::staff;
  bool disabled = false;
  std::int64_t resident_id = 0;  // a resident's own account: the resident it belongs to; else 0
};

inline constexpr std::size_t kMinPasswordLength = 10;
inline constexpr std::size_t kMaxPasswordLength = 256;

// A username: 3-32 characters of a-z, 0-9, '.', '_' or '-', starting with a letter.
// Returns why not, in English, or nullopt when valid.
std::optional<std::string> username_problem(std::string_view username);
std::optional<std::string> password_problem(std::string_view password);

}  // namespace juwei::domain
