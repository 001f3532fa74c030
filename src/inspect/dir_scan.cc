// ScanPath: files outside git (see history.h).
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <filesystem>
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
  // The scan is over (or never started): the listing stops at its next file.
  void Cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }
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
  std::atomic<bool> cancelled_{false};
};

// Lists the regular files under `root` (not following symlinks, skipping .git) into `queue`,
// and finishes it, also on error.
Status ListFiles(const std::string& root, FileQueue& queue) {
  namespace fs = std::filesystem;
  struct Finish {
    FileQueue& q;
    ~Finish() { q.Finish(); }
  } finish{queue};
  std::error_code ec;
  if (fs::is_regular_file(root, ec)) {
    queue.Add({root, root});
    return Status::Ok();
  }
  if (!fs::is_directory(root, ec)) return Status::NotFound("no such file or directory: " + root);
  const fs::path base(root);
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) return Status::IOError("cannot read directory " + root + ": " + ec.message());
  for (auto end = fs::recursive_directory_iterator(); it != end && !queue.cancelled();
       it.increment(ec)) {
    if (ec) return Status::IOError("cannot read directory " + root + ": " + ec.message());
    // The entry's type comes from readdir (no stat); symlinks are not followed.
    if (it->is_symlink()) continue;
    if (it->is_directory()) {
      if (it->path().filename() == ".git") it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) {
      // lexically_relative: the same answer as fs::relative for paths under root, without a
      // stat and canonicalisation of both paths per file (half a directory scan's time).
      queue.Add({it->path().string(), it->path().lexically_relative(base).string()});
    }
  }
  return Status::Ok();
}

// Reads a whole file into `buf` (reused between files). Returns the size, or -1 with `err`.
ssize_t ReadInto(const std::string& path, int64_t max_size, std::vector<char>& buf, int64_t* size,
                 std::string* err) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
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
  size_t got = 0;
  for (;;) {  // until EOF: a file may grow while it is read
    if (got == buf.size()) buf.resize(buf.size() * 2);
    ssize_t r = ::read(fd, buf.data() + got, buf.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      *err = std::strerror(errno);
      ::close(fd);
      return -1;
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  return static_cast<ssize_t>(got);
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
  std::vector<ScanResult> parts(n);
  std::vector<Status> errors(n);
  std::atomic<bool> failed{false};
  auto work = [&](unsigned t) {
    scan::Scanner scanner(engine);
    ScanResult& out = parts[t];
    std::vector<char> buf;
    std::vector<File> batch;
    while (!failed && queue.Take(batch)) {
      for (const File& f : batch) {
        int64_t size = 0;
        std::string err;
        ssize_t got = ReadInto(f.full, options.max_blob_size, buf, &size, &err);
        if (got < 0) {
          spdlog::warn("skipped {}: {}", EscapeControl(f.shown), err);
          continue;
        }
        ++out.stats.objects;
        if (options.progress) options.progress->fetch_add(size, std::memory_order_relaxed);
        if (size > options.max_blob_size) {
          ++out.stats.skipped_large;
          spdlog::info("skipped {}: {} bytes is over max_blob_size", EscapeControl(f.shown), size);
          continue;
        }
        std::string_view data(buf.data(), static_cast<size_t>(got));
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
