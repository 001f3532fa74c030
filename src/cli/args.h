// A small command-line parser: positional arguments, `--flag`, `--key VALUE`, `--key=VALUE`.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "util/status.h"

namespace sg::cli {

class Args {
 public:
  // `valued` lists the options that take a value, `flags` those that do not. Anything else
  // starting with "--" is an error naming the option.
  static Result<Args> Parse(const std::vector<std::string>& argv, const std::set<std::string>& valued,
                            const std::set<std::string>& flags);

  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::optional<std::string> Get(const std::string& name) const;
  std::vector<std::string> GetAll(const std::string& name) const;
  // The options given, each name once, sorted.
  std::vector<std::string> OptionNames() const;

 private:
  std::vector<std::string> positional_;
  std::multimap<std::string, std::string> values_;
};

}  // namespace sg::cli
