#pragma once
// The result of a storage operation, as LevelDB's Status: ok, not found (a normal answer, not a failure), or a
// failure with a message. Returned by every fallible call in storage/; callers must look at it.

#include <string>
#include <utility>

namespace troupe::storage {

class [[nodiscard]] status {
 public:
  enum class code { ok, not_found, corruption, io_error, invalid_argument };

  status() = default;
  static status ok() { return {}; }
  static status not_found(std::string msg) { return {code::not_found, std::move(msg)}; }
  static status corruption(std::string msg) { return {code::corruption, std::move(msg)}; }
  static status io_error(std::string msg) { return {code::io_error, std::move(msg)}; }
  static status invalid_argument(std::string msg) { return {code::invalid_argument, std::move(msg)}; }

  bool is_ok() const { return code_ == code::ok; }
  bool is_not_found() const { return code_ == code::not_found; }
  code error_code() const { return code_; }
  const std::string& message() const { return message_; }
  explicit operator bool() const { return is_ok(); }

 private:
  status(code c, std::string msg) : code_(c), message_(std::move(msg)) {}
  code code_ = code::ok;
  std::string message_;
};

}  // namespace troupe::storage
