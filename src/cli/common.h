// Pieces every subcommand shares: loading the config for a repository and building the engine.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "git/repository.h"
#include "log/log.h"
#include "scan/engine.h"

namespace sg::cli {

// Exit codes: the written contract of every subcommand.
inline constexpr int kExitOk = 0;        // accepted / nothing found / done
inline constexpr int kExitFound = 1;     // rejected / secrets found
inline constexpr int kExitError = 2;     // bad input or internal error

// The config file (config::ConfigPath(); it must exist when SECRETGATE_CONFIG names it).
Result<config::Config> LoadConfigFile();
// The config file, then `repo`'s secretgate.* git config when a repository is given.
Result<config::Config> LoadConfig(const git::Repository* repo);
// The same from a config file already loaded with LoadConfigFile() (parsed once per process).
Result<config::Config> LoadConfig(const git::Repository* repo, Result<config::Config> file_cfg);

// The rule sources `cfg` names (its rules, else the installed default, plus extra_rules).
std::vector<std::string> RuleSources(const config::Config& cfg);

// Loads the rules (and translated gitleaks configs) and builds the engine, using the compiled
// cache under cfg.cache_dir or a default location (`cache_fallback` as the last resort).
Result<std::shared_ptr<const scan::Engine>> BuildEngine(const config::Config& cfg,
                                                        const std::string& cache_fallback);

// Leaves `engine` to the process's exit, for a command that builds one engine and then ends
// (a scan, a hook): freeing 1,400 rules and their compiled regexes costs about a millisecond,
// and the kernel unmaps the database at exit anyway.
void KeepUntilExit(std::shared_ptr<const scan::Engine> engine);

// How `cfg` wants log lines written (log_format, log_syslog).
log::Output LogOutput(const config::Config& cfg);

// Reads all of stdin.
std::string ReadStdin();

// The OS user running this process.
std::string OsUser();

// Prints `status` for a person on stderr ("secretgate: error: ...") and returns kExitError.
int ReportError(const Status& status);

// Finds the repository the way git does: $GIT_DIR, else upwards from the current directory.
Result<git::Repository> DiscoverRepository(const std::string& explicit_path);

}  // namespace sg::cli
