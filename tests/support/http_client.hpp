#pragma once
// A synchronous HTTP/1.1 client for tests (Boost.Beast): one request on a fresh connection, answered within a
// deadline. Used to talk to chromedriver (tests/support/webdriver.hpp) and to a node's API without spawning
// curl. Never throws: a connection that fails or times out comes back with status 0 and `error` set.

#include <chrono>
#include <string>

namespace troupe::test {

struct http_result {
  unsigned status = 0;     // 0: no answer (see error)
  std::string body = {};
  std::string error = {};  // why there is no answer
  // "HTTP 200: {...}" or "no answer: ...", for failure messages (the body cut at 500 bytes).
  std::string describe() const;
};

// `address`: "HOST:PORT" (an IPv4 address). `authorization`: the Authorization header's value, "" for none.
// A body is sent as application/json.
http_result http_call(const std::string& address, const std::string& method, const std::string& target,
                      const std::string& body = "", const std::string& authorization = "",
                      std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace troupe::test
