#pragma once
// A worker node: joins a scheduling node over CAF's network transparency and runs its jobs in slots of its own
// (docs/cluster.md). `troupe worker --join HOST:PORT` is one; a C++ service that registers its own kinds is
// another (examples/worker_service.cpp):
//
//   troupe::worker_options opts;
//   opts.join = "10.0.0.5:4242";
//   opts.secret = std::getenv("TROUPE_CLUSTER_SECRET");
//   opts.slots = 8;
//   caf::actor_system_config cfg;
//   troupe::worker::prepare(cfg, opts);           // middleman, troupe's types, heartbeats
//   caf::actor_system sys{cfg};
//   troupe::kind_registry kinds;
//   kinds.add_function("thumbnail", make_thumbnail, troupe::run_mode::blocking);
//   auto w = troupe::worker::start(sys, opts, std::move(kinds));
//   ...                                           // on SIGTERM: w->drain();
//   auto err = (*w)->wait();                      // returns once it has left (or was refused)
//
// What a worker guarantees:
// - It joins with the cluster secret; a node that refuses it (wrong secret, no secret) ends it with that error.
// - It runs at most `slots` attempts at once, only of its kinds; the scheduling node sends it jobs as typed actor
//   messages (the `run` request of a slot), with a lease whose fencing token a result carries back.
// - When it loses the scheduling node (closed connection, or nothing heard for peer_timeout_ms), it keeps the
//   results of the attempts that finish, reconnects with exponential backoff, and reports them when it is back
//   (holding back its free slots meanwhile, for at most hold_offer_ms); the node applies those whose lease its
//   records still hold (after a restart of the node) and ignores the others (the node had requeued the job).
// - drain() (SIGTERM): no new jobs; running ones finish, or are handed back to the node at the grace deadline;
//   then it leaves, and wait() returns none.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include "troupe/kind.hpp"

namespace troupe {

struct worker_options {
  std::string join;                     // HOST:PORT of the scheduling node's listen address
  std::string name;                     // unique in the cluster; empty: HOSTNAME-PID
  uint32_t slots = 8;                   // attempts at once
  std::vector<std::string> kinds;       // the kinds it offers (empty: every kind of its registry)
  std::string secret;                   // the cluster secret
  uint32_t heartbeat_interval_ms = 500; // CAF's middleman heartbeat and the worker's own beat (0: neither)
  uint32_t peer_timeout_ms = 2500;      // the node is lost after this long without a word (0: never)
  uint32_t reconnect_min_ms = 100;      // backoff between attempts to reach the node: doubles up to max
  uint32_t reconnect_max_ms = 5000;
  uint32_t shutdown_grace_ms = 30000;   // drain(): how long running jobs may take before they are handed back
  // After a reconnect, how long the worker holds back its free slots while attempts it ran across the lost
  // connection still run (after a restart of the node their jobs are READY there again; a free slot here would
  // run them twice). They are offered as soon as those attempts finished and were reported.
  uint32_t hold_offer_ms = 10000;
  bool tls = false;                     // connect through CAF's openssl module (the node has tlsEnabled)
  std::string tls_certificate, tls_key, tls_ca_file;  // PEM files (all empty: anonymous TLS)
  // The built-in kinds it offers besides its registry's (as on a node): exec only if enabled, and command kinds
  // from a file.
  bool exec_enabled = false;
  uint32_t output_tail_bytes = 4096;
  std::string command_kinds;
  uint32_t worker_pool_size = 10;       // threads for blocking kinds
  uint64_t job_timeout_ms = 180000;     // the timeout of a job that has none (the node sets one at submit)
};

// What a worker is doing, for logs and tests.
struct worker_status {
  bool connected = false;
  bool draining = false;
  uint32_t running = 0;          // attempts running in its slots
  uint64_t finished = 0;         // attempts finished since it started
  uint32_t reports_pending = 0;  // results kept for the node
  uint64_t joins = 0;            // successful joins (1 + reconnections)
};

class worker {
 public:
  // Prepares the config of the worker's actor system: CAF's middleman (and openssl module with opts.tls),
  // troupe's types, the scheduler as a node's (no busy polling), the heartbeat and the connection timeout.
  static void prepare(caf::actor_system_config& cfg, const worker_options& opts);

  // Starts the worker: it connects and joins in the background. Fails at once on bad options (no join address,
  // no secret, 0 slots) or bad kinds (a command kinds file).
  static caf::expected<std::unique_ptr<worker>> start(caf::actor_system& sys, worker_options opts,
                                                      kind_registry kinds);

  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  // Drains and leaves (see above); returns at once.
  void drain();
  // Blocks until the worker has ended: none after it drained and left, or the error that ended it (refused).
  caf::error wait();
  // As wait(), for at most `timeout`; ec::timeout if it still runs.
  caf::error wait_for(std::chrono::milliseconds timeout);
  worker_status status() const;
  const std::string& name() const;

 private:
  struct impl;
  explicit worker(std::unique_ptr<impl> impl);
  std::unique_ptr<impl> impl_;
};

}  // namespace troupe
