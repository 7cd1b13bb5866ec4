#include "service/resident_import.hpp"

#include "service/accounts.hpp"
#include "service/audit.hpp"
#include "service/digest.hpp"
#include "service/service_test_fixture.hpp"

namespace juwei::service {
namespace {

const std::string kRegister =
    "楼号,室号,姓名,性别,身份证号,手机号,与户主关系,特殊人群,志愿者,备注\r\n"
    "12号楼,301,王丽,女,310109198802290022,13812345678,户主,,否,\r\n"
    "12号楼,301,张伟,男,310109198503071233,13912345678,配偶,,是,\r\n";
const std::string kBadRow = kRegister + "12号楼,302,李秀英,女,110105194912310000,,户主,,否,\r\n";

using ImportTest = ServiceTest;

// rule: an import is one record in the audit trail, in its transaction: who ran which import;
// a dry run or a refused file changes nothing and leaves no record.
TEST_F(ImportTest, ACommittedImportIsOneAuditRecord) {
  const auto by =
      Accounts(*m_store, clock())
          .add_user(m_community, "liumiao", domain::Role::secretary, "correct horse", 0, kOperator)
          .value()
          .id;
  const auto from = last_seq();
  ImportOptions dry;
  dry.dry_run = true;
  auto report =
      import_residents(*m_store, clock(), m_community, memory_source("r.csv", kRegister), dry, by);
  ASSERT_TRUE(report && !report->committed);
  report =
      import_residents(*m_store, clock(), m_community, memory_source("r.csv", kBadRow), {}, by);
  ASSERT_TRUE(report && report->refused);
  EXPECT_TRUE(audited(from).empty());

  for (int run = 0; run < 2; ++run) {  // the second changes no resident, but is a run
    report =
        import_residents(*m_store, clock(), m_community, memory_source("r.csv", kRegister), {}, by);
    ASSERT_TRUE(report && report->committed) << (report ? "" : report.error().message);
  }
  const auto imports = m_store->begin(store::TxMode::read).value()->list_imports(m_community);
  ASSERT_EQ(imports->size(), 2u);
  const std::vector<Audited> expected = {
      {"residents.import", "import", std::to_string(imports->at(0).id), by},
      {"residents.import", "import", std::to_string(imports->at(1).id), by},
  };
  EXPECT_EQ(audited(from), expected);
  const auto records = trail(from);
  EXPECT_EQ(records[0].role, "secretary");
  EXPECT_TRUE(records[0].before_digest.empty());
  EXPECT_NE(records[0].after_digest, records[1].after_digest);  // 2 added, then 2 unchanged
}

TEST(Blake2b, ThePiecesDigestAsTheWhole) {
  Blake2b hasher;
  hasher.update("楼号,室号\r\n");
  hasher.update("");
  hasher.update("12号楼,301\r\n");
  EXPECT_EQ(hasher.finish_hex(), blake2b_hex("楼号,室号\r\n12号楼,301\r\n"));
  EXPECT_EQ(Blake2b().finish_hex(), blake2b_hex(""));
}

}  // namespace
}  // namespace juwei::service
