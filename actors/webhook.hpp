#pragma once
// The alert webhook sender: POSTs JSON bodies (AlertEvent, see actors/alerts.hpp) to one URL with libcurl. It runs
// in an actor of its own (detached in a node), so that the alert actor never waits on the network: it sends
// (deliver_atom, body, 0) and goes on. A failed delivery (no connection, a timeout, an HTTP status >= 400) is
// logged (warn, with the URL and the reason) and tried again after backoff, 2 x backoff, 4 x backoff ... (CAF
// timers: delayed_send, never a sleep), `retries` times; then it is dropped with an error logged.

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

namespace troupe {

using deliver_atom = caf::atom_constant<caf::atom("deliver")>;

// (deliver_atom, JSON body, attempt number: 0 for the first)
using webhook_actor = caf::typed_actor<caf::reacts_to<deliver_atom, std::string, uint32_t>>;

struct webhook_config {
  std::string url = {};
  std::chrono::milliseconds timeout = std::chrono::milliseconds{5000};  // per attempt (alertWebhookTimeoutMs)
  std::chrono::milliseconds backoff = std::chrono::seconds{1};          // before the first retry, doubling
  uint32_t retries = 3;
};

// `detached`: a thread of its own (false only under CAF's test coordinator, where deliveries then run in run()).
webhook_actor spawn_webhook(caf::actor_system& sys, webhook_config config, bool detached);

// One blocking POST of `body` (Content-Type: application/json) to `url`; an error naming the reason (curl's
// message or the HTTP status) when it was not delivered. Thread-safe.
caf::error post_json(const std::string& url, const std::string& body, std::chrono::milliseconds timeout);

}  // namespace troupe
