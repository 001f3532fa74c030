// The delivery engine over a real store, with fake sinks: cursors, order, filters, backoff,
// damaged state files, the outbox reader and the program runner.
#include "notify/notifier.h"

#include <sys/stat.h>

#include <map>
#include <nlohmann/json.hpp>

#include "notify/partner_outbox.h"
#include "notify/spawn.h"
#include "notify/state.h"
#include "store/outbox.h"
#include "store/store_test_util.h"

using namespace sg;
using namespace sg::store::testing;
using nlohmann::json;

namespace {

// Accepts or refuses deliveries as told, and remembers what it was given.
class FakeSink : public notify::Sink {
 public:
  explicit FakeSink(std::string name, std::vector<std::string> events = {}) {
    c_.name = std::move(name);
    c_.events = std::move(events);
  }
  const notify::SinkCommon& common() const override { return c_; }
  std::string_view kind() const override { return "webhook"; }
  std::string target() const override { return "fake"; }
  notify::Attempt Deliver(const notify::Delivery& d) override {
    notify::Attempt a;
    if (fail_at_seq >= 0 && d.seq >= fail_at_seq) {
      a.error = "HTTP 503";
      a.http_status = 503;
      return a;
    }
    got.push_back(d);
    a.delivered = true;
    a.http_status = 200;
    return a;
  }
  notify::SinkCommon c_;
  std::vector<notify::Delivery> got;
  int64_t fail_at_seq = -1;
};

struct Fixture {
  TempDir dir;
  std::optional<store::Store> st;
  notify::NotifyConfig cfg;
  std::vector<std::unique_ptr<notify::Sink>> sinks;
  int64_t now = 1'800'000'000;
  spdlog::level::level_enum level;

  Fixture() : level(spdlog::get_level()) {
    spdlog::set_level(spdlog::level::err);  // keep the per-delivery info lines out of test output
    auto s = store::Store::Open(Options(dir.path()));
    REQUIRE(s.ok());
    st.emplace(std::move(s.value()));
    cfg.source = "test";
    cfg.retry_initial = 10;
    cfg.retry_max = 100;
  }
  ~Fixture() { spdlog::set_level(level); }
  FakeSink& Add(std::string name, std::vector<std::string> events = {}) {
    sinks.push_back(std::make_unique<FakeSink>(std::move(name), std::move(events)));
    return static_cast<FakeSink&>(*sinks.back());
  }
  notify::StoreOutcome Run(bool retry_now = false) {
    notify::RunOptions o;
    o.retry_now = retry_now;
    o.partner_key_path = dir / "partner-key.pem";
    o.now = [this] { return now; };
    auto r = notify::NotifyStore(cfg, dir.path(), sinks, o);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    return *r;
  }
  void Record(int i) {
    std::vector<store::Observation> obs{Obs("rule-a", Name("secret-", i), Name("f", i))};
    REQUIRE(st->Record(obs, std::nullopt, "alice").ok());
  }
};

std::vector<int64_t> Seqs(const FakeSink& s) {
  std::vector<int64_t> out;
  for (const auto& d : s.got) out.push_back(d.seq);
  return out;
}

}  // namespace

TEST_CASE("every event is delivered once, in journal order, with the alert as the append left it") {
  Fixture f;
  FakeSink& sink = f.Add("chat");
  f.Record(1);
  f.Record(2);
  REQUIRE(f.st->Close(1, "revoked", "rotated", "bob").ok());
  auto out = f.Run();
  CHECK(out.delivered() == 5);
  CHECK(Seqs(sink) == std::vector<int64_t>{1, 2, 3, 4, 5});
  json created = json::parse(sink.got[0].body);
  CHECK(created["event"] == "created");
  CHECK(created["alert"]["number"] == 1);
  CHECK(created["alert"]["state"] == "open");  // as of its append, not as of now
  CHECK(created["alert"]["locations"].size() == 1);
  CHECK(created["alert"]["secret"].is_null());
  CHECK(created["repository"] == "acme/widgets");
  CHECK(created["delivery"] == sink.got[0].id);
  json location = json::parse(sink.got[1].body);
  CHECK(location["location"]["path"] == "f1");
  json resolved = json::parse(sink.got[4].body);
  CHECK(resolved["event"] == "resolved");
  CHECK(resolved["alert"]["state"] == "resolved");
  CHECK(resolved["alert"]["resolution_comment"] == "rotated");
  // A second run has nothing to do.
  CHECK(f.Run().delivered() == 0);
  CHECK(sink.got.size() == 5);
}

TEST_CASE("a failing sink stops at the failed event, backs off, and resumes there") {
  Fixture f;
  FakeSink& good = f.Add("good");
  FakeSink& bad = f.Add("bad");
  f.Record(1);
  f.Record(2);
  bad.fail_at_seq = 3;
  auto out = f.Run();
  CHECK(Seqs(good) == std::vector<int64_t>{1, 2, 3, 4});
  CHECK(Seqs(bad) == std::vector<int64_t>{1, 2});
  CHECK(out.failed() == 1);
  auto retry = notify::LoadRetry(f.dir.path(), "bad");
  REQUIRE(retry);
  CHECK(retry->attempts == 1);
  CHECK(retry->seq == 3);
  CHECK(retry->next_attempt == f.now + 10);
  // Not due yet: nothing is attempted.
  bad.fail_at_seq = -1;
  f.now += 5;
  out = f.Run();
  CHECK(out.sinks[1].backing_off);
  CHECK(Seqs(bad) == std::vector<int64_t>{1, 2});
  // Fails again: the backoff doubles.
  bad.fail_at_seq = 3;
  f.now += 5;
  f.Run();
  CHECK(notify::LoadRetry(f.dir.path(), "bad")->attempts == 2);
  CHECK(notify::LoadRetry(f.dir.path(), "bad")->next_attempt == f.now + 20);
  bad.fail_at_seq = -1;
  f.now += 20;
  out = f.Run();
  CHECK(Seqs(bad) == std::vector<int64_t>{1, 2, 3, 4});
  CHECK(!notify::LoadRetry(f.dir.path(), "bad"));
  CHECK(Seqs(good) == std::vector<int64_t>{1, 2, 3, 4});
}

TEST_CASE("a sink's event filter skips other events without delivering them later") {
  Fixture f;
  FakeSink& only_resolved = f.Add("resolved-only", {"resolved"});
  f.Record(1);
  f.Run();
  CHECK(only_resolved.got.empty());
  auto cursor = notify::LoadCursor(f.dir.path(), "resolved-only");
  REQUIRE(cursor);
  CHECK(cursor->seq == 2);
  REQUIRE(f.st->Close(1, "false_positive", "", "bob").ok());
  f.Run();
  CHECK(Seqs(only_resolved) == std::vector<int64_t>{3});
}

TEST_CASE("a new sink without backfill starts after the events already in the journal") {
  Fixture f;
  f.Record(1);
  FakeSink& late = f.Add("late");
  late.c_.backfill = false;
  f.Run();
  CHECK(late.got.empty());
  f.Record(2);
  f.Run();
  CHECK(Seqs(late) == std::vector<int64_t>{3, 4});
}

TEST_CASE("a damaged cursor file reads as absent, so events are delivered again rather than lost") {
  Fixture f;
  FakeSink& sink = f.Add("chat");
  f.Record(1);
  f.Run();
  CHECK(sink.got.size() == 2);
  const std::string path = notify::StateDir(f.dir.path()) + "/chat.cursor";
  std::string text = ReadFileText(path);
  text[text.size() - 5] ^= 1;
  WriteFileText(path, text);
  CHECK(!notify::LoadCursor(f.dir.path(), "chat"));
  f.Run();
  CHECK(Seqs(sink) == std::vector<int64_t>{1, 2, 1, 2});
}

TEST_CASE("a cursor for a replaced journal starts over") {
  Fixture f;
  FakeSink& sink = f.Add("chat");
  f.Record(1);
  f.Run();
  notify::Cursor c = *notify::LoadCursor(f.dir.path(), "chat");
  c.store_id = std::string(32, 'a');
  REQUIRE(notify::SaveCursor(f.dir.path(), "chat", c).ok());
  f.Run();
  CHECK(sink.got.size() == 4);
}

TEST_CASE("a sink locked by another run is skipped, not delivered twice at the same time") {
  Fixture f;
  FakeSink& sink = f.Add("chat");
  f.Record(1);
  auto held = notify::SinkLock::TryAcquire(f.dir.path(), "chat");
  REQUIRE(held.ok());
  REQUIRE(held->has_value());
  auto out = f.Run();
  CHECK(out.sinks[0].busy);
  CHECK(sink.got.empty());
  held->reset();
  f.Run();
  CHECK(sink.got.size() == 2);
}

TEST_CASE("the outbox reader stops before an append whose end is not written yet") {
  Fixture f;
  f.Record(1);
  const std::string journal = f.dir / "journal.jsonl";
  const std::string before = ReadFileText(journal);
  int64_t seen = 0;
  auto r = store::ReadOutbox(f.dir.path(), 0, [&](const store::OutboxItem& item) {
    seen = item.event->seq;
    return true;
  });
  REQUIRE(r.ok());
  CHECK(seen == 2);
  WriteFileText(journal, before + "{\"seq\":3,\"type\":\"created\"");  // a torn tail
  seen = 0;
  r = store::ReadOutbox(f.dir.path(), 0, [&](const store::OutboxItem& item) {
    seen = item.event->seq;
    return true;
  });
  REQUIRE(r.ok());
  CHECK(seen == 2);
  CHECK(!r->damage);
  CHECK(r->committed.seq == 2);
}

TEST_CASE("backoff doubles from the initial delay up to its cap") {
  CHECK(notify::BackoffSeconds(1, 30, 3600) == 30);
  CHECK(notify::BackoffSeconds(2, 30, 3600) == 60);
  CHECK(notify::BackoffSeconds(5, 30, 3600) == 480);
  CHECK(notify::BackoffSeconds(9, 30, 3600) == 3600);
  CHECK(notify::BackoffSeconds(500, 30, 3600) == 3600);
}

TEST_CASE("partner outbox entries are private files that round-trip and are removed") {
  TempDir dir;
  notify::PartnerEntry e;
  e.alert = 7;
  e.provider = "github";
  e.type = "github-pat-classic";
  e.token = "ghp_secret";
  e.url = "repo:path@c0ffee";
  e.created_at = "2026-11-22T06:21:52Z";
  REQUIRE(notify::WritePartnerEntries(dir.path(), std::span(&e, 1)).ok());
  struct stat st;
  REQUIRE(::stat(notify::PartnerOutboxDir(dir.path()).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  auto list = notify::ListPartnerEntries(dir.path());
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  REQUIRE(::stat((*list)[0].file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK((*list)[0].token == "ghp_secret");
  CHECK(notify::PartnerToken(dir.path(), 7) == std::optional<std::string>("ghp_secret"));
  CHECK(!notify::PartnerToken(dir.path(), 8));
  CHECK(
      json::parse(notify::PartnerBody(*list)) ==
      json::parse(
          R"([{"token":"ghp_secret","type":"github-pat-classic","url":"repo:path@c0ffee","source":"secretgate"}])"));
  REQUIRE(notify::RemovePartnerEntry((*list)[0]).ok());
  CHECK(notify::ListPartnerEntries(dir.path())->empty());
}

TEST_CASE(
    "a configured program gets its input on stdin, no shell, and is killed at its time limit") {
  auto env = notify::ProgramEnvironment({{"EXTRA", "1"}});
  auto cat = notify::RunProgram({"/bin/cat"}, env, "a $(b) `c`; d\n", 10);
  REQUIRE(cat.ok());
  CHECK(cat->exit_code == 0);
  CHECK(cat->output == "a $(b) `c`; d\n");
  auto code = notify::RunProgram({"/bin/sh", "-c", "exit 3"}, env, "", 10);
  REQUIRE(code.ok());
  CHECK(code->exit_code == 3);
  auto slow = notify::RunProgram({"/bin/sleep", "30"}, env, "ignored", 0.2);
  REQUIRE(slow.ok());
  CHECK(slow->timed_out);
  auto missing = notify::RunProgram({"/nonexistent/program"}, env, "", 1);
  CHECK((!missing.ok() || missing->exit_code == 127));
  auto printenv = notify::RunProgram({"/usr/bin/env"}, env, "", 10);
  REQUIRE(printenv.ok());
  CHECK(printenv->output.find("EXTRA=1") != std::string::npos);
  CHECK(printenv->output.find("GIT_") == std::string::npos);
}
