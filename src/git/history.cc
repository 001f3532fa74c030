#include "git/history.h"

#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

namespace sg::git {
namespace {

// Starts `walk` at every ref that peels to a commit, and at HEAD. False when there is none.
Status PushAllRefs(git_repository* repo, git_revwalk* walk, bool* any) {
  git_reference_iterator* raw_it = nullptr;
  int rc = git_reference_iterator_new(&raw_it, repo);
  if (rc != 0) return GitError(rc, "cannot list refs");
  RefIteratorPtr it(raw_it);
  git_reference* raw_ref = nullptr;
  *any = false;
  while (git_reference_next(&raw_ref, it.get()) == 0) {
    ReferencePtr ref(raw_ref);
    git_object* obj = nullptr;
    if (git_reference_peel(&obj, ref.get(), GIT_OBJECT_COMMIT) != 0) continue;
    ObjectPtr o(obj);
    if (git_revwalk_push(walk, git_object_id(o.get())) == 0) *any = true;
  }
  if (git_revwalk_push_head(walk) == 0) *any = true;
  return Status::Ok();
}

// A set of object ids with open addressing: the walk below asks it about every tree entry of
// the history (millions on a large one), where std::unordered_set's node per entry made malloc
// and pointer chasing a sixth of a whole history scan.
class OidSet {
 public:
  OidSet() : slots_(1024), used_(1024, 0) {}
  // True when `id` was not in the set.
  bool Insert(const Oid& id) {
    if ((count_ + 1) * 2 > slots_.size()) Grow();
    size_t mask = slots_.size() - 1;
    for (size_t i = OidHash()(id) & mask;; i = (i + 1) & mask) {
      if (!used_[i]) {
        used_[i] = 1;
        slots_[i] = id;
        ++count_;
        return true;
      }
      if (slots_[i] == id) return false;
    }
  }
  bool Contains(const Oid& id) const {
    size_t mask = slots_.size() - 1;
    for (size_t i = OidHash()(id) & mask; used_[i]; i = (i + 1) & mask) {
      if (slots_[i] == id) return true;
    }
    return false;
  }

 private:
  void Grow() {
    std::vector<Oid> old = std::move(slots_);
    std::vector<uint8_t> old_used = std::move(used_);
    slots_.assign(old.size() * 2, Oid());
    used_.assign(old.size() * 2, 0);
    count_ = 0;
    for (size_t i = 0; i < old.size(); ++i) {
      if (old_used[i]) Insert(old[i]);
    }
  }
  std::vector<Oid> slots_;
  std::vector<uint8_t> used_;
  size_t count_ = 0;
};

// Reads every distinct tree reachable from a ref or HEAD once, commits oldest first (parents
// before children), and calls `on_blob(blob, commit, dir, name)` for each blob entry (`dir` is
// the tree's path with a trailing '/', or empty at the root); stops early when on_blob returns
// false. Trees and commits are read as raw bytes through the object database: libgit2's object
// cache would only keep every tree of the history alive (to be freed one by one with the
// repository), and parsing a git_tree allocates every entry. A tree is a sequence of
// "<octal mode> <name>\0<20-byte id>".
using BlobVisitor = std::function<bool(const Oid& blob, const Oid& commit, const std::string& dir,
                                       std::string_view name)>;

Status WalkTrees(const Repository& repo, const BlobVisitor& on_blob) {
  git_revwalk* raw = nullptr;
  int rc = git_revwalk_new(&raw, repo.get());
  if (rc != 0) return GitError(rc, "cannot walk history");
  RevwalkPtr walk(raw);
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
  bool any = false;
  SG_RETURN_IF_ERROR(PushAllRefs(repo.get(), walk.get(), &any));
  if (!any) return Status::Ok();
  git_odb* raw_odb = nullptr;
  rc = git_repository_odb(&raw_odb, repo.get());
  if (rc != 0) return GitError(rc, "cannot open the object database");
  OdbPtr odb(raw_odb);
  // Tree reads go through the odb's cache too unless caching is off (each is read once).
  git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
  struct CacheBack {
    ~CacheBack() { git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 1); }
  } cache_back;

  auto read = [&](const Oid& id, git_object_t type, OdbObjectPtr* out) -> Status {
    git_odb_object* raw_obj = nullptr;
    int r = git_odb_read(&raw_obj, odb.get(), &id.raw);
    if (r != 0) return GitError(r, "cannot read object " + id.Hex());
    out->reset(raw_obj);
    if (git_odb_object_type(raw_obj) != type) {
      return Status::Corruption("object " + id.Hex() + " is not a " + git_object_type2string(type));
    }
    return Status::Ok();
  };
  OidSet seen_trees;
  std::string path;
  bool more = true;
  std::function<Status(const Oid&, const Oid&)> visit = [&](const Oid& tree_id,
                                                            const Oid& commit) -> Status {
    OdbObjectPtr obj;
    SG_RETURN_IF_ERROR(read(tree_id, GIT_OBJECT_TREE, &obj));
    const char* p = static_cast<const char*>(git_odb_object_data(obj.get()));
    const char* const end = p + git_odb_object_size(obj.get());
    const size_t base_len = path.size();
    while (p < end && more) {
      const char* space = static_cast<const char*>(std::memchr(p, ' ', end - p));
      const char* nul =
          space ? static_cast<const char*>(std::memchr(space, '\0', end - space)) : nullptr;
      if (!nul || end - nul < 21)
        return Status::Corruption("tree " + tree_id.Hex() + " is damaged");
      const std::string_view mode(p, space - p), name(space + 1, nul - space - 1);
      Oid id;
      std::memcpy(id.raw.id, nul + 1, 20);
      p = nul + 21;
      if (mode == "40000") {
        if (!seen_trees.Insert(id)) continue;
        path.append(name).push_back('/');
        SG_RETURN_IF_ERROR(visit(id, commit));
        path.resize(base_len);
      } else if (mode != "160000") {  // not a submodule's commit
        more = on_blob(id, commit, path, name);
      }
    }
    return Status::Ok();
  };
  git_oid id;
  while (more && (rc = git_revwalk_next(&id, walk.get())) == 0) {
    OdbObjectPtr commit;
    SG_RETURN_IF_ERROR(read(Oid(id), GIT_OBJECT_COMMIT, &commit));
    // A commit starts with "tree <hex id>\n".
    const std::string_view raw_commit(static_cast<const char*>(git_odb_object_data(commit.get())),
                                      git_odb_object_size(commit.get()));
    Oid tree_id;
    if (raw_commit.size() < 46 || raw_commit.substr(0, 5) != "tree " ||
        !Oid::FromHex(std::string(raw_commit.substr(5, 40)), &tree_id)) {
      return Status::Corruption("commit " + Oid(id).Hex() + " names no tree");
    }
    if (!seen_trees.Insert(tree_id)) continue;
    path.clear();
    SG_RETURN_IF_ERROR(visit(tree_id, Oid(id)));
  }
  if (rc != 0 && rc != GIT_ITEROVER) return GitError(rc, "cannot walk history");
  return Status::Ok();
}

}  // namespace

Result<std::map<Oid, BlobPlace>> PlaceBlobs(const Repository& repo, const std::set<Oid>& blobs) {
  std::map<Oid, BlobPlace> out;
  if (blobs.empty()) return out;
  OidSet wanted;
  for (const Oid& b : blobs) wanted.Insert(b);
  SG_RETURN_IF_ERROR(WalkTrees(
      repo, [&](const Oid& blob, const Oid& commit, const std::string& dir, std::string_view name) {
        if (wanted.Contains(blob) && !out.count(blob)) {
          out.emplace(blob, BlobPlace{commit, dir + std::string(name)});
        }
        return out.size() < blobs.size();
      }));
  return out;
}

Result<BlobPlaces> PlaceAllBlobs(const Repository& repo, const std::atomic<bool>& stop,
                                 size_t max_blobs) {
  BlobPlaces out;
  bool over = false;
  SG_RETURN_IF_ERROR(WalkTrees(
      repo, [&](const Oid& blob, const Oid& commit, const std::string& dir, std::string_view name) {
        if (!out.count(blob)) out.emplace(blob, BlobPlace{commit, dir + std::string(name)});
        over = out.size() > max_blobs;
        return !over && !stop.load(std::memory_order_relaxed);
      }));
  if (stop.load()) return Status::Internal("placing every blob: stopped");
  if (over) {
    return Status::Internal("placing every blob: more than " + std::to_string(max_blobs) +
                            " blobs");
  }
  return out;
}

Result<std::time_t> ParseSince(const std::string& text) {
  const Status bad =
      Status::Invalid("--since '" + text +
                      "' is not a date: use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM] "
                      "or @UNIXSECONDS");
  if (!text.empty() && text[0] == '@') {
    char* end = nullptr;
    long long v = std::strtoll(text.c_str() + 1, &end, 10);
    if (end == text.c_str() + 1 || *end) return bad;
    return static_cast<std::time_t>(v);
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, used = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10) return bad;
  size_t at = 10;
  if (at < text.size() && (text[at] == 'T' || text[at] == ' ')) {
    int n = 0;
    if (std::sscanf(text.c_str() + at + 1, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5) return bad;
    at += 1 + 5;
    if (at < text.size() && text[at] == ':') {
      if (std::sscanf(text.c_str() + at + 1, "%2d%n", &s, &n) != 1 || n != 2) return bad;
      at += 3;
    }
  }
  long offset = 0;
  if (at < text.size() && text[at] == 'Z') {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int oh = 0, om = 0, n = 0;
    if (std::sscanf(text.c_str() + at + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5) return bad;
    offset = (text[at] == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
    at += 6;
  }
  if (at != text.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return bad;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<std::time_t>(timegm(&tm) - offset);
}

Result<std::vector<Oid>> SelectCommits(const Repository& repo, const CommitSelection& sel) {
  git_revwalk* raw = nullptr;
  int rc = git_revwalk_new(&raw, repo.get());
  if (rc != 0) return GitError(rc, "cannot walk history");
  RevwalkPtr walk(raw);
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
  std::vector<Oid> out;
  if (!sel.range.empty()) {
    if (sel.range.find("..") == std::string::npos || sel.range.find("...") != std::string::npos) {
      return Status::Invalid("--range '" + sel.range + "' must be A..B (the commits B adds to A)");
    }
    rc = git_revwalk_push_range(walk.get(), sel.range.c_str());
    if (rc != 0)
      return Status::Invalid("--range '" + sel.range +
                             "' does not resolve: " + GitError(rc, "").message());
  }
  if (!sel.branch.empty()) {
    git_object* obj = nullptr;
    rc = git_revparse_single(&obj, repo.get(), sel.branch.c_str());
    if (rc != 0 && sel.branch.rfind("refs/", 0) != 0) {
      rc = git_revparse_single(&obj, repo.get(), ("refs/heads/" + sel.branch).c_str());
    }
    if (rc != 0) return Status::Invalid("--branch '" + sel.branch + "' names no ref or commit");
    ObjectPtr o(obj);
    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, o.get(), GIT_OBJECT_COMMIT) != 0) {
      return Status::Invalid("--branch '" + sel.branch + "' does not name a commit");
    }
    ObjectPtr p(peeled);
    rc = git_revwalk_push(walk.get(), git_object_id(p.get()));
    if (rc != 0) return GitError(rc, "cannot walk from " + sel.branch);
  }
  if (sel.range.empty() && sel.branch.empty()) {
    bool any = false;
    SG_RETURN_IF_ERROR(PushAllRefs(repo.get(), walk.get(), &any));
    if (!any) return out;
  }
  git_oid id;
  while ((rc = git_revwalk_next(&id, walk.get())) == 0) {
    if (sel.since) {
      git_commit* c = nullptr;
      rc = git_commit_lookup(&c, repo.get(), &id);
      if (rc != 0) return GitError(rc, "cannot read commit " + Oid(id).Hex());
      CommitPtr commit(c);
      if (git_commit_time(commit.get()) < *sel.since) continue;
    }
    out.emplace_back(id);
  }
  if (rc != GIT_ITEROVER) return GitError(rc, "cannot walk history");
  return out;
}

}  // namespace sg::git
