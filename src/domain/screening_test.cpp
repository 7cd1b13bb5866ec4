#include "domain/screening.hpp"

#include <gtest/gtest.h>

namespace juwei::domain {
namespace {

struct SampleCase {
  const char* name;
  TubeState tube;
  TubeKind kind;
  bool already_sampled;
  const char* resample_reason;
  const char* refusal;  // nullptr: accepted
};

TEST(Sampling, PoolingRulesRefuseWhatASamplingPointMustNotDo) {
  const SampleCase cases[] = {
      {"a new pooled tube", {}, TubeKind::pooled, false, "", nullptr},
      {"the 10th swab", {true, 1, TubeKind::pooled, 9}, TubeKind::pooled, false, "", nullptr},
      {"an 11th swab",
       {true, 1, TubeKind::pooled, 10},
       TubeKind::pooled,
       false,
       "",
       "sample.tube_full"},
      {"a second swab into a single tube",
       {true, 1, TubeKind::single, 1},
       TubeKind::single,
       false,
       "",
       "sample.tube_full"},
      {"a tube from another round",
       {true, 2, TubeKind::pooled, 3},
       TubeKind::pooled,
       false,
       "",
       "sample.tube_reused"},
      {"a pooled tube scanned as single",
       {true, 1, TubeKind::pooled, 3},
       TubeKind::single,
       false,
       "",
       "sample.tube_kind"},
      {"sampled twice", {}, TubeKind::pooled, true, "", "sample.already_sampled"},
      {"a resample with a reason", {}, TubeKind::single, true, "管子破损", nullptr},
  };
  for (const SampleCase& c : cases) {
    SCOPED_TRACE(c.name);
    const auto refusal = check_sample(c.tube, 1, c.kind, c.already_sampled, c.resample_reason);
    if (c.refusal == nullptr) {
      EXPECT_FALSE(refusal.has_value()) << refusal->code;
    } else {
      ASSERT_TRUE(refusal.has_value());
      EXPECT_EQ(refusal->code, c.refusal);
      EXPECT_FALSE(refusal->message_zh.empty());
    }
  }
}

TEST(Sampling, CapacitiesAreConfigurable) {
  const PoolingRules five{5, 1};
  EXPECT_TRUE(check_sample({true, 1, TubeKind::pooled, 5}, 1, TubeKind::pooled, false, "", five));
  EXPECT_FALSE(check_sample({true, 1, TubeKind::pooled, 4}, 1, TubeKind::pooled, false, "", five));
  EXPECT_EQ(tube_kind_from_code(to_code(TubeKind::single)), TubeKind::single);
}

}  // namespace
}  // namespace juwei::domain
