// RAII owners for libgit2 handles, and the one place where a libgit2 error becomes a Status.
#pragma once

#include <git2.h>

#include <compare>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "util/status.h"

namespace sg::git {

template <typename T, void (*Free)(T*)>
struct GitDeleter {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitDeleter<T, Free>>;

using RepoPtr = GitPtr<git_repository, git_repository_free>;
using OdbPtr = GitPtr<git_odb, git_odb_free>;
using OdbObjectPtr = GitPtr<git_odb_object, git_odb_object_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using TagPtr = GitPtr<git_tag, git_tag_free>;
using ObjectPtr = GitPtr<git_object, git_object_free>;
using RevwalkPtr = GitPtr<git_revwalk, git_revwalk_free>;
using ReferencePtr = GitPtr<git_reference, git_reference_free>;
using RefIteratorPtr = GitPtr<git_reference_iterator, git_reference_iterator_free>;
using ConfigPtr = GitPtr<git_config, git_config_free>;

// The only conversion of a libgit2 failure into a Status: `rc` and git_error_last() become
// an Internal error (NotFound for GIT_ENOTFOUND) prefixed with `what`.
Status GitError(int rc, std::string_view what);

// Process-wide libgit2 setup; call once before any other function of this module. Does not
// let libgit2 parse the system CA bundle it would only need for network transports
// (libgit2.cc says why).
void InitLibgit2();

// How many CA bundle loads InitLibgit2 spared libgit2 (1 with an mbedTLS-built libgit2 when the
// bundle exists, 0 with an OpenSSL-built one).
int SkippedCaBundleLoads();

// A git object id that can be compared and used as a map key.
struct Oid {
  git_oid raw{};
  Oid() = default;
  explicit Oid(const git_oid& o) : raw(o) {}
  bool operator==(const Oid& o) const { return git_oid_equal(&raw, &o.raw); }
  bool operator<(const Oid& o) const { return git_oid_cmp(&raw, &o.raw) < 0; }
  bool IsZero() const { return git_oid_is_zero(&raw); }
  std::string Hex() const {
    char buf[GIT_OID_HEXSZ + 1];
    git_oid_tostr(buf, sizeof buf, &raw);
    return buf;
  }
  static bool FromHex(std::string_view hex, Oid* out) {
    return hex.size() == GIT_OID_HEXSZ && git_oid_fromstrn(&out->raw, hex.data(), hex.size()) == 0;
  }
};

struct OidHash {
  size_t operator()(const Oid& o) const {
    size_t h;
    std::memcpy(&h, o.raw.id, sizeof h);
    return h;
  }
};

}  // namespace sg::git
