#include "text/csv.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "text/testing.hpp"

namespace juwei::text {
namespace {

using test::ChunkedReader;
using test::kChunkSizes;

struct Row {
  std::vector<std::string> fields;
  std::size_t line;
  bool operator==(const Row&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Row& row) {
  out << "{line " << row.line << ":";
  for (const std::string& f : row.fields)
    out << " [" << f << "]";
  return out << "}";
}

std::vector<Row> parse(Reader& source) {
  CsvReader reader(source);
  CsvRecord record;
  std::vector<Row> rows;
  while (reader.next(record))
    rows.push_back({record.fields, record.line});
  return rows;
}

std::vector<Row> parse(std::string_view csv, std::size_t chunk) {
  ChunkedReader source(csv, chunk);
  return parse(source);
}

TEST(CsvReader, ParsesRfc4180AndExcelCsvAtEveryChunkBoundary) {
  const struct {
    std::string_view name;
    std::string_view csv;
    std::vector<Row> expected;
  } cases[] = {
      {"lf", "a,b,c\n1,2,3\n", {{{"a", "b", "c"}, 1}, {{"1", "2", "3"}, 2}}},
      {"crlf", "a,b\r\n1,2\r\n", {{{"a", "b"}, 1}, {{"1", "2"}, 2}}},
      {"cr", "a,b\r1,2\r", {{{"a", "b"}, 1}, {{"1", "2"}, 2}}},
      {"no_final_newline", "a,b\n1,2", {{{"a", "b"}, 1}, {{"1", "2"}, 2}}},
      {"empty_input", "", {}},
      {"only_blank_lines", "\n\r\n\r\n", {}},
      {"blank_lines_skipped", "\n\na\r\n\r\n\rb\n\n", {{{"a"}, 3}, {{"b"}, 6}}},
      {"empty_fields", ",,\n", {{{"", "", ""}, 1}}},
      {"trailing_comma_at_eof", "a,", {{{"a", ""}, 1}}},
      {"quoted_comma", "\"a,b\",c\n", {{{"a,b", "c"}, 1}}},
      {"doubled_quotes", "\"say \"\"hi\"\"\",\"\"\"\"\n", {{{"say \"hi\"", "\""}, 1}}},
      {"empty_quoted", "\"\",\"\"\n\"\"", {{{"", ""}, 1}, {{""}, 2}}},
      {"quoted_lf", "\"a\nb\",c\nd\n", {{{"a\nb", "c"}, 1}, {{"d"}, 3}}},
      {"quoted_crlf", "\"a\r\nb\r\n\",c\r\nd\r\n", {{{"a\r\nb\r\n", "c"}, 1}, {{"d"}, 4}}},
      {"quoted_cr", "\"a\rb\"\rd", {{{"a\rb"}, 1}, {{"d"}, 3}}},
      {"quoted_at_eof", "a,\"b\"", {{{"a", "b"}, 1}}},
      {"stray_quote_kept", "ab\"c,d\"\"e\n", {{{"ab\"c", "d\"\"e"}, 1}}},
      {"text_after_closing_quote", "\"ab\"c,d\n", {{{"abc", "d"}, 1}}},
      {"spaces_kept", " a , \"b\" \n", {{{" a ", " \"b\" "}, 1}}},
      {"chinese",
       "姓名,身份证号\r\n张三,11010519491231002X\r\n",
       {{{"姓名", "身份证号"}, 1}, {{"张三", "11010519491231002X"}, 2}}},
      {"ragged_rows", "a,b,c\nd\ne,f\n", {{{"a", "b", "c"}, 1}, {{"d"}, 2}, {{"e", "f"}, 3}}},
  };
  for (const auto& c : cases) {
    for (const std::size_t chunk : kChunkSizes) {
      EXPECT_EQ(parse(c.csv, chunk), c.expected) << c.name << " in chunks of " << chunk;
    }
  }
}

TEST(CsvReader, UnterminatedQuoteFailsAtTheLineItOpens) {
  const struct {
    std::string_view name;
    std::string_view csv;
    std::size_t line;
  } cases[] = {
      {"lone_quote", "\"", 1},
      {"second_record", "a,b\n\"abc\nd", 2},
      {"second_field", "x\n\ny,\"z\n\n", 3},
      {"after_multiline_field", "\"a\nb\"\n\"c", 3},
      {"quote_then_doubled", "\"ab\"\"", 1},
  };
  for (const auto& c : cases) {
    for (const std::size_t chunk : kChunkSizes) {
      ChunkedReader source(c.csv, chunk);
      CsvReader reader(source);
      CsvRecord record;
      try {
        while (reader.next(record)) {
        }
        ADD_FAILURE() << c.name << ": expected CsvError";
      } catch (const CsvError& e) {
        EXPECT_EQ(e.line(), c.line) << c.name << " in chunks of " << chunk;
        EXPECT_NE(std::string(e.what()).find("line " + std::to_string(c.line)), std::string::npos);
      }
    }
  }
}

TEST(CsvReader, RejectsARecordOverTheLimit) {
  std::string csv = "a,b\n\"";
  csv.append(300'000, 'x');
  csv += "\"\n";
  StringReader source(csv);
  CsvReader reader(source, 100'000);
  CsvRecord record;
  ASSERT_TRUE(reader.next(record));
  try {
    reader.next(record);
    FAIL() << "expected CsvError";
  } catch (const CsvError& e) {
    EXPECT_EQ(e.line(), 2u);
  }
}

TEST(CsvReader, ReusesFieldStorage) {
  const std::string long_value(100, 'x');  // beyond the small-string buffer
  const std::string csv = long_value + "," + long_value + "\n" + "y,z\n" + long_value + "\n";
  StringReader source(csv);
  CsvReader reader(source);
  CsvRecord record;
  ASSERT_TRUE(reader.next(record));
  const char* first = record.fields[0].data();
  ASSERT_TRUE(reader.next(record));
  EXPECT_EQ(record.fields, (std::vector<std::string>{"y", "z"}));
  EXPECT_EQ(record.fields[0].data(), first);
  ASSERT_TRUE(reader.next(record));
  EXPECT_EQ(record.fields, std::vector<std::string>{long_value});
  EXPECT_EQ(record.fields[0].data(), first);
  EXPECT_FALSE(reader.next(record));
  EXPECT_EQ(record.fields, std::vector<std::string>{long_value}) << "end leaves out unchanged";
  EXPECT_FALSE(reader.next(record)) << "end is sticky";
}

TEST(CsvReader, ReadsGb18030ThroughDecodingReader) {
  const std::string_view gb =
      "\xD0\xD5\xC3\xFB,\xC9\xED\xB7\xDD\xD6\xA4\xBA\xC5\r\n"
      "\xD5\xC5\xC8\xFD,11010519491231002X\r\n";
  for (const std::size_t chunk : kChunkSizes) {
    ChunkedReader raw(gb, chunk);
    DecodingReader decoded(raw, Encoding::gb18030);
    EXPECT_EQ(parse(decoded),
              (std::vector<Row>{{{"姓名", "身份证号"}, 1}, {{"张三", "11010519491231002X"}, 2}}))
        << "chunks of " << chunk;
  }
}

TEST(Trim, StripsAsciiAndWideSpacesAtBothEnds) {
  const struct {
    std::string_view input;
    std::string_view expected;
  } cases[] = {
      {"", ""},
      {"张三", "张三"},
      {"  张三\t", "张三"},
      {"\u3000张三\u3000\u3000", "张三"},
      {"\u00A0张 三\u00A0", "张 三"},
      {"\xEF\xBB\xBF"
       "姓名",
       "姓名"},
      {" \u3000\r\n\u00A0\xEF\xBB\xBF", ""},
      {"a\u3000b", "a\u3000b"},
      {"\u3000", ""},
      {"\xE3\x80", "\xE3\x80"},  // half an ideographic space is not a space
  };
  for (const auto& c : cases)
    EXPECT_EQ(trim(c.input), c.expected) << c.input;
}

std::string write_rows(const std::vector<std::vector<std::string_view>>& rows,
                       Encoding encoding = Encoding::utf8) {
  std::ostringstream out;
  EncodingWriter encoder(out, encoding);
  CsvWriter writer(encoder);
  for (const auto& row : rows)
    writer.write_row(row);
  encoder.finish();
  return out.str();
}

TEST(CsvWriter, QuotesOnlyWhenNeeded) {
  const struct {
    std::vector<std::string_view> fields;
    std::string_view expected;
  } cases[] = {
      {{"a", "b"}, "a,b\r\n"},
      {{"张三", " spaced "}, "张三, spaced \r\n"},
      {{"a,b"}, "\"a,b\"\r\n"},
      {{"say \"hi\""}, "\"say \"\"hi\"\"\"\r\n"},
      {{"two\nlines", "cr\r"}, "\"two\nlines\",\"cr\r\"\r\n"},
      {{"", ""}, ",\r\n"},
      {{""}, "\"\"\r\n"},
      {{}, "\r\n"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(write_rows({c.fields}), c.expected) << c.expected;
}

TEST(CsvWriter, AcceptsStringsAndBracedLists) {
  std::ostringstream out;
  EncodingWriter encoder(out, Encoding::utf8);
  CsvWriter writer(encoder);
  writer.write_row({"姓名", "身份证号"});
  const std::vector<std::string> row = {"张三", "11010519491231002X"};
  writer.write_row(row);
  EXPECT_EQ(out.str(), "姓名,身份证号\r\n张三,11010519491231002X\r\n");
}

TEST(CsvWriter, RoundTripsThroughCsvReaderInEveryEncoding) {
  const std::vector<std::vector<std::string_view>> rows = {
      {"姓名", "身份证号", "住址", "备注"},
      {"张三", "11010519491231002X", "朝阳区\u3000幸福里 3-2-501", "独居, 需\"每日\"探访"},
      {"李四", "", "多行\r\n地址\n第三行", ""},
      {""},
      {"😀", "\xEF\xBB\xBF", " ", ","},
  };
  std::vector<Row> expected;
  std::size_t line = 1;
  for (const auto& row : rows) {
    expected.push_back({std::vector<std::string>(row.begin(), row.end()), line});
    line += 1;
    for (const std::string_view field : row) {
      for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\n' && (i == 0 || field[i - 1] != '\r')) ++line;
        if (field[i] == '\r') ++line;
      }
    }
  }
  for (const Encoding encoding : {Encoding::utf8, Encoding::utf8_bom, Encoding::gb18030}) {
    const std::string bytes = write_rows(rows, encoding);
    for (const std::size_t chunk : kChunkSizes) {
      ChunkedReader raw(bytes, chunk);
      DecodingReader decoded(raw, encoding);
      EXPECT_EQ(parse(decoded), expected) << encoding_name(encoding) << " in chunks of " << chunk;
    }
  }
}

}  // namespace
}  // namespace juwei::text
