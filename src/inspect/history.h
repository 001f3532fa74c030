// Scanning whole histories, commit ranges and directories (`secretgate scan`).
#pragma once

#include <memory>
#include <string>

#include "git/history.h"
#include "git/repository.h"
#include "inspect/push.h"
#include "scan/engine.h"

namespace sg::inspect {

// Every blob, commit message and annotated tag message of the object database once (blobs no
// ref reaches included), read by git::ForEachObject on options.threads threads, each with its
// own Scanner on `engine`. Blobs with findings are then placed at the first commit and path
// that hold them (unreachable ones keep no origin); commit messages carry their commit, tag
// messages their tag's ref.
Result<ScanResult> ScanHistory(const git::Repository& repo,
                               const std::shared_ptr<const scan::Engine>& engine,
                               const ScanOptions& options);

// Only what the selected commits add: the blobs each adds relative to its parents (placed at
// the first selected commit and path that adds them), their messages, and the messages of
// annotated tags that point at them.
Result<ScanResult> ScanCommits(const git::Repository& repo, const git::CommitSelection& selection,
                               const std::shared_ptr<const scan::Engine>& engine,
                               const ScanOptions& options);

// The files of a directory scan: a file, or every regular file under a directory (not following
// symlinks, skipping .git), listed on a thread of its own from construction on. A scan starts
// the listing before it loads its rules, so that the two overlap; until ScanPath starts, the
// listing also reads the first files (up to 32 MiB, files up to 1 MiB) into memory, so that
// the second core works while the first loads the rules. ScanPath then takes the files as they
// come.
class PathListing {
 public:
  explicit PathListing(std::string path);
  ~PathListing();  // stops the listing and waits for its thread
  // Waits until every file is listed (and the first ones read ahead); for tests.
  void WaitListed();
  PathListing(const PathListing&) = delete;
  PathListing& operator=(const PathListing&) = delete;
  struct State;
  State& state() { return *state_; }

 private:
  std::unique_ptr<State> state_;
};

// The listed files, outside git; paths are shown relative to the listing's path. Read on
// options.threads threads. A listing is scanned once.
Result<ScanResult> ScanPath(PathListing& files, const std::shared_ptr<const scan::Engine>& engine,
                            const ScanOptions& options);
Result<ScanResult> ScanPath(const std::string& path,
                            const std::shared_ptr<const scan::Engine>& engine,
                            const ScanOptions& options);

// The number of reader threads `options` asks for (0: one per core, at most 16).
unsigned ReaderThreads(const ScanOptions& options);

}  // namespace sg::inspect
