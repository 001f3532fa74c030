// The command table's two run-time uses: checking a command line against it, and the --help
// text. (The man pages are in cli/man.cc.)
#include "cli/help.h"

#include <algorithm>
#include <set>

#include "build_config.h"
#include "util/text.h"

namespace sg::cli {
namespace {

constexpr size_t kWidth = 80;
constexpr size_t kOptionColumn = 24;

std::string Quoted(std::string_view s) { return "'" + EscapeControl(s) + "'"; }

// "list, show, close or reopen"
std::string SubList(const Command& c) {
  std::string out;
  for (size_t i = 0; i < c.forms.size(); ++i) {
    if (i > 0) out += i + 1 == c.forms.size() ? " or " : ", ";
    out += c.forms[i].sub;
  }
  return out;
}

bool HasSubcommands(const Command& c) { return !c.forms.empty() && !c.forms[0].sub.empty(); }

std::string SeeHelp(const Command& c) {
  return " (see secretgate " + std::string(c.name) + " --help)";
}

// "one PATH", "at most one N", "no arguments"
std::string Expected(const FormHelp& f) {
  const std::string args(f.args);
  if (f.max_args == 0) return "no arguments";
  if (f.max_args < 0) return f.min_args == 0 ? "any number of " + args : "one or more " + args;
  if (f.min_args == f.max_args) {
    return (f.max_args == 1 ? "one " : std::to_string(f.max_args) + " ") + args;
  }
  return "at most " + std::string(f.max_args == 1 ? "one " : std::to_string(f.max_args) + " ") +
         args;
}

// Each paragraph of `text` wrapped at `indent`.
std::string Paragraphs(std::string_view text, size_t indent) {
  std::string out;
  while (!text.empty()) {
    size_t end = text.find("\n\n");
    if (!out.empty()) out += "\n";
    out += Wrap(text.substr(0, end), kWidth, std::string(indent, ' '), indent);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 2);
  }
  return out;
}

std::string OptionLabel(const OptionHelp& o) {
  std::string label = "--" + std::string(o.name);
  if (!o.value.empty()) label += " " + std::string(o.value);
  return label;
}

}  // namespace

std::string ReplaceAll(std::string s, std::string_view from, std::string_view to) {
  for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) {
    s.replace(at, from.size(), to);
  }
  return s;
}

std::string KeepGroups(std::string_view synopsis) {
  std::string out;
  int depth = 0;
  for (char c : synopsis) {
    if (c == '[' || c == '(') ++depth;
    if (c == ']' || c == ')') --depth;
    if (c == ' ' && depth > 0) {
      out += kNoBreakSpace;
    } else {
      out += c;
    }
  }
  return out;
}

const Command* FindCommand(std::string_view name) {
  for (const auto& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Result<Invocation> ParseInvocation(const Command& c, const Argv& argv) {
  Invocation inv;
  for (const auto& a : argv) {
    if (a == "--") break;
    if (a == "--help" || a == "-h") {
      inv.help = true;
      return inv;
    }
  }
  const std::string who(c.name);
  // Options may come before the subcommand: parse with every form's options to find it, then
  // check what was given against that form's list.
  std::set<std::string> valued, flags;
  for (const auto& f : c.forms) {
    for (const auto& o : f.options) (o.value.empty() ? flags : valued).insert(std::string(o.name));
  }
  auto args = Args::Parse(argv, valued, flags);
  if (!args.ok()) return Status::Invalid(who + ": " + args.status().message());
  const FormHelp* form = &c.forms.front();
  size_t first_arg = 0;
  if (HasSubcommands(c)) {
    if (args->positional().empty()) {
      return Status::Invalid(who + ": missing subcommand: " + SubList(c) + SeeHelp(c));
    }
    const std::string& sub = args->positional()[0];
    auto it = std::find_if(c.forms.begin(), c.forms.end(),
                           [&sub](const FormHelp& f) { return f.sub == sub; });
    if (it == c.forms.end()) {
      return Status::Invalid(who + ": unknown subcommand " + Quoted(sub) + ", expected " +
                             SubList(c) + SeeHelp(c));
    }
    form = &*it;
    first_arg = 1;
  }
  const std::string what = form->sub.empty() ? who : who + " " + std::string(form->sub);
  for (const auto& name : args->OptionNames()) {
    bool known = std::any_of(form->options.begin(), form->options.end(),
                             [&name](const OptionHelp& o) { return o.name == name; });
    if (!known) return Status::Invalid(what + ": unknown option --" + name + SeeHelp(c));
  }
  const auto& pos = args->positional();
  const int given = static_cast<int>(pos.size() - first_arg);
  if (form->max_args >= 0 && given > form->max_args) {
    return Status::Invalid(what + ": unexpected argument " +
                           Quoted(pos[first_arg + form->max_args]) + ": it takes " +
                           Expected(*form) + SeeHelp(c));
  }
  if (given < form->min_args) {
    return Status::Invalid(what + ": missing " + std::string(form->args) + SeeHelp(c));
  }
  inv.args = std::move(*args);
  return inv;
}

std::string Wrap(std::string_view text, size_t width, std::string_view first_prefix,
                 size_t indent) {
  std::string out(first_prefix);
  const size_t nl = first_prefix.rfind('\n');
  size_t col =
      DisplayWidth(nl == std::string_view::npos ? first_prefix : first_prefix.substr(nl + 1));
  bool line_empty = true;  // no word on the current line yet
  size_t at = 0;
  while (at < text.size()) {
    if (text[at] == ' ' || text[at] == '\n') {
      ++at;
      continue;
    }
    size_t end = text.find_first_of(" \n", at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(at, end - at);
    const size_t w = DisplayWidth(word);
    if (!line_empty && col + 1 + w > width) {
      out += "\n" + std::string(indent, ' ');
      col = indent;
      line_empty = true;
    }
    if (!line_empty) {
      out += ' ';
      ++col;
    }
    out += word;
    col += w;
    line_empty = false;
    at = end;
  }
  return out + "\n";
}

std::string HelpText(const Command& c) {
  std::string out;
  for (const auto& f : c.forms) {
    std::string_view synopsis = f.synopsis;
    bool first = true;
    while (true) {
      size_t nl = synopsis.find('\n');
      std::string head = std::string(first && &f == &c.forms.front() ? "usage: " : "       ") +
                         "secretgate " + std::string(c.name) +
                         (f.sub.empty() ? "" : " " + std::string(f.sub));
      out +=
          ReplaceAll(Wrap(KeepGroups(synopsis.substr(0, nl)), kWidth, head + " ", head.size() + 1),
                     kNoBreakSpace, " ");
      first = false;
      if (nl == std::string_view::npos) break;
      synopsis.remove_prefix(nl + 1);
    }
  }
  for (const auto& f : c.forms) {
    out += "\n";
    if (HasSubcommands(c)) out += std::string(f.sub) + ":\n";
    out += Paragraphs(f.text, 2);
    for (const auto& o : f.options) {
      std::string label = "  " + OptionLabel(o);
      if (label.size() + 2 <= kOptionColumn) {
        label.resize(kOptionColumn, ' ');
      } else {  // too long to share a line with its text
        label += "\n" + std::string(kOptionColumn, ' ');
      }
      out += Wrap(o.help, kWidth, label, kOptionColumn);
    }
  }
  if (!c.text.empty()) out += "\n" + Paragraphs(c.text, 2);
  out += "\nexit status:\n" + Paragraphs(c.exit_status, 2);
  return out;
}

std::string ProgramHelpText(std::string_view config_path) {
  std::string out = "secretgate " + std::string(build::kVersion) + ": " +
                    std::string(kProgramSummary) + ".\n\n" + Paragraphs(kProgramDescription, 0) +
                    "\nusage: secretgate COMMAND [ARGS]   (secretgate COMMAND --help for details)\n"
                    "\ncommands:\n";
  for (const auto& c : Commands()) {
    std::string name = "  " + std::string(c.name);
    name.resize(16, ' ');
    out += Wrap(c.summary, kWidth, name, 16);
  }
  out += "\nexit status:\n" + Paragraphs(kProgramExitStatus, 2) +
         "\nconfig: " + std::string(config_path) + " (override with SECRETGATE_CONFIG)\n";
  return out;
}

}  // namespace sg::cli
