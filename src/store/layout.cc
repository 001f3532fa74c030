#include "store/layout.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
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

bool IsStoreDir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / std::string(kJournalFile), ec);
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
  const std::string name(kKeyFile);
  const std::string path = root.PathOf(name);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto fd = root.OpenFile(name, O_RDONLY);
    if (fd.ok()) {
      struct stat st;
      if (::fstat(fd->get(), &st) == 0 && (st.st_mode & 07) != 0) {
        spdlog::warn("store key {} is readable by every user (mode {:o}); it should be {:o}", path,
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

Result<std::vector<std::string>> FindStores(std::string_view dir_view) {
  const fs::path dir{std::string(dir_view)};
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound(dir.string() + ": not a directory");
  std::vector<std::string> out;
  auto add = [&](const fs::path& p) { out.push_back(p.lexically_normal().string()); };
  if (IsStoreDir(dir)) add(dir);
  if (IsStoreDir(dir / "secretgate")) add(dir / "secretgate");
  if (IsStoreDir(dir / ".git" / "secretgate")) add(dir / ".git" / "secretgate");
  for (fs::directory_iterator it(dir / std::string(kReposDir), ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_directory(ec) && IsStoreDir(it->path())) add(it->path());
  }
  ec.clear();
  // Repositories below dir: "<repo>/secretgate" (bare) or "<repo>/.git/secretgate".
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (fs::recursive_directory_iterator end; !ec && it != end; it.increment(ec)) {
    if (!it->is_directory(ec) || it->is_symlink(ec)) {
      continue;
    }
    const std::string name = it->path().filename().string();
    if (name == "objects" || name == "refs" || name == std::string(kReposDir) ||
        IsStoreDir(it->path())) {
      it.disable_recursion_pending();
      continue;
    }
    if (IsStoreDir(it->path() / "secretgate")) add(it->path() / "secretgate");
    if (IsStoreDir(it->path() / ".git" / "secretgate")) add(it->path() / ".git" / "secretgate");
    if (it.depth() >= 2) it.disable_recursion_pending();
  }
  if (ec) return Status::IOError("scanning " + dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
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
