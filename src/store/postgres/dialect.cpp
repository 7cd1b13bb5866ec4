// The dialect rewrite: one left-to-right scan that copies quoted text and comments as they are
// and rewrites the portable constructs (placeholders, INDEXED BY, json_each, CROSS JOIN, LIKE)
// in the rest.
#include "store/postgres/dialect.hpp"

#include <algorithm>
#include <cctype>

namespace juwei::store::postgres {
namespace {

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::size_t skip_space(std::string_view s, std::size_t i) {
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) != 0)
    ++i;
  return i;
}

// The end of the word starting at i (i itself when there is none).
std::size_t word_end(std::string_view s, std::size_t i) {
  while (i < s.size() && is_word_char(s[i]))
    ++i;
  return i;
}

// The end of the quoted run opening at i (s[i] is the quote); a doubled quote stays inside.
std::size_t quoted_end(std::string_view s, std::size_t i) {
  const char q = s[i];
  for (std::size_t j = i + 1; j < s.size(); ++j) {
    if (s[j] != q) continue;
    if (j + 1 < s.size() && s[j + 1] == q) {
      ++j;
      continue;
    }
    return j + 1;
  }
  return s.size();
}

// The end of the comment opening at i, or i when none opens there.
std::size_t comment_end(std::string_view s, std::size_t i) {
  if (s.substr(i, 2) == "--") {
    const std::size_t nl = s.find('\n', i);
    return nl == std::string_view::npos ? s.size() : nl;
  }
  if (s.substr(i, 2) == "/*") {
    const std::size_t close = s.find("*/", i + 2);
    return close == std::string_view::npos ? s.size() : close + 2;
  }
  return i;
}

// The end of `?N` at i, or i when there is no placeholder there; its digits go to `digits`.
std::size_t placeholder_end(std::string_view s, std::size_t i, std::string_view& digits) {
  if (s[i] != '?') return i;
  std::size_t j = i + 1;
  while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])) != 0)
    ++j;
  if (j == i + 1) return i;
  digits = s.substr(i + 1, j - i - 1);
  return j;
}

int to_int(std::string_view digits) {
  int n = 0;
  for (char c : digits)
    n = n * 10 + (c - '0');
  return n;
}

// After the word INDEXED ending at i: the end of `BY name`, or i when the hint is not there.
std::size_t indexed_by_end(std::string_view s, std::size_t i) {
  const std::size_t by = skip_space(s, i);
  const std::size_t by_end = word_end(s, by);
  if (by == i || !iequals(s.substr(by, by_end - by), "by")) return i;
  const std::size_t name = skip_space(s, by_end);
  if (name == by_end || name >= s.size()) return i;
  const std::size_t end = s[name] == '"' ? quoted_end(s, name) : word_end(s, name);
  return end == name ? i : end;
}

// Whether the word after i is `word`.
bool next_word_is(std::string_view s, std::size_t i, std::string_view word) {
  const std::size_t start = skip_space(s, i);
  return start != i && iequals(s.substr(start, word_end(s, start) - start), word);
}

// After the word json_each ending at i: the end of `(?N)`, or i when it is not there.
std::size_t json_each_end(std::string_view s, std::size_t i, std::string_view& digits) {
  std::size_t j = skip_space(s, i);
  if (j >= s.size() || s[j] != '(') return i;
  j = skip_space(s, j + 1);
  if (j >= s.size()) return i;
  const std::size_t p = placeholder_end(s, j, digits);
  if (p == j) return i;
  j = skip_space(s, p);
  if (j >= s.size() || s[j] != ')') return i;
  return j + 1;
}

}  // namespace

std::string translate(std::string_view s, int* max_param) {
  std::string out;
  out.reserve(s.size() + 16);
  int highest = 0;
  auto placeholder = [&](std::string_view digits) {
    highest = std::max(highest, to_int(digits));
    out += '$';
    out += digits;
  };

  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    std::string_view digits;
    std::size_t end = i;
    if (c == '\'' || c == '"') {
      end = quoted_end(s, i);
      out += s.substr(i, end - i);
    } else if ((end = comment_end(s, i)) != i) {
      out += s.substr(i, end - i);
    } else if ((end = placeholder_end(s, i, digits)) != i) {
      placeholder(digits);
    } else if (is_word_char(c)) {
      end = word_end(s, i);
      const std::string_view word = s.substr(i, end - i);
      std::size_t construct = end;
      if (iequals(word, "indexed") && (construct = indexed_by_end(s, end)) != end) {
        end = construct;  // dropped: PostgreSQL's planner chooses its own index
      } else if (iequals(word, "json_each") && (construct = json_each_end(s, end, digits)) != end) {
        // SQLite's table of a JSON array's elements, its column `value` (text here, which the
        // portable SQL casts to what it needs).
        end = construct;
        out += "json_array_elements_text(";
        placeholder(digits);
        out += "::json) AS json_each(value)";
      } else if (iequals(word, "cross") && next_word_is(s, end, "join")) {
        // SQLite's CROSS JOIN ... ON fixes the join order; PostgreSQL allows no ON after CROSS
        // JOIN and chooses the order itself: a plain JOIN.
      } else if (iequals(word, "like")) {
        out += "ILIKE";  // SQLite's LIKE ignores the case of ASCII letters; PostgreSQL's does not
      } else {
        out += word;
      }
    } else {
      out += c;
      end = i + 1;
    }
    i = end;
  }
  if (max_param != nullptr) *max_param = highest;
  return out;
}

}  // namespace juwei::store::postgres
