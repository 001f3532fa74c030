// One error vocabulary for secretgate (modelled on LevelDB's Status).
//
// A Status is either ok or carries a code and a message that names what failed and where
// ("rules/aws.toml:12: regex does not compile: ..."). Result<T> holds a T or a non-ok Status.
// No exception crosses a module boundary: code that calls a throwing library catches at the
// call site and returns a Status.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sg {

enum class Code {
  kOk = 0,
  kNotFound,    // a named thing does not exist (alert number, file, object)
  kInvalid,     // bad input from a user: config, rules, stdin, arguments
  kCorruption,  // on-disk data failed a checksum or parse
  kIOError,     // the operating system said no
  kInternal,    // a library failed (libgit2, Hyperscan, PCRE2)
  kConflict,    // the operation does not apply to the current state (closing a closed alert)
  kPermission,  // not allowed for this caller (a read-only store; root on another user's store)
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status Invalid(std::string msg) { return Status(Code::kInvalid, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }
  static Status Conflict(std::string msg) { return Status(Code::kConflict, std::move(msg)); }
  static Status Permission(std::string msg) { return Status(Code::kPermission, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "<context>: <message>".
  Status WithContext(std::string_view context) const {
    if (ok()) return *this;
    return Status(code_, std::string(context) + ": " + message_);
  }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Holds a value or the Status that explains why there is none. Never holds an ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace sg

// Returns from the enclosing function when `expr` (a Status) is not ok.
#define SG_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::sg::Status sg_status_ = (expr);        \
    if (!sg_status_.ok()) return sg_status_; \
  } while (0)
