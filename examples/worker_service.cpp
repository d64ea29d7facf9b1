// A C++ service that joins a troupe cluster as a worker with a kind of its own.
//
// The service registers `reverse` (it reverses the payload's "text"), joins the scheduling node and runs its jobs
// until SIGTERM or SIGINT, which drain it: running jobs finish, then it leaves. The scheduling node accepts
// `reverse` jobs from the moment the service has joined (it learns the kind from the join).
//
//   troupe serve --clusterSecret s3cret &                      # a scheduling node (it may run jobs itself too)
//   TROUPE_CLUSTER_SECRET=s3cret build/examples/worker_service 127.0.0.1:4242
//   troupe submit --kind reverse --payload '{"text": "troupe"}' --wait
//
// Build: part of the project's CMake build (target worker_service).

#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "troupe/worker.hpp"

namespace {

// The kind: a plain function, run on the worker's thread pool. Its outcome goes back to the scheduling node.
troupe::outcome reverse(const troupe::attempt& run) {
  std::string text;
  if (auto problem = troupe::read_string(run.payload(), "text", &text); !problem.empty())
    return troupe::outcome::failure(problem, /*permanent=*/true);  // a bad payload will not get better
  return troupe::outcome::success(std::string{text.rbegin(), text.rend()});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: worker_service HOST:PORT   (the cluster secret in TROUPE_CLUSTER_SECRET)\n";
    return 2;
  }
  troupe::worker_options opts;
  opts.join = argv[1];
  opts.name = "reverse-service";
  opts.slots = 4;
  opts.kinds = {"reverse"};  // only its own kind, not the built-in ones
  if (const char* secret = std::getenv("TROUPE_CLUSTER_SECRET")) opts.secret = secret;

  // SIGINT/SIGTERM are taken by this thread only (sigwait below), before CAF starts its threads.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  caf::actor_system_config cfg;
  troupe::worker::prepare(cfg, opts);
  caf::actor_system sys{cfg};
  troupe::kind_registry kinds;
  if (auto err = kinds.add_function("reverse", reverse)) {
    std::cerr << troupe::describe(err) << "\n";
    return 1;
  }
  auto w = troupe::worker::start(sys, opts, std::move(kinds));
  if (!w) {
    std::cerr << "worker_service: " << troupe::describe(w.error()) << "\n";
    return 2;
  }
  std::cout << "worker_service: joining " << opts.join << " as " << (*w)->name() << std::endl;
  // Wait for a stop signal or the worker's end (a refused join), whichever comes first.
  while (true) {
    timespec poll{0, 0};
    if (sigtimedwait(&stop_signals, nullptr, &poll) > 0) (*w)->drain();
    auto err = (*w)->wait_for(std::chrono::milliseconds{200});
    if (troupe::code_of(err) == troupe::ec::timeout) continue;
    if (err) {
      std::cerr << "worker_service: " << troupe::describe(err) << "\n";
      return 1;
    }
    std::cout << "worker_service: left" << std::endl;
    return 0;
  }
}
