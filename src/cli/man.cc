// The man pages, rendered in roff (man(7)) from the command table and the config key table.
#include <string>
#include <string_view>

#include "build_config.h"
#include "cli/help.h"
#include "config/config.h"

namespace sg::cli {
namespace {

// Text for roff: backslashes and hyphens escaped (so options copy as ASCII minus signs),
// `code` in bold, and a line that would start with a control character protected.
std::string Roff(std::string_view text) {
  std::string out;
  bool bold = false;
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\e";
        break;
      case '-':
        out += "\\-";
        break;
      case '`':
        out += bold ? "\\fR" : "\\fB";
        bold = !bold;
        break;
      case '\n':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  if (bold) out += "\\fR";
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return out;
}

std::string Title(std::string_view page, std::string_view version, std::string_view date) {
  return ".TH " + Roff(Upper(page)) + " 1 \"" + std::string(date) + "\" \"secretgate " +
         std::string(version) + "\" \"secretgate manual\"\n";
}

std::string ParagraphsRoff(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    size_t end = text.find("\n\n");
    out += ".PP\n" + Roff(text.substr(0, end)) + "\n";
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 2);
  }
  return out;
}

std::string OptionTag(const OptionHelp& o) {
  std::string tag = "\\fB\\-\\-" + Roff(o.name) + "\\fR";
  if (!o.value.empty()) tag += " \\fI" + Roff(o.value) + "\\fR";
  return tag;
}

std::string Synopsis(const Command& c) {
  std::string out = ".SH SYNOPSIS\n";
  for (const auto& f : c.forms) {
    std::string_view synopsis = f.synopsis;
    while (true) {
      size_t nl = synopsis.find('\n');
      std::string name = "secretgate " + std::string(c.name);
      if (!f.sub.empty()) name += " " + std::string(f.sub);
      out += ".SY \"" + Roff(name) + "\"\n";
      std::string_view line = synopsis.substr(0, nl);
      if (!line.empty()) out += ReplaceAll(Roff(KeepGroups(line)), kNoBreakSpace, "\\ ") + "\n";
      out += ".YS\n";
      if (nl == std::string_view::npos) break;
      synopsis.remove_prefix(nl + 1);
    }
  }
  return out;
}

std::string SeeAlso(std::string_view except) {
  std::string out = ".SH SEE ALSO\n";
  std::string list = except == "" ? "" : "\\fBsecretgate\\fR(1)";
  for (const auto& c : Commands()) {
    if (c.name == except) continue;
    if (!list.empty()) list += ", ";
    list += "\\fBsecretgate\\-" + Roff(c.name) + "\\fR(1)";
  }
  return out + list + ", \\fBgithooks\\fR(5)\n";
}

}  // namespace

std::string ManPage(const Command& c, std::string_view version, std::string_view date) {
  const std::string page = "secretgate-" + std::string(c.name);
  std::string out = Title(page, version, date);
  out += ".SH NAME\n" + Roff(page) + " \\- " + Roff(c.summary) + "\n";
  out += Synopsis(c);
  out += ".SH DESCRIPTION\n";
  for (const auto& f : c.forms) {
    if (!f.sub.empty()) {
      out += ".SS \"secretgate " + Roff(c.name) + " " + Roff(f.sub) + "\"\n";
    }
    out += ParagraphsRoff(f.text);
    for (const auto& o : f.options) out += ".TP\n" + OptionTag(o) + "\n" + Roff(o.help) + "\n";
  }
  if (!c.text.empty()) out += ".SS Notes\n" + ParagraphsRoff(c.text);
  out += ".SH \"EXIT STATUS\"\n" + ParagraphsRoff(c.exit_status);
  out += SeeAlso(c.name);
  return out;
}

std::string ProgramManPage(std::string_view version, std::string_view date) {
  std::string out = Title("secretgate", version, date);
  out += ".SH NAME\nsecretgate \\- " + Roff(kProgramSummary) + "\n";
  out +=
      ".SH SYNOPSIS\n.SY secretgate\n\\fICOMMAND\\fR [\\fIARGS\\fR]\n.YS\n"
      ".SY secretgate\n\\fICOMMAND\\fR \\fB\\-\\-help\\fR\n.YS\n";
  out += ".SH DESCRIPTION\n" + ParagraphsRoff(kProgramDescription);
  out += ".SH COMMANDS\n";
  for (const auto& c : Commands()) {
    out += ".TP\n\\fB" + Roff(c.name) + "\\fR\n" + Roff(c.summary) + "; see \\fBsecretgate\\-" +
           Roff(c.name) + "\\fR(1).\n";
  }
  out += ".SH \"EXIT STATUS\"\n" + ParagraphsRoff(kProgramExitStatus);
  out += ".SH CONFIGURATION\n" + ParagraphsRoff(kProgramConfiguration);
  for (const auto& k : config::Keys()) {
    out += ".TP\n\\fB" + Roff(k.toml) + "\\fR (git config \\fB" + Roff(k.git) + "\\fR; default " +
           Roff(k.def) + ")\n" + Roff(k.help) + "\n";
  }
  out +=
      ".SH ENVIRONMENT\n.TP\n\\fBSECRETGATE_CONFIG\\fR\nThe config file to read instead of "
      "/etc/secretgate/config.toml; it must exist.\n";
  out += ".SH FILES\n";
  const std::pair<std::string, std::string_view> files[] = {
      {"/etc/secretgate/config.toml", "The config file (all defaults when it is missing)."},
      {std::string(build::kDataDir) + "/rules", "The rule pack loaded when `rules` names none."},
      {std::string(config::kSystemCacheDir), "Compiled rule databases, shared by every hook."},
      {"GIT_DIR/secretgate/", "A repository's alert store, scan-debt queue and log."},
  };
  for (const auto& [path, what] : files) out += ".TP\n" + Roff(path) + "\n" + Roff(what) + "\n";
  out += SeeAlso("");
  return out;
}

}  // namespace sg::cli
