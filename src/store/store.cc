// Store::Open and the machinery every operation shares: locking, catching up with the journal
// (Sync), torn-tail repair, appending, and the derived files.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "store/crypto.h"
#include "store/snapshot.h"
#include "store/store_impl.h"

namespace sg::store {
namespace {

// The journal's identity and size as the last writer left it, one text line:
// "secretgate-stamp 1 <dev> <ino> <size> <mtime_ns> <ctime_ns>". A journal that no longer matches
// its stamp was changed by something other than this code (or a writer died between fsync and
// stamp), and is then verified in full before it is trusted.
std::string EncodeStamp(const FileStamp& s) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "secretgate-stamp 1 %llu %llu %llu %lld %lld\n",
                static_cast<unsigned long long>(s.dev), static_cast<unsigned long long>(s.ino),
                static_cast<unsigned long long>(s.size), static_cast<long long>(s.mtime_ns),
                static_cast<long long>(s.ctime_ns));
  return buf;
}

std::optional<FileStamp> ReadStamp(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) return std::nullopt;
  unsigned long long dev, ino, size;
  long long mtime, ctime;
  if (std::sscanf(text->c_str(), "secretgate-stamp 1 %llu %llu %llu %lld %lld", &dev, &ino, &size,
                  &mtime, &ctime) != 5) {
    return std::nullopt;
  }
  return FileStamp{dev, ino, size, mtime, ctime};
}

}  // namespace

std::string Fingerprint(std::string_view key, std::string_view rule_id, std::string_view secret) {
  std::string message(rule_id);
  message += '\0';
  message += secret;
  return HmacSha256Hex(key, message);
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

const std::string& Store::dir() const { return impl_->paths.dir; }
const Status& Store::damage() const { return impl_->damage; }
const std::vector<Repair>& Store::repairs() const { return impl_->repairs; }

Result<Store> Store::Open(const OpenOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  auto paths = ResolvePaths(options);
  if (!paths.ok()) return paths.status();
  impl->paths = *paths;
  SG_RETURN_IF_ERROR(MakePrivateDirs(impl->paths.dir));
  auto key = LoadOrCreateKey(impl->paths.key);
  if (!key.ok()) return key.status();
  impl->key = std::move(key.value());

  auto lock_fd = OpenFile(impl->paths.lock, O_RDWR | O_CREAT, 0600);
  if (!lock_fd.ok()) return lock_fd.status();
  impl->lock_fd = std::move(lock_fd.value());
  struct stat st;
  if (::fstat(impl->lock_fd.get(), &st) == 0 && (st.st_mode & 0777) != 0600 &&
      st.st_uid == ::geteuid()) {
    ::fchmod(impl->lock_fd.get(), 0600);  // created under a permissive umask
  }
  {
    auto lock = impl->Lock();
    if (!lock.ok()) return lock.status();
    SG_RETURN_IF_ERROR(impl->OpenJournal());
    Status s = impl->Sync(/*want_state=*/false);
    // A corrupt journal still opens (for Verify); damage() tells, and writes fail.
    if (!s.ok() && impl->damage.ok()) return s;
  }
  return Store(std::move(impl));
}

Result<FileLock> Store::Impl::Lock() {
  return FileLock::Acquire(lock_fd.get(), paths.lock, options.lock_timeout);
}

std::string Store::Impl::Now() const {
  return FormatTime(options.now ? options.now() : std::chrono::system_clock::now());
}

std::string Store::Impl::FingerprintOf(std::string_view rule_id, std::string_view secret) const {
  return Fingerprint(key, rule_id, secret);
}

Status Store::Impl::Writable() const {
  if (!damage.ok()) return damage;
  return write_error;
}

Status Store::Impl::OpenJournal() {
  auto fd = OpenFile(paths.journal, O_RDWR);
  if (!fd.ok() && fd.status().code() == Code::kNotFound) {
    // A new journal is born whole: header written to a temporary file, fsynced, renamed.
    auto id = RandomBytes(16);
    if (!id.ok()) return id.status();
    Event header;
    header.type = EventType::kHeader;
    header.format = std::string(kFormatName);
    header.version = kFormatVersion;
    header.store_id = HexEncode(*id);
    header.repository = options.repository;
    header.at = Now();
    std::vector<Event> events{header};
    const EncodedBatch batch = EncodeBatch(events, JournalPos{});
    // Derived files of an earlier journal in this directory would not match the new store_id
    // anyway; remove them so nothing stale lingers.
    for (const std::string* p : {&paths.index, &paths.snapshot, &paths.stamp}) {
      ::unlink(p->c_str());
    }
    SG_RETURN_IF_ERROR(ReplaceFile(paths.journal, batch.bytes, /*durable=*/true));
    fd = OpenFile(paths.journal, O_RDWR);
  }
  if (!fd.ok()) return fd.status();
  journal_fd = std::move(fd.value());
  auto head = ReadAt(journal_fd.get(), 0, 1 << 16, paths.journal);
  if (!head.ok()) return head.status();
  const size_t nl = head->find('\n');
  auto line = ParseLine(std::string_view(*head).substr(0, nl == std::string::npos ? 0 : nl));
  Result<Event> header = line.ok() ? DecodeEvent(line->json) : Result<Event>(line.status());
  if (!header.ok() || header->type != EventType::kHeader) {
    const Status& why = header.ok() ? Status::Corruption("not a header") : header.status();
    damage = Status::Corruption(paths.journal + ":1: " + why.message() +
                                "; the store is read-only until repaired");
    return Status::Ok();
  }
  store_id = header->store_id;
  if (options.server_wide && header->repository != options.repository) {
    return Status::Conflict(paths.journal + " belongs to repository \"" + header->repository +
                            "\", not \"" + options.repository + "\"");
  }
  return Status::Ok();
}

Status Store::Impl::FollowJournal() {
  struct stat by_path;
  if (::stat(paths.journal.c_str(), &by_path) != 0) {
    damage = Status::Corruption(paths.journal + ": journal is missing (" + ErrnoText(errno) +
                                "); the store is read-only");
    return damage;
  }
  auto ours = StatFd(journal_fd.get(), paths.journal);
  if (!ours.ok()) return ours.status();
  if (ours->dev == static_cast<uint64_t>(by_path.st_dev) &&
      ours->ino == static_cast<uint64_t>(by_path.st_ino)) {
    return Status::Ok();
  }
  // Someone replaced the file (an editor, a restore): start over from the new one.
  spdlog::warn("alert store: {} was replaced; reloading it", paths.journal);
  const std::string old_id = store_id;
  SG_RETURN_IF_ERROR(OpenJournal());
  if (!damage.ok()) return damage;
  if (store_id != old_id) {
    index.reset();
    state.reset();
  }
  return Status::Ok();
}

Status Store::Impl::Sync(bool want_state) {
  if (!damage.ok()) return damage;
  SG_RETURN_IF_ERROR(FollowJournal());
  if (!index) {
    auto loaded = Index::Load(paths.index, store_id);
    if (!loaded.ok() && loaded.status().code() != Code::kNotFound) {
      spdlog::warn("rebuilding the alert index: {}", loaded.status().message());
    }
    index = loaded.ok() ? std::move(loaded.value()) : Index();
  }
  if (want_state && !state) {
    auto bytes = ReadWholeFile(paths.snapshot);
    Result<State> loaded = bytes.ok() ? DecodeSnapshot(*bytes, store_id) : bytes.status();
    if (!loaded.ok() && loaded.status().code() != Code::kNotFound) {
      spdlog::warn("rebuilding the alert snapshot: {}", loaded.status().message());
    }
    state = loaded.ok() ? std::move(loaded.value()) : State();
    snapshot_offset = state->pos().offset;
  }
  const int fd = journal_fd.get();
  auto now = StatFd(fd, paths.journal);
  if (!now.ok()) return now.status();
  // Views whose position the journal no longer holds start over.
  auto check = CheckPos(fd, paths.journal, index->pos());
  if (!check.ok()) return check.status();
  if (!*check) index = Index();
  if (state) {
    check = CheckPos(fd, paths.journal, state->pos());
    if (!check.ok()) return check.status();
    if (!*check) state = State();
  }
  const bool trusted = ReadStamp(paths.stamp) == *now;
  JournalPos views = index->pos();  // the least advanced view
  if (state && state->pos().seq < views.seq) views = state->pos();
  // Untrusted: check the whole chain again, but decode only what the views lack.
  const JournalPos from = trusted ? views : JournalPos{};
  // A view that cannot take a batch is stale or damaged derived data, not proof that the journal
  // is bad: it is rebuilt from a full read below, which tells the two apart.
  Status index_broken, state_broken;
  auto scan = ScanJournal(
      fd, paths.journal, from,
      [&](std::span<const Event> batch, const JournalPos& end) -> Status {
        if (index_broken.ok() && end.seq > index->pos().seq) {
          index_broken = index->ApplyBatch(batch, end);
        }
        if (state && state_broken.ok() && end.seq > state->pos().seq) {
          state_broken = state->ApplyBatch(batch, end);
        }
        return Status::Ok();
      },
      views.seq);
  if (!scan.ok()) return scan.status();
  if (scan->damage) return MarkDamaged(*scan->damage);
  bool changed = !trusted;
  // A Store whose write failed touches the journal no more, not even to repair it.
  if (scan->torn_bytes > 0 && write_error.ok()) {
    // Only a writer that died mid-append leaves this (writers hold the lock), so nobody ever
    // acknowledged these bytes.
    Repair r{paths.journal, scan->torn_line, scan->committed.offset, scan->torn_bytes,
             scan->torn_reason};
    spdlog::warn("alert store: cut back a torn tail of {}: {} bytes from line {} ({})", r.file,
                 r.dropped_bytes, r.line, r.reason);
    if (::ftruncate(fd, static_cast<off_t>(scan->committed.offset)) != 0) {
      return Status::IOError("truncate " + paths.journal + ": " + ErrnoText(errno));
    }
    SG_RETURN_IF_ERROR(SyncFd(fd, paths.journal));
    repairs.push_back(std::move(r));
    changed = true;
  }
  if (changed) WriteStamp();
  if (!index_broken.ok()) {
    spdlog::warn("alert store: rebuilding the index: {}", index_broken.message());
    SG_RETURN_IF_ERROR(RebuildIndex());
  }
  if (!state_broken.ok()) {
    spdlog::warn("alert store: rebuilding the snapshot: {}", state_broken.message());
    SG_RETURN_IF_ERROR(RebuildState());
  }
  RefreshDerived();
  return Status::Ok();
}

Status Store::Impl::Append(std::vector<Event>& events) {
  SG_RETURN_IF_ERROR(Writable());
  const JournalPos start = index->pos();
  auto now = StatFd(journal_fd.get(), paths.journal);
  if (!now.ok()) return now.status();
  if (now->size != start.offset) {
    return Status::Internal(paths.journal + " is " + std::to_string(now->size) +
                            " bytes, expected " + std::to_string(start.offset));
  }
  const EncodedBatch batch = EncodeBatch(events, start);
  Status s = WriteAllAt(journal_fd.get(), batch.bytes, start.offset, paths.journal);
  if (s.ok()) s = SyncFd(journal_fd.get(), paths.journal);
  if (!s.ok()) {
    // As in LevelDB: after a failed write or fsync the file's contents are unknown, so this
    // Store writes nothing more. A later Open verifies and cuts back what is torn.
    write_error = s.WithContext("alert journal write failed; this store accepts no more writes");
    return write_error;
  }
  // The batch is durable and acknowledged from here on; what follows only maintains derived
  // data, so its failures are logged, not returned.
  Status applied = index->ApplyBatch(events, batch.end);
  if (applied.ok() && state) {
    applied = state->pos() == start ? state->ApplyBatch(events, batch.end)
                                    : Status::Internal("full state is not at the journal's end");
  }
  if (!applied.ok()) {
    spdlog::error("alert store: in-memory views diverged after an append ({}); reloading",
                  applied.message());
    index.reset();
    state.reset();
    return Status::Ok();
  }
  WriteStamp();
  RefreshDerived();
  return Status::Ok();
}

void Store::Impl::WriteStamp() {
  auto now = StatFd(journal_fd.get(), paths.journal);
  Status s =
      now.ok() ? ReplaceFile(paths.stamp, EncodeStamp(*now), /*durable=*/false) : now.status();
  // Without a current stamp the next user verifies the whole journal: slower, never wrong.
  if (!s.ok()) spdlog::warn("alert store: could not write {}: {}", paths.stamp, s.message());
}

Status Store::Impl::MarkDamaged(const Problem& p) {
  damage = Status::Corruption(p.file + ":" + std::to_string(p.line) + ": " + p.reason +
                              "; the store is read-only until repaired");
  spdlog::error("alert store damaged: {}", damage.message());
  return damage;
}

Status Store::Impl::RebuildIndex() {
  Index fresh;
  auto scan = ScanJournal(journal_fd.get(), paths.journal, JournalPos{},
                          [&](std::span<const Event> batch, const JournalPos& end) {
                            return fresh.ApplyBatch(batch, end);
                          });
  if (!scan.ok()) return scan.status();
  if (scan->damage) return MarkDamaged(*scan->damage);
  index = std::move(fresh);
  return Status::Ok();
}

Status Store::Impl::RebuildState() {
  State fresh;
  auto scan = ScanJournal(journal_fd.get(), paths.journal, JournalPos{},
                          [&](std::span<const Event> batch, const JournalPos& end) {
                            return fresh.ApplyBatch(batch, end);
                          });
  if (!scan.ok()) return scan.status();
  if (scan->damage) return MarkDamaged(*scan->damage);
  state = std::move(fresh);
  snapshot_offset = 0;
  return Status::Ok();
}

void Store::Impl::RefreshDerived() {
  if (index && index->delta_bytes() > kIndexRefreshBytes) {
    Status s = SaveIndex();
    if (s.code() == Code::kCorruption) {
      spdlog::warn("alert store: rebuilding a damaged index: {}", s.message());
      s = RebuildIndex();
      if (s.ok()) s = SaveIndex();
    }
    if (!s.ok()) spdlog::warn("alert store: could not save {}: {}", paths.index, s.message());
  }
  if (state && state->pos().offset - snapshot_offset > kSnapshotRefreshBytes) {
    Status s = SaveSnapshot();
    if (!s.ok()) spdlog::warn("alert store: could not save {}: {}", paths.snapshot, s.message());
  }
}

Status Store::Impl::SaveIndex() {
  SG_RETURN_IF_ERROR(index->Save(paths.index, store_id));
  auto reloaded = Index::Load(paths.index, store_id);
  if (!reloaded.ok()) return reloaded.status();
  index = std::move(reloaded.value());
  return Status::Ok();
}

Status Store::Impl::SaveSnapshot() {
  SG_RETURN_IF_ERROR(
      ReplaceFile(paths.snapshot, EncodeSnapshot(*state, store_id), /*durable=*/false));
  snapshot_offset = state->pos().offset;
  return Status::Ok();
}

}  // namespace sg::store
