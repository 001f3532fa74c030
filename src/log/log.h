// Logging setup. In hook mode stderr belongs to the pusher, so logs go to a file only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "log/event.h"

namespace sg::log {

// How lines are written: the config's log_format and log_syslog.
struct Output {
  Format format = Format::kText;  // key=value text, or one JSON object per line
  bool syslog = false;            // also to syslog (LOG_DAEMON; journald on a systemd host)
};

// Sends spdlog's default logger to the first of `file`, then `fallbacks`, that can be opened for
// appending, at `level`. A log file is opened with O_APPEND | O_NOFOLLOW (a planted link is
// refused, never followed), created with `mode`, and its directory is created when missing
// (mode 0700, or 02770 when `mode` gives the group write access). When none can be opened, logs
// go to syslog (LOG_DAEMON, where journald collects them on a systemd host) and, if
// `stderr_fallback`, to stderr. `output` sets the format of every line (log/event.h) and adds
// syslog. Returns the file in use, or an empty string.
std::string Setup(const std::string& file, const std::string& level, bool stderr_fallback,
                  const std::vector<std::string>& fallbacks = {}, unsigned mode = 0600,
                  const Output& output = {});

// Logs to stderr only (CLI commands other than the hooks), at `level`, as text for a person;
// with `output.format` json (the systemd units, whose stderr is the journal), as JSON lines.
void SetupStderr(const std::string& level, const Output& output = {});

// Where syslog lines go instead of syslog(3): a test's fake, called with the priority and the
// line as formatted (no newline). nullptr puts syslog(3) back.
using SyslogWriter = void (*)(int priority, std::string_view line);
void SetSyslogWriterForTest(SyslogWriter writer);

}  // namespace sg::log
