// secretgate tokens create|list|revoke: the API tokens of `secretgate serve` (help:
// cli/command_table.cc).
#include <iostream>
#include <nlohmann/json.hpp>

#include "auth/tokens.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "log/log.h"
#include "server/listing.h"
#include "util/text.h"

namespace sg::cli {

Result<std::string> ServerDir(const Args& args) {
  if (auto d = args.Get("server-dir")) return *d;
  auto cfg = LoadConfigFile();
  if (!cfg.ok()) return cfg.status();
  return cfg->server_dir.empty() ? std::string(config::kDefaultServerDir) : cfg->server_dir;
}

int RunTokens(const Args& args) {
  log::SetupStderr("warn");
  const auto& pos = args.positional();
  const std::string& sub = pos[0];
  auto dir = ServerDir(args);
  if (!dir.ok()) return ReportError(dir.status());
  auto store = auth::TokenStore::Open(*dir, sub == "create");
  if (!store.ok()) return ReportError(store.status());
  if (sub == "create") {
    auto role = auth::ParseRole(args.Get("role").value_or(""));
    if (!role) return ReportError(Status::Invalid("--role must be read, triage or admin"));
    auto c = (*store)->Create(pos[1], *role, server::SplitComma(args.Get("repos").value_or("")));
    if (!c.ok()) return ReportError(c.status());
    std::cerr << "token " << c->token.id << " for " << c->token.name << " ("
              << auth::RoleName(c->token.role) << ", repositories "
              << nlohmann::json(c->token.repos).dump() << "); it is shown only this once:\n";
    std::cout << c->secret << "\n";
    return kExitOk;
  }
  if (sub == "list") {
    auto all = (*store)->List();
    if (!all.ok()) return ReportError(all.status());
    if (args.Get("format").value_or("text") == "json") {
      nlohmann::ordered_json arr = nlohmann::ordered_json::array();
      for (const auto& t : *all) {
        arr.push_back(
            {{"id", t.id},
             {"name", t.name},
             {"role", std::string(auth::RoleName(t.role))},
             {"repos", t.repos},
             {"created_at", t.created_at},
             {"revoked_at", t.revoked_at.empty() ? nlohmann::ordered_json()
                                                 : nlohmann::ordered_json(t.revoked_at)}});
      }
      std::cout << arr.dump(2) << "\n";
      return kExitOk;
    }
    for (const auto& t : *all) {
      std::cout << t.id << "  " << t.name << "  " << auth::RoleName(t.role) << "  "
                << nlohmann::json(t.repos).dump() << "  created " << t.created_at
                << (t.revoked() ? "  REVOKED " + t.revoked_at : "") << "\n";
    }
    return kExitOk;
  }
  // revoke
  Status s = (*store)->Revoke(pos[1]);
  if (!s.ok()) return ReportError(s);
  std::cout << "token " << pos[1] << " revoked\n";
  return kExitOk;
}

}  // namespace sg::cli
