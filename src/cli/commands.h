// The subcommands: one function each, in one table (cli/main.cc).
#pragma once

#include <string>
#include <vector>

namespace sg::cli {

using Argv = std::vector<std::string>;

int RunPreReceive(const Argv& args);
int RunPostReceive(const Argv& args);
int RunScan(const Argv& args);
int RunRules(const Argv& args);
int RunProtect(const Argv& args);
int RunUnprotect(const Argv& args);
int RunAlerts(const Argv& args);
int RunStore(const Argv& args);
int RunDrain(const Argv& args);
int RunNotify(const Argv& args);
int RunVerify(const Argv& args);
int RunPartner(const Argv& args);
int RunServe(const Argv& args);
int RunTokens(const Argv& args);
int RunBypass(const Argv& args);

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const Argv&);
};

const std::vector<Command>& Commands();

}  // namespace sg::cli
