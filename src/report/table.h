// Text tables for terminals, aligned by display width (util/text.h DisplayWidth), not bytes:
// a redacted secret's "…" is three bytes and one column, a CJK character two columns.
#pragma once

#include <string>
#include <vector>

namespace sg::report {

class TextTable {
 public:
  // `header` fixes the number of columns.
  explicit TextTable(std::vector<std::string> header);

  // Adds a row of cells already made safe for a terminal (EscapeControl); a missing cell is
  // empty, an extra one is dropped.
  void Add(std::vector<std::string> row);

  size_t rows() const { return rows_.size(); }

  // The header line and row `i`: each column as wide as its widest cell, columns two spaces
  // apart, the last column not padded, no trailing spaces. Rendered a row at a time so that a
  // long table can be written out in chunks.
  std::string HeaderLine() const;
  std::string RowLine(size_t i) const;

 private:
  std::string Line(const std::vector<std::string>& cells) const;

  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<size_t> widths_;
};

}  // namespace sg::report
