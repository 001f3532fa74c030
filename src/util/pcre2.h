// RAII owners for PCRE2 handles (8-bit code units) and small helpers around them.
#pragma once

#include <pcre2.h>

#include <memory>
#include <string>
#include <string_view>

namespace sg {

struct Pcre2CodeDeleter {
  void operator()(pcre2_code* p) const { pcre2_code_free(p); }
};
struct Pcre2MatchDataDeleter {
  void operator()(pcre2_match_data* p) const { pcre2_match_data_free(p); }
};
struct Pcre2MatchContextDeleter {
  void operator()(pcre2_match_context* p) const { pcre2_match_context_free(p); }
};
struct Pcre2JitStackDeleter {
  void operator()(pcre2_jit_stack* p) const { pcre2_jit_stack_free(p); }
};
using Pcre2Code = std::unique_ptr<pcre2_code, Pcre2CodeDeleter>;
using Pcre2MatchData = std::unique_ptr<pcre2_match_data, Pcre2MatchDataDeleter>;
using Pcre2MatchContext = std::unique_ptr<pcre2_match_context, Pcre2MatchContextDeleter>;
using Pcre2JitStack = std::unique_ptr<pcre2_jit_stack, Pcre2JitStackDeleter>;

// Compiles `pattern` (bytes, not UTF) and, when `jit`, JIT-compiles it (when JIT is available).
// On failure returns null and sets *error to PCRE2's message and the offset of the problem.
// Validation alone passes jit = false: JIT compilation costs ten times the parse.
Pcre2Code CompilePcre2(std::string_view pattern, std::string* error, bool jit = true);

int CaptureCount(const pcre2_code* code);

// True when `code` matches anywhere in `subject` (uses a throwaway match data; for cold paths
// such as allowlists and rule checks, not for the scan loop).
bool Pcre2Matches(const pcre2_code* code, std::string_view subject);

}  // namespace sg
