#include "cli/dispatch.h"

#include <iostream>
#include <string>

#include "build_config.h"
#include "cli/commands.h"
#include "cli/common.h"

namespace sg::cli {

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"pre-receive", "the pre-receive hook: scan a push, then accept or reject it", RunPreReceive},
      {"scan", "scan a repository's history, a directory or a file", RunScan},
      {"rules", "rules check [PATHS]: validate rules and run their examples", RunRules},
      {"post-receive", "the post-receive hook: drain the scan debt in the background", RunPostReceive},
      {"drain", "scan what pushes left unscanned at their deadline, record alerts", RunDrain},
      {"alerts", "list, show, close and reopen alerts", RunAlerts},
      {"store", "verify or compact the alert store", RunStore},
      {"protect", "install the hooks into a repository or a server-wide hooks folder", RunProtect},
      {"unprotect", "remove the hooks and restore what protect changed", RunUnprotect},
      {"notify", "deliver alert events to webhooks, commands and partner endpoints", RunNotify},
      {"verify", "check with providers whether alerts' secrets are still active", RunVerify},
      {"partner", "partner key: print the key that signs partner notifications", RunPartner},
      {"serve", "serve the REST API and the triage page for the alerts under a root", RunServe},
      {"tokens", "create, list and revoke the API tokens of `serve`", RunTokens},
      {"bypass", "list, approve and deny delegated bypass requests", RunBypass},
  };
  return commands;
}

namespace {

void PrintUsage(std::ostream& o) {
  o << "secretgate " << build::kVersion
    << ": blocks pushes that carry secrets, records them as alerts.\n\n"
       "usage: secretgate COMMAND [ARGS]   (secretgate COMMAND --help for details)\n\ncommands:\n";
  for (const auto& c : Commands()) {
    std::string name = c.name;
    name.resize(14, ' ');
    o << "  " << name << c.summary << "\n";
  }
  o << "  version       print the version\n\n"
       "exit codes: 0 accepted / nothing found, 1 rejected / secrets found, 2 error\n"
       "config: " << config::ConfigPath() << " (override with SECRETGATE_CONFIG)\n";
}

}  // namespace

int Main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(std::cerr);
    return kExitError;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    PrintUsage(std::cout);
    return kExitOk;
  }
  if (cmd == "version" || cmd == "--version") {
    std::cout << "secretgate " << build::kVersion << "\n";
    return kExitOk;
  }
  Argv args(argv + 2, argv + argc);
  for (const auto& c : Commands()) {
    if (cmd == c.name) return c.run(args);
  }
  std::cerr << "secretgate: unknown command '" << cmd << "' (see secretgate --help)\n";
  return kExitError;
}

}  // namespace sg::cli
