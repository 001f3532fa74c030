// secretgate alerts list|show|close|reopen
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/record.h"
#include "log/log.h"
#include "report/table.h"
#include "store/alert_json.h"
#include "util/text.h"

namespace sg::cli {
namespace {

constexpr size_t kOutChunk = size_t{1} << 20;  // alerts list writes its output in pieces this big

// Opens the store of --repo (or the discovered repository) with the configured layout.
Result<store::Store> OpenRepoStore(const Args& args) {
  auto repo = DiscoverRepository(args.Get("repo").value_or(""));
  if (!repo.ok()) return repo.status();
  auto cfg = LoadConfig(&*repo);
  if (!cfg.ok()) return cfg.status();
  return OpenStore(*repo, *cfg);
}

// One CSV cell (RFC 4180) that a spreadsheet opens as text: control characters escaped, and a
// leading = + - @ (a formula such as =HYPERLINK(...) from a hostile path) neutralised with an
// apostrophe, as OWASP advises for CSV injection.
std::string Csv(const std::string& raw) {
  std::string s = EscapeControl(raw);
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) s.insert(0, "'");
  if (s.find_first_of(",\"") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void PrintAlertText(const store::Alert& a, std::ostream& o) {
  o << "alert #" << a.number << "  " << a.state;
  if (!a.resolution.empty()) o << " (" << a.resolution << ")";
  o << "\n";
  if (!a.repository.empty()) o << "  repository:   " << EscapeControl(a.repository) << "\n";
  o << "  secret type:  " << a.secret_type << " (" << EscapeControl(a.secret_type_display_name)
    << ")\n"
    << "  secret:       " << EscapeControl(a.secret_redacted) << "\n"
    << "  created:      " << a.created_at << "\n"
    << "  updated:      " << a.updated_at << "\n"
    << "  validity:     " << a.validity << "\n";
  if (!a.resolved_at.empty()) {
    o << "  resolved:     " << a.resolved_at << " by " << EscapeControl(a.resolved_by) << "\n";
  }
  if (!a.resolution_comment.empty())
    o << "  comment:      " << EscapeControl(a.resolution_comment) << "\n";
  if (a.push_protection_bypassed) {
    o << "  push protection bypassed by " << EscapeControl(a.push_protection_bypassed_by) << " at "
      << a.push_protection_bypassed_at << "\n";
  }
  o << "  locations (" << a.locations.size() << "):\n";
  for (const auto& l : a.locations) {
    o << "    " << EscapeControl(l.path) << ":" << l.start_line << ":" << l.start_column;
    if (!l.commit_sha.empty()) o << "  commit " << l.commit_sha;
    if (!l.ref.empty()) o << "  " << EscapeControl(l.ref);
    if (!l.pushed_by.empty())
      o << "  pushed by " << EscapeControl(l.pushed_by) << " at " << l.pushed_at;
    o << "\n";
  }
  o << "  timeline:\n";
  for (const auto& e : a.timeline) {
    o << "    " << e.at << "  " << e.event;
    if (!e.detail.empty()) o << " (" << EscapeControl(e.detail) << ")";
    o << "  by " << EscapeControl(e.actor);
    if (!e.comment.empty()) o << ": " << EscapeControl(e.comment);
    o << "\n";
  }
}

Result<int64_t> AlertNumber(const Args& args) {
  if (args.positional().size() != 2)
    return Status::Invalid("expected one alert number (see --help)");
  const std::string& s = args.positional()[1];
  char* end = nullptr;
  long long n = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end || n <= 0)
    return Status::Invalid("not an alert number: '" + EscapeControl(s) + "'");
  return static_cast<int64_t>(n);
}

int List(const Args& args) {
  std::string format = args.Get("format").value_or("table");
  if (format != "table" && format != "json" && format != "csv") {
    return ReportError(
        Status::Invalid("--format must be table, json or csv, not '" + format + "'"));
  }
  store::Filter filter;
  if (auto s = args.Get("state")) {
    if (*s != "open" && *s != "resolved") {
      return ReportError(Status::Invalid("--state must be open or resolved, not '" + *s + "'"));
    }
    filter.state = *s;
  }
  if (auto t = args.Get("secret-type")) filter.secret_type = *t;
  std::vector<store::Alert> alerts;
  std::vector<std::string> unreadable, damaged;
  if (auto root = args.Get("root")) {
    if (args.Has("repo")) return ReportError(Status::Invalid("give --repo or --root, not both"));
    auto search = store::SearchStores(*root);
    if (!search.ok()) return ReportError(search.status());
    auto cfg = LoadConfigFile();
    if (!cfg.ok()) return ReportError(cfg.status());
    // Every store that can be read is listed; every one that cannot is named, and the exit
    // status says the listing is incomplete.
    for (const auto& p : search->unreadable) unreadable.push_back(p.file + ": " + p.reason);
    // Listed unfiltered first: whether a secret is in several repositories does not depend on
    // which of its alerts the filter shows.
    for (const auto& d : search->stores) {
      auto st = OpenStoreDir(d, *cfg);
      auto part = st.ok() ? st->List({}) : Result<std::vector<store::Alert>>(st.status());
      if (!part.ok()) {
        unreadable.push_back(d + ": " + part.status().message());
        continue;
      }
      if (!st->damage().ok()) damaged.push_back(st->damage().message());
      alerts.insert(alerts.end(), std::make_move_iterator(part->begin()),
                    std::make_move_iterator(part->end()));
    }
    store::MarkMultiRepo(alerts);
    std::erase_if(alerts, [&](const store::Alert& a) {
      return (filter.state && a.state != *filter.state) ||
             (filter.secret_type && a.secret_type != *filter.secret_type);
    });
  } else {
    auto st = OpenRepoStore(args);
    if (!st.ok()) return ReportError(st.status());
    auto all = st->List(filter);
    if (!all.ok()) return ReportError(all.status());
    if (!st->damage().ok()) damaged.push_back(st->damage().message());
    alerts = std::move(*all);
  }
  // Written out a megabyte at a time: 100,000 alerts are over 100 MB of JSON, and one buffer of
  // that size cost more in page faults and regrowth than the formatting.
  std::string out;
  out.reserve(kOutChunk + 64 * 1024);
  auto flush = [&out](bool all) {
    if (all || out.size() >= kOutChunk) {
      std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
      out.clear();
    }
  };
  if (format == "json") {
    out += "[";
    for (size_t i = 0; i < alerts.size(); ++i) {
      if (i) out += ",";
      store::AppendAlertJson(out, alerts[i]);
      flush(false);
    }
    out += "]\n";
  } else if (format == "csv") {
    out +=
        "repository,number,state,resolution,secret_type,secret_redacted,created_at,updated_at,"
        "locations,first_path,multi_repo\n";
    for (const auto& a : alerts) {
      out += Csv(a.repository) + "," + std::to_string(a.number) + "," + a.state + "," +
             a.resolution + "," + Csv(a.secret_type) + "," + Csv(a.secret_redacted) + "," +
             a.created_at + "," + a.updated_at + "," + std::to_string(a.locations.size()) + "," +
             Csv(a.locations.empty() ? "" : a.locations[0].path) + "," +
             (a.multi_repo ? "true" : "false") + "\n";
      flush(false);
    }
  } else {
    const bool many_repos = args.Has("root");
    std::vector<std::string> header = {"#",           "STATE",  "RESOLUTION",
                                       "SECRET TYPE", "SECRET", "LOCATION"};
    if (many_repos) header.insert(header.begin(), "REPOSITORY");
    report::TextTable table(std::move(header));
    for (const auto& a : alerts) {
      std::string loc;
      if (!a.locations.empty()) {
        loc = EscapeControl(a.locations[0].path) + ":" + std::to_string(a.locations[0].start_line);
        if (a.locations.size() > 1) loc += " (+" + std::to_string(a.locations.size() - 1) + ")";
      }
      if (a.multi_repo) loc += "  [in other repositories too]";
      std::vector<std::string> row = {std::to_string(a.number),
                                      a.state,
                                      a.resolution.empty() ? "-" : a.resolution,
                                      EscapeControl(a.secret_type),
                                      EscapeControl(a.secret_redacted),
                                      loc};
      if (many_repos) row.insert(row.begin(), EscapeControl(a.repository));
      table.Add(std::move(row));
    }
    out += table.HeaderLine();
    for (size_t i = 0; i < table.rows(); ++i) {
      out += table.RowLine(i);
      flush(false);
    }
    out += std::to_string(alerts.size()) + " alert" + (alerts.size() == 1 ? "" : "s") + "\n";
  }
  flush(true);
  std::cout.flush();
  for (const auto& d : damaged) {
    std::cerr << "secretgate: warning: damaged store, showing its intact records only: "
              << EscapeControl(d) << "\n";
  }
  if (!unreadable.empty()) {
    std::cerr << "secretgate: error: " << unreadable.size() << " store"
              << (unreadable.size() == 1 ? "" : "s") << " could not be read, so "
              << (unreadable.size() == 1 ? "its" : "their") << " alerts are not listed:\n";
    for (const auto& u : unreadable) std::cerr << "  " << EscapeControl(u) << "\n";
    return kExitError;
  }
  return kExitOk;
}

int Show(const Args& args) {
  auto n = AlertNumber(args);
  if (!n.ok()) return ReportError(n.status());
  std::string format = args.Get("format").value_or("text");
  if (format != "text" && format != "json") {
    return ReportError(Status::Invalid("--format must be text or json, not '" + format + "'"));
  }
  auto st = OpenRepoStore(args);
  if (!st.ok()) return ReportError(st.status());
  auto alert = st->Get(*n);
  if (!alert.ok()) return ReportError(alert.status());
  if (format == "json") {
    std::cout << store::ToJson(*alert) << "\n";
  } else {
    PrintAlertText(*alert, std::cout);
  }
  return kExitOk;
}

int CloseOrReopen(const Args& args, bool close) {
  auto n = AlertNumber(args);
  if (!n.ok()) return ReportError(n.status());
  std::string actor = args.Get("actor").value_or(OsUser());
  std::string comment = args.Get("comment").value_or("");
  if (close && !args.Has("reason")) {
    return ReportError(Status::Invalid(
        "--reason is required: false_positive, used_in_tests, wont_fix or revoked"));
  }
  auto st = OpenRepoStore(args);
  if (!st.ok()) return ReportError(st.status());
  auto alert =
      close ? st->Close(*n, *args.Get("reason"), comment, actor) : st->Reopen(*n, comment, actor);
  if (!alert.ok()) return ReportError(alert.status());
  std::cout << "alert #" << alert->number << " is now " << alert->state
            << (alert->resolution.empty() ? "" : " (" + alert->resolution + ")") << "\n";
  return kExitOk;
}

}  // namespace

int RunAlerts(const Args& args) {
  log::SetupStderr("warn");
  const std::string& sub = args.positional()[0];
  if (sub == "list") return List(args);
  if (sub == "show") return Show(args);
  return CloseOrReopen(args, sub == "close");
}

int RunStore(const Args& args) {
  log::SetupStderr("warn");
  const std::string& sub = args.positional()[0];
  auto st = OpenRepoStore(args);
  if (!st.ok()) return ReportError(st.status());
  if (sub == "repair") {
    auto rep = st->Repair(args.Get("actor").value_or(OsUser()));
    if (!rep.ok()) return ReportError(rep.status());
    if (!rep->repaired) {
      std::cout << "nothing to repair: " << st->dir() << " is sound\n";
      return kExitOk;
    }
    std::cout << "repaired " << st->dir() << ": damage from line " << rep->damaged_line;
    if (!rep->copy.empty()) std::cout << ", the damaged bytes are kept in " << rep->copy;
    std::cout << "\n  " << rep->kept_records << " intact record(s) after the damage kept, "
              << rep->dropped_records << " dropped (no longer fitting), " << rep->lost_alerts
              << " alert(s) lost and kept open as placeholders; events continue at seq "
              << rep->next_seq << "\n";
    return kExitOk;
  }
  if (sub == "compact") {
    Status s = st->Compact();
    if (!s.ok()) return ReportError(s);
    std::cout << "compacted " << st->dir() << "\n";
    return kExitOk;
  }
  auto report = st->Verify();
  if (!report.ok()) return ReportError(report.status());
  for (const auto& p : report->problems) {
    std::cout << p.file << ":" << p.line << ": " << p.reason << "\n";
  }
  if (report->torn_tail_bytes) {
    std::cout << "note: " << report->torn_tail_bytes
              << " bytes of an unfinished append at the end (ignored)\n";
  }
  std::cout << (report->ok() ? "ok: " : "DAMAGED: ") << report->records << " records, "
            << report->alerts << " alerts, " << report->problems.size() << " problem"
            << (report->problems.size() == 1 ? "" : "s") << "\n";
  return report->ok() ? kExitOk : kExitError;
}

}  // namespace sg::cli
