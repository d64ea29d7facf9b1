#include "support/webdriver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <boost/beast/core/detail/base64.hpp>
#include <boost/test/unit_test.hpp>
#include <google/protobuf/util/json_util.h>

#include "support/http_client.hpp"

namespace troupe::test {

namespace {

// The W3C element reference key.
constexpr const char* element_key = "element-6066-11e4-a52e-4f735466cecf";

std::string program(const char* env, std::vector<std::string> candidates, const std::string& package) {
  if (const char* path = std::getenv(env); path != nullptr && *path != '\0')
    candidates.insert(candidates.begin(), path);
  for (const auto& path : candidates)
    if (::access(path.c_str(), X_OK) == 0) return path;
  BOOST_FAIL("the browser test needs " << candidates.back() << ", which is not installed: install Debian's '"
                                       << package << "' package (apt-get install " << package
                                       << "; scripts/bootstrap.sh does), or set " << env);
  return "";
}

// A TCP port on 127.0.0.1 that is free now (the kernel picks it; chromedriver binds it right after).
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  socklen_t length = sizeof addr;
  bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0;
  if (fd >= 0) ::close(fd);
  BOOST_REQUIRE_MESSAGE(ok, "no free TCP port on 127.0.0.1");
  return ntohs(addr.sin_port);
}

webdriver_answer parse_answer(const http_result& http) {
  webdriver_answer answer;
  google::protobuf::Struct root;
  if (http.status == 0 || !google::protobuf::util::JsonStringToMessage(http.body, &root).ok()) {
    answer.error = "no WebDriver answer";
    answer.message = http.describe();
    return answer;
  }
  auto value = root.fields().find("value");
  if (value != root.fields().end()) answer.value = value->second;
  answer.ok = http.status == 200;
  if (!answer.ok) {
    const auto& fields = answer.value.struct_value().fields();
    auto error = fields.find("error");
    auto message = fields.find("message");
    answer.error = error != fields.end() ? error->second.string_value() : "HTTP " + std::to_string(http.status);
    answer.message = message != fields.end() ? message->second.string_value().substr(0, 600) : http.body;
  }
  return answer;
}

}  // namespace

std::string json_quote(const std::string& text) {
  google::protobuf::Value value;
  value.set_string_value(text);
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(value, &out);
  return out;
}

webdriver_session::webdriver_session(const std::vector<std::string>& chrome_args, std::chrono::milliseconds timeout) {
  auto chromium = program("TROUPE_CHROMIUM", {"/usr/lib/chromium/chromium", "/usr/bin/chromium"}, "chromium");
  auto chromedriver = program("TROUPE_CHROMEDRIVER", {"/usr/bin/chromedriver"}, "chromium-driver");
  auto port = free_port();
  driver_address_ = "127.0.0.1:" + std::to_string(port);
  driver_ = std::make_unique<child_process>(
      std::vector<std::string>{chromedriver, "--port=" + std::to_string(port), "--allowed-ips=127.0.0.1"});
  wait_until(
      [&] {
        BOOST_REQUIRE_MESSAGE(driver_->running(), "chromedriver exited: " << driver_->err() << driver_->out());
        auto status = parse_answer(http_call(driver_address_, "GET", "/status", "", "", std::chrono::seconds(2)));
        const auto& fields = status.value.struct_value().fields();
        auto ready = fields.find("ready");
        return status.ok && ready != fields.end() && ready->second.bool_value();
      },
      timeout, "chromedriver on " + driver_address_ + " is ready (GET /status)", std::chrono::milliseconds(50));

  std::string args;
  for (const auto& a : chrome_args) args += (args.empty() ? "" : ",") + json_quote(a);
  auto body = R"({"capabilities":{"alwaysMatch":{"browserName":"chrome","goog:chromeOptions":{"binary":)" +
              json_quote(chromium) + R"(,"args":[)" + args + "]}}}}";
  auto created = parse_answer(http_call(driver_address_, "POST", "/session", body, "", timeout));
  BOOST_REQUIRE_MESSAGE(created.ok, "a Chromium session (" << chromium << "): " << created.describe());
  session_ = created.value.struct_value().fields().at("sessionId").string_value();
  BOOST_TEST_MESSAGE("WebDriver session " << session_ << " (" << chromium << ") on " << driver_address_);
}

webdriver_session::~webdriver_session() {
  if (!session_.empty())  // Chromium exits with its session; chromedriver does not outlive the test either
    http_call(driver_address_, "DELETE", "/session/" + session_, "", "", std::chrono::seconds(10));
  if (driver_) driver_->kill();
}

webdriver_answer webdriver_session::command(const std::string& method, const std::string& path,
                                            const std::string& body) {
  return parse_answer(http_call(driver_address_, method, "/session/" + session_ + path,
                                body.empty() && method == "POST" ? "{}" : body));
}

void webdriver_session::navigate(const std::string& url) {
  auto answer = command("POST", "/url", R"({"url":)" + json_quote(url) + "}");
  BOOST_REQUIRE_MESSAGE(answer.ok, "navigate to " << url << ": " << answer.describe());
}

google::protobuf::Value webdriver_session::execute(const std::string& script) {
  auto answer = command("POST", "/execute/sync", R"({"script":)" + json_quote(script) + R"(,"args":[]})");
  BOOST_REQUIRE_MESSAGE(answer.ok, "script '" << script << "': " << answer.describe());
  return answer.value;
}

std::optional<std::string> webdriver_session::find(const std::string& css) {
  auto answer = command("POST", "/element", R"({"using":"css selector","value":)" + json_quote(css) + "}");
  if (!answer.ok && answer.error == "no such element") return std::nullopt;
  BOOST_REQUIRE_MESSAGE(answer.ok, "find '" << css << "': " << answer.describe());
  const auto& fields = answer.value.struct_value().fields();
  auto element = fields.find(element_key);
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(answer.value, &json);
  BOOST_REQUIRE_MESSAGE(element != fields.end(), "find '" << css << "' answered no element reference: " << json);
  return element->second.string_value();
}

webdriver_answer webdriver_session::click(const std::string& element) {
  return command("POST", "/element/" + element + "/click");
}

void webdriver_session::type(const std::string& element, const std::string& text) {
  auto answer = command("POST", "/element/" + element + "/value", R"({"text":)" + json_quote(text) + "}");
  BOOST_REQUIRE_MESSAGE(answer.ok, "type into " << element << ": " << answer.describe());
}

std::string webdriver_session::screenshot_png() {
  auto answer = command("GET", "/screenshot");
  BOOST_REQUIRE_MESSAGE(answer.ok, "screenshot: " << answer.describe());
  const auto& text = answer.value.string_value();
  std::string png(boost::beast::detail::base64::decoded_size(text.size()), '\0');
  auto [written, read] = boost::beast::detail::base64::decode(png.data(), text.data(), text.size());
  png.resize(written);
  return png;
}

}  // namespace troupe::test
