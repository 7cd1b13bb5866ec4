#include "service/synth.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "domain/id_number.hpp"
#include "domain/resident_input.hpp"

namespace juwei::service {
namespace {

using domain::Gender;
using domain::Relation;
using domain::ValidResident;
using domain::Vulnerability;

struct Generated {
  std::vector<domain::Building> buildings;
  std::vector<ValidResident> residents;
};

Generated generate(const SynthOptions& options) {
  CommunityGenerator generator(options);
  Generated c{generator.buildings(), {}};
  while (auto r = generator.next())
    c.residents.push_back(std::move(*r));
  EXPECT_FALSE(generator.next().has_value()) << "the stream stays ended";
  return c;
}

// Households as the stream gives them: consecutive residents in the same flat.
struct HouseholdView {
  std::string building;
  std::string room;
  std::vector<const ValidResident*> members;
};

std::vector<HouseholdView> households_of(const Generated& c) {
  std::vector<HouseholdView> out;
  for (const ValidResident& r : c.residents) {
    if (out.empty() || out.back().building != r.building || out.back().room != r.room) {
      out.push_back({r.building, r.room, {}});
    }
    out.back().members.push_back(&r);
  }
  return out;
}

int age_of(const ValidResident& r, const SynthOptions& o) {
  return domain::age_on(r.resident.birth_date, o.today);
}

bool notes_mention(const ValidResident& r, std::string_view word) {
  return r.resident.notes.find(word) != std::string::npos;
}

// What every generated community must satisfy, whatever its size (the header's contract and
// the registry's validation rules).
void expect_well_formed(const SynthOptions& o, const Generated& c) {
  ASSERT_EQ(c.residents.size(), static_cast<std::size_t>(o.residents));

  std::map<std::string, int, std::less<>> floors_of;
  for (std::size_t i = 0; i < c.buildings.size(); ++i) {
    const domain::Building& b = c.buildings[i];
    EXPECT_EQ(b.name, std::to_string(i + 1) + "号楼");
    EXPECT_GE(b.floors, 6) << b.name;
    EXPECT_LE(b.floors, 33) << b.name;
    EXPECT_EQ(b.id, 0);
    EXPECT_EQ(b.community_id, 0);
    floors_of[b.name] = b.floors;
  }

  const std::vector<HouseholdView> households = households_of(c);
  EXPECT_EQ(households.size(), static_cast<std::size_t>(o.households));
  std::set<std::pair<std::string, std::string>> flats;
  std::set<std::string> used_buildings;
  for (const HouseholdView& h : households) {
    SCOPED_TRACE(h.building + " " + h.room);
    EXPECT_TRUE(flats.emplace(h.building, h.room).second) << "a flat appears twice";
    used_buildings.insert(h.building);
    const auto floors = floors_of.find(h.building);
    ASSERT_NE(floors, floors_of.end()) << "an unplanned building";
    const int room = std::stoi(h.room);
    EXPECT_EQ(std::to_string(room), h.room);
    EXPECT_GE(room / 100, 1);
    EXPECT_LE(room / 100, floors->second);
    EXPECT_GE(room % 100, 1);
    EXPECT_LE(room % 100, 6);

    ASSERT_GE(h.members.size(), 1u);
    EXPECT_LE(h.members.size(), 6u);
    EXPECT_EQ(h.members.front()->resident.relation, Relation::head);
    int heads = 0;
    for (const ValidResident* m : h.members) {
      heads += m->resident.relation == Relation::head ? 1 : 0;
      if (m->resident.relation == Relation::spouse) {
        EXPECT_NE(m->resident.gender, h.members.front()->resident.gender);
      }
      const bool alone_and_old = h.members.size() == 1 && age_of(*m, o) >= 70;
      EXPECT_EQ(m->resident.vulnerabilities.has(Vulnerability::elderly_alone), alone_and_old);
    }
    EXPECT_EQ(heads, 1);
  }
  EXPECT_EQ(used_buildings.size(), c.buildings.size()) << "every planned building is lived in";

  std::set<std::string> ids;
  for (const ValidResident& v : c.residents) {
    const domain::Resident& r = v.resident;
    SCOPED_TRACE(r.id_number + " " + r.name);
    EXPECT_EQ(r.community_id, 0);
    EXPECT_EQ(r.id, 0);
    EXPECT_EQ(r.household_id, 0);

    const auto facts = domain::parse_id_number(r.id_number, o.today);
    ASSERT_TRUE(facts.has_value());
    EXPECT_EQ(facts->normalized, r.id_number);
    EXPECT_EQ(facts->gender, r.gender);
    EXPECT_EQ(facts->birth_date, r.birth_date);
    EXPECT_TRUE(r.id_number.starts_with(o.region_code));
    EXPECT_TRUE(ids.insert(r.id_number).second) << "duplicate ID number";

    const int age = age_of(v, o);
    EXPECT_GE(age, 0);
    EXPECT_LE(age, 101);

    // Names: a one- or two-character surname and a one- or two-character given name.
    EXPECT_EQ(r.name.size() % 3, 0u);
    EXPECT_GE(r.name.size(), 6u);
    EXPECT_LE(r.name.size(), 12u);

    if (!r.phone.empty()) {
      EXPECT_EQ(domain::normalize_mobile(r.phone), r.phone);
    }
    if (age < 12) {
      EXPECT_TRUE(r.phone.empty());
    }

    const auto& tags = r.vulnerabilities;
    EXPECT_EQ(tags.has(Vulnerability::infant), age < 3);
    if (tags.has(Vulnerability::pregnant)) {
      EXPECT_EQ(r.gender, Gender::female);
      EXPECT_GE(age, 22);
      EXPECT_LE(age, 42);
    }
    if (tags.has(Vulnerability::bedridden)) {
      EXPECT_GE(age, 80);
    }
    if (r.volunteer) {
      EXPECT_GE(age, 18);
      EXPECT_LE(age, 65);
      EXPECT_FALSE(tags.has(Vulnerability::pregnant) || tags.has(Vulnerability::dialysis));
    }
    // A note that names a condition goes with its tag.
    if (notes_mention(v, "孕")) {
      EXPECT_TRUE(tags.has(Vulnerability::pregnant));
    }
    if (notes_mention(v, "透")) {
      EXPECT_TRUE(tags.has(Vulnerability::dialysis));
    }
    if (notes_mention(v, "新生儿")) {
      EXPECT_TRUE(tags.has(Vulnerability::infant));
    }
    if (notes_mention(v, "卧床")) {
      EXPECT_TRUE(tags.has(Vulnerability::bedridden));
    }
    if (notes_mention(v, "行动不便")) {
      EXPECT_TRUE(tags.has(Vulnerability::disabled));
    }
    if (notes_mention(v, "独居")) {
      EXPECT_TRUE(tags.has(Vulnerability::elderly_alone));
    }
    EXPECT_LE(r.notes.size(), domain::kMaxNotesBytes);
  }
}

int count_volunteers(const Generated& c) {
  int n = 0;
  for (const ValidResident& r : c.residents)
    n += r.resident.volunteer ? 1 : 0;
  return n;
}

int count_tagged(const Generated& c, Vulnerability v) {
  int n = 0;
  for (const ValidResident& r : c.residents)
    n += r.resident.vulnerabilities.has(v) ? 1 : 0;
  return n;
}

// DESIGN.md: "1,383 households and about 3,650 residents … 160+ residents who volunteered".
TEST(CommunityGenerator, SeedCommunityMatchesTheStory) {
  const SynthOptions o;
  const Generated c = generate(o);
  expect_well_formed(o, c);
  EXPECT_EQ(count_volunteers(c), 160);
  EXPECT_GE(count_tagged(c, Vulnerability::pregnant), 3);
  EXPECT_GE(count_tagged(c, Vulnerability::dialysis), 2);
  EXPECT_GT(count_tagged(c, Vulnerability::elderly_alone), 0);
  EXPECT_GT(count_tagged(c, Vulnerability::infant), 0);
  EXPECT_GT(count_tagged(c, Vulnerability::chronic_medication), 0);
}

// Shares that make the community look like an old Shanghai one: about a third aged 60 or more,
// mostly 2-3 person households, few of 6, mostly 6-floor buildings.
TEST(CommunityGenerator, SharesArePlausible) {
  SynthOptions o;
  o.households = 20000;
  o.residents = 52000;
  o.volunteers = 2000;
  const Generated c = generate(o);
  expect_well_formed(o, c);
  EXPECT_EQ(count_volunteers(c), 2000);

  int sixty_plus = 0;
  for (const ValidResident& r : c.residents)
    sixty_plus += age_of(r, o) >= 60 ? 1 : 0;
  const double old_share = static_cast<double>(sixty_plus) / o.residents;
  EXPECT_GT(old_share, 0.27);
  EXPECT_LT(old_share, 0.42);

  std::map<std::size_t, int> by_size;
  for (const HouseholdView& h : households_of(c))
    ++by_size[h.members.size()];
  EXPECT_GT(by_size[2] + by_size[3], o.households * 4 / 10);
  EXPECT_GT(by_size[1], o.households / 10);
  EXPECT_LT(by_size[6], o.households / 10);

  int walk_ups = 0;
  for (const domain::Building& b : c.buildings)
    walk_ups += b.floors <= 8 ? 1 : 0;
  EXPECT_GT(walk_ups * 2, static_cast<int>(c.buildings.size()));

  const double pregnant = count_tagged(c, Vulnerability::pregnant);
  EXPECT_NEAR(pregnant / o.residents, 0.003, 0.0005);
  const double dialysis = count_tagged(c, Vulnerability::dialysis);
  EXPECT_NEAR(dialysis / o.residents, 0.0015, 0.0003);
  const double disabled = count_tagged(c, Vulnerability::disabled);
  EXPECT_NEAR(disabled / o.residents, 0.01, 0.004);
}

struct SizeCase {
  std::uint64_t seed;
  int households;
  int residents;
  int volunteers;
};

const SizeCase kSizes[] = {
    {1, 10, 25, 3},   {7, 1, 1, 0},       {7, 1, 6, 0},          {3, 50, 50, 5},
    {3, 50, 300, 30}, {11, 200, 520, 20}, {5, 5000, 13000, 600},
};

TEST(CommunityGenerator, CustomSizesAreExact) {
  for (const SizeCase& s : kSizes) {
    SCOPED_TRACE(testing::Message() << "seed " << s.seed << ", " << s.households << " households, "
                                    << s.residents << " residents");
    SynthOptions o;
    o.seed = s.seed;
    o.households = s.households;
    o.residents = s.residents;
    o.volunteers = s.volunteers;
    const Generated c = generate(o);
    expect_well_formed(o, c);
    EXPECT_EQ(count_volunteers(c), s.volunteers);
  }
}

// Many seeds and shapes, from one person per household to six, keep every property.
TEST(CommunityGenerator, ManySeedsAndShapesAreWellFormed) {
  for (std::uint64_t seed = 100; seed < 160; ++seed) {
    SynthOptions o;
    o.seed = seed;
    o.households = 1 + static_cast<int>(seed * 37 % 400);
    o.residents = o.households + static_cast<int>(seed * 101 % (5 * o.households + 1));
    o.volunteers = static_cast<int>(seed % 7) * o.residents / 100;
    SCOPED_TRACE(testing::Message() << "seed " << seed << ", " << o.households << " households, "
                                    << o.residents << " residents");
    const Generated c = generate(o);
    expect_well_formed(o, c);
    EXPECT_EQ(count_volunteers(c), o.volunteers);
  }
}

// When fewer residents are aged 18-65 than volunteers were asked for, all of them volunteer.
TEST(CommunityGenerator, TakesEveryEligibleVolunteerWhenTooFew) {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE(seed);
    SynthOptions o;
    o.seed = seed;
    o.households = 3;
    o.residents = 4;
    o.volunteers = 4;
    const Generated c = generate(o);
    expect_well_formed(o, c);
    int eligible = 0;
    for (const ValidResident& r : c.residents) {
      const int age = age_of(r, o);
      eligible += age >= 18 && age <= 65 ? 1 : 0;
    }
    EXPECT_EQ(count_volunteers(c), eligible);
  }
}

bool same(const ValidResident& a, const ValidResident& b) {
  return a.building == b.building && a.room == b.room && a.resident.same_details(b.resident);
}

TEST(CommunityGenerator, SameOptionsSameCommunity) {
  const SynthOptions o;
  const Generated a = generate(o);
  const Generated b = generate(o);
  ASSERT_EQ(a.residents.size(), b.residents.size());
  for (std::size_t i = 0; i < a.residents.size(); ++i) {
    EXPECT_TRUE(same(a.residents[i], b.residents[i])) << "resident " << i;
  }
  ASSERT_EQ(a.buildings.size(), b.buildings.size());
  for (std::size_t i = 0; i < a.buildings.size(); ++i) {
    EXPECT_EQ(a.buildings[i].name, b.buildings[i].name);
    EXPECT_EQ(a.buildings[i].floors, b.buildings[i].floors);
  }
}

TEST(CommunityGenerator, AnotherSeedAnotherCommunity) {
  SynthOptions o;
  const Generated a = generate(o);
  o.seed = 2;
  const Generated b = generate(o);
  int differing = 0;
  for (std::size_t i = 0; i < a.residents.size(); ++i) {
    differing += a.residents[i].resident.id_number != b.residents[i].resident.id_number ? 1 : 0;
  }
  EXPECT_GT(differing, static_cast<int>(a.residents.size()) * 9 / 10);
}

// The output is pinned: it must not change with the standard library, the platform or an
// innocent refactoring (benchmark files and demos rely on it). When the generator is changed on
// purpose, update the fingerprint in the same commit.
TEST(CommunityGenerator, SeedOutputIsPinned) {
  const Generated c = generate(SynthOptions{});
  std::uint64_t hash = 1469598103934665603ULL;  // FNV-1a over every field
  const auto mix = [&hash](std::string_view bytes) {
    for (const char ch : bytes) {
      hash ^= static_cast<unsigned char>(ch);
      hash *= 1099511628211ULL;
    }
    hash ^= 0xFF;
    hash *= 1099511628211ULL;
  };
  for (const ValidResident& v : c.residents) {
    const domain::Resident& r = v.resident;
    mix(v.building);
    mix(v.room);
    mix(r.name);
    mix(r.id_number);
    mix(r.phone);
    mix(domain::to_code(r.relation));
    mix(domain::vulnerabilities_to_codes(r.vulnerabilities));
    mix(r.volunteer ? "1" : "0");
    mix(r.notes);
  }
  for (const domain::Building& b : c.buildings)
    mix(b.name + "/" + std::to_string(b.floors));
  EXPECT_EQ(c.residents.front().resident.id_number, "310109195001069797");
  EXPECT_EQ(hash, 0xf6a089543d9c370fULL) << std::hex << "fingerprint 0x" << hash;
}

struct InvalidCase {
  std::string_view why;
  int households;
  int residents;
  int volunteers;
  std::string region_code = "310109";
  domain::Date today{std::chrono::year{2022}, std::chrono::month{4}, std::chrono::day{4}};
};

const InvalidCase kInvalid[] = {
    {"no household", 0, 0, 0},
    {"negative households", -1, 3, 0},
    {"fewer residents than households", 10, 9, 0},
    {"more than six per household", 10, 61, 0},
    {"negative volunteers", 10, 20, -1},
    {"more volunteers than residents", 10, 20, 21},
    {"short region code", 10, 20, 0, "3101"},
    {"region code with a letter", 10, 20, 0, "31010a"},
    {"no such province", 10, 20, 0, "990109"},
    {"today too early for 100-year-olds", 10, 20, 0, "310109",
     domain::Date{std::chrono::year{1990}, std::chrono::month{1}, std::chrono::day{1}}},
    {"today no date", 10, 20, 0, "310109",
     domain::Date{std::chrono::year{2022}, std::chrono::month{2}, std::chrono::day{30}}},
};

TEST(CommunityGenerator, RejectsImpossibleOptions) {
  for (const InvalidCase& c : kInvalid) {
    SCOPED_TRACE(std::string(c.why));
    SynthOptions o;
    o.households = c.households;
    o.residents = c.residents;
    o.volunteers = c.volunteers;
    o.region_code = c.region_code;
    o.today = c.today;
    EXPECT_THROW({ CommunityGenerator generator(o); }, std::invalid_argument);
  }
}

// The bounds themselves are allowed: one person per household, six per household, everyone a
// volunteer if they can be.
TEST(CommunityGenerator, AcceptsTheBounds) {
  for (const SizeCase& s : {SizeCase{1, 40, 40, 40}, SizeCase{2, 40, 240, 240}}) {
    SynthOptions o;
    o.seed = s.seed;
    o.households = s.households;
    o.residents = s.residents;
    o.volunteers = s.volunteers;
    const Generated c = generate(o);
    expect_well_formed(o, c);
    for (const HouseholdView& h : households_of(c)) {
      EXPECT_EQ(h.members.size(), static_cast<std::size_t>(s.residents / s.households));
    }
  }
}

}  // namespace
}  // namespace juwei::service
