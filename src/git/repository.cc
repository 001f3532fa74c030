#include "git/repository.h"

#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <unordered_set>

#include "git/pack_order.h"

namespace sg::git {
namespace {

// Tree entries of `tree` joined to `prefix`.
std::string Join(const std::string& prefix, const char* name) {
  return prefix.empty() ? std::string(name) : prefix + "/" + name;
}

Result<TreePtr> LookupTree(git_repository* repo, const git_oid* oid) {
  git_tree* t = nullptr;
  int rc = git_tree_lookup(&t, repo, oid);
  if (rc != 0) return GitError(rc, "cannot read tree " + Oid(*oid).Hex());
  return TreePtr(t);
}

// Calls fn(path, blob) for every blob entry of `new_tree` that is not the same entry in
// `old_tree` (which may be null). Identical subtrees are skipped without reading them.
Status DiffTrees(git_repository* repo, const git_tree* old_tree, const git_tree* new_tree,
                 const std::string& prefix,
                 const std::function<void(const std::string&, const Oid&)>& fn) {
  size_t n = git_tree_entrycount(new_tree);
  for (size_t i = 0; i < n; ++i) {
    const git_tree_entry* e = git_tree_entry_byindex(new_tree, i);
    const char* name = git_tree_entry_name(e);
    const git_oid* id = git_tree_entry_id(e);
    const git_tree_entry* old = old_tree ? git_tree_entry_byname(old_tree, name) : nullptr;
    if (old && git_oid_equal(git_tree_entry_id(old), id)) continue;
    git_object_t type = git_tree_entry_type(e);
    if (type == GIT_OBJECT_TREE) {
      auto sub = LookupTree(repo, id);
      if (!sub.ok()) return sub.status();
      TreePtr old_sub;
      if (old && git_tree_entry_type(old) == GIT_OBJECT_TREE) {
        auto o = LookupTree(repo, git_tree_entry_id(old));
        if (!o.ok()) return o.status();
        old_sub = std::move(*o);
      }
      SG_RETURN_IF_ERROR(DiffTrees(repo, old_sub.get(), sub->get(), Join(prefix, name), fn));
    } else if (type == GIT_OBJECT_BLOB) {
      fn(Join(prefix, name), Oid(*id));
    }
  }
  return Status::Ok();
}

// Hides every existing ref's commit from `walk`: what is left is what the push adds. Refs in
// `skip` are left visible (after a push they already point at the new commits).
Status HideExistingRefs(git_repository* repo, git_revwalk* walk,
                        const std::set<std::string>& skip = {}) {
  git_reference_iterator* raw_it = nullptr;
  int rc = git_reference_iterator_new(&raw_it, repo);
  if (rc != 0) return GitError(rc, "cannot list refs");
  RefIteratorPtr it(raw_it);
  git_reference* raw_ref = nullptr;
  while (git_reference_next(&raw_ref, it.get()) == 0) {
    ReferencePtr ref(raw_ref);
    if (skip.count(git_reference_name(ref.get()))) continue;
    git_object* raw_obj = nullptr;
    if (git_reference_peel(&raw_obj, ref.get(), GIT_OBJECT_COMMIT) != 0) continue;
    ObjectPtr obj(raw_obj);
    git_revwalk_hide(walk, git_object_id(obj.get()));
  }
  return Status::Ok();
}

// Peels `oid` to a commit; nullopt when it is not a commit-ish (a tag of a tree or blob).
std::optional<Oid> PeelToCommit(git_repository* repo, const Oid& oid) {
  git_object* raw = nullptr;
  if (git_object_lookup(&raw, repo, &oid.raw, GIT_OBJECT_ANY) != 0) return std::nullopt;
  ObjectPtr obj(raw);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, obj.get(), GIT_OBJECT_COMMIT) != 0) return std::nullopt;
  ObjectPtr p(peeled);
  return Oid(*git_object_id(p.get()));
}

std::string OwnerName(uid_t uid) {
  if (struct passwd* pw = ::getpwuid(uid); pw && pw->pw_name) return pw->pw_name;
  return "uid " + std::to_string(uid);
}

// libgit2 (as git since 2.35.2) refuses a repository another user owns unless safe.directory
// trusts it; its own message ("config value 'safe.directory' was not found") says nothing of that.
Status DubiousOwnership(const std::string& path) {
  struct stat st;
  std::string owner = "another user";
  if (::stat(path.c_str(), &st) == 0) owner = OwnerName(st.st_uid);
  const std::string me = OwnerName(::geteuid());
  return Status::Permission(
      "cannot open git repository '" + path + "': it belongs to " + owner + ", not to " + me +
      ", and git refuses repositories of other users (dubious ownership, safe.directory). Run "
      "secretgate as " +
      owner + " (sudo -u " + owner +
      " secretgate ...), or trust the "
      "repository: git config --global --add safe.directory '" +
      path + "'");
}

// libgit2 1.5 reports a refused owner as GIT_EOWNER, or (when no safe.directory is configured at
// all) as the failed lookup of that key.
bool IsOwnershipRefusal(int rc, const std::string& path) {
  const git_error* e = git_error_last();
  const bool says =
      rc == GIT_EOWNER || (e && e->message && std::strstr(e->message, "safe.directory"));
  struct stat st;
  return says && ::stat(path.c_str(), &st) == 0 && st.st_uid != ::geteuid();
}

// True when the global or system git config says `safe.directory = *` (trust every repository).
bool TrustedEverywhere() {
  git_config* raw = nullptr;
  if (git_config_open_default(&raw) != 0) return false;
  ConfigPtr cfg(raw);
  bool star = false;
  git_config_get_multivar_foreach(
      cfg.get(), "safe.directory", nullptr,
      [](const git_config_entry* e, void* p) {
        if (e->value && std::string_view(e->value) == "*") *static_cast<bool*>(p) = true;
        return 0;
      },
      &star);
  return star;
}

}  // namespace

bool LooksLikeGitDir(const std::string& path) {
  struct stat st;
  auto is = [&](const std::string& p, bool dir) {
    return ::stat(p.c_str(), &st) == 0 && (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
  };
  if (is(path + "/HEAD", false) && is(path + "/objects", true) && is(path + "/refs", true)) {
    return true;
  }
  return is(path + "/.git", true) || is(path + "/.git", false);  // a work tree (or worktree link)
}

Result<Repository> Repository::Open(const std::string& path, const std::string& quarantine) {
  InitLibgit2();
  Repository r;
  git_repository* raw = nullptr;
  int rc = git_repository_open_ext(&raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
  if (rc != 0 && IsOwnershipRefusal(rc, path)) {
    if (!TrustedEverywhere()) return DubiousOwnership(path);
    // git's `safe.directory = *`, which libgit2 1.5 does not know: git would open it.
    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
    rc = git_repository_open_ext(&raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 1);
  }
  if (rc != 0) return GitError(rc, "cannot open git repository '" + path + "'");
  r.repo_.reset(raw);
  r.git_dir_ = git_repository_path(raw);
  if (!r.git_dir_.empty() && r.git_dir_.back() == '/') r.git_dir_.pop_back();
  git_odb* odb = nullptr;
  rc = git_repository_odb(&odb, raw);
  if (rc != 0) return GitError(rc, "cannot open the object database of '" + path + "'");
  r.odb_.reset(odb);
  if (!quarantine.empty()) {
    r.quarantine_ = quarantine;
    // List what the client sent before the quarantine joins the repository's view, so that
    // objects the repository already has can be told apart.
    SG_RETURN_IF_ERROR(r.ListQuarantine());
    rc = git_odb_add_disk_alternate(r.odb_.get(), quarantine.c_str());
    if (rc != 0) return GitError(rc, "cannot read the quarantine directory '" + quarantine + "'");
  }
  return r;
}

std::string Repository::objects_dir() const {
  const char* common = repo_ ? git_repository_commondir(repo_.get()) : nullptr;
  std::string dir = common && *common ? common : git_dir_ + "/";
  if (dir.back() != '/') dir += '/';
  return dir + "objects";
}

Result<Repository> Repository::OpenForHook() {
  // git itself runs this hook inside the repository, so git's own ownership check
  // (safe.directory) has already passed, or was deliberately configured: a repository shared by
  // the SSH user and the web server's user relies on `safe.directory = *`, which libgit2 1.5 does
  // not understand, and would then see its pushes accepted unscanned. The check guards against
  // running commands a stranger's config names (core.fsmonitor and the like); libgit2 runs none,
  // so the hook skips it. Commands run by hand (scan, alerts) keep it.
  InitLibgit2();
  git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
  const char* dir = std::getenv("GIT_DIR");
  const char* q = std::getenv("GIT_QUARANTINE_PATH");
  return Open(dir && *dir ? dir : ".", q ? q : "");
}

Status Repository::ListQuarantine() {
  git_odb* raw = nullptr;
  int rc = git_odb_new(&raw);
  if (rc != 0) return GitError(rc, "cannot create an object database");
  OdbPtr q(raw);
  rc = git_odb_add_disk_alternate(q.get(), quarantine_.c_str());
  if (rc != 0) return GitError(rc, "cannot open the quarantine directory '" + quarantine_ + "'");
  // In pack order, not hash order: on a pushed pack of libgit2's history, reading the objects
  // in hash order took 2.59 s, in pack order 0.72 s (libgit2's delta-base cache then serves
  // each delta's base).
  auto all = ObjectsInPackOrder(quarantine_);
  if (!all.ok()) return all.status().WithContext("cannot list the quarantine directory");
  for (const Oid& oid : *all) {
    // index-pack --fix-thin appends bases the repository already has; they are not new.
    if (git_odb_exists_ext(odb_.get(), &oid.raw, GIT_ODB_LOOKUP_NO_REFRESH)) continue;
    size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    rc = git_odb_read_header(&size, &type, q.get(), &oid.raw);
    if (rc != 0) return GitError(rc, "cannot read object " + oid.Hex() + " in the quarantine");
    quarantine_objects_.push_back(oid);
    quarantine_types_.push_back(type);
  }
  return Status::Ok();
}

Result<std::string> Repository::ReadRaw(const Oid& oid, git_object_t* type) const {
  git_odb_object* raw = nullptr;
  int rc = git_odb_read(&raw, odb_.get(), &oid.raw);
  if (rc != 0) return GitError(rc, "cannot read object " + oid.Hex());
  OdbObjectPtr obj(raw);
  if (type) *type = git_odb_object_type(obj.get());
  return std::string(static_cast<const char*>(git_odb_object_data(obj.get())),
                     git_odb_object_size(obj.get()));
}

Status Repository::ReadHeader(const Oid& oid, size_t* size, git_object_t* type) const {
  int rc = git_odb_read_header(size, type, odb_.get(), &oid.raw);
  if (rc != 0) return GitError(rc, "cannot read object " + oid.Hex());
  return Status::Ok();
}

std::optional<std::string> Repository::ConfigString(const std::string& key) const {
  git_config* raw = nullptr;
  if (git_repository_config_snapshot(&raw, repo_.get()) != 0) return std::nullopt;
  ConfigPtr cfg(raw);
  const char* value = nullptr;
  if (git_config_get_string(&value, cfg.get(), key.c_str()) != 0) return std::nullopt;
  return std::string(value);
}

std::vector<std::string> Repository::ConfigMultivar(const std::string& key) const {
  std::vector<std::string> out;
  git_config* raw = nullptr;
  if (git_repository_config_snapshot(&raw, repo_.get()) != 0) return out;
  ConfigPtr cfg(raw);
  git_config_get_multivar_foreach(
      cfg.get(), key.c_str(), nullptr,
      [](const git_config_entry* e, void* p) {
        static_cast<std::vector<std::string>*>(p)->push_back(e->value);
        return 0;
      },
      &out);
  return out;
}

std::string Repository::HeadBranch() const {
  git_reference* raw = nullptr;
  if (git_reference_lookup(&raw, repo_.get(), "HEAD") != 0) return {};
  ReferencePtr head(raw);
  if (git_reference_type(head.get()) != GIT_REFERENCE_SYMBOLIC) return {};
  const char* target = git_reference_symbolic_target(head.get());
  return target ? target : "";
}

Result<std::optional<Repository::PathBlob>> Repository::ReadPathAt(const std::string& rev,
                                                                   const std::string& path) const {
  using Out = std::optional<PathBlob>;
  git_object* raw = nullptr;
  int rc = git_revparse_single(&raw, repo_.get(), (rev + "^{tree}").c_str());
  if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC || rc == GIT_EAMBIGUOUS) return Out();
  if (rc != 0) return GitError(rc, "cannot resolve " + rev);
  ObjectPtr tree(raw);
  git_tree_entry* e = nullptr;
  rc = git_tree_entry_bypath(&e, reinterpret_cast<git_tree*>(tree.get()), path.c_str());
  if (rc == GIT_ENOTFOUND) return Out();
  if (rc != 0) return GitError(rc, "cannot find " + path + " in " + rev);
  Oid id(*git_tree_entry_id(e));
  bool blob = git_tree_entry_type(e) == GIT_OBJECT_BLOB;
  git_tree_entry_free(e);
  if (!blob) return Out();
  auto data = ReadRaw(id);
  if (!data.ok()) return data.status();
  return Out(PathBlob{id, std::move(*data)});
}

Result<std::vector<std::pair<Oid, std::string>>> NewCommits(const Repository& repo,
                                                            const std::vector<RefUpdate>& updates,
                                                            bool refs_updated) {
  std::set<std::string> updated_refs;
  if (refs_updated) {
    for (const auto& u : updates) updated_refs.insert(u.ref);
  }
  std::vector<std::pair<Oid, std::string>> out;
  std::set<Oid> seen;
  for (const auto& u : updates) {
    if (u.IsDelete()) continue;
    auto tip = PeelToCommit(repo.get(), u.new_oid);
    if (!tip) continue;
    git_revwalk* raw = nullptr;
    int rc = git_revwalk_new(&raw, repo.get());
    if (rc != 0) return GitError(rc, "cannot walk history");
    RevwalkPtr walk(raw);
    git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
    rc = git_revwalk_push(walk.get(), &tip->raw);
    if (rc != 0) return GitError(rc, "cannot walk from " + tip->Hex() + " (" + u.ref + ")");
    SG_RETURN_IF_ERROR(HideExistingRefs(repo.get(), walk.get(), updated_refs));
    if (refs_updated) {
      for (const auto& other : updates) {
        if (other.IsCreate()) continue;
        if (auto old = PeelToCommit(repo.get(), other.old_oid))
          git_revwalk_hide(walk.get(), &old->raw);
      }
    }
    git_oid id;
    while ((rc = git_revwalk_next(&id, walk.get())) == 0) {
      if (seen.insert(Oid(id)).second) out.emplace_back(Oid(id), u.ref);
    }
    if (rc != GIT_ITEROVER) return GitError(rc, "cannot walk history of " + u.ref);
  }
  return out;
}

Status BlobsAddedBy(git_repository* repo, const Oid& commit_oid,
                    const std::function<void(const std::string&, const Oid&)>& fn) {
  git_commit* raw = nullptr;
  int rc = git_commit_lookup(&raw, repo, &commit_oid.raw);
  if (rc != 0) return GitError(rc, "cannot read commit " + commit_oid.Hex());
  CommitPtr commit(raw);
  git_tree* raw_tree = nullptr;
  rc = git_commit_tree(&raw_tree, commit.get());
  if (rc != 0) return GitError(rc, "cannot read the tree of commit " + commit_oid.Hex());
  TreePtr tree(raw_tree);
  unsigned nparents = git_commit_parentcount(commit.get());
  std::vector<TreePtr> parent_trees;
  for (unsigned i = 0; i < nparents; ++i) {
    git_commit* p = nullptr;
    if (git_commit_parent(&p, commit.get(), i) != 0) continue;  // shallow: parent absent
    CommitPtr parent(p);
    git_tree* pt = nullptr;
    if (git_commit_tree(&pt, parent.get()) == 0) parent_trees.emplace_back(pt);
  }
  const git_tree* first = parent_trees.empty() ? nullptr : parent_trees[0].get();
  if (parent_trees.size() <= 1) return DiffTrees(repo, first, tree.get(), "", fn);
  return DiffTrees(repo, first, tree.get(), "", [&](const std::string& path, const Oid& blob) {
    for (size_t i = 1; i < parent_trees.size(); ++i) {
      git_tree_entry* e = nullptr;
      if (git_tree_entry_bypath(&e, parent_trees[i].get(), path.c_str()) == 0) {
        bool same = git_oid_equal(git_tree_entry_id(e), &blob.raw);
        git_tree_entry_free(e);
        if (same) return;
      }
    }
    fn(path, blob);
  });
}

Result<NewObjects> FindNewObjects(const Repository& repo, const std::vector<RefUpdate>& updates) {
  NewObjects out;
  if (!repo.quarantine_.empty()) {
    out.from_quarantine = true;
    for (size_t i = 0; i < repo.quarantine_objects_.size(); ++i) {
      switch (repo.quarantine_types_[i]) {
        case GIT_OBJECT_BLOB:
          out.blobs.push_back(repo.quarantine_objects_[i]);
          break;
        case GIT_OBJECT_COMMIT:
          out.commits.push_back(repo.quarantine_objects_[i]);
          break;
        case GIT_OBJECT_TAG:
          out.tags.push_back(repo.quarantine_objects_[i]);
          break;
        default:
          break;
      }
    }
    // With alternates (a fork's object pool, as GitLab and Gitea keep them), the client sends
    // nothing the pool already holds, yet the push makes it reachable here: what the new commits
    // bring that the repository's own refs did not reach is scanned too, wherever it lives.
    if (HasAlternates(repo.git_dir())) SG_RETURN_IF_ERROR(AddFromAlternates(repo, updates, out));
    return out;
  }
  auto commits = NewCommits(repo, updates, false);
  if (!commits.ok()) return commits.status();
  std::set<Oid> blobs;
  for (const auto& [commit, ref] : *commits) {
    out.commits.push_back(commit);
    SG_RETURN_IF_ERROR(BlobsAddedBy(repo.get(), commit, [&](const std::string&, const Oid& b) {
      if (blobs.insert(b).second) out.blobs.push_back(b);
    }));
  }
  // Annotated tags the push creates or moves: a tag object that no existing ref points at.
  for (const auto& u : updates) {
    if (u.IsDelete()) continue;
    git_tag* raw = nullptr;
    if (git_tag_lookup(&raw, repo.get(), &u.new_oid.raw) != 0) continue;
    TagPtr tag(raw);
    out.tags.push_back(u.new_oid);
  }
  return out;
}

bool HasAlternates(const std::string& git_dir) {
  struct stat st;
  const std::string f = git_dir + "/objects/info/alternates";
  return ::stat(f.c_str(), &st) == 0 && st.st_size > 0;
}

Status AddFromAlternates(const Repository& repo, const std::vector<RefUpdate>& updates,
                         NewObjects& out) {
  std::unordered_set<Oid, OidHash> have(out.blobs.begin(), out.blobs.end());
  have.insert(out.commits.begin(), out.commits.end());
  auto commits = NewCommits(repo, updates, false);
  if (!commits.ok()) return commits.status();
  size_t added_commits = 0, added_blobs = 0;
  for (const auto& [commit, ref] : *commits) {
    if (have.insert(commit).second) {
      out.commits.push_back(commit);
      ++added_commits;
    }
    SG_RETURN_IF_ERROR(BlobsAddedBy(repo.get(), commit, [&](const std::string&, const Oid& b) {
      if (have.insert(b).second) {
        out.blobs.push_back(b);
        ++added_blobs;
      }
    }));
  }
  for (const auto& u : updates) {
    if (u.IsDelete() || have.count(u.new_oid)) continue;
    git_tag* raw = nullptr;
    if (git_tag_lookup(&raw, repo.get(), &u.new_oid.raw) != 0) continue;
    TagPtr tag(raw);
    if (std::find(out.tags.begin(), out.tags.end(), u.new_oid) == out.tags.end()) {
      out.tags.push_back(u.new_oid);
    }
  }
  if (added_commits + added_blobs > 0) {
    spdlog::info("{} commit(s) and {} blob(s) the push makes reachable come from alternates",
                 added_commits, added_blobs);
  }
  return Status::Ok();
}

Result<std::map<Oid, std::vector<BlobOrigin>>> MapBlobs(const Repository& repo,
                                                        const std::vector<RefUpdate>& updates,
                                                        const std::set<Oid>& blobs,
                                                        bool refs_updated) {
  constexpr size_t kMaxOriginsPerBlob = 20;
  std::map<Oid, std::vector<BlobOrigin>> out;
  if (blobs.empty()) return out;
  auto commits = NewCommits(repo, updates, refs_updated);
  if (!commits.ok()) return commits.status();
  for (const auto& [commit, ref] : *commits) {
    SG_RETURN_IF_ERROR(
        BlobsAddedBy(repo.get(), commit, [&](const std::string& path, const Oid& blob) {
          if (!blobs.count(blob)) return;
          auto& origins = out[blob];
          if (origins.size() < kMaxOriginsPerBlob) origins.push_back({commit, path, ref});
        }));
  }
  return out;
}

}  // namespace sg::git
