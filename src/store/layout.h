// Where a store's files live (OpenOptions -> paths), the shared HMAC key, store discovery, and the
// timestamp format. See FORMAT.md "Layout".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "store/file_util.h"
#include "store/store.h"
#include "util/status.h"

namespace sg::store {

struct StorePaths {
  std::string root;  // holds the key
  std::string dir;   // holds the journal and its derived files
  std::string key, journal, lock, index, snapshot, stamp;
};

// Invalid if dir is empty or server_wide without a repository.
Result<StorePaths> ResolvePaths(const OpenOptions& options);

// "<repository with every byte outside [A-Za-z0-9._-] turned into '_', at most 64>-<12 hex of
// SHA-256(repository)>": readable, and distinct for names that sanitize alike.
std::string RepositoryDirName(std::string_view repository);

// Reads the 32-byte key `key` in `root`, creating it first if missing and `create`. Creation is
// race-safe: the key is written to a unique temporary file (O_CREAT|O_EXCL, modes.key), fsynced,
// then linkat(2)ed into place, so concurrent creators agree on the first key linked.
Result<std::string> LoadOrCreateKey(const Dir& root, bool create, const FileModes& modes);
// The same for the key file `name` in `dir` (the server-wide cross_repo_key).
Result<std::string> LoadOrCreateKey(const Dir& dir, std::string_view name, bool create,
                                    const FileModes& modes);

// RFC 3339 UTC with seconds: "2026-11-22T06:21:52Z".
std::string FormatTime(std::chrono::system_clock::time_point t);

}  // namespace sg::store
