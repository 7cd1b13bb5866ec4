#include "service/registry.hpp"

#include "domain/id_number.hpp"
#include "service/accounts.hpp"
#include "service/audit.hpp"
#include "service/resident_import.hpp"
#include "service/service_test_fixture.hpp"

namespace juwei::service {
namespace {

// Two valid GB 11643 numbers of the same birth date and gender: changing one to the other
// changes nothing else about the resident.
constexpr const char* kIdNumber = "110105194912310126";
constexpr const char* kOtherIdNumber = "110105194912310222";

class RegistryTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    m_secretary = Accounts(*m_store, clock())
                      .add_user(m_community, "liumiao", domain::Role::secretary, "correct horse", 0,
                                kOperator)
                      .value()
                      .id;
  }

  ResidentChange resident(std::string building, std::string room) {
    ResidentChange r;
    r.name = "王丽";
    r.id_number = kIdNumber;
    r.building = std::move(building);
    r.room = std::move(room);
    return r;
  }

  domain::UserId m_secretary = 0;
};

// A building or room name follows the rule every name does: no control character (U+0000).
TEST_F(RegistryTest, BuildingAndRoomNamesRefuseControlCharacters) {
  Registry registry(*m_store, clock());
  const auto bad =
      registry.create_building(m_community, {std::string("9号楼") + '\0', 6}, m_secretary);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().fields.at(0).code, "name.invalid");
  const auto b = registry.create_building(m_community, {"9号楼", 6}, m_secretary).value().value.id;
  const auto room = registry.create_household(m_community, {b, "10\n1"}, m_secretary);
  ASSERT_FALSE(room.has_value());
  EXPECT_EQ(room.error().fields.at(0).code, "room.invalid");
}

// rule: every state change of the register is in the audit trail, with who made it.
TEST_F(RegistryTest, EveryEditIsAuditedWithItsActor) {
  Registry registry(*m_store, clock());
  const auto by = m_secretary;
  const auto from = last_seq();
  const auto b = registry.create_building(m_community, {"9号楼", 6}, by).value().value.id;
  ASSERT_TRUE(registry.update_building(m_community, b, {std::nullopt, 7}, by));
  const auto h = registry.create_household(m_community, {b, "101"}, by).value().value.id;
  ASSERT_TRUE(registry.update_household(m_community, h, {std::nullopt, "102"}, by));
  const auto r =
      registry.create_resident(m_community, resident("9号楼", "102"), by).value().value.resident.id;
  ResidentChange phone;
  phone.phone = "13812345678";
  ASSERT_TRUE(registry.update_resident(m_community, r, phone, by));
  ASSERT_TRUE(registry.remove_resident(m_community, r, "搬走", by));
  ASSERT_TRUE(registry.remove_household(m_community, h, "空置", by));
  ASSERT_TRUE(registry.remove_building(m_community, b, "拆除", by));
  EXPECT_TRUE(registry.create_building(m_community, {"9号楼", std::nullopt}, by)->restored);

  const std::string bs = std::to_string(b), hs = std::to_string(h), rs = std::to_string(r);
  const std::vector<Audited> expected = {
      {"building.create", "building", bs, by},   {"building.update", "building", bs, by},
      {"household.create", "household", hs, by}, {"household.update", "household", hs, by},
      {"resident.create", "resident", rs, by},   {"resident.update", "resident", rs, by},
      {"resident.remove", "resident", rs, by},   {"household.remove", "household", hs, by},
      {"building.remove", "building", bs, by},   {"building.restore", "building", bs, by},
  };
  EXPECT_EQ(audited(from), expected);
  for (const store::AuditRecord& a : trail(from)) {
    EXPECT_EQ(a.role, "secretary") << a.action;
    EXPECT_EQ(a.before_digest.empty(), a.action.ends_with(".create")) << a.action;
    EXPECT_EQ(a.after_digest.size(), 64u) << a.action;
    EXPECT_NE(a.before_digest, a.after_digest) << a.action;
  }
}

// Refused edits and removing a removed record change nothing, so they leave no record.
TEST_F(RegistryTest, AnEditThatChangesNothingLeavesNoRecord) {
  Registry registry(*m_store, clock());
  const auto b = registry.create_building(m_community, {"9号楼", 6}, m_secretary).value().value.id;
  ASSERT_TRUE(registry.remove_building(m_community, b, "拆除", m_secretary));
  const auto from = last_seq();
  EXPECT_FALSE(registry.create_building(m_community, {"", 999}, m_secretary));
  EXPECT_FALSE(registry.update_building(m_community, b, {"", std::nullopt}, m_secretary));
  EXPECT_FALSE(registry.remove_building(m_community, b, "", m_secretary));
  EXPECT_TRUE(registry.remove_building(m_community, b, "拆除", m_secretary));
  EXPECT_FALSE(registry.create_household(m_community, {b, "101"}, m_secretary));
  EXPECT_FALSE(registry.create_resident(m_community, ResidentChange{}, m_secretary));
  EXPECT_TRUE(audited(from).empty());
}

// A resident's account sees their household: themself first and whole, the family masked,
// nobody who moved out, and nothing once they are no longer registered.
TEST_F(RegistryTest, AResidentSeesTheirHouseholdWithTheFamilysIdNumbersMasked) {
  Registry registry(*m_store, clock());
  const auto mother = registry.create_resident(m_community, resident("7号楼", "501"), kOperator);
  ASSERT_TRUE(mother) << mother.error().message;
  ResidentChange child = resident("7号楼", "501");
  child.name = "王小丽";
  child.id_number = kOtherIdNumber;
  const auto daughter = registry.create_resident(m_community, child, kOperator);
  ASSERT_TRUE(daughter) << daughter.error().message;
  const auto self = daughter->value.resident.id;

  auto members = registry.household_of(m_community, self);
  ASSERT_TRUE(members) << members.error().message;
  ASSERT_EQ(members->size(), 2u);
  EXPECT_EQ((*members)[0].resident.id, self);
  EXPECT_EQ((*members)[0].resident.id_number, kOtherIdNumber);
  EXPECT_EQ((*members)[0].building, "7号楼");
  EXPECT_EQ((*members)[0].room, "501");
  EXPECT_EQ((*members)[1].resident.id, mother->value.resident.id);
  EXPECT_EQ((*members)[1].resident.id_number, domain::mask_id_number(kIdNumber));

  ASSERT_TRUE(registry.remove_resident(m_community, mother->value.resident.id, "搬走", kOperator));
  members = registry.household_of(m_community, self);
  ASSERT_TRUE(members);
  EXPECT_EQ(members->size(), 1u);
  ASSERT_TRUE(registry.remove_resident(m_community, self, "搬走", kOperator));
  members = registry.household_of(m_community, self);
  ASSERT_FALSE(members);
  EXPECT_EQ(members.error().kind, Error::Kind::not_found);
}

// A resident's new building and household are changes of their own; the resident's digested
// text holds the ID number, which the trail never stores in clear.
TEST_F(RegistryTest, AResidentsNewPlaceIsAuditedAndTheIdNumberOnlyDigested) {
  Registry registry(*m_store, clock());
  auto from = last_seq();
  const auto made = registry.create_resident(m_community, resident("20号楼", "301"), kOperator);
  ASSERT_TRUE(made) << made.error().message;
  const auto r = made->value.resident.id;
  const auto h = made->value.resident.household_id;
  const auto b = registry.get_household(m_community, h).value().building_id;
  EXPECT_EQ(audited(from), (std::vector<Audited>{
                               {"building.create", "building", std::to_string(b), kOperator},
                               {"household.create", "household", std::to_string(h), kOperator},
                               {"resident.create", "resident", std::to_string(r), kOperator},
                           }));
  EXPECT_EQ(trail(from).back().role, "operator");  // the operator at the machine

  from = last_seq();
  ResidentChange renumbered;
  renumbered.id_number = kOtherIdNumber;
  ASSERT_TRUE(registry.update_resident(m_community, r, renumbered, m_secretary));
  const auto records = trail(from);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].action, "resident.update");
  EXPECT_NE(records[0].before_digest, records[0].after_digest);  // only the number changed
  for (const store::AuditRecord& a : trail()) {
    for (const std::string& column : {a.entity_id, a.before_digest, a.after_digest}) {
      EXPECT_EQ(column.find(kIdNumber), std::string::npos);
      EXPECT_EQ(column.find(kOtherIdNumber), std::string::npos);
    }
  }

  // Removed, then created again: the place and the resident are restored, each audited.
  ASSERT_TRUE(registry.remove_resident(m_community, r, "搬走", m_secretary));
  ASSERT_TRUE(registry.remove_household(m_community, h, "空置", m_secretary));
  ASSERT_TRUE(registry.remove_building(m_community, b, "拆除", m_secretary));
  from = last_seq();
  ResidentChange again = resident("20号楼", "301");
  again.id_number = kOtherIdNumber;
  EXPECT_TRUE(registry.create_resident(m_community, again, m_secretary)->restored);
  EXPECT_EQ(audited(from), (std::vector<Audited>{
                               {"building.restore", "building", std::to_string(b), m_secretary},
                               {"household.restore", "household", std::to_string(h), m_secretary},
                               {"resident.restore", "resident", std::to_string(r), m_secretary},
                           }));
}

// Issue 17 item 6: a roster's 楼号 "3" is building 3号楼, and the names people write for it find
// it: in search (3号楼, 三号楼, 3号楼301, 3-301, 3栋301室), by name, and on creation.
TEST_F(RegistryTest, BuildingsAreFoundByTheNamesPeopleWriteForThem) {
  const std::string roster =
      "楼号,室号,姓名,性别,身份证号,手机号,与户主关系,特殊人群,志愿者,备注\r\n"
      "3,301,王丽,女,310109198802290022,13812345678,户主,,否,\r\n"
      "3栋,302,张伟,男,310109198503071233,13912345678,户主,,否,\r\n"
      "综合楼 ,101,李秀英,女,110105194912310126,,户主,,否,\r\n";
  const auto report = import_residents(*m_store, clock(), m_community,
                                       memory_source("r.csv", roster), {}, m_secretary);
  ASSERT_TRUE(report && report->committed) << (report ? "" : report.error().message);
  Registry registry(*m_store, clock());
  std::vector<std::string> buildings;
  const auto listed = registry.buildings(m_community).value();
  for (const domain::Building& b : listed)
    buildings.push_back(b.name);
  EXPECT_EQ(buildings, (std::vector<std::string>{"3号楼", "综合楼"}));

  const auto found = [&](std::string text, std::optional<domain::BuildingId> in = {}) {
    store::ResidentQuery q{.community_id = m_community, .text = std::move(text), .building = in};
    std::vector<std::string> names;
    const auto rows = registry.search(q).value();
    for (const store::ResidentRow& row : rows)
      names.push_back(row.resident.name);
    return names;
  };
  using Names = std::vector<std::string>;
  const Names both{"王丽", "张伟"}, wang{"王丽"}, li{"李秀英"}, none;
  const struct {
    const char* text;
    Names names;
  } cases[] = {
      {"3号楼", both},     {"三号楼", both},  {"3栋", both},      {"3号楼301", wang},
      {"3号楼 301", wang}, {"3-301", wang},   {"3栋301室", wang}, {"３号楼３０１", wang},
      {"综合楼", li},      {"综合楼101", li}, {"301", wang},      {"王", wang},
      {"5号楼", none},     {"5-301", none},   {"3", none},  // a number alone is a room or phone
  };
  for (const auto& c : cases)
    EXPECT_EQ(found(c.text), c.names) << c.text;

  const auto three = registry.building(m_community, "3").value().id;
  EXPECT_EQ(registry.building(m_community, "三号楼").value().id, three);
  EXPECT_EQ(found("", three), both);
  EXPECT_EQ(found("3-302", three), Names{"张伟"});
  const auto other = registry.building(m_community, "综合楼").value().id;
  EXPECT_EQ(found("3号楼301", other), none);  // another building than the filter's

  const auto taken = registry.create_building(m_community, {"第三幢", 6}, m_secretary);
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error().kind, Error::Kind::conflict);
  const auto five = registry.create_building(m_community, {" 5 栋", 6}, m_secretary).value();
  EXPECT_EQ(five.value.name, "5号楼");
  EXPECT_EQ(
      registry.update_building(m_community, five.value.id, {"６", std::nullopt}, m_secretary)->name,
      "6号楼");
  ResidentChange moved = resident("六号楼", "101");
  moved.id_number = kOtherIdNumber;
  const auto made = registry.create_resident(m_community, moved, m_secretary).value();
  EXPECT_EQ(made.value.building, "6号楼");
  EXPECT_EQ(registry.buildings(m_community)->size(), 3u);
}

// Two buildings the schema migration left apart ("3" and "3号楼": normalized, one name) stay
// apart: changing a resident of "3" does not move them into 3号楼.
TEST_F(RegistryTest, AChangeKeepsAResidentInABuildingWhoseNameWasNotNormalized) {
  {
    auto tx = m_store->begin(store::TxMode::write).value();
    ASSERT_TRUE(tx->insert_building({m_community, 0, "3号楼", 0}));
    const auto legacy = tx->insert_building({m_community, 0, "3", 0}).value();
    ASSERT_TRUE(tx->insert_household({m_community, 0, legacy, "301"}));
    ASSERT_TRUE(tx->commit());
  }
  Registry registry(*m_store, clock());
  ResidentChange in = resident("", "");
  in.building.reset();
  in.room.reset();
  in.household_id = registry.households(m_community, std::nullopt, 0, 10).value().at(0).id;
  const auto made = registry.create_resident(m_community, in, m_secretary);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->value.building, "3");
  ResidentChange phone;
  phone.phone = "13812345678";
  const auto changed =
      registry.update_resident(m_community, made->value.resident.id, phone, m_secretary);
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_EQ(changed->building, "3");
  EXPECT_EQ(changed->resident.household_id, made->value.resident.household_id);
}

// A community's chain opens with its creation; a synthetic fill is one record for the run.
TEST_F(RegistryTest, ACommunityAndItsSyntheticResidentsAreAudited) {
  EXPECT_EQ(audited().front(),
            (Audited{"community.create", "community", std::to_string(m_community), kOperator}));
  Registry registry(*m_store, clock());
  const auto other = registry.init_community("合成居民区", "合成街道", kOperator).value();
  ASSERT_TRUE(other.created);
  EXPECT_FALSE(registry.init_community("合成居民区", "合成街道", kOperator)->created);
  const auto c = other.community.id;
  CommunityGenerator generator(
      SynthOptions{.seed = 7, .households = 5, .residents = 12, .volunteers = 1});
  const auto counts = registry.add_synthetic(c, generator, kOperator).value();
  EXPECT_EQ(counts.residents, 12);
  const std::string id = std::to_string(c);
  EXPECT_EQ(audited(0, c), (std::vector<Audited>{
                               {"community.create", "community", id, kOperator},
                               {"residents.generate", "community", id, kOperator},
                           }));
}

}  // namespace
}  // namespace juwei::service
