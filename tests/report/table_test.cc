#include "report/table.h"

#include <doctest/doctest.h>

#include "util/text.h"

using namespace sg;

namespace {

// The display column at which `needle` starts in `line`.
size_t ColumnOf(const std::string& line, const std::string& needle) {
  size_t at = line.find(needle);
  REQUIRE(at != std::string::npos);
  return DisplayWidth(line.substr(0, at));
}

}  // namespace

TEST_CASE("table columns line up by display width with ellipses and non-ASCII names") {
  report::TextTable t({"REPOSITORY", "SECRET", "LOCATION"});
  t.Add({"/srv/git/a.git", Redact("ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), "x.env:1"});
  t.Add({"/srv/git/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e.git", "AKIA\xe2\x80\xa6(20 chars)",
         "y.env:2"});
  t.Add({"/srv/git/cafe\xcc\x81.git", "ab…(8 chars)", "z.env:3"});
  const std::string header = t.HeaderLine();
  const size_t secret = ColumnOf(header, "SECRET");
  const size_t location = ColumnOf(header, "LOCATION");
  for (size_t i = 0; i < t.rows(); ++i) {
    const std::string row = t.RowLine(i);
    CAPTURE(row);
    CHECK(ColumnOf(row, i == 0 ? "ghp_" : i == 1 ? "AKIA" : "ab…") == secret);
    CHECK(ColumnOf(row, ".env:") - 1 == location);
    CHECK(row.back() == '\n');
    CHECK(row[row.size() - 2] != ' ');
  }
}

TEST_CASE("a table's last column is not padded and empty trailing cells leave no spaces") {
  report::TextTable t({"A", "B"});
  t.Add({"wide cell", ""});
  CHECK(t.HeaderLine() == "A          B\n");
  CHECK(t.RowLine(0) == "wide cell\n");
}
