// Everything secretgate prints for people: the message a pusher sees, and the scan outputs.
// Secrets appear only redacted; paths and messages have their control characters escaped.
#pragma once

#include <string>
#include <vector>

#include "inspect/detection.h"

namespace sg::report {

enum class Verdict { kRejected, kWarned, kBypassed };

struct PusherOptions {
  Verdict verdict = Verdict::kRejected;
  size_t max_shown = 5;
  bool gitlab = false;            // prefix every line with "GL-HOOK-ERR: " (GitLab's web UI)
  bool bypass_allowed = false;    // tell the pusher how to bypass
  // The tip commit of each pushed ref, to tell "amend" from "rebase".
  std::vector<std::string> tips;
  std::string note;               // extra lines, '\n'-separated (bypass verdict, store trouble)
  // Non-empty ("high", "medium"): the findings warn only because their rules are less
  // confident than this block_confidence; the message says so and shows each confidence.
  std::string block_confidence;
  // Per detection (same order as the detections passed, or empty): its alert, e.g.
  // "#12 https://sg.example/acme/app/security/secret-scanning/12"; empty strings print nothing.
  std::vector<std::string> alerts;
};

// The pusher's message for `detections` (already free of suppressed ones).
std::string PusherMessage(const std::vector<const inspect::Detection*>& detections,
                          const PusherOptions& options);

// `note`'s lines on their own (when there is no finding to show them with).
std::string PusherNote(const std::string& note, bool gitlab);

// Describes where a detection is, e.g. "config/app.env:12:7" or "commit message"; the path and
// ref in it are escaped with EscapeControl.
std::string WhereText(const inspect::Detection& d);

// `secretgate scan` output. Text lists each secret (rule and secret) once, at its first
// location, with the number of further locations, unless `all_locations`; JSON lists every
// location.
std::string ScanText(const std::vector<const inspect::Detection*>& detections,
                     bool all_locations = false);
std::string ScanJson(const std::vector<const inspect::Detection*>& detections);

}  // namespace sg::report
