#define BOOST_TEST_MODULE access_client
#include <boost/test/unit_test.hpp>

// api::make_access_client, the HTTP routes' way to the node, under CAF's test coordinator: an answer reaches the
// callback with the token passed through; a node that does not answer in time is ec::timeout (HTTP 504); a node
// that is gone is ec::unavailable (503). Stub nodes are untyped actors cast to access_actor that handle only
// what each case sends. Time is the coordinator's: the timeout fires when the test triggers it.

#include <optional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>

#include "api/access_client.hpp"

using namespace troupe;

namespace {

struct coordinator_fixture {
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;

  coordinator_fixture() {
    register_types(cfg);
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    sys.emplace(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(access_client, coordinator_fixture)

BOOST_AUTO_TEST_CASE(an_answer_reaches_the_callback_with_the_token_passed_through) {
  std::string seen_token;
  auto stub = sys->spawn([&](caf::event_based_actor*) -> caf::behavior {
    return {[&](get_job_atom, const std::string& token, job_id id) {
      seen_token = token;
      Job job;
      job.set_id(id);
      return job;
    }};
  });
  auto client = api::make_access_client(*sys, caf::actor_cast<access_actor>(stub), std::chrono::seconds{30});
  std::optional<caf::expected<Job>> answer;
  client->get_job("alice.s3cret", 42, [&](caf::expected<Job> job) { answer = std::move(job); });
  sched->run();
  BOOST_REQUIRE(answer.has_value());
  BOOST_REQUIRE(static_cast<bool>(*answer));
  BOOST_TEST((*answer)->id() == 42u);
  BOOST_TEST(seen_token == "alice.s3cret");
  caf::anon_send_exit(stub, caf::exit_reason::user_shutdown);
  sched->run();
}

BOOST_AUTO_TEST_CASE(troupe_errors_pass_through_unchanged) {
  auto stub = sys->spawn([](caf::event_based_actor*) -> caf::behavior {
    return {[](status_atom, const std::string&) -> caf::result<NodeStatus> {
      return make_error(ec::forbidden, "not for you");
    }};
  });
  auto client = api::make_access_client(*sys, caf::actor_cast<access_actor>(stub), std::chrono::seconds{30});
  std::optional<caf::expected<NodeStatus>> answer;
  client->status("bob.x", [&](caf::expected<NodeStatus> s) { answer = std::move(s); });
  sched->run();
  BOOST_REQUIRE(answer.has_value());
  BOOST_TEST((code_of(answer->error()) == ec::forbidden), describe(answer->error()));
  BOOST_TEST(describe(answer->error()) == "not for you");
  caf::anon_send_exit(stub, caf::exit_reason::user_shutdown);
  sched->run();
}

BOOST_AUTO_TEST_CASE(a_node_that_does_not_answer_in_time_is_a_timeout) {
  auto stub = sys->spawn([](caf::event_based_actor* self) -> caf::behavior {
    return {[self](list_atom, const std::string&, const JobQuery&) {
      return self->make_response_promise<JobPage>();  // never delivered
    }};
  });
  auto client = api::make_access_client(*sys, caf::actor_cast<access_actor>(stub), std::chrono::seconds{30});
  std::optional<caf::expected<JobPage>> answer;
  client->list("alice.s3cret", JobQuery{}, [&](caf::expected<JobPage> page) { answer = std::move(page); });
  sched->run();
  BOOST_TEST(!answer.has_value());
  BOOST_REQUIRE(sched->trigger_timeout());
  sched->run();
  BOOST_REQUIRE(answer.has_value());
  BOOST_TEST((code_of(answer->error()) == ec::timeout), describe(answer->error()));
  BOOST_TEST(describe(answer->error()).find("30000 ms") != std::string::npos, describe(answer->error()));
  caf::anon_send_exit(stub, caf::exit_reason::user_shutdown);
  sched->run();
}

BOOST_AUTO_TEST_CASE(a_node_that_is_gone_is_unavailable) {
  auto stub = sys->spawn([](caf::event_based_actor*) -> caf::behavior { return {[](status_atom) {}}; });
  caf::anon_send_exit(stub, caf::exit_reason::user_shutdown);
  sched->run();
  auto client = api::make_access_client(*sys, caf::actor_cast<access_actor>(stub), std::chrono::seconds{30});
  std::optional<caf::expected<Job>> answer;
  client->cancel("alice.s3cret", 7, [&](caf::expected<Job> job) { answer = std::move(job); });
  sched->run();
  BOOST_REQUIRE(answer.has_value());
  BOOST_TEST((code_of(answer->error()) == ec::unavailable), describe(answer->error()));
}

BOOST_AUTO_TEST_SUITE_END()
