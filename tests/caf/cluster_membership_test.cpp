// The membership protocol between a worker node and the scheduling node, on two simulated CAF nodes in one process
// (CAF's test coordinator and test multiplexer: no sockets, no threads, every step deterministic).
//
// earth: the scheduling node's side: the real scaling actor (the worker registry), a stub scheduler that records
//        what the registry tells it, and a front actor published on port 8080 that answers joins as the access
//        actor does (by asking the registry).
// mars:  a real worker agent (actors/worker_agent.hpp) with real slots, joining earth:8080.

#define CAF_SUITE cluster_membership
#include "caf/test/io_dsl.hpp"
#include "caf/test/unit_test_impl.hpp"

#include <memory>

#include "actors/clock.hpp"
#include "actors/kinds/builtin_kinds.hpp"
#include "actors/scaling.hpp"
#include "actors/worker_agent.hpp"
#include "troupe/json.hpp"

using namespace troupe;

namespace {

// Both nodes know troupe's message types, as every node, worker and client does.
struct troupe_config : test_node_fixture_config {
  troupe_config() {
    register_types(*this);
    register_internal_types(*this);
  }
};

using fixture_base = point_to_point_fixture<test_coordinator_fixture<troupe_config>>;

// What the registry told the scheduler.
struct scheduler_log {
  std::vector<std::pair<pool_offer, std::vector<slot_actor>>> offers;
  std::vector<std::string> drains;
  std::vector<std::pair<std::string, std::string>> leaves;  // pool, why
};

pool_scheduler_actor::behavior_type stub_scheduler(pool_scheduler_actor::pointer, std::shared_ptr<scheduler_log> log) {
  return {
      [=](slots_atom, pool_offer& offer, std::vector<slot_actor>& slots) {
        log->offers.emplace_back(std::move(offer), std::move(slots));
      },
      [=](drain_atom, const std::string& pool) { log->drains.push_back(pool); },
      [=](hand_back_atom, const std::string&) {},
      [=](status_atom) { return NodeStatus{}; },
      [=](leave_atom, const std::string& pool, const std::string& why) -> uint32_t {
        log->leaves.emplace_back(pool, why);
        return 0;
      },
      [=](report_atom, std::vector<attempt_report>& reports) -> uint32_t {
        return static_cast<uint32_t>(reports.size());
      },
      [=](workers_atom) {
        WorkerList out;
        for (const auto& [offer, slots] : log->offers) {
          auto* w = out.add_workers();
          w->set_name(offer.pool);
          w->set_slots(static_cast<uint32_t>(slots.size()));
        }
        return out;
      },
  };
}

// Answers joins like the access actor: through the registry.
caf::behavior front(caf::event_based_actor* self, scaling_actor scaling) {
  return {
      [=](join_atom atom, WorkerJoin& req, caf::actor& worker) {
        return self->delegate(scaling, atom, std::move(req), std::move(worker));
      },
  };
}

struct fixture : fixture_base {
  std::shared_ptr<scheduler_log> log = std::make_shared<scheduler_log>();
  pool_scheduler_actor stub;
  scaling_actor scaling;
  caf::actor front_actor;

  std::vector<caf::actor> agents;

  // Each node's actor system waits for its actors: everything spawned here ends first.
  ~fixture() {
    for (auto& a : agents) caf::anon_send_exit(a, caf::exit_reason::kill);
    caf::anon_send_exit(front_actor, caf::exit_reason::kill);
    caf::anon_send_exit(scaling, caf::exit_reason::kill);
    caf::anon_send_exit(stub, caf::exit_reason::kill);
    run();
  }

  fixture() {
    auto ctx = std::make_shared<engine_context>();
    ctx->options.clusterSecret = "s3cret";
    ctx->node_name = "earth";
    ctx->wall = make_system_clock();
    ctx->options.scalingIntervalMs = 0;  // no periodic decision: run() fires timers until nothing moves
    stub = earth.sys.spawn(stub_scheduler, log);
    scaling = spawn_scaling(earth.sys, ctx, stub);
    front_actor = earth.sys.spawn(front, scaling);
    prepare_connection(earth, mars, "earth", 8080);
    earth.publish(front_actor, 8080);
    run();
  }

  // A worker agent on mars with `slots` slots (noop and sleep kinds), joining with `secret`.
  caf::actor start_worker(const std::string& secret, uint32_t slots = 2) {
    auto ctx = std::make_shared<engine_context>();
    kind_registry kinds;
    CAF_REQUIRE(!add_builtin_kinds(kinds, {}));
    ctx->kinds = std::make_shared<const kind_registry>(std::move(kinds));
    ctx->wall = make_system_clock();
    ctx->workers = std::make_shared<worker_pool>(1);
    ctx->node_name = "mars-worker";
    worker_options opts;
    opts.join = "earth:8080";
    opts.name = "mars-worker";
    opts.secret = secret;
    opts.slots = slots;
    opts.kinds = {"noop", "sleep"};
    // No periodic beat: run() fires every pending timer until nothing moves (remote messages need that here).
    opts.heartbeat_interval_ms = 0;
    auto agent = spawn_worker_agent(mars.sys, ctx, opts, std::make_shared<worker_shared_status>());
    mars.self->monitor(agent);
    agents.push_back(agent);
    run();
    return agent;
  }

  WorkerList workers() {
    WorkerList out;
    earth.self->send(scaling, workers_atom::value);
    run();
    earth.self->receive([&](WorkerList& list) { out = std::move(list); },
                        caf::after(std::chrono::seconds{0}) >> [] { CAF_FAIL("the registry did not answer"); });
    return out;
  }

  // The agent's exit reason, once it ended.
  caf::error agent_exit() {
    caf::error reason = make_error(ec::internal, "the agent still runs");
    mars.self->receive([&](caf::down_msg& msg) { reason = msg.reason; },
                       caf::after(std::chrono::seconds{0}) >> [] {});
    return reason;
  }
};

}  // namespace

CAF_TEST_FIXTURE_SCOPE(cluster_membership_tests, fixture)

CAF_TEST(a worker joins offers its slots and runs a job sent as a typed message) {
  auto agent = start_worker("s3cret");
  CAF_REQUIRE_EQUAL(log->offers.size(), 1u);
  const auto& [offer, slots] = log->offers.front();
  CAF_CHECK_EQUAL(offer.pool, "mars-worker");
  CAF_CHECK(offer.remote);
  CAF_CHECK_EQUAL(offer.kinds, (std::vector<std::string>{"noop", "sleep"}));
  CAF_REQUIRE_EQUAL(slots.size(), 2u);
  auto list = workers();
  CAF_REQUIRE_EQUAL(list.workers_size(), 1);
  CAF_CHECK_EQUAL(list.workers(0).name(), "mars-worker");
  CAF_CHECK_EQUAL(list.workers(0).state(), WorkerInfo::ACTIVE);
  CAF_CHECK_EQUAL(list.workers(0).slots(), 2u);
  CAF_CHECK(list.workers(0).pid() > 0u);

  // The scheduler's run request reaches a slot on mars through the relay and is answered across the network.
  bool answered = false;
  Job job;
  job.set_id(42);
  job.set_state(Job::RUNNING);
  job.set_attempts(1);
  job.mutable_spec()->set_kind("noop");
  job.mutable_lease()->set_token(7);
  // As the scheduler does: an event-based actor on earth requests the run; the answer comes back across the network.
  auto outcome_seen = std::make_shared<std::optional<std::pair<Job, outcome>>>();
  earth.sys.spawn([=](caf::event_based_actor* self) {
    self->request(slots[0], caf::infinite, run_atom::value, job)
        .then([=](Job& back, outcome& result, int64_t) { outcome_seen->emplace(std::move(back), std::move(result)); },
              [=](caf::error& err) { outcome_seen->emplace(Job{}, outcome::failure(to_string(err))); });
  });
  run();
  answered = outcome_seen->has_value();
  if (answered) {
    CAF_CHECK_EQUAL((*outcome_seen)->first.id(), 42u);
    CAF_CHECK_EQUAL((*outcome_seen)->first.lease().token(), 7u);
    CAF_CHECK((*outcome_seen)->second.ok());
  }
  CAF_CHECK(answered);
  CAF_CHECK(log->leaves.empty());
}

CAF_TEST(a worker with a wrong secret is refused and ends) {
  start_worker("not-the-secret");
  auto reason = agent_exit();
  CAF_CHECK_EQUAL(code_of(reason), ec::unauthenticated);
  CAF_CHECK(log->offers.empty());
  CAF_CHECK_EQUAL(workers().workers_size(), 0);
}

CAF_TEST(a worker that dies is lost and its pool leaves the scheduler) {
  auto agent = start_worker("s3cret");
  CAF_REQUIRE_EQUAL(log->offers.size(), 1u);
  caf::anon_send_exit(agent, caf::exit_reason::kill);
  run();
  CAF_REQUIRE_EQUAL(log->leaves.size(), 1u);
  CAF_CHECK_EQUAL(log->leaves[0].first, "mars-worker");
  CAF_CHECK(log->leaves[0].second.find("connection lost") != std::string::npos);
  auto list = workers();
  CAF_REQUIRE_EQUAL(list.workers_size(), 1);
  CAF_CHECK_EQUAL(list.workers(0).state(), WorkerInfo::LOST);
  CAF_CHECK(list.workers(0).has_left_at());
}

CAF_TEST(a draining worker stops taking jobs leaves and ends normally) {
  auto agent = start_worker("s3cret");
  drain_worker_agent(agent);
  run();
  CAF_CHECK_EQUAL(log->drains, std::vector<std::string>{"mars-worker"});
  CAF_REQUIRE_EQUAL(log->leaves.size(), 1u);
  CAF_CHECK_EQUAL(log->leaves[0].second, "drained and left");
  CAF_CHECK(!agent_exit());
  auto list = workers();
  CAF_REQUIRE_EQUAL(list.workers_size(), 1);
  CAF_CHECK_EQUAL(list.workers(0).state(), WorkerInfo::LEFT);
}

CAF_TEST(a join under a registered name replaces the worker and ends the old one) {
  start_worker("s3cret");
  start_worker("s3cret");
  CAF_REQUIRE_EQUAL(log->leaves.size(), 1u);
  CAF_CHECK_EQUAL(log->leaves[0].second, "replaced by a new join of the same name");
  CAF_CHECK_EQUAL(log->offers.size(), 2u);
  CAF_CHECK_EQUAL(code_of(agent_exit()), ec::conflict);  // the first agent
  auto list = workers();
  CAF_REQUIRE_EQUAL(list.workers_size(), 2);
  CAF_CHECK_EQUAL(list.workers(0).state(), WorkerInfo::ACTIVE);
  CAF_CHECK_EQUAL(list.workers(1).state(), WorkerInfo::LOST);
}

CAF_TEST_FIXTURE_SCOPE_END()
