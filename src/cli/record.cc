#include "cli/record.h"

#include <cstdlib>
#include <set>

#include <spdlog/spdlog.h>

#include "notify/config.h"
#include "notify/partner_outbox.h"
#include "util/text.h"

namespace sg::cli {

store::OpenOptions StoreOptionsAt(const std::string& git_dir, const config::Config& cfg) {
  store::OpenOptions o;
  o.store_secrets = cfg.store_secrets;
  o.repository = git_dir;
  if (cfg.store_root.empty()) {
    o.dir = git_dir + "/secretgate";
  } else {
    o.dir = cfg.store_root;
    o.server_wide = true;
  }
  return o;
}

Result<store::Store> OpenStoreAt(const std::string& git_dir, const config::Config& cfg) {
  return store::Store::Open(StoreOptionsAt(git_dir, cfg));
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

Result<store::Store> OpenStore(const git::Repository& repo, const config::Config& cfg) {
  return OpenStoreAt(repo.git_dir(), cfg);
}

Result<std::vector<std::optional<store::RecordOutcome>>> RecordDetections(
    const git::Repository& repo, const config::Config& cfg,
    const std::vector<inspect::Detection>& detections, const RecordContext& ctx) {
  std::vector<std::optional<store::RecordOutcome>> out(detections.size());
  std::vector<store::Observation> obs;
  std::vector<size_t> first_obs(detections.size(), SIZE_MAX);
  std::vector<store::Observation> bypassed_obs;
  std::vector<size_t> first_bypassed(detections.size(), SIZE_MAX);
  const std::string now = NowRfc3339();
  for (size_t i = 0; i < detections.size(); ++i) {
    const auto& d = detections[i];
    if (d.suppressed()) continue;
    bool bypassed = ctx.bypass && (ctx.bypassed.empty() || ctx.bypassed[i]);
    auto& target = bypassed ? bypassed_obs : obs;
    auto& first = bypassed ? first_bypassed : first_obs;
    std::vector<inspect::Origin> origins = d.origins;
    if (origins.empty()) origins.push_back({});
    for (const auto& o : origins) {
      store::Observation ob;
      ob.rule_id = d.finding.rule->id;
      ob.display_name = d.finding.rule->name;
      ob.provider = d.finding.rule->provider;
      ob.secret = d.finding.secret;
      ob.secret_redacted = Redact(d.finding.secret);
      ob.location.commit_sha = o.commit_sha;
      ob.location.path = o.path.empty() && d.where == inspect::Where::kCommitMessage
                             ? "(commit message)"
                             : o.path.empty() && d.where == inspect::Where::kTagMessage
                                   ? "(tag message)"
                                   : o.path;
      ob.location.blob_sha = d.blob_sha;
      ob.location.ref = o.ref;
      ob.location.pushed_by = ctx.pushed_by;
      ob.location.pushed_at = ctx.pushed_by.empty() ? "" : now;
      ob.location.start_line = d.finding.start_line;
      ob.location.end_line = d.finding.end_line;
      ob.location.start_column = d.finding.start_column;
      ob.location.end_column = d.finding.end_column;
      if (first[i] == SIZE_MAX) first[i] = target.size();
      target.push_back(std::move(ob));
    }
  }
  if (obs.empty() && bypassed_obs.empty()) return out;
  auto st = OpenStore(repo, cfg);
  if (!st.ok()) return st.status();
  if (!obs.empty()) {
    auto rec = st->Record(obs, std::nullopt, ctx.actor);
    if (!rec.ok()) return rec.status();
    HandOffToPartners(cfg, *st, repo.git_dir(), obs, *rec);
    for (size_t i = 0; i < detections.size(); ++i) {
      if (first_obs[i] != SIZE_MAX) out[i] = (*rec)[first_obs[i]];
    }
  }
  if (!bypassed_obs.empty()) {
    auto rec = st->Record(bypassed_obs, ctx.bypass, ctx.actor);
    if (!rec.ok()) return rec.status();
    HandOffToPartners(cfg, *st, repo.git_dir(), bypassed_obs, *rec);
    for (size_t i = 0; i < detections.size(); ++i) {
      if (first_bypassed[i] != SIZE_MAX) out[i] = (*rec)[first_bypassed[i]];
    }
  }
  return out;
}

}  // namespace sg::cli
