#include "cli/exclusions.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "cli/push_log.h"
#include "policy/policy.h"
#include "util/fs.h"
#include "util/text.h"

namespace sg::cli {
namespace {

std::string TrustFile(const git::Repository& repo) {
  return repo.git_dir() + "/secretgate/exclusions.trusted";
}

std::string DefaultBranch(const git::Repository& repo, const config::Config& cfg) {
  std::string branch = cfg.default_branch.empty() ? repo.HeadBranch() : cfg.default_branch;
  if (!branch.empty() && branch.rfind("refs/", 0) != 0) branch = "refs/heads/" + branch;
  return branch;
}

// The trusted blob ids, oldest first; nullopt when the file does not exist yet.
std::optional<std::vector<std::string>> LoadTrusted(const git::Repository& repo) {
  auto text = ReadFile(TrustFile(repo));
  if (!text.ok()) return std::nullopt;
  std::vector<std::string> ids;
  size_t at = 0;
  while (at < text->size()) {
    size_t nl = text->find('\n', at);
    if (nl == std::string::npos) nl = text->size();
    std::string line = text->substr(at, nl - at);
    at = nl + 1;
    if (line.size() >= 40 && line[0] != '#') ids.push_back(line.substr(0, 40));
  }
  return ids;
}

void Trust(const git::Repository& repo, const std::string& blob, const std::string& why) {
  std::string text = ReadFile(TrustFile(repo)).ok() ? *ReadFile(TrustFile(repo)) : "";
  if (text.empty()) text = "# exclusions file versions pushed by an exclusions editor\n";
  text += blob + " " + why + " " + NowRfc3339() + "\n";
  Status s = MakeDirs(repo.git_dir() + "/secretgate", 0700);
  if (s.ok()) s = WriteFileAtomic(TrustFile(repo), text, 0600);
  if (!s.ok()) spdlog::error("cannot record the trusted exclusions version: {}", s.message());
}

}  // namespace

std::vector<std::string> TrustedExclusions(const git::Repository& repo, const config::Config& cfg,
                                           const PushLog* events) {
  const std::string branch = DefaultBranch(repo, cfg);
  if (branch.empty() || cfg.exclusions_file.empty()) return {};
  auto now = repo.ReadPathAt(branch, cfg.exclusions_file);
  if (!now.ok()) {
    if (events) {
      events->ExclusionsUnreadable(cfg.exclusions_file, branch, now.status());
    } else {
      spdlog::warn("cannot read {} on {}: {}", cfg.exclusions_file, branch,
                   now.status().message());
    }
    return {};
  }
  auto trusted = LoadTrusted(repo);
  if (!trusted) {
    // First contact: what is there now is what the admin installed secretgate on.
    Trust(repo, *now ? (*now)->id.Hex() : std::string(40, '0'), "first-seen");
    if (!*now) return {};
    trusted = std::vector<std::string>{(*now)->id.Hex()};
  }
  std::string text;
  if (*now && std::find(trusted->begin(), trusted->end(), (*now)->id.Hex()) != trusted->end()) {
    text = (*now)->content;
  } else {
    // The file on the branch is a version no editor pushed: the latest trusted one applies.
    for (auto it = trusted->rbegin(); it != trusted->rend(); ++it) {
      git::Oid oid;
      if (!git::Oid::FromHex(*it, &oid) || oid.IsZero()) break;  // "no file" was trusted last
      auto data = repo.ReadRaw(oid);
      if (data.ok()) {
        text = std::move(*data);
        break;
      }
    }
    spdlog::warn("{} on {} ({}) was not pushed by an exclusions editor: it is not honoured; {}",
                 cfg.exclusions_file, branch, *now ? (*now)->id.Hex() : "deleted",
                 text.empty() ? "no exclusions apply" : "the last trusted version applies");
  }
  auto globs = policy::ParseExclusions(text);
  if (events) {
    events->Exclusions(globs.size(), cfg.exclusions_file, branch);
  } else {
    spdlog::info("{} exclusion(s) from {} on {}", globs.size(), cfg.exclusions_file, branch);
  }
  return globs;
}

std::string NoteExclusionsChange(const git::Repository& repo, const config::Config& cfg,
                                 const std::vector<git::RefUpdate>& updates,
                                 const std::string& pusher) {
  const std::string branch = DefaultBranch(repo, cfg);
  if (branch.empty() || cfg.exclusions_file.empty()) return {};
  for (const auto& u : updates) {
    if (u.ref != branch || u.IsDelete()) continue;
    auto after = repo.ReadPathAt(u.new_oid.Hex(), cfg.exclusions_file);
    if (!after.ok() || !*after) continue;
    const std::string id = (*after)->id.Hex();
    auto trusted = LoadTrusted(repo);
    if (trusted && std::find(trusted->begin(), trusted->end(), id) != trusted->end()) continue;
    // An editor's push to the default branch vouches for the file as it leaves it, changed by
    // this push or not (so an editor can approve a version someone else pushed).
    if (policy::MayEditExclusions(cfg, pusher)) {
      Trust(repo, id, "pushed-by=" + pusher);
      spdlog::warn("exclusions file {} on {} changed by exclusions editor {}: version {} trusted",
                   cfg.exclusions_file, branch, pusher, id);
      return {};
    }
    auto before = u.IsCreate() ? Result<std::optional<git::Repository::PathBlob>>(std::nullopt)
                               : repo.ReadPathAt(u.old_oid.Hex(), cfg.exclusions_file);
    if (before.ok() && *before && (*before)->id.Hex() == id) continue;  // not this push's doing
    spdlog::warn(
        "exclusions file {} on {} changed by {}, who may not edit exclusions: version {} "
        "is not honoured",
        cfg.exclusions_file, branch, pusher, id);
    return "secretgate: note: your change to " + EscapeControl(cfg.exclusions_file) +
           " is not honoured: only exclusions editors may change what is excluded";
  }
  return {};
}

}  // namespace sg::cli
