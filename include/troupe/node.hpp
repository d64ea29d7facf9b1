#pragma once
// A troupe node inside a CAF actor system, for programs that embed one (the `troupe serve` command, the
// benchmark, tests, services that run their own kinds):
//
//   troupe::kind_registry kinds;                      // built-in kinds are added by start()
//   kinds.add_function("resize", resize_fn);
//   auto n = troupe::node::start(system, options, std::move(kinds));
//   if (!n) ...                                       // the store could not be opened, ...
//   system.middleman().publish((*n)->access(), port);  // peers authenticate with API tokens
//   ...
//   (*n)->shutdown(std::chrono::seconds{30});         // running jobs finish or are handed back
//
// start() adds the built-in kinds and the command kinds of options.commandKinds to `kinds`, opens the store in
// options.data (creating it), requeues the jobs that were RUNNING when the node last stopped, creates the first
// admin if the store has no users (bootstrapAdmin: its token goes to DATA/admin.token), and spawns the
// supervised actors. An ec::invalid_argument error means the configuration is wrong (a bad command kinds file, a
// payloadCompression the linked RocksDB lacks; named in the message), before anything was opened. The node must
// be shut down before its actor system is destroyed.

#include <chrono>
#include <memory>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "config/options.hpp"
#include "troupe/kind.hpp"
#include "troupe/protocol.hpp"

namespace troupe {

class clock;
struct engine_context;

class node {
 public:
  // `wall`: the clock for job timestamps (nullptr: the system clock). `detached`: run the journal, reader and
  // retention on threads of their own (false only under CAF's test coordinator).
  static caf::expected<std::unique_ptr<node>> start(caf::actor_system& system, const node_options& options,
                                                    kind_registry kinds, std::shared_ptr<clock> wall = nullptr,
                                                    bool detached = true);
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  // The trusted in-process interface: full rights, no token (for programs that embed the node).
  gateway_actor gateway() const;
  // The actor to publish to peers and to serve HTTP with: every request carries an API token.
  access_actor access() const;
  // The supervisor (to monitor the node: it exits with an error when the node failed).
  caf::actor supervisor() const;
  const engine_context& context() const;
  // Tells the node where peers reach it (HOST:PORT), once it published its access actor: the workers that the
  // scaling manager starts (scalingMode local) join there.
  void listening_at(const std::string& host_port);

  // Stops the node: no new jobs are accepted or claimed; running jobs get `grace` to finish, after which they are
  // stopped and handed back to READY without counting the attempt; every write is made durable; the actors exit.
  // Blocks until done. Idempotent.
  void shutdown(std::chrono::milliseconds grace);

 private:
  struct impl;
  explicit node(std::unique_ptr<impl> impl);
  std::unique_ptr<impl> impl_;
};

}  // namespace troupe
