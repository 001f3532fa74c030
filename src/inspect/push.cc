#include "inspect/push.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "inspect/blob_filter.h"
#include "util/fs.h"
#include "util/text.h"

namespace sg::inspect {
namespace {

using git::Oid;

// Reads and scans one blob; appends detections without origins.
Status ScanBlob(const git::Repository& repo, const Oid& oid, scan::Scanner& scanner,
                const ScanOptions& options, ScanResult& out) {
  size_t size = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  SG_RETURN_IF_ERROR(repo.ReadHeader(oid, &size, &type));
  if (static_cast<int64_t>(size) > options.max_blob_size) {
    ++out.stats.skipped_large;
    spdlog::info("skipped blob {}: {} bytes is over max_blob_size ({} bytes)", oid.Hex(), size,
                 options.max_blob_size);
    return Status::Ok();
  }
  auto data = repo.ReadRaw(oid);
  if (!data.ok()) return data.status();
  if (LooksBinary(*data)) {
    ++out.stats.skipped_binary;
    spdlog::info("skipped blob {}: binary ({} bytes)", oid.Hex(), data->size());
    return Status::Ok();
  }
  ++out.stats.blobs_scanned;
  out.stats.bytes_scanned += data->size();
  auto found = scanner.Scan(*data);
  if (!found.ok()) return found.status().WithContext("blob " + oid.Hex());
  for (auto& f : *found) {
    Detection d;
    d.finding = std::move(f);
    d.where = Where::kFile;
    d.blob_sha = oid.Hex();
    out.detections.push_back(std::move(d));
  }
  return Status::Ok();
}

// Scans the message of a commit or annotated tag; `message` is what follows the headers.
Status ScanMessage(const Oid& oid, Where where, std::string_view message, scan::Scanner& scanner,
                   ScanResult& out) {
  out.stats.bytes_scanned += message.size();
  auto found = scanner.Scan(message);
  if (!found.ok()) return found.status().WithContext("message of " + oid.Hex());
  for (auto& f : *found) {
    Detection d;
    d.finding = std::move(f);
    d.where = where;
    d.blob_sha = oid.Hex();
    d.origins.push_back({where == Where::kCommitMessage ? oid.Hex() : "", "", ""});
    out.detections.push_back(std::move(d));
  }
  return Status::Ok();
}

Status ScanCommitOrTag(const git::Repository& repo, const Oid& oid, git_object_t type,
                       scan::Scanner& scanner, ScanResult& out) {
  if (type == GIT_OBJECT_COMMIT) {
    git_commit* raw = nullptr;
    int rc = git_commit_lookup(&raw, repo.get(), &oid.raw);
    if (rc != 0) return git::GitError(rc, "cannot read commit " + oid.Hex());
    git::CommitPtr c(raw);
    ++out.stats.commits;
    const char* msg = git_commit_message_raw(c.get());
    return ScanMessage(oid, Where::kCommitMessage, msg ? msg : "", scanner, out);
  }
  git_tag* raw = nullptr;
  int rc = git_tag_lookup(&raw, repo.get(), &oid.raw);
  if (rc != 0) return git::GitError(rc, "cannot read tag " + oid.Hex());
  git::TagPtr t(raw);
  ++out.stats.tags;
  const char* msg = git_tag_message(t.get());
  return ScanMessage(oid, Where::kTagMessage, msg ? msg : "", scanner, out);
}

// True when `hex` names a commit without parents.
bool IsRootCommit(const git::Repository& repo, const std::string& hex) {
  Oid oid;
  if (!Oid::FromHex(hex, &oid)) return false;
  git_commit* raw = nullptr;
  if (git_commit_lookup(&raw, repo.get(), &oid.raw) != 0) return false;
  git::CommitPtr c(raw);
  return git_commit_parentcount(c.get()) == 0;
}

// Attaches origins to blob detections, applies path allowlists and path exclusions.
Status Place(const git::Repository& repo, const std::vector<git::RefUpdate>& updates,
             const scan::Engine& engine, const ScanOptions& options, ScanResult& out) {
  std::set<Oid> blobs;
  for (const auto& d : out.detections) {
    Oid oid;
    if (d.where == Where::kFile && Oid::FromHex(d.blob_sha, &oid)) blobs.insert(oid);
  }
  auto origins = git::MapBlobs(repo, updates, blobs, options.refs_updated);
  if (!origins.ok()) return origins.status();
  std::vector<Detection> kept;
  for (auto& d : out.detections) {
    Oid oid;
    if (d.where == Where::kFile && Oid::FromHex(d.blob_sha, &oid)) {
      auto it = origins->find(oid);
      if (it != origins->end()) {
        for (const auto& o : it->second) d.origins.push_back({o.commit.Hex(), o.path, o.ref});
      }
    }
    // Tag messages: name the tag ref being pushed.
    if (d.where == Where::kTagMessage) {
      for (const auto& u : updates) {
        if (u.new_oid.Hex() == d.blob_sha) d.origins = {{"", "", u.ref}};
      }
    }
    for (const auto& u : updates) {
      if (d.where == Where::kCommitMessage && !d.origins.empty() && d.origins[0].ref.empty()) {
        d.origins[0].ref = u.ref;
      }
    }
    for (auto& o : d.origins) o.root_commit = IsRootCommit(repo, o.commit_sha);
    size_t rule_index = static_cast<size_t>(d.finding.rule - engine.rules().rules.data());
    if (!d.origins.empty() && !d.origins[0].path.empty()) {
      bool all_allowlisted = true;
      for (const auto& o : d.origins) {
        if (!engine.SkipsPath(rule_index, o.path)) all_allowlisted = false;
      }
      if (all_allowlisted) continue;
      ApplyExclusions(d, d.origins[0].path, options.exclude_paths);
    }
    kept.push_back(std::move(d));
  }
  out.detections = std::move(kept);
  return Status::Ok();
}

bool PastDeadline(const ScanOptions& options) {
  return options.deadline && std::chrono::steady_clock::now() >= *options.deadline;
}

}  // namespace

Result<ScanResult> ScanPush(const git::Repository& repo, const std::vector<git::RefUpdate>& updates,
                            scan::Scanner& scanner, const ScanOptions& options) {
  auto objects = git::FindNewObjects(repo, updates);
  if (!objects.ok()) return objects.status();
  std::vector<std::string> ids;
  for (const auto& o : objects->commits) ids.push_back(o.Hex());
  for (const auto& o : objects->tags) ids.push_back(o.Hex());
  for (const auto& o : objects->blobs) ids.push_back(o.Hex());
  auto res = ScanObjects(repo, updates, ids, scanner, options);
  if (res.ok()) res->from_quarantine = objects->from_quarantine;
  return res;
}

Result<ScanResult> ScanObjects(const git::Repository& repo,
                               const std::vector<git::RefUpdate>& updates,
                               const std::vector<std::string>& object_ids, scan::Scanner& scanner,
                               const ScanOptions& options) {
  ScanResult out;
  scanner.set_deadline(options.deadline);
  const scan::Scanner::GiveUps before = scanner.given_up();
  for (size_t i = 0; i < object_ids.size(); ++i) {
    if (PastDeadline(options)) {
      out.unscanned.insert(out.unscanned.end(), object_ids.begin() + static_cast<long>(i),
                           object_ids.end());
      out.stats.unscanned = out.unscanned.size();
      spdlog::warn("deadline reached: {} of {} objects left for `secretgate drain`",
                   out.unscanned.size(), object_ids.size());
      break;
    }
    Oid oid;
    if (!Oid::FromHex(object_ids[i], &oid)) {
      return Status::Invalid("not an object id: '" + EscapeControl(object_ids[i]) + "'");
    }
    ++out.stats.objects;
    size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    SG_RETURN_IF_ERROR(repo.ReadHeader(oid, &size, &type));
    if (type == GIT_OBJECT_BLOB) {
      SG_RETURN_IF_ERROR(ScanBlob(repo, oid, scanner, options, out));
    } else if (type == GIT_OBJECT_COMMIT || type == GIT_OBJECT_TAG) {
      SG_RETURN_IF_ERROR(ScanCommitOrTag(repo, oid, type, scanner, out));
    }
    // The deadline stopped the scan inside this object: it is queued with what is left, for
    // `secretgate drain` to scan whole (findings it did confirm are kept).
    if (scanner.cut()) {
      out.unscanned.push_back(object_ids[i]);
      out.stats.unscanned = out.unscanned.size();
      spdlog::warn("deadline reached inside object {}: queued for `secretgate drain`", oid.Hex());
    }
  }
  out.stats.given_up_match_limit = scanner.given_up().match_limit - before.match_limit;
  out.stats.given_up_deadline = scanner.given_up().deadline - before.deadline;
  if (!out.detections.empty())
    SG_RETURN_IF_ERROR(Place(repo, updates, scanner.engine(), options, out));
  return out;
}

}  // namespace sg::inspect
