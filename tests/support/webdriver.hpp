#pragma once
// A real headless Chromium driven over the W3C WebDriver protocol (https://www.w3.org/TR/webdriver2/), for
// tests of the web dashboard: the test starts Debian's chromedriver on a free port, waits for its /status,
// opens one session with Debian's chromium, and talks JSON over HTTP (support/http_client.hpp). JSON values are
// google::protobuf::Value.
//
// Missing programs fail the test case naming the Debian package to install (chromium, chromium-driver); they are
// never skipped. The destructor closes the session (Chromium exits) and kills chromedriver. Test thread only.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <google/protobuf/struct.pb.h>

#include "support/process.hpp"

namespace troupe::test {

// What a WebDriver command answered: its `value`, or the W3C error ("no such element", "stale element
// reference", ...) with its message.
struct webdriver_answer {
  bool ok = false;
  google::protobuf::Value value = {};
  std::string error = {};    // empty when ok
  std::string message = {};
  std::string describe() const { return ok ? "ok" : error + ": " + message; }
};

class webdriver_session {
 public:
  // Starts chromedriver and a session of headless Chromium with `chrome_args` (--headless=new, ...).
  // Chromium: $TROUPE_CHROMIUM, else /usr/lib/chromium/chromium, else /usr/bin/chromium; chromedriver:
  // $TROUPE_CHROMEDRIVER, else /usr/bin/chromedriver. Startup fails the test case after `timeout`.
  explicit webdriver_session(const std::vector<std::string>& chrome_args,
                             std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~webdriver_session();
  webdriver_session(const webdriver_session&) = delete;
  webdriver_session& operator=(const webdriver_session&) = delete;

  // One command of this session: `path` after /session/{id} ("/url"), `body` JSON ("" for a GET).
  webdriver_answer command(const std::string& method, const std::string& path, const std::string& body = "");

  // These fail the test case when the browser answers an error.
  void navigate(const std::string& url);
  // Runs `script` (a function body; `arguments` are not used) in the page and returns what it returns.
  google::protobuf::Value execute(const std::string& script);
  // The element id of the first match of the CSS selector, nullopt when none.
  std::optional<std::string> find(const std::string& css);
  // Clicks an element as a user would (scrolled into view; fails if something covers it).
  webdriver_answer click(const std::string& element);
  void type(const std::string& element, const std::string& text);
  // A PNG of the window.
  std::string screenshot_png();

 private:
  std::string driver_address_;
  std::string session_;
  std::unique_ptr<child_process> driver_;
};

// The JSON text of a string, quoted and escaped (for request bodies).
std::string json_quote(const std::string& text);

}  // namespace troupe::test
