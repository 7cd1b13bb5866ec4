#include "service/synth.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "domain/id_number.hpp"

// How the community is made. Each concern draws from its own seeded stream (Stream below):
//  - buildings and household sizes are planned at construction;
//  - the structure of each household (relations, genders, ages) is drawn twice from the same
//    seed: once at construction, to count who is eligible for the exact-count choices
//    (pregnant and dialysis by reservoir sampling, volunteers by selection sampling), and
//    again, identically, while streaming;
//  - the details (names, birth days, ID and phone numbers, tags, notes) only while streaming.
// Every random choice goes through Rng on integers, or on IEEE doubles with + * / only, so the
// output does not depend on the standard library or the libm.

namespace juwei::service {
namespace {

using domain::Gender;
using domain::Relation;
using domain::Vulnerability;
using std::chrono::days;
using std::chrono::sys_days;

__extension__ using Uint128 = unsigned __int128;

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// xoshiro256** (Blackman and Vigna, 2018) seeded through splitmix64; one instance per stream.
class Rng {
 public:
  Rng(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t state = seed ^ (stream * 0xD1B54A32D192ED03ULL);
    for (std::uint64_t& s : m_s)
      s = splitmix64(state);
  }

  std::uint64_t next() {
    const std::uint64_t result = std::rotl(m_s[1] * 5, 7) * 9;
    const std::uint64_t t = m_s[1] << 17;
    m_s[2] ^= m_s[0];
    m_s[3] ^= m_s[1];
    m_s[1] ^= m_s[2];
    m_s[0] ^= m_s[3];
    m_s[2] ^= t;
    m_s[3] = std::rotl(m_s[3], 45);
    return result;
  }

  // Uniform in [0, n) for n > 0, without modulo bias (Lemire's multiply-and-reject).
  std::uint64_t below(std::uint64_t n) {
    Uint128 m = static_cast<Uint128>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<Uint128>(next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

  // Uniform in [lo, hi]; hi >= lo.
  int between(int lo, int hi) {
    return lo + static_cast<int>(below(static_cast<unsigned>(hi - lo) + 1));
  }

  // True with probability per_mille / 1000.
  bool chance(int per_mille) { return static_cast<int>(below(1000)) < per_mille; }

  // Uniform in [0, 1) with 53 random bits.
  double real() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::array<std::uint64_t, 4> m_s{};
};

enum Stream : std::uint64_t {
  kBuildingStream = 1,
  kSizeStream,
  kStructureStream,
  kChoiceStream,
  kDetailStream
};

template <typename T, std::size_t N>
const T& pick(Rng& rng, const std::array<T, N>& items) {
  return items[rng.below(N)];
}

// ---------------------------------------------------------------------------------------------
// Names. Pools are UTF-8 strings of 3-byte CJK characters, indexed by character.

struct Surname {
  std::string_view text;
  int weight;  // relative frequency, Shanghai-leaning (张 王 陈 李 徐 周 朱 沈 陆 顾 …)
};

constexpr std::array kSurnames = std::to_array<Surname>({
    {"张", 600}, {"王", 580}, {"陈", 520}, {"李", 470}, {"徐", 330}, {"周", 310}, {"朱", 300},
    {"沈", 260}, {"陆", 240}, {"吴", 240}, {"黄", 230}, {"顾", 200}, {"杨", 200}, {"刘", 200},
    {"金", 160}, {"胡", 150}, {"钱", 140}, {"孙", 140}, {"蔡", 120}, {"姚", 120}, {"施", 110},
    {"许", 100}, {"赵", 100}, {"唐", 90},  {"曹", 90},  {"高", 90},  {"宋", 80},  {"范", 80},
    {"汪", 80},  {"马", 80},  {"林", 80},  {"倪", 70},  {"何", 70},  {"俞", 70},  {"谢", 70},
    {"叶", 70},  {"蒋", 70},  {"郑", 70},  {"郭", 60},  {"邵", 60},  {"袁", 60},  {"潘", 60},
    {"戴", 60},  {"严", 60},  {"丁", 60},  {"方", 60},  {"郁", 50},  {"程", 50},  {"龚", 50},
    {"毛", 50},  {"夏", 50},  {"冯", 50},  {"董", 50},  {"罗", 50},  {"杜", 40},  {"薛", 40},
    {"吕", 40},  {"卢", 40},  {"秦", 40},  {"傅", 40},  {"盛", 40},  {"姜", 40},  {"韩", 40},
    {"梁", 40},  {"彭", 40},  {"余", 40},  {"苏", 40},  {"江", 40},  {"汤", 40},  {"陶", 40},
    {"葛", 40},  {"翁", 30},  {"孔", 30},  {"邱", 30},  {"曾", 30},  {"肖", 30},  {"田", 30},
    {"魏", 30},  {"任", 30},  {"钟", 30},  {"石", 30},  {"费", 30},  {"殷", 30},  {"瞿", 30},
    {"贾", 20},  {"崔", 20},  {"谭", 20},  {"廖", 20},  {"康", 20},  {"贺", 20},  {"尹", 20},
    {"浦", 20},  {"欧阳", 5}, {"司徒", 3}, {"司马", 2}, {"诸葛", 2}, {"上官", 2}, {"东方", 2},
});

constexpr std::array<int, kSurnames.size()> kSurnameCumulative = [] {
  std::array<int, kSurnames.size()> cumulative{};
  int sum = 0;
  for (std::size_t i = 0; i < kSurnames.size(); ++i)
    cumulative[i] = sum += kSurnames[i].weight;
  return cumulative;
}();

std::uint16_t draw_surname(Rng& rng) {
  const int x = static_cast<int>(rng.below(static_cast<std::uint64_t>(kSurnameCumulative.back())));
  const auto it = std::upper_bound(kSurnameCumulative.begin(), kSurnameCumulative.end(), x);
  return static_cast<std::uint16_t>(it - kSurnameCumulative.begin());
}

constexpr std::string_view kMaleChars =
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁健亮俊峰林东凯晨浩宇博文志翔旭龙海阳成彬毅坤立新永春"
    "松洋剑锋雷振荣德国庆伦清良兵武哲睿鸿胜广骏昊晖栋彦承瑞豪嘉铭泽航锐力诚坚江涌晋达远帆舟逸卿"
    "岩韬炜琦蔚峻铮";
constexpr std::string_view kFemaleChars =
    "芳娜敏静丽艳娟霞秀玲燕萍红婷雪琳晶慧颖洁倩琴云莉兰凤英梅蓉佳欣怡悦瑶璐雯菲薇月晓莹丹青婧媛"
    "妍瑾琪璇岚蕾蓓茜茹虹霏露华珊秋玉珍琼芬翠娅娇韵姗荷楠妮婉娴婕萱馨雅君艺淑惠素蕊";
// Names of people born before 1965 and after 1995 lean on their own characters.
constexpr std::string_view kMaleOldChars =
    "根福德贵发荣宝财富祥兴金忠国建卫民庆生山水才仁义礼宏康寿喜全顺正孝昌桂华明";
constexpr std::string_view kFemaleOldChars =
    "秀英兰珍凤桂芬娣妹翠菊梅玉琴月花莲彩娥素珠宝金银巧爱香琳淑惠美";
constexpr std::string_view kMaleYoungChars = "子梓浩宇轩睿辰泽铭皓逸霖锦煜宸奕晟烨瀚俊哲言柏骁一然";
constexpr std::string_view kFemaleYoungChars =
    "梓涵欣怡萱诗雨可馨悦琪若思语梦依佳妍彤琳芷沐安晗一然";

static_assert(kMaleChars.size() % 3 == 0 && kMaleChars.size() / 3 >= 80);
static_assert(kFemaleChars.size() % 3 == 0 && kFemaleChars.size() / 3 >= 80);
static_assert(kMaleOldChars.size() % 3 == 0 && kFemaleOldChars.size() % 3 == 0);
static_assert(kMaleYoungChars.size() % 3 == 0 && kFemaleYoungChars.size() % 3 == 0);

std::string_view pick_char(Rng& rng, std::string_view pool) {
  return pool.substr(3 * rng.below(pool.size() / 3), 3);
}

void append_given_name(Rng& rng, Gender gender, int birth_year, std::string& name) {
  const bool male = gender == Gender::male;
  std::string_view main = male ? kMaleChars : kFemaleChars;
  std::string_view era;
  if (birth_year < 1965) era = male ? kMaleOldChars : kFemaleOldChars;
  if (birth_year >= 1995) era = male ? kMaleYoungChars : kFemaleYoungChars;
  // One-character given names peaked with those born in the 1970s-80s.
  const bool single = rng.chance(birth_year >= 1970 && birth_year < 1995 ? 250 : 120);
  const auto one = [&] {
    return !era.empty() && rng.chance(450) ? pick_char(rng, era) : pick_char(rng, main);
  };
  const std::string_view first = one();
  name += first;
  if (single) return;
  std::string_view second = one();
  // Doubled characters (婷婷, 佳佳) are a girl's name now and then; otherwise draw again.
  if (second == first && !(gender == Gender::female && rng.chance(300)))
    second = pick_char(rng, main);
  name += second;
}

// ---------------------------------------------------------------------------------------------
// Households: who lives together.

constexpr int kMaxHouseholdSize = 6;
constexpr int kOldestAge = 100;

struct Member {
  Relation relation = Relation::head;
  Gender gender = Gender::male;
  std::int8_t surname_of = -1;  // index of the member whose surname this one carries; -1: own
  std::uint8_t age = 0;
};

struct HouseholdPlan {
  std::array<Member, kMaxHouseholdSize> members{};
  int size = 0;

  int add(Relation relation, Gender gender, int age, int surname_of) {
    members[static_cast<std::size_t>(size)] =
        Member{relation, gender, static_cast<std::int8_t>(surname_of),
               static_cast<std::uint8_t>(std::clamp(age, 0, kOldestAge))};
    return size++;
  }
  const Member& operator[](int i) const { return members[static_cast<std::size_t>(i)]; }
};

struct AgeBand {
  int lo;
  int hi;
  int weight;
};

template <std::size_t N>
int draw_age(Rng& rng, const std::array<AgeBand, N>& bands) {
  int total = 0;
  for (const AgeBand& b : bands)
    total += b.weight;
  int x = static_cast<int>(rng.below(static_cast<std::uint64_t>(total)));
  for (const AgeBand& b : bands) {
    if (x < b.weight) return rng.between(b.lo, b.hi);
    x -= b.weight;
  }
  return bands.back().hi;
}

// Heads of one-person households: old Hongkou has many widowed elderly living alone.
constexpr std::array kSingleAges = std::to_array<AgeBand>(
    {{25, 34, 12}, {35, 49, 11}, {50, 59, 11}, {60, 69, 20}, {70, 79, 24}, {80, 90, 22}});
// Couples on their own: young couples and, more often, empty nesters.
constexpr std::array kCoupleAges = std::to_array<AgeBand>(
    {{25, 34, 12}, {35, 49, 8}, {50, 59, 14}, {60, 69, 28}, {70, 79, 24}, {80, 90, 14}});
// Parents with children at home; Shanghai's grown children often live with them until married.
constexpr std::array kParentAges =
    std::to_array<AgeBand>({{28, 34, 16}, {35, 44, 26}, {45, 54, 28}, {55, 64, 21}, {65, 80, 9}});
// Heads who live with their own parents (who must be at most kOldestAge).
constexpr std::array kWithParentsAges =
    std::to_array<AgeBand>({{28, 40, 35}, {41, 50, 35}, {51, 62, 30}});
// Grandparents heading a three-generation household.
constexpr std::array kSeniorAges =
    std::to_array<AgeBand>({{55, 64, 30}, {65, 74, 40}, {75, 85, 30}});

Gender other(Gender g) {
  return g == Gender::male ? Gender::female : Gender::male;
}
Gender draw_gender(Rng& rng, int male_per_mille) {
  return rng.chance(male_per_mille) ? Gender::male : Gender::female;
}

// Husbands are a few years older than their wives, as a rule.
int spouse_age(Rng& rng, int head_age, Gender head_gender) {
  const int delta = head_gender == Gender::male ? rng.between(-6, 2) : rng.between(-2, 6);
  return std::clamp(head_age + delta, 20, kOldestAge);
}

// Children are 20-40 years younger than the parent (and not yet born parents have none).
int child_age(Rng& rng, int parent_age) {
  const int gap = rng.between(20, std::clamp(parent_age, 20, 40));
  return std::max(parent_age - gap, 0);
}

// Adds `count` children of a parent aged `parent_age`, eldest first, carrying the surname of
// member `line`.
void add_offspring(Rng& rng, HouseholdPlan& p, Relation relation, int count, int parent_age,
                   int line) {
  std::array<int, kMaxHouseholdSize> ages{};
  for (int i = 0; i < count; ++i) {  // insertion sort, descending
    const int age = child_age(rng, parent_age);
    int j = i;
    for (; j > 0 && ages[static_cast<std::size_t>(j - 1)] < age; --j) {
      ages[static_cast<std::size_t>(j)] = ages[static_cast<std::size_t>(j - 1)];
    }
    ages[static_cast<std::size_t>(j)] = age;
  }
  for (int i = 0; i < count; ++i) {
    p.add(relation, draw_gender(rng, 512), ages[static_cast<std::size_t>(i)], line);
  }
}

// Index of the member whose surname children of the couple (a, b) take: the father's mostly.
int father_line(Rng& rng, const HouseholdPlan& p, int a, int b) {
  if (b < 0) return a;
  const int father = p[a].gender == Gender::male ? a : b;
  const int mother = father == a ? b : a;
  return rng.chance(80) ? mother : father;
}

void add_parents_of_head(Rng& rng, HouseholdPlan& p, int count) {
  const int head_age = p[0].age;
  if (count == 2) {
    const int father = std::min(head_age + rng.between(22, 35), kOldestAge);
    p.add(Relation::parent, Gender::male, father, 0);
    p.add(Relation::parent, Gender::female, std::max(father - rng.between(0, 5), head_age + 20),
          -1);
  } else if (count == 1) {
    const Gender g = draw_gender(rng, 350);  // more widows than widowers
    p.add(Relation::parent, g, std::min(head_age + rng.between(22, 35), kOldestAge),
          g == Gender::male ? 0 : -1);
  }
}

// Head, perhaps a spouse, children, perhaps the head's parents.
void plan_nuclear(Rng& rng, HouseholdPlan& p, int size) {
  const bool spouse = rng.chance(880);
  const int rest = size - 1 - (spouse ? 1 : 0);
  // One or two children, as a rule (the one-child policy's generations live here): a larger
  // household takes in the head's parents.
  int parents = 0;
  if (rest >= 4) {
    parents = 2;
  } else if (rest == 3) {
    parents = rng.chance(500) ? 2 : 1;
  } else if (rest == 2 && rng.chance(350)) {
    parents = 1;
  }
  const int children = rest - parents;
  const Gender head_gender = spouse ? draw_gender(rng, 780) : draw_gender(rng, 350);
  const int head_age = parents > 0 ? draw_age(rng, kWithParentsAges) : draw_age(rng, kParentAges);
  p.add(Relation::head, head_gender, head_age, -1);
  const int partner = spouse ? p.add(Relation::spouse, other(head_gender),
                                     spouse_age(rng, head_age, head_gender), -1)
                             : -1;
  const int line = father_line(rng, p, 0, partner);
  add_offspring(rng, p, Relation::child, children, head_age, line);
  add_parents_of_head(rng, p, parents);
}

// Adds a member whose age is drawn before the gender. Written out, because the order in which
// a call's arguments are evaluated is unspecified (g++ and clang differ), and the output is pinned.
template <typename DrawAge>
int add_member(Rng& rng, HouseholdPlan& p, Relation relation, int male_per_mille, DrawAge draw_age,
               int line) {
  const int age = draw_age();
  const Gender gender = draw_gender(rng, male_per_mille);
  return p.add(relation, gender, age, line);
}

// A grandparent heads the flat: spouse, a grown child (perhaps married), grandchildren.
void plan_three_generations(Rng& rng, HouseholdPlan& p, int size) {
  const bool spouse = rng.chance(size == 3 ? 600 : 800);
  const Gender head_gender = spouse ? draw_gender(rng, 780) : draw_gender(rng, 400);
  const int head_age = draw_age(rng, kSeniorAges);
  p.add(Relation::head, head_gender, head_age, -1);
  const int partner = spouse ? p.add(Relation::spouse, other(head_gender),
                                     spouse_age(rng, head_age, head_gender), -1)
                             : -1;
  const int rest = size - p.size;
  int head_line = -1;  // a widowed grandmother's grandchild carries her late husband's name
  if (head_gender == Gender::male) head_line = 0;
  if (partner >= 0 && p[partner].gender == Gender::male) head_line = partner;
  if (rest == 1) {  // grandparents raising a grandchild whose parents live elsewhere
    add_member(
        rng, p, Relation::grandchild, 512, [&] { return rng.between(0, 14); }, head_line);
    return;
  }
  const Gender child_gender = draw_gender(rng, 512);
  const int grown_age = std::max(head_age - rng.between(24, 34), 21);
  const int child =
      p.add(Relation::child, child_gender, grown_age, father_line(rng, p, 0, partner));
  const bool in_law = rest >= 3 || rng.chance(400);
  // A daughter's children carry their father's surname, also when he lives elsewhere.
  int line = child_gender == Gender::male || rng.chance(150) ? child : -1;
  if (in_law) {
    const int delta = child_gender == Gender::male ? rng.between(-5, 1) : rng.between(-1, 5);
    const int partner_of_child =
        p.add(Relation::child_in_law, other(child_gender), std::max(grown_age + delta, 20), -1);
    line = child_gender == Gender::male ? child : partner_of_child;
  }
  add_offspring(rng, p, Relation::grandchild, size - p.size, grown_age, line);
}

void plan_pair(Rng& rng, HouseholdPlan& p) {
  const int kind = static_cast<int>(rng.below(100));
  if (kind < 55) {  // a couple
    const Gender g = draw_gender(rng, 780);
    const int age = draw_age(rng, kCoupleAges);
    p.add(Relation::head, g, age, -1);
    p.add(Relation::spouse, other(g), spouse_age(rng, age, g), -1);
  } else if (kind < 75) {  // a widowed or divorced parent with a child
    const int age = rng.between(45, 90);
    p.add(Relation::head, draw_gender(rng, 350), age, -1);
    add_member(
        rng, p, Relation::child, 512, [&] { return child_age(rng, age); }, 0);
  } else if (kind < 85) {  // looking after an old parent
    add_member(
        rng, p, Relation::head, 500, [&] { return draw_age(rng, kWithParentsAges); }, -1);
    add_parents_of_head(rng, p, 1);
  } else if (kind < 93) {  // a flat shared with a tenant
    add_member(
        rng, p, Relation::head, 500, [&] { return rng.between(25, 70); }, -1);
    add_member(
        rng, p, Relation::tenant, 500, [&] { return rng.between(20, 50); }, -1);
  } else {  // siblings
    const int age = rng.between(30, 85);
    p.add(Relation::head, draw_gender(rng, 500), age, -1);
    add_member(
        rng, p, Relation::sibling, 500,
        [&] { return std::clamp(age + rng.between(-10, 10), 25, 90); }, 0);
  }
}

// Per mille of the households of 3, 4, 5 and 6 people in which three generations live.
constexpr std::array<int, 4> kThreeGenerationShare = {250, 450, 600, 700};

HouseholdPlan plan_household(Rng& rng, int size) {
  HouseholdPlan p;
  if (size >= 3 && rng.chance(50)) {  // a sibling or a tenant shares a family's flat
    p = plan_household(rng, size - 1);
    if (rng.chance(500)) {
      add_member(
          rng, p, Relation::tenant, 550, [&] { return rng.between(20, 45); }, -1);
    } else {
      add_member(
          rng, p, Relation::sibling, 500,
          [&] { return std::clamp(p[0].age + rng.between(-10, 10), 18, 90); }, 0);
    }
    return p;
  }
  if (size == 1) {
    add_member(
        rng, p, Relation::head, 420, [&] { return draw_age(rng, kSingleAges); }, -1);
  } else if (size == 2) {
    plan_pair(rng, p);
  } else if (rng.chance(kThreeGenerationShare[static_cast<std::size_t>(size - 3)])) {
    plan_three_generations(rng, p, size);
  } else {
    plan_nuclear(rng, p, size);
  }
  return p;
}

// Household sizes 1..6 summing to exactly `residents`. The shape follows Shanghai (many 2-3
// person households, some 1 and 4-5, few 6), tilted geometrically so that its mean is the
// requested one; sampling noise is then evened out one person at a time across households.
std::vector<std::uint8_t> plan_sizes(Rng& rng, int households, int residents) {
  constexpr std::array<double, kMaxHouseholdSize> kShape = {22, 30, 24, 13, 7, 4};
  const auto weights = [&](double tilt) {
    std::array<double, kMaxHouseholdSize> w{};
    double factor = 1;
    for (std::size_t k = 0; k < w.size(); ++k, factor *= tilt)
      w[k] = kShape[k] * factor;
    return w;
  };
  const auto mean = [&](double tilt) {
    const auto w = weights(tilt);
    double sum = 0;
    double people = 0;
    for (std::size_t k = 0; k < w.size(); ++k) {
      sum += w[k];
      people += w[k] * static_cast<double>(k + 1);
    }
    return people / sum;
  };
  const double target = static_cast<double>(residents) / households;
  double lo = 0;
  double hi = 1;
  while (mean(hi) < target && hi < 1e6)
    hi *= 2;
  for (int i = 0; i < 100; ++i) {
    const double mid = (lo + hi) / 2;
    (mean(mid) < target ? lo : hi) = mid;
  }
  const auto w = weights(hi);
  std::array<double, kMaxHouseholdSize> cumulative{};
  double total = 0;
  for (double x : w)
    total += x;
  double running = 0;
  for (std::size_t k = 0; k < w.size(); ++k)
    cumulative[k] = (running += w[k]) / total;

  std::vector<std::uint8_t> sizes(static_cast<std::size_t>(households));
  std::int64_t sum = 0;
  for (std::uint8_t& s : sizes) {
    const double x = rng.real();
    std::size_t k = 0;
    while (k + 1 < cumulative.size() && x >= cumulative[k])
      ++k;
    s = static_cast<std::uint8_t>(k + 1);
    sum += s;
  }
  // Walk the households in a scrambled order (a stride coprime to their count), one step up
  // or down each, until the total is right; at most five passes.
  const auto n = static_cast<std::uint64_t>(households);
  std::uint64_t stride = 1;
  if (n > 2) {
    do
      stride = 1 + rng.below(n - 1);
    while (std::gcd(stride, n) != 1);
  }
  std::uint64_t at = rng.below(n);
  while (sum != residents) {
    std::uint8_t& s = sizes[at];
    if (sum < residents && s < kMaxHouseholdSize) {
      ++s;
      ++sum;
    } else if (sum > residents && s > 1) {
      --s;
      --sum;
    }
    at = (at + stride) % n;
  }
  return sizes;
}

// ---------------------------------------------------------------------------------------------
// Buildings: mostly six-floor walk-ups (old Hongkou compounds), some mid-rise, a few towers.

struct BuildingPlan {
  int floors;
  int rooms_per_floor;
};

BuildingPlan draw_building(Rng& rng) {
  const int kind = static_cast<int>(rng.below(100));
  if (kind < 66) return {6, rng.between(2, 4)};
  if (kind < 72) return {rng.between(7, 8), rng.between(2, 4)};
  if (kind < 94) return {rng.between(11, 18), rng.between(4, 6)};
  return {rng.between(25, 33), rng.between(4, 6)};
}

// ---------------------------------------------------------------------------------------------
// Exact-count choices.

// Reservoir sampling (Algorithm R): `wanted` residents chosen uniformly from a stream of
// unknown length; used at construction for the rare tags, whose totals are fixed.
struct Reservoir {
  struct Pick {
    std::uint32_t ordinal;
    std::uint8_t age;
  };
  explicit Reservoir(std::int64_t count) : wanted(static_cast<std::size_t>(count)) {
    picks.reserve(wanted);
  }

  std::size_t wanted;
  std::uint64_t seen = 0;
  std::vector<Pick> picks;

  void offer(Rng& rng, std::uint32_t ordinal, int age) {
    const Pick pick{ordinal, static_cast<std::uint8_t>(age)};
    if (picks.size() < wanted) {
      picks.push_back(pick);
    } else if (wanted > 0) {
      const std::uint64_t j = rng.below(seen + 1);
      if (j < wanted) picks[j] = pick;
    }
    ++seen;
  }
  std::vector<std::uint32_t> sorted_ordinals() const {
    std::vector<std::uint32_t> out;
    out.reserve(picks.size());
    for (const Pick& p : picks)
      out.push_back(p.ordinal);
    std::sort(out.begin(), out.end());
    return out;
  }
};

// A sorted list of resident ordinals, consumed in order while streaming.
struct OrdinalSet {
  std::vector<std::uint32_t> ordinals;
  std::size_t next = 0;
  bool take(std::uint32_t ordinal) {
    if (next < ordinals.size() && ordinals[next] == ordinal) {
      ++next;
      return true;
    }
    return false;
  }
};

bool volunteer_age(int age) {
  return age >= 18 && age <= 65;
}
bool pregnancy_age(Gender g, int age) {
  return g == Gender::female && age >= 22 && age <= 42;
}
bool dialysis_age(int age) {
  return age >= 45;
}

// Open-addressing set of issued ID numbers (first 17 digits as a number, plus one), sized at
// construction so that it never grows and stays at most half full.
class IdSet {
 public:
  explicit IdSet(std::size_t expected)
      : m_slots(std::bit_ceil(std::max<std::size_t>(16, 2 * expected))) {}
  bool insert(std::uint64_t key) {
    const std::size_t mask = m_slots.size() - 1;
    std::size_t i = static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> 20) & mask;
    while (m_slots[i] != 0) {
      if (m_slots[i] == key) return false;
      i = (i + 1) & mask;
    }
    m_slots[i] = key;
    return true;
  }

 private:
  std::vector<std::uint64_t> m_slots;
};

void put_digits(char* out, int width, std::uint64_t value) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// The date `n` years before d; 29 February becomes 28 February in other years.
sys_days years_before(domain::Date d, int n) {
  const domain::Date shifted{d.year() - std::chrono::years{n}, d.month(), d.day()};
  if (shifted.ok()) return sys_days{shifted};
  return sys_days{shifted.year() / shifted.month() / std::chrono::last};
}

constexpr std::array<int, 32> kMobilePrefixes = {
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156,
    157, 158, 159, 166, 173, 177, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189};

constexpr std::array<std::string_view, 4> kChronicNotes = {"高血压，需长期服药", "糖尿病，需胰岛素",
                                                           "冠心病，药快吃完了", "需长期服药"};
constexpr std::array<std::string_view, 3> kDialysisNotes = {"每周三次血透", "需定期去医院透析",
                                                            "尿毒症，每周二四六透析"};

}  // namespace

struct CommunityGenerator::State {
  SynthOptions options;
  std::vector<domain::Building> buildings;
  std::vector<int> rooms_per_floor;  // parallel to buildings
  int last_building_households = 0;  // the last building may be partly occupied
  std::vector<std::uint8_t> sizes;   // per household, in streaming order

  Rng structure;
  Rng details;
  OrdinalSet pregnant;
  OrdinalSet dialysis;
  std::int64_t volunteer_pool = 0;   // eligible residents not yet streamed
  std::int64_t volunteers_left = 0;  // volunteers still to choose among them
  IdSet issued;

  // Where the stream is.
  std::size_t building = 0;
  int flat = -1;  // index within the building: (floor - 1) * rooms_per_floor + unit - 1
  std::size_t household = 0;
  HouseholdPlan plan;
  int member = 0;
  std::array<std::uint16_t, kMaxHouseholdSize> surnames{};
  std::string room;
  std::uint32_t ordinal = 0;

  explicit State(SynthOptions o)
      : options(std::move(o)),
        structure(options.seed, kStructureStream),
        details(options.seed, kDetailStream),
        issued(static_cast<std::size_t>(options.residents)) {}

  void plan_buildings();
  void choose_rare_tags();
  bool occupied(std::size_t b, int k) const;
  void start_household();
  domain::ValidResident make_resident(const Member& m, int index);
  std::string id_number(Gender gender, sys_days& birth);
  std::string phone(int age);
};

void CommunityGenerator::State::plan_buildings() {
  Rng rng(options.seed, kBuildingStream);
  std::int64_t capacity = 0;
  while (capacity < options.households) {
    const BuildingPlan plan = draw_building(rng);
    buildings.push_back(
        domain::Building{0, 0, std::to_string(buildings.size() + 1) + "号楼", plan.floors});
    rooms_per_floor.push_back(plan.rooms_per_floor);
    capacity += plan.floors * plan.rooms_per_floor;
  }
  const int last_capacity = buildings.back().floors * rooms_per_floor.back();
  last_building_households = static_cast<int>(options.households - (capacity - last_capacity));
}

// The last building's households are spread evenly over its flats (Bresenham), so that its
// empty flats are scattered over the floors rather than all at the top.
bool CommunityGenerator::State::occupied(std::size_t b, int k) const {
  if (b + 1 < buildings.size()) return true;
  const std::int64_t flats = buildings[b].floors * rooms_per_floor[b];
  const std::int64_t n = last_building_households;
  return (k + 1) * n / flats > k * n / flats;
}

void CommunityGenerator::State::choose_rare_tags() {
  // ≈0.3% pregnant and ≈0.15% on dialysis; at least 3 and 2 in a community of 3,000 or more.
  const std::int64_t residents = options.residents;
  Reservoir pregnancies(
      std::max<std::int64_t>((residents * 3 + 500) / 1000, residents >= 3000 ? 3 : 0));
  Reservoir dialyses(
      std::max<std::int64_t>((residents * 15 + 5000) / 10000, residents >= 3000 ? 2 : 0));
  Rng choices(options.seed, kChoiceStream);
  Rng rng(options.seed, kStructureStream);  // the same structure the stream will replay
  std::int64_t of_volunteer_age = 0;
  std::uint32_t ordinal = 0;
  for (const std::uint8_t size : sizes) {
    const HouseholdPlan p = plan_household(rng, size);
    for (int i = 0; i < p.size; ++i, ++ordinal) {
      const Member& m = p[i];
      if (volunteer_age(m.age)) ++of_volunteer_age;
      if (pregnancy_age(m.gender, m.age)) pregnancies.offer(choices, ordinal, m.age);
      if (dialysis_age(m.age)) dialyses.offer(choices, ordinal, m.age);
    }
  }
  // Pregnant women and dialysis patients do not volunteer: take them out of the pool.
  of_volunteer_age -= static_cast<std::int64_t>(pregnancies.picks.size());
  for (const Reservoir::Pick& pick : dialyses.picks)
    of_volunteer_age -= volunteer_age(pick.age) ? 1 : 0;
  pregnant.ordinals = pregnancies.sorted_ordinals();
  dialysis.ordinals = dialyses.sorted_ordinals();
  volunteer_pool = of_volunteer_age;
  volunteers_left = std::min<std::int64_t>(options.volunteers, of_volunteer_age);
}

void CommunityGenerator::State::start_household() {
  do {
    if (++flat == buildings[building].floors * rooms_per_floor[building]) {
      ++building;
      flat = 0;
    }
  } while (!occupied(building, flat));
  const int per_floor = rooms_per_floor[building];
  room = std::to_string((flat / per_floor + 1) * 100 + flat % per_floor + 1);
  plan = plan_household(structure, sizes[household++]);
  member = 0;
}

// A unique ID number for someone of this gender born on `birth`. When every sequence number of
// that day and gender is taken (500 of them; only in huge communities), the birth moves a day
// earlier.
std::string CommunityGenerator::State::id_number(Gender gender, sys_days& birth) {
  const std::uint64_t parity = gender == Gender::male ? 1 : 0;
  for (;;) {
    const auto day_number =
        static_cast<std::uint64_t>(birth.time_since_epoch().count() + 1'000'000);
    std::uint64_t sequence = 2 * details.below(500) + parity;
    for (int tries = 0; tries < 500; ++tries, sequence = (sequence + 2) % 1000) {
      if (!issued.insert(day_number * 1000 + sequence + 1)) continue;
      const domain::Date date{birth};
      std::string id(18, '0');
      std::copy(options.region_code.begin(), options.region_code.end(), id.begin());
      put_digits(&id[6], 4, static_cast<std::uint64_t>(static_cast<int>(date.year())));
      put_digits(&id[10], 2, static_cast<unsigned>(date.month()));
      put_digits(&id[12], 2, static_cast<unsigned>(date.day()));
      put_digits(&id[14], 3, sequence);
      id[17] = domain::id_check_character(std::string_view(id).substr(0, 17));
      return id;
    }
    birth -= days{1};
  }
}

std::string CommunityGenerator::State::phone(int age) {
  // Young children have no phone, nor do some of the very old; teenagers mostly do.
  if (age < 12 || (age < 18 && details.chance(250)) || (age >= 80 && details.chance(300)))
    return {};
  std::string number(11, '0');
  put_digits(&number[0], 3, static_cast<std::uint64_t>(pick(details, kMobilePrefixes)));
  put_digits(&number[3], 8, details.below(100'000'000));
  return number;
}

domain::ValidResident CommunityGenerator::State::make_resident(const Member& m, int index) {
  domain::ValidResident out;
  out.building = buildings[building].name;
  out.room = room;
  domain::Resident& r = out.resident;
  const int age = m.age;
  r.gender = m.gender;
  r.relation = m.relation;

  std::uint16_t surname = 0;
  if (m.surname_of >= 0) {
    surname = surnames[static_cast<std::size_t>(m.surname_of)];
  } else {
    surname = draw_surname(details);
    if (index > 0 && surname == surnames[0]) surname = draw_surname(details);  // rarely the same
  }
  surnames[static_cast<std::size_t>(index)] = surname;

  // Born between today - (age + 1) years + 1 day and today - age years.
  const sys_days latest = years_before(options.today, age);
  const sys_days earliest = years_before(options.today, age + 1) + days{1};
  sys_days birth = earliest + days{static_cast<int>(details.below(
                                  static_cast<std::uint64_t>((latest - earliest).count() + 1)))};
  r.id_number = id_number(m.gender, birth);
  r.birth_date = domain::Date{birth};

  r.name.reserve(12);
  r.name = kSurnames[surname].text;
  append_given_name(details, m.gender, static_cast<int>(r.birth_date.year()), r.name);
  r.phone = phone(age);

  // Tags: the exact-count ones were chosen at construction, the others are drawn here.
  auto& tags = r.vulnerabilities;
  const bool is_pregnant = pregnant.take(ordinal);
  const bool on_dialysis = dialysis.take(ordinal);
  if (is_pregnant) tags.add(Vulnerability::pregnant);
  if (on_dialysis) tags.add(Vulnerability::dialysis);
  if (age < 3) tags.add(Vulnerability::infant);
  if (plan.size == 1 && age >= 70) tags.add(Vulnerability::elderly_alone);
  if (on_dialysis || (age >= 60 && details.chance(150)) ||
      (age >= 40 && age < 60 && details.chance(30))) {
    tags.add(Vulnerability::chronic_medication);
  }
  if (details.chance(age >= 60 ? 18 : 6)) tags.add(Vulnerability::disabled);
  if (age >= 80 && details.chance(40)) tags.add(Vulnerability::bedridden);

  // Volunteers: selection sampling (Knuth's Algorithm S) over the eligible, so the total is
  // exact: each is chosen with probability (still to choose) / (still to come).
  if (volunteer_age(age) && !is_pregnant && !on_dialysis) {
    r.volunteer = static_cast<std::int64_t>(
                      details.below(static_cast<std::uint64_t>(volunteer_pool))) < volunteers_left;
    if (r.volunteer) --volunteers_left;
    --volunteer_pool;
  }

  // Notes: mostly empty; a note that names a condition goes with its tag.
  if (is_pregnant && details.chance(600)) {
    const int weeks = details.between(8, 39);
    r.notes = "孕" + std::to_string(weeks) + "周" + (weeks >= 36 ? "，预产期临近" : "");
  } else if (on_dialysis && details.chance(700)) {
    r.notes = pick(details, kDialysisNotes);
  } else if (age == 0 && sys_days{options.today} - birth < days{60} && details.chance(700)) {
    r.notes = "新生儿";
  } else if (tags.has(Vulnerability::bedridden) && details.chance(600)) {
    r.notes = "长期卧床，需上门服务";
  } else if (tags.has(Vulnerability::disabled) && details.chance(400)) {
    r.notes = "行动不便";
  } else if (tags.has(Vulnerability::elderly_alone) && details.chance(150)) {
    r.notes = "独居，子女不在身边";
  } else if (tags.has(Vulnerability::chronic_medication) && details.chance(100)) {
    r.notes = pick(details, kChronicNotes);
  } else if (r.volunteer && details.chance(100)) {
    r.notes = "楼组长";
  } else if (age >= 80 && tags.empty() && details.chance(30)) {
    r.notes = "耳背，电话请大声";
  } else if (age >= 18 && age <= 70 && tags.empty() && !r.volunteer && details.chance(5)) {
    r.notes = "在外地未返沪";
  }
  return out;
}

CommunityGenerator::CommunityGenerator(SynthOptions options) {
  const std::int64_t households = options.households;
  const std::int64_t residents = options.residents;
  if (households < 1) throw std::invalid_argument("a community needs at least one household");
  if (residents < households || residents > kMaxHouseholdSize * households) {
    throw std::invalid_argument("residents must be between households and 6 × households");
  }
  if (options.volunteers < 0 || options.volunteers > options.residents) {
    throw std::invalid_argument("volunteers must be between 0 and the number of residents");
  }
  // The oldest resident is 100: born after 1900 (as ID numbers require) if today is 2002 or later.
  if (!options.today.ok() || options.today.year() < std::chrono::year{2002}) {
    throw std::invalid_argument("today must be a valid date in 2002 or later");
  }
  const std::string& region = options.region_code;
  const bool digits = region.size() == 6 && std::all_of(region.begin(), region.end(), [](char c) {
                        return c >= '0' && c <= '9';
                      });
  if (!digits) throw std::invalid_argument("region_code must be 6 digits");
  {  // the first two digits must name a province: ask the ID rules with a sample number
    std::string sample = region + "19800101001";
    sample += domain::id_check_character(sample);
    if (!domain::parse_id_number(sample, options.today)) {
      throw std::invalid_argument("region_code does not start with a province code");
    }
  }

  m_state = std::make_unique<State>(std::move(options));
  State& s = *m_state;
  s.plan_buildings();
  Rng size_rng(s.options.seed, kSizeStream);
  s.sizes = plan_sizes(size_rng, s.options.households, s.options.residents);
  s.choose_rare_tags();
}

CommunityGenerator::~CommunityGenerator() = default;

const std::vector<domain::Building>& CommunityGenerator::buildings() const {
  return m_state->buildings;
}

std::optional<domain::ValidResident> CommunityGenerator::next() {
  State& s = *m_state;
  if (s.ordinal == static_cast<std::uint32_t>(s.options.residents)) return std::nullopt;
  if (s.member == s.plan.size) s.start_household();
  const int index = s.member++;
  domain::ValidResident resident = s.make_resident(s.plan[index], index);
  ++s.ordinal;
  return resident;
}

}  // namespace juwei::service
