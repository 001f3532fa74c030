// Store::Impl: the state one Store object keeps between calls, and the steps every operation is
// built from. Internal to store/; see store.h for the contract and FORMAT.md for the files.
//
// Every operation runs as: Lock() -> Sync() -> decide -> Append() -> unlock. Sync() brings the
// in-memory views (the fingerprint Index always, the full State when asked) up to the end of the
// journal, verifying what it reads, cutting back a torn tail, and refreshing derived files.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/file_util.h"
#include "store/index.h"
#include "store/layout.h"
#include "store/state.h"
#include "store/store.h"

namespace sg::store {

// Derived files are rewritten once the journal has grown this much past what they cover.
inline constexpr uint64_t kIndexRefreshBytes = 64 << 10;
inline constexpr uint64_t kSnapshotRefreshBytes = 1 << 20;

// What the stamp file says (FORMAT.md, "Derived files"): the journal's identity and size after
// the last acknowledged append, and the high-water marks of that moment, which store repair uses
// so that no seq and no alert number is ever handed out twice.
struct Stamp {
  FileStamp file;
  int64_t seq = -1;     // seq of the journal's last record; -1 when unknown (a version 1 stamp)
  int64_t alerts = -1;  // highest alert number; -1 when unknown
};
std::string EncodeStamp(const Stamp& s);
std::optional<Stamp> DecodeStamp(std::string_view text);

class Store::Impl {
 public:
  OpenOptions options;
  StorePaths paths;
  Dir dir;   // holds the journal and its derived files
  Dir root;  // holds the key (== dir's path for a per-repository store)
  std::string key;
  std::string store_id;
  Fd lock_fd;
  Fd journal_fd;

  std::optional<Index> index;
  std::optional<State> state;
  uint64_t snapshot_offset = 0;  // journal offset the snapshot file covers

  Status damage;        // set once the journal is found corrupt: the store is read-only
  Status write_error;   // set once a write or fsync failed: every later write fails
  Status read_only;     // set when this Store must not write (options, or root on another's store)
  bool absent = false;  // read-only and nothing was ever recorded here: every read is empty
  // On a damaged store: every alert the intact records describe, for reads (see Salvage).
  std::optional<State> salvaged;
  std::vector<TailCut> repairs;

  // Creates the journal if missing and reads its header. Caller holds the lock.
  Status OpenJournal();
  Result<FileLock> Lock();
  // Reopens the journal if its path now names another file. Caller holds the lock.
  Status FollowJournal();
  // Brings the index (and, with want_state, the full state) to the end of the journal.
  // Caller holds the lock. Returns `damage` if the journal is corrupt.
  Status Sync(bool want_state);
  // The full state for a read: the synced state, or on a damaged store the salvaged one.
  // Caller holds the lock.
  Result<const State*> ReadableState();
  // Appends `events` as one batch (one write, one fsync) and applies them to the views.
  // Caller holds the lock and has just called Sync.
  Status Append(std::vector<Event>& events);
  // Rewrites index.bin / snapshot.bin from the current views. Caller holds the lock.
  Status SaveIndex();
  Status SaveSnapshot();
  // Rebuilds the index from a full read of the journal (when index.bin proved damaged).
  Status RebuildIndex();
  Status RebuildState();
  // Records that the journal is corrupt at `p`; returns the resulting Corruption.
  Status MarkDamaged(const Problem& p);
  // Saves derived files that lag the journal too much; failures are only logged.
  void RefreshDerived();
  // Records the journal's current identity and high-water marks in the stamp file; failures
  // are only logged.
  void WriteStamp();
  // The stamp, when it describes the journal file open now (same device and inode).
  std::optional<Stamp> CurrentStamp() const;
  // How much of the journal is known acknowledged: the stamp's size when the stamp describes
  // this journal, else the whole file (nothing may be cut back unseen then).
  Result<uint64_t> DurableSize() const;

  // What this store creates: private, or shared with options.group.
  FileModes Modes() const {
    return options.group >= 0 ? FileModes::Shared(options.group) : FileModes();
  }
  std::string Now() const;
  std::string FingerprintOf(std::string_view rule_id, std::string_view secret) const;
  // Writes allowed? (not read-only, not damaged, no earlier write failure)
  Status Writable() const;
};

}  // namespace sg::store
