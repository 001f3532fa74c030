// Notification settings: what the config file may say, and what it may not.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include "config/config.h"
#include "notify/config.h"
#include "notify/http.h"

using sg::notify::ParseConfig;

namespace {

std::string Error(const std::string& toml) {
  auto cfg = ParseConfig(toml, "config.toml");
  REQUIRE_MESSAGE(!cfg.ok(), "expected an error for:\n" << toml);
  return cfg.status().message();
}

}  // namespace

TEST_CASE("notification settings are read from the config file, with defaults for what is unset") {
  auto cfg = ParseConfig(R"(
mode = "warn"
[notify]
retry_initial = 5
partner_key = "/etc/secretgate/partner.pem"
[[webhooks]]
url = "https://siem.example/in"
secret = "k1"
events = ["created", "resolved"]
[[webhooks]]
name = "chat"
url = "http://chat.internal:8080/hook"
secret = "k2"
timeout = 3
[[commands]]
argv = ["/usr/local/bin/ticket", "--queue", "sec"]
env = { TICKET_URL = "https://tickets.example" }
[partners.GitHub]
url = "https://api.github.example/partner"
verifier = { command = ["/usr/local/bin/check-gh"] }
[partners.stripe]
verifier = { url = "https://api.stripe.example/v1/charges", headers = { Authorization = "Bearer {{secret}}" } }
)",
                         "config.toml");
  REQUIRE_MESSAGE(cfg.ok(), cfg.status().message());
  CHECK(cfg->after_push);
  CHECK(cfg->retry_initial == 5);
  CHECK(cfg->retry_max == 3600);
  CHECK(cfg->partner_key == "/etc/secretgate/partner.pem");
  REQUIRE(cfg->webhooks.size() == 2);
  CHECK(cfg->webhooks[0].name.rfind("webhook-", 0) == 0);
  CHECK(cfg->webhooks[0].Wants("created"));
  CHECK(!cfg->webhooks[0].Wants("location_created"));
  CHECK(cfg->webhooks[1].name == "chat");
  CHECK(cfg->webhooks[1].Wants("validated"));
  CHECK(cfg->webhooks[1].timeout == 3);
  REQUIRE(cfg->commands.size() == 1);
  CHECK(cfg->commands[0].argv.size() == 3);
  CHECK(cfg->commands[0].env.at("TICKET_URL") == "https://tickets.example");
  CHECK(cfg->PartnerEndpoint("github") != nullptr);
  CHECK(cfg->PartnerEndpoint("GITHUB") != nullptr);
  CHECK(cfg->PartnerEndpoint("stripe") == nullptr);  // a verifier only
  REQUIRE(cfg->Verifier("stripe") != nullptr);
  CHECK(cfg->Verifier("stripe")->verifier->active_status == std::vector<long>{200});
  CHECK(cfg->Verifier("stripe")->verifier->inactive_status == std::vector<long>{401, 403});
  CHECK(cfg->Verifier("aws") == nullptr);
}

TEST_CASE("a config file without notification tables configures nothing") {
  auto cfg = ParseConfig("mode = 'block'\n", "config.toml");
  REQUIRE(cfg.ok());
  CHECK(cfg->empty());
}

TEST_CASE("a bad notification setting is an error naming the file, the line and the setting") {
  CHECK(Error("[[webhooks]]\nurl = 'https://x.example'\n")
            .find("config.toml:1: webhooks[0].secret is required") != std::string::npos);
  CHECK(
      Error("[[webhooks]]\nurl = 'ftp://x.example'\nsecret = 'k'\n").find("only http and https") !=
      std::string::npos);
  CHECK(Error("[[webhooks]]\nurl = 'https://x.example'\nsecret = 'k'\nsecert = 'typo'\n")
            .find("config.toml:4: webhooks[0]: unknown key 'secert'") != std::string::npos);
  CHECK(Error("[[webhooks]]\nurl = 'https://x.example'\nsecret = 'k'\nevents = ['pushed']\n")
            .find("unknown event 'pushed'") != std::string::npos);
  CHECK(Error("[[webhooks]]\nname='a'\nurl = 'https://x.example'\nsecret = 'k'\n"
              "[[commands]]\nname='a'\nargv=['/bin/true']\n")
            .find("already named 'a'") != std::string::npos);
  CHECK(Error("[[commands]]\nargv = ['true']\n").find("absolute program path") !=
        std::string::npos);
  CHECK(Error("[[commands]]\nname = 'partner-x'\nargv = ['/bin/true']\n").find("partner-") !=
        std::string::npos);
  CHECK(Error("[notify]\nretry_max = -1\n").find("notify.retry_max") != std::string::npos);
  CHECK(Error("[partners.github]\ntimeout = 3\n").find("needs a `url`") != std::string::npos);
  CHECK(Error("[partners.github]\nverifier = { url = 'https://x.example/{{secret}}' }\n")
            .find("must not hold {{secret}}") != std::string::npos);
  CHECK(
      Error(
          "[partners.github]\nverifier = { command = ['/bin/true'], url = 'https://x.example' }\n")
          .find("exactly one of") != std::string::npos);
}

TEST_CASE("a plain secret is only sent over https or to the loopback interface") {
  CHECK(ParseConfig("[partners.github]\nurl = 'https://partner.example/x'\n", "c").ok());
  CHECK(ParseConfig("[partners.github]\nurl = 'http://127.0.0.1:8080/x'\n", "c").ok());
  CHECK(ParseConfig("[partners.github]\nurl = 'http://localhost/x'\n", "c").ok());
  CHECK(ParseConfig("[partners.github]\nurl = 'http://[::1]:9/x'\n", "c").ok());
  auto plain = ParseConfig("[partners.github]\nurl = 'http://partner.example/x'\n", "c");
  REQUIRE(!plain.ok());
  CHECK(plain.status().message().find("only sent over https") != std::string::npos);
  CHECK(!ParseConfig("[partners.github]\nurl = 'http://10.0.0.1/x'\n", "c").ok());
  CHECK(!ParseConfig("[partners.x]\nverifier = { url = 'http://api.example/check' }\n", "c").ok());
  CHECK(sg::notify::IsLoopbackHost("127.1.2.3"));
  CHECK(!sg::notify::IsLoopbackHost("128.0.0.1"));
  CHECK(!sg::notify::IsLoopbackHost("localhost.evil.example"));
  CHECK(sg::notify::RedactUrl("https://user:pw@h.example:8443/p/a?token=x#f") ==
        "https://h.example:8443/p/a");
}

TEST_CASE("the main config loader leaves the notification tables to notify") {
  std::string text =
      "mode = 'warn'\n[notify]\nafter_push = false\n[[webhooks]]\nurl = 'https://x.example'\n"
      "secret = 'k'\n[[commands]]\nargv = ['/bin/true']\n[partners.github]\n"
      "url = 'https://p.example'\n";
  char path[] = "/tmp/sg-notify-config-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  ::close(fd);
  auto cfg = sg::config::LoadFile(path, true);
  auto ncfg = sg::notify::LoadConfig(path, true);
  ::unlink(path);
  REQUIRE_MESSAGE(cfg.ok(), cfg.status().message());
  CHECK(cfg->mode == sg::config::Mode::kWarn);
  CHECK(cfg->has_partners);  // recording will hand new tokens to the partner outbox
  REQUIRE(ncfg.ok());
  CHECK(!ncfg->after_push);
  CHECK(ncfg->commands.size() == 1);

  // Webhooks and commands alone: no partner hand-off, so the hook never reads the file twice.
  char plain[] = "/tmp/sg-notify-config-XXXXXX";
  fd = ::mkstemp(plain);
  REQUIRE(fd >= 0);
  std::string no_partners = text.substr(0, text.find("[partners.github]"));
  REQUIRE(::write(fd, no_partners.data(), no_partners.size()) ==
          static_cast<ssize_t>(no_partners.size()));
  ::close(fd);
  auto cfg2 = sg::config::LoadFile(plain, true);
  ::unlink(plain);
  REQUIRE(cfg2.ok());
  CHECK(!cfg2->has_partners);
}
