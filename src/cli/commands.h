// The subcommands: one function each, called with a command line already checked against the
// command's row of the command table (cli/help.h, cli/command_table.cc).
#pragma once

#include "cli/args.h"

namespace sg::cli {

int RunPreReceive(const Args& args);
int RunPostReceive(const Args& args);
int RunScan(const Args& args);
int RunRules(const Args& args);
int RunProtect(const Args& args);
int RunUnprotect(const Args& args);
int RunAlerts(const Args& args);
int RunStore(const Args& args);
int RunDrain(const Args& args);
int RunNotify(const Args& args);
int RunVerify(const Args& args);
int RunPartner(const Args& args);
int RunServe(const Args& args);
int RunTokens(const Args& args);
int RunBypass(const Args& args);

}  // namespace sg::cli
