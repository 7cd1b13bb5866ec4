// juwei policy; juwei requests; juwei passes: the exit policy, exit requests (出门申请) and
// passes (出入证) at the desk. Commands act as the operator at the machine: user id 0, with the
// secretary's powers (approvals and overrides included).
#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>

#include "cli/common.hpp"
#include "cli/table.hpp"
#include "http/offline_json.hpp"
#include "service/audit.hpp"
#include "service/clock.hpp"
#include "service/exits.hpp"
#include "service/open_store.hpp"

namespace juwei::cli {
namespace {

using service::Error;

// What every command here works with: the database, its community, the Exits service over
// them and the operator acting.
struct Desk {
  std::unique_ptr<store::Store> db;
  domain::Community community;
  service::Exits exits;
  domain::User user;

  explicit Desk(const Globals& g)
      : db(open_db(g)),
        community(community_of(*db, g)),
        exits(*db, service::system_clock(), service::data_folder(g.db)),
        user{community.id, 0, "cli", domain::Role::secretary} {}
};

// check(), but an invalid input's fields are listed first, one `field: problem` a line on
// stderr: the one-line message names only the first.
template <typename T>
T check_fields(service::Result<T> r) {
  if (!r) {
    for (const service::FieldIssue& f : r.error().fields) {
      std::cerr << fmt::format("{}{} — {}\n", f.field.empty() ? "" : f.field + ": ", f.message_zh,
                               f.message);
    }
    fail(std::move(r.error()));
  }
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(Error::invalid("cannot read " + path));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_whole(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(Error::invalid("cannot write " + path));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) fail(Error::invalid("writing " + path + " failed (disk full?)"));
  std::cout << fmt::format("wrote {} ({} bytes)\n", path, bytes.size());
}

service::ProofInput file_input(const std::string& path) {
  return {read_whole(path), std::filesystem::path(path).filename().string()};
}

std::string reason_text(const domain::ExitPolicy& policy, std::string_view code) {
  const domain::ExitReason* r = policy.reason(code);
  return r ? fmt::format("{} {}", r->label_zh, code) : std::string(code);
}

std::string pass_reason(const domain::ExitPolicy& policy, const store::PassRow& p) {
  return p.kind == domain::PassKind::household ? "家庭出入证 household"
                                               : reason_text(policy, p.reason);
}

std::string place(const store::ResidentRow& r) {
  return r.building + " " + r.room;
}

std::string refusal_text(domain::PassRefusal r) {
  return fmt::format("{} {}", domain::to_label_zh(r), domain::to_code(r));
}

std::string state_text(const service::PassView& v) {
  return v.refusal ? "禁止 " + refusal_text(*v.refusal) : "可出门 valid";
}

void print_token(const store::PassRow& p) {
  std::cout << fmt::format("pass {}\ntoken: {}\n", p.id, p.token);
}

void print_pass(const service::PassView& v, const domain::ExitPolicy& policy) {
  const store::PassRow& p = v.pass;
  std::cout << fmt::format("出入证 pass {} ({}{}{})\n", p.id, domain::to_code(p.kind),
                           p.emergency ? ", 绿色通道 emergency" : "",
                           p.override_rules ? ", 书记特批 override" : "");
  std::cout << fmt::format("持证人 holder: {} (resident {}) {}\n", v.holder.resident.name, p.holder,
                           place(v.holder));
  std::cout << fmt::format("事由 reason: {}{}\n", pass_reason(policy, p),
                           p.destination.empty() ? "" : " → " + p.destination);
  if (p.request_id != 0) std::cout << fmt::format("申请 request: {}\n", p.request_id);
  std::cout << fmt::format("有效期 valid: {} 至 {}\n", local(p.valid_from), local(p.valid_until));
  std::cout << fmt::format("状态 state: {}\n", state_text(v));
  if (!p.revoked_at.empty()) {
    std::cout << fmt::format("撤销 revoked: {} by user {}: {}\n", local(p.revoked_at), p.revoked_by,
                             p.revoke_reason);
  }
  std::cout << fmt::format("返回 return: {}", domain::to_label_zh(v.return_state));
  if (p.return_required) {
    std::cout << fmt::format(" (须返回 by {})",
                             p.return_by.empty() ? "报备, no deadline" : local(p.return_by));
  }
  if (v.return_state == domain::ReturnState::overdue) {
    std::cout << fmt::format(", {:.1f} h overdue 逾期", v.hours_overdue);
  }
  std::cout << '\n';
  if (!p.paperwork_due_at.empty()) {
    std::cout << fmt::format("补材料 paperwork due: {}{}\n", local(p.paperwork_due_at),
                             v.paperwork_overdue ? " — 逾期 overdue" : "");
  }
  if (p.kind == domain::PassKind::household) {
    std::cout << fmt::format("次数 quota: {} per {} days, slots {}; {} left\n", p.quota,
                             p.period_days, p.slots.empty() ? "any time" : p.slots, v.uses_left);
  }
  for (const store::PassExit& e : p.exits) {
    std::cout << fmt::format("  出 out {} ({}) · 回 back {}\n", local(e.exited_at), e.exited_via,
                             e.returned_at.empty() ? "-" : local(e.returned_at));
  }
  std::cout << fmt::format("token: {}\n", p.token);
}

void add_policy(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("policy", "The exit policy (出入管理规则): show, set, history");
  cmd->require_subcommand(1);
  auto file = std::make_shared<std::string>();

  cmd->add_subcommand("show", "Print the policy in force (TOML) and its version")->callback([&g] {
    Desk desk(g);
    const auto p = check(desk.exits.policy(desk.community.id));
    if (p.stored) {
      std::cout << fmt::format("# policy version {} (set {} by user {})\n", p.policy.version,
                               local(p.stored->set_at), p.stored->set_by);
    } else {
      std::cout << fmt::format("# policy version {} (the built-in default)\n", p.policy.version);
    }
    std::cout << p.body;
    if (!p.body.ends_with('\n')) std::cout << '\n';
  });

  auto* set = cmd->add_subcommand("set", "Check a policy file and put it in force");
  set->add_option("FILE", *file, "policy.toml (see `juwei policy show` for the format)")
      ->required();
  set->callback([&g, file] {
    Desk desk(g);
    const auto v =
        check_fields(desk.exits.set_policy(desk.community.id, read_whole(*file), desk.user));
    std::cout << fmt::format("policy version {} in force (history id {})\n", v.version, v.id);
  });

  cmd->add_subcommand("history", "Every policy version set, oldest first")->callback([&g] {
    Desk desk(g);
    const auto history = check(desk.exits.policy_history(desk.community.id));
    if (history.empty()) {
      std::cout << "no version set: the built-in default is in force\n";
      return;
    }
    Table table({"id", "version", "set_at", "set_by", "digest"});
    for (const auto& v : history) {
      table.add({std::to_string(v.id), v.version, local(v.set_at), std::to_string(v.set_by),
                 v.digest.substr(0, 16)});
    }
    table.print(std::cout);
  });
}

void print_request(const service::RequestView& v, const domain::ExitPolicy& policy) {
  const store::ExitRequest& r = v.request;
  std::cout << fmt::format("申请 request {} · {} · filed {} by {} (user {})\n", r.id, r.status,
                           local(r.created_at), r.asked_via, r.asked_by);
  std::cout << fmt::format("居民 resident: {} (resident {}) {}\n", v.resident.resident.name,
                           r.resident_id, place(v.resident));
  std::cout << fmt::format("事由 reason: {} → {}\n", reason_text(policy, r.reason), r.destination);
  std::cout << fmt::format("出门 exit: {} · 返回 return: {}\n", local(r.planned_exit),
                           local(r.planned_return));
  if (!r.note.empty()) std::cout << fmt::format("备注 note: {}\n", r.note);

  std::cout << (v.proofs.empty() ? "证明 proofs: none\n" : "证明 proofs:\n");
  for (const store::Proof& p : v.proofs) {
    std::cout << fmt::format("  {} {} {} {} bytes {} ({})\n", p.id, p.kind, p.content_type, p.size,
                             p.filename, local(p.uploaded_at));
  }
  if (!v.pledge) {
    std::cout << "承诺书 pledge: none\n";
  } else if (v.pledge->method == "typed") {
    std::cout << fmt::format("承诺书 pledge: signed by {} ({})\n", v.pledge->signed_name,
                             local(v.pledge->signed_at));
  } else {
    std::cout << fmt::format("承诺书 pledge: paper, photo in proof {} ({})\n",
                             v.pledge->photo_proof_id, local(v.pledge->signed_at));
  }
  for (const store::Decision& d : v.decisions) {
    std::cout << fmt::format("决定 decision: {}{} {} by user {} (policy {}){}{}\n", d.outcome,
                             d.override_rules ? " (override)" : "", local(d.decided_at),
                             d.decided_by, d.policy_version, d.reason.empty() ? "" : ": ",
                             d.reason);
  }
  if (v.pass) {
    std::cout << fmt::format("出入证 pass: {} valid {} 至 {}{}\n", v.pass->id,
                             local(v.pass->valid_from), local(v.pass->valid_until),
                             v.pass->revoked_at.empty() ? "" : " (revoked)");
  }

  const domain::ExitAssessment& a = v.assessment;
  std::cout << fmt::format("决策辅助 decision aid (policy {}{}):\n", a.policy_version,
                           a.emergency ? ", 绿色通道 emergency" : "");
  Table table({"rule", "结果", "说明 note"});
  for (const domain::RuleCheck& rule : a.rules) {
    table.add({rule.id, rule.met ? "满足" : "缺", rule.note_zh});
  }
  table.print(std::cout);
  std::cout << (a.eligible ? "可放行 eligible\n" : "不可放行 not eligible\n");
}

void add_requests(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("requests", "Exit requests (出门申请): file, decide, follow");
  cmd->require_subcommand(1);
  struct Args {
    std::int64_t id = 0;
    std::string status;
    std::size_t limit = 50;
    std::int64_t after = 0;
    service::RequestInput request;
    std::string file;
    std::string out;
    bool override_rules = false;
    std::string reason;
  };
  auto args = std::make_shared<Args>();

  auto* list = cmd->add_subcommand("list", "List the requests, oldest first");
  list->add_option("--status", args->status, "Only these: open, approved, denied, released");
  list->add_option("--limit", args->limit, "Rows per page (default 50)")
      ->check(CLI::Range(1, 1000));
  list->add_option("--after", args->after, "Cursor: the last id of the previous page");
  list->callback([&g, args] {
    Desk desk(g);
    const auto c = desk.community.id;
    const auto policy = check(desk.exits.policy(c)).policy;
    const auto rows =
        check(desk.exits.requests(c, args->status, desk.user, args->after, args->limit));
    service::Registry registry(*desk.db, service::system_clock());
    Table table({"id", "resident", "姓名", "楼栋房号", "事由", "目的地", "出门", "返回", "status"});
    for (const store::ExitRequest& r : rows) {
      const auto who = check(registry.get_resident_as(desk.user.role, c, r.resident_id));
      table.add({std::to_string(r.id), std::to_string(r.resident_id), who.resident.name, place(who),
                 reason_text(policy, r.reason), r.destination, local(r.planned_exit),
                 local(r.planned_return), r.status});
    }
    table.print(std::cout);
    if (rows.size() == args->limit) {
      std::cout << fmt::format("more: --after {}\n", rows.back().id);
    } else {
      std::cout << fmt::format("{} found\n", rows.size());
    }
  });

  auto* show = cmd->add_subcommand(
      "show", "A request: proofs, pledge, decisions, pass and the decision aid (决策辅助)");
  show->add_option("ID", args->id, "Request id")->required();
  show->callback([&g, args] {
    Desk desk(g);
    const auto policy = check(desk.exits.policy(desk.community.id)).policy;
    print_request(check(desk.exits.request(desk.community.id, args->id, desk.user)), policy);
  });

  auto* file = cmd->add_subcommand("file", "File a request for a resident (after a call)");
  file->add_option("--resident", args->request.resident_id, "Resident id")->required();
  file->add_option("--reason", args->request.reason,
                   "A reason code of the policy (e.g. medical_staff_return)")
      ->required();
  file->add_option("--destination", args->request.destination, "Where to")->required();
  file->add_option("--exit", args->request.planned_exit, "Planned exit: YYYY-MM-DD HH:MM")
      ->required();
  file->add_option("--return", args->request.planned_return, "Planned return: YYYY-MM-DD HH:MM");
  file->add_option("--note", args->request.note, "Anything the desk should know");
  file->callback([&g, args] {
    Desk desk(g);
    const auto r =
        check_fields(desk.exits.file_request(desk.community.id, args->request, desk.user));
    std::cout << fmt::format("request {} filed for resident {} ({}); see: juwei requests show {}\n",
                             r.id, r.resident_id, r.status, r.id);
  });

  auto* proof = cmd->add_subcommand("proof", "Attach a proof (PDF, JPEG or PNG) to a request");
  proof->add_option("ID", args->id, "Request id")->required();
  proof->add_option("FILE", args->file, "The proof, at most 10 MiB")->required();
  proof->callback([&g, args] {
    Desk desk(g);
    const auto p = check_fields(
        desk.exits.add_proof(desk.community.id, args->id, file_input(args->file), desk.user));
    std::cout << fmt::format("proof {} added to request {} ({}, {} bytes)\n", p.id, p.request_id,
                             p.content_type, p.size);
  });

  auto* pledge = cmd->add_subcommand("pledge", "Record a paper pledge (承诺书) by its photo");
  pledge->add_option("ID", args->id, "Request id")->required();
  pledge->add_option("--photo", args->file, "Photo of the signed paper (JPEG, PNG or PDF)")
      ->required();
  pledge->callback([&g, args] {
    Desk desk(g);
    const auto p = check_fields(desk.exits.record_paper_pledge(desk.community.id, args->id,
                                                               file_input(args->file), desk.user));
    std::cout << fmt::format("paper pledge recorded for request {} (photo: proof {})\n",
                             p.request_id, p.photo_proof_id);
  });

  auto* pledge_pdf = cmd->add_subcommand("pledge-pdf", "The pledge as a PDF, to print and sign");
  pledge_pdf->add_option("ID", args->id, "Request id")->required();
  pledge_pdf->add_option("--out", args->out, "File to write")->required();
  pledge_pdf->callback([&g, args] {
    Desk desk(g);
    write_whole(args->out, check(desk.exits.pledge_pdf(desk.community.id, args->id, desk.user)));
  });

  auto* approve = cmd->add_subcommand("approve", "Approve a request and issue its pass");
  approve->add_option("ID", args->id, "Request id")->required();
  approve->add_flag("--override", args->override_rules,
                    "Approve although a rule is unmet (书记特批; needs --reason)");
  approve->add_option("--reason", args->reason, "Why (required with --override)");
  approve->callback([&g, args] {
    Desk desk(g);
    const service::DecisionInput in{true, args->override_rules, args->reason};
    const auto v = check_fields(desk.exits.decide(desk.community.id, args->id, in, desk.user));
    std::cout << fmt::format("request {} {}{}\n", v.request.id, v.request.status,
                             v.decisions.back().override_rules ? " (override)" : "");
    if (v.pass) print_token(*v.pass);
  });

  auto* deny = cmd->add_subcommand("deny", "Deny a request, with a reason");
  deny->add_option("ID", args->id, "Request id")->required();
  deny->add_option("--reason", args->reason, "Why")->required();
  deny->callback([&g, args] {
    Desk desk(g);
    const service::DecisionInput in{false, false, args->reason};
    const auto v = check_fields(desk.exits.decide(desk.community.id, args->id, in, desk.user));
    std::cout << fmt::format("request {} {}: {}\n", v.request.id, v.request.status, args->reason);
  });
}

void board_section(std::string_view title, const std::vector<service::PassView>& views,
                   const domain::ExitPolicy& policy) {
  std::cout << fmt::format("{} ({})\n", title, views.size());
  if (views.empty()) return;
  Table table({"pass", "姓名", "楼栋房号", "事由", "出门", "须返回", "返回", "逾期(h)"});
  for (const service::PassView& v : views) {
    const store::PassExit* last = v.pass.exits.empty() ? nullptr : &v.pass.exits.back();
    table.add({std::to_string(v.pass.id), v.holder.resident.name, place(v.holder),
               pass_reason(policy, v.pass), last ? local(last->exited_at) : "-",
               local(v.pass.return_by), last ? local(last->returned_at) : "-",
               v.return_state == domain::ReturnState::overdue
                   ? fmt::format("{:.1f}", v.hours_overdue)
                   : ""});
  }
  table.print(std::cout);
}

void add_passes(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("passes", "Passes (出入证): issue, check, follow until back");
  cmd->require_subcommand(1);
  struct Args {
    std::int64_t id = 0;
    service::EmergencyInput emergency;
    std::int64_t resident = 0;
    bool open = false;
    std::string reason;
    std::string token;
    std::string format = "svg";
    std::string out;
  };
  auto args = std::make_shared<Args>();

  auto* emergency = cmd->add_subcommand(
      "emergency", "绿色通道: release at once and issue a pass; proof and pledge follow");
  emergency->add_option("--resident", args->emergency.resident_id, "Resident id")->required();
  emergency
      ->add_option("--reason", args->emergency.reason,
                   "An emergency reason of the policy (medical_emergency, childbirth)")
      ->required();
  emergency->add_option("--destination", args->emergency.destination, "Where to (the hospital)")
      ->required();
  emergency->add_option("--note", args->emergency.note, "What happened, in a line")->required();
  emergency->callback([&g, args] {
    Desk desk(g);
    const auto v =
        check_fields(desk.exits.release_emergency(desk.community.id, args->emergency, desk.user));
    std::cout << fmt::format("request {} released (绿色通道) for {} {}\n", v.request.id,
                             v.resident.resident.name, place(v.resident));
    if (!v.pass) return;
    print_token(*v.pass);
    std::cout << fmt::format("proof and pledge due by {}\n", local(v.pass->paperwork_due_at));
  });

  auto* household = cmd->add_subcommand(
      "household", "Issue a household pass (家庭出入证, precaution buildings) to one member");
  household->add_option("--resident", args->resident, "The member who goes out")->required();
  household->callback([&g, args] {
    Desk desk(g);
    const auto v =
        check(desk.exits.issue_household_pass(desk.community.id, args->resident, desk.user));
    std::cout << fmt::format("household pass for {} {}: {} exits per {} days, valid until {}\n",
                             v.holder.resident.name, place(v.holder), v.pass.quota,
                             v.pass.period_days, local(v.pass.valid_until));
    print_token(v.pass);
  });

  auto* list = cmd->add_subcommand("list", "List the passes");
  list->add_flag("--open", args->open, "Only passes not revoked, expired or closed");
  list->callback([&g, args] {
    Desk desk(g);
    const auto c = desk.community.id;
    const auto policy = check(desk.exits.policy(c)).policy;
    Table table({"id", "kind", "姓名", "楼栋房号", "事由", "有效至", "state", "return"});
    for (const auto& v : check(desk.exits.passes(c, args->open, desk.user))) {
      table.add({std::to_string(v.pass.id), std::string(domain::to_code(v.pass.kind)),
                 v.holder.resident.name, place(v.holder), pass_reason(policy, v.pass),
                 local(v.pass.valid_until), state_text(v),
                 std::string(domain::to_label_zh(v.return_state))});
    }
    table.print(std::cout);
  });

  auto* show = cmd->add_subcommand("show", "A pass: its state, return and exits");
  show->add_option("ID", args->id, "Pass id")->required();
  show->callback([&g, args] {
    Desk desk(g);
    const auto policy = check(desk.exits.policy(desk.community.id)).policy;
    print_pass(check(desk.exits.pass(desk.community.id, args->id, desk.user)), policy);
  });

  cmd->add_subcommand("board", "Who is out, back today, overdue; paperwork overdue")
      ->callback([&g] {
        Desk desk(g);
        const auto policy = check(desk.exits.policy(desk.community.id)).policy;
        const auto board = check(desk.exits.board(desk.community.id));
        board_section("外出中 out now", board.out, policy);
        board_section("今日返回 back today", board.back_today, policy);
        board_section("逾期未归 overdue", board.overdue, policy);
        board_section("补材料逾期 paperwork overdue", board.paperwork_overdue, policy);
      });

  auto* revoke = cmd->add_subcommand("revoke", "Revoke a pass, with a reason");
  revoke->add_option("ID", args->id, "Pass id")->required();
  revoke->add_option("--reason", args->reason, "Why")->required();
  revoke->callback([&g, args] {
    Desk desk(g);
    const auto v =
        check_fields(desk.exits.revoke(desk.community.id, args->id, args->reason, desk.user));
    std::cout << fmt::format("pass {} revoked: {}\n", v.pass.id, v.pass.revoke_reason);
  });

  auto* exit = cmd->add_subcommand("exit", "Log the holder going out (as the gate does)");
  exit->add_option("ID", args->id, "Pass id")->required();
  exit->callback([&g, args] {
    Desk desk(g);
    const auto v = check(desk.exits.record_exit(desk.community.id, args->id, desk.user));
    std::cout << fmt::format("pass {}: {} out at {}", v.pass.id, v.holder.resident.name,
                             local(v.pass.exits.back().exited_at));
    if (!v.pass.return_by.empty()) std::cout << ", back by " << local(v.pass.return_by);
    std::cout << '\n';
  });

  auto* back = cmd->add_subcommand(
      "return", "Log the holder back (返回报备), a return the gate did not see: say why");
  back->add_option("ID", args->id, "Pass id")->required();
  back->add_option("--reason", args->reason,
                   "Why the desk records it (电话报备, ...); the desk must give one");
  back->callback([&g, args] {
    Desk desk(g);
    const auto v =
        check_fields(desk.exits.check_in(desk.community.id, args->id, desk.user, args->reason));
    std::cout << fmt::format("pass {}: {} back at {}\n", v.pass.id, v.holder.resident.name,
                             local(v.pass.exits.back().returned_at));
  });

  auto* verify = cmd->add_subcommand(
      "verify", "Check a token as the gate does: 放行 (exit 0) or 禁止 with why (exit 1)");
  verify->add_option("TOKEN", args->token, "The token (JW1.…) the QR code holds")->required();
  verify->callback([&g, args] {
    Desk desk(g);
    const auto checked = check(desk.exits.check_token(desk.community.id, args->token));
    std::string holder;
    if (checked.pass) {
      const store::ResidentRow& who = checked.pass->holder;
      holder = fmt::format("{} {} {} · pass {}", who.resident.name, checked.masked_id_number,
                           place(who), checked.pass->pass.id);
    }
    if (!checked.refusal) {
      std::cout << fmt::format("放行 (valid): {}\n", holder);
      return;
    }
    std::cout << fmt::format("禁止 (refused): {}{}{}\n", refusal_text(*checked.refusal),
                             holder.empty() ? "" : " — ", holder);
    fail(Error::conflict(fmt::format("refused: {} ({})", domain::to_label_en(*checked.refusal),
                                     domain::to_code(*checked.refusal))));
  });

  auto* qr = cmd->add_subcommand("qr", "Write a pass's QR code");
  qr->add_option("ID", args->id, "Pass id")->required();
  qr->add_option("--format", args->format, "svg or png (default svg)")
      ->check(CLI::IsMember({"svg", "png"}));
  qr->add_option("--out", args->out, "File to write")->required();
  qr->callback([&g, args] {
    Desk desk(g);
    write_whole(args->out,
                check(desk.exits.pass_qr(desk.community.id, args->id, args->format, desk.user)));
  });

  auto* pdf = cmd->add_subcommand("pdf", "Write a pass as a PDF, to print");
  pdf->add_option("ID", args->id, "Pass id")->required();
  pdf->add_option("--out", args->out, "File to write")->required();
  pdf->callback([&g, args] {
    Desk desk(g);
    write_whole(args->out, check(desk.exits.pass_pdf(desk.community.id, args->id, desk.user)));
  });

  cmd->add_subcommand("rotate-key", "A new signing key for new passes; older ones still verify")
      ->callback([&g] {
        Desk desk(g);
        const auto key = check(desk.exits.rotate_key(desk.community.id, desk.user));
        std::cout << fmt::format(
            "signing key {} signs new passes; passes signed before still "
            "verify\n",
            key);
      });
}

}  // namespace

void add_gate(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("gate", "The gate (门岗): check people out and in, the register");
  cmd->require_subcommand(1);
  struct Args {
    std::string token;
    std::string id_number;
    std::string code;
    std::string direction = "out";
    std::string day;
    std::string decision;
    std::string state;
    bool conflicts = false;
    std::string csv;
    std::string bundle;
    std::string queue;
    std::string device;
    std::string out;
  };
  auto args = std::make_shared<Args>();

  auto* check_cmd = cmd->add_subcommand(
      "check", "Let a person out or in, as the gate does; the check is logged (exit 1: 禁止)");
  check_cmd->add_option("DIRECTION", args->direction, "out or in")
      ->required()
      ->check(CLI::IsMember({"out", "in"}));
  check_cmd->add_option("--token", args->token, "The pass token (JW1.…) the QR code holds");
  check_cmd->add_option("--code", args->code,
                        "Or the pass's short code printed under the QR code (K7QM-2X9C)");
  check_cmd->add_option("--id-number", args->id_number, "Or the resident's ID number, typed");
  check_cmd->callback([&g, args] {
    Desk desk(g);
    const auto v = check(desk.exits.gate_check(
        desk.community.id, {args->token, args->id_number, args->direction, "", "", args->code},
        desk.user));
    const std::string who = v.name.empty() ? ""
                                           : fmt::format(" — {} {} {}{}", v.name,
                                                         v.masked_id_number, v.building, v.room);
    std::cout << fmt::format("{} {} ({}){}\n", v.allow ? "放行" : "禁止", v.message_zh, v.code,
                             who);
    if (!v.allow) fail(Error::conflict(fmt::format("denied: {} ({})", v.message_en, v.code)));
  });

  auto* log = cmd->add_subcommand("log", "The register (出入登记): every check at the gate");
  log->add_option("--day", args->day, "One day, YYYY-MM-DD in community time (default: all)");
  log->add_option("--decision", args->decision, "allow or deny")
      ->check(CLI::IsMember({"allow", "deny"}));
  log->add_option("--state", args->state,
                  "out_now (外出中), back_today (今日返回) or overdue (逾期未归)")
      ->check(CLI::IsMember({"out_now", "back_today", "overdue"}));
  log->add_flag("--conflicts", args->conflicts,
                "Only offline checks the server found a conflict in (离线冲突)");
  log->add_option("--csv", args->csv, "Write it as CSV (UTF-8 with BOM) to this file");
  log->callback([&g, args] {
    Desk desk(g);
    store::GateEventQuery q{desk.community.id};
    q.decision = args->decision;
    q.conflicts_only = args->conflicts;
    q.limit = 1'000'000;
    if (!args->csv.empty()) {
      write_whole(args->csv, check(desk.exits.gate_events_csv(args->day, q, args->state)));
      return;
    }
    // A gate online goes without saying; the others name themselves (and the device, the note).
    const auto source = [](const store::GateEvent& e) -> std::string {
      if (e.source == "online") return "";
      const std::string_view label = service::register_source_zh(e.source);
      if (e.source == "offline") return fmt::format("  {} {}", label, e.device);
      return fmt::format("  {}{}{}", label, e.note.empty() ? "" : "：", e.note);
    };
    const auto or_dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
    for (const service::RegisterLine& line :
         check(desk.exits.register_lines(args->day, q, args->state))) {
      const store::GateEvent& e = line.event;
      std::cout << fmt::format(
          "{}  {}  {}  {:<24} {}  {}{}{}\n", local(e.at), e.direction == "out" ? "出" : "进",
          e.decision == "allow" ? "放行" : "禁止", e.code, or_dash(line.resident),
          or_dash(line.pass), source(e), e.conflict.empty() ? "" : "  冲突 " + e.conflict);
    }
  });

  auto* bundle = cmd->add_subcommand(
      "bundle", "Write the offline bundle a gate keeps to check passes without the network");
  bundle->add_option("--out", args->out, "File to write (JSON)")->required();
  bundle->callback([&g, args] {
    Desk desk(g);
    const auto b = check(desk.exits.offline_bundle(desk.community.id));
    write_whole(args->out, boost::json::serialize(http::offline_bundle_json(b)));
  });

  auto* verify = cmd->add_subcommand(
      "verify",
      "Check a token offline, as a gate without the network does: 放行 (exit 0) or 禁止 (exit 1)");
  verify->add_option("TOKEN", args->token, "The token (JW1.…) the QR code holds")->required();
  verify->add_option("--direction", args->direction, "out (default) or in")
      ->check(CLI::IsMember({"out", "in"}));
  verify->add_option("--bundle", args->bundle,
                     "The offline bundle (from `gate bundle` or the API); default: made now "
                     "from the database");
  verify->add_option("--queue", args->queue,
                     "The gate's queue file: earlier checks count, and this one is appended "
                     "(one JSON line) for `gate sync`");
  verify->callback([&g, args] {
    domain::OfflineBundle b;
    if (args->bundle.empty()) {
      Desk desk(g);
      b = check(desk.exits.offline_bundle(desk.community.id));
    } else {
      auto parsed = http::offline_bundle_from_json(read_whole(args->bundle));
      if (!parsed) fail(Error::invalid(args->bundle + ": " + parsed.error()));
      b = std::move(*parsed);
    }
    std::vector<domain::OfflineCheck> queued;
    if (!args->queue.empty() && std::filesystem::exists(args->queue)) {
      auto lines = http::queued_checks_from_lines(read_whole(args->queue));
      if (!lines) fail(Error::invalid(args->queue + ": " + lines.error()));
      for (const service::QueuedGateCheck& q : *lines) {
        const auto at = service::parse_iso_utc(q.at);
        if (at) queued.push_back({q.pass_id, q.direction == "out", q.allow, *at});
      }
    }
    const auto now = service::system_clock()();
    const auto v =
        check_fields(service::check_offline(b, {args->token, "", args->direction}, queued, now));
    const std::string who = v.name.empty() ? ""
                                           : fmt::format(" — {} {} {}{}", v.name,
                                                         v.masked_id_number, v.building, v.room);
    std::cout << fmt::format("{} {} ({}){}\n", v.allow ? "放行" : "禁止", v.message_zh, v.code,
                             who);
    if (!args->queue.empty()) {
      std::random_device random;
      const service::QueuedGateCheck q{fmt::format("{:08x}{:08x}", random(), random()),
                                       service::iso_utc(now),
                                       args->direction,
                                       args->token,
                                       v.allow,
                                       v.code,
                                       v.pass_id};
      std::ofstream out(args->queue, std::ios::binary | std::ios::app);
      out << boost::json::serialize(http::queued_check_json(q)) << '\n';
      out.close();
      if (!out) fail(Error::invalid("writing " + args->queue + " failed (disk full?)"));
    }
    if (!v.allow) fail(Error::conflict(fmt::format("denied: {} ({})", v.message_en, v.code)));
  });

  auto* sync = cmd->add_subcommand(
      "sync", "Apply a gate's queued offline checks (its queue file); conflicts go to the desk");
  sync->add_option("QUEUE", args->queue, "The queue file `gate verify --queue` kept")->required();
  sync->add_option("--device", args->device, "The gate's name, as its checks are recorded")
      ->required();
  sync->callback([&g, args] {
    auto lines = http::queued_checks_from_lines(read_whole(args->queue));
    if (!lines) fail(Error::invalid(args->queue + ": " + lines.error()));
    Desk desk(g);
    const auto synced = check_fields(
        desk.exits.sync_gate_checks(desk.community.id, args->device, *lines, desk.user));
    int added = 0;
    int conflicts = 0;
    for (const service::SyncedGateCheck& s : synced) {
      added += s.duplicate ? 0 : 1;
      conflicts += s.conflict.empty() ? 0 : 1;
      std::cout << fmt::format("{} → event {}{}{}\n", s.client_id, s.event_id,
                               s.duplicate ? " (synced before)" : "",
                               s.conflict.empty() ? "" : " 冲突 conflict: " + s.conflict);
    }
    std::cout << fmt::format("synced {} checks: {} new, {} synced before, {} conflicts\n",
                             synced.size(), added, synced.size() - added, conflicts);
  });
}

void add_audit(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("audit", "The audit trail: every change, chained with BLAKE2b");
  cmd->require_subcommand(1);
  auto day = std::make_shared<std::string>();
  cmd->add_subcommand("verify",
                      "Walk the chain; name the first edited, deleted or reordered record")
      ->callback([&g] {
        Desk desk(g);
        const auto checked = check(service::verify_audit(*desk.db, desk.community.id));
        if (checked.first_bad) {
          std::cout << fmt::format("审计记录被改动 (broken) at record {}: {}\n", *checked.first_bad,
                                   checked.problem);
          fail(Error::conflict(checked.problem));
        }
        std::cout << fmt::format("完好 (intact): {} records, head {}\n", checked.records,
                                 checked.head.empty() ? "-" : checked.head);
      });
  auto* head = cmd->add_subcommand(
      "head", "The day's head hash, to print and keep on paper: it proves the log up to it");
  head->add_option("--day", *day, "YYYY-MM-DD, community time")->required();
  head->callback([&g, day] {
    Desk desk(g);
    const auto record = check(service::audit_head(*desk.db, desk.community.id, *day));
    if (!record) {
      std::cout << fmt::format("{}: no records\n", *day);
      return;
    }
    std::cout << fmt::format("{} head: record {} {}\n", *day, record->seq, record->hash);
  });
}

void add_pass_commands(CLI::App& app, Globals& g) {
  add_policy(app, g);
  add_requests(app, g);
  add_passes(app, g);
  add_gate(app, g);
  add_audit(app, g);
}

}  // namespace juwei::cli
