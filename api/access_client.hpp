#pragma once
// The node_api of a node in this process: each call is one request to the node's access_actor, sent from a
// short-lived CAF actor spawned for it, so no thread ever blocks waiting for the node (the HTTP server's asio
// threads least of all). The callback runs on a CAF worker thread.
//
// Failure: no answer within `timeout` is ec::timeout ("the node did not answer within 30000 ms"); any other CAF
// error (the actor is gone, the system shuts down) is ec::unavailable. Troupe errors pass through unchanged.

#include <chrono>
#include <memory>

#include <caf/fwd.hpp>

#include "api/node_api.hpp"
#include "troupe/protocol.hpp"

namespace troupe::api {

// REQUIRES: `sys` outlives the returned object and every call's answer.
std::unique_ptr<node_api> make_access_client(caf::actor_system& sys, access_actor access,
                                             std::chrono::milliseconds timeout);

}  // namespace troupe::api
