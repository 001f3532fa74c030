// Helpers shared by the store tests: temporary directories, observations, file surgery, and a
// capture of spdlog output.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "store/store.h"

namespace sg::store::testing {

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/sg-store-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// prefix + decimal i. (Spelled out because GCC 12 warns falsely, -Wrestrict, about
// "literal" + std::to_string(i) at -O3.)
inline std::string Name(std::string_view prefix, int i) {
  std::string s(prefix);
  s += std::to_string(i);
  return s;
}

inline Observation Obs(std::string rule, std::string secret, std::string path = "config.yml",
                       int line = 1) {
  Observation o;
  o.rule_id = std::move(rule);
  o.display_name = "Display " + o.rule_id;
  o.provider = "Provider";
  o.secret = std::move(secret);
  o.secret_redacted = "****";
  o.location.commit_sha = "c0ffee";
  o.location.blob_sha = "b10b";
  o.location.ref = "refs/heads/main";
  o.location.path = std::move(path);
  o.location.start_line = o.location.end_line = line;
  o.location.start_column = 5;
  o.location.end_column = 25;
  return o;
}

inline OpenOptions Options(const std::string& dir) {
  OpenOptions o;
  o.dir = dir;
  o.repository = "acme/widgets";
  o.now = [] {
    return std::chrono::system_clock::time_point(std::chrono::seconds(1795328512));  // 2026-11-22
  };
  return o;
}

inline Store OpenOrDie(const OpenOptions& options) {
  auto s = Store::Open(options);
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return std::move(s.value());
}

inline std::vector<RecordOutcome> RecordOrDie(Store& store, std::vector<Observation> obs,
                                              const std::optional<Bypass>& bypass = std::nullopt,
                                              std::string_view actor = "alice") {
  auto r = store.Record(obs, bypass, actor);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return std::move(r.value());
}

inline std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFileText(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

inline uint64_t FileSize(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<uint64_t>(st.st_size);
}

inline unsigned Mode(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

inline void Truncate(const std::string& path, uint64_t size) {
  REQUIRE(::truncate(path.c_str(), static_cast<off_t>(size)) == 0);
}

// Offset of the first byte of 1-based line `line`.
inline size_t LineOffset(const std::string& text, int line) {
  size_t off = 0;
  for (int i = 1; i < line; ++i) off = text.find('\n', off) + 1;
  return off;
}

// The journal's modification time has a coarse (jiffy) granularity; a change made within the same
// tick as the last append keeps the same mtime and would only be caught by Verify. Tests that
// damage the file on purpose wait for the clock to move on first, as any real edit would.
inline void WaitForTimestampTick() { ::usleep(30000); }

// Routes the default spdlog logger into a string for the lifetime of this object.
class LogCapture {
 public:
  LogCapture() : old_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(old_); }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> old_;
};

}  // namespace sg::store::testing
