#pragma once
// The HTTP/1.1 server of the JSON API: Boost.Beast on a small asio thread pool of its own inside the node process,
// in front of api::router (api/routes.hpp). Beast stays in http_server.cpp: this header names none of its types.
//
// What it guarantees (docs/api.md, "Limits"):
// - At most `max_connections` connections are open; a connection accepted beyond that is closed at once.
// - A request's header block over `max_header_bytes` is answered 431 and the connection closed.
// - A client must send a whole request (header and body) within `read_timeout` of starting it, and an idle
//   keep-alive connection is closed after `read_timeout`: slow clients are dropped without an answer.
// - The header is read first: a Content-Length over `max_body_bytes` is answered 413 at once, before any of the
//   body is read; a chunked body is cut off at the same limit (413).
// - A request waits for the router's answer without holding a thread; answers come back through asio::post.
//   Once stop() has begun, late answers are dropped.
//
// Threads: start(), begin_shutdown(), stop() and the destructor are called from one controlling thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "api/routes.hpp"
#include "config/options.hpp"

namespace troupe::api {

struct http_settings {
  std::string listen = "127.0.0.1:8080";          // HOST:PORT; port 0 picks one
  uint32_t max_connections = 256;
  std::chrono::milliseconds read_timeout{10000};  // whole request, header and body
  uint32_t max_header_bytes = 16 * 1024;
  uint64_t max_body_bytes = uint64_t{51} << 20;
  // How long a request waits for the router's answer before the server answers 504 itself. The router's calls
  // to the node have their own, shorter timeout; this only guards against an answer that never comes.
  std::chrono::milliseconds answer_timeout{60000};
  unsigned threads = 2;
};

// The settings of a node's options: httpListen, httpMaxConnections, httpReadTimeoutMs, httpMaxHeaderKB, and a body
// limit of maxJobPayloadSizeMB MiB plus 1 MiB for the JSON around the payload (the spec's other fields, an array
// or {"jobs": [...]}). Several jobs in one request share that limit; each payload is also checked by the node.
http_settings http_settings_of(const node_options& options);

class http_server {
 public:
  // Binds `settings.listen` and starts serving on `settings.threads` threads. Logs one line with the address.
  // Fails (ec::unavailable, naming the address and the reason) when the address cannot be bound.
  static caf::expected<std::unique_ptr<http_server>> start(http_settings settings, std::shared_ptr<router> routes);
  ~http_server();  // stop()
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // HOST:PORT actually bound ("127.0.0.1:41234"; an IPv6 host in brackets).
  const std::string& address() const { return address_; }

  // Every request from now on is answered 503 shutting_down (but /health), and connections close after their
  // answer. Idempotent.
  void begin_shutdown();

  // Stops the threads, then closes the listener and every connection; answers still on their way are dropped.
  // Idempotent.
  void stop();

  struct impl;

 private:
  http_server(std::unique_ptr<impl> impl, std::shared_ptr<router> routes, std::string address);
  std::unique_ptr<impl> impl_;  // null once stopped
  std::shared_ptr<router> routes_;
  std::string address_;
};

}  // namespace troupe::api
