#pragma once
// The agent of a worker node (troupe/worker.hpp): connects to the scheduling node, joins, offers the worker's
// slots, beats, and reconnects after a loss; drains on request. Each slot the node sees is a relay in front of a
// local slot actor (actors/job_slot.hpp): it passes the run and stop requests on, and tells the agent when an
// attempt starts and ends, so that the agent knows which slots are free and keeps the result of an attempt that
// outlived the connection it came on (the node's answer to it is lost with that connection).
//
// Connection epochs: every join starts a new epoch. A relay's result whose run came in an earlier epoch is kept
// and reported after the next join (report_atom to the node's scaling actor, until acknowledged), and its relay is
// offered to the node again once free. The agent ends (quits) after it drained and left (reason none), or when
// the node refuses it (the error).
//
// Requests to the node wait without a timeout of their own: a node that stops answering is lost through CAF's
// connection timeout (the agent monitors it); what was in flight then is forgotten with the epoch (reports are
// sent again after the next join, and applied at most once: the node fences them by lease).

#include <atomic>
#include <memory>

#include <caf/fwd.hpp>

#include "actors/engine_context.hpp"
#include "actors/interfaces.hpp"
#include "troupe/worker.hpp"

namespace troupe {

// What the agent shares with troupe::worker's status(): written by the agent, read from any thread.
struct worker_shared_status {
  std::atomic<bool> connected{false};
  std::atomic<bool> draining{false};
  std::atomic<uint32_t> running{0};
  std::atomic<uint64_t> finished{0};
  std::atomic<uint32_t> reports_pending{0};
  std::atomic<uint64_t> joins{0};
};

// `ctx`: the options, kinds, clock and worker pool the worker's slots use (no store).
caf::actor spawn_worker_agent(caf::actor_system& sys, engine_context_ptr ctx, worker_options opts,
                              std::shared_ptr<worker_shared_status> status);

// Asks the agent to drain and leave.
void drain_worker_agent(const caf::actor& agent);

}  // namespace troupe
