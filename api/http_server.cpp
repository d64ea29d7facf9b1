// The only translation unit with Boost.Beast in it (each one costs ~20 s and 800 MB to compile).

#include "api/http_server.hpp"

#include <array>
#include <atomic>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

namespace troupe::api {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

// Longest a connection closed with an unread request keeps reading (and discarding) before it closes.
constexpr std::chrono::milliseconds max_linger{2000};

// Lets answers from other threads (the router's node calls) reach connections only while the io_context runs:
// stop() closes it before it stops the io_context, so nothing is posted to an io_context that is gone.
struct post_gate {
  std::mutex mutex;
  bool open = true;
};

// What every connection of one server shares.
struct shared_state {
  http_settings settings;
  std::shared_ptr<router> routes;
  std::shared_ptr<post_gate> gate = std::make_shared<post_gate>();
  std::atomic<uint32_t> connections{0};
};

std::string format_endpoint(const tcp::endpoint& endpoint) {
  auto address = endpoint.address();
  auto host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

// One client connection: reads a request (header first, then the body), hands it to the router, writes the
// answer, and reads the next one while the client keeps the connection alive. Lives on its own strand; kept
// alive by its pending asio operation (a read, a write, or the timer that bounds the wait for an answer).
class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(tcp::socket socket, std::shared_ptr<shared_state> state)
      : stream_(std::move(socket)), answer_timer_(stream_.get_executor()), state_(std::move(state)) {}
  ~connection() { --state_->connections; }

  void start() {
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&connection::read_header, shared_from_this()));
  }

 private:
  const http_settings& settings() const { return state_->settings; }

  void read_header() {
    header_parser_.emplace();
    header_parser_->header_limit(settings().max_header_bytes);
    // on_header checks Content-Length itself, to answer 413 naming it. (Not boost::none: Beast 1.74 compares the
    // length with the optional limit, and every length is greater than none.)
    header_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(settings().read_timeout);  // covers the header and the body
    http::async_read_header(stream_, buffer_, *header_parser_,
                            beast::bind_front_handler(&connection::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, size_t) {
    if (ec == http::error::header_limit)
      return fail(431, "invalid_argument", "the request header is over httpMaxHeaderKB (" +
                                               std::to_string(settings().max_header_bytes / 1024) + " KiB)");
    if (ec) return read_failed(ec);
    const auto& request = header_parser_->get();
    version_ = request.version();
    keep_alive_ = request.keep_alive();
    method_ = std::string{request.method_string()};
    target_ = std::string{request.target()};
    started_ = steady::now();
    if (auto length = header_parser_->content_length(); length && *length > settings().max_body_bytes)
      return too_large(*length);
    body_parser_.emplace(std::move(*header_parser_));
    header_parser_.reset();
    body_parser_->body_limit(settings().max_body_bytes);
    auto expect = body_parser_->get()[http::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      // The client waits for this before it sends the body (curl does for bodies over 1 MiB).
      continue_ = http::response<http::empty_body>{http::status::continue_, version_};
      http::async_write(stream_, continue_, [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *body_parser_,
                     beast::bind_front_handler(&connection::on_body, shared_from_this()));
  }

  void on_body(beast::error_code ec, size_t) {
    if (ec == http::error::body_limit) return too_large(0);
    if (ec) return read_failed(ec);
    stream_.expires_never();  // the node may take a while; the answer timer bounds the wait
    auto& message = body_parser_->get();
    http_request request{method_, target_, std::string{message[http::field::authorization]},
                         std::move(message.body())};
    body_parser_.reset();
    auto seq = ++request_seq_;
    waiting_ = true;
    answer_timer_.expires_after(settings().answer_timeout);
    answer_timer_.async_wait([self = shared_from_this(), seq](beast::error_code ec) {
      if (!ec)
        self->answer(seq, error_response(504, "timeout", "no answer within " +
                                                             std::to_string(self->settings().answer_timeout.count()) +
                                                             " ms"));
    });
    auto deliver = [gate = state_->gate, weak = weak_from_this(), seq](http_response response) {
      std::lock_guard<std::mutex> lock{gate->mutex};
      if (!gate->open) return;
      if (auto self = weak.lock())
        asio::post(self->stream_.get_executor(), [self, seq, response = std::move(response)]() mutable {
          self->answer(seq, std::move(response));
        });
    };
    state_->routes->handle(std::move(request), std::move(deliver));
  }

  // The router's answer (or the server's 504) to request `seq`, on the strand.
  void answer(uint64_t seq, http_response response) {
    if (!waiting_ || seq != request_seq_) return;  // the 504 went out first
    waiting_ = false;
    answer_timer_.cancel();
    spdlog::debug("HTTP {} {} -> {} ({} ms)", method_, target_, response.status,
                  std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started_).count());
    write(std::move(response), keep_alive_ && !state_->routes->shutting_down());
  }

  void write(http_response response, bool keep_alive) {
    response_ = {};
    response_.version(version_ == 0 ? 11 : version_);
    response_.result(response.status);
    response_.set(http::field::server, "troupe");
    response_.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) response_.set(name, value);
    response_.keep_alive(keep_alive);
    bool json = response.content_type == "application/json";
    response_.body() = std::move(response.body);
    if (json) response_.body() += '\n';
    response_.prepare_payload();
    stream_.expires_after(settings().read_timeout);  // a client that does not take its answer is dropped too
    http::async_write(stream_, response_, [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
      if (ec) return self->close();
      if (!keep_alive) return self->unread_ ? self->linger() : self->close();
      self->read_header();
    });
  }

  // An answer from the server itself, after which the connection closes (the rest of the request is not read).
  void fail(unsigned status, std::string_view code, std::string message) {
    spdlog::debug("HTTP {} {} -> {} ({})", method_, target_, status, message);
    unread_ = true;
    write(error_response(status, code, message), false);
  }

  // Closes a connection whose request was not read to its end: first the sending side, then, for a short while,
  // reads and discards what the client still sends. Closing at once with unread data would reset the connection,
  // and the client could lose the answer it has not read yet (a 413 while it still uploads).
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::min(settings().read_timeout, max_linger));
    discard();
  }

  void discard() {
    stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->close();  // the client closed, or the linger time is over
      self->discard();
    });
  }

  void too_large(uint64_t length) {
    auto limit = std::to_string(settings().max_body_bytes) + " bytes (maxJobPayloadSizeMB + 1 MiB)";
    fail(413, "payload_too_large",
         length > 0 ? "the request body of " + std::to_string(length) + " bytes is over " + limit
                    : "the request body is over " + limit);
  }

  void read_failed(beast::error_code ec) {
    // A malformed request is answered 400; a closed connection, a dropped slow client or a reset is not answered.
    bool malformed = ec.category() == http::make_error_code(http::error::bad_target).category() &&
                     ec != http::error::end_of_stream && ec != http::error::partial_message;
    if (malformed) return fail(400, "invalid_argument", "malformed HTTP request: " + ec.message());
    if (ec == beast::error::timeout)
      spdlog::debug("HTTP connection dropped: no whole request within {} ms", settings().read_timeout.count());
    close();
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  asio::steady_timer answer_timer_;
  std::shared_ptr<shared_state> state_;
  std::optional<http::request_parser<http::empty_body>> header_parser_;
  std::optional<http::request_parser<http::string_body>> body_parser_;
  http::response<http::empty_body> continue_;
  http::response<http::string_body> response_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool waiting_ = false;    // for the answer to request number request_seq_
  uint64_t request_seq_ = 0;
  bool unread_ = false;  // the server answered before the request was read to its end
  std::array<char, 4096> scratch_{};
  std::string method_, target_;
  steady::time_point started_;
};

// HOST:PORT (an IPv6 host in brackets) as an endpoint; a host name is resolved.
caf::expected<tcp::endpoint> endpoint_of(asio::io_context& ioc, const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return make_error(ec::invalid_argument, "'" + listen + "' is not HOST:PORT");
  auto host = listen.substr(0, colon);
  auto port_text = listen.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned long port = 0;
  try {
    size_t used = 0;
    port = std::stoul(port_text, &used);
    if (used != port_text.size() || port > 65535) throw std::out_of_range{"port"};
  } catch (const std::exception&) {
    return make_error(ec::invalid_argument, "'" + listen + "': the port must be a number from 0 to 65535");
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint{address, static_cast<uint16_t>(port)};
  tcp::resolver resolver{ioc};
  auto results = resolver.resolve(host, port_text, ec);
  if (ec || results.empty())
    return make_error(ec::unavailable, "cannot listen on " + listen + ": cannot resolve '" + host + "' (" +
                                           ec.message() + ")");
  return results.begin()->endpoint();
}

}  // namespace

struct http_server::impl {
  asio::io_context ioc;  // first: destroyed last, after everything that uses it
  std::shared_ptr<shared_state> state = std::make_shared<shared_state>();
  tcp::acceptor acceptor{ioc};
  asio::steady_timer retry_timer{ioc};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;

  // Stops the threads; destroying the impl then closes the listener and every connection.
  ~impl() {
    {
      std::lock_guard<std::mutex> lock{state->gate->mutex};
      state->gate->open = false;
    }
    work.reset();
    ioc.stop();
    for (auto& t : threads) t.join();
  }

  void accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) {
        // Out of file descriptors and the like: try again shortly rather than spin.
        spdlog::warn("HTTP API: accept failed: {}", ec.message());
        retry_timer.expires_after(std::chrono::milliseconds{100});
        retry_timer.async_wait([this](beast::error_code ec) {
          if (!ec) accept();
        });
        return;
      }
      if (state->connections.load() >= state->settings.max_connections) {
        socket.close(ec);  // over httpMaxConnections: closed at once
      } else {
        ++state->connections;
        std::make_shared<connection>(std::move(socket), state)->start();
      }
      accept();
    });
  }

  void run() {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("HTTP API: {}", e.what());
      }
    }
  }
};

http_settings http_settings_of(const node_options& options) {
  http_settings s;
  s.listen = options.httpListen;
  s.max_connections = options.httpMaxConnections;
  s.read_timeout = std::chrono::milliseconds{options.httpReadTimeoutMs};
  s.max_header_bytes = options.httpMaxHeaderKB * 1024;
  s.max_body_bytes = (uint64_t{options.maxJobPayloadSizeMB} + 1) << 20;
  return s;
}

caf::expected<std::unique_ptr<http_server>> http_server::start(http_settings settings,
                                                               std::shared_ptr<router> routes) {
  auto i = std::make_unique<impl>();
  auto endpoint = endpoint_of(i->ioc, settings.listen);
  if (!endpoint) return endpoint.error();
  beast::error_code ec;
  auto failed = [&](const char* what) {
    return make_error(ec::unavailable, "cannot listen on " + settings.listen + " for the HTTP API: " + what + ": " +
                                           ec.message());
  };
  if (i->acceptor.open(endpoint->protocol(), ec); ec) return failed("open");
  if (i->acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) return failed("set_option");
  if (i->acceptor.bind(*endpoint, ec); ec) return failed("bind");
  if (i->acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) return failed("listen");
  auto local = i->acceptor.local_endpoint(ec);
  if (ec) return failed("local_endpoint");
  i->state->settings = std::move(settings);
  i->state->routes = routes;
  i->work.emplace(i->ioc.get_executor());
  i->accept();
  auto threads = std::max(1u, i->state->settings.threads);
  for (unsigned n = 0; n < threads; ++n) i->threads.emplace_back([p = i.get()] { p->run(); });
  std::unique_ptr<http_server> server{new http_server{std::move(i), std::move(routes), format_endpoint(local)}};
  const auto& s = server->impl_->state->settings;
  spdlog::info("HTTP API listening on {} ({} threads, at most {} connections, {} ms per request, body up to {} "
               "MiB)", server->address_, threads, s.max_connections, s.read_timeout.count(), s.max_body_bytes >> 20);
  return server;
}

http_server::http_server(std::unique_ptr<impl> impl, std::shared_ptr<router> routes, std::string address)
    : impl_(std::move(impl)), routes_(std::move(routes)), address_(std::move(address)) {}

http_server::~http_server() { stop(); }

void http_server::begin_shutdown() { routes_->begin_shutdown(); }

void http_server::stop() {
  if (!impl_) return;
  impl_.reset();
  spdlog::info("HTTP API stopped");
}

}  // namespace troupe::api
