// Logging setup. In hook mode stderr belongs to the pusher, so logs go to a file only.
#pragma once

#include <string>

namespace sg::log {

// Sends spdlog's default logger to `file` (created with its directory when missing) at
// `level`. When the file cannot be opened, logs go to stderr if `stderr_fallback`, else
// nowhere. Returns false when the file could not be opened.
bool Setup(const std::string& file, const std::string& level, bool stderr_fallback);

// Logs to stderr only (CLI commands other than the hooks), at `level`.
void SetupStderr(const std::string& level);

}  // namespace sg::log
