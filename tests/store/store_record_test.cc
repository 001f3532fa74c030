// Recording observations: alert creation, deduplication, numbering, bypasses, JSON shape.
#include <nlohmann/json.hpp>

#include "store/alert_json.h"
#include "store/event.h"
#include "store_test_util.h"

namespace sg::store::testing {
namespace {

TEST_CASE("a new secret creates alert 1 with its location and a created timeline") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  auto out = RecordOrDie(store, {Obs("aws-key", "AKIASECRET1")});
  REQUIRE(out.size() == 1);
  CHECK(out[0] == RecordOutcome{1, true, "open"});
  auto a = store.Get(1);
  REQUIRE(a.ok());
  CHECK(a->number == 1);
  CHECK(a->repository == "acme/widgets");
  CHECK(a->state == "open");
  CHECK(a->created_at == "2026-11-22T06:21:52Z");
  CHECK(a->updated_at == "2026-11-22T06:21:52Z");
  CHECK(a->secret_type == "aws-key");
  CHECK(a->secret_type_display_name == "Display aws-key");
  CHECK(a->validity == "unknown");
  CHECK_FALSE(a->secret.has_value());
  CHECK(a->fingerprint.size() == 64);
  REQUIRE(a->locations.size() == 1);
  CHECK(a->locations[0].path == "config.yml");
  CHECK(a->locations[0].pushed_at == "2026-11-22T06:21:52Z");
  REQUIRE(a->timeline.size() == 2);
  CHECK(a->timeline[0].event == "created");
  CHECK(a->timeline[0].actor == "alice");
  CHECK(a->timeline[1].event == "location_created");
  CHECK(a->timeline[1].detail == "config.yml:1");
}

TEST_CASE("the same secret seen again adds a location and never a second alert") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  RecordOrDie(store, {Obs("aws-key", "S1", "a.txt", 1)});
  auto out = RecordOrDie(store, {Obs("aws-key", "S1", "b.txt", 7)});
  CHECK(out[0] == RecordOutcome{1, false, "open"});
  auto list = store.List({});
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  REQUIRE((*list)[0].locations.size() == 2);
  CHECK((*list)[0].locations[1].path == "b.txt");
  CHECK((*list)[0].locations[1].start_line == 7);
}

TEST_CASE("an identical location is recorded once, in one call or across calls") {
  TempDir tmp;
  const std::string journal = tmp / "journal.jsonl";
  {
    Store store = OpenOrDie(Options(tmp.path()));
    RecordOrDie(store, {Obs("r", "S1"), Obs("r", "S1")});
    const uint64_t size = FileSize(journal);
    auto again = RecordOrDie(store, {Obs("r", "S1")});
    CHECK(again[0] == RecordOutcome{1, false, "open"});
    CHECK(FileSize(journal) == size);  // nothing new to say, nothing written
  }
  Store reopened = OpenOrDie(Options(tmp.path()));  // dedupe through the index of a new process
  RecordOrDie(reopened, {Obs("r", "S1")});
  auto a = reopened.Get(1);
  REQUIRE(a.ok());
  CHECK(a->locations.size() == 1);
}

TEST_CASE("a different ref or pusher at the same place is not a new location") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  Observation o = Obs("r", "S1");
  RecordOrDie(store, {o});
  o.location.ref = "refs/heads/other";
  o.location.pushed_by = "bob";
  RecordOrDie(store, {o});
  o.location.start_column = 6;  // a different column is a different place
  RecordOrDie(store, {o});
  CHECK(store.Get(1)->locations.size() == 2);
}

TEST_CASE("alert numbers are sequential per store and follow first sight") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  auto out = RecordOrDie(store, {Obs("r", "A"), Obs("r", "B"), Obs("r", "A"), Obs("q", "A")});
  CHECK(out[0].number == 1);
  CHECK(out[1].number == 2);
  CHECK(out[2].number == 1);
  CHECK(out[2].created);      // created by this call, like the first observation of it
  CHECK(out[3].number == 3);  // same secret, another rule: another alert
  out = RecordOrDie(store, {Obs("r", "C"), Obs("r", "B")});
  CHECK(out[0] == RecordOutcome{4, true, "open"});
  CHECK(out[1] == RecordOutcome{2, false, "open"});
  Store other = OpenOrDie(Options(tmp.path()));
  CHECK(RecordOrDie(other, {Obs("r", "D")})[0].number == 5);
}

TEST_CASE("a record of many observations is one append") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  std::vector<Observation> obs;
  for (int i = 0; i < 50; ++i) obs.push_back(Obs("r", Name("S", i)));
  RecordOrDie(store, obs);
  const std::string text = ReadFileText(tmp / "journal.jsonl");
  // Header, then 100 records of batch 1, the last one marked as the end of the append.
  int lines = 0, ends = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line); ++lines) {
    auto j = nlohmann::json::parse(line);
    if (lines > 0) CHECK(j["batch"] == 1);
    if (j.contains("end")) ++ends;
  }
  CHECK(lines == 101);
  CHECK(ends == 2);
}

TEST_CASE("a bypass as false positive creates the alert resolved and marks the bypass") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  Bypass b{"false_positive", "test fixture", "bob"};
  auto out = RecordOrDie(store, {Obs("r", "S1"), Obs("r", "S1", "other.txt")}, b, "alice");
  CHECK(out[0] == RecordOutcome{1, true, "resolved"});
  CHECK(out[1] == RecordOutcome{1, true, "resolved"});
  Alert a = store.Get(1).value();
  CHECK(a.state == "resolved");
  CHECK(a.resolution == "false_positive");
  CHECK(a.resolution_comment == "test fixture");
  CHECK(a.resolved_by == "bob");
  CHECK(a.push_protection_bypassed);
  CHECK(a.push_protection_bypassed_by == "bob");
  CHECK(a.push_protection_bypassed_at == "2026-11-22T06:21:52Z");
  int bypass_events = 0;
  for (const auto& t : a.timeline) bypass_events += t.event == "push_protection_bypassed";
  CHECK(bypass_events == 1);  // one per alert per push, not per observation
}

TEST_CASE("a bypass to fix later leaves the alert open but marks the bypass") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  auto out = RecordOrDie(store, {Obs("r", "S1")}, Bypass{"will_fix_later", "", ""}, "carol");
  CHECK(out[0] == RecordOutcome{1, true, "open"});
  Alert a = store.Get(1).value();
  CHECK(a.push_protection_bypassed);
  CHECK(a.push_protection_bypassed_by == "carol");
  CHECK(a.timeline.back().event == "push_protection_bypassed");
  CHECK(a.timeline.back().detail == "will_fix_later");
}

TEST_CASE("a bypass of an already resolved alert keeps its resolution") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  RecordOrDie(store, {Obs("r", "S1")});
  REQUIRE(store.Close(1, "revoked", "rotated", "admin").ok());
  auto out = RecordOrDie(store, {Obs("r", "S1", "new.txt")}, Bypass{"used_in_tests", "", "dan"});
  CHECK(out[0] == RecordOutcome{1, false, "resolved"});
  Alert a = store.Get(1).value();
  CHECK(a.resolution == "revoked");
  CHECK(a.push_protection_bypassed);
  CHECK(a.locations.size() == 2);
}

TEST_CASE("a resolved alert keeps recording new locations and stays resolved") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  RecordOrDie(store, {Obs("r", "S1")});
  REQUIRE(store.Close(1, "wont_fix", "", "admin").ok());
  auto out = RecordOrDie(store, {Obs("r", "S1", "again.txt")});
  CHECK(out[0] == RecordOutcome{1, false, "resolved"});
  Alert a = store.Get(1).value();
  CHECK(a.state == "resolved");
  CHECK(a.locations.size() == 2);
}

TEST_CASE("invalid observations and bypass reasons are refused and nothing is written") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  const uint64_t size = FileSize(tmp / "journal.jsonl");
  CHECK(store.Record(std::vector{Obs("", "S")}, std::nullopt, "a").status().code() ==
        Code::kInvalid);
  CHECK(store.Record(std::vector{Obs("r", "")}, std::nullopt, "a").status().code() ==
        Code::kInvalid);
  CHECK(store.Record(std::vector{Obs(std::string("r\0x", 3), "S")}, std::nullopt, "a")
            .status()
            .code() == Code::kInvalid);
  CHECK(store.Record(std::vector{Obs("r", "S")}, Bypass{"because", "", ""}, "a").status().code() ==
        Code::kInvalid);
  CHECK(FileSize(tmp / "journal.jsonl") == size);
}

TEST_CASE("find by secret answers without writing") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  RecordOrDie(store, {Obs("r", "S1"), Obs("r", "S2")});
  const uint64_t size = FileSize(tmp / "journal.jsonl");
  auto hit = store.FindBySecret("r", "S2");
  REQUIRE(hit.ok());
  REQUIRE(hit->has_value());
  CHECK((*hit)->number == 2);
  auto miss = store.FindBySecret("r", "S3");
  REQUIRE(miss.ok());
  CHECK_FALSE(miss->has_value());
  CHECK_FALSE(store.FindBySecret("other-rule", "S1")->has_value());
  CHECK(FileSize(tmp / "journal.jsonl") == size);
}

TEST_CASE("the alert JSON has exactly the GitHub field names, with nulls for absent values") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  Observation o = Obs("r", "S1");
  o.location.commit_sha.clear();  // a working-tree scan has no commit
  RecordOrDie(store, {o});
  auto j = nlohmann::json::parse(ToJson(store.Get(1).value()));
  const std::vector<std::string> keys = {"number",
                                         "repository",
                                         "created_at",
                                         "updated_at",
                                         "state",
                                         "resolution",
                                         "resolution_comment",
                                         "resolved_by",
                                         "resolved_at",
                                         "secret_type",
                                         "secret_type_display_name",
                                         "provider",
                                         "secret_redacted",
                                         "secret",
                                         "fingerprint",
                                         "validity",
                                         "multi_repo",
                                         "locations",
                                         "push_protection_bypassed",
                                         "push_protection_bypassed_by",
                                         "push_protection_bypassed_at",
                                         "timeline"};
  CHECK(j.size() == keys.size());
  for (const auto& k : keys) CHECK_MESSAGE(j.contains(k), k);
  CHECK(j["resolution"].is_null());
  CHECK(j["secret"].is_null());
  CHECK(j["push_protection_bypassed"] == false);
  CHECK(j["multi_repo"] == false);  // only listings across stores set it
  CHECK(j["locations"][0]["commit_sha"].is_null());
  CHECK(j["locations"][0]["blob_sha"] == "b10b");
  CHECK(j["locations"][0]["start_column"] == 5);
  CHECK(j["timeline"][0]["event"] == "created");
}

TEST_CASE("list filters by state and secret type") {
  TempDir tmp;
  Store store = OpenOrDie(Options(tmp.path()));
  RecordOrDie(store, {Obs("aws", "A"), Obs("gh", "B"), Obs("aws", "C")});
  REQUIRE(store.Close(3, "revoked", "", "x").ok());
  CHECK(store.List({}).value().size() == 3);
  CHECK(store.List({"open", std::nullopt}).value().size() == 2);
  CHECK(store.List({"resolved", std::nullopt}).value().front().number == 3);
  CHECK(store.List({std::nullopt, "aws"}).value().size() == 2);
  CHECK(store.List({"open", "aws"}).value().front().number == 1);
  CHECK(store.List({"closed", std::nullopt}).status().code() == Code::kInvalid);
}

TEST_CASE("records made through the derived index agree with a full replay") {
  TempDir tmp;
  {
    Store store = OpenOrDie(Options(tmp.path()));
    for (int round = 0; round < 30; ++round) {
      std::vector<Observation> obs;
      for (int i = 0; i < 20; ++i) {
        obs.push_back(Obs("r", Name("S", (round * 7 + i) % 150), Name("f", i)));
      }
      RecordOrDie(store, obs);
      if (round == 10) REQUIRE(store.Compact().ok());  // later rounds go through index.bin
    }
  }
  CHECK(std::filesystem::exists(tmp / "index.bin"));
  Store store = OpenOrDie(Options(tmp.path()));
  auto report = store.Verify();
  REQUIRE(report.ok());
  for (const auto& p : report->problems) INFO(p.file << ":" << p.line << ": " << p.reason);
  CHECK(report->ok());
  CHECK(report->alerts == 150);
}

TEST_CASE(
    "with a cross_repo_key two stores give the same secret the same cross fingerprint, kept by "
    "the snapshot") {
  TempDir a_dir, b_dir;
  const std::string cross(32, 'k');
  OpenOptions ao = Options(a_dir.path()), bo = Options(b_dir.path());
  ao.cross_repo_key = bo.cross_repo_key = cross;
  bo.repository = "acme/gadgets";
  {
    Store a = OpenOrDie(ao);
    Store b = OpenOrDie(bo);
    RecordOrDie(a, {Obs("r", "SHARED"), Obs("r", "ONLY-A")});
    RecordOrDie(b, {Obs("r", "SHARED")});
    REQUIRE(a.Compact().ok());  // the snapshot now holds both alerts
  }
  Store a = OpenOrDie(ao);
  Store b = OpenOrDie(bo);
  auto la = a.List({}), lb = b.List({});
  REQUIRE(la.ok());
  REQUIRE(lb.ok());
  REQUIRE(la->size() == 2);
  REQUIRE(lb->size() == 1);
  CHECK((*la)[0].fingerprint != (*lb)[0].fingerprint);  // per-store keys differ
  CHECK((*la)[0].cross_fingerprint == Fingerprint(cross, "r", "SHARED"));
  CHECK((*la)[0].cross_fingerprint == (*lb)[0].cross_fingerprint);
  std::vector<Alert> all = *la;
  all.insert(all.end(), lb->begin(), lb->end());
  MarkMultiRepo(all);
  CHECK(all[0].multi_repo);        // SHARED in acme/widgets, also in acme/gadgets
  CHECK_FALSE(all[1].multi_repo);  // ONLY-A
  CHECK(all[2].multi_repo);        // SHARED in acme/gadgets
}

}  // namespace
}  // namespace sg::store::testing

TEST_CASE("the fast alert JSON writer gives the same bytes as the JSON tree") {
  sg::store::Alert a;
  a.number = 42;
  a.repository = "srv/repo.git";
  a.created_at = a.updated_at = "2026-11-22T06:21:52Z";
  a.state = "resolved";
  a.resolution = "false_positive";
  a.resolution_comment = "quote \" backslash \\ newline \n tab \t ctrl \x01 utf8 caf\xc3\xa9";
  a.secret_type = "github-pat-classic";
  a.secret_type_display_name = "GitHub PAT";
  a.secret_redacted = "ghp_ab\xe2\x80\xa6(40 chars)";
  a.fingerprint = "abc";
  a.locations.push_back({"c1", "dir/evil\x1b[31m.txt", "b1", "refs/heads/x", "me", "2026", 1, 2, 3, 4});
  a.locations.push_back({"", "p", "", "", "", "", 5, 5, 1, 9});
  a.push_protection_bypassed = true;
  a.push_protection_bypassed_by = "me";
  a.timeline.push_back({"created", "me", "2026", "", ""});
  a.timeline.push_back({"resolved", "me", "2026", "why", "false_positive"});
  std::string fast;
  sg::store::AppendAlertJson(fast, a);
  CHECK(fast == sg::store::DumpJson(sg::store::AlertToJson(a)));
  a.secret = "s3cr\"t";
  fast.clear();
  sg::store::AppendAlertJson(fast, a);
  CHECK(fast == sg::store::DumpJson(sg::store::AlertToJson(a)));
}
