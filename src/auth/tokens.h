// API tokens for `secretgate serve`: created by `secretgate tokens create`, kept hashed in
// `<server_dir>/tokens.json` (auth/FORMAT.md), revocable, checked in constant time.
//
// A token is "sgt_<12 hex id>_<64 hex secret>", 256 random bits from getrandom(2). Only the
// SHA-256 of the whole token is stored: a high-entropy random token needs no slow password hash
// (there is nothing to guess), and SHA-256 keeps every request's check at microseconds.
// Thread-safe: one TokenStore serves every request thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/file_util.h"
#include "util/status.h"

namespace sg::auth {

// What a token may do. Each role includes the ones before it.
//   read:   list and read alerts, locations, bypass requests, metrics
//   triage: also close and reopen alerts, approve and deny bypass requests
//   admin:  also list and revoke tokens through the API
enum class Role { kRead = 0, kTriage = 1, kAdmin = 2 };
std::string_view RoleName(Role r);
std::optional<Role> ParseRole(std::string_view s);

struct Token {
  std::string id;    // 12 hex digits; public (it names the token in logs and lists)
  std::string name;  // the user: the actor of every change made with the token
  Role role = Role::kRead;
  std::vector<std::string> repos;  // fnmatch globs over "owner/repo"; {"*"} for all
  std::string hash;                // "sha256:<hex>" of the whole token
  std::string created_at, revoked_at;
  bool revoked() const { return !revoked_at.empty(); }
  // True if one of `repos` matches `full_name` ("owner/repo").
  bool AllowsRepo(std::string_view full_name) const;
  bool AllowsEveryRepo() const;
};

struct Created {
  Token token;
  std::string secret;  // the token itself: shown once, never stored
};

// User names allowed for tokens: 1-64 of [A-Za-z0-9._@-], not starting with '-' or '.'.
bool ValidUserName(std::string_view name);

class TokenStore {
 public:
  // Opens (creating when `create`, mode 0700) the directory. Refused: a symlink in its place, a
  // directory of another user, or one that group or others can write (it could not keep a
  // secret). Files in it are opened through the directory's descriptor with O_NOFOLLOW.
  static Result<std::unique_ptr<TokenStore>> Open(const std::string& dir, bool create);

  // Invalid on a bad name, role or glob. Writes the file durably before returning.
  Result<Created> Create(std::string_view name, Role role, const std::vector<std::string>& repos);
  // Revokes by id; NotFound if no such token, Conflict if already revoked.
  Status Revoke(std::string_view id);
  Result<std::vector<Token>> List();

  // The live token `presented` is, or nullopt (malformed, unknown or revoked). Rereads the file
  // when it changed, so a revocation takes effect on the next request. The hash comparison is
  // constant-time, and an unknown id costs the same comparison as a known one.
  Result<std::optional<Token>> Authenticate(std::string_view presented);

  const std::string& dir() const { return dir_.path(); }

 private:
  explicit TokenStore(store::Dir dir) : dir_(std::move(dir)) {}
  Status LoadLocked();  // mu_ held
  Status Save(const std::vector<Token>& tokens);
  // Runs `change` on the current tokens under the file lock and writes the result.
  Status Rewrite(const std::function<Status(std::vector<Token>&)>& change);
  struct Stamp {
    uint64_t ino = 0, size = 0;
    int64_t mtime_ns = 0, ctime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  Stamp StatFile() const;
  store::Dir dir_;
  std::mutex mu_;
  std::vector<Token> tokens_;
  Stamp stamp_;
  bool loaded_ = false;
};

// Parses and checks a tokens.json image (exposed for tests). Corruption names the problem.
Result<std::vector<Token>> ParseTokensFile(std::string_view text, const std::string& path);
std::string EncodeTokensFile(const std::vector<Token>& tokens);

}  // namespace sg::auth
