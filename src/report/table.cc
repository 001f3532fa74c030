#include "report/table.h"

#include <algorithm>

#include "util/text.h"

namespace sg::report {

TextTable::TextTable(std::vector<std::string> header) : header_(std::move(header)) {
  for (const auto& h : header_) widths_.push_back(DisplayWidth(h));
}

void TextTable::Add(std::vector<std::string> row) {
  row.resize(header_.size());
  for (size_t i = 0; i < row.size(); ++i) widths_[i] = std::max(widths_[i], DisplayWidth(row[i]));
  rows_.push_back(std::move(row));
}

std::string TextTable::Line(const std::vector<std::string>& cells) const {
  std::string out;
  size_t last = cells.size();
  while (last > 0 && cells[last - 1].empty()) --last;  // no trailing spaces
  for (size_t i = 0; i < last; ++i) {
    if (i > 0) out += "  ";
    out += i + 1 == last ? cells[i] : PadToWidth(cells[i], widths_[i]);
  }
  return out + "\n";
}

std::string TextTable::HeaderLine() const { return Line(header_); }

std::string TextTable::RowLine(size_t i) const { return Line(rows_[i]); }

}  // namespace sg::report
