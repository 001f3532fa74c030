// Framing of the journal (FORMAT.md): one JSON object per line, each carrying
//   "seq"   position in the journal (header = 0, then 1, 2, ...; line number = seq + 1),
//   "batch" seq of the first record of the append it belongs to,
//   "end"   true on the last record of an append (absent otherwise),
//   "prev"  the previous record's "sum" (32 zeros for the header),
//   "sum"   first 32 hex digits of SHA-256 over the line's bytes before `,"sum":`.
// An append is all-or-nothing: a reader delivers a batch only once its "end" record is read.
// The reader treats the remains of an unfinished append at the end of the file as a torn tail
// (to be cut back) and anything else that fails as damage (Corruption, with the line number).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/event.h"
#include "util/status.h"

namespace sg::store {

inline constexpr size_t kSumHexLen = 32;
inline const std::string kZeroSum(kSumHexLen, '0');

// The journal just after the record `seq`, which occupies [line_start, offset) and has `sum`.
// seq == -1 means "before the header" (offset 0).
struct JournalPos {
  uint64_t offset = 0;
  int64_t seq = -1;
  std::string sum = kZeroSum;
  uint64_t line_start = 0;
  bool operator==(const JournalPos&) const = default;
};

// Encodes `events` as one append after `after`: assigns seq, batch, end, prev, sum. Returns the
// bytes to write and the position after them. `events` must not be empty.
struct EncodedBatch {
  std::string bytes;
  JournalPos end;
};
EncodedBatch EncodeBatch(std::span<Event> events, const JournalPos& after);

// One line (without its newline) whose checksum holds.
struct ParsedLine {
  int64_t seq = 0, batch = 0;
  bool end = false;
  std::string prev, sum;
  nlohmann::json json;
};
// Checks the checksum and reads the framing; Corruption with the reason ("checksum mismatch",
// ...). Without want_json, `json` is left empty when the framing can be read from the text as
// the writer lays it out (several times faster than parsing).
Result<ParsedLine> ParseLine(std::string_view line, bool want_json = true);

// What a scan found besides the batches it delivered.
struct ScanOutcome {
  JournalPos committed;  // just after the last complete batch
  uint64_t file_size = 0;
  uint64_t torn_bytes = 0;  // [committed.offset, file_size) is a torn tail when > 0
  int64_t torn_line = 0;
  std::string torn_reason;
  std::optional<Problem> damage;  // set when the journal is corrupt at or after `from`
};

// Receives one complete batch of decoded events (header included when scanning from 0) and the
// position after it. A non-ok return stops the scan and becomes damage at the batch's first line.
using BatchSink = std::function<Status(std::span<const Event>, const JournalPos&)>;

// Reads `fd` from `from` (which the caller has checked, see CheckPos) to end of file.
// Records with seq <= decode_after_seq are verified (checksum, seq, chain, batch) but neither
// decoded nor delivered: the caller's views already hold them, and a chain that still ends in
// the sum a view recorded proves those bytes unchanged. Returns IOError only for read failures;
// damage is reported in the outcome.
//
// `durable_size`: how much of the journal is known to have been acknowledged (the stamp's size,
// or the whole file when nothing is known). Only bytes at or beyond it can be a torn tail; a bad
// record inside it, or a journal shorter than it, is damage. Without it (nullopt: readers that
// never cut, such as the notifier), everything after the last complete append may be a tail.
// A `repaired` record may carry a seq beyond the previous one plus one (FORMAT.md).
Result<ScanOutcome> ScanJournal(int fd, const std::string& path, const JournalPos& from,
                                const BatchSink& sink, int64_t decode_after_seq = -1,
                                std::optional<uint64_t> durable_size = std::nullopt);

// True if `line` (a record whose checksum holds) is a `repaired` record: the one record whose
// seq may jump forward.
bool IsRepairedRecord(std::string_view line);

// True if the journal still holds the record `pos` describes at that place.
Result<bool> CheckPos(int fd, const std::string& path, const JournalPos& pos);

}  // namespace sg::store
