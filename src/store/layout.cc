#include "store/layout.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <filesystem>
#include <functional>
#include <system_error>

#include "store/crypto.h"
#include "store/event.h"
#include "store/file_util.h"

namespace sg::store {
namespace {

namespace fs = std::filesystem;

std::string Join(std::string_view a, std::string_view b) {
  std::string out(a);
  if (!out.empty() && out.back() != '/') out += '/';
  out += b;
  return out;
}

// The "repository" of a journal's header line, or an error if it has none.
Result<std::string> HeaderRepository(const std::string& journal) {
  auto fd = OpenFile(journal, O_RDONLY);
  if (!fd.ok()) return fd.status();
  auto head = ReadAt(fd->get(), 0, 1 << 16, journal);
  if (!head.ok()) return head.status();
  const size_t nl = head->find('\n');
  auto j = nlohmann::json::parse(head->substr(0, nl), nullptr, false);
  auto e = DecodeEvent(j);
  if (j.is_discarded() || !e.ok() || e->type != EventType::kHeader) {
    return Status::Corruption(journal + ":1: no valid header");
  }
  return e->repository;
}

}  // namespace

std::string RepositoryDirName(std::string_view repository) {
  std::string name;
  for (char c : repository.substr(0, 64)) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
    name += keep ? c : '_';
  }
  if (name.empty() || name[0] == '.') name.insert(name.begin(), '_');
  name += '-';
  name += Sha256Hex(repository).substr(0, 12);
  return name;
}

Result<StorePaths> ResolvePaths(const OpenOptions& options) {
  if (options.dir.empty()) return Status::Invalid("store directory is empty");
  StorePaths p;
  p.root = options.dir;
  if (options.server_wide) {
    if (options.repository.empty()) {
      return Status::Invalid("a server-wide store root needs a repository name");
    }
    p.dir = Join(Join(options.dir, kReposDir), RepositoryDirName(options.repository));
  } else {
    p.dir = options.dir;
  }
  p.key = Join(p.root, kKeyFile);
  p.journal = Join(p.dir, kJournalFile);
  p.lock = Join(p.dir, kLockFile);
  p.index = Join(p.dir, kIndexFile);
  p.snapshot = Join(p.dir, kSnapshotFile);
  p.stamp = Join(p.dir, kStampFile);
  return p;
}

Result<std::string> LoadOrCreateKey(const Dir& root, bool create, const FileModes& modes) {
  return LoadOrCreateKey(root, kKeyFile, create, modes);
}

Result<std::string> LoadOrCreateKey(const Dir& root, std::string_view key_name, bool create,
                                    const FileModes& modes) {
  const std::string name(key_name);
  const std::string path = root.PathOf(name);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto fd = root.OpenFile(name, O_RDONLY);
    if (fd.ok()) {
      struct stat st;
      if (::fstat(fd->get(), &st) == 0 && (st.st_mode & 07) != 0) {
        spdlog::warn("key {} is readable by every user (mode {:o}); it should be {:o}", path,
                     st.st_mode & 0777, modes.key);
      }
      auto key = ReadAt(fd->get(), 0, kKeyBytes + 1, path);
      if (!key.ok()) return key.status();
      if (key->size() != kKeyBytes) {
        return Status::Corruption(path + ": key must be exactly " + std::to_string(kKeyBytes) +
                                  " bytes, found " + std::to_string(key->size()));
      }
      return key;
    }
    if (fd.status().code() != Code::kNotFound || !create) return fd.status();
    auto bytes = RandomBytes(kKeyBytes);
    if (!bytes.ok()) return bytes.status();
    const std::string tmp = TempName(name);
    {
      auto out = root.OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL, modes, /*is_key=*/true);
      if (!out.ok()) return out.status();
      Status s = modes.Apply(out->get(), root.PathOf(tmp), /*is_key=*/true);
      if (s.ok()) s = WriteAllAt(out->get(), *bytes, 0, tmp);
      if (s.ok()) s = SyncFd(out->get(), tmp);
      if (!s.ok()) {
        (void)root.Unlink(tmp);
        return s;
      }
    }
    // linkat(2) fails with EEXIST if another process created the key first; then we use theirs.
    const int rc = ::linkat(root.fd(), tmp.c_str(), root.fd(), name.c_str(), 0);
    const int err = errno;
    (void)root.Unlink(tmp);
    if (rc != 0 && err != EEXIST) return Status::IOError("link " + path + ": " + ErrnoText(err));
    SG_RETURN_IF_ERROR(root.Sync());
  }
  return Status::IOError(path + ": key vanished while being created");
}

std::string FormatTime(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

// What a directory that may hold a store says: a store, no store, or "cannot tell" (EACCES).
enum class Probe { kStore, kNone, kUnreadable };

Probe ProbeStore(const fs::path& dir, std::string* why) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return Probe::kNone;
  for (std::string_view name : {kJournalFile, kSnapshotFile}) {
    const fs::path f = dir / std::string(name);
    if (::stat(f.c_str(), &st) == 0) return S_ISREG(st.st_mode) ? Probe::kStore : Probe::kNone;
    if (errno == EACCES) {
      *why = ErrnoText(errno);
      return Probe::kUnreadable;
    }
  }
  return Probe::kNone;
}

}  // namespace

Result<StoreSearch> SearchStores(std::string_view dir_view) {
  const fs::path dir{std::string(dir_view)};
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound(dir.string() + ": not a directory");
  StoreSearch out;
  // Returns true when `p` is a store (found or unreadable): nothing below it is looked at.
  auto probe = [&](const fs::path& p) {
    std::string why;
    switch (ProbeStore(p, &why)) {
      case Probe::kStore:
        out.stores.push_back(p.lexically_normal().string());
        return true;
      case Probe::kUnreadable:
        out.unreadable.push_back(
            {p.lexically_normal().string(), 0, "cannot read the store: " + why});
        return true;
      case Probe::kNone:
        return false;
    }
    return false;
  };
  // A directory that cannot be listed may hold repositories: say so instead of skipping it.
  auto list = [&](const fs::path& p) {
    std::vector<fs::path> children;
    std::error_code lec;
    fs::directory_iterator it(p, lec);
    if (lec) {
      out.unreadable.push_back({p.lexically_normal().string(), 0, "cannot list: " + lec.message()});
      return children;
    }
    for (fs::directory_iterator end; it != end; it.increment(lec)) {
      if (lec) break;
      std::error_code e2;
      if (it->is_directory(e2) && !it->is_symlink(e2)) children.push_back(it->path());
    }
    return children;
  };
  if (probe(dir)) return out;
  if (fs::is_directory(dir / std::string(kReposDir), ec)) {
    for (const auto& c : list(dir / std::string(kReposDir))) probe(c);
  }
  // Repositories below dir, up to three levels: "<repo>/secretgate" or "<repo>/.git/secretgate".
  std::function<void(const fs::path&, int)> walk = [&](const fs::path& d, int depth) {
    const bool found = probe(d / "secretgate") | probe(d / ".git" / "secretgate");
    if (found || depth >= 3) return;
    for (const auto& c : list(d)) {
      const std::string name = c.filename().string();
      if (name == "objects" || name == "refs" || name == "secretgate" ||
          name == std::string(kReposDir) || name == ".git" || name == "hooks") {
        continue;
      }
      walk(c, depth + 1);
    }
  };
  walk(dir, 0);
  std::sort(out.stores.begin(), out.stores.end());
  out.stores.erase(std::unique(out.stores.begin(), out.stores.end()), out.stores.end());
  return out;
}

Result<std::vector<std::string>> FindStores(std::string_view dir) {
  auto search = SearchStores(dir);
  if (!search.ok()) return search.status();
  return std::move(search->stores);
}

Result<OpenOptions> OptionsForStoreDir(std::string_view store_dir_view) {
  const fs::path dir{std::string(store_dir_view)};
  auto repository = HeaderRepository((dir / std::string(kJournalFile)).string());
  if (!repository.ok()) return repository.status();
  OpenOptions o;
  o.repository = *repository;
  std::error_code ec;
  if (fs::exists(dir / std::string(kKeyFile), ec)) {
    o.dir = dir.string();
    return o;
  }
  const fs::path norm = fs::absolute(dir, ec).lexically_normal();
  const fs::path parent = (norm.has_filename() ? norm : norm.parent_path()).parent_path();
  const fs::path root = parent.parent_path();
  if (parent.filename() == std::string(kReposDir) && fs::exists(root / std::string(kKeyFile), ec)) {
    o.dir = root.string();
    o.server_wide = true;
    return o;
  }
  return Status::NotFound(dir.string() + ": no key beside the store or at a server-wide root");
}

}  // namespace sg::store
