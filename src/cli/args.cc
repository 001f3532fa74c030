#include "cli/args.h"

namespace sg::cli {

Result<Args> Args::Parse(const std::vector<std::string>& argv, const std::set<std::string>& valued,
                         const std::set<std::string>& flags) {
  Args a;
  bool only_positional = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& s = argv[i];
    if (only_positional || s.size() < 2 || s.compare(0, 2, "--") != 0) {
      a.positional_.push_back(s);
      continue;
    }
    if (s == "--") {
      only_positional = true;
      continue;
    }
    std::string name = s.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (valued.count(name)) {
      if (!value) {
        if (i + 1 >= argv.size()) return Status::Invalid("option --" + name + " needs a value");
        value = argv[++i];
      }
      a.values_.emplace(name, *value);
    } else if (flags.count(name)) {
      if (value) return Status::Invalid("option --" + name + " takes no value");
      a.values_.emplace(name, "");
    } else {
      return Status::Invalid("unknown option --" + name + " (see --help)");
    }
  }
  return a;
}

std::optional<std::string> Args::Get(const std::string& name) const {
  auto range = values_.equal_range(name);
  if (range.first == range.second) return std::nullopt;
  return std::prev(range.second)->second;
}

std::vector<std::string> Args::GetAll(const std::string& name) const {
  std::vector<std::string> out;
  auto range = values_.equal_range(name);
  for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
  return out;
}

std::vector<std::string> Args::OptionNames() const {
  std::vector<std::string> out;
  for (const auto& [name, value] : values_) {
    if (out.empty() || out.back() != name) out.push_back(name);
  }
  return out;
}

}  // namespace sg::cli
