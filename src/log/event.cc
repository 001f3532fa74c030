#include "log/event.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cmath>
#include <cstdio>

#include "util/text.h"

namespace sg::log {
namespace {

std::atomic<Format> g_format{Format::kText};
thread_local bool t_emitting = false;

// A text value needs quotes when a parser splitting on spaces and '=' would cut it.
bool NeedsQuotes(std::string_view s) {
  return s.empty() || s.find_first_of(" \t\"=") != std::string_view::npos;
}

// `s` in double quotes with `"` and `\` escaped: a JSON string, and a quoted text value. Only
// these two need it: EscapeControl has already made every control character visible text.
void AppendQuoted(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

}  // namespace

Value::Value(std::string_view s) : kind_(Kind::kString), text_(EscapeControl(s)) {}

Value::Value(double v) : kind_(Kind::kNumber) {
  if (!std::isfinite(v)) {
    kind_ = Kind::kNull;
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  text_ = buf;
}

Value Value::Escaped(std::string escaped) {
  Value v;
  v.kind_ = Kind::kString;
  v.text_ = std::move(escaped);
  return v;
}

Value Value::Obj(Object fields) {
  Value v;
  v.kind_ = Kind::kObject;
  v.object_ = std::move(fields);
  return v;
}

Value Value::Strings(const std::vector<std::string>& items) {
  std::vector<Value> list;
  list.reserve(items.size());
  for (const auto& i : items) list.emplace_back(i);
  return Value(std::move(list));
}

void Value::AppendJson(std::string& out) const {
  switch (kind_) {
    case Kind::kNull:
      out += "null";
      break;
    case Kind::kString:
      AppendQuoted(out, text_);
      break;
    case Kind::kNumber:
      out += text_;
      break;
    case Kind::kBool:
      out += bool_ ? "true" : "false";
      break;
    case Kind::kList:
      out += '[';
      for (size_t i = 0; i < list_.size(); ++i) {
        if (i) out += ',';
        list_[i].AppendJson(out);
      }
      out += ']';
      break;
    case Kind::kObject:
      out += '{';
      for (size_t i = 0; i < object_.size(); ++i) {
        if (i) out += ',';
        AppendQuoted(out, object_[i].first);
        out += ':';
        object_[i].second.AppendJson(out);
      }
      out += '}';
      break;
  }
}

void Value::AppendText(std::string& out, bool top) const {
  std::string flat;
  switch (kind_) {
    case Kind::kNull:
      flat = "-";
      break;
    case Kind::kString:
      flat = text_;
      break;
    case Kind::kNumber:
      flat = text_;
      break;
    case Kind::kBool:
      flat = bool_ ? "true" : "false";
      break;
    case Kind::kList:
      for (size_t i = 0; i < list_.size(); ++i) {
        if (i) flat += ',';
        list_[i].AppendText(flat, false);
      }
      break;
    case Kind::kObject:
      for (size_t i = 0; i < object_.size(); ++i) {
        if (i) flat += ':';
        object_[i].second.AppendText(flat, false);
      }
      break;
  }
  if (top && NeedsQuotes(flat)) {
    AppendQuoted(out, flat);
  } else {
    out += flat;
  }
}

Format CurrentFormat() { return g_format.load(std::memory_order_relaxed); }
void SetCurrentFormat(Format f) { g_format.store(f, std::memory_order_relaxed); }

Event::Event(spdlog::level::level_enum level, std::string_view name)
    : level_(level), name_(EscapeControl(name)) {}

Event& Event::Add(std::string_view key, Value value) {
  fields_.emplace_back(std::string(key), std::move(value));
  return *this;
}

std::string Event::Render() const {
  std::string out;
  if (CurrentFormat() == Format::kJson) {
    out += "\"event\":";
    AppendQuoted(out, name_);
    for (const auto& [key, value] : fields_) {
      out += ',';
      AppendQuoted(out, key);
      out += ':';
      value.AppendJson(out);
    }
    return out;
  }
  out = name_;
  for (const auto& [key, value] : fields_) {
    out += ' ';
    out += key;
    out += '=';
    value.AppendText(out, true);
  }
  return out;
}

std::string MessageFields(std::string_view text) {
  std::string out = "\"event\":\"message\",\"message\":";
  AppendQuoted(out, EscapeControl(text));
  return out;
}

bool EmittingEvent() { return t_emitting; }

void Event::Emit() const {
  auto logger = spdlog::default_logger_raw();
  if (!logger || !logger->should_log(level_)) return;
  // The logger is synchronous: its sinks format the line on this thread, inside log().
  t_emitting = true;
  logger->log(level_, "{}", Render());
  t_emitting = false;
}

}  // namespace sg::log
