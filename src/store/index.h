// The derived fingerprint index (index.bin, specified in FORMAT.md) that lets the hook record
// without replaying the journal: fingerprint -> alert number, number -> state, and the set of
// location keys already recorded. The file covers the journal up to a position it names; an
// Index object adds, in memory, what the journal holds after that position ("delta").
//
// Lookups read the file with pread (a few entries per lookup, each with its own CRC-32C), so
// opening costs one header read whatever the number of alerts. The file is replaced by rename,
// never modified, so a reader keeps a consistent view through its open descriptor.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "store/event.h"
#include "store/file_util.h"
#include "store/journal.h"
#include "util/status.h"

namespace sg::store {

class Index {
 public:
  struct Brief {
    int64_t number = 0;
    bool resolved = false;
  };

  // An index of an empty journal, positioned before the header.
  Index() = default;
  // Opens the index file `name` in `dir`. NotFound if missing; Corruption if its header or size
  // is wrong or it belongs to another journal (store_id).
  static Result<Index> Load(const Dir& dir, std::string_view name, std::string_view store_id);

  Index(Index&&) noexcept = default;
  Index& operator=(Index&&) noexcept = default;

  const JournalPos& pos() const { return pos_; }
  // Journal bytes applied in memory beyond what the file covers.
  uint64_t delta_bytes() const { return pos_.offset - base_pos_.offset; }
  int64_t alert_count() const { return base_alerts_ + static_cast<int64_t>(new_alerts_.size()); }

  // Corruption if an entry read on the way fails its CRC (rebuild the index then).
  Result<std::optional<Brief>> Find(std::string_view fingerprint_hex) const;
  Result<bool> HasLocation(int64_t number, const Location& location) const;

  // Applies a batch read from (or written to) the journal. Fails on events that do not fit
  // (a created number out of sequence, an unknown alert).
  Status ApplyBatch(std::span<const Event> events, const JournalPos& end);

  // Writes base + delta as a new index file (temporary file + rename; not fsynced: a damaged
  // index fails its checks and is rebuilt from the journal). Caller holds the store lock.
  Status Save(const Dir& dir, std::string_view name, std::string_view store_id,
              const FileModes& modes) const;

 private:
  Result<bool> BaseState(int64_t number) const;

  Fd fd_;  // the loaded file, if any
  std::string path_;
  JournalPos base_pos_, pos_;
  int64_t base_alerts_ = 0, base_locations_ = 0;
  // delta
  std::unordered_map<std::string, int64_t> new_alerts_;  // raw fingerprint -> number
  std::unordered_map<int64_t, bool> resolved_;           // number -> resolved, when changed
  std::unordered_set<std::string> new_locations_;        // location keys
};

// The 20-byte key that identifies a location of an alert for deduplication.
std::string LocationKey(int64_t number, const Location& location);

}  // namespace sg::store
