// The matching engine: one Hyperscan pass over a buffer finds candidate positions for every
// rule at once; PCRE2 (JIT) confirms each candidate on a bounded window around it, extracts the
// secret group, and the filters decide whether it is a real secret.
//
// Thread-safety: an Engine is immutable after Build() and may be shared by threads (PCRE2 code
// is compiled lazily under std::call_once). Each thread uses its own Scanner.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/rule.h"
#include "scan/finding.h"
#include "scan/hyperscan.h"
#include "util/pcre2.h"
#include "util/status.h"

namespace sg::scan {

struct EngineOptions {
  // Where the compiled Hyperscan database is cached; empty disables the cache.
  std::string cache_dir;
  // Further directories to read a cached database from (never written), e.g. the server-wide
  // cache that install.sh warms as root and hooks running as another user can only read.
  std::vector<std::string> read_only_cache_dirs;
  // Bound on PCRE2 backtracking per match attempt, so no rule can run away on hostile input.
  uint32_t match_limit = 1'000'000;
  // Build fails (NotFound) rather than compile when no cache holds the database: for a build
  // that may be thrown away (BuildEngine's speculative one).
  bool cached_only = false;
};

// How Hyperscan stands in for a rule's regex.
enum class HsMode : uint8_t {
  kExact = 0,      // Hyperscan matches the regex exactly; hits are match end offsets
  kPrefilter = 1,  // Hyperscan matches a superset (HS_FLAG_PREFILTER); hits need confirming
  kNone = 2,       // Hyperscan cannot take it: PCRE2 scans the whole buffer when a keyword occurs
};

// A rule in the main database (the common case), or in second-pass group g: see anchor.h.
inline constexpr uint32_t kMainDatabase = UINT32_MAX;

// The widest match (bytes) a rule of the main database may have. Wider rules go to a database
// of their own (a group without keywords, scanned over every buffer), so that a history scan can
// reuse a delta base's main-database hits for the bytes the delta copies (ScanReusing): a hit's
// outcome depends only on the bytes it covers and one on each side.
inline constexpr uint32_t kReuseWidth = 512;

// What one buffer's scan of the main database found, kept for the buffers that are deltas of it
// (ScanReusing): every hit (rule or keyword id, end offset) in increasing end order. A keyword
// appears once, at an occurrence; `unknown_keywords` are those the buffer may hold though no
// occurrence is known (an edit removed the known one); every other keyword is absent.
struct HitRecord {
  struct Hit {
    uint32_t id;
    uint64_t end;
  };
  std::vector<Hit> hits;
  std::vector<uint32_t> unknown_keywords;
  size_t size = 0;  // of the buffer
};

// A run of bytes a delta copies from its base: data[to, to + length) == base[from, ...).
struct DeltaCopy {
  uint64_t to, from, length;
};

struct CompiledRule {
  HsMode mode = HsMode::kExact;
  uint32_t max_width = 0;  // from hs_expression_info; UINT32_MAX when unbounded
  uint32_t group = kMainDatabase;
  std::vector<uint32_t> keyword_ids;
  // Lazily compiled confirmation regex and filters (see Engine::Pcre()).
  mutable std::once_flag once;
  mutable Pcre2Code code;
  mutable std::vector<Pcre2Code> allow_regexes;
  mutable std::vector<Pcre2Code> allow_paths;
  mutable std::vector<Pcre2Code> allow_match, allow_line;
  mutable Pcre2Code path_regex;
};

class Engine {
 public:
  static Result<std::shared_ptr<const Engine>> Build(rules::RuleSet set,
                                                     const EngineOptions& options);

  const rules::RuleSet& rules() const { return set_; }
  const EngineOptions& options() const { return options_; }
  // True when the Hyperscan database came from the on-disk cache.
  bool cache_hit() const { return cache_hit_; }
  const hs_database_t* database() const { return db_.get(); }
  // Second-pass databases: rules Hyperscan cannot anchor on a literal (anchor.h), grouped by
  // their keywords. A group's database is scanned only over a buffer holding one of its
  // keywords, so those rules do not slow the scan of every byte.
  struct Group {
    std::vector<uint32_t> keyword_ids;
    std::shared_ptr<hs_database_t> db;
  };
  const std::vector<Group>& groups() const { return groups_; }
  // True when the database is the cache file's image used in place (mapped, or read into
  // page-aligned memory where the file system cannot map files): no deserialisation.
  bool database_mapped() const { return mapped_; }
  const CompiledRule& compiled(size_t i) const { return compiled_[i]; }
  // A scratch allocated for every database, which each Scanner clones: hs_alloc_scratch
  // checks the CRC of a database's bytecode (about a millisecond for 1,400 rules), a clone
  // copies the scratch. Null when there is no database.
  const hs_scratch_t* prototype_scratch() const { return prototype_.get(); }
  // The rules of mode kNone, in order: PCRE2 scans a whole buffer for them.
  const std::vector<uint32_t>& pcre_only_rules() const { return pcre_only_; }
  size_t keyword_count() const { return keyword_count_; }
  // True when the main database reports keyword `id` (an id of CompiledRule::keyword_ids);
  // whether a buffer holds any other keyword is found by searching it, when it matters.
  bool keyword_in_database(uint32_t id) const {
    return keyword_in_db_[id - set_.rules.size()] != 0;
  }

  // The rule's PCRE2 program, compiled on first use.
  const pcre2_code* Pcre(size_t rule_index) const;
  // True when the rule does not apply to `path`: its path allowlist excludes it, or it has a
  // `path` regex that `path` does not match. False for an empty (unknown) path.
  bool SkipsPath(size_t rule_index, std::string_view path) const;
  // True when the rule's secret allowlist (regexes, stopwords) drops `secret`.
  bool SecretAllowlisted(size_t rule_index, std::string_view secret) const;
  // True when the rule's allowlist regexes for the whole match (`match_regexes`) or for the
  // line(s) holding it (`line_regexes`) drop the finding.
  bool ContextAllowlisted(size_t rule_index, std::string_view match, std::string_view line) const;

  // The keywords that name a provider: keywords of non-generic rules, of four letters or more,
  // that no generic rule uses (so "password" or "api_key" are not among them). A generic
  // finding whose key name holds one (`SENDBIRD_TOKEN = <40 hex>`) is not a hash (filters.h).
  const std::vector<uint32_t>& provider_keyword_ids() const { return provider_keywords_; }
  // The lower-case text of keyword `id` (an id of CompiledRule::keyword_ids).
  std::string_view keyword(uint32_t id) const { return keywords_[id - set_.rules.size()]; }

  Engine(rules::RuleSet set, const EngineOptions& options);  // use Build()

 private:
  Status Compile();
  bool LoadCache(const std::string& path);
  void SaveCache(const std::string& path) const;
  void EnsureCompiled(size_t rule_index) const;
  void IndexProviderKeywords();
  // The prototype scratch for db_ and every group's database; false when Hyperscan refuses
  // one (a damaged image).
  bool AllocatePrototype();

  rules::RuleSet set_;
  EngineOptions options_;
  std::vector<CompiledRule> compiled_;
  std::vector<std::string> keywords_;  // lowercase, deduplicated; id = rules + index
  size_t keyword_count_ = 0;
  std::vector<uint8_t> keyword_in_db_;  // per keyword: 1 when the main database has it
  std::vector<uint32_t> provider_keywords_;
  std::vector<uint32_t> pcre_only_;
  // Compiled here (freed with hs_free_database) or mapped from the cache (unmapped).
  std::shared_ptr<hs_database_t> db_;
  std::vector<Group> groups_;
  HsScratch prototype_;
  bool cache_hit_ = false;
  bool mapped_ = false;
};

// Per-thread scanning state: Hyperscan scratch, PCRE2 match data and JIT stack.
class Scanner {
 public:
  explicit Scanner(std::shared_ptr<const Engine> engine);

  // Finds the secrets in `data`. `path` (may be empty) feeds the rules' path allowlists.
  // Suppressed findings (inline markers) are returned with `suppressed_by` set.
  Result<std::vector<Finding>> Scan(std::string_view data, std::string_view path = {});

  // The same findings as Scan(data, path), for a buffer that git stores as a delta of `base`
  // (whose scan left `base_record`), copying the runs `copies` (in increasing `to` order): the
  // main database is scanned only around the bytes the delta inserts and where copied runs
  // meet, and the base's hits are reused for the rest. Without a base record (or without a
  // deadline-free scan) it is Scan. When `record` is not null it receives this buffer's record,
  // for the deltas of this buffer.
  Result<std::vector<Finding>> ScanReusing(std::string_view data, std::string_view path,
                                           const HitRecord* base_record,
                                           const std::vector<DeltaCopy>& copies, HitRecord* record);

  // A time after which Scan stops (Hyperscan's callback stops its scan, PCRE2 confirmation
  // stops between match attempts), returning what it confirmed so far with cut() set.
  void set_deadline(std::optional<std::chrono::steady_clock::time_point> deadline) {
    deadline_ = deadline;
  }
  // True when the deadline stopped the last Scan before it was done: the buffer may hold
  // secrets it did not report, and must be scanned again without a deadline.
  bool cut() const { return cut_; }
  // Candidates given up since this Scanner was made: a PCRE2 confirmation that hit the match
  // limit (the rest of its window is given up with it), or that the deadline stopped. Each is
  // logged with its rule and offset.
  struct GiveUps {
    size_t match_limit = 0;
    size_t deadline = 0;
  };
  const GiveUps& given_up() const { return given_up_; }
  // What ScanReusing saved since this Scanner was made: buffers whose main-database scan reused
  // a base's hits, and the bytes of theirs it did not scan.
  struct Reuse {
    size_t buffers = 0;
    uint64_t bytes_skipped = 0;
  };
  const Reuse& reuse() const { return reuse_; }

  const Engine& engine() const { return *engine_; }
  const std::shared_ptr<const Engine>& shared_engine() const { return engine_; }

 private:
  struct Interval {
    size_t start, end;
  };
  struct RawMatch {
    size_t rule;
    size_t start, end;              // the secret
    size_t match_start, match_end;  // the whole regex match (key name, URL, ...)
  };
  static int OnMatch(unsigned int id, unsigned long long from, unsigned long long to,
                     unsigned int flags, void* ctx);
  // The main database's callback: collects the hit in hits_ (offset by window_offset_).
  static int OnMainMatch(unsigned int id, unsigned long long from, unsigned long long to,
                         unsigned int flags, void* ctx);
  // Adds a rule's hit ending at `to` to its confirmation windows (hits in increasing `to`).
  void AddHit(unsigned int id, unsigned long long to);
  // Scans `data` with `db`, reporting to `on` (OnMatch: straight into the windows).
  Status HsScan(const hs_database_t* db, std::string_view data,
                match_event_handler on = &Scanner::OnMatch);
  // Scans the main database over `data` into hits_: all of it, or, with a base record, only
  // where the base's hits cannot be reused.
  Status MainScan(std::string_view data, const HitRecord* base,
                  const std::vector<DeltaCopy>* copies, HitRecord* record);
  // True when keyword `id` occurs in the buffer being scanned (resolving an unknown state by
  // searching the buffer).
  bool KeywordHit(uint32_t id, size_t near_from = 0, size_t near_to = 0);
  void Confirm(size_t rule, std::string_view data, size_t from, size_t to,
               std::vector<RawMatch>& out);
  bool PastDeadline();
  // Scan without decoding and without SelectFindings: every finding that passed its filters.
  Result<std::vector<Finding>> ScanText(std::string_view data, std::string_view path,
                                        const HitRecord* base = nullptr,
                                        const std::vector<DeltaCopy>* copies = nullptr,
                                        HitRecord* record = nullptr);
  // The per-finding filters of rules/README.md (entropy, validator, placeholders, allowlists,
  // path), in that order. Uses the keyword hits of the scan in progress.
  bool PassesFilters(const RawMatch& m, std::string_view data, std::string_view path);
  // True when `key` (the text before a generic rule's value on its line) names a provider.
  bool ProviderKeyed(std::string_view key);
  // Scans the base64-encoded text of `data` (decode.h) and appends what it finds to `found`,
  // located at the encoded text.
  void AddDecoded(std::string_view data, std::string_view path, std::vector<Finding>& found);

  std::shared_ptr<const Engine> engine_;
  HsScratch scratch_;
  Pcre2MatchContext mctx_;
  Pcre2JitStack jit_stack_;
  // Per-scan state, kept to reuse allocations.
  std::vector<std::vector<Interval>> intervals_;
  std::vector<uint32_t> touched_;
  std::vector<uint8_t> keyword_hit_;    // kKeywordAbsent, kKeywordPresent or kKeywordUnknown
  std::vector<uint8_t> keyword_start_;  // each keyword's state before a scan
  std::vector<HitRecord::Hit> hits_;    // the main database's hits of the scan in progress
  uint64_t window_offset_ = 0;          // where the window being scanned starts in the buffer
  std::string_view buffer_;             // the buffer being scanned (for KeywordHit)
  HitRecord* record_ = nullptr;         // its record, when one is being made
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  bool cut_ = false;
  unsigned callbacks_ = 0;  // Hyperscan callbacks since the last look at the clock
  GiveUps given_up_;
  Reuse reuse_;
  int decode_depth_ = 0;  // > 0 while scanning decoded text: it is not decoded again
};

// What the database layout says about rules that would slow it (anchor.h): `notes` name the
// rules run in a second pass (only over content with their keywords); `warnings` name the rules
// that slow every scan (no literal of kMinAnchor bytes, and no keyword long enough to gate a
// second pass), each starting with the rule's file:line.
struct AnchorReport {
  std::vector<std::string> notes, warnings;
};
AnchorReport CheckAnchors(const Engine& engine);

// Finds rules whose examples do not match or whose negative examples do; one message per
// problem, each starting with the rule's file:line.
std::vector<std::string> CheckExamples(const std::shared_ptr<const Engine>& engine);

}  // namespace sg::scan
