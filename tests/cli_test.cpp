// Drives the real juwei binary against a real SQLite file in a scratch folder, the way a
// committee would: files exported from Excel in UTF-8, UTF-8 with BOM and GBK (made with
// iconv here), a broken file, re-imports, exports, and a process killed mid-import.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "support/juwei_process.hpp"

namespace {

namespace fs = std::filesystem;

using juwei::testing::iso_now;
using juwei::testing::Output;
using juwei::testing::quote;
using juwei::testing::slurp;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir = juwei::testing::scratch_dir("juwei-cli-");
    m_db = "sqlite:" + (m_dir / "juwei.db").string();
  }
  void TearDown() override { fs::remove_all(m_dir); }

  // Runs juwei with the arguments (already shell-quoted where needed); standard input is
  // /dev/null unless args redirect it.
  Output juwei(const std::string& args) {
    return juwei::testing::run_shell(std::string(JUWEI_BIN) + " " + args, m_dir);
  }
  Output juwei_db(const std::string& args) { return juwei(args + " --db " + quote(m_db)); }

  fs::path write(const std::string& name, const std::string& content) {
    const fs::path p = m_dir / name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

  std::string exported() {
    const Output o = juwei_db("export residents");
    EXPECT_EQ(o.code, 0) << o.err;
    return o.out;
  }

  fs::path m_dir;
  std::string m_db;
};

// A register as a committee types it: CRLF, a quoted note with a comma and a line break,
// full-width spaces around a name, an ID with a lower-case x, a phone with spaces.
const std::string kRegister =
    "楼号,室号,姓名,性别,身份证号,手机号,与户主关系,特殊人群,志愿者,备注\r\n"
    "12号楼,301,王丽,女,310109198802290022,138 1234 5678,户主,,否,\"护士，仁济医院\r\n夜班\"\r\n"
    "12号楼,301,　张伟　,男,310109198503071233,13912345678,配偶,,是,\r\n"
    "12号楼,302,李秀英,女,11010519491231002x,,户主,独居老人；慢病用药,否,\"行动不便, 需送药\"\r\n"
    "5号楼,101,陈静,女,310109199003070044,18612345678,户主,孕妇,否,预产期5月\r\n";

int count_lines(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

TEST_F(Cli, InitWorksWithNoArgumentsAndIsIdempotent) {
  Output o = juwei_db("init");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("created community '我的居民区'"), std::string::npos) << o.out;
  o = juwei_db("init");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("already had"), std::string::npos) << o.out;
}

TEST_F(Cli, ImportsAUtf8RegisterAndFindsResidents) {
  ASSERT_EQ(juwei_db("init --community 春晖居民区").code, 0);
  const fs::path file = write("register.csv", kRegister);
  Output o = juwei_db("import residents " + quote(file.string()));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("4 rows: 4 added, 0 updated, 0 unchanged, 0 rejected; 2 buildings and 3 "
                       "households new (encoding utf-8)"),
            std::string::npos)
      << o.out;

  o = juwei_db("residents --q 张伟");  // full-width spaces were trimmed
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("310109198503071233"), std::string::npos) << o.out;
  o = juwei_db("residents --q 002X");  // last four of the ID; the x was upper-cased
  EXPECT_NE(o.out.find("李秀英"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("独居老人；慢病用药"), std::string::npos) << o.out;
  o = juwei_db("residents --building 12号楼");
  EXPECT_NE(o.out.find("3 found"), std::string::npos) << o.out;
  // Building names as people write them (issue 17 item 6).
  o = juwei_db("residents --building 十二号楼");
  EXPECT_NE(o.out.find("3 found"), std::string::npos) << o.out;
  o = juwei_db("residents --q 12-302");
  EXPECT_NE(o.out.find("1 found"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("李秀英"), std::string::npos) << o.out;
  o = juwei_db("residents --q 5栋101室");
  EXPECT_NE(o.out.find("陈静"), std::string::npos) << o.out;
  o = juwei_db("residents --building 99号楼");
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("no building named '99号楼'"), std::string::npos) << o.err;

  // The quoted note kept its comma and its line break.
  const std::string csv = exported();
  EXPECT_NE(csv.find("\"护士，仁济医院\r\n夜班\""), std::string::npos) << csv;
}

TEST_F(Cli, ImportsGbkAndBomFilesAsExcelWritesThem) {
  ASSERT_EQ(juwei_db("init").code, 0);
  const fs::path utf8 = write("utf8.csv", kRegister);
  const fs::path gbk = m_dir / "gbk.csv";
  const std::string iconv =
      "iconv -f UTF-8 -t GBK " + quote(utf8.string()) + " > " + quote(gbk.string());
  ASSERT_EQ(std::system(iconv.c_str()), 0);
  ASSERT_NE(slurp(gbk), slurp(utf8));

  Output o = juwei_db("import residents " + quote(gbk.string()));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("4 added"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("encoding gb18030"), std::string::npos) << o.out;
  o = juwei_db("residents --q 李秀英");
  EXPECT_NE(o.out.find("12号楼"), std::string::npos) << o.out;

  // The same register with a BOM is the same people: nothing changes.
  const fs::path bom = write("bom.csv", "\xEF\xBB\xBF" + kRegister);
  o = juwei_db("import residents " + quote(bom.string()));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("0 added, 0 updated, 4 unchanged"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("encoding utf-8-bom"), std::string::npos) << o.out;
}

TEST_F(Cli, ABrokenFileImportsNothingAndNamesEveryBadRow) {
  ASSERT_EQ(juwei_db("init").code, 0);
  const fs::path file = write("broken.csv",
                              "楼号,室号,姓名,身份证号,手机号,备注\n"
                              "12号楼,301,王丽,310109198802290022,13812345678,\n"  // 2: fine
                              "12号楼,302,张伟,310109198503071232,13912345678,\n"  // 3: check digit
                              ",303,李娜,11010519491231002X,,\n"                   // 4: no building
                              "12号楼,304,王丽,310109198802290022,,\n"       // 5: duplicate ID
                              "12号楼,305,赵强,310109199003071231,12345,\n"  // 6: phone
                              // 7-8: fine (a quoted newline, in a note: a name is one line)
                              "12号楼,306,钱多,310109199003070044,13812345678,\"一楼\n右手\"\n"
                              "12号楼,307,孙,310109199013011230,,\n");  // 9: birth date
  Output o = juwei_db("import residents " + quote(file.string()));
  EXPECT_EQ(o.code, 1);
  for (const char* expected :
       {"line 3, column 身份证号: 身份证号校验位错误（应为 3）", "line 4, column 楼号: 缺少楼号",
        "line 5, column 身份证号: 身份证号在本文件中重复出现", "line 6, column 手机号",
        "line 9, column 身份证号: 身份证号中的出生日期无效",
        "nothing imported: 5 rows have problems"}) {
    EXPECT_NE(o.err.find(expected), std::string::npos) << expected << "\n" << o.err;
  }
  EXPECT_EQ(count_lines(exported()), 1);  // the header only: nothing was imported

  // --skip-invalid imports the good rows and writes the rest, with reasons, to a file.
  const fs::path rejects = m_dir / "rejects.csv";
  o = juwei_db("import residents --skip-invalid --rejects " + quote(rejects.string()) + " " +
               quote(file.string()));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("2 added"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("5 rejected"), std::string::npos) << o.out;
  const std::string rejected = slurp(rejects);
  EXPECT_TRUE(rejected.starts_with("\xEF\xBB\xBF"));
  EXPECT_NE(rejected.find("身份证号：身份证号校验位错误"), std::string::npos) << rejected;
  EXPECT_EQ(count_lines(rejected), 6);  // header + 5 rows
}

TEST_F(Cli, ReimportAndDryRunChangeNothing) {
  ASSERT_EQ(juwei_db("init").code, 0);
  const fs::path file = write("register.csv", kRegister);
  ASSERT_EQ(juwei_db("import residents " + quote(file.string())).code, 0);
  const std::string before = exported();

  Output o = juwei_db("import residents " + quote(file.string()));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("0 added, 0 updated, 4 unchanged"), std::string::npos) << o.out;
  EXPECT_EQ(exported(), before);

  // A changed phone is an update; the dry run reports it and changes nothing.
  std::string changed = kRegister;
  changed.replace(changed.find("13912345678"), 11, "13700000000");
  const fs::path file2 = write("changed.csv", changed);
  o = juwei_db("import residents --dry-run " + quote(file2.string()));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("dry run, nothing changed; would import 4 rows: 0 added, 1 updated"),
            std::string::npos)
      << o.out;
  EXPECT_EQ(exported(), before);
  o = juwei_db("import residents " + quote(file2.string()));
  EXPECT_NE(o.out.find("1 updated"), std::string::npos) << o.out;
  EXPECT_NE(exported().find("13700000000"), std::string::npos);
}

TEST_F(Cli, ExportsInEveryEncodingAndReimportsUnchanged) {
  ASSERT_EQ(juwei_db("init").code, 0);
  ASSERT_EQ(juwei_db("import residents " + quote(write("r.csv", kRegister).string())).code, 0);
  const std::string utf8 = exported();
  EXPECT_TRUE(utf8.starts_with("楼号,室号,姓名,性别,出生日期,身份证号")) << utf8;

  const fs::path bom = m_dir / "bom.csv";
  ASSERT_EQ(juwei_db("export residents --encoding utf-8-bom --out " + quote(bom.string())).code, 0);
  EXPECT_TRUE(slurp(bom).starts_with("\xEF\xBB\xBF楼号"));
  EXPECT_NE(slurp(bom).find("\t310109198802290022"), std::string::npos);  // Excel keeps 18 digits

  const fs::path gbk = m_dir / "gbk.csv";
  ASSERT_EQ(juwei_db("export residents --encoding gbk --out " + quote(gbk.string())).code, 0);
  const fs::path back = m_dir / "back.csv";
  ASSERT_EQ(
      std::system(
          ("iconv -f GBK -t UTF-8 " + quote(gbk.string()) + " > " + quote(back.string())).c_str()),
      0);
  EXPECT_NE(slurp(back).find("李秀英"), std::string::npos);

  for (const fs::path& file : {bom, gbk}) {
    const Output o = juwei_db("import residents " + quote(file.string()));
    ASSERT_EQ(o.code, 0) << o.err;
    EXPECT_NE(o.out.find("0 added, 0 updated, 4 unchanged"), std::string::npos) << o.out;
  }
  EXPECT_EQ(exported(), utf8);
  EXPECT_EQ(juwei_db("export residents --encoding latin1").code, 1);
}

TEST_F(Cli, InitCreatesAnAdminAndUsersAreManaged) {
  Output o = juwei_db("init");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(std::regex_search(o.out, std::regex("admin +admin +[A-Za-z0-9_-]{16}\n"))) << o.out;
  const fs::path pw = write("pw", "a long passphrase\n");
  o = juwei_db("user add liumiao --role secretary --password-stdin < " + quote(pw.string()));
  ASSERT_EQ(o.code, 0) << o.err;
  o = juwei_db("user add liumiao --role staff --password-stdin < " + quote(pw.string()));
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("taken"), std::string::npos) << o.err;
  EXPECT_EQ(juwei_db("user add xiao1 --role king --password-stdin < " + quote(pw.string())).code,
            1);
  EXPECT_EQ(juwei_db("user add xiao1 --role staff").code, 1);  // no terminal, no --password-stdin
  const fs::path weak = write("weak", "short\n");
  o = juwei_db("user add xiao1 --role staff --password-stdin < " + quote(weak.string()));
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("at least 10"), std::string::npos) << o.err;
  ASSERT_EQ(juwei_db("user disable liumiao").code, 0);
  o = juwei_db("user list");
  EXPECT_TRUE(std::regex_search(o.out, std::regex("liumiao +secretary +书记 +disabled"))) << o.out;
  EXPECT_EQ(juwei_db("user passwd nobody --password-stdin < " + quote(pw.string())).code, 1);
}

TEST_F(Cli, ExitCodesAndHelp) {
  for (const char* cmd :
       {"--help", "init --help", "import residents --help", "export residents --help",
        "residents --help", "gen --help", "demo --help"}) {
    const Output o = juwei(cmd);
    EXPECT_EQ(o.code, 0) << cmd;
    EXPECT_NE(o.out.find("Usage"), std::string::npos) << cmd << o.out;
  }
  EXPECT_EQ(juwei("").code, 1);
  EXPECT_EQ(juwei("frobnicate").code, 1);
  EXPECT_EQ(juwei_db("residents --no-such-flag").code, 1);

  Output o = juwei_db("residents");
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("run `juwei init` first"), std::string::npos) << o.err;
  ASSERT_EQ(juwei_db("init").code, 0);
  o = juwei_db("import residents " + quote((m_dir / "missing.csv").string()));
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("missing.csv"), std::string::npos) << o.err;
  o = juwei_db("import residents " + quote(write("h.csv", "名字,电话\n王丽,1\n").string()));
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("lacks required columns"), std::string::npos) << o.err;

  const fs::path not_db = write("not.db", std::string(8192, 'x'));
  o = juwei("residents --db " + quote("sqlite:" + not_db.string()));
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_EQ(o.err.find('\n'), o.err.size() - 1) << "one line: " << o.err;
}

TEST_F(Cli, GenIsDeterministicAndDemoBuildsTheSeedCommunity) {
  const fs::path a = m_dir / "a.csv";
  const fs::path b = m_dir / "b.csv";
  ASSERT_EQ(juwei("gen --seed 7 --households 50 --residents 120 --volunteers 5 --csv " +
                  quote(a.string()))
                .code,
            0);
  ASSERT_EQ(juwei("gen --seed 7 --households 50 --residents 120 --volunteers 5 --csv " +
                  quote(b.string()))
                .code,
            0);
  EXPECT_EQ(slurp(a), slurp(b));
  EXPECT_EQ(count_lines(slurp(a)), 121);

  // The generated file is a valid register.
  ASSERT_EQ(juwei_db("init").code, 0);
  Output o = juwei_db("import residents " + quote(a.string()));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("120 added"), std::string::npos) << o.out;

  o = juwei_db("demo --no-serve");
  ASSERT_EQ(o.code, 0) << o.err;
  for (const char* expected :
       {"户数 households +1383\n", "居民 residents +3650\n", "志愿者 volunteers +160\n"}) {
    EXPECT_TRUE(std::regex_search(o.out, std::regex(expected))) << expected << "\n" << o.out;
  }
  o = juwei_db("demo --no-serve");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("already"), std::string::npos) << o.out;

  o = juwei_db("gen --communities 3 --households 20 --residents 50 --volunteers 2");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(juwei_db("residents").code, 1);  // several communities now: --community needed
}

// A process killed mid-import leaves the database as it was: the import is one transaction.
TEST_F(Cli, AKilledImportLeavesNothingHalfDone) {
  const fs::path big = m_dir / "big.csv";
  ASSERT_EQ(juwei("gen --households 40000 --residents 100000 --volunteers 100 --csv " +
                  quote(big.string()))
                .code,
            0);
  ASSERT_EQ(juwei_db("init").code, 0);
  const std::string db_path = m_db.substr(7);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl(JUWEI_BIN, JUWEI_BIN, "import", "residents", big.c_str(), "--db", m_db.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait until the import is writing (its WAL grows), then kill it without warning.
  const fs::path wal = db_path + "-wal";
  for (int i = 0; i < 400; ++i) {
    std::error_code ec;
    if (fs::file_size(wal, ec) > 1'000'000) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the import finished before it could be killed";

  const int lines = count_lines(exported());
  EXPECT_EQ(lines, 1) << "a killed import must leave no residents behind";
  // And the database is healthy: the same import now runs to the end.
  const Output o = juwei_db("import residents " + quote(big.string()));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("100000 added"), std::string::npos) << o.out;
}

TEST_F(Cli, ARoundFromSwabsToLabResultsToTheDoorKnockList) {
  ASSERT_EQ(juwei_db("init --community 春晖居民区").code, 0);
  ASSERT_EQ(juwei_db("import residents " + quote(write("register.csv", kRegister).string())).code,
            0);
  Output o = juwei_db("rounds create --day 2022-04-04 --building 12号楼");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("round 1 for 2022-04-04, the day's round 1 (1 buildings)"),
            std::string::npos)
      << o.out;
  // 王丽 (1) and 张伟 (2) in one pooled tube; 李秀英 (3) at home in a single tube.
  o = juwei_db("rounds sample 1 --tube P1 --resident 1 --resident 2");
  ASSERT_EQ(o.code, 0) << o.err;
  ASSERT_EQ(juwei_db("rounds sample 1 --tube S1 --single --at-home --resident 3").code, 0);
  o = juwei_db("rounds sample 1 --tube S1 --single --resident 2");
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("full"), std::string::npos) << o.err;
  o = juwei_db("rounds sample 1 --tube P9 --resident 4");  // 5号楼: not in this round
  EXPECT_EQ(o.code, 1);

  ASSERT_EQ(juwei_db("marks set 3 --mark home --reason 卧床").code, 0);
  o = juwei_db("rounds coverage 1");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("3 of 3 sampled"), std::string::npos) << o.out;
  // A second round for a day is made only when asked for (issue 17 item 2); its door-knock
  // list counts the day's first round: only 陈静 (5号楼) is left to swab.
  o = juwei_db("rounds create --day 2022-04-04");
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("screening.one_round_a_day"), std::string::npos) << o.err;
  o = juwei_db("rounds create --day 2022-04-04 --another");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("round 2 for 2022-04-04, the day's round 2 (the whole community)"),
            std::string::npos)
      << o.out;
  o = juwei_db("rounds door-knock 2");
  EXPECT_NE(o.out.find("陈静"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("王丽"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("1 residents not yet sampled"), std::string::npos) << o.out;
  o = juwei_db("rounds coverage 2");
  EXPECT_NE(o.out.find("3 of 4 sampled"), std::string::npos) << o.out;
  ASSERT_EQ(juwei_db("rounds create --day 2022-04-05").code, 0);
  ASSERT_EQ(juwei_db("marks set 4 --mark away --reason 住院").code, 0);
  o = juwei_db("rounds door-knock 3");  // everyone but the one in hospital
  EXPECT_NE(o.out.find("12号楼 3层: 王丽(301) 张伟(301) 李秀英(302)"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("3 residents not yet sampled"), std::string::npos) << o.out;

  // Results: one bad line refuses the file, naming it; fixed, it imports; re-sent, it changes
  // nothing; a different result is a conflict the secretary decides.
  const std::string header = "试管编码,结果,报告时间,检测机构\n";
  const std::string now = iso_now();  // the swabs were taken just now
  const fs::path bad =
      write("bad.csv", header + "P1,阴性," + now + ",华大\nS1,阳," + now + ",华大\n");
  o = juwei_db("import results " + quote(bad.string()));
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("line 3, column 结果"), std::string::npos) << o.err;
  const fs::path good =
      write("good.csv", header + "P1,阴性," + now + ",华大\nS1,阳性," + now + ",华大\n");
  o = juwei_db("import results " + quote(good.string()));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("2 rows: 2 added"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("suggest sealed"), std::string::npos) << o.out;
  o = juwei_db("import results " + quote(good.string()));
  EXPECT_NE(o.out.find("2 rows: 0 added, 2 unchanged"), std::string::npos) << o.out;
  o = juwei_db("import results " +
               quote(write("again.csv", header + "P1,阳性," + now + ",复核\n").string()));
  EXPECT_NE(o.out.find("1 conflicts kept for review"), std::string::npos) << o.out;
  o = juwei_db("results conflicts");
  EXPECT_NE(o.out.find("P1"), std::string::npos) << o.out;
  o = juwei_db("results resolve 1 --reject --reason 原结果为准");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("conflict 1 rejected: tube P1 is 阴性 negative"), std::string::npos)
      << o.out;

  o = juwei_db("tests history 3");
  EXPECT_NE(o.out.find("standing: 阳性 positive"), std::string::npos) << o.out;
  o = juwei_db("tests latest-negative 1 --counted-from reported");
  EXPECT_NE(o.out.find("tube P1"), std::string::npos) << o.out;
  o = juwei_db("tests latest-negative 1 --at '2022-04-04 17:00'");
  EXPECT_NE(o.out.find("none"), std::string::npos) << o.out;
  o = juwei_db("rounds positives 1");
  EXPECT_NE(o.out.find("S1"), std::string::npos) << o.out;
  o = juwei_db("home-sampling");
  EXPECT_NE(o.out.find("李秀英"), std::string::npos) << o.out;
}

// juwei zones (issue 17 item 11): a building's status from the command line, by its name as
// people write it, with the reason; the history keeps it.
TEST_F(Cli, ZonesListSetAndHistory) {
  ASSERT_EQ(juwei_db("init --community 春晖居民区").code, 0);
  ASSERT_EQ(juwei_db("import residents " + quote(write("register.csv", kRegister).string())).code,
            0);
  Output o = juwei_db("zones set 12 sealed --reason 出现阳性病例");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("12号楼: 封控区 sealed"), std::string::npos) << o.out;
  o = juwei_db("zones list");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("封控区 sealed"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("出现阳性病例"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("5号楼"), std::string::npos) << o.out;
  o = juwei_db("zones set 十二号楼 sealed --reason 再次");
  EXPECT_EQ(o.code, 1) << o.out;  // the status it has already
  o = juwei_db("zones set 5 closed --reason x");
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("sealed, controlled or precaution"), std::string::npos) << o.err;
  o = juwei_db("zones history 12号楼");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("zone.manual"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("出现阳性病例"), std::string::npos) << o.out;
}

// Exit passes at the desk. The policy in force has a version; a broken policy names its key.
TEST_F(Cli, PolicyShowSetAndHistory) {
  ASSERT_EQ(juwei_db("init").code, 0);
  Output o = juwei_db("policy show");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("# policy version 2022-04-01.1 (the built-in default)"), std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("[reasons.childbirth]"), std::string::npos) << o.out;

  const std::string policy = R"(version = "cli.1"
test_age_from = "sampled"
pledge_template = "本人{name}因{reason}前往{destination}。"

[household]
quota = 1
period_days = 1
slots = []
valid_days = 3

[reasons.childbirth]
label_zh = "分娩"
label_en = "Childbirth"
emergency = true
rules = ["exit.needs_pledge"]
pass_valid_hours = 6
return_required = true
paperwork_within_hours = 24
)";
  std::string broken = policy;
  broken.replace(broken.find("quota = 1"), 9, "quota = 0");
  broken.replace(broken.find("pass_valid_hours"), 16, "pass_valid_hourz");
  o = juwei_db("policy set " + quote(write("broken.toml", broken).string()));
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("household.quota: "), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("reasons.childbirth.pass_valid_hourz: "), std::string::npos) << o.err;
  EXPECT_NE(juwei_db("policy show").out.find("2022-04-01.1"), std::string::npos);

  o = juwei_db("policy set " + quote(write("policy.toml", policy).string()));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("policy version cli.1 in force"), std::string::npos) << o.out;
  o = juwei_db("policy show");
  EXPECT_NE(o.out.find("# policy version cli.1 (set "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("pass_valid_hours = 6"), std::string::npos) << o.out;
  o = juwei_db("policy history");
  EXPECT_TRUE(std::regex_search(o.out, std::regex("1 +cli\\.1 "))) << o.out;
}

// The token `passes emergency` and `requests approve` print.
std::string token_in(const std::string& out) {
  std::smatch m;
  return std::regex_search(out, m, std::regex("token: (JW1\\.[A-Za-z0-9_-]+)")) ? m[1].str() : "";
}

// 绿色通道: released at once; the gate lets the holder out until the pass is revoked.
TEST_F(Cli, AnEmergencyPassVerifiesUntilRevoked) {
  ASSERT_EQ(juwei_db("init").code, 0);
  ASSERT_EQ(juwei_db("import residents " + quote(write("register.csv", kRegister).string())).code,
            0);
  // 陈静 (4), 5号楼 101, 孕妇.
  Output o = juwei_db(
      "passes emergency --resident 4 --reason childbirth --destination 一妇婴 "
      "--note 凌晨破水");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("pass 1\n"), std::string::npos) << o.out;
  const std::string token = token_in(o.out);
  ASSERT_FALSE(token.empty()) << o.out;

  o = juwei_db("passes verify " + token);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("放行 (valid): 陈静 3101**********0044 5号楼 101"), std::string::npos)
      << o.out;
  o = juwei_db("passes verify JW1.nonsense");
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.out.find("禁止"), std::string::npos) << o.out;

  o = juwei_db("passes show 1");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("状态 state: 可出门 valid"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("补材料 paperwork due"), std::string::npos) << o.out;

  // She leaves from the desk and is not out twice; the desk records her return with a reason
  // (rules gate.one_open_exit, gate.register_every_exit).
  ASSERT_EQ(juwei_db("passes exit 1").code, 0);
  o = juwei_db("passes exit 1");
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("gate.already_out"), std::string::npos) << o.err;
  EXPECT_NE(juwei_db("passes return 1").code, 0);  // --reason is required
  o = juwei_db("passes return 1 --reason 医院转运回家");
  ASSERT_EQ(o.code, 0) << o.err;
  o = juwei_db("gate log");
  EXPECT_NE(o.out.find("gate.out"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("居委登记：医院转运回家"), std::string::npos) << o.out;

  const fs::path pdf = m_dir / "pass.pdf";
  o = juwei_db("passes pdf 1 --out " + quote(pdf.string()));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(slurp(pdf).starts_with("%PDF")) << slurp(pdf).substr(0, 16);
  const fs::path svg = m_dir / "pass.svg";
  ASSERT_EQ(juwei_db("passes qr 1 --format svg --out " + quote(svg.string())).code, 0);
  EXPECT_NE(slurp(svg).find("<svg"), std::string::npos);

  o = juwei_db("passes revoke 1 --reason 家属来电取消");
  ASSERT_EQ(o.code, 0) << o.err;
  o = juwei_db("passes verify " + token);
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.out.find("禁止 (refused): 出入证已撤销 pass.revoked"), std::string::npos) << o.out;
  EXPECT_NE(o.err.find("pass.revoked"), std::string::npos) << o.err;
  EXPECT_EQ(juwei_db("passes revoke 1 --reason again").code, 1);  // revoked already
}

// A request filed after a call: the decision aid says what is missing, by rule id.
TEST_F(Cli, ARequestShowsItsDecisionAid) {
  ASSERT_EQ(juwei_db("init").code, 0);
  ASSERT_EQ(juwei_db("import residents " + quote(write("register.csv", kRegister).string())).code,
            0);
  // 王丽 (1), a nurse; she has no test on record.
  Output o = juwei_db(
      "requests file --resident 1 --reason medical_staff_return --destination 仁济医院 "
      "--exit '2030-04-05 07:00' --return '2030-04-05 20:00' --note 夜班");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("request 1 filed for resident 1"), std::string::npos) << o.out;

  o = juwei_db("requests show 1");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(std::regex_search(o.out, std::regex("exit\\.needs_negative_within +缺 "))) << o.out;
  EXPECT_TRUE(std::regex_search(o.out, std::regex("exit\\.return_planned +满足 "))) << o.out;
  EXPECT_NE(o.out.find("不可放行 not eligible"), std::string::npos) << o.out;

  o = juwei_db("requests list --status open");
  EXPECT_NE(o.out.find("王丽"), std::string::npos) << o.out;
  o = juwei_db("requests approve 1");  // rules unmet: refused without an override
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("exit.needs_negative_within"), std::string::npos) << o.err;
  o = juwei_db("requests approve 1 --override --reason 医院急需");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("request 1 approved (override)"), std::string::npos) << o.out;
  EXPECT_FALSE(token_in(o.out).empty()) << o.out;
  EXPECT_EQ(juwei_db("requests deny 1 --reason late").code, 1);  // decided already

  o = juwei_db("requests file --resident 1 --reason picnic --destination 公园 --exit tomorrow");
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.err.find("reason: "), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("planned_exit: "), std::string::npos) << o.err;
}

// A gate without the network: the bundle written once, checks verified on it alone (no
// database) and queued, then synced; the second gate's use of the same pass is a conflict.
TEST_F(Cli, AnOfflineGateVerifiesOnItsBundleAndSyncsItsQueue) {
  ASSERT_EQ(juwei_db("init").code, 0);
  ASSERT_EQ(juwei_db("import residents " + quote(write("register.csv", kRegister).string())).code,
            0);
  Output o = juwei_db(
      "passes emergency --resident 4 --reason childbirth --destination 一妇婴 --note 临产");
  ASSERT_EQ(o.code, 0) << o.err;
  const std::string token = token_in(o.out);
  const fs::path bundle = m_dir / "bundle.json";
  o = juwei_db("gate bundle --out " + quote(bundle.string()));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(slurp(bundle).find("\"passes\""), std::string::npos);

  // Offline: the bundle alone; the queue remembers the first exit.
  const fs::path offline = m_dir / "gate-east";
  fs::create_directories(offline);
  const std::string east = quote((offline / "queue.jsonl").string());
  const std::string verify =
      std::string(JUWEI_BIN) + " gate verify " + token + " --bundle " + quote(bundle.string());
  o = juwei::testing::run_shell(verify + " --queue " + east, offline);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("放行"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("陈静 3101**********0044"), std::string::npos) << o.out;
  o = juwei::testing::run_shell(verify + " --queue " + east, offline);
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.out.find("gate.already_out"), std::string::npos) << o.out;
  EXPECT_EQ(count_lines(slurp(offline / "queue.jsonl")), 2);
  // The west gate knows nothing of it.
  const std::string west = quote((offline / "west.jsonl").string());
  EXPECT_EQ(juwei::testing::run_shell(verify + " --queue " + west, offline).code, 0);
  EXPECT_FALSE(fs::exists(offline / "juwei-data")) << "the offline check opened a database";
  o = juwei("gate verify JW1.nonsense --bundle " + quote(bundle.string()));
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.out.find("pass.malformed"), std::string::npos) << o.out;
  o = juwei("gate verify " + token + " --bundle " + quote(write("bad.json", "{}").string()));
  EXPECT_EQ(o.code, 1) << o.out;
  EXPECT_NE(o.err.find("community_id is missing"), std::string::npos) << o.err;

  // Back online: east first, then west, whose exit is the conflict; east again changes nothing.
  o = juwei_db("gate sync " + east + " --device east");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("synced 2 checks: 2 new, 0 synced before, 0 conflicts"), std::string::npos)
      << o.out;
  o = juwei_db("gate sync " + west + " --device west");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("1 conflicts"), std::string::npos) << o.out;
  o = juwei_db("gate sync " + east + " --device east");
  EXPECT_NE(o.out.find("0 new, 2 synced before"), std::string::npos) << o.out;
  o = juwei_db("gate log --conflicts");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(count_lines(o.out), 1) << o.out;
  EXPECT_NE(o.out.find("离线 west  冲突 pass.used"), std::string::npos) << o.out;
  o = juwei_db("gate log --state out_now");
  EXPECT_EQ(count_lines(o.out), 1) << o.out;
  EXPECT_NE(o.out.find("离线 east"), std::string::npos) << o.out;
  // Online, the pass is now used.
  EXPECT_EQ(juwei_db("gate verify " + token).code, 1);
}

// The audit trail over the command line: intact after the gate's work; an edit made directly
// in SQLite is named by its record.
TEST_F(Cli, TheGateLogsEveryCheckAndAuditVerifyNamesAnEditedRecord) {
  ASSERT_EQ(juwei_db("init").code, 0);
  ASSERT_EQ(juwei_db("import residents " + quote(write("register.csv", kRegister).string())).code,
            0);
  Output o = juwei_db(
      "passes emergency --resident 4 --reason childbirth --destination 一妇婴 --note 临产");
  ASSERT_EQ(o.code, 0) << o.err;
  const std::string token = token_in(o.out);
  o = juwei_db("gate check out --token " + token);
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("放行"), std::string::npos) << o.out;
  o = juwei_db("gate check out --token " + token);
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.out.find("gate.already_out"), std::string::npos) << o.out;
  EXPECT_EQ(juwei_db("gate check in --token " + token).code, 0);
  o = juwei_db("gate log");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("gate.out"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("gate.in"), std::string::npos) << o.out;
  // Names, not ids (issue 17 item 7); today's times without the year, the file's with it.
  // The pass by its short code (issue 17 item 5), as printed under its QR code.
  EXPECT_TRUE(std::regex_search(
      o.out, std::regex("陈静（5号楼101室，3101\\*{10}0044）  出入证（绿色通道） "
                        "[0-9A-Z]{4}-[0-9A-Z]{4}：陈静，分娩")))
      << o.out;
  EXPECT_TRUE(std::regex_search(o.out, std::regex("^\\d\\d-\\d\\d \\d\\d:\\d\\d  出  放行")))
      << o.out;
  const fs::path csv = m_dir / "log.csv";
  ASSERT_EQ(juwei_db("gate log --csv " + quote(csv.string())).code, 0);
  const std::string file = slurp(csv);
  EXPECT_NE(file.find("禁止"), std::string::npos);
  EXPECT_TRUE(std::regex_search(
      file,
      std::regex("\n\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d,出,放行,gate\\.out,[^,]*,出入证（绿色通道） "
                 "[0-9A-Z]{4}-[0-9A-Z]{4}：陈静，分娩,陈静（5号楼101室，3101\\*{10}0044）,5号楼,")))
      << file;

  o = juwei_db("audit verify");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("完好 (intact): 8 records"), std::string::npos) << o.out;
  const std::string db_path = m_db.substr(7);
  ASSERT_EQ(std::system(
                ("sqlite3 " + quote(db_path) + " \"UPDATE audit_log SET actor = 42 WHERE seq = 2\"")
                    .c_str()),
            0);
  o = juwei_db("audit verify");
  EXPECT_EQ(o.code, 1);
  EXPECT_NE(o.out.find("at record 2: record 2 was edited"), std::string::npos) << o.out;
}

// One program and a folder: `serve` answers the app's routes with the web app's index.html
// beside the API, finds the folder through --web or $JUWEI_WEB, says which it serves, and
// refuses a --web folder that is not there.
TEST_F(Cli, ServeServesTheWebAppBesideTheApi) {
  ASSERT_EQ(juwei_db("init").code, 0);
  const fs::path web = m_dir / "web";
  fs::create_directories(web);
  const std::string index = "<!doctype html><title>居委</title>";
  write("web/index.html", index);
  {
    juwei::testing::ServerProcess server(JUWEI_BIN, m_db, {"--web", web.string()}, true);
    Output o = juwei::testing::run_shell(
        "curl -s " + quote(server.base_url() + "/desk/requests/12"), m_dir);
    EXPECT_EQ(o.out, index);
    o = juwei::testing::run_shell(
        "curl -s -o /dev/null -w '%{http_code}' " + quote(server.base_url() + "/api/v1/me"), m_dir);
    EXPECT_EQ(o.out, "401");
  }

  // Stopped by timeout's SIGTERM after a second.
  const std::string serve =
      std::string(JUWEI_BIN) + " serve --listen 127.0.0.1:0 --db " + quote(m_db);
  Output o =
      juwei::testing::run_shell("JUWEI_WEB=" + quote(web.string()) + " timeout 1 " + serve, m_dir);
  EXPECT_NE(o.out.find("web app: " + web.string() + " (1 file, 1 KiB)\n"), std::string::npos)
      << o.out;

  const std::string missing = (m_dir / "missing").string();
  o = juwei_db("serve --listen 127.0.0.1:0 --web " + quote(missing));
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.err, "juwei: --web " + missing + ": no such folder\n");
  EXPECT_EQ(o.out, "");
}

}  // namespace
