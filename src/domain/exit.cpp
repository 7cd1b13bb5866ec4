#include "domain/exit.hpp"

#include <algorithm>

namespace juwei::domain {

namespace {

std::string two(unsigned v) {
  return {static_cast<char>('0' + v / 10 % 10), static_cast<char>('0' + v % 10)};
}

std::string hours_text(std::chrono::hours h) {
  return std::to_string(h.count());
}

RuleCheck check(std::string_view id, bool met, std::string zh, std::string en) {
  return {std::string(id), met, false, std::move(zh), std::move(en)};
}

// rule: exit.not_positive
RuleCheck not_positive(std::span<const TestRecord> history, Instant now) {
  switch (resident_standing(history, now)) {
    case ResidentStanding::positive:
      return check(kRuleNotPositive, false, "检测结果阳性：不能外出，只能走绿色通道就医",
                   "tested positive: may leave only as a medical emergency");
    case ResidentStanding::retest:
      return check(kRuleNotPositive, false, "混管阳性或抗原阳性待复核：先做单管复检（上门采样）",
                   "on retest after a positive pool or antigen test: needs a single-tube retest "
                   "(sampled at home) first");
    default:
      return check(kRuleNotPositive, true, "无阳性或待复核结果", "no positive or retest pending");
  }
}

// rule: exit.needs_negative_within
RuleCheck negative_within(const ExitRequestFacts& request, const ResidentFacts& resident,
                          std::span<const TestRecord> history, const ExitReason& reason,
                          const ExitPolicy& policy, Instant now, std::chrono::minutes offset) {
  const Instant exit = std::max(request.planned_exit, now);
  const Instant after = exit - reason.negative_within;
  const bool from_sampling = policy.test_age_from == CountedFrom::sampled;
  const std::string window = hours_text(reason.negative_within);
  if (const TestRecord* negative = latest_negative(history, now, policy.test_age_from)) {
    const Instant counted = from_sampling ? negative->sampled_at : negative->reported_at;
    if (counted >= after) {
      return check(kRuleNeedsNegativeWithin, true,
                   "阴性：" + local_minute(negative->sampled_at, offset) + " 采样，" +
                       local_minute(negative->reported_at, offset) + " 出结果",
                   "negative: sampled " + local_minute(negative->sampled_at, offset) +
                       ", reported " + local_minute(negative->reported_at, offset));
    }
  }
  const std::string since = local_minute(after, offset);
  // A swab in the window still in the lab: wait for it rather than swab again.
  const bool awaiting = std::ranges::any_of(history, [&](const TestRecord& t) {
    return t.kind != TestKind::antigen && t.sampled_at >= after &&
           (!t.result || t.reported_at > now);
  });
  if (awaiting) {
    return check(kRuleNeedsNegativeWithin, false,
                 "需" + window + "小时内阴性：" + since + " 后的采样结果未出，等待结果",
                 "needs a negative within " + window + " h: a swab taken after " + since +
                     " awaits its result");
  }
  const bool sealed = resident.building == ZoneStatus::sealed;
  const std::string when = from_sampling ? "采样" : "出结果";
  const std::string when_en = from_sampling ? "taken" : "reported";
  // The next step: a home swab in a sealed building; today's screening when there is one for
  // their building; else a swab of its own (no round to join).
  const std::string_view step_zh = sealed                 ? "安排上门采样"
                                   : resident.round_today ? "参加今天的核酸筛查"
                                                          : "今天没有本楼的筛查，请安排单独采样";
  const std::string_view step_en = sealed                 ? "arrange a home swab"
                                   : resident.round_today ? "join today's screening"
                                                          : "no screening of their building "
                                                            "today: arrange a swab";
  return check(
      kRuleNeedsNegativeWithin, false,
      "需" + window + "小时内阴性：" + since + " 后" + when + "的核酸阴性——" + std::string(step_zh),
      "needs a negative swab " + when_en + " after " + since + " — " + std::string(step_en));
}

// rule: exit.return_planned
RuleCheck return_planned(const ExitRequestFacts& request, const ExitReason& reason,
                         std::chrono::minutes offset) {
  if (!reason.return_required) {
    return check(kRuleReturnPlanned, true, "无需返回", "no return required");
  }
  if (!request.planned_return) {
    return check(kRuleReturnPlanned, false, "填写计划返回时间", "give the planned return time");
  }
  if (*request.planned_return <= request.planned_exit) {
    return check(kRuleReturnPlanned, false, "返回时间须晚于外出时间",
                 "the return must be after the exit");
  }
  if (reason.return_within &&
      *request.planned_return > request.planned_exit + *reason.return_within) {
    const std::string h = hours_text(*reason.return_within);
    return check(kRuleReturnPlanned, false,
                 "须在外出后" + h + "小时内返回：改到 " +
                     local_minute(request.planned_exit + *reason.return_within, offset) + " 前",
                 "must be back within " + h + " h of the exit: by " +
                     local_minute(request.planned_exit + *reason.return_within, offset));
  }
  return check(kRuleReturnPlanned, true,
               "计划 " + local_minute(*request.planned_return, offset) + " 返回",
               "back by " + local_minute(*request.planned_return, offset));
}

}  // namespace

std::string local_date_time(Instant t, std::chrono::minutes utc_offset) {
  const auto local = std::chrono::sys_seconds{t + utc_offset};
  const auto day = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{local - day};
  return std::to_string(static_cast<int>(ymd.year())) + "-" +
         two(static_cast<unsigned>(ymd.month())) + "-" + two(static_cast<unsigned>(ymd.day())) +
         " " + two(static_cast<unsigned>(hms.hours().count())) + ":" +
         two(static_cast<unsigned>(hms.minutes().count()));
}

std::string local_date_time(Instant t, Instant now, std::chrono::minutes utc_offset) {
  const auto day_of = [&](Instant i) {
    return std::chrono::floor<std::chrono::days>(std::chrono::sys_seconds{i + utc_offset});
  };
  std::string text = local_date_time(t, utc_offset);
  if (day_of(t) == day_of(now)) text.erase(0, text.find('-') + 1);
  return text;
}

std::string local_minute(Instant t, std::chrono::minutes utc_offset) {
  std::string text = local_date_time(t, utc_offset);
  return text.substr(text.find('-') + 1);
}

std::vector<std::string> ExitAssessment::applied() const {
  std::vector<std::string> ids;
  for (const RuleCheck& r : rules)
    ids.push_back(r.id);
  return ids;
}

std::vector<std::string> ExitAssessment::unmet() const {
  std::vector<std::string> ids;
  for (const RuleCheck& r : rules) {
    if (!r.met) ids.push_back(r.id);
  }
  return ids;
}

ExitAssessment assess_exit(const ExitRequestFacts& request, const ResidentFacts& resident,
                           std::span<const TestRecord> history, const ExitPolicy& policy,
                           Instant now, std::chrono::minutes utc_offset) {
  ExitAssessment out;
  out.policy_version = policy.version;
  // rule: exit.reason_known
  const ExitReason* reason = policy.reason(request.reason);
  if (!reason) {
    out.rules.push_back(check(kRuleReasonKnown, false, "政策中没有这个事由：请重新选择事由",
                              "the policy has no such reason: choose one it lists"));
    return out;
  }
  out.emergency = reason->emergency;
  out.rules.push_back(check(kRuleReasonKnown, true, reason->label_zh, reason->label_en));
  // rule: exit.resident_live
  out.rules.push_back(resident.live
                          ? check(kRuleResidentLive, true, "在册居民", "registered resident")
                          : check(kRuleResidentLive, false, "居民已注销：先恢复登记",
                                  "removed from the register: restore them first"));

  for (std::string_view id : kReasonRules) {
    if (!reason->lists(id)) continue;
    RuleCheck rule;
    if (id == kRuleNotPositive) {
      rule = not_positive(history, now);
    } else if (id == kRuleNeedsNegativeWithin) {
      rule = negative_within(request, resident, history, *reason, policy, now, utc_offset);
    } else if (id == kRuleNeedsProof) {
      rule = request.has_proof ? check(id, true, "已上传证明", "proof uploaded")
                               : check(id, false, "上传证明（如单位返岗通知）",
                                       "upload the proof (e.g. the employer's recall notice)");
    } else if (id == kRuleNeedsPledge) {
      rule = request.pledge_signed ? check(id, true, "承诺书已签", "pledge signed")
                                   : check(id, false, "签署承诺书（本人签名或纸质承诺书拍照）",
                                           "sign the pledge (typed name, or a photo of the "
                                           "paper one)");
    } else {
      rule = return_planned(request, *reason, utc_offset);
    }
    // Emergencies go first; their paperwork follows (the tests and the plan do not wait).
    if (reason->emergency && !rule.met && (id == kRuleNeedsProof || id == kRuleNeedsPledge)) {
      rule.deferred = true;
      const std::string h = hours_text(reason->paperwork_within);
      rule.note_zh += "（绿色通道：放行后" + h + "小时内补交）";
      rule.note_en += " (emergency: due within " + h + " h of the release)";
    }
    out.rules.push_back(std::move(rule));
  }
  out.eligible =
      std::ranges::all_of(out.rules, [](const RuleCheck& r) { return r.met || r.deferred; });
  return out;
}

std::vector<PlanProblem> check_planned_times(Instant exit, std::optional<Instant> planned_return,
                                             Instant now) {
  std::vector<PlanProblem> problems;
  if (exit < now - kPlannedExitGrace) problems.push_back(PlanProblem::exit_past);
  if (planned_return && *planned_return <= exit) {
    problems.push_back(PlanProblem::return_not_after_exit);
  } else if (planned_return && *planned_return <= now) {
    // rule: pass.window — the holder would be overdue the moment they leave
    problems.push_back(PlanProblem::return_past);
  }
  return problems;
}

}  // namespace juwei::domain
