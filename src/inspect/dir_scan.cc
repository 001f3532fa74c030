// ScanPath: files outside git (see history.h).
#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <tuple>

#include "inspect/blob_filter.h"
#include "inspect/history.h"
#include "util/text.h"

namespace sg::inspect {
namespace {

struct File {
  std::string full, shown;
  // Read ahead by the listing while the rules load (ReadAhead); otherwise read by a scanner.
  bool read = false;
  int64_t size = 0;  // st_size when read
  std::string data;
};

// The files of a directory scan, handed out while they are still being listed: the listing
// (a readdir of every directory) runs on one thread while the others already scan, as
// `find | xargs cat` overlaps the two.
class FileQueue {
 public:
  void Add(File f) {
    std::lock_guard<std::mutex> lock(mu_);
    files_.push_back(std::move(f));
    if (files_.size() - next_ >= kBatch) cv_.notify_one();
  }
  void Finish() {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    cv_.notify_all();
  }
  void WaitFinished() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return done_; });
  }
  // The scan is over (or never started): the listing stops at its next file.
  void Cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }
  // The scan has started: the listing stops reading files ahead.
  void StartScan() { scanning_ = true; }
  bool scanning() const { return scanning_; }
  // Up to kBatch files into `out`; false when the listing is done and every file handed out.
  bool Take(std::vector<File>& out) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return done_ || files_.size() - next_ >= kBatch; });
    out.clear();
    while (next_ < files_.size() && out.size() < kBatch) out.push_back(std::move(files_[next_++]));
    return !out.empty();
  }

 private:
  static constexpr size_t kBatch = 16;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<File> files_;
  size_t next_ = 0;
  bool done_ = false;
  std::atomic<bool> cancelled_{false}, scanning_{false};
};

// Reads `fd` to its end into `buf` (grown as needed: a file may grow while it is read). Returns
// the bytes read, or -1 with errno set.
ssize_t ReadAll(int fd, std::string& buf) {
  for (size_t got = 0;;) {
    if (got == buf.size()) buf.resize(std::max<size_t>(buf.size() * 2, 4096));
    ssize_t r = ::read(fd, buf.data() + got, buf.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return static_cast<ssize_t>(got);
    got += static_cast<size_t>(r);
  }
}

// Reads the whole file `name` (relative to `dirfd`, not following a final symlink) into `buf`
// (reused between files). Returns the bytes read, or -1 with `err`; 0 without reading when its
// size (*size) is over `max_size`.
ssize_t ReadAt(int dirfd, const char* name, int64_t max_size, std::string& buf, int64_t* size,
               std::string* err) {
  int fd = ::openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    *err = std::strerror(errno);
    return -1;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    *err = "not a regular file";
    ::close(fd);
    return -1;
  }
  *size = st.st_size;
  if (st.st_size > max_size) {
    ::close(fd);
    return 0;
  }
  if (buf.size() < static_cast<size_t>(st.st_size) + 1) buf.resize(st.st_size + 1);
  ssize_t got = ReadAll(fd, buf);
  if (got < 0) *err = std::strerror(errno);
  ::close(fd);
  return got;
}

// While the rules and the matching engine load (about 10 ms of a scan's start, on one core),
// the listing reads the first files into memory, so that the second core is not idle: up to
// kReadAheadBytes in all, files of at most kReadAheadFile bytes (larger ones, and any file the
// read-ahead cannot read, are read by a scanner as before, which reports what went wrong).
constexpr int64_t kReadAheadBytes = 32 << 20;
constexpr int64_t kReadAheadFile = 1 << 20;

// `f` (the entry `name` of the open directory `dirfd`) read into f.data, if it is a regular
// file small enough for the read-ahead; false leaves the file to a scanner.
bool ReadAhead(int dirfd, const char* name, File& f, int64_t* budget) {
  const int64_t limit = std::min(kReadAheadFile, *budget);
  std::string err;
  ssize_t got = ReadAt(dirfd, name, limit, f.data, &f.size, &err);
  f.read = got >= 0 && f.size <= limit && got <= kReadAheadFile;
  if (!f.read) {
    f.data = std::string();
    return false;
  }
  f.data.resize(static_cast<size_t>(got));
  f.size = std::max<int64_t>(f.size, got);
  *budget -= got;
  return true;
}

// Lists the regular files under the open directory `dirfd` (shown as `prefix` + name) into
// `queue`, then its subdirectories, depth first: symlinks are not followed, .git is skipped,
// and each directory is opened relative to its parent (O_NOFOLLOW), so that a directory swapped
// for a symlink during the scan leads nowhere else. Takes `dirfd`. An unreadable subdirectory is
// skipped with a warning, as `find` does.
Status ListDir(int dirfd, const std::string& full, const std::string& prefix, FileQueue& queue,
               int64_t* budget) {
  DIR* dir = ::fdopendir(dirfd);
  if (!dir) {
    int e = errno;
    ::close(dirfd);
    return Status::IOError("cannot read directory " + EscapeControl(full) + ": " +
                           std::strerror(e));
  }
  std::vector<std::string> subdirs;
  for (;;) {
    errno = 0;
    struct dirent* e = ::readdir(dir);
    if (!e) {
      if (errno != 0) {
        int err = errno;
        ::closedir(dir);
        return Status::IOError("cannot read directory " + EscapeControl(full) + ": " +
                               std::strerror(err));
      }
      break;
    }
    if (queue.cancelled()) break;
    const char* name = e->d_name;
    if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
    unsigned char type = e->d_type;
    if (type == DT_UNKNOWN) {  // file systems that do not say: ask, without following links
      struct stat st {};
      if (::fstatat(::dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
    }
    if (type == DT_DIR) {
      if (std::strcmp(name, ".git") != 0) subdirs.emplace_back(name);
      continue;
    }
    if (type != DT_REG) continue;  // symlinks, devices, FIFOs, sockets
    File f;
    f.shown = prefix + name;
    f.full = full + name;
    if (!queue.scanning() && *budget > 0) ReadAhead(::dirfd(dir), name, f, budget);
    queue.Add(std::move(f));
  }
  Status status = Status::Ok();
  for (const auto& sub : subdirs) {
    if (queue.cancelled()) break;
    int fd = ::openat(::dirfd(dir), sub.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      spdlog::warn("skipped {}{}: {}", EscapeControl(full), EscapeControl(sub),
                   std::strerror(errno));
      continue;
    }
    status = ListDir(fd, full + sub + "/", prefix + sub + "/", queue, budget);
    if (!status.ok()) break;
  }
  ::closedir(dir);
  return status;
}

// Lists `root` (a file, or the regular files under a directory) into `queue`, and finishes it,
// also on error.
Status ListFiles(const std::string& root, FileQueue& queue) {
  struct Finish {
    FileQueue& q;
    ~Finish() { q.Finish(); }
  } finish{queue};
  int fd = ::open(root.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return errno == ENOENT ? Status::NotFound("no such file or directory: " + EscapeControl(root))
                           : Status::IOError("cannot open " + EscapeControl(root) + ": " +
                                             std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
    ::close(fd);
    return Status::Invalid(EscapeControl(root) + " is neither a file nor a directory");
  }
  if (S_ISREG(st.st_mode)) {
    ::close(fd);
    File f;
    f.full = f.shown = root;
    queue.Add(std::move(f));
    return Status::Ok();
  }
  std::string full = root;
  while (full.size() > 1 && full.back() == '/') full.pop_back();
  if (full != "/") full += "/";
  int64_t budget = kReadAheadBytes;
  return ListDir(fd, full, "", queue, &budget);
}

}  // namespace

struct PathListing::State {
  std::string path;
  FileQueue queue;
  Status listed;
  std::thread lister;
  bool scanned = false;
};

PathListing::PathListing(std::string path) : state_(std::make_unique<State>()) {
  state_->path = std::move(path);
  State* s = state_.get();
  s->lister = std::thread([s] { s->listed = ListFiles(s->path, s->queue); });
}

void PathListing::WaitListed() { state_->queue.WaitFinished(); }

PathListing::~PathListing() {
  state_->queue.Cancel();
  if (state_->lister.joinable()) state_->lister.join();
}

Result<ScanResult> ScanPath(const std::string& root,
                            const std::shared_ptr<const scan::Engine>& engine,
                            const ScanOptions& options) {
  PathListing files(root);
  return ScanPath(files, engine, options);
}

Result<ScanResult> ScanPath(PathListing& files, const std::shared_ptr<const scan::Engine>& engine,
                            const ScanOptions& options) {
  PathListing::State& state = files.state();
  if (state.scanned) return Status::Internal("a directory listing is scanned once");
  state.scanned = true;
  const unsigned n = ReaderThreads(options);
  FileQueue& queue = state.queue;
  queue.StartScan();
  std::vector<ScanResult> parts(n);
  std::vector<Status> errors(n);
  std::atomic<bool> failed{false};
  auto work = [&](unsigned t) {
    scan::Scanner scanner(engine);
    ScanResult& out = parts[t];
    std::string buf;
    std::vector<File> batch;
    while (!failed && queue.Take(batch)) {
      for (const File& f : batch) {
        int64_t size = f.size;
        ssize_t got = static_cast<ssize_t>(f.data.size());
        if (!f.read) {
          std::string err;
          got = ReadAt(AT_FDCWD, f.full.c_str(), options.max_blob_size, buf, &size, &err);
          if (got < 0) {
            spdlog::warn("skipped {}: {}", EscapeControl(f.shown), err);
            continue;
          }
        }
        ++out.stats.objects;
        if (options.progress) options.progress->fetch_add(size, std::memory_order_relaxed);
        if (size > options.max_blob_size) {
          ++out.stats.skipped_large;
          spdlog::info("skipped {}: {} bytes is over max_blob_size", EscapeControl(f.shown), size);
          continue;
        }
        std::string_view data(f.read ? f.data.data() : buf.data(), static_cast<size_t>(got));
        if (LooksBinary(data)) {
          ++out.stats.skipped_binary;
          spdlog::info("skipped {}: binary", EscapeControl(f.shown));
          continue;
        }
        ++out.stats.blobs_scanned;
        out.stats.bytes_scanned += data.size();
        auto found = scanner.Scan(data, f.shown);
        if (!found.ok()) {
          errors[t] = found.status().WithContext(f.shown);
          failed = true;
          return;
        }
        out.stats.given_up_match_limit = scanner.given_up().match_limit;
        for (auto& fd : *found) {
          Detection d;
          d.finding = std::move(fd);
          d.origins.push_back({"", f.shown, ""});
          ApplyExclusions(d, f.shown, options.exclude_paths);
          out.detections.push_back(std::move(d));
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < n; ++t) threads.emplace_back(work, t);
  work(0);
  for (auto& th : threads) th.join();
  // The workers returned: the listing is done, or a scan failed and it is stopped.
  queue.Cancel();
  state.lister.join();
  if (!state.listed.ok()) return state.listed;
  ScanResult out;
  for (unsigned t = 0; t < n; ++t) {
    if (!errors[t].ok()) return errors[t];
    out.stats.Add(parts[t].stats);
    for (auto& d : parts[t].detections) out.detections.push_back(std::move(d));
  }
  std::sort(out.detections.begin(), out.detections.end(),
            [](const Detection& a, const Detection& b) {
              return std::tie(a.origins[0].path, a.finding.start, a.finding.rule) <
                     std::tie(b.origins[0].path, b.finding.start, b.finding.rule);
            });
  return out;
}

}  // namespace sg::inspect
