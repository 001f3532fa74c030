// Reading what is left of a damaged journal: every line whose checksum still holds, in order,
// applied one event at a time (an event that no longer fits is skipped, not fatal). Used for
// reads of a damaged store (store.h: reads go on with every intact record) and by Repair.
// Read-only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/event.h"
#include "store/file_util.h"
#include "store/journal.h"
#include "store/state.h"
#include "util/status.h"

namespace sg::store {

struct SalvagedRecord {
  int64_t line = 0;     // 1-based line of the journal
  uint64_t offset = 0;  // where the line starts
  Event event;
  bool applied = false;  // it fitted the alerts replayed before it
};

struct Salvage {
  State state;                          // every alert the applied records describe
  std::vector<SalvagedRecord> records;  // every intact record, header included
  int64_t first_bad_line = 0;           // 0: every line is intact
  uint64_t first_bad_offset = 0;        // where the first bad line starts (or the file's end)
  std::vector<int64_t> bad_lines;
  int64_t max_seq = -1;   // highest seq of any intact record
  int64_t max_alert = 0;  // highest alert number of any intact record
  uint64_t file_size = 0;
  bool from_snapshot = false;  // the journal is missing: the alerts come from snapshot.bin
};

// Salvages the journal open as `fd` (path for messages). `fd` < 0 means the journal is missing:
// the alerts then come from snapshot.bin in `dir` when it is intact for `store_id` (any store_id
// when empty), else none.
Result<Salvage> SalvageState(int fd, const std::string& path, const Dir& dir,
                             const std::string& store_id);

}  // namespace sg::store
