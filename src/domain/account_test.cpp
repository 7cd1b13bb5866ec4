#include "domain/account.hpp"

#include <gtest/gtest.h>

namespace juwei::domain {
namespace {

TEST(Account, RoleCodesRoundTrip) {
  for (Role r : kAllRoles) {
    EXPECT_EQ(role_from_code(to_code(r)), r);
    EXPECT_FALSE(to_label_zh(r).empty());
  }
  EXPECT_FALSE(role_from_code("root").has_value());
}

TEST(Account, OnlyGateAndVolunteersSeeMaskedIds) {
  for (Role r : kAllRoles) {
    EXPECT_EQ(sees_masked_id_numbers(r), r == Role::gate || r == Role::volunteer) << to_code(r);
  }
}

TEST(Account, UsernamesAndPasswords) {
  const std::pair<const char*, bool> names[] = {
      {"liumiao", true}, {"gate-1", true},   {"a.b_c", true},
      {"ab", false},     {"1abc", false},    {"Liu", false},
      {"刘苗", false},   {"abc def", false}, {"abcdefghijklmnopqrstuvwxyzabcdefg", false},
  };
  for (const auto& [name, ok] : names)
    EXPECT_EQ(!username_problem(name).has_value(), ok) << name;
  EXPECT_TRUE(password_problem("short").has_value());
  EXPECT_FALSE(password_problem("long enough 1").has_value());
  EXPECT_TRUE(password_problem(std::string(300, 'x')).has_value());
}

}  // namespace
}  // namespace juwei::domain
