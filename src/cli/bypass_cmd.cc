// secretgate bypass list|approve|deny: review delegated bypass requests from the shell (help:
// cli/command_table.cc).
#include <iostream>
#include <nlohmann/json.hpp>

#include "bypass/requests.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/record.h"
#include "log/log.h"
#include "store/layout.h"
#include "util/text.h"

namespace sg::cli {
namespace {

Result<bypass::BypassJournal> OpenJournal(const Args& args, config::Config* cfg_out) {
  auto repo = DiscoverRepository(args.Get("repo").value_or(""));
  if (!repo.ok()) return repo.status();
  auto cfg = LoadConfig(&*repo);
  if (!cfg.ok()) return cfg.status();
  auto paths = store::ResolvePaths(StoreOptionsAt(repo->git_dir(), *cfg));
  if (!paths.ok()) return paths.status();
  *cfg_out = *cfg;
  return bypass::BypassJournal::Open(paths->dir, repo->git_dir(), false);
}

void PrintText(const bypass::BypassRequest& r) {
  std::cout << "#" << r.number << "  " << r.status << "  by " << EscapeControl(r.requester)
            << " at " << r.created_at << "  alerts";
  for (int64_t a : r.alerts) std::cout << " #" << a;
  std::cout << "\n    why: " << EscapeControl(r.comment) << "\n";
  if (!r.reviewer.empty()) {
    std::cout << "    " << r.status << " by " << EscapeControl(r.reviewer) << " at "
              << r.reviewed_at;
    if (!r.review_comment.empty()) std::cout << ": " << EscapeControl(r.review_comment);
    if (!r.valid_until.empty()) std::cout << " (valid until " << r.valid_until << ")";
    std::cout << "\n";
  }
}

}  // namespace

int RunBypass(const Args& args) {
  log::SetupStderr("warn");
  const auto& pos = args.positional();
  config::Config cfg;
  auto journal = OpenJournal(args, &cfg);
  if (!journal.ok()) return ReportError(journal.status());
  const auto now = std::chrono::system_clock::now();
  if (pos[0] == "list") {
    auto all = journal->List(now);
    if (!all.ok()) return ReportError(all.status());
    const std::string want = args.Get("status").value_or("");
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& r : *all) {
      if (!want.empty() && r.status != want) continue;
      if (args.Get("format").value_or("text") == "json") {
        arr.push_back({{"number", r.number},
                       {"status", r.status},
                       {"requester", r.requester},
                       {"comment", r.comment},
                       {"alerts", r.alerts},
                       {"refs", r.refs},
                       {"created_at", r.created_at},
                       {"expires_at", r.expires_at},
                       {"reviewer", r.reviewer},
                       {"review_comment", r.review_comment},
                       {"valid_until", r.valid_until}});
      } else {
        PrintText(r);
      }
    }
    if (args.Get("format").value_or("text") == "json") {
      std::cout << arr.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
                << "\n";
    }
    return kExitOk;
  }
  // approve or deny
  char* end = nullptr;
  long long n = std::strtoll(pos[1].c_str(), &end, 10);
  if (pos[1].empty() || *end || n <= 0)
    return ReportError(Status::Invalid("not a request number: '" + EscapeControl(pos[1]) + "'"));
  bypass::Durations d;
  d.expiry = std::chrono::seconds(static_cast<int64_t>(cfg.bypass_request_days * 86400));
  d.window = std::chrono::seconds(static_cast<int64_t>(cfg.bypass_window_days * 86400));
  auto r =
      journal->Review(n, pos[0] == "approve", OsUser(), args.Get("comment").value_or(""), now, d);
  if (!r.ok()) return ReportError(r.status());
  std::cout << "bypass request #" << r->number << " " << r->status
            << (r->valid_until.empty() ? "" : " until " + r->valid_until) << "\n";
  return kExitOk;
}

}  // namespace sg::cli
