// Structured log events: the one way secretgate writes a line worth parsing. An event has a
// name and ordered fields; log::Setup's format decides how it is written:
//
//   text:  push push_id=3f0c9a1b2c4d5e6f repository=/srv/git/a.git decision="accepted (bypass)"
//          (a value is quoted when it is empty or holds a space, a quote or '='; a list is
//          comma-separated; an object's values are colon-separated)
//   json:  {"time":"2026-12-02T21:17:41.030Z","level":"info","pid":812,"event":"push",...}
//          (one object per line; lists and objects as JSON)
//
// Every string is passed through EscapeControl first (a control character or an invalid UTF-8
// byte becomes \n, \t or \xNN, a backslash \\), in both formats, so that a hostile path or
// ref cannot forge a line and a JSON line is always valid UTF-8. Lines logged with plain
// spdlog calls get the same escaping from log::Setup's formatters. Secrets must arrive redacted
// (util/text.h Redact): the log never sees a whole one. The events and their fields are listed in
// README.md ("Logging").
//
//   log::Event(log::kInfo, "push").Add("push_id", id).Add("findings", n).Emit();
#pragma once

#include <spdlog/common.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace sg::log {

inline constexpr auto kDebug = spdlog::level::debug;
inline constexpr auto kInfo = spdlog::level::info;
inline constexpr auto kWarn = spdlog::level::warn;
inline constexpr auto kError = spdlog::level::err;

// A field's value: a string, number, boolean, null, list or object.
class Value {
 public:
  using Object = std::vector<std::pair<std::string, Value>>;

  Value() = default;                                           // null
  Value(std::string_view s);                                   // NOLINT: implicit by design
  Value(const std::string& s) : Value(std::string_view(s)) {}  // NOLINT
  Value(const char* s) : Value(std::string_view(s)) {}         // NOLINT
  Value(bool b) : kind_(Kind::kBool), bool_(b) {}              // NOLINT
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Value(T v) : kind_(Kind::kNumber), text_(std::to_string(v)) {}                  // NOLINT
  Value(double v);                                                                // NOLINT
  Value(std::vector<Value> list) : kind_(Kind::kList), list_(std::move(list)) {}  // NOLINT
  // A string that has been through EscapeControl already (report::WhereText, Redact), taken as
  // it is so that its backslashes are not doubled. Anything else must use the constructor.
  static Value Escaped(std::string escaped);
  static Value Obj(Object fields);
  static Value Strings(const std::vector<std::string>& items);

  void AppendJson(std::string& out) const;
  // `top`: the value of a field (quoted when needed), not an element of a list or object.
  void AppendText(std::string& out, bool top) const;

 private:
  enum class Kind { kNull, kString, kNumber, kBool, kList, kObject };
  Kind kind_ = Kind::kNull;
  std::string text_;  // a string, escaped for terminals (EscapeControl), or a number's digits
  bool bool_ = false;
  std::vector<Value> list_;
  Object object_;
};

enum class Format { kText, kJson };

// The format events are written in (set by log::Setup; text until then).
Format CurrentFormat();
void SetCurrentFormat(Format f);

class Event {
 public:
  Event(spdlog::level::level_enum level, std::string_view name);
  Event& Add(std::string_view key, Value value);
  // The event in the current format, as Emit writes it without time, level and pid: text, or
  // the JSON object's members without the braces.
  std::string Render() const;
  // Writes the event through spdlog's default logger (nothing below the logger's level).
  void Emit() const;

 private:
  spdlog::level::level_enum level_;
  std::string name_;
  Value::Object fields_;
};

// True on this thread while Event::Emit is writing: the payload the formatters see is a
// rendered event, already escaped. Any other payload is free text, which the formatters escape
// (text) or wrap as a message event (json). Told out of band, never by a marker in the payload,
// so that no logged text can pass for an event.
bool EmittingEvent();

// The JSON members (without braces) of a line logged as free text:
// "event":"message","message":"..." with the text escaped.
std::string MessageFields(std::string_view text);

}  // namespace sg::log
