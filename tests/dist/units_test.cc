// dist/systemd: the units the package installs, as CMake generated them for this build.
#include <doctest/doctest.h>

#include "helpers.h"

using namespace sg::testing;

namespace {

const char* const kUnits[] = {"secretgate-notify.service", "secretgate-notify.timer",
                              "secretgate-drain.service", "secretgate-drain.timer",
                              "secretgate-serve.service"};
const char* const kServices[] = {"secretgate-notify.service", "secretgate-drain.service",
                                 "secretgate-serve.service"};

std::string Generated(const std::string& unit) {
  return ReadFileOrEmpty(std::string(SECRETGATE_BUILD_DIR) + "/systemd/" + unit);
}

bool HasLine(const std::string& text, const std::string& line) {
  return text.rfind(line + "\n", 0) == 0 || Contains(text, "\n" + line + "\n");
}

// The value of `key=` in `text` (its last assignment), or "" when unset.
std::string Value(const std::string& text, const std::string& key) {
  std::string value;
  for (size_t at = 0; (at = text.find("\n" + key + "=", at)) != std::string::npos; ++at) {
    size_t start = at + key.size() + 2;
    value = text.substr(start, text.find('\n', start) - start);
  }
  return value;
}

// The units with ExecStart naming this build's binary: verify checks that the program exists
// (and nothing about its arguments, so the serve unit verifies before `serve` exists).
void WriteUnitsFor(const TempDir& dir, const std::string& binary) {
  for (const char* unit : kUnits) {
    std::string text = Generated(unit);
    REQUIRE_MESSAGE(!text.empty(), unit);
    for (size_t at; (at = text.find(SECRETGATE_INSTALLED_BIN " ")) != std::string::npos;) {
      text.replace(at, std::string(SECRETGATE_INSTALLED_BIN).size(), binary);
    }
    WriteFile(dir / unit, text);
  }
}

}  // namespace

TEST_CASE("every systemd unit passes systemd-analyze verify") {
  REQUIRE_MESSAGE(Sh("command -v systemd-analyze").code == 0,
                  "systemd-analyze is missing: ./install.sh --test installs Debian's systemd");
  TempDir dir;
  WriteUnitsFor(dir, Binary());
  for (const char* unit : kUnits) {
    const std::string unit_name = unit;
    CAPTURE(unit_name);
    auto r = Sh("systemd-analyze verify --man=no " + Quote(dir / unit));
    CHECK_MESSAGE(r.code == 0, r.err);
    CHECK_MESSAGE(r.err.empty(), r.err);
  }
}

TEST_CASE("systemd-analyze verify fails a unit whose program is missing") {
  // What the check above is worth: verify does look at ExecStart.
  TempDir dir;
  WriteUnitsFor(dir, dir / "no-such-secretgate");
  auto r = Sh("systemd-analyze verify --man=no " + Quote(dir / "secretgate-notify.service"));
  CHECK(r.code != 0);
  CHECK(Contains(r.err, "no-such-secretgate"));
}

TEST_CASE("every service runs sandboxed as the secretgate user, writing only stores and cache") {
  for (const char* unit : kServices) {
    const std::string unit_name = unit;
    CAPTURE(unit_name);
    const std::string text = Generated(unit);
    REQUIRE(!text.empty());
    CHECK(HasLine(text, "User=secretgate"));
    CHECK(HasLine(text, "Group=secretgate"));
    CHECK(HasLine(text, "NoNewPrivileges=yes"));
    CHECK(HasLine(text, "ProtectSystem=strict"));
    CHECK(HasLine(text, "PrivateTmp=yes"));
    CHECK(HasLine(text, "CapabilityBoundingSet="));
    const std::string writable = Value(text, "ReadWritePaths");
    CHECK(Contains(writable, "-/srv/git"));
    CHECK(Contains(writable, "-/var/lib/secretgate"));
    if (std::string(unit) != "secretgate-serve.service") {
      CHECK(Contains(writable, "-/var/cache/secretgate"));
    }
    // systemd's own judgement of the sandbox: exposure at most 2.0 of 10.
    auto r = Sh("systemd-analyze security --offline=yes --threshold=20 " +
                Quote(std::string(SECRETGATE_BUILD_DIR) + "/systemd/" + unit));
    const std::string output = r.out + r.err;
    CHECK_MESSAGE(r.code == 0, output);
  }
  CHECK(HasLine(Generated("secretgate-drain.service"), "PrivateNetwork=yes"));
}

TEST_CASE("the timers start their services and are wanted by timers.target") {
  for (std::string timer : {"secretgate-notify.timer", "secretgate-drain.timer"}) {
    CAPTURE(timer);
    const std::string text = Generated(timer);
    CHECK(HasLine(text, "WantedBy=timers.target"));
    CHECK(Value(text, "Unit").empty());  // the service of the same name
    CHECK(!Value(text, "OnCalendar").empty());
    CHECK(HasLine(text, "Persistent=true"));
    const std::string service = Generated(timer.substr(0, timer.size() - 5) + "service");
    CHECK(HasLine(service, "Type=oneshot"));
    CHECK(!Contains(service, "[Install]"));  // started by the timer only
  }
  // A fresh install has no /srv/git: the services are skipped then, not failed every run.
  for (std::string unit : {"secretgate-notify.service", "secretgate-drain.service"}) {
    CHECK(Value(Generated(unit), "ExecCondition") == "/usr/bin/test -d ${SECRETGATE_ROOT}");
  }
  CHECK(Contains(Value(Generated("secretgate-notify.service"), "ExecStart"),
                 "notify --root ${SECRETGATE_ROOT}"));
  CHECK(Contains(Value(Generated("secretgate-drain.service"), "ExecStart"),
                 "drain --root ${SECRETGATE_ROOT}"));
}
