#include "auth/sessions.h"

#include "store/crypto.h"
#include "util/text.h"

namespace sg::auth {
namespace {

Result<std::string> RandomHex(size_t bytes) {
  auto raw = store::RandomBytes(bytes);
  if (!raw.ok()) return raw.status();
  return HexEncode(*raw);
}

}  // namespace

Result<Sessions::NewSession> Sessions::Create(std::string token_id) {
  auto cookie = RandomHex(32);
  if (!cookie.ok()) return cookie.status();
  auto csrf = RandomHex(32);
  if (!csrf.ok()) return csrf.status();
  NewSession n;
  n.cookie = *cookie;
  n.session.token_id = std::move(token_id);
  n.session.csrf = *csrf;
  const auto now = std::chrono::steady_clock::now();
  n.session.expires = now + lifetime_;
  std::lock_guard<std::mutex> g(mu_);
  if (by_hash_.size() >= max_) {
    for (auto it = by_hash_.begin(); it != by_hash_.end();) {
      it = it->second.expires <= now ? by_hash_.erase(it) : std::next(it);
    }
  }
  if (by_hash_.size() >= max_) {
    auto oldest = by_hash_.begin();
    for (auto it = by_hash_.begin(); it != by_hash_.end(); ++it) {
      if (it->second.expires < oldest->second.expires) oldest = it;
    }
    by_hash_.erase(oldest);
  }
  by_hash_[Sha256Hex(n.cookie)] = n.session;
  return n;
}

std::optional<Session> Sessions::Find(std::string_view cookie) {
  if (cookie.size() != 64) return std::nullopt;
  // Looked up by hash: the map's key comparison then never touches the cookie itself.
  const std::string key = Sha256Hex(cookie);
  std::lock_guard<std::mutex> g(mu_);
  auto it = by_hash_.find(key);
  if (it == by_hash_.end()) return std::nullopt;
  if (it->second.expires <= std::chrono::steady_clock::now()) {
    by_hash_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void Sessions::Remove(std::string_view cookie) {
  const std::string key = Sha256Hex(cookie);
  std::lock_guard<std::mutex> g(mu_);
  by_hash_.erase(key);
}

}  // namespace sg::auth
