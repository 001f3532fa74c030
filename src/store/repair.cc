// Store::Repair: the one operation that rewrites a damaged journal, and how it keeps every
// number it ever handed out (FORMAT.md, "Repair").
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "store/crypto.h"
#include "store/salvage.h"
#include "store/store_impl.h"

namespace sg::store {
namespace {

// The events that rebuild `a` as the snapshot kept it: created, then its timeline in order
// (locations from a.locations, in the order their location_created entries appear).
std::vector<Event> EventsOf(const Alert& a) {
  std::vector<Event> out;
  Event c;
  c.type = EventType::kCreated;
  c.alert = a.number;
  c.at = a.created_at;
  c.actor = a.timeline.empty() ? "" : a.timeline[0].actor;
  c.fingerprint = a.fingerprint;
  c.cross_fingerprint = a.cross_fingerprint;
  c.secret_type = a.secret_type;
  c.display_name = a.secret_type_display_name;
  c.provider = a.provider;
  c.secret_redacted = a.secret_redacted;
  c.secret = a.secret;
  c.repository = a.repository;
  out.push_back(std::move(c));
  size_t next_location = 0;
  for (size_t i = 1; i < a.timeline.size(); ++i) {
    const TimelineEvent& t = a.timeline[i];
    auto type = ParseEventType(t.event);
    if (!type || *type == EventType::kCreated || *type == EventType::kHeader) continue;
    Event e;
    e.type = *type;
    e.alert = a.number;
    e.at = t.at;
    e.actor = t.actor;
    e.comment = t.comment;
    switch (*type) {
      case EventType::kLocationCreated:
        if (next_location >= a.locations.size()) continue;
        e.location = a.locations[next_location++];
        break;
      case EventType::kResolved:
        e.resolution = t.detail;
        break;
      case EventType::kBypassed:
        e.reason = t.detail;
        break;
      case EventType::kValidated:
        e.validity = t.detail;
        break;
      default:
        break;
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::string CompactUtc(const std::string& rfc3339) {
  std::string out;
  for (char c : rfc3339) {
    if (c != '-' && c != ':') out += c;
  }
  return out;
}

}  // namespace

Result<RepairReport> Store::Repair(std::string_view actor) {
  Impl& m = *impl_;
  auto lock = m.Lock();
  if (!lock.ok()) return lock.status();
  if (!m.read_only.ok()) return m.read_only;
  RepairReport report;
  if (m.absent) return report;
  if (m.damage.ok()) {
    Status s = m.Sync(/*want_state=*/false);
    if (s.ok()) return report;  // sound (a torn tail, if any, was just cut back as usual)
    if (m.damage.ok()) return s;
  }
  const bool missing = !m.journal_fd.valid();
  const int fd = missing ? -1 : m.journal_fd.get();
  auto salvage = SalvageState(fd, m.paths.journal, m.dir, m.store_id);
  if (!salvage.ok()) return salvage.status();

  // The stamp is read whatever file it describes: its marks are what was acknowledged last.
  std::optional<Stamp> stamp;
  if (auto text = m.dir.ReadWhole(kStampFile); text.ok()) stamp = DecodeStamp(*text);
  int64_t high_seq = salvage->max_seq;
  int64_t high_alert = salvage->max_alert;
  if (stamp) {
    high_seq = std::max(high_seq, stamp->seq);
    high_alert = std::max(high_alert, stamp->alerts);
  }

  // The intact prefix: every complete append before the first damage, kept byte for byte.
  std::string prefix;
  JournalPos prefix_end;
  State prefix_state;
  std::string store_id = m.store_id;
  if (!missing) {
    auto scan = ScanJournal(fd, m.paths.journal, JournalPos{},
                            [&](std::span<const Event> batch, const JournalPos& end) {
                              return prefix_state.ApplyBatch(batch, end);
                            });
    if (!scan.ok()) return scan.status();
    prefix_end = scan->committed;
    if (prefix_end.seq < 0) {
      return Status::Corruption(m.paths.journal +
                                ":1: the header is damaged; restore the journal from a backup");
    }
    auto bytes = ReadAt(fd, 0, static_cast<size_t>(prefix_end.offset), m.paths.journal);
    if (!bytes.ok()) return bytes.status();
    prefix = std::move(bytes.value());
    report.damaged_line = prefix_end.seq + 2;
  } else {
    if (!salvage->from_snapshot) {
      return Status::Corruption(m.paths.journal +
                                " is missing and snapshot.bin cannot be read: restore the "
                                "journal from a backup");
    }
    if (store_id.empty()) {
      auto bytes = m.dir.ReadWhole(kSnapshotFile);
      if (bytes.ok() && bytes->size() >= 104) store_id = bytes->substr(72, 32);
    }
    Event header;
    header.type = EventType::kHeader;
    header.format = std::string(kFormatName);
    header.version = kFormatVersion;
    header.store_id = store_id;
    header.repository = m.options.repository;
    header.at = m.Now();
    std::vector<Event> h{header};
    EncodedBatch b = EncodeBatch(h, JournalPos{});
    prefix = b.bytes;
    prefix_end = b.end;
    high_seq = std::max(high_seq, salvage->state.pos().seq);
  }
  const uint64_t file_size = missing ? 0 : salvage->file_size;

  // Keep a copy of every byte that is about to leave the live journal.
  const std::string at = m.Now();
  if (!missing && file_size > prefix_end.offset) {
    auto bad = ReadAt(fd, prefix_end.offset, static_cast<size_t>(file_size - prefix_end.offset),
                      m.paths.journal);
    if (!bad.ok()) return bad.status();
    SG_RETURN_IF_ERROR(MakeStoreDirs(m.dir.PathOf(kDamagedDir), m.Modes()));
    auto damaged = Dir::Open(m.dir.PathOf(kDamagedDir));
    if (!damaged.ok()) return damaged.status();
    const std::string name =
        "journal." + CompactUtc(at) + ".from-line-" + std::to_string(report.damaged_line);
    SG_RETURN_IF_ERROR(damaged->Replace(name, *bad, /*durable=*/true, m.Modes()));
    report.copy = std::string(kDamagedDir) + "/" + name;
  }

  // What comes back: records found intact after the damage (or, for a missing journal, every
  // alert of the snapshot), and a placeholder for each number whose records are gone.
  std::vector<Event> restored;
  if (missing) {
    for (const Alert& a : salvage->state.alerts()) {
      for (Event& e : EventsOf(a)) restored.push_back(std::move(e));
    }
  } else {
    for (const SalvagedRecord& r : salvage->records) {
      if (r.offset < prefix_end.offset || r.event.type == EventType::kHeader ||
          r.event.type == EventType::kRepaired) {
        continue;
      }
      restored.push_back(r.event);
    }
  }
  std::map<int64_t, Event> created;  // by number
  std::vector<Event> others;
  for (Event& e : restored) {
    e.restored = true;
    if (e.type == EventType::kCreated) {
      created.emplace(e.alert, std::move(e));
    } else {
      others.push_back(std::move(e));
    }
  }
  const int64_t first_new = static_cast<int64_t>(prefix_state.alerts().size()) + 1;
  if (!created.empty()) high_alert = std::max(high_alert, created.rbegin()->first);

  std::vector<Event> batch;
  Event repaired;
  repaired.type = EventType::kRepaired;
  repaired.at = at;
  repaired.actor = std::string(actor);
  repaired.damaged_line = report.damaged_line;
  repaired.copy = report.copy;
  batch.push_back(repaired);
  State trial = prefix_state;
  for (int64_t n = first_new; n <= high_alert; ++n) {
    Event e;
    if (auto it = created.find(n); it != created.end() && trial.Apply(it->second).ok()) {
      batch.push_back(it->second);
      ++report.kept_records;
      continue;
    }
    e.type = EventType::kCreated;
    e.alert = n;
    e.at = at;
    e.actor = std::string(actor);
    e.lost = true;
    e.restored = true;
    e.fingerprint = Sha256Hex("lost\n" + store_id + "\n" + std::to_string(n));
    e.secret_type = "unknown";
    e.display_name = "Unknown secret (its records were damaged" +
                     (report.copy.empty() ? std::string(")") : "; see " + report.copy + ")");
    e.secret_redacted = "(lost)";
    e.repository = m.options.repository;
    if (!trial.Apply(e).ok())
      return Status::Internal("cannot place a placeholder for alert " + std::to_string(n));
    batch.push_back(std::move(e));
    ++report.lost_alerts;
  }
  for (Event& e : others) {
    if (trial.Apply(e).ok()) {
      batch.push_back(std::move(e));
      ++report.kept_records;
    } else {
      ++report.dropped_records;
    }
  }
  for (const auto& [n, e] : created) {
    if (n < first_new) ++report.dropped_records;  // a creation the prefix already holds
  }
  batch[0].lost_alerts = report.lost_alerts;

  // The repaired record's seq lies beyond everything ever acknowledged.
  JournalPos after = prefix_end;
  after.seq = std::max(high_seq, prefix_end.seq);
  const EncodedBatch encoded = EncodeBatch(batch, after);
  report.next_seq = encoded.end.seq + 1;
  SG_RETURN_IF_ERROR(
      m.dir.Replace(kJournalFile, prefix + encoded.bytes, /*durable=*/true, m.Modes()));
  spdlog::warn(
      "alert store {} repaired by {}: damage from line {} kept in {}; {} record(s) restored, {} "
      "dropped, {} alert(s) lost and kept as placeholders; seq continues at {}",
      m.paths.dir, actor, report.damaged_line, report.copy.empty() ? "-" : report.copy,
      report.kept_records, report.dropped_records, report.lost_alerts, report.next_seq);

  // Start over on the new journal; derived files are checked against it and rebuilt.
  m.damage = Status::Ok();
  m.salvaged.reset();
  m.index.reset();
  m.state.reset();
  m.journal_fd = Fd();
  SG_RETURN_IF_ERROR(m.OpenJournal());
  if (!m.damage.ok()) return m.damage;
  m.index = Index();
  SG_RETURN_IF_ERROR(m.RebuildIndex());
  SG_RETURN_IF_ERROR(m.RebuildState());
  SG_RETURN_IF_ERROR(m.SaveIndex());
  SG_RETURN_IF_ERROR(m.SaveSnapshot());
  m.WriteStamp();
  SG_RETURN_IF_ERROR(m.Sync(/*want_state=*/false));
  report.repaired = true;
  return report;
}

}  // namespace sg::store
