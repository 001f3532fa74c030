#include "queue/scan_debt.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "util/fs.h"
#include "util/text.h"

namespace sg::queue {

Status Enqueue(const std::string& dir, Debt& debt) {
  SG_RETURN_IF_ERROR(MakeDirs(dir, 0700));
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  char name[64];
  std::snprintf(name, sizeof name, "%020lld-%d.json", static_cast<long long>(ns), ::getpid());
  debt.id = name;
  if (debt.created_at.empty()) debt.created_at = NowRfc3339();
  nlohmann::json j;
  j["version"] = 1;
  j["created_at"] = debt.created_at;
  j["pushed_by"] = debt.pushed_by;
  if (!debt.push_id.empty()) j["push_id"] = debt.push_id;
  j["updates"] = debt.updates;
  j["objects"] = debt.objects;
  return WriteFileAtomic(dir + "/" + debt.id,
                         j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                         0600);
}

Result<std::vector<Debt>> List(const std::string& dir) {
  std::vector<Debt> out;
  if (!IsDirectory(dir)) return out;
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string n = e.path().filename().string();
    if (n.size() > 5 && n.compare(n.size() - 5, 5, ".json") == 0 && n.find(".tmp.") == std::string::npos) {
      names.push_back(n);
    }
  }
  if (ec) return Status::IOError("cannot list " + dir + ": " + ec.message());
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    auto text = ReadFile(dir + "/" + n);
    if (!text.ok()) return text.status();
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("objects") || !j["objects"].is_array()) {
      return Status::Corruption("scan-debt entry " + dir + "/" + n + " is not valid JSON");
    }
    Debt d;
    d.id = n;
    d.created_at = j.value("created_at", "");
    d.pushed_by = j.value("pushed_by", "");
    d.push_id = j.value("push_id", "");
    for (const auto& u : j.value("updates", nlohmann::json::array())) {
      if (u.is_string()) d.updates.push_back(u.get<std::string>());
    }
    for (const auto& o : j["objects"]) {
      if (o.is_string()) d.objects.push_back(o.get<std::string>());
    }
    out.push_back(std::move(d));
  }
  return out;
}

Status Remove(const std::string& dir, const std::string& id) {
  std::string path = dir + "/" + id;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status::IOError("cannot remove " + path + ": " + std::strerror(errno));
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

std::string QueueDir(const std::string& git_dir) { return git_dir + "/secretgate/debt"; }

bool HasEntries(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return false;
  bool any = false;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n.size() > 5 && n.substr(n.size() - 5) == ".json" &&
        n.find(".tmp.") == std::string_view::npos) {
      any = true;
      break;
    }
  }
  ::closedir(d);
  return any;
}

Result<std::vector<std::string>> FindQueued(const std::string& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return Status::NotFound(root + ": not a directory");
  std::vector<std::string> out;
  auto consider = [&out](const fs::path& git_dir) {
    if (HasEntries(QueueDir(git_dir.string()))) out.push_back(git_dir.lexically_normal().string());
  };
  consider(root);
  consider(fs::path(root) / ".git");
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  for (fs::recursive_directory_iterator end; !ec && it != end; it.increment(ec)) {
    if (!it->is_directory(ec) || it->is_symlink(ec)) continue;
    const std::string name = it->path().filename().string();
    // Inside a git directory only its own queue counts: never descend into objects or stores.
    if (name == "objects" || name == "refs" || name == "secretgate" || name == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    consider(it->path());
    consider(it->path() / ".git");
    if (it.depth() >= 2) it.disable_recursion_pending();
  }
  if (ec) return Status::IOError("scanning " + root + ": " + ec.message());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<DrainLock> DrainLock::Acquire(const std::string& dir) {
  SG_RETURN_IF_ERROR(MakeDirs(dir, 0700));
  std::string path = dir + "/drain.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      Status s = Status::IOError("cannot lock " + path + ": " + std::strerror(errno));
      ::close(fd);
      return s;
    }
  }
  return DrainLock(fd);
}

DrainLock::~DrainLock() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
}

}  // namespace sg::queue
