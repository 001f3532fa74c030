#include "notify/partner_outbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "notify/state.h"
#include "store/crypto.h"
#include "store/event.h"
#include "store/file_util.h"
#include "util/fs.h"
#include "util/text.h"

namespace sg::notify {
namespace {

using nlohmann::json;

constexpr std::string_view kMagic = "secretgate-partner-entry";
constexpr int kVersion = 1;
// A temporary entry older than this was left by a writer that died (writers take milliseconds).
constexpr time_t kStaleTempSeconds = 600;

std::string EntryName(int64_t alert) {
  std::string n = std::to_string(alert);
  return std::string(10 - std::min<size_t>(10, n.size()), '0') + n + ".json";
}

Result<PartnerEntry> ParseEntry(const std::string& path) {
  auto content = store::ReadWholeFile(path);
  if (!content.ok()) return content.status();
  const std::string& c = *content;
  const size_t nl = c.find('\n');
  const std::string prefix = std::string(kMagic) + " " + std::to_string(kVersion) + " ";
  if (nl == std::string::npos || c.rfind(prefix, 0) != 0 || c.back() != '\n') {
    return Status::Corruption(path + ": not a version 1 partner entry");
  }
  const std::string text = c.substr(nl + 1, c.size() - nl - 2);
  if (ShortChecksum(text) != c.substr(prefix.size(), nl - prefix.size())) {
    return Status::Corruption(path + ": checksum mismatch");
  }
  json j = json::parse(text, nullptr, false);
  try {
    PartnerEntry e;
    e.alert = j.at("alert").get<int64_t>();
    e.provider = j.at("provider").get<std::string>();
    e.type = j.at("type").get<std::string>();
    e.token = j.at("token").get<std::string>();
    e.url = j.at("url").get<std::string>();
    e.created_at = j.at("created_at").get<std::string>();
    e.file = path;
    return e;
  } catch (const std::exception&) {
    return Status::Corruption(path + ": lacks a well-typed field");
  }
}

}  // namespace

std::string PartnerOutboxDir(const std::string& store_dir) {
  return store_dir + "/" + std::string(kPartnerOutboxDir);
}

Status WritePartnerEntries(const std::string& store_dir, std::span<const PartnerEntry> entries) {
  if (entries.empty()) return Status::Ok();
  const std::string dir = PartnerOutboxDir(store_dir);
  SG_RETURN_IF_ERROR(store::MakeStoreDirs(dir));
  for (const PartnerEntry& e : entries) {
    nlohmann::ordered_json j;
    j["alert"] = e.alert;
    j["provider"] = e.provider;
    j["type"] = e.type;
    j["token"] = e.token;
    j["url"] = e.url;
    j["created_at"] = e.created_at;
    const std::string text = store::DumpJson(j);
    const std::string data = std::string(kMagic) + " " + std::to_string(kVersion) + " " +
                             ShortChecksum(text) + "\n" + text + "\n";
    const std::string path = dir + "/" + EntryName(e.alert);
    auto rnd = store::RandomBytes(6);
    if (!rnd.ok()) return rnd.status();
    const std::string tmp = path + ".tmp." + store::HexEncode(*rnd);
    auto fd = store::OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (!fd.ok()) return fd.status();
    ::fchmod(fd->get(), ModeIn(dir, 0600));  // readable by notify of the same group if shared
    Status s = store::WriteAllAt(fd->get(), data, 0, tmp);
    if (s.ok()) s = store::SyncFd(fd->get(), tmp);
    if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
      s = Status::IOError("cannot rename onto " + path + ": " + std::strerror(errno));
    }
    if (!s.ok()) {
      ::unlink(tmp.c_str());
      return s;
    }
  }
  return store::SyncDir(dir);
}

Result<std::vector<PartnerEntry>> ListPartnerEntries(const std::string& store_dir) {
  const std::string dir = PartnerOutboxDir(store_dir);
  std::vector<PartnerEntry> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    return Status::IOError("cannot list " + dir + ": " + std::strerror(errno));
  }
  std::vector<std::string> names;
  const time_t now = ::time(nullptr);
  while (dirent* ent = ::readdir(d)) {
    std::string name = ent->d_name;
    if (name.size() > 5 && name.ends_with(".json")) {
      names.push_back(name);
    } else if (name.find(".json.tmp.") != std::string::npos) {
      // The remains of a writer that died before its rename: a plain token nobody will send.
      struct stat st;
      const std::string path = dir + "/" + name;
      if (::stat(path.c_str(), &st) == 0 && now - st.st_mtime > kStaleTempSeconds) {
        ::unlink(path.c_str());
      }
    }
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    auto e = ParseEntry(dir + "/" + name);
    if (!e.ok()) {
      if (e.status().code() != Code::kNotFound) {
        spdlog::warn("partner outbox: skipping {}", e.status().message());
      }
      continue;
    }
    out.push_back(std::move(e.value()));
  }
  return out;
}

Status RemovePartnerEntry(const PartnerEntry& entry) {
  if (::unlink(entry.file.c_str()) != 0 && errno != ENOENT) {
    return Status::IOError("cannot remove " + entry.file + ": " + std::strerror(errno));
  }
  const size_t slash = entry.file.rfind('/');
  return store::SyncDir(slash == std::string::npos ? "." : entry.file.substr(0, slash));
}

std::optional<std::string> PartnerToken(const std::string& store_dir, int64_t alert) {
  auto e = ParseEntry(PartnerOutboxDir(store_dir) + "/" + EntryName(alert));
  if (!e.ok() || e->alert != alert) return std::nullopt;
  return e->token;
}

std::string PartnerBody(std::span<const PartnerEntry> entries) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const PartnerEntry& e : entries) {
    a.push_back(nlohmann::ordered_json{
        {"token", e.token}, {"type", e.type}, {"url", e.url}, {"source", "secretgate"}});
  }
  return store::DumpJson(a);
}

std::string LocationReference(std::string_view repository, std::string_view path,
                              std::string_view commit) {
  std::string out = std::string(repository) + ":" + std::string(path);
  if (!commit.empty()) out += "@" + std::string(commit);
  return out;
}

}  // namespace sg::notify
