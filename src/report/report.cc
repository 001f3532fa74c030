#include "report/report.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/text.h"

namespace sg::report {
namespace {

std::string Short(const std::string& sha) { return sha.substr(0, 12); }

// ", base64-encoded" for a secret found by decoding the text at its location.
std::string EncodingNote(const scan::Finding& f) {
  return f.encoding.empty() ? std::string() : ", " + f.encoding + "-encoded";
}

std::string Prefix(const std::vector<std::string>& lines, bool gitlab) {
  std::string out;
  for (const auto& l : lines) {
    if (gitlab) out += "GL-HOOK-ERR: ";
    out += l;
    out += '\n';
  }
  return out;
}

std::vector<std::string> NoteLines(const std::string& note) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < note.size()) {
    const size_t nl = note.find('\n', at);
    out.push_back(note.substr(at, nl == std::string::npos ? std::string::npos : nl - at));
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  return out;
}

}  // namespace

std::string WhereText(const inspect::Detection& d) {
  const inspect::Origin* o = d.primary();
  std::string pos =
      std::to_string(d.finding.start_line) + ":" + std::to_string(d.finding.start_column);
  switch (d.where) {
    case inspect::Where::kCommitMessage:
      return "commit message, line " + pos;
    case inspect::Where::kTagMessage:
      return "tag message" + (o && !o->ref.empty() ? " of " + EscapeControl(o->ref) : "") +
             ", line " + pos;
    case inspect::Where::kFile:
      break;
  }
  if (!o || o->path.empty()) return "blob " + Short(d.blob_sha) + ", line " + pos;
  return EscapeControl(o->path) + ":" + pos;
}

std::string PusherMessage(const std::vector<const inspect::Detection*>& detections,
                          const PusherOptions& options) {
  std::vector<std::string> L;
  size_t n = detections.size();
  const char* head = options.verdict == Verdict::kRejected   ? "push rejected"
                     : options.verdict == Verdict::kBypassed ? "push accepted (bypass recorded)"
                                                             : "warning";
  const bool below = !options.block_confidence.empty();
  L.push_back("");
  L.push_back(std::string("secretgate: ") + head + ": " + std::to_string(n) +
              (below ? " possible secret" : " secret") + (n == 1 ? "" : "s") +
              " found in this push");
  if (below) {
    L.push_back("  Not blocking: " + std::string(n == 1 ? "its rule is" : "their rules are") +
                " less confident than block_confidence = " + options.block_confidence +
                ". Recorded as " + (n == 1 ? "an alert." : "alerts."));
  }
  L.push_back("");
  size_t shown = std::min(n, options.max_shown);
  for (size_t i = 0; i < shown; ++i) {
    const inspect::Detection& d = *detections[i];
    const inspect::Origin* o = d.primary();
    L.push_back("  [" + std::to_string(i + 1) + "] " + EscapeControl(d.finding.rule->name) + " (" +
                d.finding.rule->id +
                (below ? ", " + std::string(rules::ConfidenceName(d.finding.rule->confidence)) +
                             " confidence"
                       : "") +
                ")");
    L.push_back("      where:  " + WhereText(d));
    if (o && !o->commit_sha.empty()) {
      L.push_back("      commit: " + o->commit_sha +
                  (o->ref.empty() ? "" : " on " + EscapeControl(o->ref)));
    } else if (o && !o->ref.empty()) {
      L.push_back("      ref:    " + EscapeControl(o->ref));
    }
    L.push_back("      secret: " + Redact(d.finding.secret) + EncodingNote(d.finding));
    if (i < options.alerts.size() && !options.alerts[i].empty()) {
      L.push_back("      alert:  " + EscapeControl(options.alerts[i]));
    }
  }
  if (n > shown) {
    L.push_back("  ... and " + std::to_string(n - shown) + " more (not shown)");
  }
  L.push_back("");
  if (options.verdict == Verdict::kRejected) {
    L.push_back("How to fix:");
    L.push_back("  1. Remove the secret from the commit that introduced it, then push again:");
    std::vector<std::string> done;
    for (size_t i = 0; i < shown; ++i) {
      const inspect::Origin* o = detections[i]->primary();
      if (!o || o->commit_sha.empty()) continue;
      if (std::find(done.begin(), done.end(), o->commit_sha) != done.end()) continue;
      done.push_back(o->commit_sha);
      bool tip =
          std::find(options.tips.begin(), options.tips.end(), o->commit_sha) != options.tips.end();
      if (tip) {
        L.push_back("       " + Short(o->commit_sha) +
                    " is the last commit: edit the file, then `git commit --amend`");
      } else if (o->root_commit) {
        // A root commit has no parent to name: `<sha>~1` would fail.
        L.push_back("       " + Short(o->commit_sha) +
                    " is the first commit: `git rebase -i --root`, mark it `edit`, fix, "
                    "`git commit --amend`, `git rebase --continue`");
      } else {
        L.push_back("       " + Short(o->commit_sha) + " is an earlier commit: `git rebase -i " +
                    o->commit_sha +
                    "~1`, mark it `edit`, fix, `git commit --amend`, "
                    "`git rebase --continue`");
      }
    }
    if (done.empty()) {
      L.push_back("       edit the commit (`git commit --amend`, or `git rebase -i <commit>~1`)");
    }
    L.push_back("  2. Rotate the credential: once pushed anywhere, a secret must be considered");
    L.push_back("     compromised. Revoke it at its provider and issue a new one.");
    if (options.bypass_allowed) {
      L.push_back("  If this is not a real secret, you may push anyway with a reason:");
      L.push_back(
          "     git push -o secretgate.bypass=false_positive|used_in_tests|will_fix_later "
          "[-o secretgate.comment=\"why\"]");
    }
  } else {
    L.push_back(
        "Rotate any real credential above: a pushed secret must be considered compromised.");
  }
  for (const auto& line : NoteLines(options.note)) L.push_back(line);
  L.push_back("");
  return Prefix(L, options.gitlab);
}

std::string PusherNote(const std::string& note, bool gitlab) {
  return Prefix(NoteLines(note), gitlab);
}

std::string ScanText(const std::vector<const inspect::Detection*>& detections, bool all_locations) {
  // One line per secret: the first detection of each (rule, secret), and how many more.
  std::vector<const inspect::Detection*> shown;
  std::vector<size_t> more;
  std::map<std::pair<std::string_view, std::string_view>, size_t> first;
  for (const auto* d : detections) {
    auto key =
        std::make_pair(std::string_view(d->finding.rule->id), std::string_view(d->finding.secret));
    auto [it, inserted] = first.emplace(key, shown.size());
    if (inserted || all_locations) {
      shown.push_back(d);
      more.push_back(0);
    } else {
      ++more[it->second];
    }
  }
  std::ostringstream o;
  for (size_t i = 0; i < shown.size(); ++i) {
    const inspect::Detection* d = shown[i];
    const inspect::Origin* org = d->primary();
    o << WhereText(*d) << ": " << d->finding.rule->id << " ("
      << EscapeControl(d->finding.rule->name) << ") " << Redact(d->finding.secret)
      << EncodingNote(d->finding);
    if (org && !org->commit_sha.empty()) o << " commit " << org->commit_sha;
    if (more[i] > 0) {
      o << " (and " << more[i] << " more location" << (more[i] == 1 ? "" : "s") << ")";
    }
    o << '\n';
  }
  o << detections.size() << " finding" << (detections.size() == 1 ? "" : "s");
  if (shown.size() != detections.size()) {
    o << " of " << shown.size() << " secret" << (shown.size() == 1 ? "" : "s")
      << " (--all-locations lists every location)";
  }
  o << '\n';
  return o.str();
}

std::string ScanJson(const std::vector<const inspect::Detection*>& detections) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto* d : detections) {
    const inspect::Origin* o = d->primary();
    nlohmann::json j;
    j["rule_id"] = d->finding.rule->id;
    j["secret_type_display_name"] = d->finding.rule->name;
    j["path"] = o && !o->path.empty() ? nlohmann::json(o->path) : nlohmann::json(nullptr);
    j["start_line"] = d->finding.start_line;
    j["end_line"] = d->finding.end_line;
    j["start_column"] = d->finding.start_column;
    j["end_column"] = d->finding.end_column;
    j["commit_sha"] =
        o && !o->commit_sha.empty() ? nlohmann::json(o->commit_sha) : nlohmann::json(nullptr);
    j["blob_sha"] = d->blob_sha.empty() ? nlohmann::json(nullptr) : nlohmann::json(d->blob_sha);
    j["secret_redacted"] = Redact(d->finding.secret);
    if (!d->finding.encoding.empty()) j["encoding"] = d->finding.encoding;
    if (d->where != inspect::Where::kFile) {
      j["location_type"] =
          d->where == inspect::Where::kCommitMessage ? "commit_message" : "tag_message";
    }
    arr.push_back(std::move(j));
  }
  nlohmann::json out;
  out["findings"] = std::move(arr);
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace sg::report
