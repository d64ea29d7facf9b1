#pragma once
// The HTTP/JSON API's routes, free of any HTTP library: a request (method, target, Authorization header, body)
// becomes calls to the node (api/node_api.hpp) and one response (status, JSON body, a few headers). docs/api.md
// lists every endpoint; JSON is Protobuf's JSON mapping of the messages in schemas/troupe.proto.
//
// - /health, /ready and the dashboard's files (/ and /assets/NAME, api/dashboard_assets.hpp) need no token;
//   every other endpoint needs `Authorization: Bearer NAME.SECRET`, which is handed to the node unchecked: the
//   node authenticates and authorizes (a route refuses only a missing or non-Bearer header, with 401).
// - Errors are ApiError JSON, {"error": {"code": "...", "message": "..."}}, with the status of status_of(code).
// - After begin_shutdown() every request but /health is answered 503 shutting_down.
//
// Threads: handle() may be called from any thread and returns without waiting for the node; `done` is called
// exactly once, on the calling thread or on whichever thread the node's answer arrives (node_api's contract).

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/error.hpp>

#include "api/bench_api.hpp"
#include "api/node_api.hpp"
#include "troupe/error.hpp"

namespace troupe::api {

struct http_request {
  std::string method = {};         // "GET", "POST", ... as sent
  std::string target = {};         // path and query, e.g. "/api/jobs?state=READY&limit=10"
  std::string authorization = {};  // the Authorization header's value; empty when absent
  std::string body = {};
};

struct http_response {
  unsigned status = 200;
  std::string body = {};                                           // JSON unless content_type says otherwise
  std::vector<std::pair<std::string, std::string>> headers = {};  // besides Content-Type: Allow, Location, ...
  std::string content_type = "application/json";
};

// The HTTP status of a troupe error code: 400 invalid_argument and unknown_kind, 401 unauthenticated,
// 403 forbidden, 404 unknown_job and unknown_schedule, 409 conflict, 413 payload_too_large, 429 quota_exceeded,
// 503 shutting_down and unavailable, 504 timeout, 500 otherwise (internal, storage_failure).
unsigned status_of(ec code);

// An ApiError response. 401 answers also carry `WWW-Authenticate: Bearer`.
http_response error_response(unsigned status, std::string_view code, std::string_view message);
// The response of a troupe error (its code's name and status, its message).
http_response error_response(const caf::error& err);

class router {
 public:
  // `bench`: the node's benchmark runs (GET/POST /api/jobs/benchmark); null: none (GET lists nothing, POST 501).
  explicit router(std::unique_ptr<node_api> node, std::shared_ptr<bench_api> bench = nullptr);

  void handle(http_request request, std::function<void(http_response)> done);

  // From now on every request but /health is answered 503 shutting_down; /ready says so too.
  void begin_shutdown() { shutting_down_ = true; }
  bool shutting_down() const { return shutting_down_; }

 private:
  std::shared_ptr<node_api> node_;  // shared with answers in flight, which may call it again
  std::shared_ptr<bench_api> bench_;
  std::atomic<bool> shutting_down_{false};
};

}  // namespace troupe::api
