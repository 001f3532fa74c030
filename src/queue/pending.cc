#include "queue/pending.h"

#include <dirent.h>
#include <fcntl.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "store/crypto.h"
#include "store/file_util.h"
#include "util/seal.h"
#include "util/text.h"

namespace sg::queue {
namespace {

using nlohmann::json;
constexpr const char* kFormat = "secretgate-pending";
constexpr const char* kKeyName = "key";
constexpr const char* kSuffix = ".json";

store::FileModes Modes(int gid) {
  return gid >= 0 ? store::FileModes::Shared(gid) : store::FileModes();
}

// The spool's sealing key, created (O_EXCL, linked into place) on first use when `create`.
Result<std::string> SpoolKey(const store::Dir& dir, bool create, int gid) {
  auto existing = dir.ReadWhole(kKeyName);
  if (existing.ok()) {
    if (existing->size() != kSealKeyBytes) {
      return Status::Corruption(dir.PathOf(kKeyName) + ": not a 32-byte key");
    }
    return existing;
  }
  if (existing.status().code() != Code::kNotFound || !create) return existing.status();
  auto bytes = store::RandomBytes(kSealKeyBytes);
  if (!bytes.ok()) return bytes.status();
  // The key is never replaced: a rename would strand entries sealed under the old one.
  const std::string tmp = store::TempName(kKeyName);
  {
    store::FileModes modes = Modes(gid);
    modes.file = gid >= 0 ? 0660 : 0600;
    auto fd = dir.OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL, modes);
    if (!fd.ok()) return fd.status();
    Status s = modes.Apply(fd->get(), dir.PathOf(tmp));
    if (s.ok()) s = store::WriteAllAt(fd->get(), *bytes, 0, tmp);
    if (s.ok()) s = store::SyncFd(fd->get(), tmp);
    if (!s.ok()) {
      (void)dir.Unlink(tmp);
      return s;
    }
  }
  const int rc = ::linkat(dir.fd(), tmp.c_str(), dir.fd(), kKeyName, 0);
  (void)dir.Unlink(tmp);
  if (rc != 0 && errno != EEXIST) return Status::IOError("link " + dir.PathOf(kKeyName));
  SG_RETURN_IF_ERROR(dir.Sync());
  return SpoolKey(dir, false, gid);
}

json LocationJson(const store::Location& l) {
  return {{"commit_sha", l.commit_sha},     {"path", l.path},
          {"blob_sha", l.blob_sha},         {"ref", l.ref},
          {"pushed_by", l.pushed_by},       {"pushed_at", l.pushed_at},
          {"start_line", l.start_line},     {"end_line", l.end_line},
          {"start_column", l.start_column}, {"end_column", l.end_column}};
}

store::Location LocationFrom(const json& j) {
  store::Location l;
  l.commit_sha = j.value("commit_sha", "");
  l.path = j.value("path", "");
  l.blob_sha = j.value("blob_sha", "");
  l.ref = j.value("ref", "");
  l.pushed_by = j.value("pushed_by", "");
  l.pushed_at = j.value("pushed_at", "");
  l.start_line = j.value("start_line", 0);
  l.end_line = j.value("end_line", 0);
  l.start_column = j.value("start_column", 0);
  l.end_column = j.value("end_column", 0);
  return l;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Result<Pending> Parse(const std::string& text, const std::string& key, const std::string& where) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("format", "") != kFormat || j.value("version", 0) != 1 ||
      !j.contains("sum") || !j["sum"].is_string()) {
    return Status::Corruption(where + ": not a pending-records file");
  }
  const std::string sum = j["sum"].get<std::string>();
  j.erase("sum");
  if (Sha256Hex(Dump(j)) != sum) return Status::Corruption(where + ": checksum mismatch");
  Pending p;
  p.created_at = j.value("created_at", "");
  p.reason = j.value("reason", "");
  p.actor = j.value("actor", "");
  if (j.contains("bypass") && j["bypass"].is_object()) {
    const json& b = j["bypass"];
    p.bypass = store::Bypass{b.value("reason", ""), b.value("comment", ""), b.value("actor", "")};
  }
  if (!j.contains("observations") || !j["observations"].is_array()) {
    return Status::Corruption(where + ": no observations");
  }
  for (const json& o : j["observations"]) {
    store::Observation ob;
    ob.rule_id = o.value("rule_id", "");
    ob.display_name = o.value("display_name", "");
    ob.provider = o.value("provider", "");
    ob.secret_redacted = o.value("secret_redacted", "");
    auto secret = Unseal(key, o.value("secret_sealed", ""));
    if (!secret.ok()) return secret.status().WithContext(where);
    ob.secret = std::move(secret.value());
    if (o.contains("location") && o["location"].is_object())
      ob.location = LocationFrom(o["location"]);
    p.observations.push_back(std::move(ob));
  }
  return p;
}

}  // namespace

std::string SpoolDir(const std::string& git_dir) { return git_dir + "/secretgate-pending"; }

Status WritePending(const std::string& spool_dir, Pending& p, int gid) {
  SG_RETURN_IF_ERROR(store::MakeStoreDirs(spool_dir, Modes(gid)));
  auto dir = store::Dir::Open(spool_dir);
  if (!dir.ok()) return dir.status();
  auto key = SpoolKey(*dir, /*create=*/true, gid);
  if (!key.ok()) return key.status();
  auto rnd = store::RandomBytes(6);
  if (!rnd.ok()) return rnd.status();
  if (p.created_at.empty()) p.created_at = NowRfc3339();
  std::string stamp;
  for (char c : p.created_at) {
    if (c != '-' && c != ':') stamp += c;
  }
  p.id = stamp + "-" + HexEncode(*rnd) + kSuffix;
  json j;
  j["format"] = kFormat;
  j["version"] = 1;
  j["id"] = p.id;
  j["created_at"] = p.created_at;
  j["reason"] = p.reason;
  j["actor"] = p.actor;
  j["bypass"] = p.bypass ? json{{"reason", p.bypass->reason},
                                {"comment", p.bypass->comment},
                                {"actor", p.bypass->actor}}
                         : json(nullptr);
  json obs = json::array();
  for (const auto& o : p.observations) {
    auto sealed = Seal(*key, o.secret);
    if (!sealed.ok()) return sealed.status();
    obs.push_back({{"rule_id", o.rule_id},
                   {"display_name", o.display_name},
                   {"provider", o.provider},
                   {"secret_sealed", *sealed},
                   {"secret_redacted", o.secret_redacted},
                   {"location", LocationJson(o.location)}});
  }
  j["observations"] = std::move(obs);
  j["sum"] = Sha256Hex(Dump(j));
  return dir->Replace(p.id, Dump(j) + "\n", /*durable=*/true, Modes(gid));
}

std::vector<PendingEntry> ListPending(const std::string& spool_dir) {
  std::vector<PendingEntry> out;
  auto dir = store::Dir::Open(spool_dir);
  if (!dir.ok()) return out;
  std::vector<std::string> names;
  if (DIR* d = ::opendir(spool_dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 5 && n.ends_with(kSuffix) && !store::IsTempName(n)) names.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  if (names.empty()) return out;
  auto key = SpoolKey(*dir, /*create=*/false, -1);
  for (const auto& n : names) {
    auto text = dir->ReadWhole(n);
    Result<Pending> p = !key.ok()   ? Result<Pending>(key.status())
                        : text.ok() ? Parse(*text, *key, dir->PathOf(n))
                                    : Result<Pending>(text.status());
    if (p.ok()) p->id = n;
    out.push_back({n, std::move(p)});
  }
  return out;
}

bool HasPending(const std::string& spool_dir) {
  DIR* d = ::opendir(spool_dir.c_str());
  if (!d) return false;
  bool any = false;
  while (const dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n.size() > 5 && n.ends_with(kSuffix) && !store::IsTempName(n)) {
      any = true;
      break;
    }
  }
  ::closedir(d);
  return any;
}

Status RemovePending(const std::string& spool_dir, const std::string& id) {
  auto dir = store::Dir::Open(spool_dir);
  if (!dir.ok()) return dir.status();
  SG_RETURN_IF_ERROR(dir->Unlink(id));
  return dir->Sync();
}

}  // namespace sg::queue
