// Reads every blob, commit and tag of an object database once, on several threads, at the speed
// of git's own readers: each pack is decoded by this module (zlib and git's delta format), not
// through libgit2, so that
//   * every object is inflated and every delta applied exactly once: a delta is decoded right
//     after its base, from the base's bytes still in memory (the pack's delta tree is walked
//     depth first), where libgit2 would go through its fixed 16 MiB delta-base cache and
//     rebuild chains the cache lost;
//   * trees, and every delta of a tree, are never inflated (a scan does not need them);
//   * an object larger than `max_size` is never inflated, unless a smaller delta needs it as a
//     base;
//   * SHA-1 is not recomputed. The object ids come from the pack index; corrupted bytes are
//     still caught, by zlib's Adler-32 of every stream and the size checks of every delta.
//     Recomputing SHA-1 (libgit2 does, with collision detection, on every read) would prove
//     the names of objects that git itself wrote or receive-pack already verified; a scanner
//     needs their bytes.
// Loose objects, and delta bases outside the pack (a thin pack), are read through libgit2.
//
// Work is shared through one stack of tasks (an object, with its base's bytes): any idle thread
// takes the next one, so threads stay busy to within one object. Children of an object are
// pushed so that the child with the largest subtree is taken last, when the parent's bytes can
// be released: the bytes held alive at once stay around log2(objects of a delta tree) objects
// per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "git/libgit2.h"
#include "util/status.h"

namespace sg::git {

// A run of bytes a delta copies from its base: object[to, to + length) == base[from, ...).
struct CopyRun {
  uint64_t to, from, length;
};

struct ObjectView {
  Oid oid;
  git_object_t type = GIT_OBJECT_INVALID;  // GIT_OBJECT_BLOB, _COMMIT or _TAG
  size_t size = 0;
  // The object's bytes, valid only during the callback. Empty when too_large.
  std::string_view data;
  bool too_large = false;  // size > WalkOptions::max_size: reported, not read

  // For work that a delta can take over from its base (a scanner's hits where the delta only
  // copies bytes): `fn` may leave a memo of an object that has deltas (`has_deltas`), and
  // each of those deltas gets it back as `base_memo`, with the runs it copies from that base
  // (`copies`, in increasing `to` order; valid only during the callback).
  bool has_deltas = false;
  const void* base_memo = nullptr;
  const std::vector<CopyRun>* copies = nullptr;
  mutable std::shared_ptr<const void> memo;
};

struct WalkOptions {
  size_t max_size = SIZE_MAX;
  unsigned threads = 1;  // at least 1
};

// Calls `fn(worker, object)` once per distinct blob, commit and tag in `objects_dir` (packs,
// then loose objects; alternates are not followed). `fn` runs on `threads` threads at once;
// `worker` (0 .. threads-1) names the calling thread, so that per-thread state needs no lock.
// The first error, from reading or from `fn`, stops every thread and is returned.
Status ForEachObject(const std::string& objects_dir, const WalkOptions& options,
                     const std::function<Status(unsigned worker, const ObjectView&)>& fn);

}  // namespace sg::git
