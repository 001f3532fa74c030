#include "git/pack_walk.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "git/pack_order.h"

namespace sg::git {
namespace {

// Pack entry types (git's pack format, Documentation/gitformat-pack.txt).
enum PackType : uint8_t {
  kCommit = 1,
  kTree = 2,
  kBlob = 3,
  kTag = 4,
  kOfsDelta = 6,
  kRefDelta = 7
};

constexpr uint32_t kNoBase = UINT32_MAX;
constexpr uint32_t kExternalBase = UINT32_MAX - 1;  // a REF_DELTA whose base is not in the pack

// Object bytes, not zero-filled on allocation (every byte is written by inflate or a delta).
struct Bytes {
  std::unique_ptr<char[]> data;
  size_t size = 0;
  explicit Bytes(size_t n) : data(std::make_unique_for_overwrite<char[]>(n ? n : 1)), size(n) {}
  std::string_view view() const { return {data.get(), size}; }
};
using SharedBytes = std::shared_ptr<const Bytes>;

struct Entry {
  uint64_t offset = 0;
  uint64_t end = 0;         // where the next entry (or the trailing checksum) starts
  uint64_t size = 0;        // from the entry header: object size, or delta size
  uint32_t name = 0;        // position in the index (name order)
  uint32_t base = kNoBase;  // entry index of the delta base
  uint32_t first_child = kNoBase;
  uint32_t next_sibling = kNoBase;
  uint32_t weight = 1;   // objects in the delta subtree rooted here
  uint16_t data_at = 0;  // bytes from `offset` to the zlib stream
  uint8_t kind = 0;      // PackType
  uint8_t type = 0;      // the object's type (its root's), 0 until resolved
  bool dup = false;      // an earlier pack already holds this object
};

// A read-only mapping of a pack file.
class PackFile {
 public:
  ~PackFile() {
    if (addr_ != MAP_FAILED) ::munmap(addr_, size_);
  }
  Status Open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size < 32) {
      ::close(fd);
      return Status::Corruption(path + ": not a pack file");
    }
    size_ = static_cast<size_t>(st.st_size);
    addr_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    ::close(fd);
    if (addr_ == MAP_FAILED)
      return Status::IOError("cannot map " + path + ": " + std::strerror(err));
    return Status::Ok();
  }
  const unsigned char* data() const { return static_cast<const unsigned char*>(addr_); }
  size_t size() const { return size_; }

 private:
  void* addr_ = MAP_FAILED;
  size_t size_ = 0;
};

uint32_t Be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// Reads a delta's size varint (little-endian base-128) at `p`; false past `end`.
bool DeltaVarint(const unsigned char*& p, const unsigned char* end, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; p < end && shift < 64; shift += 7) {
    unsigned char c = *p++;
    v |= uint64_t{c & 0x7fu} << shift;
    if (!(c & 0x80)) {
      *out = v;
      return true;
    }
  }
  return false;
}

// One pack, parsed: its entries in offset order and their delta tree.
struct Pack {
  std::string path;
  PackFile file;
  PackIndex index;
  std::vector<Entry> entries;   // by offset
  std::vector<uint32_t> roots;  // non-delta entries and entries with an external base

  // `earlier`: the packs before this one; an object one of them holds is marked dup.
  Status Parse(const std::vector<std::unique_ptr<Pack>>& earlier);
  Status ResolveTypes();
};

Status Pack::Parse(const std::vector<std::unique_ptr<Pack>>& earlier) {
  const uint32_t n = index.count();
  const unsigned char* d = file.data();
  const size_t size = file.size();
  if (std::memcmp(d, "PACK", 4) != 0 || (Be32(d + 4) != 2 && Be32(d + 4) != 3)) {
    return Status::Corruption(path + ": not a version 2 or 3 pack");
  }
  if (Be32(d + 8) != n) return Status::Corruption(path + ": object count differs from its index");
  entries.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    entries[i].offset = index.offset(i);
    entries[i].name = i;
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.offset < b.offset; });
  std::vector<uint32_t> by_name(n);
  for (uint32_t e = 0; e < n; ++e) by_name[entries[e].name] = e;
  const uint64_t data_end = size - 20;  // the trailing checksum
  for (uint32_t e = 0; e < n; ++e) {
    Entry& en = entries[e];
    en.end = e + 1 < n ? entries[e + 1].offset : data_end;
    if (en.offset < 12 || en.end > data_end || en.offset >= en.end) {
      return Status::Corruption(path + ": bad offset " + std::to_string(en.offset));
    }
    const unsigned char* p = d + en.offset;
    const unsigned char* lim = d + en.end;
    unsigned char c = *p++;
    en.kind = (c >> 4) & 7;
    uint64_t sz = c & 15;
    for (int shift = 4; c & 0x80; shift += 7) {
      if (p >= lim || shift > 60) return Status::Corruption(path + ": bad entry header");
      c = *p++;
      sz |= uint64_t{c & 0x7fu} << shift;
    }
    en.size = sz;
    if (en.kind == kOfsDelta) {
      if (p >= lim) return Status::Corruption(path + ": bad delta offset");
      c = *p++;
      uint64_t back = c & 127;
      while (c & 128) {
        if (p >= lim || back > (UINT64_MAX >> 8))
          return Status::Corruption(path + ": bad delta offset");
        c = *p++;
        back = ((back + 1) << 7) | (c & 127);
      }
      if (back == 0 || back > en.offset) return Status::Corruption(path + ": bad delta base");
      uint64_t base_off = en.offset - back;
      auto it = std::lower_bound(entries.begin(), entries.begin() + e, base_off,
                                 [](const Entry& x, uint64_t off) { return x.offset < off; });
      if (it == entries.begin() + e || it->offset != base_off) {
        return Status::Corruption(path + ": delta base at " + std::to_string(base_off) +
                                  " is not an object");
      }
      en.base = static_cast<uint32_t>(it - entries.begin());
    } else if (en.kind == kRefDelta) {
      if (lim - p < 20) return Status::Corruption(path + ": bad delta base id");
      git_oid id;
      std::memcpy(id.id, p, 20);
      p += 20;
      int64_t at = index.Find(id);
      en.base = at < 0 ? kExternalBase : by_name[static_cast<size_t>(at)];
    } else if (en.kind != kCommit && en.kind != kTree && en.kind != kBlob && en.kind != kTag) {
      return Status::Corruption(path + ": unknown object type " + std::to_string(en.kind));
    } else {
      en.type = en.kind;
    }
    en.data_at = static_cast<uint16_t>(p - (d + en.offset));
    if (!earlier.empty()) {  // an object in two packs is read once, from the first
      const Oid id = index.oid(en.name);
      for (const auto& p : earlier) en.dup = en.dup || p->index.Find(id.raw) >= 0;
    }
  }
  // The delta tree: children lists, roots.
  for (uint32_t e = n; e-- > 0;) {
    Entry& en = entries[e];
    if (en.base == kNoBase || en.base == kExternalBase) {
      roots.push_back(e);
    } else {
      en.next_sibling = entries[en.base].first_child;
      entries[en.base].first_child = e;
    }
  }
  std::reverse(roots.begin(), roots.end());
  return ResolveTypes();
}

// Types and subtree weights, by an explicit depth-first walk from the roots. An entry no root
// reaches sits on a cycle of REF_DELTAs: the pack is corrupt.
Status Pack::ResolveTypes() {
  std::vector<std::pair<uint32_t, bool>> stack;  // (entry, children done)
  size_t reached = 0;
  for (uint32_t r : roots) {
    stack.push_back({r, false});
    while (!stack.empty()) {
      auto [e, done] = stack.back();
      stack.pop_back();
      Entry& en = entries[e];
      if (done) {
        for (uint32_t c = en.first_child; c != kNoBase; c = entries[c].next_sibling) {
          en.weight += entries[c].weight;
        }
        continue;
      }
      ++reached;
      stack.push_back({e, true});
      for (uint32_t c = en.first_child; c != kNoBase; c = entries[c].next_sibling) {
        entries[c].type = en.type;  // a delta has its base's type (0 below an external base)
        stack.push_back({c, false});
      }
    }
  }
  if (reached != entries.size()) return Status::Corruption(path + ": delta chains form a cycle");
  return Status::Ok();
}

// What a thread needs to decode: its own zlib stream and libgit2 object database.
struct Worker {
  z_stream z{};
  bool z_ready = false;
  OdbPtr odb;
  std::vector<char> delta;  // the inflated delta being applied, reused between objects
  std::vector<CopyRun> copies;  // the runs it copies, when its base left a memo
  ~Worker() {
    if (z_ready) inflateEnd(&z);
  }
};

// Inflates the zlib stream of `en` into exactly `size` bytes (`out`), or fewer when `partial`.
Status Inflate(Worker& w, const Pack& pack, const Entry& en, char* out, size_t size, bool partial,
               size_t* got = nullptr) {
  if (!w.z_ready) {
    if (inflateInit(&w.z) != Z_OK) return Status::Internal("zlib: inflateInit failed");
    w.z_ready = true;
  } else {
    inflateReset(&w.z);
  }
  const unsigned char* in = pack.file.data() + en.offset + en.data_at;
  const size_t in_size = en.end - en.offset - en.data_at;
  w.z.next_in = const_cast<unsigned char*>(in);
  w.z.avail_in = static_cast<uInt>(std::min<size_t>(in_size, UINT32_MAX));
  w.z.next_out = reinterpret_cast<unsigned char*>(out);
  w.z.avail_out = static_cast<uInt>(size);
  int rc = inflate(&w.z, partial ? Z_SYNC_FLUSH : Z_FINISH);
  if (got) *got = size - w.z.avail_out;
  if (partial) {
    if (rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR) return Status::Ok();
  } else if (rc == Z_STREAM_END && w.z.avail_out == 0) {
    return Status::Ok();
  }
  return Status::Corruption(pack.path + ": object at offset " + std::to_string(en.offset) +
                            " does not inflate (zlib " + std::to_string(rc) + ")");
}

// Applies the git delta `delta` to `base`.
Result<SharedBytes> ApplyDelta(std::string_view base, std::string_view delta,
                               const std::string& where, std::vector<CopyRun>* copies) {
  const auto* p = reinterpret_cast<const unsigned char*>(delta.data());
  const auto* end = p + delta.size();
  uint64_t src = 0, dst = 0;
  if (!DeltaVarint(p, end, &src) || !DeltaVarint(p, end, &dst) || src != base.size()) {
    return Status::Corruption(where + ": bad delta header");
  }
  auto out = std::make_shared<Bytes>(dst);
  char* o = out->data.get();
  size_t at = 0;
  while (p < end) {
    unsigned char op = *p++;
    if (op & 0x80) {
      uint64_t off = 0, len = 0;
      for (int i = 0; i < 4; ++i) {
        if (op & (1u << i)) {
          if (p >= end) return Status::Corruption(where + ": truncated delta");
          off |= uint64_t{*p++} << (8 * i);
        }
      }
      for (int i = 0; i < 3; ++i) {
        if (op & (0x10u << i)) {
          if (p >= end) return Status::Corruption(where + ": truncated delta");
          len |= uint64_t{*p++} << (8 * i);
        }
      }
      if (len == 0) len = 0x10000;
      if (off + len > base.size() || at + len > dst)
        return Status::Corruption(where + ": bad delta copy");
      std::memcpy(o + at, base.data() + off, len);
      if (copies) copies->push_back({at, off, len});
      at += len;
    } else if (op) {
      if (static_cast<size_t>(end - p) < op || at + op > dst) {
        return Status::Corruption(where + ": bad delta insert");
      }
      std::memcpy(o + at, p, op);
      p += op;
      at += op;
    } else {
      return Status::Corruption(where + ": delta opcode 0");
    }
  }
  if (at != dst) return Status::Corruption(where + ": delta result has the wrong size");
  return SharedBytes(std::move(out));
}

git_object_t ToGitType(uint8_t t) {
  switch (t) {
    case kCommit:
      return GIT_OBJECT_COMMIT;
    case kTree:
      return GIT_OBJECT_TREE;
    case kBlob:
      return GIT_OBJECT_BLOB;
    case kTag:
      return GIT_OBJECT_TAG;
    default:
      return GIT_OBJECT_INVALID;
  }
}

uint8_t FromGitType(git_object_t t) {
  switch (t) {
    case GIT_OBJECT_COMMIT:
      return kCommit;
    case GIT_OBJECT_TREE:
      return kTree;
    case GIT_OBJECT_BLOB:
      return kBlob;
    case GIT_OBJECT_TAG:
      return kTag;
    default:
      return 0;
  }
}

// One unit of work: decode `entry` of `pack` (from `base`, when it is a delta), hand it to the
// callback, then queue its deltas. `loose` >= 0 names a loose object instead.
struct Task {
  uint32_t pack = 0;
  uint32_t entry = 0;
  int64_t loose = -1;
  SharedBytes base;
  uint8_t base_type = 0;  // the base's type, for deltas whose base is outside the pack
  std::shared_ptr<const void> base_memo;  // what the callback left for the base (ObjectView)
};

class Walker {
 public:
  Walker(const std::string& objects_dir, const WalkOptions& options,
         const std::function<Status(unsigned, const ObjectView&)>& fn)
      : objects_dir_(objects_dir), options_(options), fn_(fn) {}

  Status Run();

 private:
  void Work(unsigned worker);
  Status Process(Worker& w, unsigned worker, Task task);
  Status ProcessLoose(Worker& w, unsigned worker, const Oid& oid);
  // Calls fn_ for the object; `memo` (when not null) receives what fn_ left for its deltas.
  Status Emit(unsigned worker, const Entry& en, const Pack& pack, uint64_t size,
              std::string_view data, const void* base_memo = nullptr,
              const std::vector<CopyRun>* copies = nullptr,
              std::shared_ptr<const void>* memo = nullptr);
  // The size of the object `en` stands for (a delta's result size, from its first bytes).
  Result<uint64_t> ObjectSize(Worker& w, const Pack& pack, const Entry& en);
  // True when `en` or an object below it in the delta tree is small enough to be read.
  Result<bool> SubtreeWanted(Worker& w, const Pack& pack, uint32_t e);
  Status ReportTooLarge(Worker& w, unsigned worker, const Pack& pack, uint32_t e);
  void Push(std::vector<Task> tasks);
  void Fail(Status s);

  std::string objects_dir_;
  WalkOptions options_;
  const std::function<Status(unsigned, const ObjectView&)>& fn_;
  std::vector<std::unique_ptr<Pack>> packs_;
  std::vector<Oid> loose_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Task> stack_;
  size_t busy_ = 0;  // tasks taken and not finished
  std::atomic<bool> failed_{false};
  Status error_;
};

void Walker::Fail(Status s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!failed_.exchange(true)) error_ = std::move(s);
  cv_.notify_all();
}

void Walker::Push(std::vector<Task> tasks) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& t : tasks) stack_.push_back(std::move(t));
  cv_.notify_all();
}

Status Walker::Emit(unsigned worker, const Entry& en, const Pack& pack, uint64_t size,
                    std::string_view data, const void* base_memo,
                    const std::vector<CopyRun>* copies, std::shared_ptr<const void>* memo) {
  if (en.dup || (en.type != kBlob && en.type != kCommit && en.type != kTag)) return Status::Ok();
  ObjectView v;
  v.oid = pack.index.oid(en.name);
  v.type = ToGitType(en.type);
  v.size = size;
  v.data = data;
  v.too_large = size > options_.max_size;
  v.has_deltas = memo && en.first_child != kNoBase;
  v.base_memo = base_memo;
  v.copies = base_memo ? copies : nullptr;
  Status s = fn_(worker, v);
  if (memo && v.has_deltas) *memo = std::move(v.memo);
  return s;
}

Result<uint64_t> Walker::ObjectSize(Worker& w, const Pack& pack, const Entry& en) {
  if (en.kind != kOfsDelta && en.kind != kRefDelta) return en.size;
  char head[32];
  size_t got = 0;
  SG_RETURN_IF_ERROR(
      Inflate(w, pack, en, head, std::min<size_t>(sizeof head, en.size), true, &got));
  const auto* p = reinterpret_cast<const unsigned char*>(head);
  uint64_t src = 0, dst = 0;
  if (!DeltaVarint(p, p + got, &src) || !DeltaVarint(p, p + got, &dst)) {
    return Status::Corruption(pack.path + ": bad delta header at " + std::to_string(en.offset));
  }
  return dst;
}

Result<bool> Walker::SubtreeWanted(Worker& w, const Pack& pack, uint32_t e) {
  const Entry& en = pack.entries[e];
  if (en.type == kTree) return false;
  auto size = ObjectSize(w, pack, en);
  if (!size.ok()) return size.status();
  if (*size <= options_.max_size) return true;
  for (uint32_t c = en.first_child; c != kNoBase; c = pack.entries[c].next_sibling) {
    auto wanted = SubtreeWanted(w, pack, c);
    if (!wanted.ok() || *wanted) return wanted;
  }
  return false;
}

Status Walker::ReportTooLarge(Worker& w, unsigned worker, const Pack& pack, uint32_t e) {
  std::vector<uint32_t> todo{e};
  while (!todo.empty()) {
    uint32_t x = todo.back();
    todo.pop_back();
    const Entry& en = pack.entries[x];
    auto size = ObjectSize(w, pack, en);
    if (!size.ok()) return size.status();
    SG_RETURN_IF_ERROR(Emit(worker, en, pack, *size, {}));
    for (uint32_t c = en.first_child; c != kNoBase; c = pack.entries[c].next_sibling) {
      todo.push_back(c);
    }
  }
  return Status::Ok();
}

Status Walker::Process(Worker& w, unsigned worker, Task task) {
  if (task.loose >= 0) return ProcessLoose(w, worker, loose_[static_cast<size_t>(task.loose)]);
  Pack& pack = *packs_[task.pack];
  const uint32_t e = task.entry;
  Entry& en = pack.entries[e];
  const bool delta = en.kind == kOfsDelta || en.kind == kRefDelta;
  const std::string where = pack.path + ": object at offset " + std::to_string(en.offset);

  // A REF_DELTA whose base lives outside the pack (a thin pack): libgit2 reads the base.
  if (en.base == kExternalBase && !task.base) {
    git_oid id;
    std::memcpy(id.id, pack.file.data() + en.offset + en.data_at - 20, 20);
    git_odb_object* raw = nullptr;
    int rc = git_odb_read(&raw, w.odb.get(), &id);
    if (rc != 0) return GitError(rc, where + ": cannot read its delta base " + Oid(id).Hex());
    OdbObjectPtr obj(raw);
    auto b = std::make_shared<Bytes>(git_odb_object_size(obj.get()));
    std::memcpy(b->data.get(), git_odb_object_data(obj.get()), b->size);
    task.base = std::move(b);
    task.base_type = FromGitType(git_odb_object_type(obj.get()));
  }
  if (en.type == 0) en.type = task.base_type;  // only below an external base; one thread owns it
  if (en.type == kTree) return Status::Ok();   // trees (and their deltas) are never needed

  // An object over max_size is read only when a smaller delta below it needs its bytes.
  auto children_wanted = [&]() -> Result<bool> {
    for (uint32_t c = en.first_child; c != kNoBase; c = pack.entries[c].next_sibling) {
      auto wanted = SubtreeWanted(w, pack, c);
      if (!wanted.ok() || *wanted) return wanted;
    }
    return false;
  };
  auto skip_subtree = [&](uint64_t size) -> Status {
    SG_RETURN_IF_ERROR(Emit(worker, en, pack, size, {}));
    for (uint32_t c = en.first_child; c != kNoBase; c = pack.entries[c].next_sibling) {
      SG_RETURN_IF_ERROR(ReportTooLarge(w, worker, pack, c));
    }
    return Status::Ok();
  };
  SharedBytes self;
  if (!delta) {
    if (en.size > options_.max_size) {
      auto wanted = children_wanted();
      if (!wanted.ok()) return wanted.status();
      if (!*wanted) return skip_subtree(en.size);
    }
    auto b = std::make_shared<Bytes>(en.size);
    SG_RETURN_IF_ERROR(Inflate(w, pack, en, b->data.get(), b->size, false));
    self = std::move(b);
  } else {
    if (!task.base) return Status::Internal(where + ": delta without its base");
    if (en.size > options_.max_size) {  // a huge delta: look at its result size first
      auto size = ObjectSize(w, pack, en);
      if (!size.ok()) return size.status();
      if (*size > options_.max_size) {
        auto wanted = children_wanted();
        if (!wanted.ok()) return wanted.status();
        if (!*wanted) return skip_subtree(*size);
      }
    }
    if (w.delta.size() < en.size) w.delta.resize(en.size);
    SG_RETURN_IF_ERROR(Inflate(w, pack, en, w.delta.data(), en.size, false));
    const std::string_view d(w.delta.data(), en.size);
    const auto* p = reinterpret_cast<const unsigned char*>(d.data());
    uint64_t src = 0, dst = 0;
    if (!DeltaVarint(p, p + d.size(), &src) || !DeltaVarint(p, p + d.size(), &dst)) {
      return Status::Corruption(where + ": bad delta header");
    }
    if (dst > options_.max_size) {
      auto wanted = children_wanted();
      if (!wanted.ok()) return wanted.status();
      if (!*wanted) return skip_subtree(dst);
    }
    w.copies.clear();
    auto r = ApplyDelta(task.base->view(), d, where, task.base_memo ? &w.copies : nullptr);
    if (!r.ok()) return r.status();
    self = std::move(*r);
  }
  task.base.reset();  // the parent's bytes may go once its last child has them applied
  std::shared_ptr<const void> memo;
  SG_RETURN_IF_ERROR(Emit(worker, en, pack, self->size,
                          self->size <= options_.max_size ? self->view() : std::string_view(),
                          delta ? task.base_memo.get() : nullptr, &w.copies, &memo));
  task.base_memo.reset();

  // Children: the heaviest subtree is pushed first so that it is taken last (see pack_walk.h).
  std::vector<uint32_t> kids;
  for (uint32_t c = en.first_child; c != kNoBase; c = pack.entries[c].next_sibling) {
    kids.push_back(c);
  }
  if (kids.empty()) return Status::Ok();
  std::sort(kids.begin(), kids.end(), [&](uint32_t a, uint32_t b) {
    return pack.entries[a].weight > pack.entries[b].weight;
  });
  std::vector<Task> tasks;
  tasks.reserve(kids.size());
  for (uint32_t c : kids) tasks.push_back({task.pack, c, -1, self, en.type, memo});
  Push(std::move(tasks));
  return Status::Ok();
}

Status Walker::ProcessLoose(Worker& w, unsigned worker, const Oid& oid) {
  size_t size = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  int rc = git_odb_read_header(&size, &type, w.odb.get(), &oid.raw);
  if (rc != 0) return GitError(rc, "cannot read object " + oid.Hex());
  if (type != GIT_OBJECT_BLOB && type != GIT_OBJECT_COMMIT && type != GIT_OBJECT_TAG) {
    return Status::Ok();
  }
  ObjectView v;
  v.oid = oid;
  v.type = type;
  v.size = size;
  v.too_large = size > options_.max_size;
  if (v.too_large) return fn_(worker, v);
  git_odb_object* raw = nullptr;
  rc = git_odb_read(&raw, w.odb.get(), &oid.raw);
  if (rc != 0) return GitError(rc, "cannot read object " + oid.Hex());
  OdbObjectPtr obj(raw);
  v.data = {static_cast<const char*>(git_odb_object_data(obj.get())),
            git_odb_object_size(obj.get())};
  v.size = v.data.size();
  return fn_(worker, v);
}

void Walker::Work(unsigned worker) {
  Worker w;
  git_odb* raw = nullptr;
  int rc = git_odb_open(&raw, objects_dir_.c_str());
  if (rc != 0) {
    Fail(GitError(rc, "cannot open the object database " + objects_dir_));
    return;
  }
  w.odb.reset(raw);
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return failed_ || !stack_.empty() || busy_ == 0; });
      if (failed_ || stack_.empty()) return;  // failed, or nothing left and nobody busy
      task = std::move(stack_.back());
      stack_.pop_back();
      ++busy_;
    }
    Status s = Process(w, worker, std::move(task));
    if (!s.ok()) {
      Fail(std::move(s));
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (--busy_ == 0 && stack_.empty()) cv_.notify_all();
  }
}

Status Walker::Run() {
  for (const auto& idx_path : PackIndexPaths(objects_dir_)) {
    auto pack = std::make_unique<Pack>();
    pack->path = idx_path.substr(0, idx_path.size() - 4) + ".pack";
    auto idx = PackIndex::Load(idx_path);
    if (!idx.ok()) return idx.status();
    pack->index = std::move(*idx);
    SG_RETURN_IF_ERROR(pack->file.Open(pack->path));
    SG_RETURN_IF_ERROR(pack->Parse(packs_));
    packs_.push_back(std::move(pack));
  }
  for (const auto& oid : LooseObjects(objects_dir_)) {
    bool packed = false;
    for (const auto& p : packs_) packed = packed || p->index.Find(oid.raw) >= 0;
    if (!packed) loose_.push_back(oid);
  }
  // The stack is taken from the back: loose objects last, then packs in order, roots in
  // offset order.
  for (size_t i = loose_.size(); i-- > 0;)
    stack_.push_back({0, 0, static_cast<int64_t>(i), {}, 0, {}});
  for (size_t p = packs_.size(); p-- > 0;) {
    const auto& roots = packs_[p]->roots;
    for (size_t i = roots.size(); i-- > 0;) {
      if (packs_[p]->entries[roots[i]].type == kTree) continue;
      stack_.push_back({static_cast<uint32_t>(p), roots[i], -1, {}, 0, {}});
    }
  }
  const unsigned n = std::max(1u, options_.threads);
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < n; ++t) threads.emplace_back([this, t] { Work(t); });
  Work(0);
  for (auto& th : threads) th.join();
  return failed_ ? error_ : Status::Ok();
}

}  // namespace

Status ForEachObject(const std::string& objects_dir, const WalkOptions& options,
                     const std::function<Status(unsigned worker, const ObjectView&)>& fn) {
  Walker walker(objects_dir, options, fn);
  return walker.Run();
}

}  // namespace sg::git
