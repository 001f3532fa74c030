#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

namespace sg::cli {

Progress::Progress(const std::atomic<uint64_t>& bytes, std::chrono::milliseconds after, bool force)
    : bytes_(bytes), after_(after) {
  if (force || ::isatty(STDERR_FILENO)) thread_ = std::thread([this] { Run(); });
}

Progress::~Progress() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Progress::Run() {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  if (cv_.wait_for(lock, after_, [this] { return stop_; })) return;
  while (!stop_) {
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    const double mb = static_cast<double>(bytes_.load(std::memory_order_relaxed)) / 1e6;
    std::fprintf(stderr, "\rsecretgate: scanned %.0f MB (%.0f MB/s)\033[K", mb,
                 secs > 0 ? mb / secs : 0.0);
    std::fflush(stderr);
    shown_ = true;
    cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop_; });
  }
  if (shown_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }
}

}  // namespace sg::cli
