// Store::Verify and Store::Compact: full reads of the journal, independent of derived files.
#include <dirent.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>

#include "store/snapshot.h"
#include "store/store_impl.h"

namespace sg::store {
namespace {

// Checks every line on its own terms (checksum, seq, chain to the line before), so that damage
// anywhere is listed, not only the first. Lines from `stop_offset` on are skipped.
Result<std::vector<Problem>> CheckEveryLine(int fd, const std::string& path, uint64_t size,
                                            uint64_t stop_offset) {
  std::vector<Problem> problems;
  std::optional<ParsedLine> before;
  int64_t line_no = 0;
  uint64_t offset = 0;
  std::string carry;
  while (offset < stop_offset) {
    auto chunk =
        ReadAt(fd, offset, static_cast<size_t>(std::min<uint64_t>(1 << 20, size - offset)), path);
    if (!chunk.ok()) return chunk.status();
    if (chunk->empty()) break;
    offset += chunk->size();
    carry += *chunk;
    size_t start = 0;
    for (size_t nl; (nl = carry.find('\n', start)) != std::string::npos; start = nl + 1) {
      ++line_no;
      auto p = ParseLine(std::string_view(carry).substr(start, nl - start));
      if (!p.ok()) {
        problems.push_back({path, line_no, p.status().message()});
        before.reset();
        continue;
      }
      const int64_t want_seq = before ? before->seq + 1 : line_no - 1;
      const std::string_view text = std::string_view(carry).substr(start, nl - start);
      if (p->seq != want_seq && !(before && p->seq > want_seq && IsRepairedRecord(text))) {
        problems.push_back({path, line_no,
                            "seq " + std::to_string(p->seq) + " where " + std::to_string(want_seq) +
                                " was expected"});
      }
      const std::string& want = before ? before->sum : kZeroSum;
      if ((before || line_no == 1) && p->prev != want) {
        problems.push_back(
            {path, line_no,
             "hash chain broken: prev " + p->prev + " is not the previous record's sum " + want});
      }
      before = std::move(p.value());
    }
    carry.erase(0, start);
  }
  return problems;
}

void RemoveTempFiles(const Dir& dir) {
  const int copy = ::dup(dir.fd());
  if (copy < 0) return;
  DIR* d = ::fdopendir(copy);
  if (!d) {
    ::close(copy);
    return;
  }
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    if (IsTempName(e->d_name)) names.emplace_back(e->d_name);
  }
  ::closedir(d);
  for (const auto& n : names) (void)dir.Unlink(n);
}

// Compares the fingerprint index, caught up with the journal, against the verified state.
std::optional<std::string> IndexDisagrees(const Index& ix, const State& st) {
  if (ix.alert_count() != static_cast<int64_t>(st.alerts().size())) {
    return "has " + std::to_string(ix.alert_count()) + " alerts, the journal " +
           std::to_string(st.alerts().size());
  }
  for (const Alert& a : st.alerts()) {
    auto found = ix.Find(a.fingerprint);
    if (!found.ok()) return found.status().message();
    if (!*found || (*found)->number != a.number || (*found)->resolved != (a.state == "resolved")) {
      return "disagrees about alert " + std::to_string(a.number);
    }
    for (const Location& l : a.locations) {
      auto has = ix.HasLocation(a.number, l);
      if (!has.ok()) return has.status().message();
      if (!*has) return "lacks a location of alert " + std::to_string(a.number);
    }
  }
  return std::nullopt;
}

// Catches a derived view up from its position to the journal's end; false if it cannot.
template <typename View>
bool CatchUp(int fd, const std::string& path, View& view) {
  auto ok = CheckPos(fd, path, view.pos());
  if (!ok.ok() || !*ok) return false;
  auto scan =
      ScanJournal(fd, path, view.pos(), [&](std::span<const Event> batch, const JournalPos& end) {
        return view.ApplyBatch(batch, end);
      });
  return scan.ok() && !scan->damage;
}

}  // namespace

Result<VerifyReport> Store::Verify() {
  Impl& m = *impl_;
  auto lock = m.Lock();
  if (!lock.ok()) return lock.status();
  VerifyReport report;
  if (m.absent) return report;  // nothing recorded, nothing to check
  if (!m.journal_fd.valid()) {  // the journal is missing next to its derived files
    report.problems.push_back({m.paths.journal, 0, m.damage.message()});
    return report;
  }
  const int fd = m.journal_fd.get();
  const std::string& path = m.paths.journal;
  auto durable = m.DurableSize();
  if (!durable.ok()) return durable.status();
  State fresh;
  auto scan = ScanJournal(
      fd, path, JournalPos{},
      [&](std::span<const Event> batch, const JournalPos& end) {
        return fresh.ApplyBatch(batch, end);
      },
      -1, *durable);
  if (!scan.ok()) return scan.status();
  report.records = scan->committed.seq + 1;
  report.alerts = static_cast<int64_t>(fresh.alerts().size());
  report.torn_tail_bytes = scan->torn_bytes;
  if (scan->damage) {
    // The scan stops at the first damage; list every damaged line, torn tail excluded.
    const uint64_t stop = scan->torn_bytes > 0 ? scan->committed.offset : scan->file_size;
    auto lines = CheckEveryLine(fd, path, scan->file_size, stop);
    if (!lines.ok()) return lines.status();
    report.problems = std::move(lines.value());
    const Problem& d = *scan->damage;
    const bool listed = std::any_of(report.problems.begin(), report.problems.end(),
                                    [&](const Problem& p) { return p.line == d.line; });
    if (!listed) report.problems.push_back(d);
    std::sort(report.problems.begin(), report.problems.end(),
              [](const Problem& a, const Problem& b) { return a.line < b.line; });
    return report;
  }
  // The journal is sound; check that the derived files, where present, agree with it.
  if (auto ix = Index::Load(m.dir, kIndexFile, m.store_id); ix.ok()) {
    std::optional<std::string> why;
    if (!CatchUp(fd, path, *ix)) {
      why = "does not match the journal";
    } else {
      why = IndexDisagrees(*ix, fresh);
    }
    if (why) report.problems.push_back({m.paths.index, 0, *why + " (run compact to rebuild)"});
  }
  if (auto bytes = m.dir.ReadWhole(kSnapshotFile); bytes.ok()) {
    auto snap = DecodeSnapshot(*bytes, m.store_id);
    if (snap.ok() && CatchUp(fd, path, *snap) && snap->alerts() != fresh.alerts()) {
      report.problems.push_back(
          {m.paths.snapshot, 0, "disagrees with the journal (run compact to rebuild)"});
    }
  }
  return report;
}

Status Store::Compact() {
  Impl& m = *impl_;
  auto lock = m.Lock();
  if (!lock.ok()) return lock.status();
  SG_RETURN_IF_ERROR(m.Writable());
  SG_RETURN_IF_ERROR(m.Sync(/*want_state=*/false));  // repairs a torn tail, refuses damage
  Index ix;
  State st;
  auto scan = ScanJournal(m.journal_fd.get(), m.paths.journal, JournalPos{},
                          [&](std::span<const Event> batch, const JournalPos& end) -> Status {
                            SG_RETURN_IF_ERROR(ix.ApplyBatch(batch, end));
                            return st.ApplyBatch(batch, end);
                          });
  if (!scan.ok()) return scan.status();
  if (scan->damage) return m.MarkDamaged(*scan->damage);
  if (scan->torn_bytes > 0) {
    return Status::Internal(m.paths.journal + " grew a torn tail while locked for compacting");
  }
  m.index = std::move(ix);
  m.state = std::move(st);
  SG_RETURN_IF_ERROR(m.SaveIndex());
  SG_RETURN_IF_ERROR(m.SaveSnapshot());
  m.WriteStamp();
  // Temporary files of writers that died before their rename (writers hold the lock while
  // theirs exist, and we hold it now).
  RemoveTempFiles(m.dir);
  return Status::Ok();
}

}  // namespace sg::store
