// A progress line on stderr for long scans, only when stderr is a terminal (never in hooks,
// pipes or CI logs): "secretgate: scanned 1234 MB (412 MB/s)", rewritten in place twice a
// second once the scan has run `after`, and erased when it ends.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace sg::cli {

class Progress {
 public:
  // Watches `bytes` (added to by the scan's threads). Shows nothing unless stderr is a
  // terminal, or `force`.
  Progress(const std::atomic<uint64_t>& bytes, std::chrono::milliseconds after, bool force = false);
  ~Progress();  // stops and erases the line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

 private:
  void Run();
  const std::atomic<uint64_t>& bytes_;
  std::chrono::milliseconds after_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool shown_ = false;
  std::thread thread_;
};

}  // namespace sg::cli
