// Where events go: a sink takes one delivery (an event's JSON) and says whether it was accepted.
// Two kinds exist (an HTTP webhook and a local command); tests add fakes. A sink never sees a
// plain secret: the payload's alert has `secret` = null whatever store_secrets says.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "notify/config.h"
#include "store/event.h"
#include "store/store.h"

namespace sg::notify {

struct Delivery {
  std::string event;  // "created", "resolved", ...
  std::string id;     // X-Secretgate-Delivery
  std::string body;   // the JSON payload
  int64_t seq = 0;
  int64_t alert = 0;
};

struct Attempt {
  bool delivered = false;
  long http_status = 0;
  int exit_code = -1;
  std::string error;  // for logs: no body, no header, no secret
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual const SinkCommon& common() const = 0;
  virtual std::string_view kind() const = 0;  // "webhook" | "command"
  virtual std::string target() const = 0;     // redacted URL or program path, for status
  // Tries once; never throws. Bounded by the sink's timeout.
  virtual Attempt Deliver(const Delivery& delivery) = 0;
};

std::unique_ptr<Sink> MakeWebhookSink(const WebhookConfig& config);
std::unique_ptr<Sink> MakeCommandSink(const CommandConfig& config);

// A stable id for (store, event, sink), formatted like a UUID: the same on every retry, so a
// receiver can drop duplicates (delivery is at-least-once).
std::string DeliveryId(std::string_view store_id, int64_t seq, std::string_view sink);

// The event payload: {"event", "alert" (as `alerts show --format json` prints it, secret null),
// "repository", "delivery", "store_id", "seq", "at", "actor"}, plus "location" for
// location_created. `alert` may be null for an event about no alert (none exists today).
std::string EventPayload(const store::Event& event, const store::Alert* alert,
                         std::string_view repository, std::string_view store_id,
                         std::string_view delivery_id);

// "sha256=<hex HMAC-SHA256(secret, body)>", as GitHub's X-Hub-Signature-256.
std::string SignatureHeader(std::string_view secret, std::string_view body);

}  // namespace sg::notify
