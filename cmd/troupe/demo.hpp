#pragma once
// The demo workload of `troupe demo`: on a thread of its own, submits a small mix of jobs to the node it runs in
// (all priorities, sleeping, computing, retried, failing, timing out, an exec job, a cancelled job), prints the
// node's status as they run, then a summary of what happened and how to explore further.

#include <atomic>
#include <string>
#include <thread>

#include <caf/fwd.hpp>

#include "troupe/protocol.hpp"

namespace troupe::cli {

class demo_runner {
 public:
  // `http`: the HTTP API's address ("" when it is off); `data`: the node's data directory (for admin.token).
  demo_runner(caf::actor_system& sys, gateway_actor gateway, std::string address, std::string http = "",
              std::string data = "");
  ~demo_runner();  // stops and joins
  void stop() { stop_ = true; }

 private:
  void run(caf::actor_system& sys, gateway_actor gateway);

  std::string address_;
  std::string http_;
  std::string data_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace troupe::cli
