#include "rules/rule_cache.h"

#include <dirent.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>

#include "util/crc32c.h"
#include "util/fs.h"
#include "util/text.h"

namespace sg::rules {
namespace {

constexpr int kFormat = 2;

void AppendStat(std::string* key, const std::string& name, const struct stat& st) {
  char buf[160];
  int n = std::snprintf(
      buf, sizeof buf, "\t%lld\t%llu\t%lld.%ld\t%lld.%ld\n", static_cast<long long>(st.st_size),
      static_cast<unsigned long long>(st.st_ino), static_cast<long long>(st.st_mtim.tv_sec),
      st.st_mtim.tv_nsec, static_cast<long long>(st.st_ctim.tv_sec), st.st_ctim.tv_nsec);
  *key += name;
  key->append(buf, static_cast<size_t>(n));
}

// Identity of every source file as the file system sees it; empty when one cannot be read.
// Every run of the hook pays for this (a pack has ~1,000 rule files), so a directory's files
// are listed with readdir and looked up relative to it: one path component each.
std::string SourcesKey(const std::vector<std::string>& paths) {
  std::vector<std::pair<std::string, struct stat>> files;
  for (const auto& p : paths) {
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) return {};
    if (!S_ISDIR(st.st_mode)) {
      files.emplace_back(p, st);
      continue;
    }
    DIR* dir = ::opendir(p.c_str());
    if (!dir) return {};
    // The directory itself: a file added or removed changes its mtime.
    files.emplace_back(p + "/", st);
    const std::string prefix = p.back() == '/' ? p : p + "/";
    bool ok = true;
    while (struct dirent* e = ::readdir(dir)) {
      std::string_view name = e->d_name;
      if (name.size() <= 5 || name.substr(name.size() - 5) != ".toml") continue;
      if (::fstatat(::dirfd(dir), e->d_name, &st, 0) != 0) {
        ok = false;
        break;
      }
      files.emplace_back(prefix + e->d_name, st);
    }
    ::closedir(dir);
    if (!ok) return {};
  }
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string key = "rules-cache-" + std::to_string(kFormat) + "\n";
  key.reserve(files.size() * 96);
  for (const auto& [name, st] : files) AppendStat(&key, name, st);
  return Sha256Hex(key);
}

// The cache file: kMagic, a CRC-32C of the rest, then the sources' key (SourcesKey) it was
// written for, the digest and every rule as fields of fixed order: strings and lists
// length-prefixed, numbers in the machine's byte order (the cache is local to the machine).
// Binary rather than JSON: the hook reads it on every push, and decoding ~250 rules from JSON
// cost more than a millisecond of a push. One file per list of source paths, named by them, so
// that it can be read while the key is computed (ReadRulesCache).
constexpr std::string_view kMagic = "secretgate-rules-cache 4\n";

class Writer {
 public:
  void Str(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  void List(const std::vector<std::string>& v) {
    U32(static_cast<uint32_t>(v.size()));
    for (const auto& s : v) Str(s);
  }
  void U32(uint32_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void I32(int32_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void F64(double v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  const std::string& data() const { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool Str(std::string* s) {
    uint32_t n;
    if (!U32(&n) || n > in_.size() - off_) return false;
    s->assign(in_.data() + off_, n);
    off_ += n;
    return true;
  }
  bool List(std::vector<std::string>* v) {
    uint32_t n;
    if (!U32(&n) || n > in_.size() - off_) return false;
    v->resize(n);
    for (auto& s : *v) {
      if (!Str(&s)) return false;
    }
    return true;
  }
  bool U32(uint32_t* v) { return Raw(v, sizeof *v); }
  bool I32(int32_t* v) { return Raw(v, sizeof *v); }
  bool F64(double* v) { return Raw(v, sizeof *v); }
  bool AtEnd() const { return off_ == in_.size(); }

 private:
  bool Raw(void* p, size_t n) {
    if (n > in_.size() - off_) return false;
    std::memcpy(p, in_.data() + off_, n);
    off_ += n;
    return true;
  }
  std::string_view in_;
  size_t off_ = 0;
};

std::string Encode(const std::string& key, const RuleSet& set) {
  Writer w;
  w.Str(key);
  w.Str(set.digest);
  w.U32(static_cast<uint32_t>(set.rules.size()));
  for (const auto& r : set.rules) {
    w.Str(r.id);
    w.Str(r.name);
    w.Str(r.provider);
    w.I32(static_cast<int32_t>(r.confidence));
    w.Str(r.regex);
    w.I32(r.secret_group);
    w.List(r.keywords);
    w.F64(r.entropy);
    w.Str(r.validator);
    w.List(r.allowlist.regexes);
    w.List(r.allowlist.paths);
    w.List(r.allowlist.stopwords);
    w.List(r.allowlist.match_regexes);
    w.List(r.allowlist.line_regexes);
    w.Str(r.mode);
    w.Str(r.path_regex);
    w.Str(r.file);
    w.I32(r.line);
    w.I32(r.requires_companion ? 1 : 0);
    if (r.requires_companion) {
      w.Str(r.requires_companion->rule);
      w.I32(r.requires_companion->within_lines);
    }
  }
  std::string body = w.data();
  uint32_t crc = Crc32c(body);
  std::string out(kMagic);
  out.append(reinterpret_cast<const char*>(&crc), sizeof crc);
  return out + body;
}

// The rule set in `data`, or nullopt with *why set when it is not a whole, undamaged cache.
std::optional<CachedRules> Decode(std::string_view data, std::string* why) {
  if (data.substr(0, kMagic.size()) != kMagic || data.size() < kMagic.size() + 4) {
    *why = "not a rules cache of this version";
    return std::nullopt;
  }
  uint32_t crc;
  std::memcpy(&crc, data.data() + kMagic.size(), sizeof crc);
  std::string_view body = data.substr(kMagic.size() + 4);
  if (Crc32c(body) != crc) {
    *why = "checksum mismatch";
    return std::nullopt;
  }
  Reader rd(body);
  CachedRules out;
  RuleSet& set = out.set;
  uint32_t n = 0;
  bool ok = rd.Str(&out.key) && rd.Str(&set.digest) && rd.U32(&n) && n <= body.size();
  if (ok) set.rules.resize(n);
  for (uint32_t i = 0; ok && i < n; ++i) {
    Rule& r = set.rules[i];
    int32_t confidence = 0, has_companion = 0;
    ok = rd.Str(&r.id) && rd.Str(&r.name) && rd.Str(&r.provider) && rd.I32(&confidence) &&
         confidence >= 0 && confidence <= static_cast<int32_t>(Confidence::kLow) &&
         rd.Str(&r.regex) && rd.I32(&r.secret_group) && rd.List(&r.keywords) &&
         rd.F64(&r.entropy) && rd.Str(&r.validator) && rd.List(&r.allowlist.regexes) &&
         rd.List(&r.allowlist.paths) && rd.List(&r.allowlist.stopwords) &&
         rd.List(&r.allowlist.match_regexes) && rd.List(&r.allowlist.line_regexes) &&
         rd.Str(&r.mode) && rd.Str(&r.path_regex) && rd.Str(&r.file) && rd.I32(&r.line) &&
         rd.I32(&has_companion);
    r.confidence = static_cast<Confidence>(confidence);
    if (ok && has_companion) {
      Companion c;
      ok = rd.Str(&c.rule) && rd.I32(&c.within_lines);
      r.requires_companion = c;
    }
  }
  if (!ok || !rd.AtEnd()) {
    *why = "truncated or malformed";
    return std::nullopt;
  }
  return out;
}

std::string CacheFile(const std::vector<std::string>& paths, const std::string& cache_dir) {
  std::string joined;
  for (const auto& p : paths) joined += p + '\n';
  return cache_dir + "/rules-" + Sha256Hex(joined).substr(0, 32) + ".bin";
}

}  // namespace

std::string RulesCacheKey(const std::vector<std::string>& paths) { return SourcesKey(paths); }

std::optional<CachedRules> ReadRulesCache(const std::vector<std::string>& paths,
                                          const std::string& cache_dir, bool warn) {
  if (cache_dir.empty()) return std::nullopt;
  const std::string file = CacheFile(paths, cache_dir);
  auto data = ReadFile(file);
  if (!data.ok()) return std::nullopt;
  std::string why;
  auto cached = Decode(*data, &why);
  if (!cached && warn) spdlog::warn("ignoring the damaged rules cache {}: {}", file, why);
  return cached;
}

LoadResult LoadRulesCached(const std::vector<std::string>& paths, const std::string& cache_dir) {
  std::string key = cache_dir.empty() ? std::string() : SourcesKey(paths);
  if (key.empty()) return LoadRules(paths);
  if (auto cached = ReadRulesCache(paths, cache_dir); cached && cached->key == key) {
    LoadResult out;
    out.set = std::move(cached->set);
    out.from_cache = true;
    return out;
  }
  LoadResult out = LoadRules(paths);
  if (!out.ok()) return out;
  // A cache that cannot be written only costs the next run a parse.
  Status s = MakeDirs(cache_dir, 0755);
  if (s.ok()) s = WriteFileAtomic(CacheFile(paths, cache_dir), Encode(key, out.set), 0644);
  if (!s.ok()) spdlog::debug("cannot write the rules cache: {}", s.message());
  return out;
}

}  // namespace sg::rules
