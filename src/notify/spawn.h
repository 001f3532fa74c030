// Running an admin-configured program (a command sink, a verifier) safely: posix_spawn with the
// configured argv, no shell and no PATH search, so nothing from an event or a secret can become
// part of a command line; the data goes to the program's stdin only. The program runs in its own
// process group, which is killed when the time limit passes.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace sg::notify {

struct ProgramResult {
  int exit_code = -1;      // -1 when killed by a signal
  int signal = 0;          // the signal that ended it, 0 if it exited
  bool timed_out = false;  // we killed it at the time limit
  std::string output;      // the first kMaxProgramOutput bytes of stdout and stderr, interleaved
};

inline constexpr size_t kMaxProgramOutput = 4096;

// The environment a configured program gets: PATH=/usr/local/bin:/usr/bin:/bin, HOME, USER and
// LOGNAME of this process's user, LANG=C.UTF-8, then `extra` (from the config file). Nothing of
// the pusher's environment (push options, GIT_*) is passed on.
std::vector<std::string> ProgramEnvironment(const std::map<std::string, std::string>& extra);

// Runs `argv` (argv[0] an absolute path) with exactly `env`, writes `input` to its stdin, and
// waits at most `timeout_seconds`. IOError if it cannot be started. Ignores SIGPIPE in this
// process (a program that exits without reading its input must not kill us).
Result<ProgramResult> RunProgram(const std::vector<std::string>& argv,
                                 const std::vector<std::string>& env, std::string_view input,
                                 double timeout_seconds);

}  // namespace sg::notify
