#include "notify/sinks.h"

#include "notify/http.h"
#include "notify/spawn.h"
#include "store/alert_json.h"
#include "store/crypto.h"
#include "util/text.h"

namespace sg::notify {
namespace {

class WebhookSink : public Sink {
 public:
  explicit WebhookSink(WebhookConfig c) : c_(std::move(c)) {}
  const SinkCommon& common() const override { return c_; }
  std::string_view kind() const override { return "webhook"; }
  std::string target() const override { return RedactUrl(c_.url); }

  Attempt Deliver(const Delivery& d) override {
    HttpRequest req;
    req.method = "POST";
    req.url = c_.url;
    req.body = d.body;
    req.connect_timeout = std::min(c_.connect_timeout, c_.timeout);
    req.timeout = c_.timeout;
    req.headers = {{"Content-Type", "application/json"},
                   {"X-Secretgate-Event", d.event},
                   {"X-Secretgate-Delivery", d.id},
                   {"X-Secretgate-Signature", SignatureHeader(c_.secret, d.body)}};
    Attempt a;
    auto resp = Send(req);
    if (!resp.ok()) {
      a.error = resp.status().message();
      return a;
    }
    a.http_status = resp->status;
    a.delivered = resp->status >= 200 && resp->status < 300;
    if (!a.delivered) a.error = "HTTP " + std::to_string(resp->status);
    return a;
  }

 private:
  WebhookConfig c_;
};

class CommandSink : public Sink {
 public:
  explicit CommandSink(CommandConfig c) : c_(std::move(c)), env_(ProgramEnvironment(c_.env)) {}
  const SinkCommon& common() const override { return c_; }
  std::string_view kind() const override { return "command"; }
  std::string target() const override { return c_.argv[0]; }

  Attempt Deliver(const Delivery& d) override {
    Attempt a;
    auto r = RunProgram(c_.argv, env_, d.body + "\n", c_.timeout);
    if (!r.ok()) {
      a.error = r.status().message();
      return a;
    }
    a.exit_code = r->exit_code;
    a.delivered = r->exit_code == 0 && !r->timed_out;
    if (r->timed_out) {
      a.error = "timed out after " + std::to_string(c_.timeout) + "s (killed)";
    } else if (r->signal) {
      a.error = "killed by signal " + std::to_string(r->signal);
    } else if (r->exit_code != 0) {
      a.error = "exit " + std::to_string(r->exit_code);
    }
    if (!a.delivered && !r->output.empty()) {
      a.error += ": " + EscapeControl(r->output.substr(0, 512));
    }
    return a;
  }

 private:
  CommandConfig c_;
  std::vector<std::string> env_;
};

}  // namespace

std::unique_ptr<Sink> MakeWebhookSink(const WebhookConfig& config) {
  return std::make_unique<WebhookSink>(config);
}

std::unique_ptr<Sink> MakeCommandSink(const CommandConfig& config) {
  return std::make_unique<CommandSink>(config);
}

std::string DeliveryId(std::string_view store_id, int64_t seq, std::string_view sink) {
  std::string h = store::Sha256Hex(std::string(store_id) + '\0' + std::to_string(seq) + '\0' +
                                   std::string(sink));
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

std::string EventPayload(const store::Event& event, const store::Alert* alert,
                         std::string_view repository, std::string_view store_id,
                         std::string_view delivery_id) {
  nlohmann::ordered_json j;
  j["event"] = std::string(store::EventTypeName(event.type));
  if (alert) {
    store::Alert copy = *alert;
    copy.secret.reset();  // plain secrets leave the server only through partner notifications
    j["alert"] = store::AlertToJson(copy);
  } else {
    j["alert"] = nullptr;
  }
  j["repository"] = std::string(repository);
  j["delivery"] = std::string(delivery_id);
  j["store_id"] = std::string(store_id);
  j["seq"] = event.seq;
  j["at"] = event.at;
  j["actor"] = event.actor.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(event.actor);
  if (event.type == store::EventType::kLocationCreated) {
    j["location"] = store::LocationToJson(event.location);
  }
  return store::DumpJson(j);
}

std::string SignatureHeader(std::string_view secret, std::string_view body) {
  return "sha256=" + store::HmacSha256Hex(secret, body);
}

}  // namespace sg::notify
