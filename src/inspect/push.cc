#include "inspect/push.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "git/pack_order.h"
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

// Marks `d` suppressed when `path` matches one of the exclusion globs.
void ApplyExclusions(Detection& d, const std::string& path, const std::vector<std::string>& globs) {
  for (const auto& glob : globs) {
    if (!d.finding.suppressed_by.empty()) return;
    if (GlobMatch(glob, path)) d.finding.suppressed_by = "path exclusion '" + glob + "'";
  }
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
  for (size_t i = 0; i < object_ids.size(); ++i) {
    if (PastDeadline(options)) {
      out.unscanned.assign(object_ids.begin() + static_cast<long>(i), object_ids.end());
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
  }
  if (!out.detections.empty())
    SG_RETURN_IF_ERROR(Place(repo, updates, scanner.engine(), options, out));
  return out;
}

Result<ScanResult> ScanHistory(const git::Repository& repo, scan::Scanner& scanner,
                               const ScanOptions& options) {
  // Every object once, in pack order, shared out to one reader per core; each reader has its own
  // object database (libgit2 locks an odb during inflate) and its own scanner. Only the blobs
  // that hold a finding are then placed in history (commit and path), by one walk.
  auto objects = git::ObjectsInPackOrder(repo.git_dir() + "/objects");
  if (!objects.ok()) return objects.status();
  const size_t nthreads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
  const size_t per = (objects->size() + nthreads - 1) / std::max<size_t>(nthreads, 1);
  std::vector<ScanResult> parts(nthreads);
  std::vector<Status> errors(nthreads);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < nthreads; ++t) {
    threads.emplace_back([&, t] {
      auto own = git::Repository::Open(repo.git_dir());
      if (!own.ok()) {
        errors[t] = own.status();
        return;
      }
      scan::Scanner local(scanner.shared_engine());
      size_t begin = t * per, end = std::min(objects->size(), begin + per);
      for (size_t i = begin; i < end; ++i) {
        const git::Oid& oid = (*objects)[i];
        git_object_t type = GIT_OBJECT_INVALID;
        auto data = own->ReadRaw(oid, &type);
        if (!data.ok()) {
          errors[t] = data.status();
          return;
        }
        if (type != GIT_OBJECT_BLOB) continue;
        ScanResult& out = parts[t];
        ++out.stats.objects;
        if (static_cast<int64_t>(data->size()) > options.max_blob_size) {
          ++out.stats.skipped_large;
          spdlog::info("skipped blob {}: {} bytes is over max_blob_size", oid.Hex(), data->size());
          continue;
        }
        if (LooksBinary(*data)) {
          ++out.stats.skipped_binary;
          continue;
        }
        ++out.stats.blobs_scanned;
        out.stats.bytes_scanned += data->size();
        auto found = local.Scan(*data);
        if (!found.ok()) {
          errors[t] = found.status().WithContext("blob " + oid.Hex());
          return;
        }
        for (auto& f : *found) {
          Detection d;
          d.finding = std::move(f);
          d.blob_sha = oid.Hex();
          out.detections.push_back(std::move(d));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& e : errors) {
    if (!e.ok()) return e;
  }
  ScanResult out;
  for (auto& p : parts) {
    out.stats.objects += p.stats.objects;
    out.stats.blobs_scanned += p.stats.blobs_scanned;
    out.stats.bytes_scanned += p.stats.bytes_scanned;
    out.stats.skipped_binary += p.stats.skipped_binary;
    out.stats.skipped_large += p.stats.skipped_large;
    for (auto& d : p.detections) out.detections.push_back(std::move(d));
  }
  if (out.detections.empty()) return out;

  std::set<Oid> wanted;
  for (const auto& d : out.detections) {
    Oid oid;
    if (Oid::FromHex(d.blob_sha, &oid)) wanted.insert(oid);
  }
  std::map<Oid, std::pair<Oid, std::string>> where;
  Status s = git::ForEachReachableBlob(
      repo, [&](const Oid& blob, const Oid& commit, const std::string& path) -> Status {
        if (wanted.count(blob)) where.emplace(blob, std::make_pair(commit, path));
        return Status::Ok();
      });
  if (!s.ok()) return s;
  const scan::Engine& engine = scanner.engine();
  std::vector<Detection> kept;
  for (auto& d : out.detections) {
    Oid oid;
    Oid::FromHex(d.blob_sha, &oid);
    auto it = where.find(oid);
    // A blob no ref reaches (dangling, or left by a rewrite) still holds the secret: it is
    // reported with no commit or path.
    if (it != where.end()) {
      d.origins.push_back({it->second.first.Hex(), it->second.second, ""});
      size_t r = static_cast<size_t>(d.finding.rule - engine.rules().rules.data());
      if (engine.SkipsPath(r, it->second.second)) continue;
      ApplyExclusions(d, it->second.second, options.exclude_paths);
    }
    kept.push_back(std::move(d));
  }
  out.detections = std::move(kept);
  std::sort(out.detections.begin(), out.detections.end(),
            [](const Detection& a, const Detection& b) {
              const std::string pa = a.origins.empty() ? "" : a.origins[0].path;
              const std::string pb = b.origins.empty() ? "" : b.origins[0].path;
              return std::tie(pa, a.finding.start, a.finding.rule) <
                     std::tie(pb, b.finding.start, b.finding.rule);
            });
  return out;
}

Result<ScanResult> ScanPath(const std::string& root, scan::Scanner& scanner,
                            const ScanOptions& options) {
  ScanResult out;
  namespace fs = std::filesystem;
  std::vector<std::pair<std::string, std::string>> files;  // (full path, shown path)
  std::error_code ec;
  if (fs::is_regular_file(root, ec)) {
    files.emplace_back(root, root);
  } else if (fs::is_directory(root, ec)) {
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    if (ec) return Status::IOError("cannot read directory " + root + ": " + ec.message());
    for (auto end = fs::recursive_directory_iterator(); it != end; it.increment(ec)) {
      if (ec) return Status::IOError("cannot read directory " + root + ": " + ec.message());
      if (it->is_directory() && it->path().filename() == ".git") {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file() && !it->is_symlink()) {
        files.emplace_back(it->path().string(), fs::relative(it->path(), root).string());
      }
    }
    std::sort(files.begin(), files.end());
  } else {
    return Status::NotFound("no such file or directory: " + root);
  }
  for (const auto& [full, shown] : files) {
    std::error_code sec;
    auto size = fs::file_size(full, sec);
    if (sec) continue;
    ++out.stats.objects;
    if (static_cast<int64_t>(size) > options.max_blob_size) {
      ++out.stats.skipped_large;
      spdlog::info("skipped {}: {} bytes is over max_blob_size", EscapeControl(shown), size);
      continue;
    }
    auto data = ReadFile(full);
    if (!data.ok()) {
      spdlog::warn("skipped {}: {}", EscapeControl(shown), data.status().message());
      continue;
    }
    if (LooksBinary(*data)) {
      ++out.stats.skipped_binary;
      spdlog::info("skipped {}: binary", EscapeControl(shown));
      continue;
    }
    ++out.stats.blobs_scanned;
    out.stats.bytes_scanned += data->size();
    auto found = scanner.Scan(*data, shown);
    if (!found.ok()) return found.status().WithContext(shown);
    for (auto& f : *found) {
      Detection d;
      d.finding = std::move(f);
      d.origins.push_back({"", shown, ""});
      ApplyExclusions(d, shown, options.exclude_paths);
      out.detections.push_back(std::move(d));
    }
  }
  return out;
}

}  // namespace sg::inspect
