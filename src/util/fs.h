// File helpers with explicit durability. Every function reports failures as IOError naming
// the path and errno text.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace sg {

Result<std::string> ReadFile(const std::string& path);

// Writes `data` to `path` so that a reader sees either the old file or the whole new one:
// write to a temporary file beside it, fsync, rename, fsync the directory.
Status WriteFileAtomic(const std::string& path, std::string_view data, unsigned mode = 0644);

// mkdir -p with `mode` for every directory it creates.
Status MakeDirs(const std::string& path, unsigned mode = 0755);

bool PathExists(const std::string& path);
bool IsDirectory(const std::string& path);
bool IsExecutableFile(const std::string& path);

// Absolute path of the running executable (/proc/self/exe).
std::string SelfExecutablePath();

}  // namespace sg
