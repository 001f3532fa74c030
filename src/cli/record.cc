#include "cli/record.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "notify/config.h"
#include "notify/partner_outbox.h"
#include "queue/pending.h"
#include "store/layout.h"
#include "util/text.h"

namespace sg::cli {

namespace {

// The cross_repo_key's 32 bytes, read once per process. Created (0600, or 0640 in store_group)
// when missing and `create`: by the paths that record for one repository (the hook, scan), not
// by listings across stores, which root runs (root's key would be unreadable to the hooks). A
// key that cannot be read costs only the cross-repository comparison: the alert is recorded
// without it, and the log says why.
std::string CrossRepoKey(const config::Config& cfg, bool create) {
  if (cfg.cross_repo_key.empty()) return {};
  static std::map<std::string, std::string> cache;  // successful reads only
  if (auto it = cache.find(cfg.cross_repo_key); it != cache.end()) return it->second;
  const std::filesystem::path path(cfg.cross_repo_key);
  auto dir = store::Dir::Open(path.parent_path().string());
  Result<std::string> key = dir.status();
  if (dir.ok()) {
    const store::FileModes modes =
        cfg.store_gid >= 0 ? store::FileModes::Shared(cfg.store_gid) : store::FileModes::Private();
    key = store::LoadOrCreateKey(*dir, path.filename().string(), create, modes);
  }
  if (key.ok()) return cache[cfg.cross_repo_key] = *key;
  if (create || key.status().code() != Code::kNotFound) {
    spdlog::warn("cross_repo_key {}: {}; alerts are recorded without a cross-repository hash",
                 EscapeControl(cfg.cross_repo_key), key.status().message());
  }
  return {};
}

}  // namespace

store::OpenOptions StoreOptionsAt(const std::string& git_dir, const config::Config& cfg) {
  store::OpenOptions o;
  o.store_secrets = cfg.store_secrets;
  o.cross_repo_key = CrossRepoKey(cfg, /*create=*/true);
  o.repository = git_dir;
  o.group = cfg.store_gid;
  if (cfg.store_root.empty()) {
    o.dir = git_dir + "/secretgate";
  } else {
    o.dir = cfg.store_root;
    o.server_wide = true;
  }
  return o;
}

namespace {

// The partner hand-off: the plain token of every alert this append created whose provider has
// a partner endpoint, into the partner outbox, fsynced before the hook answers. Only then can
// `secretgate notify` send it later, outside the push, without the store keeping plain secrets.
void HandOffToPartners(const config::Config& cfg, const store::Store& st,
                       const std::string& repository, const std::vector<store::Observation>& obs,
                       const std::vector<store::RecordOutcome>& outcomes) {
  if (!cfg.has_partners) return;  // the common case: no second read of the config file
  bool created = false;
  for (const auto& o : outcomes) created = created || o.created;
  if (!created) return;
  auto ncfg = notify::LoadConfig(config::ConfigPath(), std::getenv("SECRETGATE_CONFIG") != nullptr);
  if (!ncfg.ok()) {
    spdlog::error("partner hand-off skipped: {}", ncfg.status().message());
    return;
  }
  if (!ncfg->HasPartnerEndpoints()) return;
  std::vector<notify::PartnerEntry> entries;
  std::set<int64_t> seen;
  const std::string now = NowRfc3339();
  for (size_t i = 0; i < obs.size() && i < outcomes.size(); ++i) {
    if (!outcomes[i].created || !seen.insert(outcomes[i].number).second) continue;
    const notify::PartnerConfig* partner = ncfg->PartnerEndpoint(obs[i].provider);
    if (!partner) continue;
    notify::PartnerEntry e;
    e.alert = outcomes[i].number;
    e.provider = partner->provider;
    e.type = obs[i].rule_id;
    e.token = obs[i].secret;
    e.url = notify::LocationReference(repository, obs[i].location.path, obs[i].location.commit_sha);
    e.created_at = now;
    entries.push_back(std::move(e));
  }
  if (entries.empty()) return;
  if (Status s = notify::WritePartnerEntries(st.dir(), entries); !s.ok()) {
    spdlog::error("partner hand-off of {} token(s) failed: {}", entries.size(), s.message());
    return;
  }
  spdlog::info("partner hand-off: {} token(s) queued for `secretgate notify`", entries.size());
}

}  // namespace

Result<store::Store> OpenStoreAt(const std::string& git_dir, const config::Config& cfg) {
  auto st = store::Store::Open(StoreOptionsAt(git_dir, cfg));
  if (st.ok() && queue::HasPending(queue::SpoolDir(git_dir))) ApplyPending(git_dir, cfg, *st);
  return st;
}

Result<store::Store> OpenStore(const git::Repository& repo, const config::Config& cfg) {
  return OpenStoreAt(repo.git_dir(), cfg);
}

namespace {

// The repository of a store: the journal names it in a server-wide root; a store of its own is
// <git-dir>/secretgate.
std::string GitDirOfStore(const std::string& store_dir, const store::OpenOptions& opts) {
  if (opts.server_wide && !opts.repository.empty()) return opts.repository;
  std::string git_dir = store_dir;
  while (git_dir.size() > 1 && git_dir.back() == '/') git_dir.pop_back();
  const size_t slash = git_dir.find_last_of('/');
  return slash == std::string::npos ? "." : git_dir.substr(0, slash);
}

}  // namespace

Result<store::Store> OpenStoreDir(const std::string& store_dir, const config::Config& cfg) {
  auto opts = store::OptionsForStoreDir(store_dir);
  if (!opts.ok()) return opts.status();
  opts->group = cfg.store_gid;
  opts->cross_repo_key = CrossRepoKey(cfg, /*create=*/false);
  auto st = store::Store::Open(*opts);
  if (!st.ok()) return st.status();
  const std::string git_dir = GitDirOfStore(store_dir, *opts);
  if (queue::HasPending(queue::SpoolDir(git_dir))) ApplyPending(git_dir, cfg, *st);
  return st;
}

void ApplyPendingForStoreDir(const std::string& store_dir, const config::Config& cfg) {
  auto opts = store::OptionsForStoreDir(store_dir);
  if (!opts.ok() || !queue::HasPending(queue::SpoolDir(GitDirOfStore(store_dir, *opts)))) return;
  auto st = OpenStoreDir(store_dir, cfg);
  if (!st.ok())
    spdlog::warn("pending records of {} stay spooled: {}", store_dir, st.status().message());
}

int ApplyPending(const std::string& git_dir, const config::Config& cfg, store::Store& st) {
  if (!st.read_only_reason().ok() || !st.damage().ok()) return 0;
  const std::string spool = queue::SpoolDir(git_dir);
  int applied = 0;
  for (auto& entry : queue::ListPending(spool)) {
    if (!entry.pending.ok()) {
      spdlog::error("pending records {} cannot be applied: {}", entry.id,
                    entry.pending.status().message());
      continue;
    }
    const queue::Pending& p = *entry.pending;
    auto rec = st.Record(p.observations, p.bypass, p.actor);
    if (!rec.ok()) {
      spdlog::warn("pending records {} stay spooled: {}", entry.id, rec.status().message());
      break;  // the store refuses now; the next open tries again
    }
    HandOffToPartners(cfg, st, git_dir, p.observations, *rec);
    std::string numbers;
    for (const auto& o : *rec)
      numbers += (numbers.empty() ? "#" : ", #") + std::to_string(o.number);
    spdlog::warn(
        "applied pending records {} (spooled {} because: {}): {} finding(s) recorded as alert(s) "
        "{}",
        entry.id, p.created_at, p.reason, p.observations.size(), numbers);
    if (Status s = queue::RemovePending(spool, entry.id); !s.ok()) {
      // Recording the same observations twice only adds nothing (alerts are deduplicated).
      spdlog::error("cannot remove applied pending records {}: {}", entry.id, s.message());
    }
    ++applied;
  }
  return applied;
}

namespace {

// Saves what the store refused to take to the repository's pending spool.
Status SpoolFindings(const git::Repository& repo, const config::Config& cfg, const Status& why,
                     const std::vector<store::Observation>& obs,
                     const std::optional<store::Bypass>& bypass, const std::string& actor) {
  queue::Pending p;
  p.reason = why.message();
  p.actor = actor;
  p.bypass = bypass;
  p.observations = obs;
  Status s = queue::WritePending(queue::SpoolDir(repo.git_dir()), p, cfg.store_gid);
  if (s.ok()) {
    spdlog::warn("{} finding(s) saved to the pending spool as {} (the store said: {})", obs.size(),
                 p.id, why.message());
  }
  return s;
}

store::Observation ObservationOf(const inspect::Detection& d, const inspect::Origin& o,
                                 const RecordContext& ctx, const std::string& now) {
  store::Observation ob;
  ob.rule_id = d.finding.rule->id;
  ob.display_name = d.finding.rule->name;
  ob.provider = d.finding.rule->provider;
  ob.secret = d.finding.secret;
  ob.secret_redacted = Redact(d.finding.secret);
  ob.location.commit_sha = o.commit_sha;
  // Messages have no path: their location's type says what they are (store::LocationType).
  ob.location.path = o.path;
  ob.location.blob_sha = d.blob_sha;
  ob.location.ref = o.ref;
  ob.location.pushed_by = ctx.pushed_by;
  ob.location.pushed_at = ctx.pushed_by.empty() ? "" : now;
  ob.location.start_line = d.finding.start_line;
  ob.location.end_line = d.finding.end_line;
  ob.location.start_column = d.finding.start_column;
  ob.location.end_column = d.finding.end_column;
  return ob;
}

}  // namespace

RecordResult RecordDetections(const git::Repository& repo, const config::Config& cfg,
                              const std::vector<inspect::Detection>& detections,
                              const RecordContext& ctx) {
  RecordResult out;
  out.outcomes.resize(detections.size());
  // Two appends at most: the findings without a bypass, and those the bypass covers.
  std::vector<store::Observation> groups[2];
  std::vector<size_t> first[2] = {std::vector<size_t>(detections.size(), SIZE_MAX),
                                  std::vector<size_t>(detections.size(), SIZE_MAX)};
  const std::string now = NowRfc3339();
  for (size_t i = 0; i < detections.size(); ++i) {
    const auto& d = detections[i];
    if (d.suppressed()) continue;
    const int g = ctx.bypass && (ctx.bypassed.empty() || ctx.bypassed[i]) ? 1 : 0;
    std::vector<inspect::Origin> origins = d.origins;
    if (origins.empty()) origins.push_back({});
    for (const auto& o : origins) {
      if (first[g][i] == SIZE_MAX) first[g][i] = groups[g].size();
      groups[g].push_back(ObservationOf(d, o, ctx, now));
    }
  }
  out.recorded = groups[0].size() + groups[1].size();
  if (out.recorded == 0) return out;
  auto st = OpenStore(repo, cfg);
  for (int g = 0; g < 2; ++g) {
    if (groups[g].empty()) continue;
    const std::optional<store::Bypass> bypass = g == 1 ? ctx.bypass : std::nullopt;
    Result<std::vector<store::RecordOutcome>> rec =
        st.ok() ? st->Record(groups[g], bypass, ctx.actor)
                : Result<std::vector<store::RecordOutcome>>(st.status());
    if (!rec.ok()) {
      // The scan's verdict stands whatever the store says; what it found must not be lost.
      out.status = rec.status();
      out.spool_status = SpoolFindings(repo, cfg, rec.status(), groups[g], bypass, ctx.actor);
      out.spooled = out.spool_status.ok();
      if (!out.spooled) {
        spdlog::error("cannot save {} finding(s) to the pending spool either: {}", groups[g].size(),
                      out.spool_status.message());
      }
      continue;
    }
    HandOffToPartners(cfg, *st, repo.git_dir(), groups[g], *rec);
    for (size_t i = 0; i < detections.size(); ++i) {
      if (first[g][i] != SIZE_MAX) out.outcomes[i] = (*rec)[first[g][i]];
    }
  }
  return out;
}

}  // namespace sg::cli
