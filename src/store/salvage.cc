#include "store/salvage.h"

#include <algorithm>

#include "store/snapshot.h"

namespace sg::store {
namespace {

constexpr size_t kChunk = 1 << 20;

void Note(Salvage& out, int64_t line, uint64_t offset) {
  out.bad_lines.push_back(line);
  if (out.first_bad_line == 0) {
    out.first_bad_line = line;
    out.first_bad_offset = offset;
  }
}

}  // namespace

Result<Salvage> SalvageState(int fd, const std::string& path, const Dir& dir,
                             const std::string& store_id) {
  Salvage out;
  if (fd < 0) {
    auto bytes = dir.ReadWhole(kSnapshotFile);
    if (!bytes.ok()) return out;
    // The snapshot names the journal it was made from; with no journal left to compare, its
    // own checksum is what vouches for it.
    std::string id = store_id;
    if (id.empty() && bytes->size() >= 104) id = bytes->substr(72, 32);  // FORMAT.md layout
    auto snap = DecodeSnapshot(*bytes, id);
    if (!snap.ok()) return out;
    out.state = std::move(snap.value());
    out.from_snapshot = true;
    out.max_seq = out.state.pos().seq;
    out.max_alert = static_cast<int64_t>(out.state.alerts().size());
    return out;
  }
  auto st = StatFd(fd, path);
  if (!st.ok()) return st.status();
  out.file_size = st->size;
  std::string carry;
  uint64_t carry_at = 0;  // file offset of carry[0]
  uint64_t offset = 0;
  int64_t line_no = 0;
  for (;;) {
    auto chunk = ReadAt(fd, offset, kChunk, path);
    if (!chunk.ok()) return chunk.status();
    const bool eof = chunk->empty();
    offset += chunk->size();
    carry += *chunk;
    size_t start = 0;
    for (size_t nl; (nl = carry.find('\n', start)) != std::string::npos; start = nl + 1) {
      ++line_no;
      const uint64_t line_at = carry_at + start;
      auto p = ParseLine(std::string_view(carry).substr(start, nl - start));
      Result<Event> e = p.ok() ? DecodeEvent(p->json) : Result<Event>(p.status());
      if (!e.ok()) {
        Note(out, line_no, line_at);
        continue;
      }
      e->seq = p->seq;
      out.max_seq = std::max(out.max_seq, p->seq);
      if (e->type == EventType::kCreated) out.max_alert = std::max(out.max_alert, e->alert);
      SalvagedRecord r{line_no, line_at, std::move(e.value()), false};
      r.applied = out.state.Apply(r.event).ok();
      out.records.push_back(std::move(r));
    }
    carry.erase(0, start);
    carry_at += start;
    if (eof) break;
  }
  if (!carry.empty()) Note(out, line_no + 1, carry_at);  // a last line without its newline
  return out;
}

}  // namespace sg::store
