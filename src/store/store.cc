// Store::Open and the machinery every operation shares: locking, catching up with the journal
// (Sync), torn-tail repair, appending, and the derived files.
#include <fcntl.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "store/crypto.h"
#include "store/salvage.h"
#include "store/snapshot.h"
#include "store/store_impl.h"

namespace sg::store {

// The stamp, one text line: "secretgate-stamp 2 <dev> <ino> <size> <mtime_ns> <ctime_ns> <seq>
// <alerts>" (version 1 stopped after ctime_ns). A journal that no longer matches its stamp was
// changed by something other than this code (or a writer died between fsync and stamp), and is
// then verified in full before it is trusted; the size is the part known acknowledged.
std::string EncodeStamp(const Stamp& s) {
  char buf[200];
  std::snprintf(buf, sizeof buf, "secretgate-stamp 2 %llu %llu %llu %lld %lld %lld %lld\n",
                static_cast<unsigned long long>(s.file.dev),
                static_cast<unsigned long long>(s.file.ino),
                static_cast<unsigned long long>(s.file.size),
                static_cast<long long>(s.file.mtime_ns), static_cast<long long>(s.file.ctime_ns),
                static_cast<long long>(s.seq), static_cast<long long>(s.alerts));
  return buf;
}

std::optional<Stamp> DecodeStamp(std::string_view text) {
  const std::string t(text.substr(0, 256));
  unsigned long long dev, ino, size;
  long long mtime, ctime, seq = -1, alerts = -1;
  int version = 0;
  if (std::sscanf(t.c_str(), "secretgate-stamp %d %llu %llu %llu %lld %lld %lld %lld", &version,
                  &dev, &ino, &size, &mtime, &ctime, &seq, &alerts) < 6) {
    return std::nullopt;
  }
  if (version == 1) {
    seq = alerts = -1;
  } else if (version != 2) {
    return std::nullopt;
  }
  return Stamp{FileStamp{dev, ino, size, mtime, ctime}, seq, alerts};
}

namespace {

// The owner of `path`, or of the closest directory above it that exists.
std::optional<uid_t> OwnerOfNearest(const std::string& path) {
  std::string p = path;
  while (!p.empty()) {
    struct stat st;
    if (::lstat(p.c_str(), &st) == 0) return st.st_uid;
    const size_t slash = p.find_last_of('/');
    if (slash == std::string::npos) break;
    p = slash == 0 ? "/" : p.substr(0, slash);
    if (p == "/") {
      if (::lstat("/", &st) == 0) return st.st_uid;
      break;
    }
  }
  return std::nullopt;
}

std::string UserName(uid_t uid) {
  if (struct passwd* pw = ::getpwuid(uid); pw && pw->pw_name) return pw->pw_name;
  return "uid " + std::to_string(uid);
}

// Why root must not write into `dir` (owned by `owner`).
Status ForeignStore(const std::string& dir, uid_t owner) {
  const std::string user = UserName(owner);
  return Status::Permission("refusing to write into " + dir + " as root: it belongs to " + user +
                            ", and files root creates there would lock " + user +
                            " out of its own store; run the command as " + user +
                            " (e.g. sudo -u " + user + " secretgate ...)");
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
const Status& Store::read_only_reason() const { return impl_->read_only; }
const std::vector<TailCut>& Store::repairs() const { return impl_->repairs; }

Result<Store> Store::Open(const OpenOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  auto paths = ResolvePaths(options);
  if (!paths.ok()) return paths.status();
  impl->paths = *paths;
  const FileModes modes = impl->Modes();
  if (options.read_only)
    impl->read_only = Status::Permission(impl->paths.dir + " is opened read-only");
  // Root never creates or writes anything in a store, or a place for one, that another user
  // owns: the files would belong to root, and that user's next push could not record.
  if (impl->read_only.ok() && ::geteuid() == 0) {
    if (auto owner = OwnerOfNearest(impl->paths.dir); owner && *owner != 0) {
      impl->read_only = ForeignStore(impl->paths.dir, *owner);
    }
  }
  const bool writing = impl->read_only.ok();
  if (writing) {
    if (options.server_wide) SG_RETURN_IF_ERROR(MakeStoreDirs(impl->paths.root, modes));
    SG_RETURN_IF_ERROR(MakeStoreDirs(impl->paths.dir, modes));
  }
  auto dir = Dir::Open(impl->paths.dir);
  if (!dir.ok() && dir.status().code() == Code::kNotFound && !writing) {
    impl->absent = true;  // nothing recorded here yet: reads are empty
    return Store(std::move(impl));
  }
  if (!dir.ok()) return dir.status();
  impl->dir = std::move(dir.value());
  // Checked again on the open directory: it cannot have been swapped since.
  struct stat st;
  if (writing && ::geteuid() == 0 && ::fstat(impl->dir.fd(), &st) == 0 && st.st_uid != 0) {
    impl->read_only = ForeignStore(impl->paths.dir, st.st_uid);
  }
  if (options.server_wide) {
    auto root = Dir::Open(impl->paths.root);
    if (!root.ok()) return root.status();
    impl->root = std::move(root.value());
  } else {
    auto root = Dir::Open(impl->paths.dir);
    if (!root.ok()) return root.status();
    impl->root = std::move(root.value());
  }
  const bool may_write = impl->read_only.ok();
  auto key = LoadOrCreateKey(impl->root, may_write, modes);
  if (!key.ok() && !(key.status().code() == Code::kNotFound && !may_write)) return key.status();
  if (key.ok()) impl->key = std::move(key.value());

  auto lock_fd = impl->dir.OpenFile(kLockFile, may_write ? O_RDWR | O_CREAT : O_RDONLY, modes);
  if (lock_fd.ok()) {
    impl->lock_fd = std::move(lock_fd.value());
  } else if (may_write || lock_fd.status().code() != Code::kNotFound) {
    return lock_fd.status();
  }
  {
    auto lock = impl->Lock();
    if (!lock.ok()) return lock.status();
    SG_RETURN_IF_ERROR(impl->OpenJournal());
    if (impl->absent) return Store(std::move(impl));
    Status s = impl->Sync(/*want_state=*/false);
    // A corrupt journal still opens (for reads and Verify); damage() tells, and writes fail.
    if (!s.ok() && impl->damage.ok()) return s;
  }
  return Store(std::move(impl));
}

Result<FileLock> Store::Impl::Lock() {
  // A read-only Store of a store that has no lock file yet reads without one: appends never
  // rewrite what a reader has verified.
  return FileLock::Acquire(lock_fd.get(), paths.lock, options.lock_timeout);
}

std::string Store::Impl::Now() const {
  return FormatTime(options.now ? options.now() : std::chrono::system_clock::now());
}

std::string Store::Impl::FingerprintOf(std::string_view rule_id, std::string_view secret) const {
  return Fingerprint(key, rule_id, secret);
}

Status Store::Impl::Writable() const {
  if (!read_only.ok()) return read_only;
  if (absent) return Status::Permission(paths.dir + " does not exist and is opened read-only");
  if (!damage.ok()) return damage;
  return write_error;
}

Status Store::Impl::OpenJournal() {
  const bool may_write = read_only.ok();
  auto fd = dir.OpenFile(kJournalFile, may_write ? O_RDWR : O_RDONLY);
  if (!fd.ok() && fd.status().code() == Code::kNotFound) {
    // Derived files without their journal mean the journal was lost, not that this is a new
    // store: creating an empty one would hand out alert number 1 again. Keep everything.
    std::string evidence;
    for (std::string_view name : {kSnapshotFile, kIndexFile, kStampFile}) {
      struct stat st;
      if (::fstatat(dir.fd(), std::string(name).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        evidence += (evidence.empty() ? "" : ", ") + std::string(name);
      }
    }
    if (!evidence.empty()) {
      damage = Status::Corruption(
          paths.journal + ": the journal is missing, but " + evidence +
          " show that alerts were recorded here; restore journal.jsonl from a backup, or run "
          "`secretgate store repair` to rebuild it from snapshot.bin (nothing was deleted)");
      spdlog::error("alert store damaged: {}", damage.message());
      return Status::Ok();
    }
    if (!may_write) {
      absent = true;
      return Status::Ok();
    }
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
    const FileModes modes = Modes();
    SG_RETURN_IF_ERROR(dir.Replace(kJournalFile, batch.bytes, /*durable=*/true, modes));
    fd = dir.OpenFile(kJournalFile, O_RDWR);
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
  if (::fstatat(dir.fd(), std::string(kJournalFile).c_str(), &by_path, AT_SYMLINK_NOFOLLOW) != 0) {
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

std::optional<Stamp> Store::Impl::CurrentStamp() const {
  auto text = dir.ReadWhole(kStampFile);
  if (!text.ok()) return std::nullopt;
  std::optional<Stamp> stamp = DecodeStamp(*text);
  auto now = StatFd(journal_fd.get(), paths.journal);
  if (!stamp || !now.ok() || stamp->file.dev != now->dev || stamp->file.ino != now->ino) {
    return std::nullopt;
  }
  return stamp;
}

Result<uint64_t> Store::Impl::DurableSize() const {
  if (std::optional<Stamp> stamp = CurrentStamp()) return stamp->file.size;
  auto now = StatFd(journal_fd.get(), paths.journal);
  if (!now.ok()) return now.status();
  return now->size;
}

Status Store::Impl::Sync(bool want_state) {
  if (!damage.ok()) return damage;
  SG_RETURN_IF_ERROR(FollowJournal());
  if (!index) {
    auto loaded = Index::Load(dir, kIndexFile, store_id);
    if (!loaded.ok() && loaded.status().code() != Code::kNotFound) {
      spdlog::warn("rebuilding the alert index: {}", loaded.status().message());
    }
    index = loaded.ok() ? std::move(loaded.value()) : Index();
  }
  if (want_state && !state) {
    auto bytes = dir.ReadWhole(kSnapshotFile);
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
  const std::optional<Stamp> stamp = CurrentStamp();
  const bool trusted = stamp && stamp->file == *now;
  JournalPos views = index->pos();  // the least advanced view
  if (state && state->pos().seq < views.seq) views = state->pos();
  // Untrusted: check the whole chain again, but decode only what the views lack.
  const JournalPos from = trusted ? views : JournalPos{};
  // What the last acknowledged append left is never a torn tail; without a stamp that belongs to
  // this journal nothing is known unacknowledged, so nothing may be cut back.
  const uint64_t durable = stamp ? stamp->file.size : now->size;
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
      views.seq, durable);
  if (!scan.ok()) return scan.status();
  if (scan->damage) return MarkDamaged(*scan->damage);
  const bool writes = read_only.ok();
  bool changed = !trusted;
  // A Store whose write failed touches the journal no more, not even to repair it; a read-only
  // one never does.
  if (scan->torn_bytes > 0 && write_error.ok() && writes) {
    // Only a writer that died mid-append leaves this (writers hold the lock), and only beyond
    // the size its stamp acknowledged, so nobody was ever told these bytes were recorded.
    TailCut r{paths.journal, scan->torn_line, scan->committed.offset, scan->torn_bytes,
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
  if (changed && writes) WriteStamp();
  if (!index_broken.ok()) {
    spdlog::warn("alert store: rebuilding the index: {}", index_broken.message());
    SG_RETURN_IF_ERROR(RebuildIndex());
  }
  if (!state_broken.ok()) {
    spdlog::warn("alert store: rebuilding the snapshot: {}", state_broken.message());
    SG_RETURN_IF_ERROR(RebuildState());
  }
  if (writes) RefreshDerived();
  return Status::Ok();
}

Result<const State*> Store::Impl::ReadableState() {
  if (absent) {
    if (!state) state = State();
    return &*state;
  }
  Status s = Sync(/*want_state=*/true);
  if (s.ok()) return &*state;
  if (damage.ok()) return s;
  if (!salvaged) {
    auto salvage =
        SalvageState(journal_fd.valid() ? journal_fd.get() : -1, paths.journal, dir, store_id);
    if (!salvage.ok()) return salvage.status();
    salvaged = std::move(salvage->state);
    spdlog::warn("alert store {} is damaged ({}); showing the {} alert(s) its intact records hold",
                 paths.dir, damage.message(), salvaged->alerts().size());
  }
  return &*salvaged;
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
  if (!read_only.ok()) return;
  auto now = StatFd(journal_fd.get(), paths.journal);
  Status s = now.status();
  if (now.ok()) {
    Stamp stamp{*now, index ? index->pos().seq : -1, index ? index->alert_count() : -1};
    const FileModes modes = Modes();
    s = dir.Replace(kStampFile, EncodeStamp(stamp), /*durable=*/false, modes);
  }
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
  const FileModes modes = Modes();
  SG_RETURN_IF_ERROR(index->Save(dir, kIndexFile, store_id, modes));
  auto reloaded = Index::Load(dir, kIndexFile, store_id);
  if (!reloaded.ok()) return reloaded.status();
  index = std::move(reloaded.value());
  return Status::Ok();
}

Status Store::Impl::SaveSnapshot() {
  const FileModes modes = Modes();
  SG_RETURN_IF_ERROR(
      dir.Replace(kSnapshotFile, EncodeSnapshot(*state, store_id), /*durable=*/false, modes));
  snapshot_offset = state->pos().offset;
  return Status::Ok();
}

}  // namespace sg::store
