#include "notify/partner_delivery.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <map>
#include <span>

#include "notify/http.h"
#include "notify/partner_key.h"
#include "notify/partner_outbox.h"
#include "notify/sinks.h"
#include "notify/state.h"
#include "util/text.h"

namespace sg::notify {
namespace {

using Clock = std::chrono::steady_clock;

// Tokens per POST (GitHub's partner program sends batches, too).
constexpr size_t kPartnerBatch = 100;

int64_t NowSeconds(const RunOptions& o) {
  return o.now ? o.now() : static_cast<int64_t>(std::time(nullptr));
}

int64_t MillisSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

}  // namespace

std::string PartnerSinkName(std::string_view provider) {
  return "partner-" + std::string(provider);
}

void DeliverPartners(const NotifyConfig& cfg, const std::string& store_dir,
                     const std::string& store_id, const RunOptions& options,
                     std::vector<SinkOutcome>& out) {
  if (!cfg.HasPartnerEndpoints() && cfg.source == "(defaults)") return;
  auto entries = ListPartnerEntries(store_dir);
  if (!entries.ok()) {
    spdlog::error("notify: {}", entries.status().message());
    return;
  }
  std::map<std::string, std::vector<PartnerEntry>> by_provider;
  for (auto& e : *entries) by_provider[e.provider].push_back(std::move(e));
  for (auto& [provider, list] : by_provider) {
    const PartnerConfig* partner = cfg.PartnerEndpoint(provider);
    if (!partner) {
      // The admin withdrew the opt-in (the config names no endpoint for this provider any more):
      // the plain tokens must not linger.
      for (const auto& e : list) {
        if (Status s = RemovePartnerEntry(e); !s.ok()) spdlog::error("notify: {}", s.message());
      }
      spdlog::warn(
          "notify: removed {} undelivered partner token(s) for '{}': {} names no partner "
          "endpoint for it",
          list.size(), provider, cfg.source);
      continue;
    }
    const std::string name = PartnerSinkName(provider);
    SinkOutcome so;
    so.name = name;
    so.kind = "partner";
    auto lock = SinkLock::TryAcquire(store_dir, name);
    if (!lock.ok() || !lock->has_value()) {
      so.busy = lock.ok();
      if (!lock.ok()) so.error = lock.status().message();
      out.push_back(so);
      continue;
    }
    const int64_t now = NowSeconds(options);
    std::optional<RetryState> retry = LoadRetry(store_dir, name);
    if (!IsDue(retry, now, options.retry_now)) {
      so.backing_off = true;
      out.push_back(so);
      continue;
    }
    auto key = PartnerKey::LoadOrCreate(options.partner_key_path);
    if (!key.ok()) {
      so.failed = 1;
      so.error = "partner key: " + key.status().message();
      RecordFailure(store_dir, name, retry, -1, so.error, now, cfg.retry_initial, cfg.retry_max);
      out.push_back(so);
      continue;
    }
    for (size_t start = 0; start < list.size(); start += kPartnerBatch) {
      std::span<const PartnerEntry> chunk(list.data() + start,
                                          std::min(kPartnerBatch, list.size() - start));
      const std::string body = PartnerBody(chunk);
      auto signature = key->Sign(body);
      const std::string id = DeliveryId(store_id, chunk.front().alert, name);
      HttpRequest req;
      req.url = partner->url;
      req.carries_secret = true;
      req.body = body;
      req.timeout = partner->timeout;
      req.connect_timeout = std::min(5.0, partner->timeout);
      req.headers = {{"Content-Type", "application/json"},
                     {"Secretgate-Public-Key-Identifier", key->KeyId()},
                     {"Secretgate-Public-Key-Signature", signature.ok() ? *signature : ""},
                     {"X-Secretgate-Delivery", id}};
      const auto t0 = Clock::now();
      Attempt a;
      if (!signature.ok()) {
        a.error = "signing: " + signature.status().message();
      } else if (auto resp = Send(req); !resp.ok()) {
        a.error = resp.status().message();
      } else {
        a.http_status = resp->status;
        a.delivered = resp->status >= 200 && resp->status < 300;
        if (!a.delivered) a.error = "HTTP " + std::to_string(resp->status);
      }
      const int64_t ms = MillisSince(t0);
      for (const auto& e : chunk) {
        DeliveryRecord r;
        r.at = NowRfc3339();
        r.sink = name;
        r.kind = "partner";
        r.event = "created";
        r.alert = e.alert;
        r.count = static_cast<int>(chunk.size());
        r.token = e.token;  // written redacted
        r.delivery = id;
        r.outcome = a.delivered ? "delivered" : "failed";
        r.http_status = a.http_status;
        r.attempt = retry ? retry->attempts + 1 : 1;
        r.duration_ms = ms;
        r.error = a.error;
        LogDelivery(store_dir, r);
      }
      if (!a.delivered) {
        so.failed += 1;
        so.error = a.error;
        retry = RecordFailure(store_dir, name, retry, -1, a.error, now, cfg.retry_initial,
                              cfg.retry_max);
        break;
      }
      spdlog::info("notify: {} accepted {} token(s) (alerts {}..{})", name, chunk.size(),
                   chunk.front().alert, chunk.back().alert);
      so.delivered += static_cast<int>(chunk.size());
      for (const auto& e : chunk) {
        if (Status s = RemovePartnerEntry(e); !s.ok()) spdlog::error("notify: {}", s.message());
      }
      if (retry) {
        (void)ClearRetry(store_dir, name);
        retry.reset();
      }
    }
    out.push_back(so);
  }
}

}  // namespace sg::notify
