#include "util/pcre2.h"

namespace sg {

Pcre2Code CompilePcre2(std::string_view pattern, std::string* error, bool jit) {
  int errcode = 0;
  PCRE2_SIZE erroffset = 0;
  Pcre2Code code(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                               0, &errcode, &erroffset, nullptr));
  if (!code) {
    if (error) {
      PCRE2_UCHAR buf[256];
      pcre2_get_error_message(errcode, buf, sizeof buf);
      *error = std::string(reinterpret_cast<const char*>(buf)) + " at offset " +
               std::to_string(erroffset);
    }
    return nullptr;
  }
  // JIT is what makes PCRE2 fast; when it is unavailable the interpreter still gives the same
  // answers, so a JIT failure is not an error.
  if (jit) pcre2_jit_compile(code.get(), PCRE2_JIT_COMPLETE);
  return code;
}

int CaptureCount(const pcre2_code* code) {
  uint32_t n = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &n);
  return static_cast<int>(n);
}

bool Pcre2Matches(const pcre2_code* code, std::string_view subject) {
  Pcre2MatchData md(pcre2_match_data_create_from_pattern(code, nullptr));
  int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0,
                       md.get(), nullptr);
  return rc >= 0;
}

}  // namespace sg
