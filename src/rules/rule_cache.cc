#include "rules/rule_cache.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "util/fs.h"
#include "util/text.h"

namespace sg::rules {
namespace {

constexpr int kFormat = 1;

// Identity of every source file as the file system sees it; empty when one cannot be read.
std::string SourcesKey(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    if (IsDirectory(p)) {
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(p, ec)) {
        if (e.path().extension() == ".toml") files.push_back(e.path().string());
      }
      if (ec) return {};
      files.push_back(p + "/");  // the directory itself: a file added or removed changes mtime
    } else {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  std::string key = "rules-cache-" + std::to_string(kFormat) + "\n";
  for (const auto& f : files) {
    struct stat st;
    if (::stat(f.c_str(), &st) != 0) return {};
    key += f + "\t" + std::to_string(st.st_size) + "\t" + std::to_string(st.st_ino) + "\t" +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "\t" +
           std::to_string(st.st_ctim.tv_sec) + "." + std::to_string(st.st_ctim.tv_nsec) + "\n";
  }
  return Sha256Hex(key);
}

nlohmann::json ToJson(const Rule& r) {
  nlohmann::json j = {{"id", r.id},
                      {"name", r.name},
                      {"provider", r.provider},
                      {"confidence", static_cast<int>(r.confidence)},
                      {"regex", r.regex},
                      {"secret_group", r.secret_group},
                      {"keywords", r.keywords},
                      {"entropy", r.entropy},
                      {"validator", r.validator},
                      {"allow_regexes", r.allowlist.regexes},
                      {"allow_paths", r.allowlist.paths},
                      {"stopwords", r.allowlist.stopwords},
                      {"mode", r.mode},
                      {"path_regex", r.path_regex},
                      {"file", r.file},
                      {"line", r.line}};
  if (r.requires_companion) {
    j["requires"] = {r.requires_companion->rule, r.requires_companion->within_lines};
  }
  return j;
}

Rule FromJson(const nlohmann::json& j) {
  Rule r;
  r.id = j.at("id");
  r.name = j.at("name");
  r.provider = j.at("provider");
  r.confidence = static_cast<Confidence>(j.at("confidence").get<int>());
  r.regex = j.at("regex");
  r.secret_group = j.at("secret_group");
  r.keywords = j.at("keywords").get<std::vector<std::string>>();
  r.entropy = j.at("entropy");
  r.validator = j.at("validator");
  r.allowlist.regexes = j.at("allow_regexes").get<std::vector<std::string>>();
  r.allowlist.paths = j.at("allow_paths").get<std::vector<std::string>>();
  r.allowlist.stopwords = j.at("stopwords").get<std::vector<std::string>>();
  r.mode = j.at("mode");
  r.path_regex = j.at("path_regex");
  r.file = j.at("file");
  r.line = j.at("line");
  if (j.contains("requires")) r.requires_companion = Companion{j["requires"][0], j["requires"][1]};
  return r;
}

}  // namespace

LoadResult LoadRulesCached(const std::vector<std::string>& paths, const std::string& cache_dir) {
  std::string key = cache_dir.empty() ? std::string() : SourcesKey(paths);
  if (key.empty()) return LoadRules(paths);
  const std::string file = cache_dir + "/rules-" + key.substr(0, 32) + ".json";
  if (auto text = ReadFile(file); text.ok()) {
    try {
      nlohmann::json j = nlohmann::json::parse(*text);
      LoadResult out;
      for (const auto& r : j.at("rules")) out.set.rules.push_back(FromJson(r));
      out.set.digest = j.at("digest");
      return out;
    } catch (const nlohmann::json::exception& e) {
      spdlog::warn("ignoring the damaged rules cache {}: {}", file, e.what());
    }
  }
  LoadResult out = LoadRules(paths);
  if (!out.ok()) return out;
  nlohmann::json j;
  j["digest"] = out.set.digest;
  j["rules"] = nlohmann::json::array();
  for (const auto& r : out.set.rules) j["rules"].push_back(ToJson(r));
  // A cache that cannot be written only costs the next run a parse.
  Status s = MakeDirs(cache_dir, 0755);
  if (s.ok()) {
    s = WriteFileAtomic(file, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), 0644);
  }
  if (!s.ok()) spdlog::debug("cannot write the rules cache: {}", s.message());
  return out;
}

}  // namespace sg::rules
