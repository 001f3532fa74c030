// The command table (cli/help.h): --help, the command-line check and the man pages all come
// from it, so each test here holds for every command, present and future.
#include "cli/help.h"

#include <doctest/doctest.h>

#include <regex>

#include "build_config.h"
#include "helpers.h"
#include "util/text.h"

using namespace sg::cli;
using namespace sg::testing;

namespace {

// A command line that satisfies `form`'s positional arguments.
Argv Minimal(const FormHelp& form) {
  Argv argv;
  if (!form.sub.empty()) argv.emplace_back(form.sub);
  for (int i = 0; i < form.min_args; ++i) argv.push_back("1");
  return argv;
}

std::string FormName(const Command& c, const FormHelp& f) {
  return std::string(c.name) + (f.sub.empty() ? "" : " " + std::string(f.sub));
}

std::string ManDir() { return SECRETGATE_MAN_DIR; }

}  // namespace

TEST_CASE("every command accepts exactly the options its help lists, form by form") {
  for (const auto& c : Commands()) {
    for (const auto& f : c.forms) {
      CAPTURE(FormName(c, f));
      for (const auto& o : f.options) {
        CAPTURE(o.name);
        Argv argv = Minimal(f);
        argv.push_back("--" + std::string(o.name));
        if (!o.value.empty()) argv.push_back("x");
        auto inv = ParseInvocation(c, argv);
        CHECK_MESSAGE(inv.ok(), inv.status().message());
      }
      // An option of another form (or of no form) is refused, by name.
      for (const auto& other : c.forms) {
        for (const auto& o : other.options) {
          bool listed = false;
          for (const auto& mine : f.options) listed = listed || mine.name == o.name;
          if (listed) continue;
          Argv argv = Minimal(f);
          argv.push_back("--" + std::string(o.name));
          if (!o.value.empty()) argv.push_back("x");
          auto inv = ParseInvocation(c, argv);
          REQUIRE(!inv.ok());
          CHECK(Contains(inv.status().message(), "unknown option --" + std::string(o.name)));
        }
      }
      Argv argv = Minimal(f);
      argv.push_back("--no-such-option");
      auto inv = ParseInvocation(c, argv);
      REQUIRE(!inv.ok());
      CHECK(Contains(inv.status().message(),
                     std::string(c.name) + ": unknown option --no-such-option"));
    }
  }
}

TEST_CASE("every option a usage line shows is described, and every described option is shown") {
  // The regression: notify's help described --log, which its usage line left out.
  const std::regex option("--([a-z][a-z-]*)");
  for (const auto& c : Commands()) {
    for (const auto& f : c.forms) {
      CAPTURE(FormName(c, f));
      std::string synopsis(f.synopsis);
      for (const auto& o : f.options) {
        CAPTURE(o.name);
        CHECK(Contains(synopsis, "--" + std::string(o.name)));
      }
      for (std::sregex_iterator it(synopsis.begin(), synopsis.end(), option), end; it != end;
           ++it) {
        std::string name = (*it)[1];
        bool described = false;
        for (const auto& o : f.options) described = described || o.name == name;
        const std::string what = "--" + name + " is in the usage but not described";
        CHECK_MESSAGE(described, what);
      }
    }
  }
}

TEST_CASE("rules --help describes every rules subcommand, not only check") {
  auto r = Sh(Quote(Binary()) + " rules --help");
  REQUIRE(r.code == 0);
  for (const char* sub : {"check", "list", "compile", "import-gitleaks"}) {
    CAPTURE(sub);
    CHECK(Contains(r.out, "secretgate rules " + std::string(sub)));
  }
}

TEST_CASE("wrong arguments to scan name the bad one instead of printing the whole usage") {
  auto extra = Sh(Quote(Binary()) + " scan a b");
  CHECK(extra.code == 2);
  CHECK(extra.err ==
        "secretgate: error: scan: unexpected argument 'b': it takes one PATH (see secretgate "
        "scan --help)\n");
  auto missing = Sh(Quote(Binary()) + " scan");
  CHECK(missing.code == 2);
  CHECK(Contains(missing.err, "scan: missing PATH"));
  auto typo = Sh(Quote(Binary()) + " scan --frmat json .");
  CHECK(typo.code == 2);
  CHECK(Contains(typo.err, "scan: unknown option --frmat"));
  auto value = Sh(Quote(Binary()) + " scan . --format");
  CHECK(value.code == 2);
  CHECK(Contains(value.err, "option --format needs a value"));
  CHECK(!Contains(extra.err + missing.err + typo.err + value.err, "usage:"));
}

TEST_CASE("a subcommand that does not exist, or none, is named with the ones that do") {
  auto bad = Sh(Quote(Binary()) + " alerts lst");
  CHECK(bad.code == 2);
  CHECK(Contains(bad.err,
                 "alerts: unknown subcommand 'lst', expected list, show, close or "
                 "reopen"));
  auto none = Sh(Quote(Binary()) + " store");
  CHECK(none.code == 2);
  CHECK(Contains(none.err, "store: missing subcommand: verify, compact or repair"));
  auto stray = Sh(Quote(Binary()) + " alerts show 1 2");
  CHECK(stray.code == 2);
  CHECK(Contains(stray.err, "unexpected argument '2'"));
  auto hostile = Sh(Quote(Binary()) + " alerts \"$(printf '\\033[31m')\"");
  CHECK(!Contains(hostile.err, "\x1b"));
}

TEST_CASE("scan, serve, tokens and bypass list every option their own parsers took") {
  // The regression: these commands parsed their options beside a help string that left some out
  // (serve's --server-dir, --threads and --log-file); moved into the table, none may be lost.
  struct Want {
    std::string_view command, sub;
    std::vector<std::string_view> options;
  };
  const std::vector<Want> wants = {
      {"scan",
       "",
       {"format", "rules", "threads", "report", "range", "branch", "since", "baseline",
        "write-baseline", "baseline-key", "progress", "no-store", "all-locations"}},
      {"serve",
       "",
       {"root", "listen", "url", "server-dir", "threads", "log-file", "port-file",
        "secure-cookie"}},
      {"tokens", "create", {"role", "repos", "server-dir"}},
      {"tokens", "list", {"format", "server-dir"}},
      {"tokens", "revoke", {"server-dir"}},
      {"bypass", "list", {"repo", "status", "format"}},
      {"bypass", "approve", {"comment", "repo"}},
      {"bypass", "deny", {"comment", "repo"}},
      {"alerts", "list", {"repo", "root", "state", "secret-type", "format"}},
  };
  for (const auto& w : wants) {
    const std::string form_name = std::string(w.command) + " " + std::string(w.sub);
    CAPTURE(form_name);
    const Command* c = FindCommand(w.command);
    REQUIRE(c != nullptr);
    const FormHelp* form = nullptr;
    for (const auto& f : c->forms) {
      if (f.sub == w.sub) form = &f;
    }
    REQUIRE(form != nullptr);
    for (const auto& name : w.options) {
      CAPTURE(name);
      bool listed = false;
      for (const auto& o : form->options) listed = listed || o.name == name;
      CHECK(listed);
    }
  }
}

TEST_CASE("wrong arguments to serve, tokens and bypass are named, before anything is opened") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"tokens", "tokens: missing subcommand: create, list or revoke"},
      {"tokens create --role read", "tokens create: missing NAME"},
      {"tokens list --role read", "tokens list: unknown option --role"},
      {"bypass approve", "bypass approve: missing N"},
      {"bypass deny 1 2", "bypass deny: unexpected argument '2': it takes one N"},
      {"serve /srv/git", "serve: unexpected argument '/srv/git': it takes no arguments"},
  };
  for (const auto& [args, message] : cases) {
    CAPTURE(args);
    auto r = Sh(Quote(Binary()) + " " + args);
    CHECK(r.code == 2);
    CHECK(Contains(r.err, message));
  }
}

TEST_CASE("every command's --help is its row of the table, and mentions each of its options") {
  for (const auto& c : Commands()) {
    CAPTURE(c.name);
    auto r = Sh(Quote(Binary()) + " " + std::string(c.name) + " --help");
    CHECK(r.code == 0);
    CHECK(r.out == HelpText(c));
    for (const auto& f : c.forms) {
      for (const auto& o : f.options) CHECK(Contains(r.out, "--" + std::string(o.name)));
    }
    for (const auto& line : {r.out}) {
      size_t start = 0;
      while (start < line.size()) {
        size_t end = line.find('\n', start);
        CHECK_MESSAGE(sg::DisplayWidth(line.substr(start, end - start)) <= 80,
                      line.substr(start, end - start));
        start = end + 1;
      }
    }
  }
  auto top = Sh(Quote(Binary()) + " --help");
  CHECK(top.code == 0);
  for (const auto& c : Commands()) CHECK(Contains(top.out, "  " + std::string(c.name) + " "));
}

TEST_CASE("the man pages are generated from the same table, one per command") {
  CHECK(ReadFileOrEmpty(ManDir() + "/secretgate.1") == ProgramManPage(sg::build::kVersion, ""));
  for (const auto& c : Commands()) {
    CAPTURE(c.name);
    const std::string page =
        ReadFileOrEmpty(ManDir() + "/secretgate-" + std::string(c.name) + ".1");
    CHECK(page == ManPage(c, sg::build::kVersion, ""));
    CHECK(Contains(
        page, ".SH NAME\nsecretgate\\-" + [&] {
          std::string n;
          for (char ch : c.name) n += ch == '-' ? std::string("\\-") : std::string(1, ch);
          return n;
        }() + " \\- "));
    for (const auto& f : c.forms) {
      for (const auto& o : f.options) {
        std::string escaped = "\\-\\-";
        for (char ch : o.name) escaped += ch == '-' ? std::string("\\-") : std::string(1, ch);
        CHECK(Contains(page, escaped));
      }
    }
  }
}

TEST_CASE("man renders every page without a warning, as lintian checks it") {
  REQUIRE_MESSAGE(Sh("command -v man").code == 0,
                  "man is missing: ./install.sh --test installs man-db");
  for (const auto& name : [] {
         std::vector<std::string> v{"secretgate"};
         for (const auto& c : Commands()) v.push_back("secretgate-" + std::string(c.name));
         return v;
       }()) {
    CAPTURE(name);
    auto r = Sh("LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z " +
                Quote(ManDir() + "/" + name + ".1") + " >/dev/null");
    CHECK(r.code == 0);
    CHECK_MESSAGE(r.err.empty(), r.err);
  }
}

TEST_CASE("the systemd units' Documentation= man pages exist") {
  REQUIRE(Sh("command -v systemd-analyze").code == 0);
  TempDir dir;
  for (const char* unit :
       {"secretgate-notify.service", "secretgate-drain.service", "secretgate-serve.service",
        "secretgate-notify.timer", "secretgate-drain.timer"}) {
    const std::string unit_name = unit;
    CAPTURE(unit_name);
    std::string text = ReadFileOrEmpty(std::string(SECRETGATE_BUILD_DIR) + "/systemd/" + unit);
    for (size_t at; (at = text.find(SECRETGATE_INSTALLED_BIN " ")) != std::string::npos;) {
      text.replace(at, std::string(SECRETGATE_INSTALLED_BIN).size(), Binary());
    }
    WriteFile(dir / unit, text);
    // verify runs `man` for each Documentation=man: entry; MANPATH finds the generated pages.
    auto r =
        Sh("MANPATH=" + Quote(ManDir() + "/..") + " systemd-analyze verify " + Quote(dir / unit));
    CHECK_MESSAGE(r.code == 0, r.err);
    CHECK_MESSAGE(r.err.empty(), r.err);
  }
}
