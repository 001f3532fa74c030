#include "notify/verifier.h"

#include <algorithm>

#include "notify/http.h"
#include "notify/spawn.h"
#include "util/text.h"

namespace sg::notify {
namespace {

std::string Fill(std::string text, std::string_view secret) {
  static constexpr std::string_view kSlot = "{{secret}}";
  for (size_t at = text.find(kSlot); at != std::string::npos;
       at = text.find(kSlot, at + secret.size())) {
    text.replace(at, kSlot.size(), secret);
  }
  return text;
}

bool In(const std::vector<long>& list, long v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

Verdict ByCommand(const VerifierConfig& v, std::string_view secret) {
  auto r = RunProgram(v.command, ProgramEnvironment({}), std::string(secret) + "\n", v.timeout);
  const std::string who = "verifier " + v.command[0];
  if (!r.ok()) return {"unknown", who + ": " + r.status().message()};
  if (r->timed_out)
    return {"unknown", who + ": no answer within " + std::to_string(v.timeout) + "s"};
  if (r->exit_code == 0) return {"active", who + ": exit 0"};
  if (r->exit_code == 1) return {"inactive", who + ": exit 1"};
  return {"unknown", who + (r->signal ? ": killed by signal " + std::to_string(r->signal)
                                      : ": exit " + std::to_string(r->exit_code))};
}

Verdict ByHttp(const VerifierConfig& v, std::string_view secret) {
  const std::string who = "verifier " + RedactUrl(v.url);
  if (Status s = CheckSecretUrl(v.url, "verifier url"); !s.ok()) return {"unknown", s.message()};
  if (secret.find_first_of("\r\n") != std::string_view::npos ||
      secret.find('\0') != std::string_view::npos) {
    return {"unknown", who + ": the secret holds a line break and cannot be sent in a request"};
  }
  HttpRequest req;
  req.method = v.method;
  req.url = v.url;
  req.carries_secret = true;
  req.body = Fill(v.body, secret);
  req.timeout = v.timeout;
  req.connect_timeout = std::min(5.0, v.timeout);
  for (const auto& [name, value] : v.headers) req.headers.emplace_back(name, Fill(value, secret));
  auto resp = Send(req);
  if (!resp.ok()) return {"unknown", who + ": " + resp.status().message()};
  const std::string status = "HTTP " + std::to_string(resp->status);
  if (In(v.active_status, resp->status)) return {"active", who + ": " + status};
  if (In(v.inactive_status, resp->status)) return {"inactive", who + ": " + status};
  return {"unknown", who + ": " + status + " is in neither active_status nor inactive_status"};
}

}  // namespace

Verdict RunVerifier(const VerifierConfig& verifier, std::string_view secret) {
  return verifier.command.empty() ? ByHttp(verifier, secret) : ByCommand(verifier, secret);
}

}  // namespace sg::notify
