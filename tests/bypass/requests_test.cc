#include "bypass/requests.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "helpers.h"

using namespace sg;
using sg::testing::Contains;
using sg::testing::ReadFileOrEmpty;
using sg::testing::TempDir;
using sg::testing::WriteFile;
using Clock = std::chrono::system_clock;

namespace {

bypass::NewRequest Req(const std::string& who, std::vector<int64_t> alerts) {
  bypass::NewRequest r;
  r.requester = who;
  r.comment = "why";
  r.alerts = std::move(alerts);
  r.refs = {"refs/heads/main"};
  return r;
}

std::string StoreDir(const TempDir& d) {
  std::string dir = d / "store";
  ::mkdir(dir.c_str(), 0700);
  return dir;
}

}  // namespace

TEST_CASE("bypass requests are numbered, reviewed once, never by their requester, and expire") {
  TempDir d;
  auto j = bypass::BypassJournal::Open(StoreDir(d), "/srv/git/acme/app.git", true);
  REQUIRE(j.ok());
  const auto t0 = Clock::now();
  bypass::Durations dur;
  auto r1 = j->File(Req("pat", {1, 2}), t0, dur);
  REQUIRE(r1.ok());
  CHECK(r1->number == 1);
  CHECK(j->File(Req("pat", {}), t0, dur).status().code() == Code::kInvalid);
  auto r2 = j->File(Req("pat", {3}), t0, dur);
  REQUIRE(r2.ok());
  CHECK(r2->number == 2);
  CHECK(j->Review(1, true, "pat", "", t0, dur).status().code() == Code::kInvalid);
  auto ok = j->Review(1, true, "rev", "fine", t0, dur);
  REQUIRE(ok.ok());
  CHECK(ok->status == "approved");
  CHECK(j->Review(1, false, "rev", "", t0, dur).status().code() == Code::kConflict);
  CHECK(j->Review(7, true, "rev", "", t0, dur).status().code() == Code::kNotFound);
  // The approval covers exactly its alerts, for its requester, within the window.
  CHECK(j->FindApproved("pat", {1}, t0)->has_value());
  CHECK(j->FindApproved("pat", {1, 2}, t0)->has_value());
  CHECK(!j->FindApproved("pat", {1, 3}, t0)->has_value());
  CHECK(!j->FindApproved("eve", {1}, t0)->has_value());
  CHECK(!j->FindApproved("pat", {1}, t0 + dur.window + std::chrono::seconds(1))->has_value());
  // An unreviewed request expires and can no longer be approved.
  const auto later = t0 + dur.expiry + std::chrono::seconds(1);
  CHECK(j->Get(2, later)->status == "expired");
  CHECK(j->Review(2, true, "rev", "", later, dur).status().code() == Code::kConflict);
  // Reopened from disk, everything is still there.
  auto again = bypass::BypassJournal::Open(d / "store", "", false);
  REQUIRE(again.ok());
  auto all = again->List(t0);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].reviewer == "rev");
  CHECK((*all)[0].review_comment == "fine");
  CHECK((*all)[1].status == "pending");
}

TEST_CASE("a torn trailing bypass record is ignored by readers and cut back by the next writer") {
  TempDir d;
  auto j = bypass::BypassJournal::Open(StoreDir(d), "repo", true);
  REQUIRE(j.ok());
  bypass::Durations dur;
  REQUIRE(j->File(Req("pat", {1}), Clock::now(), dur).ok());
  const std::string path = d / "store/bypass-requests.jsonl";
  std::string good = ReadFileOrEmpty(path);
  {
    std::ofstream f(path, std::ios::app | std::ios::binary);
    f << R"({"seq":2,"type":"requested","request":2,"act)";  // a crash mid-append
  }
  REQUIRE(j->List(Clock::now())->size() == 1);
  auto r2 = j->File(Req("pat", {2}), Clock::now(), dur);
  REQUIRE(r2.ok());
  CHECK(r2->number == 2);
  std::string now = ReadFileOrEmpty(path);
  CHECK(now.rfind(good, 0) == 0);
  CHECK(!Contains(now, R"("act)"
                       "\n"));
  CHECK(j->List(Clock::now())->size() == 2);
}

TEST_CASE("damage inside the bypass journal is reported with its line and never cut away") {
  TempDir d;
  auto j = bypass::BypassJournal::Open(StoreDir(d), "repo", true);
  REQUIRE(j.ok());
  bypass::Durations dur;
  REQUIRE(j->File(Req("pat", {1}), Clock::now(), dur).ok());
  REQUIRE(j->File(Req("pat", {2}), Clock::now(), dur).ok());
  const std::string path = d / "store/bypass-requests.jsonl";
  std::string text = ReadFileOrEmpty(path);
  size_t p = text.find("\"why\"");
  REQUIRE(p != std::string::npos);
  text[p + 1] = 'W';  // line 2 no longer matches its checksum; line 3 is intact after it
  WriteFile(path, text);
  auto list = j->List(Clock::now());
  CHECK(list.status().code() == Code::kCorruption);
  CHECK(Contains(list.status().message(), "bypass-requests.jsonl:2"));
  CHECK(j->File(Req("pat", {3}), Clock::now(), dur).status().code() == Code::kCorruption);
  CHECK(ReadFileOrEmpty(path) == text);  // nothing cut, nothing appended
}

TEST_CASE("a symlink planted as the bypass journal is not followed") {
  TempDir d;
  std::string dir = StoreDir(d);
  WriteFile(d / "elsewhere", "keep");
  REQUIRE(::symlink((d / "elsewhere").c_str(), (dir + "/bypass-requests.jsonl").c_str()) == 0);
  auto j = bypass::BypassJournal::Open(dir, "repo", true);
  REQUIRE(j.ok());
  CHECK(!j->File(Req("pat", {1}), Clock::now(), bypass::Durations{}).ok());
  CHECK(ReadFileOrEmpty(d / "elsewhere") == "keep");
}
