#include "cli/dispatch.h"

#include <iostream>
#include <string>

#include "build_config.h"
#include "cli/common.h"
#include "cli/help.h"
#include "util/text.h"

namespace sg::cli {

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << ProgramHelpText(config::ConfigPath());
    return kExitError;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::cout << ProgramHelpText(config::ConfigPath());
    return kExitOk;
  }
  if (cmd == "--version") {
    std::cout << "secretgate " << build::kVersion << "\n";
    return kExitOk;
  }
  const Command* c = FindCommand(cmd);
  if (!c) {
    std::cerr << "secretgate: unknown command '" << EscapeControl(cmd)
              << "' (see secretgate --help)\n";
    return kExitError;
  }
  auto inv = ParseInvocation(*c, Argv(argv + 2, argv + argc));
  if (!inv.ok()) return ReportError(inv.status());
  if (inv->help) {
    std::cout << HelpText(*c);
    return kExitOk;
  }
  return c->run(inv->args);
}

}  // namespace sg::cli
