#include "text/encoding.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "text/testing.hpp"

namespace juwei::text {
namespace {

using test::ChunkedReader;
using test::kChunkSizes;

constexpr std::string_view kSample = "姓名,身份证号\r\n张三,11010519491231002X\r\n";
// kSample in GB18030, as Excel on Chinese Windows saves it.
constexpr std::string_view kSampleGb =
    "\xD0\xD5\xC3\xFB,\xC9\xED\xB7\xDD\xD6\xA4\xBA\xC5\r\n"
    "\xD5\xC5\xC8\xFD,11010519491231002X\r\n";

std::string read_all(Reader& reader) {
  std::string result;
  char buf[4096];
  while (const std::size_t n = reader.read(buf, sizeof buf))
    result.append(buf, n);
  return result;
}

std::string decode(std::string_view bytes, Encoding encoding, std::size_t chunk) {
  ChunkedReader source(bytes, chunk);
  DecodingReader reader(source, encoding);
  return read_all(reader);
}

std::string encode(std::string_view utf8, Encoding encoding) {
  std::ostringstream out;
  EncodingWriter writer(out, encoding);
  writer.write(utf8);
  writer.finish();
  return out.str();
}

TEST(Encoding, ParsesNamesCaseInsensitively) {
  const struct {
    std::string_view name;
    std::optional<Encoding> expected;
  } cases[] = {
      {"utf-8", Encoding::utf8},         {"UTF-8", Encoding::utf8},
      {"utf8", Encoding::utf8},          {"utf-8-bom", Encoding::utf8_bom},
      {"UTF-8-BOM", Encoding::utf8_bom}, {"gb18030", Encoding::gb18030},
      {"GBK", Encoding::gb18030},        {"gb2312", Encoding::gb18030},
      {"latin1", std::nullopt},          {"", std::nullopt},
      {"utf-8 ", std::nullopt},
  };
  for (const auto& c : cases)
    EXPECT_EQ(parse_encoding(c.name), c.expected) << c.name;
}

TEST(Encoding, NamesParseBack) {
  for (const Encoding e : {Encoding::utf8, Encoding::utf8_bom, Encoding::gb18030}) {
    EXPECT_EQ(parse_encoding(encoding_name(e)), e) << encoding_name(e);
  }
}

// Strict UTF-8 per RFC 3629 section 4; offset is where the first bad sequence starts.
struct Utf8Case {
  std::string_view name;
  std::string_view bytes;
  bool valid;
  std::uint64_t error_offset;
};
constexpr Utf8Case kUtf8Cases[] = {
    {"empty", "", true, 0},
    {"ascii", "11010519491231002X,13800138000", true, 0},
    {"chinese", "张三,朝阳区", true, 0},
    {"two_byte", "\xC2\xA0\xDF\xBF", true, 0},
    {"four_byte_emoji", "a\xF0\x9F\x98\x80", true, 0},
    {"max_code_point", "\xF4\x8F\xBF\xBF", true, 0},
    {"last_before_surrogates", "\xED\x9F\xBF", true, 0},
    {"first_after_surrogates", "\xEE\x80\x80", true, 0},
    {"overlong_two_byte", "ab\xC0\x80", false, 2},
    {"overlong_c1", "\xC1\xBF", false, 0},
    {"overlong_three_byte", "a\xE0\x80\x80", false, 1},
    {"overlong_four_byte", "\xF0\x80\x80\x80", false, 0},
    {"surrogate", "张\xED\xA0\x80", false, 3},
    {"above_max", "\xF4\x90\x80\x80", false, 0},
    {"f5_lead", "\xF5\x80\x80\x80", false, 0},
    {"ff", "abc\xFF", false, 3},
    {"stray_continuation", "abcdefghij\x80", false, 10},
    {"missing_continuation",
     "\xE5\xBC"
     "a",
     false, 0},
    {"truncated_at_end", "张\xE4\xB8", false, 3},
    {"gbk_bytes", "\xD5\xC5\xC8\xFD", false, 0},
};

TEST(Utf8, ValidatesWholeStrings) {
  for (const Utf8Case& c : kUtf8Cases)
    EXPECT_EQ(is_valid_utf8(c.bytes), c.valid) << c.name;
}

TEST(Utf8, ValidatorGivesTheSameAnswerAtEverySplit) {
  for (const Utf8Case& c : kUtf8Cases) {
    for (std::size_t split = 0; split <= c.bytes.size(); ++split) {
      Utf8Validator validator;
      const bool valid = validator.feed(c.bytes.substr(0, split)) &&
                         validator.feed(c.bytes.substr(split)) && validator.finish();
      EXPECT_EQ(valid, c.valid) << c.name << " split at " << split;
      if (!valid) {
        EXPECT_EQ(validator.error_offset(), c.error_offset) << c.name << " split at " << split;
      }
    }
  }
}

TEST(DetectEncoding, TellsTheThreeEncodingsApart) {
  const struct {
    std::string_view name;
    std::string_view bytes;
    Encoding expected;
  } cases[] = {
      {"bom", "\xEF\xBB\xBF姓名\r\n", Encoding::utf8_bom},
      {"bom_then_invalid", "\xEF\xBB\xBF\xFF", Encoding::utf8_bom},
      {"bom_only", "\xEF\xBB\xBF", Encoding::utf8_bom},
      {"utf8", kSample, Encoding::utf8},
      {"ascii", "name,id\r\n", Encoding::utf8},
      {"empty", "", Encoding::utf8},
      {"bom_prefix_only", "\xEF\xBB", Encoding::gb18030},
      {"gb18030", kSampleGb, Encoding::gb18030},
      {"gb18030_after_long_ascii", std::string_view("abcdefghijklmnopqrstuvwxyz\xD5\xC5"),
       Encoding::gb18030},
  };
  for (const auto& c : cases) {
    for (const std::size_t chunk : kChunkSizes) {
      ChunkedReader source(c.bytes, chunk);
      EXPECT_EQ(detect_encoding(source), c.expected) << c.name << " in chunks of " << chunk;
    }
  }
}

TEST(DecodingReader, StripsALeadingBomOnly) {
  const struct {
    std::string_view name;
    std::string_view bytes;
    std::string_view expected;
  } cases[] = {
      {"bom",
       "\xEF\xBB\xBF"
       "a,b\n",
       "a,b\n"},
      {"no_bom", "a,b\n", "a,b\n"},
      {"bom_only", "\xEF\xBB\xBF", ""},
      {"short", "a", "a"},
      {"bom_inside_kept", "a\xEF\xBB\xBF", "a\xEF\xBB\xBF"},
      {"double_bom_keeps_second", "\xEF\xBB\xBF\xEF\xBB\xBF", "\xEF\xBB\xBF"},
  };
  for (const auto& c : cases) {
    for (const Encoding encoding : {Encoding::utf8, Encoding::utf8_bom}) {
      for (const std::size_t chunk : kChunkSizes) {
        EXPECT_EQ(decode(c.bytes, encoding, chunk), c.expected)
            << c.name << " as " << encoding_name(encoding) << " in chunks of " << chunk;
      }
    }
  }
}

TEST(DecodingReader, RejectsInvalidUtf8WithItsOffset) {
  for (const Utf8Case& c : kUtf8Cases) {
    if (c.valid) continue;
    for (const std::size_t chunk : kChunkSizes) {
      try {
        decode(c.bytes, Encoding::utf8, chunk);
        ADD_FAILURE() << c.name << ": expected EncodingError";
      } catch (const EncodingError& e) {
        EXPECT_EQ(e.offset(), c.error_offset) << c.name << " in chunks of " << chunk;
        EXPECT_NE(std::string(e.what()).find(std::to_string(c.error_offset)), std::string::npos);
      }
    }
  }
}

TEST(DecodingReader, ErrorOffsetCountsTheBom) {
  try {
    decode(
        "\xEF\xBB\xBF"
        "ab\xFF",
        Encoding::utf8_bom, 1);
    FAIL() << "expected EncodingError";
  } catch (const EncodingError& e) {
    EXPECT_EQ(e.offset(), 5u);
  }
}

TEST(DecodingReader, DecodesGb18030AtEveryChunkBoundary) {
  const struct {
    std::string_view name;
    std::string_view bytes;
    std::string_view expected;
  } cases[] = {
      {"sample", kSampleGb, kSample},
      {"four_byte_emoji", "a\x94\x39\xFC\x36z", "a😀z"},
      {"euro", "\xA2\xE3", "€"},
      {"ideographic_space", "\xA1\xA1", "\u3000"},
      {"ascii", "plain,ascii\n", "plain,ascii\n"},
      {"bom_stripped",
       "\x84\x31\x95\x33"
       "ab",
       "ab"},
      {"bom_only", "\x84\x31\x95\x33", ""},
      {"bom_inside_kept", "a\x84\x31\x95\x33", "a\xEF\xBB\xBF"},
      {"empty", "", ""},
  };
  for (const auto& c : cases) {
    for (const std::size_t chunk : kChunkSizes) {
      EXPECT_EQ(decode(c.bytes, Encoding::gb18030, chunk), c.expected)
          << c.name << " in chunks of " << chunk;
    }
  }
}

TEST(DecodingReader, DecodesGb18030LargerThanItsBuffers) {
  std::string utf8;
  while (utf8.size() < 300'000)
    utf8 += kSample;
  const std::string gb = encode(utf8, Encoding::gb18030);
  for (const std::size_t chunk : {std::size_t{4093}, std::size_t{1} << 20}) {
    EXPECT_EQ(decode(gb, Encoding::gb18030, chunk), utf8) << "chunks of " << chunk;
  }
}

TEST(DecodingReader, RejectsInvalidGb18030WithItsOffset) {
  const struct {
    std::string_view name;
    std::string_view bytes;
    std::uint64_t offset;
  } cases[] = {
      {"ff_lead", "ab\xFF", 2},
      {"lone_80", "\xD5\xC5\x80", 2},
      {"bad_trail", "\xD5\xC5\xD5\x7F", 2},
      {"truncated_two_byte", "ab\xD5", 2},
      {"truncated_four_byte", "\xD5\xC5\x94\x39\xFC", 2},
  };
  for (const auto& c : cases) {
    for (const std::size_t chunk : kChunkSizes) {
      try {
        decode(c.bytes, Encoding::gb18030, chunk);
        ADD_FAILURE() << c.name << ": expected EncodingError";
      } catch (const EncodingError& e) {
        EXPECT_EQ(e.offset(), c.offset) << c.name << " in chunks of " << chunk;
      }
    }
  }
}

TEST(EncodingWriter, WritesEachEncoding) {
  EXPECT_EQ(encode(kSample, Encoding::utf8), kSample);
  EXPECT_EQ(encode(kSample, Encoding::utf8_bom), std::string("\xEF\xBB\xBF").append(kSample));
  EXPECT_EQ(encode(kSample, Encoding::gb18030), kSampleGb);
  EXPECT_EQ(encode("", Encoding::utf8_bom), "\xEF\xBB\xBF");
}

TEST(EncodingWriter, RoundTripsThroughDecodingReader) {
  const std::string_view texts[] = {kSample, "朝阳区\u3000幸福里小区 3 号楼 2 单元 501 室😀\n", ""};
  for (const std::string_view text : texts) {
    for (const Encoding encoding : {Encoding::utf8, Encoding::utf8_bom, Encoding::gb18030}) {
      const std::string bytes = encode(text, encoding);
      for (const std::size_t chunk : kChunkSizes) {
        EXPECT_EQ(decode(bytes, encoding, chunk), text)
            << encoding_name(encoding) << " in chunks of " << chunk;
      }
    }
  }
}

TEST(EncodingWriter, CompletesACharacterSplitAcrossWrites) {
  for (std::size_t split = 0; split <= kSample.size(); ++split) {
    std::ostringstream out;
    EncodingWriter writer(out, Encoding::gb18030);
    writer.write(kSample.substr(0, split));
    writer.write(kSample.substr(split));
    writer.finish();
    EXPECT_EQ(out.str(), kSampleGb) << "split at " << split;
  }
}

TEST(EncodingWriter, RejectsInvalidUtf8ForGb18030) {
  std::ostringstream out;
  EncodingWriter writer(out, Encoding::gb18030);
  writer.write("张三");
  try {
    writer.write("ab\xFF");
    FAIL() << "expected EncodingError";
  } catch (const EncodingError& e) {
    EXPECT_EQ(e.offset(), 8u);
  }
}

TEST(EncodingWriter, FinishRejectsATruncatedCharacter) {
  std::ostringstream out;
  EncodingWriter writer(out, Encoding::gb18030);
  writer.write("a\xE5\xBC");
  EXPECT_THROW(writer.finish(), EncodingError);
}

TEST(EncodingWriter, ReportsAFailedStream) {
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  EncodingWriter writer(out, Encoding::utf8);
  EXPECT_THROW(writer.write("a"), TextError);
}

}  // namespace
}  // namespace juwei::text
