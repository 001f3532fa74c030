#include "server/catalog.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>

namespace sg::server {
namespace {

bool IsDir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> DirNames(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) out.emplace_back(e->d_name);
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

bool ValidNamePart(std::string_view s) {
  if (s.empty() || s.size() > 100 || s[0] == '.') return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Catalog::Catalog(std::string root, Opener open) : root_(std::move(root)), open_(std::move(open)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

Result<RepoRef> Catalog::Find(std::string_view owner, std::string_view name) const {
  if (!ValidNamePart(owner) || !ValidNamePart(name)) return Status::NotFound("Not Found");
  RepoRef r;
  r.owner = std::string(owner);
  r.name = std::string(name);
  if (r.name.size() > 4 && r.name.ends_with(".git")) r.name.resize(r.name.size() - 4);
  r.git_dir = root_ + "/" + r.owner + "/" + r.name + ".git";
  if (!IsDir(r.git_dir)) return Status::NotFound("Not Found");
  return r;
}

std::vector<RepoRef> Catalog::All() const {
  std::vector<RepoRef> out;
  for (const auto& owner : DirNames(root_)) {
    if (!ValidNamePart(owner) || !IsDir(root_ + "/" + owner)) continue;
    for (const auto& entry : DirNames(root_ + "/" + owner)) {
      if (entry.size() <= 4 || !entry.ends_with(".git")) continue;
      auto r = Find(owner, entry.substr(0, entry.size() - 4));
      if (r.ok()) out.push_back(std::move(*r));
    }
  }
  return out;
}

Catalog::Entry& Catalog::EntryFor(const std::string& git_dir) {
  std::lock_guard<std::mutex> g(mu_);
  auto& e = entries_[git_dir];
  if (!e) e = std::make_unique<Entry>();
  return *e;
}

Status Catalog::WithStore(const RepoRef& repo, bool create,
                          const std::function<Status(store::Store*)>& fn) {
  Entry& e = EntryFor(repo.git_dir);
  std::lock_guard<std::mutex> g(e.mu);
  if (!e.store) {
    auto st = open_(repo.git_dir, create);
    if (!st.ok()) return st.status();
    if (!st->has_value()) return fn(nullptr);
    e.store.emplace(std::move(**st));
  }
  Status s = fn(&*e.store);
  if (s.code() == Code::kIOError || s.code() == Code::kCorruption) e.store.reset();
  return s;
}

}  // namespace sg::server
