// Logging setup. In hook mode stderr belongs to the pusher, so logs go to a file only.
#pragma once

#include <string>
#include <vector>

namespace sg::log {

// Sends spdlog's default logger to the first of `file`, then `fallbacks`, that can be opened for
// appending, at `level`. A log file is opened with O_APPEND | O_NOFOLLOW (a planted link is
// refused, never followed), created with `mode`, and its directory is created when missing
// (mode 0700, or 02770 when `mode` gives the group write access). When none can be opened, logs
// go to syslog (LOG_DAEMON, where journald collects them on a systemd host) and, if
// `stderr_fallback`, to stderr. Returns the file in use, or an empty string.
std::string Setup(const std::string& file, const std::string& level, bool stderr_fallback,
                  const std::vector<std::string>& fallbacks = {}, unsigned mode = 0600);

// Logs to stderr only (CLI commands other than the hooks), at `level`.
void SetupStderr(const std::string& level);

}  // namespace sg::log
