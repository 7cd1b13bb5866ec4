// Screening rounds (全员核酸筛查) as a sampling point works: a tube code is scanned, then the
// residents swabbed into it. The rules that refuse a swab are pure functions here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace juwei::domain {

enum class TubeKind : std::uint8_t {
  pooled,  // 混管: up to PoolingRules::pooled_capacity residents (10:1)
  single,  // 单管: one resident
};

std::string_view to_code(TubeKind k);
std::optional<TubeKind> tube_kind_from_code(std::string_view code);

// A standing mark on a resident for screening rounds: away (住院、外出) and exempt residents
// are not expected and not on the door-knock list; home residents (bedridden) are swabbed at
// home and are on the home-sampling list.
enum class ScreeningMark : std::uint8_t { away, exempt, home };

std::string_view to_code(ScreeningMark m);
std::string_view to_label_zh(ScreeningMark m);
std::optional<ScreeningMark> screening_mark_from_code(std::string_view code);

struct PoolingRules {
  int pooled_capacity = 10;
  int single_capacity = 1;
  int capacity(TubeKind k) const {
    return k == TubeKind::pooled ? pooled_capacity : single_capacity;
  }
};

// A tube as the store knows it when the next swab is scanned into it.
struct TubeState {
  bool exists = false;        // scanned before
  std::int64_t round_id = 0;  // the round it was first used in
  TubeKind kind = TubeKind::pooled;
  int swabs = 0;  // residents in it so far
};

struct SampleRefusal {
  std::string code;  // stable: "sample.tube_full"
  std::string message_zh;
  std::string message_en;
};

// Why a swab of a resident into a tube in a round is refused, or nothing when it is fine.
// `already_sampled`: the resident has a sample in this round; a resample needs a reason.
std::optional<SampleRefusal> check_sample(const TubeState& tube, std::int64_t round_id,
                                          TubeKind kind, bool already_sampled,
                                          std::string_view resample_reason,
                                          const PoolingRules& rules = {});

}  // namespace juwei::domain
