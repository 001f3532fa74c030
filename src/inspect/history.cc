#include "inspect/history.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "git/pack_order.h"
#include "git/pack_walk.h"
#include "inspect/blob_filter.h"
#include "util/text.h"

namespace sg::inspect {
namespace {

using git::Oid;

// The message of a raw commit or tag object: what follows the first empty line.
std::string_view MessageOf(std::string_view raw) {
  size_t at = raw.find("\n\n");
  return at == std::string_view::npos ? std::string_view() : raw.substr(at + 2);
}

// The name a raw tag object gives itself ("tag v1.0" header), as a ref.
std::string TagRef(std::string_view raw) {
  size_t at = raw.rfind("\ntag ", raw.find("\n\n"));
  if (at == std::string_view::npos) return {};
  size_t end = raw.find('\n', at + 5);
  return "refs/tags/" + std::string(raw.substr(at + 5, end - at - 5));
}

// One reader thread's share of a scan: its scanner and what it found.
struct Part {
  explicit Part(const std::shared_ptr<const scan::Engine>& engine) : scanner(engine) {}
  scan::Scanner scanner;
  ScanResult result;
  std::vector<scan::DeltaCopy> copies;  // reused between objects
};

// Placing the blobs that have findings walks every tree of the history on one thread; after the
// objects are read, that took as long as reading them on real histories. So the walk runs on a
// thread of its own while the readers read, for every blob (they do not know yet which blobs
// they will find secrets in). A scan that finds nothing in a blob stops it when the read ends.
// It starts with the read: findings come late in pack order (old versions are the deep deltas),
// too late to start it at the first one.
class Placer {
 public:
  // Beyond this many blobs the map (~130 bytes a blob) would grow too large: the scan places
  // the blobs it found afterwards instead.
  static constexpr size_t kMaxBlobs = 1'000'000;

  explicit Placer(std::string git_dir) : git_dir_(std::move(git_dir)) {}
  ~Placer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  void Start() {
    std::call_once(once_, [this] {
      thread_ = std::thread([this] {
        auto repo = git::Repository::Open(git_dir_);
        if (!repo.ok()) {
          result_ = repo.status();
          return;
        }
        result_ = git::PlaceAllBlobs(*repo, stop_, kMaxBlobs);
      });
    });
  }
  // The walk's places, once it is done; an error when it never started or failed.
  Result<git::BlobPlaces> Take() {
    if (thread_.joinable()) thread_.join();
    return std::move(result_);
  }

 private:
  std::string git_dir_;
  std::once_flag once_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  Result<git::BlobPlaces> result_ = Status::Internal("the walk did not start");
};

std::vector<std::unique_ptr<Part>> MakeParts(const std::shared_ptr<const scan::Engine>& engine,
                                             unsigned n) {
  std::vector<std::unique_ptr<Part>> parts;
  for (unsigned i = 0; i < n; ++i) parts.push_back(std::make_unique<Part>(engine));
  return parts;
}

ScanResult Merge(std::vector<std::unique_ptr<Part>>& parts) {
  ScanResult out;
  for (auto& p : parts) {
    p->result.stats.given_up_match_limit = p->scanner.given_up().match_limit;
    out.stats.Add(p->result.stats);
    for (auto& d : p->result.detections) out.detections.push_back(std::move(d));
  }
  return out;
}

// Scans one object (a blob's content, or a commit's or tag's message) into `part`.
Status ScanObject(const git::ObjectView& v, const ScanOptions& options, Part& part) {
  ScanResult& out = part.result;
  ++out.stats.objects;
  if (options.progress) options.progress->fetch_add(v.size, std::memory_order_relaxed);
  Where where = Where::kFile;
  std::string_view text = v.data;
  Origin origin;
  if (v.type == GIT_OBJECT_COMMIT) {
    ++out.stats.commits;
    where = Where::kCommitMessage;
    text = MessageOf(v.data);
    origin.commit_sha = v.oid.Hex();
  } else if (v.type == GIT_OBJECT_TAG) {
    ++out.stats.tags;
    where = Where::kTagMessage;
    text = MessageOf(v.data);
    origin.ref = TagRef(v.data);
  } else if (v.too_large) {
    ++out.stats.skipped_large;
    spdlog::info("skipped blob {}: {} bytes is over max_blob_size", v.oid.Hex(), v.size);
    return Status::Ok();
  } else if (LooksBinary(v.data)) {
    ++out.stats.skipped_binary;
    return Status::Ok();
  } else {
    ++out.stats.blobs_scanned;
  }
  if (v.too_large) return Status::Ok();  // a commit or tag over the limit
  out.stats.bytes_scanned += text.size();
  // A blob stored as a delta of a scanned blob reuses the base's hits where it copies it.
  const auto* base =
      where == Where::kFile ? static_cast<const scan::HitRecord*>(v.base_memo) : nullptr;
  part.copies.clear();
  if (base && v.copies) {
    for (const git::CopyRun& c : *v.copies) part.copies.push_back({c.to, c.from, c.length});
  }
  std::shared_ptr<scan::HitRecord> record;
  if (where == Where::kFile && v.has_deltas) record = std::make_shared<scan::HitRecord>();
  auto found = part.scanner.ScanReusing(text, {}, base, part.copies, record.get());
  if (record) v.memo = std::move(record);

  if (!found.ok()) return found.status().WithContext("object " + v.oid.Hex());
  for (auto& f : *found) {
    Detection d;
    d.finding = std::move(f);
    d.where = where;
    d.blob_sha = v.oid.Hex();
    if (where != Where::kFile) d.origins.push_back(origin);
    out.detections.push_back(std::move(d));
  }
  return Status::Ok();
}

// Orders detections for output: by path (messages and unplaced blobs first), then position.
void SortDetections(std::vector<Detection>& ds) {
  std::sort(ds.begin(), ds.end(), [](const Detection& a, const Detection& b) {
    const std::string& pa = a.origins.empty() ? a.blob_sha : a.origins[0].path;
    const std::string& pb = b.origins.empty() ? b.blob_sha : b.origins[0].path;
    return std::tie(pa, a.blob_sha, a.finding.start, a.finding.rule) <
           std::tie(pb, b.blob_sha, b.finding.start, b.finding.rule);
  });
}

// Applies a rule's path allowlist and the exclusions to a placed blob detection; false when
// the rule does not apply at that path.
bool KeepAtPath(Detection& d, const std::string& path, const scan::Engine& engine,
                const ScanOptions& options) {
  size_t r = static_cast<size_t>(d.finding.rule - engine.rules().rules.data());
  if (engine.SkipsPath(r, path)) return false;
  ApplyExclusions(d, path, options.exclude_paths);
  return true;
}

}  // namespace

unsigned ReaderThreads(const ScanOptions& options) {
  if (options.threads) return options.threads;
  return std::clamp<unsigned>(std::thread::hardware_concurrency(), 1, 16);
}

Result<ScanResult> ScanHistory(const git::Repository& repo,
                               const std::shared_ptr<const scan::Engine>& engine,
                               const ScanOptions& options) {
  const unsigned n = ReaderThreads(options);
  auto parts = MakeParts(engine, n);
  Placer placer(repo.git_dir());
  if (n > 1) placer.Start();  // with one reader thread, one thread in all: placed afterwards
  git::WalkOptions wo;
  wo.threads = n;
  wo.max_size = static_cast<size_t>(std::max<int64_t>(options.max_blob_size, 0));
  Status s =
      git::ForEachObject(repo.objects_dir(), wo, [&](unsigned worker, const git::ObjectView& v) {
        return ScanObject(v, options, *parts[worker]);
      });
  if (!s.ok()) return s;
  ScanResult out = Merge(parts);
  if (out.detections.empty()) return out;

  std::set<Oid> wanted;
  for (const auto& d : out.detections) {
    Oid oid;
    if (d.where == Where::kFile && Oid::FromHex(d.blob_sha, &oid)) wanted.insert(oid);
  }
  std::map<Oid, git::BlobPlace> placed;
  if (wanted.empty()) {
    // nothing to place: the placer's walk is stopped (~Placer)
  } else if (auto all = placer.Take(); all.ok()) {
    for (const Oid& b : wanted) {
      if (auto it = all->find(b); it != all->end()) placed.emplace(b, std::move(it->second));
    }
  } else {
    spdlog::debug("placing the blobs with findings after the read: {}", all.status().message());
    auto places = git::PlaceBlobs(repo, wanted);
    if (!places.ok()) return places.status();
    placed = std::move(*places);
  }
  auto* places = &placed;
  std::vector<Detection> kept;
  for (auto& d : out.detections) {
    Oid oid;
    if (d.where == Where::kFile && Oid::FromHex(d.blob_sha, &oid)) {
      // A blob no ref reaches (dangling, or left by a rewrite) still holds the secret: it is
      // reported with no commit or path.
      auto it = places->find(oid);
      if (it != places->end()) {
        d.origins.push_back({it->second.commit.Hex(), it->second.path, ""});
        if (!KeepAtPath(d, it->second.path, *engine, options)) continue;
      }
    }
    kept.push_back(std::move(d));
  }
  out.detections = std::move(kept);
  SortDetections(out.detections);
  return out;
}

Result<ScanResult> ScanCommits(const git::Repository& repo, const git::CommitSelection& selection,
                               const std::shared_ptr<const scan::Engine>& engine,
                               const ScanOptions& options) {
  auto commits = git::SelectCommits(repo, selection);
  if (!commits.ok()) return commits.status();
  // What the commits add, each blob at its first commit and path; then their messages.
  std::map<Oid, git::BlobPlace> first;
  std::vector<Oid> objects;
  for (const Oid& c : *commits) {
    SG_RETURN_IF_ERROR(git::BlobsAddedBy(repo.get(), c, [&](const std::string& path, const Oid& b) {
      if (first.emplace(b, git::BlobPlace{c, path}).second) objects.push_back(b);
    }));
    objects.push_back(c);
  }
  // Annotated tags that point at a selected commit.
  std::set<Oid> selected(commits->begin(), commits->end());
  git_reference_iterator* raw_it = nullptr;
  if (git_reference_iterator_glob_new(&raw_it, repo.get(), "refs/tags/*") == 0) {
    git::RefIteratorPtr it(raw_it);
    git_reference* raw_ref = nullptr;
    while (git_reference_next(&raw_ref, it.get()) == 0) {
      git::ReferencePtr ref(raw_ref);
      const git_oid* target = git_reference_target(ref.get());
      git_tag* tag = nullptr;
      if (!target || git_tag_lookup(&tag, repo.get(), target) != 0) continue;
      git::TagPtr t(tag);
      if (selected.count(Oid(*git_tag_target_id(t.get())))) objects.push_back(Oid(*target));
    }
  }
  // Read in pack order (several times faster than in hash order), shared out in chunks.
  auto order = git::ObjectsInPackOrder(repo.objects_dir());
  if (!order.ok()) return order.status();
  std::set<Oid> want(objects.begin(), objects.end());
  std::vector<Oid> ordered;
  for (const Oid& o : *order) {
    if (want.erase(o)) ordered.push_back(o);
  }
  for (const Oid& o : objects) {  // objects only an alternate holds
    if (want.erase(o)) ordered.push_back(o);
  }
  const unsigned n =
      std::min<unsigned>(ReaderThreads(options), std::max<size_t>(1, ordered.size() / 64));
  auto parts = MakeParts(engine, n);
  std::atomic<size_t> next{0};
  std::vector<Status> errors(n);
  std::vector<std::thread> threads;
  auto work = [&](unsigned t) {
    auto own = git::Repository::Open(repo.git_dir());  // libgit2 locks an odb while inflating
    if (!own.ok()) {
      errors[t] = own.status();
      return;
    }
    constexpr size_t kChunk = 64;
    for (size_t begin; (begin = next.fetch_add(kChunk)) < ordered.size();) {
      for (size_t i = begin; i < std::min(ordered.size(), begin + kChunk); ++i) {
        const Oid& oid = ordered[i];
        git::ObjectView v;
        v.oid = oid;
        size_t size = 0;
        Status s = own->ReadHeader(oid, &size, &v.type);
        std::string data;
        if (s.ok() && size > static_cast<size_t>(options.max_blob_size)) {
          v.too_large = true;
          v.size = size;
        } else if (s.ok()) {
          auto r = own->ReadRaw(oid, &v.type);
          if (r.ok()) {
            data = std::move(*r);
            v.data = data;
            v.size = data.size();
          } else {
            s = r.status();
          }
        }
        if (s.ok()) s = ScanObject(v, options, *parts[t]);
        if (!s.ok()) {
          errors[t] = s;
          next = ordered.size();
          return;
        }
      }
    }
  };
  for (unsigned t = 1; t < n; ++t) threads.emplace_back(work, t);
  work(0);
  for (auto& th : threads) th.join();
  for (const auto& e : errors) {
    if (!e.ok()) return e;
  }
  ScanResult out = Merge(parts);
  std::vector<Detection> kept;
  for (auto& d : out.detections) {
    Oid oid;
    if (d.where == Where::kFile && Oid::FromHex(d.blob_sha, &oid)) {
      const auto& place = first.at(oid);
      d.origins.push_back({place.commit.Hex(), place.path, ""});
      if (!KeepAtPath(d, place.path, *engine, options)) continue;
    }
    kept.push_back(std::move(d));
  }
  out.detections = std::move(kept);
  SortDetections(out.detections);
  return out;
}

}  // namespace sg::inspect
