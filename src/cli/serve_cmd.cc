// secretgate serve: the REST API and the triage page over the alert stores under a root
// (help: cli/command_table.cc).
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <atomic>
#include <charconv>
#include <iostream>

#include "auth/tokens.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/record.h"
#include "log/log.h"
#include "server/app.h"
#include "server/catalog.h"
#include "server/http.h"
#include "store/layout.h"
#include "util/fs.h"

namespace sg::cli {

Result<std::string> ServerDir(const Args& args);  // tokens_cmd.cc

namespace {

Result<std::pair<std::string, uint16_t>> ParseListen(const std::string& s) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos)
    return Status::Invalid("--listen expects ADDR:PORT, got '" + s + "'");
  std::string host = s.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(s.data() + colon + 1, s.data() + s.size(), port);
  if (ec != std::errc() || p != s.data() + s.size() || port > 65535) {
    return Status::Invalid("--listen: bad port in '" + s + "'");
  }
  return std::make_pair(host, static_cast<uint16_t>(port));
}

}  // namespace

int RunServe(const Args& args) {
  auto file_cfg = LoadConfigFile();
  if (!file_cfg.ok()) return ReportError(file_cfg.status());
  const std::string log_file = args.Get("log-file").value_or(file_cfg->log_file);
  if (log_file.empty()) {
    log::SetupStderr(file_cfg->log_level);
  } else if (log::Setup(log_file, file_cfg->log_level, true).empty()) {
    std::cerr << "secretgate: warning: cannot open the log file " << log_file
              << "; logging to stderr\n";
  }
  const std::string root = args.Get("root").value_or("/srv/git");
  if (!IsDirectory(root))
    return ReportError(Status::NotFound("--root " + root + " is not a directory"));
  auto listen = ParseListen(args.Get("listen").value_or("127.0.0.1:8490"));
  if (!listen.ok()) return ReportError(listen.status());
  auto dir = ServerDir(args);
  if (!dir.ok()) return ReportError(dir.status());
  auto tokens = auth::TokenStore::Open(*dir, true);
  if (!tokens.ok()) return ReportError(tokens.status());
  if (auto t = (*tokens)->List(); !t.ok()) return ReportError(t.status());

  // Each repository's store is opened as the hook and the CLI open it (OpenStoreAt: its config,
  // the pending records of its spool applied); reading never creates one.
  server::Catalog catalog(
      root, [](const std::string& git_dir, bool create) -> Result<std::optional<store::Store>> {
        auto repo = git::Repository::Open(git_dir);
        if (!repo.ok()) return repo.status();
        auto cfg = LoadConfig(&*repo);
        if (!cfg.ok()) return cfg.status();
        if (!create) {
          auto paths = store::ResolvePaths(StoreOptionsAt(repo->git_dir(), *cfg));
          if (!paths.ok()) return paths.status();
          struct stat st {};
          if (::stat(paths->journal.c_str(), &st) != 0) return std::optional<store::Store>();
        }
        auto st = OpenStoreAt(repo->git_dir(), *cfg);
        if (!st.ok()) return st.status();
        return std::optional<store::Store>(std::move(*st));
      });
  server::Limits limits;
  if (auto t = args.Get("threads")) {
    unsigned n = 0;
    auto [p, ec] = std::from_chars(t->data(), t->data() + t->size(), n);
    if (ec != std::errc() || p != t->data() + t->size() || n < 1 || n > 256) {
      return ReportError(Status::Invalid("--threads must be 1-256"));
    }
    limits.threads = n;
  }
  // Signals are taken by sigwait below, in this thread only; the server's threads inherit the mask.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  server::AppOptions opts;
  opts.secure_cookie = args.Has("secure-cookie");
  opts.bypass.expiry =
      std::chrono::seconds(static_cast<int64_t>(file_cfg->bypass_request_days * 86400));
  opts.bypass.window =
      std::chrono::seconds(static_cast<int64_t>(file_cfg->bypass_window_days * 86400));
  std::unique_ptr<server::App> app;
  std::atomic<server::App*> ready{nullptr};  // set once the URL (which needs the port) is known
  auto http = server::HttpServer::Start(listen->first, listen->second, limits,
                                        [&ready](const server::Request& r) {
                                          server::App* a = ready.load();
                                          if (a) return a->Handle(r);
                                          server::Response busy;
                                          busy.status = 503;
                                          busy.body = "{\"message\":\"Starting\"}";
                                          return busy;
                                        });
  if (!http.ok()) return ReportError(http.status());
  const uint16_t port = (*http)->port();
  const bool v6 = listen->first.find(':') != std::string::npos;
  const std::string local =
      "http://" + (v6 ? "[" + listen->first + "]" : listen->first) + ":" + std::to_string(port);
  opts.base_url =
      args.Get("url").value_or(file_cfg->serve_url.empty() ? local : file_cfg->serve_url);
  app = std::make_unique<server::App>(catalog, **tokens, opts);
  ready.store(app.get());
  if (auto pf = args.Get("port-file")) {
    if (Status s = WriteFileAtomic(*pf, std::to_string(port) + "\n", 0644); !s.ok())
      return ReportError(s);
  }
  spdlog::info("serve: listening on {} for the repositories under {} (url {}, {} threads)", local,
               root, opts.base_url, limits.threads);
  std::cerr << "secretgate serve: listening on " << local << " (repositories under " << root
            << ")\n";
  int sig = 0;
  sigwait(&stop, &sig);
  spdlog::info("serve: stopping on signal {}", sig);
  http->reset();  // joins the server's threads before app and catalog go
  return kExitOk;
}

}  // namespace sg::cli
