#include "git/libgit2.h"

#include <mutex>

namespace sg::git {

Status GitError(int rc, std::string_view what) {
  const git_error* e = git_error_last();
  std::string msg = std::string(what) + ": " + (e && e->message ? e->message : "libgit2 error " +
                                                                                  std::to_string(rc));
  if (rc == GIT_ENOTFOUND) return Status::NotFound(msg);
  return Status::Internal(msg);
}

void InitLibgit2() {
  static std::once_flag once;
  std::call_once(once, [] {
    git_libgit2_init();
    // Every read would otherwise re-hash the object with collision-detecting SHA-1, 3-4x the
    // cost of inflating it. In a hook the pushed objects were verified by receive-pack
    // (index-pack/unpack-objects) moments ago, and `scan` reads a repository that git already
    // trusts; secretgate reads objects, it never writes them, so a corrupt object can at worst
    // be scanned as the bytes it holds.
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
  });
}

}  // namespace sg::git
