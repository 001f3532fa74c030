// secretgate verify: asks providers, through the verifiers configured for them, whether the
// secrets of alerts are still active, and records the answer (a `validated` event).
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/record.h"
#include "log/log.h"
#include "notify/config.h"
#include "notify/partner_outbox.h"
#include "notify/verifier.h"
#include "util/text.h"

namespace sg::cli {
namespace {

constexpr char kNoSecret[] =
    "the plain secret is not available (store_secrets = false, and no undelivered partner "
    "hand-off holds it)";

}  // namespace

int RunVerify(const Args& args) {
  const bool all = args.Has("all");
  if (all == (args.positional().size() == 1)) {
    return ReportError(Status::Invalid(all ? "give an alert number N or --all, not both"
                                           : "missing N: give an alert number or --all"));
  }
  int64_t number = 0;
  if (!all) {
    const std::string& s = args.positional()[0];
    char* end = nullptr;
    long long n = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end || n <= 0) {
      return ReportError(Status::Invalid("not an alert number: '" + EscapeControl(s) + "'"));
    }
    number = n;
  }
  auto repo = DiscoverRepository(args.Get("repo").value_or(""));
  if (!repo.ok()) return ReportError(repo.status());
  auto cfg = LoadConfig(&*repo);
  if (!cfg.ok()) return ReportError(cfg.status());
  auto ncfg = notify::LoadConfig(config::ConfigPath(), std::getenv("SECRETGATE_CONFIG") != nullptr);
  if (!ncfg.ok()) return ReportError(ncfg.status());
  log::Setup(cfg->log_file.empty() ? repo->git_dir() + "/secretgate/secretgate.log" : cfg->log_file,
             cfg->log_level, false, {}, 0600, LogOutput(*cfg));
  auto st = OpenStore(*repo, *cfg);
  if (!st.ok()) return ReportError(st.status());
  std::vector<store::Alert> alerts;
  if (all) {
    auto list = st->List({});
    if (!list.ok()) return ReportError(list.status());
    alerts = std::move(*list);
  } else {
    auto a = st->Get(number);
    if (!a.ok()) return ReportError(a.status());
    alerts.push_back(std::move(*a));
  }
  const std::string actor = args.Get("actor").value_or("secretgate-verify");
  int checked = 0;
  for (const auto& a : alerts) {
    const notify::PartnerConfig* p = ncfg->Verifier(a.provider);
    if (!p) {
      if (!all) {
        return ReportError(Status::Invalid("alert #" + std::to_string(a.number) +
                                           ": no verifier is "
                                           "configured for provider '" +
                                           EscapeControl(a.provider) + "' ([partners." +
                                           ToLowerAscii(a.provider) + "] verifier)"));
      }
      continue;
    }
    std::optional<std::string> secret = a.secret;
    if (!secret) secret = notify::PartnerToken(st->dir(), a.number);
    notify::Verdict v;
    if (!secret) {
      v = {"unknown", kNoSecret};
    } else {
      v = notify::RunVerifier(*p->verifier, *secret);
    }
    auto updated = st->SetValidity(a.number, v.validity, actor);
    if (!updated.ok()) return ReportError(updated.status());
    spdlog::info("verify: alert #{} ({}) is {}: {}", a.number, a.secret_type, v.validity, v.why);
    std::cout << "alert #" << a.number << ": " << v.validity << " (" << EscapeControl(v.why)
              << ")\n";
    ++checked;
  }
  if (all && checked == 0) std::cout << "no alert has a provider with a verifier\n";
  return kExitOk;
}

}  // namespace sg::cli
