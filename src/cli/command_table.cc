// The command table: every command's name, help and function (cli/help.h says what is made
// from it). A new command or option is one more row here; its --help, its man page and the
// check of its command line follow. The file is longer than STYLE.md's 400 lines on purpose: it
// is text, not logic, and one table is the point.
#include <iostream>

#include "build_config.h"
#include "cli/commands.h"
#include "cli/help.h"

namespace sg::cli {
namespace {

constexpr OptionHelp kRepo{"repo", "GITDIR",
                           "the repository (default: the repository of the current directory, "
                           "found as git finds it)"};
constexpr OptionHelp kActor{"actor", "NAME", "who did it, for the timeline (default: the OS user)"};
constexpr OptionHelp kComment{
    "comment", "TEXT", "a comment for the alert's timeline; once written it is kept there forever"};
constexpr OptionHelp kHookDir{"hook-dir", "DIR",
                              "the folder the hook runs from (the shim passes it), where chained "
                              "hooks are found"};
constexpr OptionHelp kGitleaks{"gitleaks", "FILE",
                               "also translate a gitleaks config and include its rules "
                               "(repeatable)"};

constexpr OptionHelp kServerDir{"server-dir", "DIR",
                                "where the hashed API tokens are kept (default: server_dir in "
                                "the config, else /var/lib/secretgate/server)"};
constexpr OptionHelp kReviewComment{"comment", "TEXT",
                                    "the reviewer's comment, recorded with the decision"};

constexpr std::string_view kUsualExit = "Exit status 0 on success, 2 on any error.";

int RunVersion(const Args&) {
  std::cout << "secretgate " << build::kVersion << "\n";
  return 0;
}

}  // namespace

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"pre-receive",
       "the pre-receive hook: scan a push, then accept or reject it",
       {{"",
         "[--hook-dir DIR] < REF-UPDATES",
         "",
         0,
         0,
         "Run by git as the pre-receive hook (`secretgate protect` installs it). Reads git's "
         "`OLD NEW REF` lines on standard input, scans the objects the push brings in from "
         "git's quarantine, records every finding as an alert, and accepts or rejects the push "
         "as the configured mode says. Standard error is the pusher's terminal: logs go to the "
         "log file. A hook that was there before `protect` runs after secretgate accepts.",
         {kHookDir}}},
       "",
       "0 accepts the push, 1 rejects it. On an internal error, fail_mode decides: open "
       "(default) accepts and logs an internal_error event, closed rejects.",
       RunPreReceive},
      {"post-receive",
       "the post-receive hook: start drain and notify in the background",
       {{"",
         "[--hook-dir DIR] < REF-UPDATES",
         "",
         0,
         0,
         "Run by git after a push was accepted: starts `secretgate drain` in the background when "
         "the push left objects unscanned, and `secretgate notify` when notifications are due, "
         "then runs a chained hook.",
         {kHookDir}}},
       "",
       "The chained hook's exit status, else 0.",
       RunPostReceive},
      {"scan",
       "scan a repository's history, a directory or a file",
       {{"",
         "PATH [--format text|json|sarif|csv] [--report FILE] [--range A..B] [--branch REF] "
         "[--since DATE] [--baseline store|none|FILE] [--write-baseline FILE] "
         "[--baseline-key FILE] [--no-store] [--all-locations] [--rules PATH]... [--threads N] "
         "[--progress auto|always|never]",
         "PATH",
         1,
         1,
         "PATH is a git repository or a plain directory or file. In a repository every blob, "
         "commit message and tag message of the object database is read once, so blobs no ref "
         "reaches any more are scanned too; a blob with findings is placed at the first commit "
         "and path that hold it. Findings in a repository are recorded as alerts unless "
         "--no-store. In a directory every regular file is read, without following symbolic "
         "links and skipping .git directories, FIFOs and devices; binary files and files over "
         "max_blob_size are skipped. Text output names each secret once, at its first "
         "location, with the number of others.",
         {{"format", "text|json|sarif|csv",
           "the output (default: text); sarif is SARIF 2.1.0; json is {\"findings\": [{rule_id, "
           "secret_type_display_name, path, start_line, end_line, start_column, end_column, "
           "commit_sha, blob_sha, secret_redacted, location_type?, encoding? (\"base64\" when "
           "found by decoding)}]}"},
          {"report", "FILE", "write the report to FILE instead of standard output"},
          {"range", "A..B", "only what the commits reachable from B and not from A add"},
          {"branch", "REF", "only what the commits REF reaches add (with --since: newer ones)"},
          {"since", "DATE",
           "only commits made at or after DATE (YYYY-MM-DD[THH:MM[:SS]][Z], or @UNIXSECONDS)"},
          {"baseline", "store|none|FILE",
           "store (the default when the repository has an alert store: findings whose alert is "
           "resolved do not count), none, or a baseline FILE written by --write-baseline"},
          {"write-baseline", "FILE", "write every finding of this scan to FILE as keyed hashes"},
          {"baseline-key", "FILE",
           "the key of baseline files (default: $SECRETGATE_BASELINE_KEY, else "
           "~/.config/secretgate/baseline.key, created on first write)"},
          {"no-store", "", "do not record alerts"},
          {"all-locations", "",
           "text: every location of each secret (default: the first, and the number of further "
           "ones); JSON always has every location"},
          {"rules", "PATH",
           "a rule file or directory to use instead of the configured rules (repeatable)"},
          {"threads", "N", "reader threads, 1 to 256 (default: one per core)"},
          {"progress", "auto|always|never",
           "auto (the default: a progress line on standard error after 2 s when it is a "
           "terminal), always or never"}}}},
       "",
       "0 when nothing (or only baselined findings) was found, 1 when new secrets were found, 2 "
       "on error.",
       RunScan},
      {"rules",
       "check, list and compile rules; translate gitleaks configs",
       {{"check",
         "[PATHS...] [--gitleaks FILE]...",
         "PATHS",
         0,
         -1,
         "Loads, validates and compiles every rule in PATHS (rule files or directories; default: "
         "the configured rules), runs each rule's examples (each must match) and "
         "negative_examples (none may match), and reports every problem as FILE:LINE: reason. "
         "It also names the rules that run in the second pass (Hyperscan cannot anchor them), "
         "warns of rules that still slow every scan, and prints the cold compile time.",
         {kGitleaks}},
        {"list",
         "[PATHS...] [--gitleaks FILE]...",
         "PATHS",
         0,
         -1,
         "Prints the id, confidence, provider and name of every rule, tab-separated.",
         {kGitleaks}},
        {"compile",
         "",
         "",
         0,
         0,
         "Compiles the configured rules into the cache, so that the first push after an install "
         "or a rules update does not pay for it (install.sh and the package run it as root).",
         {}},
        {"import-gitleaks",
         "FILE",
         "FILE",
         1,
         1,
         "Shows how a gitleaks config translates: the rules used, and every rule or feature "
         "that is not, with the reason. Use it in config.toml with gitleaks_configs = [FILE].",
         {}}},
       "",
       "0 when every rule is valid, 1 when a problem was found, 2 on error.",
       RunRules},
      {"drain",
       "scan what pushes left unscanned at their deadline, record alerts",
       {{"",
         "[--repo GITDIR | --root DIR] [--quiet]",
         "",
         0,
         0,
         "Scans every entry of a repository's scan-debt queue (objects a push could not scan "
         "before its deadline), records the findings as alerts, and removes the entry. The "
         "post-receive hook starts it after such a push; secretgate-drain.timer and cron run it "
         "too. Concurrent drains take turns on a lock.",
         {kRepo,
          {"root", "DIR",
           "every repository under DIR with a queued entry (what secretgate-drain.timer runs); "
           "logs go to log_file, else to standard error, and `notify --root` delivers the "
           "alerts"},
          {"quiet", "", "print nothing on success"}}}},
       "",
       "0 when the queues are empty afterwards, 2 on error.",
       RunDrain},
      {"alerts",
       "list, show, close and reopen alerts",
       {{"list",
         "[--repo GITDIR | --root DIR] [--state open|resolved] [--secret-type RULE-ID] "
         "[--format table|json|csv]",
         "",
         0,
         0,
         "Lists the alerts of a repository's store, or of every store under a folder.",
         {kRepo,
          {"root", "DIR",
           "every store under DIR (a server-wide store_root, or a folder of repositories); "
           "each alert whose secret has an alert in another repository too is marked "
           "multi_repo (see cross_repo_key)"},
          {"state", "open|resolved", "only open or only resolved alerts"},
          {"secret-type", "RULE-ID", "only the alerts of this rule"},
          {"format", "table|json|csv", "the output (default: table)"}}},
        {"show",
         "N [--repo GITDIR] [--format text|json]",
         "N",
         1,
         1,
         "Shows alert N with its locations and timeline.",
         {kRepo, {"format", "text|json", "the output (default: text)"}}},
        {"close",
         "N --reason REASON [--comment TEXT] [--actor NAME] [--repo GITDIR]",
         "N",
         1,
         1,
         "Resolves alert N. A resolved alert's secret no longer blocks pushes.",
         {{"reason", "REASON", "false_positive, used_in_tests, wont_fix or revoked (required)"},
          kComment,
          kActor,
          kRepo}},
        {"reopen",
         "N [--comment TEXT] [--actor NAME] [--repo GITDIR]",
         "N",
         1,
         1,
         "Reopens resolved alert N.",
         {kComment, kActor, kRepo}}},
       "",
       "0 on success, 2 on any error (an unknown alert, an invalid reason); nothing is written "
       "then.",
       RunAlerts},
      {"store",
       "verify, compact or repair the alert store",
       {{"verify",
         "[--repo GITDIR]",
         "",
         0,
         0,
         "Checks every record's checksum and the hash chain of the journal and reports each "
         "problem as FILE:LINE: reason.",
         {kRepo}},
        {"compact",
         "[--repo GITDIR]",
         "",
         0,
         0,
         "Rebuilds the derived index and snapshot from the journal.",
         {kRepo}},
        {"repair",
         "[--repo GITDIR] [--actor NAME]",
         "",
         0,
         0,
         "Mends a damaged journal: the damaged bytes are kept under damaged/, every intact "
         "record stays, alerts whose records were lost stay open as placeholders, and no alert "
         "number or event sequence number is ever handed out twice. A missing journal is "
         "rebuilt from snapshot.bin. Does nothing to a sound store.",
         {kRepo, kActor}}},
       "",
       "0 when the store is sound (verify) or the command succeeded, 2 when it is damaged or "
       "on error.",
       RunStore},
      {"protect",
       "install the hooks into a repository or a server-wide hooks folder",
       {{"",
         "--repo PATH\n--hooks-path DIR",
         "",
         0,
         0,
         "Installs the pre-receive and post-receive hooks: thin shims that run this binary. An "
         "existing hook is never overwritten: it is renamed NAME.secretgate-chained and runs "
         "after secretgate accepts. Running protect again is harmless; `secretgate unprotect` "
         "undoes it.",
         {{"repo", "PATH",
           "one repository (bare, or the .git of a work tree); also sets "
           "receive.advertisePushOptions"},
          {"hooks-path", "DIR",
           "every repository on the host: the hooks go to DIR and `git config --system "
           "core.hooksPath DIR` points every repository at them. DIR also gets shims that run "
           "each repository's own update, post-update, reference-transaction and proc-receive "
           "hooks, which core.hooksPath would silence (gitolite's branch permissions live in "
           "its update hook); a repository's own pre-receive keeps running too"}}}},
       "",
       kUsualExit,
       RunProtect},
      {"unprotect",
       "remove the hooks and restore what protect changed",
       {{"",
         "--repo PATH\n--hooks-path DIR",
         "",
         0,
         0,
         "Removes the shims `secretgate protect` installed, puts the hooks it renamed back, and "
         "restores the git config it changed, as recorded in DIR/.secretgate-protect.json. "
         "Run it before removing secretgate: a hook whose program is gone rejects every push.",
         {{"repo", "PATH", "one repository"},
          {"hooks-path", "DIR", "the server-wide hooks folder"}}}},
       "",
       kUsualExit,
       RunUnprotect},
      {"notify",
       "deliver alert events to webhooks, commands and partner endpoints",
       {{"",
         "[--repo GITDIR | --root DIR | --store DIR] [--log FILE] [--retry-now] [--quiet]\n"
         "--status [--repo GITDIR | --root DIR | --store DIR] [--format text|json]",
         "",
         0,
         0,
         "Delivers every alert event recorded since the last run to the [[webhooks]] and "
         "[[commands]] of the config file, and new secrets to the configured [partners.*] "
         "endpoints. A failed delivery is retried on a later run with exponential backoff; "
         "nothing is dropped or skipped. The post-receive hook starts it when something is due; "
         "secretgate-notify.timer and cron run it too. Runs may overlap: each sink is delivered "
         "by one run at a time.",
         {kRepo,
          {"root", "DIR",
           "every store under DIR (a server-wide store_root, or a folder of repositories)"},
          {"store", "DIR", "the one alert store in DIR (what the post-receive hook passes)"},
          {"log", "FILE", "log to FILE (default: log_file, else the repository's secretgate.log)"},
          {"retry-now", "", "try failing sinks now instead of waiting for their next attempt"},
          {"quiet", "", "print nothing but errors"},
          {"status", "", "show what is pending and failing, per store and sink; delivers nothing"},
          {"format", "text|json", "the output of --status (default: text)"}}}},
       "",
       "0 when everything due was delivered, 1 when a delivery failed (it will be retried), 2 "
       "on error (a bad config, a damaged store). With --status, 1 while a sink is failing.",
       RunNotify},
      {"verify",
       "check with providers whether alerts' secrets are still active",
       {{"",
         "(N | --all) [--repo GITDIR] [--actor NAME]",
         "N",
         0,
         1,
         "Runs the verifier configured for the provider of alert N (or of every alert) and "
         "records its validity: active, inactive or unknown. A verifier needs the plain secret: "
         "it is there with store_secrets = true, or while a partner notification for the alert "
         "is still undelivered; otherwise the validity is recorded as unknown. Never run by the "
         "hook.",
         {{"all", "", "every alert of the store"}, kRepo, kActor}}},
       "",
       "0 when every alert was checked, 2 on error.",
       RunVerify},
      {"partner",
       "print the key that signs partner notifications",
       {{"key",
         "[--repo GITDIR | --key FILE] [--format text|json]",
         "",
         0,
         0,
         "Prints the public key (PEM) that signs partner notifications, and its identifier (hex "
         "SHA-256 of the DER public key, sent as Secretgate-Public-Key-Identifier). The key "
         "pair is created on first use: notify.partner_key in the config file, else "
         "partner-key.pem in the store root of the repository (or of store_root).",
         {kRepo,
          {"key", "FILE", "the key file to use instead"},
          {"format", "text|json", "the output (default: text)"}}}},
       "",
       kUsualExit,
       RunPartner},
      {"serve",
       "serve the REST API and the triage page for the alerts under a root",
       {{"",
         "[--root DIR] [--listen ADDR:PORT] [--url URL] [--server-dir DIR] [--threads N] "
         "[--log-file FILE] [--secure-cookie] [--port-file FILE]",
         "",
         0,
         0,
         "Serves GitHub's secret-scanning REST API (/api/v3/...) and the triage page for the "
         "repositories under --root: owner/repo is DIR/owner/repo.git. Every request needs an "
         "API token (`secretgate tokens create`) except the page's static files and the sign-in "
         "call. It speaks plain HTTP: TLS ends at a reverse proxy. secretgate-serve.service runs "
         "it. Stops cleanly on SIGINT or SIGTERM.",
         {{"root", "DIR", "the repositories to serve (default: /srv/git)"},
          {"listen", "ADDR:PORT",
           "address and port (default: 127.0.0.1:8490; port 0 picks a free one)"},
          {"url", "URL",
           "the external URL people use (default: serve_url, else http://ADDR:PORT); names "
           "alerts in url/html_url and Link headers"},
          kServerDir,
          {"threads", "N", "threads answering requests, 1 to 256 (default: 4)"},
          {"log-file", "FILE", "log to FILE (default: log_file, else standard error)"},
          {"secure-cookie", "", "mark the session cookie Secure (when TLS ends at a proxy)"},
          {"port-file", "FILE", "write the port listened on to FILE (for scripts and tests)"}}}},
       "",
       "0 after a clean stop on SIGINT or SIGTERM, 2 on error (a bad option, a missing root, an "
       "unreadable token store).",
       RunServe},
      {"tokens",
       "create, list and revoke the API tokens of `serve`",
       {{"create",
         "NAME --role read|triage|admin [--repos GLOB[,GLOB...]] [--server-dir DIR]",
         "NAME",
         1,
         1,
         "Creates a token for NAME, the user every change made with it is recorded under, and "
         "prints it on standard output, once: only its SHA-256 is stored.",
         {{"role", "read|triage|admin",
           "read: see alerts; triage: also close and reopen alerts and review bypass requests; "
           "admin: also list and revoke tokens over the API (required)"},
          {"repos", "GLOB[,GLOB...]",
           "only the repositories matching a glob over owner/repo (default: */*)"},
          kServerDir}},
        {"list",
         "[--format text|json] [--server-dir DIR]",
         "",
         0,
         0,
         "Lists every token: id, name, role, repositories, when it was created and revoked.",
         {{"format", "text|json", "the output (default: text)"}, kServerDir}},
        {"revoke",
         "ID [--server-dir DIR]",
         "ID",
         1,
         1,
         "Revokes token ID (see `tokens list`); a running `serve` refuses it from its next "
         "request on.",
         {kServerDir}}},
       "",
       kUsualExit,
       RunTokens},
      {"bypass",
       "list, approve and deny delegated bypass requests",
       {{"list",
         "[--repo GITDIR] [--status pending|approved|denied|expired] [--format text|json]",
         "",
         0,
         0,
         "Lists the bypass requests of a repository.",
         {kRepo,
          {"status", "pending|approved|denied|expired", "only the requests in this state"},
          {"format", "text|json", "the output (default: text)"}}},
        {"approve",
         "N [--comment TEXT] [--repo GITDIR]",
         "N",
         1,
         1,
         "Approves request N: the same secrets get through for its requester for bypass_window "
         "days (default 7).",
         {kReviewComment, kRepo}},
        {"deny",
         "N [--comment TEXT] [--repo GITDIR]",
         "N",
         1,
         1,
         "Denies request N.",
         {kReviewComment, kRepo}}},
       "Reviews the bypass requests pushers filed with `git push -o "
       "secretgate.bypass-request=why` (config bypass = \"request\"). The reviewer is the OS "
       "user running this, and may not be the requester.",
       kUsualExit,
       RunBypass},
      {"version",
       "print the version",
       {{"", "", "", 0, 0, "Prints `secretgate VERSION`.", {}}},
       "",
       "0.",
       RunVersion},
  };
  return commands;
}

}  // namespace sg::cli
