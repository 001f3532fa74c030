// Test helpers: temporary directories, running real commands, making fake tokens.
#pragma once

#include <map>
#include <string>

namespace sg::testing {

// A fresh directory under /tmp, removed with everything in it when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `command` with /bin/sh in `cwd`, capturing stdout and stderr.
RunResult Sh(const std::string& command, const std::string& cwd = ".");

inline bool Contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

// Shell-quotes `s` with single quotes.
std::string Quote(const std::string& s);

void WriteFile(const std::string& path, const std::string& content);
std::string ReadFileOrEmpty(const std::string& path);
bool PathExists(const std::string& path);

// The built secretgate binary and the source tree (from CMake).
std::string Binary();
std::string SourceDir();

// A GitHub classic personal access token with a correct CRC32 checksum, unique per `seed`.
std::string GithubToken(unsigned seed);
// An AWS access key id, unique per `seed`.
std::string AwsKeyId(unsigned seed);

// `n` characters drawn from `alphabet`, the same for the same `seed`.
std::string RandomChars(unsigned seed, size_t n, const std::string& alphabet);
// Base64 of `bytes`: standard with padding, or base64url without (`url`).
std::string Base64(const std::string& bytes, bool url = false);
// A signed-looking JSON Web Token, unique per `seed`; `claims` (e.g. `"role":"admin",`) go
// into its payload before `iat`.
std::string Jwt(unsigned seed, const std::string& claims = "");

}  // namespace sg::testing
