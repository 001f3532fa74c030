// secretgate_mangen OUTDIR: writes the man pages (secretgate.1 and secretgate-COMMAND.1 for
// every command) from the command table, at build time. Not installed.
//
// The title line carries the date of SOURCE_DATE_EPOCH when it is set (a package build sets
// it from debian/changelog), and no date otherwise, so that a build is reproducible.
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>

#include "build_config.h"
#include "cli/help.h"

namespace {

std::string Date() {
  const char* epoch = std::getenv("SOURCE_DATE_EPOCH");
  if (!epoch || !*epoch) return "";
  std::time_t t = static_cast<std::time_t>(std::strtoll(epoch, nullptr, 10));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

bool Write(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) std::cerr << "secretgate_mangen: cannot write " << path << "\n";
  return static_cast<bool>(f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: secretgate_mangen OUTDIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  const std::string date = Date();
  bool ok = Write(dir + "/secretgate.1", sg::cli::ProgramManPage(sg::build::kVersion, date));
  for (const auto& c : sg::cli::Commands()) {
    ok = Write(dir + "/secretgate-" + std::string(c.name) + ".1",
               sg::cli::ManPage(c, sg::build::kVersion, date)) &&
         ok;
  }
  return ok ? 0 : 1;
}
