#include "cli/record.h"

#include "util/text.h"

namespace sg::cli {

Result<store::Store> OpenStoreAt(const std::string& git_dir, const config::Config& cfg) {
  store::OpenOptions o;
  o.store_secrets = cfg.store_secrets;
  o.repository = git_dir;
  if (cfg.store_root.empty()) {
    o.dir = git_dir + "/secretgate";
  } else {
    o.dir = cfg.store_root;
    o.server_wide = true;
  }
  return store::Store::Open(o);
}

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
    for (size_t i = 0; i < detections.size(); ++i) {
      if (first_obs[i] != SIZE_MAX) out[i] = (*rec)[first_obs[i]];
    }
  }
  if (!bypassed_obs.empty()) {
    auto rec = st->Record(bypassed_obs, ctx.bypass, ctx.actor);
    if (!rec.ok()) return rec.status();
    for (size_t i = 0; i < detections.size(); ++i) {
      if (first_bypassed[i] != SIZE_MAX) out[i] = (*rec)[first_bypassed[i]];
    }
  }
  return out;
}

}  // namespace sg::cli
