// A repository as secretgate reads it: the real object store plus, inside a pre-receive hook,
// git's quarantine directory holding the objects the client just sent.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "git/libgit2.h"
#include "git/ref_updates.h"
#include "util/status.h"

namespace sg::git {

class Repository {
 public:
  // Opens the repository at `path` (a git dir or a work tree). When `quarantine` is non-empty
  // its objects become readable too, and NewObjectsInQuarantine() lists them.
  //
  // We do not use GIT_REPOSITORY_OPEN_FROM_ENV: libgit2 1.5 refuses it when GIT_WORK_TREE or
  // GIT_COMMON_DIR is set and does not C-unquote GIT_ALTERNATE_OBJECT_DIRECTORIES. Adding the
  // quarantine directory ourselves gives the same view without either problem.
  static Result<Repository> Open(const std::string& path, const std::string& quarantine = {});

  // Opens the repository of a running hook: GIT_DIR (default ".") and GIT_QUARANTINE_PATH.
  static Result<Repository> OpenForHook();

  git_repository* get() const { return repo_.get(); }
  git_odb* odb() const { return odb_.get(); }
  const std::string& git_dir() const { return git_dir_; }
  // The object directory: under the common dir, which a linked worktree's git dir shares.
  std::string objects_dir() const;
  const std::string& quarantine() const { return quarantine_; }
  bool is_bare() const { return git_repository_is_bare(repo_.get()); }

  // Reads an object; NotFound when it is missing.
  Result<std::string> ReadRaw(const Oid& oid, git_object_t* type = nullptr) const;
  // Size and type without inflating.
  Status ReadHeader(const Oid& oid, size_t* size, git_object_t* type) const;

  // Value of a git config key of this repository (system, global and repository levels), or
  // nullopt when unset.
  std::optional<std::string> ConfigString(const std::string& key) const;
  std::vector<std::string> ConfigMultivar(const std::string& key) const;

  // The branch HEAD names (e.g. "refs/heads/main"), or empty when HEAD is not symbolic.
  std::string HeadBranch() const;
  // The blob at `path` in the tree `rev` (a ref or a commit id) names; nullopt when the
  // revision or the path does not exist, or the path is not a file. In a pre-receive hook refs
  // still hold their old values.
  struct PathBlob {
    Oid id;
    std::string content;
  };
  Result<std::optional<PathBlob>> ReadPathAt(const std::string& rev, const std::string& path) const;

 private:
  RepoPtr repo_;
  OdbPtr odb_;
  std::string git_dir_;
  std::string quarantine_;
  std::vector<Oid> quarantine_objects_;
  std::vector<git_object_t> quarantine_types_;
  friend Result<struct NewObjects> FindNewObjects(const Repository&, const std::vector<RefUpdate>&);
  Status ListQuarantine();
};

// True when `path` has the shape of a git directory (HEAD, objects/, refs/) or of a work tree
// (.git), whether or not it can be opened.
bool LooksLikeGitDir(const std::string& path);

struct NewObjects {
  std::vector<Oid> blobs;
  std::vector<Oid> commits;
  std::vector<Oid> tags;
  bool from_quarantine = false;
};

// The content a push adds. With a quarantine: every object the client sent that the
// repository did not already have (the bases index-pack appends to complete a thin pack are
// left out). Without one (a manual run, git < 2.11): the commits reachable from the new tips
// and from no existing ref, the blobs their trees add, and new annotated tags. Either way the
// cost follows the size of the push, not the size of the history.
Result<NewObjects> FindNewObjects(const Repository& repo, const std::vector<RefUpdate>& updates);

// True when the repository borrows objects from others (objects/info/alternates).
bool HasAlternates(const std::string& git_dir);
// Adds to `out` the commits, blobs and tags that the pushed refs make reachable and the
// repository's own refs did not, which the quarantine lacks because an alternate has them.
Status AddFromAlternates(const Repository& repo, const std::vector<RefUpdate>& updates,
                         NewObjects& out);

// Where a blob first appears in a push: the earliest new commit (oldest first) whose tree adds
// it, the path there, and the ref being updated.
struct BlobOrigin {
  Oid commit;
  std::string path;
  std::string ref;
};

// Maps each of `blobs` to its origin by walking only the new commits of the push. Blobs no new
// commit adds (sent but unreferenced) are absent from the result. Done only for blobs that
// hold a finding. `refs_updated`: the push was already applied (a later drain), so the updated
// refs are not hidden and their old values are.
Result<std::map<Oid, std::vector<BlobOrigin>>> MapBlobs(const Repository& repo,
                                                        const std::vector<RefUpdate>& updates,
                                                        const std::set<Oid>& blobs,
                                                        bool refs_updated = false);

// The new commits of a push, per ref, oldest first (parents before children).
Result<std::vector<std::pair<Oid, std::string>>> NewCommits(const Repository& repo,
                                                            const std::vector<RefUpdate>& updates,
                                                            bool refs_updated = false);

// Calls fn(path, blob) for the blobs `commit` adds relative to its parents (all of its tree for
// a root commit). For a merge, a blob that any parent already has at that path is not new.
Status BlobsAddedBy(git_repository* repo, const Oid& commit,
                    const std::function<void(const std::string& path, const Oid& blob)>& fn);

}  // namespace sg::git
