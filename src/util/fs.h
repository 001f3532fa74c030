// File helpers with explicit durability. Every function reports failures as IOError naming
// the path and errno text.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace sg {

Result<std::string> ReadFile(const std::string& path);

// Writes `data` to `path` so that a reader sees either the old file or the whole new one:
// write to a new temporary file beside it (O_EXCL, O_NOFOLLOW, an unpredictable name), fsync,
// rename, fsync the directory. A planted link at the temporary name cannot redirect the write.
// The file gets `mode` exactly (ModeIn: plus group access in a shared directory).
Status WriteFileAtomic(const std::string& path, std::string_view data, unsigned mode = 0644);

// mkdir -p; every directory it creates gets `mode` exactly, whatever the umask (ModeIn: setgid
// and group access below a shared directory).
Status MakeDirs(const std::string& path, unsigned mode = 0755);

// A directory shares what is created in it with its group when it is setgid and
// group-writable, as git's core.sharedRepository=group and secretgate's store_group make them
// (README "Shared stores"): several OS users (SSH's `git`, the web server's `www-data`) then
// all write there. Returns that group, or -1.
int SharedGroupOf(const std::string& dir);
// `mode` for something created in `dir`: unchanged, or with the owner's bits copied to the
// group (and setgid for a directory) when `dir` is shared.
unsigned ModeIn(const std::string& dir, unsigned mode, bool directory = false);

bool PathExists(const std::string& path);
bool IsDirectory(const std::string& path);
bool IsExecutableFile(const std::string& path);

// Absolute path of the running executable (/proc/self/exe).
std::string SelfExecutablePath();

}  // namespace sg
