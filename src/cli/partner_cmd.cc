// secretgate partner key: prints the public key providers use to verify partner notifications.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/notify_support.h"
#include "log/log.h"
#include "notify/partner_key.h"
#include "store/event.h"

namespace sg::cli {
int RunPartner(const Args& args) {
  const std::string format = args.Get("format").value_or("text");
  if (format != "text" && format != "json") {
    return ReportError(Status::Invalid("--format must be text or json, not '" + format + "'"));
  }
  log::SetupStderr("warn");
  std::string path = args.Get("key").value_or("");
  if (path.empty()) {
    auto ncfg =
        notify::LoadConfig(config::ConfigPath(), std::getenv("SECRETGATE_CONFIG") != nullptr);
    if (!ncfg.ok()) return ReportError(ncfg.status());
    path = ncfg->partner_key;
    if (path.empty()) {
      auto repo = DiscoverRepository(args.Get("repo").value_or(""));
      if (!repo.ok()) return ReportError(repo.status());
      auto cfg = LoadConfig(&*repo);
      if (!cfg.ok()) return ReportError(cfg.status());
      auto target = NotifyTargetFor(repo->git_dir(), *cfg, *ncfg);
      if (!target.ok()) return ReportError(target.status());
      path = target->partner_key;
    }
  }
  auto key = notify::PartnerKey::LoadOrCreate(path);
  if (!key.ok()) return ReportError(key.status());
  if (format == "json") {
    nlohmann::ordered_json j{
        {"key_identifier", key->KeyId()}, {"public_key", key->PublicKeyPem()}, {"file", path}};
    std::cout << store::DumpJson(j) << "\n";
  } else {
    std::cout << key->PublicKeyPem() << "key identifier: " << key->KeyId() << "\n";
  }
  return kExitOk;
}

}  // namespace sg::cli
