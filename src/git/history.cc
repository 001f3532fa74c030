#include "git/history.h"

#include <cstdio>
#include <functional>
#include <vector>

namespace sg::git {
namespace {

std::string Join(const std::string& prefix, const char* name) {
  return prefix.empty() ? std::string(name) : prefix + "/" + name;
}

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

}  // namespace

Result<std::map<Oid, BlobPlace>> PlaceBlobs(const Repository& repo, const std::set<Oid>& blobs) {
  std::map<Oid, BlobPlace> out;
  if (blobs.empty()) return out;
  git_revwalk* raw = nullptr;
  int rc = git_revwalk_new(&raw, repo.get());
  if (rc != 0) return GitError(rc, "cannot walk history");
  RevwalkPtr walk(raw);
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
  bool any = false;
  SG_RETURN_IF_ERROR(PushAllRefs(repo.get(), walk.get(), &any));
  if (!any) return out;

  OidSet seen_trees;
  std::function<Status(const git_oid*, const std::string&, const Oid&)> visit =
      [&](const git_oid* tree_id, const std::string& prefix, const Oid& commit) -> Status {
    git_tree* t = nullptr;
    int r = git_tree_lookup(&t, repo.get(), tree_id);
    if (r != 0) return GitError(r, "cannot read tree " + Oid(*tree_id).Hex());
    TreePtr tree(t);
    const size_t n = git_tree_entrycount(tree.get());
    for (size_t i = 0; i < n && out.size() < blobs.size(); ++i) {
      const git_tree_entry* e = git_tree_entry_byindex(tree.get(), i);
      Oid id(*git_tree_entry_id(e));
      git_object_t type = git_tree_entry_type(e);
      if (type == GIT_OBJECT_TREE) {
        if (!seen_trees.Insert(id)) continue;
        SG_RETURN_IF_ERROR(visit(&id.raw, Join(prefix, git_tree_entry_name(e)), commit));
      } else if (type == GIT_OBJECT_BLOB && blobs.count(id) && !out.count(id)) {
        out.emplace(id, BlobPlace{commit, Join(prefix, git_tree_entry_name(e))});
      }
    }
    return Status::Ok();
  };
  git_oid id;
  while (out.size() < blobs.size() && (rc = git_revwalk_next(&id, walk.get())) == 0) {
    git_commit* c = nullptr;
    rc = git_commit_lookup(&c, repo.get(), &id);
    if (rc != 0) return GitError(rc, "cannot read commit " + Oid(id).Hex());
    CommitPtr commit(c);
    const git_oid* tree_id = git_commit_tree_id(commit.get());
    if (!seen_trees.Insert(Oid(*tree_id))) continue;
    SG_RETURN_IF_ERROR(visit(tree_id, "", Oid(id)));
  }
  if (rc != 0 && rc != GIT_ITEROVER) return GitError(rc, "cannot walk history");
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
