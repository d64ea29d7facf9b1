#pragma once
// An HTTP listener on 127.0.0.1 (port 0: one the kernel picks) on a thread of its own, for tests of what troupe
// sends out (the alert webhook): answers each request with the next status of `statuses` (200 once they run out)
// and keeps what it received. One request per connection.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace troupe::test {

class http_listener {
 public:
  struct request {
    std::string head;  // request line and headers
    std::string body;
  };

  explicit http_listener(std::vector<int> statuses = {});
  ~http_listener();
  http_listener(const http_listener&) = delete;
  http_listener& operator=(const http_listener&) = delete;

  // http://127.0.0.1:PORT/hook
  std::string url() const;

  // What arrived once `n` requests did, or what did within `deadline` (a wait on a condition, not a sleep).
  std::vector<request> wait_for(size_t n, std::chrono::milliseconds deadline = std::chrono::seconds{10});
  size_t count();

 private:
  void serve();
  void handle(int conn);

  std::vector<int> statuses_;
  size_t next_status_ = 0;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<request> received_;
};

}  // namespace troupe::test
