#include "scan/engine.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <regex>
#include <unordered_map>

#include "scan/anchor.h"
#include "util/crc32c.h"
#include "util/fs.h"
#include "util/text.h"

namespace sg::scan {
namespace {

// Escapes a literal for use inside a Hyperscan pattern.
std::string EscapeLiteral(std::string_view lit) {
  std::string out;
  for (unsigned char c : lit) {
    if (std::isalnum(c) || c == '_' || c >= 0x80) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

// A Hyperscan view of a rule, decided by asking Hyperscan itself what it can do.
struct HsPlan {
  HsMode mode;
  uint32_t max_width;
};

// What Hyperscan compiles for a rule: the regex with every counted repeat whose upper bound is
// over 1000 ({64,12000} in armoured keys) opened up to {64,}. Hyperscan compiles such repeats
// exactly only at great cost (seconds per rule); the opened form matches a superset, which is
// all a prefilter needs, since PCRE2 confirms every hit with the real regex.
std::string HsExpression(const std::string& regex, bool* widened) {
  static const std::regex kRepeat(R"(\{(\d*),(\d+)\})");
  std::string out;
  auto begin = regex.cbegin();
  *widened = false;
  for (std::sregex_iterator it(regex.begin(), regex.end(), kRepeat), end; it != end; ++it) {
    const auto& m = *it;
    out.append(begin, m[0].first);
    if (std::stoul(m[2].str()) > 1000) {
      out += "{" + (m[1].str().empty() ? std::string("0") : m[1].str()) + ",}";
      *widened = true;
    } else {
      out += m[0].str();
    }
    begin = m[0].second;
  }
  out.append(begin, regex.cend());
  return out;
}

HsPlan PlanRule(const std::string& regex) {
  for (HsMode mode : {HsMode::kExact, HsMode::kPrefilter}) {
    unsigned flags = mode == HsMode::kPrefilter ? HS_FLAG_PREFILTER : 0;
    hs_expr_info_t* raw_info = nullptr;
    hs_compile_error_t* raw_err = nullptr;
    hs_error_t rc = hs_expression_info(regex.c_str(), flags, &raw_info, &raw_err);
    HsInfo info(raw_info);
    HsCompileError err(raw_err);
    if (rc == HS_SUCCESS && info) return {mode, info->max_width};
  }
  return {HsMode::kNone, UINT_MAX};
}

constexpr char kCacheMagic[] = "SGHSCACHE6\n";
// The CRC-32C in the cache covers this much of each image: Hyperscan's header (magic, version,
// bytecode length and offset) and the start of the bytecode; hs_alloc_scratch checks the
// bytecode's own CRC.
constexpr size_t kImageHeadBytes = 4096;
constexpr size_t kPage = 4096;  // the database image starts on a page boundary of the file

size_t ImageOffset(size_t header_size) { return (header_size + kPage - 1) / kPage * kPage; }

// A whole file in memory, page-aligned: a read-only private mapping, or, where the file system
// cannot map files, a copy read into page-aligned memory. Released when the last owner lets go.
struct Mapping {
  void* addr = MAP_FAILED;
  size_t size = 0;
  bool copied = false;
  ~Mapping() {
    if (copied) {
      std::free(addr);
    } else if (addr != MAP_FAILED) {
      ::munmap(addr, size);
    }
  }
};

std::shared_ptr<Mapping> MapFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  auto map = std::make_shared<Mapping>();
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    map->size = static_cast<size_t>(st.st_size);
    map->addr = ::mmap(nullptr, map->size, PROT_READ, MAP_PRIVATE, fd, 0);
    void* mem = nullptr;
    if (map->addr == MAP_FAILED && posix_memalign(&mem, kPage, map->size) == 0) {
      map->addr = mem;
      map->copied = true;
      size_t got = 0;
      while (got < map->size) {
        ssize_t r =
            ::pread(fd, static_cast<char*>(mem) + got, map->size - got, static_cast<off_t>(got));
        if (r <= 0) break;
        got += static_cast<size_t>(r);
      }
      if (got != map->size) map.reset();
    }
  }
  ::close(fd);
  return map && map->addr != MAP_FAILED ? map : nullptr;
}

}  // namespace

bool Engine::AllocatePrototype() {
  hs_scratch_t* raw = nullptr;
  bool ok = !db_ || hs_alloc_scratch(db_.get(), &raw) == HS_SUCCESS;
  for (const auto& g : groups_) {
    if (ok && g.db) ok = hs_alloc_scratch(g.db.get(), &raw) == HS_SUCCESS;
  }
  HsScratch scratch(raw);
  if (ok) prototype_ = std::move(scratch);
  return ok;
}

Engine::Engine(rules::RuleSet set, const EngineOptions& options)
    : set_(std::move(set)), options_(options), compiled_(set_.rules.size()) {}

Result<std::shared_ptr<const Engine>> Engine::Build(rules::RuleSet set,
                                                    const EngineOptions& options) {
  auto engine = std::make_shared<Engine>(std::move(set), options);
  SG_RETURN_IF_ERROR(engine->Compile());
  if (!engine->prototype_ && !engine->AllocatePrototype()) {
    return Status::Internal("Hyperscan scratch space could not be allocated");
  }
  engine->IndexProviderKeywords();
  for (size_t i = 0; i < engine->compiled_.size(); ++i) {
    if (engine->compiled_[i].mode == HsMode::kNone) engine->pcre_only_.push_back(i);
  }
  return std::shared_ptr<const Engine>(std::move(engine));
}

Status Engine::Compile() {
  // Keywords are shared between rules: one Hyperscan literal per distinct keyword.
  std::unordered_map<std::string, uint32_t> keyword_ids;
  keyword_ids.reserve(set_.rules.size() * 2);
  const uint32_t nrules = static_cast<uint32_t>(set_.rules.size());
  for (size_t i = 0; i < set_.rules.size(); ++i) {
    for (const auto& k : set_.rules[i].keywords) {
      std::string lower = ToLowerAscii(k);
      auto [it, inserted] =
          keyword_ids.try_emplace(lower, nrules + static_cast<uint32_t>(keywords_.size()));
      if (inserted) keywords_.push_back(lower);
      compiled_[i].keyword_ids.push_back(it->second);
    }
  }
  keyword_count_ = keywords_.size();

  // The cache key covers everything that shapes the database: the rules, the Hyperscan
  // version and the CPU features Hyperscan would compile for.
  hs_platform_info_t platform{};
  hs_populate_platform(&platform);
  std::string key = set_.digest + "|" + hs_version() + "|" +
                    std::string(reinterpret_cast<const char*>(&platform), sizeof platform) + "|" +
                    kCacheMagic;
  const std::string name = "hs-" + Sha256Hex(key).substr(0, 32) + ".db";
  std::string cache_path;
  if (!options_.cache_dir.empty()) cache_path = options_.cache_dir + "/" + name;
  std::vector<std::string> candidates = options_.read_only_cache_dirs;
  if (!options_.cache_dir.empty()) candidates.insert(candidates.begin(), options_.cache_dir);
  for (const auto& dir : candidates) {
    if (LoadCache(dir + "/" + name)) {
      cache_hit_ = true;
      return Status::Ok();
    }
  }
  if (options_.cached_only) return Status::NotFound("no cached Hyperscan database");

  // One Hyperscan database per group of expressions: the main one, and one per second-pass
  // group (rules Hyperscan cannot anchor, keyed by their keyword set).
  struct DbPlan {
    std::vector<std::string> exprs;
    std::vector<unsigned> flags, ids;
  };
  DbPlan main_plan;
  std::vector<DbPlan> group_plans;
  std::map<std::vector<uint32_t>, uint32_t> group_of_keywords;
  for (size_t i = 0; i < set_.rules.size(); ++i) {
    bool widened = false;
    std::string expr = HsExpression(set_.rules[i].regex, &widened);
    HsPlan plan = PlanRule(expr);
    compiled_[i].mode = plan.mode;
    compiled_[i].max_width = widened ? UINT_MAX : plan.max_width;
    if (plan.mode == HsMode::kNone) {
      spdlog::info(
          "rule {} ({}): Hyperscan cannot compile its regex; PCRE2 scans buffers that "
          "contain one of its keywords",
          set_.rules[i].id, set_.rules[i].Where());
      continue;
    }
    // The database of the second-pass group for keyword set `kws` (empty: the wide rules).
    auto group_for = [&](std::vector<uint32_t> kws) {
      std::sort(kws.begin(), kws.end());
      auto [it, inserted] =
          group_of_keywords.emplace(kws, static_cast<uint32_t>(group_plans.size()));
      if (inserted) {
        group_plans.emplace_back();
        groups_.push_back({kws, nullptr});
      }
      compiled_[i].group = it->second;
      return &group_plans[it->second];
    };
    DbPlan* target = &main_plan;
    // A second pass pays only when its keywords are rare: every keyword of kMinAnchor bytes
    // or more (a two-letter keyword such as "AC" occurs in nearly every buffer).
    bool rare_keywords = !compiled_[i].keyword_ids.empty();
    for (uint32_t id : compiled_[i].keyword_ids) {
      rare_keywords = rare_keywords && keywords_[id - nrules].size() >= kMinAnchor;
    }
    if (rare_keywords && !HyperscanCanAnchor(set_.rules[i].regex)) {
      target = group_for(compiled_[i].keyword_ids);
    } else if (compiled_[i].max_width > kReuseWidth) {
      // Too wide for a history scan to reuse a delta base's hits (Scanner::ScanReusing): the
      // wide rules get a database of their own, scanned over every buffer.
      target = group_for({});
    }
    target->exprs.push_back(expr);
    target->flags.push_back(plan.mode == HsMode::kPrefilter ? HS_FLAG_PREFILTER : 0);
    target->ids.push_back(static_cast<unsigned>(i));
  }
  // Only the keywords that decide whether a second pass runs (a group's, a PCRE2-only rule's)
  // are in the main database: a scan asks for those on every buffer. Whether a rule with a
  // Hyperscan hit has its keyword is asked rarely, and answered by searching the buffer
  // (Scanner::KeywordHit); 2,000 more caseless literals in the database made every byte
  // slower (a fifth of a directory scan).
  keyword_in_db_.assign(keywords_.size(), 0);
  for (size_t i = 0; i < set_.rules.size(); ++i) {
    const CompiledRule& c = compiled_[i];
    const bool gates = c.mode == HsMode::kNone ||
                       (c.group != kMainDatabase && !groups_[c.group].keyword_ids.empty());
    if (!gates) continue;
    for (uint32_t id : c.keyword_ids) keyword_in_db_[id - nrules] = 1;
  }
  for (size_t k = 0; k < keywords_.size(); ++k) {
    if (!keyword_in_db_[k]) continue;
    main_plan.exprs.push_back(EscapeLiteral(keywords_[k]));
    main_plan.flags.push_back(HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH);
    main_plan.ids.push_back(nrules + static_cast<unsigned>(k));
  }

  auto compile = [&](DbPlan& plan, std::shared_ptr<hs_database_t>* out) -> Status {
    while (!plan.exprs.empty()) {
      std::vector<const char*> cexprs;
      for (const auto& e : plan.exprs) cexprs.push_back(e.c_str());
      hs_database_t* raw_db = nullptr;
      hs_compile_error_t* raw_err = nullptr;
      hs_error_t rc = hs_compile_multi(cexprs.data(), plan.flags.data(), plan.ids.data(),
                                       static_cast<unsigned>(plan.exprs.size()), HS_MODE_BLOCK,
                                       nullptr, &raw_db, &raw_err);
      HsCompileError err(raw_err);
      if (rc == HS_SUCCESS) {
        out->reset(raw_db, hs_free_database);
        return Status::Ok();
      }
      // One expression Hyperscan accepted alone may still fail in the set: demote that rule
      // to PCRE2-only and try again.
      if (err && err->expression >= 0 && plan.ids[err->expression] < nrules) {
        size_t at = static_cast<size_t>(err->expression);
        size_t rule = plan.ids[at];
        spdlog::warn("rule {}: Hyperscan: {}; PCRE2 will confirm it alone", set_.rules[rule].id,
                     err->message);
        compiled_[rule].mode = HsMode::kNone;
        compiled_[rule].group = kMainDatabase;
        plan.exprs.erase(plan.exprs.begin() + at);
        plan.flags.erase(plan.flags.begin() + at);
        plan.ids.erase(plan.ids.begin() + at);
        continue;
      }
      return Status::Internal(std::string("Hyperscan cannot compile the rule set: ") +
                              (err ? err->message : "unknown error"));
    }
    return Status::Ok();  // nothing to scan for
  };
  SG_RETURN_IF_ERROR(compile(main_plan, &db_));
  for (size_t g = 0; g < group_plans.size(); ++g) {
    SG_RETURN_IF_ERROR(compile(group_plans[g], &groups_[g].db));
  }
  if (!cache_path.empty()) SaveCache(cache_path);
  return Status::Ok();
}

// Cache file: magic, rule count, per rule (mode u8, max_width u32, group u32), group count G,
// per group (keyword count u32, keyword ids u32...), per keyword whether the main database has
// it (u8), then for each of the 1 + G databases (main first) its image size u64 and the CRC-32C
// of its first kImageHeadBytes u32; zeros up to the next 4 KiB boundary, then each
// database *image* (the database as hs_deserialize_database_at lays it out in page-aligned
// memory), each starting on a page boundary. A warm start maps the file and hands Hyperscan the
// images where they lie, as Rspamd does with its Hyperscan caches: no read, no copy, no
// deserialisation, about 2.5 ms of a 1.5 MB database (hs_serialize_database's form would have
// to be read and deserialised into fresh memory on every push). Hyperscan's images are
// position-independent at a given alignment, and a page boundary keeps it. Against a damaged
// file: the CRC of each image's head guards Hyperscan's header (a wrong length or bytecode
// offset would send Hyperscan's own check outside the image), and hs_alloc_scratch, run here
// for the engine's prototype scratch, checks the CRC that Hyperscan keeps of the bytecode.
// Checking the whole image here as well would read 6.5 MB twice on every push. Anything that
// does not check out is ignored and recompiled.
bool Engine::LoadCache(const std::string& path) {
  std::shared_ptr<Mapping> map = MapFile(path);
  if (!map) return false;
  std::string_view d(static_cast<const char*>(map->addr), map->size);
  const size_t magic_len = sizeof kCacheMagic - 1;
  if (d.size() < magic_len || d.substr(0, magic_len) != kCacheMagic) return false;
  size_t off = magic_len;
  auto take = [&](void* out, size_t n) {
    if (off + n > d.size()) return false;
    std::memcpy(out, d.data() + off, n);
    off += n;
    return true;
  };
  uint32_t n = 0;
  if (!take(&n, 4) || n != compiled_.size()) return false;
  struct Saved {
    uint8_t mode;
    uint32_t width, group;
  };
  std::vector<Saved> saved(n);
  for (auto& r : saved) {
    if (!take(&r.mode, 1) || !take(&r.width, 4) || !take(&r.group, 4) || r.mode > 2) return false;
  }
  uint32_t ngroups = 0;
  if (!take(&ngroups, 4) || ngroups > n) return false;
  std::vector<Group> groups(ngroups);
  for (auto& g : groups) {
    uint32_t k = 0;
    if (!take(&k, 4) || k > keyword_count_) return false;
    g.keyword_ids.resize(k);
    for (auto& id : g.keyword_ids) {
      if (!take(&id, 4) || id < n || id >= n + keyword_count_) return false;
    }
  }
  for (const auto& r : saved) {
    if (r.group != kMainDatabase && r.group >= ngroups) return false;
  }
  std::vector<uint8_t> in_db(keyword_count_);
  if (!take(in_db.data(), in_db.size())) return false;
  std::vector<std::pair<uint64_t, uint32_t>> images(1 + ngroups);
  for (auto& [size, crc] : images) {
    if (!take(&size, 8) || !take(&crc, 4)) return false;
  }
  size_t at = ImageOffset(off);
  std::vector<std::shared_ptr<hs_database_t>> dbs;
  for (const auto& [size, crc] : images) {
    if (at > d.size() || d.size() - at < size) return false;
    std::string_view image = d.substr(at, size);
    if (Crc32c(image.substr(0, kImageHeadBytes)) != crc) {
      spdlog::warn("ignoring the damaged rule cache {}: checksum mismatch", path);
      return false;
    }
    std::shared_ptr<hs_database_t> db;
    if (size > 0) {
      auto* raw = reinterpret_cast<hs_database_t*>(const_cast<char*>(image.data()));
      char* info = nullptr;  // checks the image's magic and version
      if (hs_database_info(raw, &info) != HS_SUCCESS) return false;
      free(info);
      size_t db_size = 0;  // the header's length, which Hyperscan's CRC check trusts
      if (hs_database_size(raw, &db_size) != HS_SUCCESS || db_size > size) return false;
      db = std::shared_ptr<hs_database_t>(map, raw);  // shares the mapping's lifetime
    }
    dbs.push_back(std::move(db));
    at = ImageOffset(at + size);
  }
  db_ = dbs[0];
  mapped_ = db_ != nullptr;
  for (uint32_t g = 0; g < ngroups; ++g) groups[g].db = dbs[1 + g];
  groups_ = std::move(groups);
  if (!AllocatePrototype()) {
    spdlog::warn("ignoring the damaged rule cache {}: Hyperscan refuses its database", path);
    db_.reset();
    mapped_ = false;
    groups_.clear();
    return false;
  }
  keyword_in_db_ = std::move(in_db);
  for (size_t i = 0; i < n; ++i) {
    compiled_[i].mode = static_cast<HsMode>(saved[i].mode);
    compiled_[i].max_width = saved[i].width;
    compiled_[i].group = saved[i].group;
  }
  return true;
}

namespace {

// The page-aligned image of `db` (empty for no database); false when Hyperscan fails.
bool DatabaseImage(const hs_database_t* db, std::string* image) {
  image->clear();
  if (!db) return true;
  char* bytes = nullptr;
  size_t length = 0;
  if (hs_serialize_database(db, &bytes, &length) != HS_SUCCESS) return false;
  std::unique_ptr<char, decltype(&free)> serialized(bytes, &free);
  size_t image_size = 0;
  if (hs_serialized_database_size(bytes, length, &image_size) != HS_SUCCESS) return false;
  void* mem = nullptr;
  if (posix_memalign(&mem, kPage, image_size) != 0) return false;
  std::unique_ptr<void, decltype(&free)> aligned(mem, &free);
  if (hs_deserialize_database_at(bytes, length, static_cast<hs_database_t*>(mem)) != HS_SUCCESS) {
    return false;
  }
  image->assign(static_cast<const char*>(mem), image_size);
  return true;
}

}  // namespace

void Engine::SaveCache(const std::string& path) const {
  std::string out(kCacheMagic);
  auto put = [&out](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); };
  uint32_t n = static_cast<uint32_t>(compiled_.size());
  put(&n, 4);
  for (const auto& c : compiled_) {
    uint8_t mode = static_cast<uint8_t>(c.mode);
    put(&mode, 1);
    put(&c.max_width, 4);
    put(&c.group, 4);
  }
  uint32_t ngroups = static_cast<uint32_t>(groups_.size());
  put(&ngroups, 4);
  for (const auto& g : groups_) {
    uint32_t k = static_cast<uint32_t>(g.keyword_ids.size());
    put(&k, 4);
    for (uint32_t id : g.keyword_ids) put(&id, 4);
  }
  put(keyword_in_db_.data(), keyword_in_db_.size());
  std::vector<std::string> images(1 + groups_.size());
  if (!DatabaseImage(db_.get(), &images[0])) return;
  for (size_t g = 0; g < groups_.size(); ++g) {
    if (!DatabaseImage(groups_[g].db.get(), &images[1 + g])) return;
  }
  for (const auto& image : images) {
    uint64_t size = image.size();
    uint32_t crc = Crc32c(std::string_view(image).substr(0, kImageHeadBytes));
    put(&size, 8);
    put(&crc, 4);
  }
  for (const auto& image : images) {
    out.resize(ImageOffset(out.size()), '\0');
    out += image;
  }
  // A cache that cannot be written only costs the next run a compile.
  Status s = MakeDirs(options_.cache_dir, 0755);
  if (s.ok()) s = WriteFileAtomic(path, out, 0644);
  if (!s.ok()) spdlog::warn("cannot write the rule cache: {}", s.message());
}

void Engine::EnsureCompiled(size_t i) const {
  const CompiledRule& c = compiled_[i];
  std::call_once(c.once, [&] {
    const rules::Rule& r = set_.rules[i];
    std::string err;
    c.code = CompilePcre2(r.regex, &err);  // validated at load time; failure leaves it null
    for (const auto& re : r.allowlist.regexes)
      c.allow_regexes.push_back(CompilePcre2(re, &err, false));
    for (const auto& re : r.allowlist.paths) c.allow_paths.push_back(CompilePcre2(re, &err, false));
    for (const auto& re : r.allowlist.match_regexes)
      c.allow_match.push_back(CompilePcre2(re, &err, false));
    for (const auto& re : r.allowlist.line_regexes)
      c.allow_line.push_back(CompilePcre2(re, &err, false));
    if (!r.path_regex.empty()) c.path_regex = CompilePcre2(r.path_regex, &err, false);
  });
}

const pcre2_code* Engine::Pcre(size_t i) const {
  EnsureCompiled(i);
  return compiled_[i].code.get();
}

bool Engine::SkipsPath(size_t i, std::string_view path) const {
  const rules::Rule& r = set_.rules[i];
  if (path.empty() || (r.allowlist.paths.empty() && r.path_regex.empty())) return false;
  EnsureCompiled(i);
  if (compiled_[i].path_regex && !Pcre2Matches(compiled_[i].path_regex.get(), path)) return true;
  for (const auto& code : compiled_[i].allow_paths) {
    if (code && Pcre2Matches(code.get(), path)) return true;
  }
  return false;
}

bool Engine::SecretAllowlisted(size_t i, std::string_view secret) const {
  const rules::Rule& r = set_.rules[i];
  for (const auto& w : r.allowlist.stopwords) {
    if (ContainsIgnoreCase(secret, w)) return true;
  }
  if (r.allowlist.regexes.empty()) return false;
  EnsureCompiled(i);
  for (const auto& code : compiled_[i].allow_regexes) {
    if (code && Pcre2Matches(code.get(), secret)) return true;
  }
  return false;
}

AnchorReport CheckAnchors(const Engine& engine) {
  AnchorReport out;
  const auto& rules = engine.rules().rules;
  for (size_t i = 0; i < rules.size(); ++i) {
    const rules::Rule& r = rules[i];
    const CompiledRule& c = engine.compiled(i);
    if (c.group != kMainDatabase && !engine.groups()[c.group].keyword_ids.empty()) {
      std::string kws;
      for (const auto& k : r.keywords) kws += (kws.empty() ? "" : ", ") + k;
      out.notes.push_back(r.Where() + ": note: rule " + r.id + " has no literal of " +
                          std::to_string(kMinAnchor) +
                          "+ bytes for Hyperscan to anchor on; it runs in a second pass, only over "
                          "content holding one of its keywords (" +
                          kws + ")");
    } else if (c.mode != HsMode::kNone && !HyperscanCanAnchor(r.regex)) {
      out.warnings.push_back(
          r.Where() + ": warning: rule " + r.id +
          " slows every scan: its regex has no literal of " + std::to_string(kMinAnchor) +
          "+ bytes for Hyperscan to anchor on, and " +
          (r.keywords.empty()
               ? std::string("it has no keywords")
               : "its keywords are shorter than that (they occur nearly everywhere)") +
          ", so it cannot run in a second pass only where they occur; give it a longer literal "
          "or keyword");
    }
  }
  return out;
}

bool Engine::ContextAllowlisted(size_t i, std::string_view match, std::string_view line) const {
  const rules::Rule& r = set_.rules[i];
  if (r.allowlist.match_regexes.empty() && r.allowlist.line_regexes.empty()) return false;
  EnsureCompiled(i);
  for (const auto& code : compiled_[i].allow_match) {
    if (code && Pcre2Matches(code.get(), match)) return true;
  }
  for (const auto& code : compiled_[i].allow_line) {
    if (code && Pcre2Matches(code.get(), line)) return true;
  }
  return false;
}

void Engine::IndexProviderKeywords() {
  const size_t nrules = set_.rules.size();
  std::vector<uint8_t> generic(keywords_.size(), 0), provider(keywords_.size(), 0);
  for (size_t i = 0; i < nrules; ++i) {
    auto& mark = set_.rules[i].provider == "generic" ? generic : provider;
    for (uint32_t id : compiled_[i].keyword_ids) mark[id - nrules] = 1;
  }
  for (size_t k = 0; k < keywords_.size(); ++k) {
    size_t letters = std::count_if(keywords_[k].begin(), keywords_[k].end(),
                                   [](unsigned char c) { return std::isalpha(c); });
    if (provider[k] && !generic[k] && letters >= 4) {
      provider_keywords_.push_back(static_cast<uint32_t>(nrules + k));
    }
  }
}

}  // namespace sg::scan
