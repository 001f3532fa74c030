#include "auth/tokens.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "store/crypto.h"
#include "util/ct_compare.h"
#include "util/text.h"

namespace sg::auth {
namespace {

constexpr std::string_view kFile = "tokens.json";
constexpr std::string_view kLock = "tokens.lock";
constexpr std::string_view kFormat = "secretgate-tokens";
constexpr int kVersion = 1;
constexpr size_t kIdHex = 12, kSecretHex = 64;

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

nlohmann::ordered_json TokensJson(const std::vector<Token>& tokens) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& t : tokens) {
    nlohmann::ordered_json j;
    j["id"] = t.id;
    j["name"] = t.name;
    j["role"] = std::string(RoleName(t.role));
    j["repos"] = t.repos;
    j["hash"] = t.hash;
    j["created_at"] = t.created_at;
    j["revoked_at"] =
        t.revoked_at.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(t.revoked_at);
    arr.push_back(std::move(j));
  }
  return arr;
}

}  // namespace

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kRead:
      return "read";
    case Role::kTriage:
      return "triage";
    case Role::kAdmin:
      return "admin";
  }
  return "read";
}

std::optional<Role> ParseRole(std::string_view s) {
  if (s == "read") return Role::kRead;
  if (s == "triage") return Role::kTriage;
  if (s == "admin") return Role::kAdmin;
  return std::nullopt;
}

bool ValidUserName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '-' || name[0] == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool Token::AllowsRepo(std::string_view full_name) const {
  const std::string n(full_name);
  for (const auto& g : repos) {
    if (::fnmatch(g.c_str(), n.c_str(), FNM_PATHNAME) == 0) return true;
  }
  return false;
}

bool Token::AllowsEveryRepo() const {
  for (const auto& g : repos) {
    if (g == "*/*" || g == "*") return true;
  }
  return false;
}

std::string EncodeTokensFile(const std::vector<Token>& tokens) {
  const std::string body = TokensJson(tokens).dump();
  nlohmann::ordered_json doc;
  doc["format"] = kFormat;
  doc["version"] = kVersion;
  doc["tokens"] = nlohmann::ordered_json::parse(body);
  doc["sum"] = Sha256Hex(body);
  return doc.dump(1) + "\n";
}

Result<std::vector<Token>> ParseTokensFile(std::string_view text, const std::string& path) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return Status::Corruption(path + ": not a JSON object");
  if (doc.value("format", "") != kFormat)
    return Status::Corruption(path + ": not a secretgate tokens file");
  if (!doc.contains("version") || !doc["version"].is_number_integer() ||
      doc["version"] != kVersion) {
    return Status::Corruption(path + ": unknown version");
  }
  if (!doc.contains("tokens") || !doc["tokens"].is_array() || !doc.contains("sum") ||
      !doc["sum"].is_string()) {
    return Status::Corruption(path + ": missing tokens or sum");
  }
  std::vector<Token> out;
  try {
    for (const auto& j : doc["tokens"]) {
      Token t;
      t.id = j.at("id").get<std::string>();
      t.name = j.at("name").get<std::string>();
      auto role = ParseRole(j.at("role").get<std::string>());
      if (!role) return Status::Corruption(path + ": token " + t.id + ": unknown role");
      t.role = *role;
      t.repos = j.at("repos").get<std::vector<std::string>>();
      t.hash = j.at("hash").get<std::string>();
      t.created_at = j.at("created_at").get<std::string>();
      if (!j.at("revoked_at").is_null()) t.revoked_at = j.at("revoked_at").get<std::string>();
      if (t.id.size() != kIdHex || !IsHex(t.id) || t.hash.rfind("sha256:", 0) != 0) {
        return Status::Corruption(path + ": token " + EscapeControl(t.id) +
                                  ": malformed id or hash");
      }
      out.push_back(std::move(t));
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(path + ": malformed token entry: " + e.what());
  }
  // The sum covers the canonical form of the entries, so any edit that changes them shows.
  if (Sha256Hex(TokensJson(out).dump()) != doc["sum"].get<std::string>()) {
    return Status::Corruption(path + ": checksum mismatch (edited by hand?)");
  }
  return out;
}

Result<std::unique_ptr<TokenStore>> TokenStore::Open(const std::string& dir, bool create) {
  if (create) {
    Status s = store::MakeStoreDirs(dir, store::FileModes::Private());
    if (!s.ok()) return s.WithContext("token directory");
  }
  auto d = store::Dir::Open(dir);
  if (!d.ok()) return d.status().WithContext("token directory");
  struct stat st {};
  if (::fstat(d->fd(), &st) != 0)
    return Status::IOError("stat " + dir + ": " + store::ErrnoText(errno));
  if (st.st_uid != ::geteuid()) {
    return Status::IOError("token directory " + dir + " belongs to uid " +
                           std::to_string(st.st_uid) + ", not to this user");
  }
  if (st.st_mode & 022) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    return Status::IOError("token directory " + dir + " is writable by group or others (mode " +
                           mode + "); make it 0700");
  }
  return std::unique_ptr<TokenStore>(new TokenStore(std::move(*d)));
}

TokenStore::Stamp TokenStore::StatFile() const {
  struct stat st {};
  if (::fstatat(dir_.fd(), std::string(kFile).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return {};
  return Stamp{static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
               static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
               static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec};
}

Status TokenStore::LoadLocked() {
  const Stamp now = StatFile();
  if (loaded_ && now == stamp_) return Status::Ok();
  auto text = dir_.ReadWhole(kFile);
  if (!text.ok()) {
    if (text.status().code() != Code::kNotFound) return text.status();
    tokens_.clear();
  } else {
    auto parsed = ParseTokensFile(*text, dir_.PathOf(kFile));
    if (!parsed.ok()) return parsed.status();
    tokens_ = std::move(*parsed);
  }
  stamp_ = now;
  loaded_ = true;
  return Status::Ok();
}

Status TokenStore::Save(const std::vector<Token>& tokens) {
  return dir_.Replace(kFile, EncodeTokensFile(tokens), /*durable=*/true,
                      store::FileModes::Private());
}

Status TokenStore::Rewrite(const std::function<Status(std::vector<Token>&)>& change) {
  auto lock_fd = dir_.OpenFile(kLock, O_RDWR | O_CREAT, store::FileModes::Private());
  if (!lock_fd.ok()) return lock_fd.status();
  auto lock = store::FileLock::Acquire(lock_fd->get(), dir_.PathOf(kLock), std::chrono::seconds(5));
  if (!lock.ok()) return lock.status();
  std::lock_guard<std::mutex> g(mu_);
  loaded_ = false;  // another process may have written since: read under the lock
  SG_RETURN_IF_ERROR(LoadLocked());
  std::vector<Token> next = tokens_;
  SG_RETURN_IF_ERROR(change(next));
  SG_RETURN_IF_ERROR(Save(next));
  loaded_ = false;
  return Status::Ok();
}

Result<Created> TokenStore::Create(std::string_view name, Role role,
                                   const std::vector<std::string>& repos) {
  if (!ValidUserName(name)) {
    return Status::Invalid(
        "token name '" + EscapeControl(name) +
        "' must be 1-64 of A-Z a-z 0-9 . _ @ - (it is the user recorded as actor)");
  }
  std::vector<std::string> globs = repos.empty() ? std::vector<std::string>{"*/*"} : repos;
  for (const auto& g : globs) {
    if (g.empty() || g.size() > 200 || g.find_first_of("\r\n\t ") != std::string::npos) {
      return Status::Invalid("bad repository glob '" + EscapeControl(g) + "'");
    }
  }
  auto raw = store::RandomBytes(6 + 32);
  if (!raw.ok()) return raw.status();
  const std::string id = HexEncode(std::string_view(*raw).substr(0, 6));
  const std::string secret = HexEncode(std::string_view(*raw).substr(6));
  Created c;
  c.secret = "sgt_" + id + "_" + secret;
  c.token.id = id;
  c.token.name = std::string(name);
  c.token.role = role;
  c.token.repos = globs;
  c.token.hash = "sha256:" + Sha256Hex(c.secret);
  c.token.created_at = NowRfc3339();
  SG_RETURN_IF_ERROR(Rewrite([&](std::vector<Token>& all) {
    all.push_back(c.token);
    return Status::Ok();
  }));
  return c;
}

Status TokenStore::Revoke(std::string_view id) {
  return Rewrite([&](std::vector<Token>& all) {
    for (auto& t : all) {
      if (t.id != id) continue;
      if (t.revoked()) return Status::Conflict("token " + t.id + " is already revoked");
      t.revoked_at = NowRfc3339();
      return Status::Ok();
    }
    return Status::NotFound("no token with id '" + EscapeControl(id) + "'");
  });
}

Result<std::vector<Token>> TokenStore::List() {
  std::lock_guard<std::mutex> g(mu_);
  SG_RETURN_IF_ERROR(LoadLocked());
  return tokens_;
}

Result<std::optional<Token>> TokenStore::Authenticate(std::string_view presented) {
  // Shape first: "sgt_" 12 hex "_" 64 hex. Nothing about a malformed string is secret.
  if (presented.size() != 4 + kIdHex + 1 + kSecretHex || presented.substr(0, 4) != "sgt_" ||
      presented[4 + kIdHex] != '_' || !IsHex(presented.substr(4, kIdHex)) ||
      !IsHex(presented.substr(5 + kIdHex))) {
    return std::optional<Token>();
  }
  const std::string_view id = presented.substr(4, kIdHex);
  const std::string hash = "sha256:" + Sha256Hex(presented);
  std::lock_guard<std::mutex> g(mu_);
  SG_RETURN_IF_ERROR(LoadLocked());
  const Token* match = nullptr;
  for (const auto& t : tokens_) {
    if (t.id == id) match = &t;
  }
  // The same comparison whether or not the id exists, so timing tells nothing about the secret.
  static const std::string kDummy = "sha256:" + std::string(64, '0');
  const bool equal = ConstantTimeEqual(hash, match ? match->hash : kDummy);
  if (!match || !equal || match->revoked()) return std::optional<Token>();
  return std::optional<Token>(*match);
}

}  // namespace sg::auth
