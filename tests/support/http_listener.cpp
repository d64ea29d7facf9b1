#include "support/http_listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>

#include <boost/test/unit_test.hpp>

namespace troupe::test {

http_listener::http_listener(std::vector<int> statuses) : statuses_(std::move(statuses)) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  BOOST_REQUIRE(fd_ >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  BOOST_REQUIRE(::listen(fd_, 8) == 0);
  socklen_t len = sizeof(addr);
  BOOST_REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread{[this] { serve(); }};
}

http_listener::~http_listener() {
  stop_ = true;
  thread_.join();
  ::close(fd_);
}

std::string http_listener::url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

std::vector<http_listener::request> http_listener::wait_for(size_t n, std::chrono::milliseconds deadline) {
  std::unique_lock<std::mutex> lock{mutex_};
  arrived_.wait_for(lock, deadline, [&] { return received_.size() >= n; });
  return received_;
}

size_t http_listener::count() {
  std::lock_guard<std::mutex> lock{mutex_};
  return received_.size();
}

void http_listener::serve() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;  // wakes up to look at stop_
    int conn = ::accept(fd_, nullptr, nullptr);
    if (conn < 0) continue;
    handle(conn);
    ::close(conn);
  }
}

void http_listener::handle(int conn) {
  std::string data;
  char buf[4096];
  size_t head_end = std::string::npos, length = 0;
  while (head_end == std::string::npos || data.size() < head_end + 4 + length) {
    auto n = ::recv(conn, buf, sizeof(buf), 0);
    if (n <= 0) return;
    data.append(buf, static_cast<size_t>(n));
    if (head_end == std::string::npos && (head_end = data.find("\r\n\r\n")) != std::string::npos) {
      std::string head = data.substr(0, head_end);
      for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto at = head.find("content-length:");
      if (at != std::string::npos) length = std::stoul(head.substr(at + 15));
    }
  }
  int status = 200;
  {
    std::lock_guard<std::mutex> lock{mutex_};
    if (next_status_ < statuses_.size()) status = statuses_[next_status_++];
  }
  auto reply = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  (void)!::send(conn, reply.data(), reply.size(), MSG_NOSIGNAL);
  std::lock_guard<std::mutex> lock{mutex_};
  received_.push_back({data.substr(0, head_end), data.substr(head_end + 4, length)});
  arrived_.notify_all();
}

}  // namespace troupe::test
