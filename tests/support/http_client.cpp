#include "support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace troupe::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

std::string http_result::describe() const {
  if (status == 0) return "no answer: " + error;
  return "HTTP " + std::to_string(status) + ": " + (body.size() > 500 ? body.substr(0, 500) + "..." : body);
}

http_result http_call(const std::string& address, const std::string& method, const std::string& target,
                      const std::string& body, const std::string& authorization, std::chrono::milliseconds timeout) {
  http_result result;
  auto colon = address.rfind(':');
  beast::error_code ec;
  auto ip = net::ip::make_address(address.substr(0, colon), ec);
  if (colon == std::string::npos || ec) {
    result.error = "bad address '" + address + "'";
    return result;
  }
  tcp::endpoint endpoint{ip, static_cast<unsigned short>(std::stoi(address.substr(colon + 1)))};

  net::io_context io;
  beast::tcp_stream stream{io};
  http::request<http::string_body> request{http::string_to_verb(method), target, 11};
  request.set(http::field::host, address);
  request.set(http::field::connection, "close");
  if (!authorization.empty()) request.set(http::field::authorization, authorization);
  if (!body.empty()) request.set(http::field::content_type, "application/json");
  request.body() = body;
  request.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 * 1024 * 1024);  // screenshots are a few MB of base64

  auto fail = [&](const char* step, beast::error_code e) { result.error = std::string{step} + ": " + e.message(); };
  stream.expires_after(timeout);  // the whole exchange
  stream.async_connect(endpoint, [&](beast::error_code e) {
    if (e) return fail("connect", e);
    http::async_write(stream, request, [&](beast::error_code e, size_t) {
      if (e) return fail("write", e);
      http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) {
        if (e) return fail("read", e);
        result.status = parser.get().result_int();
        result.body = std::move(parser.get().body());
      });
    });
  });
  io.run();
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return result;
}

}  // namespace troupe::test
