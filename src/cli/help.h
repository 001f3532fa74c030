// The help of every command, kept in one table (Commands(), cli/command_table.cc) from which
// three things are made: the `--help` text, the command-line check (a command accepts exactly
// the options, subcommands and arguments its help lists), and the man pages, generated at build
// time by tools/mangen.cc. None of the three can drift from the others.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/args.h"
#include "util/status.h"

namespace sg::cli {

using Argv = std::vector<std::string>;

struct OptionHelp {
  std::string_view name;   // without the leading "--"
  std::string_view value;  // placeholder of the option's value ("DIR"); empty for a flag
  std::string_view help;   // one paragraph
};

// One way of calling a command, e.g. `secretgate alerts close N --reason REASON`.
struct FormHelp {
  std::string_view sub;             // the subcommand word; empty for a command that has none
  std::string_view synopsis;        // what follows `secretgate COMMAND [SUB]`; lines split by '\n'
  std::string_view args;            // the positional arguments' name for messages ("PATH"), or ""
  int min_args = 0;                 // positional arguments after `sub`
  int max_args = 0;                 // -1: any number
  std::string_view text;            // paragraphs, separated by an empty line; `code` in backquotes
  std::vector<OptionHelp> options;  // --help is accepted everywhere and not listed
};

// A row of the command table.
struct Command {
  std::string_view name;
  std::string_view summary;  // one line: `secretgate --help` and the man page's NAME
  std::vector<FormHelp> forms;
  std::string_view text;         // paragraphs after the forms (shared notes); may be empty
  std::string_view exit_status;  // one paragraph
  int (*run)(const Args&) = nullptr;
};

// Every command, in the order `secretgate --help` lists them.
const std::vector<Command>& Commands();
const Command* FindCommand(std::string_view name);

// The program's own help (secretgate --help, secretgate(1)).
inline constexpr std::string_view kProgramSummary =
    "blocks pushes that carry secrets, records them as alerts";
inline constexpr std::string_view kProgramDescription =
    "secretgate runs as a git pre-receive hook on a self-hosted git server. On every push it "
    "reads the objects the client sent from git's quarantine, matches them against a pack of "
    "credential rules, and blocks, warns or only records, as the administrator chose. Every "
    "finding becomes an alert in a crash-safe store that stays open until a person closes it "
    "with a reason.\n\n"
    "`secretgate protect` installs the hooks. The other commands scan repositories, manage "
    "rules and alerts, and do the work that never runs inside a push: delivering "
    "notifications (`notify`), scanning what a push left unscanned (`drain`), and serving the "
    "alerts to people and scripts over HTTP (`serve`).";
inline constexpr std::string_view kProgramExitStatus =
    "0: the push was accepted, nothing was found, or the command succeeded. 1: the push was "
    "rejected, secrets were found, or (rules check, notify) a problem was found. 2: an error "
    "(bad arguments, a broken config, a damaged store); nothing was written.";
inline constexpr std::string_view kProgramConfiguration =
    "The config file is /etc/secretgate/config.toml, or the file SECRETGATE_CONFIG names. A "
    "missing default file means all defaults. Most keys can be set per repository with git "
    "config in the (bare) repository, e.g. `git config secretgate.mode warn`. The keys:";

// What a command line asks for, checked against the command's help.
struct Invocation {
  bool help = false;  // --help or -h was given: print Help() and exit 0, nothing else is checked
  Args args;          // positional()[0] is the subcommand word for commands that have them
};

// Checks `argv` (the words after the command name) against `c`'s forms. The error names what
// was wrong: an unknown or missing subcommand, an option this form does not take, a missing
// value, a missing or an unexpected argument.
Result<Invocation> ParseInvocation(const Command& c, const Argv& argv);

// `secretgate COMMAND --help`: every form's usage, text and options, wrapped to 80 columns.
std::string HelpText(const Command& c);
// `secretgate --help`.
std::string ProgramHelpText(std::string_view config_path);

// The man page of `c` (secretgate-NAME(1)) and of the program (secretgate(1)), in roff.
// `date` goes into the title line (empty leaves it out), `version` names the release.
std::string ManPage(const Command& c, std::string_view version, std::string_view date);
std::string ProgramManPage(std::string_view version, std::string_view date);

// U+00A0, one column wide: what KeepGroups puts between the words of an optional group.
inline constexpr std::string_view kNoBreakSpace = "\xc2\xa0";
// `synopsis` with the spaces inside [...] and (...) replaced by kNoBreakSpace, so that
// wrapping keeps each optional group on one line; the renderers turn them back.
std::string KeepGroups(std::string_view synopsis);
// `s` with every `from` replaced by `to`.
std::string ReplaceAll(std::string s, std::string_view from, std::string_view to);

// Wraps the words of `text` to `width` display columns: the first line starts with
// `first_prefix` (whose last line counts as the start of the first), the others with `indent`
// spaces.
std::string Wrap(std::string_view text, size_t width, std::string_view first_prefix, size_t indent);

}  // namespace sg::cli
