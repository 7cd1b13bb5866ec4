#include "domain/screening.hpp"

#include <array>
#include <string>

#include "domain/name_table.hpp"

namespace juwei::domain {
namespace {

constexpr std::array kTubeKinds = {
    Name<TubeKind>{TubeKind::pooled, "pooled", "混管"},
    Name<TubeKind>{TubeKind::single, "single", "单管"},
};

constexpr std::array kScreeningMarks = {
    Name<ScreeningMark>{ScreeningMark::away, "away", "不在小区"},
    Name<ScreeningMark>{ScreeningMark::exempt, "exempt", "免检"},
    Name<ScreeningMark>{ScreeningMark::home, "home", "上门采样"},
};

}  // namespace

std::string_view to_code(ScreeningMark m) {
  return code_of(kScreeningMarks, m);
}

std::string_view to_label_zh(ScreeningMark m) {
  return label_of(kScreeningMarks, m);
}

std::optional<ScreeningMark> screening_mark_from_code(std::string_view code) {
  return find_by_code(kScreeningMarks, code);
}

std::string_view to_code(TubeKind k) {
  return code_of(kTubeKinds, k);
}

std::optional<TubeKind> tube_kind_from_code(std::string_view code) {
  return find_by_code(kTubeKinds, code);
}

std::optional<SampleRefusal> check_sample(const TubeState& tube, std::int64_t round_id,
                                          TubeKind kind, bool already_sampled,
                                          std::string_view resample_reason,
                                          const PoolingRules& rules) {
  if (tube.exists && tube.round_id != round_id) {
    return SampleRefusal{"sample.tube_reused", "该试管已在另一轮筛查中使用，请换一支新试管",
                         "the tube was used in another round; take a new tube"};
  }
  if (tube.exists && tube.kind != kind) {
    return SampleRefusal{"sample.tube_kind", "该试管的类型（混管/单管）与所选不符",
                         "the tube was scanned as the other kind (pooled or single)"};
  }
  const int capacity = rules.capacity(kind);
  if (tube.exists && tube.swabs >= capacity) {
    const std::string n = std::to_string(capacity);
    return SampleRefusal{"sample.tube_full", "该试管已满（" + n + " 人），请换一支新试管",
                         "the tube is full (" + n + " swabs); take a new tube"};
  }
  if (already_sampled && resample_reason.empty()) {
    return SampleRefusal{"sample.already_sampled", "该居民本轮已采样；如需复采，请注明原因",
                         "the resident was sampled in this round; a resample needs a reason"};
  }
  return std::nullopt;
}

}  // namespace juwei::domain
