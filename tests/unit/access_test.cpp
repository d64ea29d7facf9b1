// The access actor: authentication by token and the per-user rules (actors/access.hpp), on a whole engine under
// CAF's test coordinator.

#define BOOST_TEST_MODULE access
#include <boost/test/unit_test.hpp>

#include "actors/access.hpp"
#include "actors/job_errors.hpp"
#include "actors/users.hpp"
#include "storage/keys.hpp"
#include "support/engine_fixture.hpp"

using namespace troupe;
using namespace troupe::test;

namespace {

// An engine, its access actor, and the tokens of an admin, two users and a read-only user.
struct access_fixture {
  explicit access_fixture(node_options options = engine_fixture::options_with_slots(1)) : f{std::move(options)} {
    spawn();
    // The first admin is made offline, as `troupe users add --data` or bootstrapAdmin would.
    auto root = issue_user("root", User::ADMIN, "test", f.wall().now());
    BOOST_REQUIRE(root);
    BOOST_REQUIRE(!store_user(*f.ctx().store, root->user));
    spawn();  // the access actor reads the users when it starts
    admin = root->token;
    alice = add_user("alice", User::USER);
    bob = add_user("bob", User::USER);
    auditor = add_user("auditor", User::READ_ONLY);
  }

  void spawn() {
    stop();
    auto spawned = spawn_access(f.sys(), f.context_ptr(), f.gateway(), observers{}, /*detached=*/false);
    BOOST_REQUIRE(spawned);
    access = *spawned;
  }

  void stop() {
    if (access) f.self()->send_exit(access, caf::exit_reason::user_shutdown);
    access = nullptr;
    f.run();
  }

  // The node stops (as a crash) and starts again with its options; so does the access actor.
  void restart() {
    stop();
    f.crash();
    f.restart();
    spawn();
  }

  ~access_fixture() { stop(); }

  // A request as peers and the HTTP API make them (a request, not a plain send: promises answer its id).
  // The answer is in the mailbox once run() returns, so the receive does not wait.
  template <class T, class... Ts>
  caf::expected<T> ask(Ts... xs) {
    return f.ask_actor<T>(access, "the access actor", xs...);
  }

  std::string add_user(const std::string& name, User::Role role) {
    UserControl c;
    c.set_action(UserControl::ADD);
    c.set_name(name);
    c.set_role(role);
    auto added = ask<UserList>(users_atom::value, admin, c);
    BOOST_REQUIRE_MESSAGE(added, error_text(added));
    return added->token();
  }

  caf::expected<std::vector<job_id>> submit(const std::string& token, JobSpec spec) {
    return ask<std::vector<job_id>>(submit_atom::value, token, std::vector<JobSpec>{std::move(spec)});
  }

  job_id submit_ok(const std::string& token, JobSpec spec) {
    auto ids = submit(token, std::move(spec));
    BOOST_REQUIRE_MESSAGE(ids, error_text(ids));
    return ids->at(0);
  }

  caf::expected<Job> get(const std::string& token, job_id id) { return ask<Job>(get_job_atom::value, token, id); }

  caf::expected<JobPage> list(const std::string& token, JobQuery q = {}) {
    return ask<JobPage>(list_atom::value, token, q);
  }

  // A job that waits SCHEDULED for an hour.
  JobSpec later(const std::string& user = "") {
    auto spec = engine_fixture::spec("noop");
    set_timestamp(spec.mutable_run_at(), f.wall().now() + micros{3'600'000'000});
    spec.set_user(user);
    return spec;
  }

  engine_fixture f;
  access_actor access;
  std::string admin, alice, bob, auditor;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(access_rules, access_fixture)

BOOST_AUTO_TEST_CASE(a_request_without_a_valid_token_is_refused_and_changes_nothing) {
  auto secret_of = [](const std::string& token) { return token.substr(token.find('.') + 1); };
  const std::vector<std::string> invalid = {"", "alice", "alice." + std::string(64, '0'), "mallory." + secret_of(alice),
                                            "bob." + secret_of(alice), alice + "x"};
  for (const auto& token : invalid) {
    BOOST_TEST_CONTEXT("token '" << token << "'") {
      auto ids = submit(token, later());
      BOOST_TEST(code_name(ids.error()) == "unauthenticated");
      BOOST_TEST(code_name(list(token).error()) == "unauthenticated");
      BOOST_TEST(code_name(ask<NodeStatus>(status_atom::value, token).error()) == "unauthenticated");
    }
  }
  BOOST_TEST(f.try_list()->jobs_size() == 0, "nothing was stored");
  BOOST_TEST(submit(alice, later()).engaged(), "a valid token works");
}

BOOST_AUTO_TEST_CASE(only_a_salted_hash_of_each_token_is_stored_and_tokens_survive_a_restart) {
  std::vector<std::string> values;
  BOOST_REQUIRE(f.ctx().store->scan_meta(storage::keys::meta_user_prefix, [&](std::string_view, std::string_view v) {
    values.emplace_back(v);
  }));
  BOOST_TEST(values.size() == 4u);
  for (const auto& token : {admin, alice, bob, auditor}) {
    auto secret = token.substr(token.find('.') + 1);
    for (const auto& v : values) BOOST_TEST(v.find(secret) == std::string::npos, "the secret is not stored");
  }
  auto users = load_users(*f.ctx().store);
  BOOST_REQUIRE(users);
  BOOST_TEST(users->at("alice").salt() != users->at("bob").salt(), "each user has a salt of its own");
  restart();
  BOOST_TEST(submit(alice, later()).engaged(), "the token still works after a restart");
  UserControl whoami;
  whoami.set_action(UserControl::WHOAMI);
  auto me = ask<UserList>(users_atom::value, alice, whoami);
  BOOST_REQUIRE(me);
  BOOST_TEST(me->users(0).name() == "alice");
  BOOST_TEST(me->users(0).salt().empty());
  BOOST_TEST(me->users(0).token_hash().empty(), "the hash never leaves the node");
}

BOOST_AUTO_TEST_CASE(a_job_belongs_to_its_submitter_and_other_users_cannot_see_or_touch_it) {
  auto mine = submit_ok(alice, later());
  BOOST_TEST(f.get(mine).spec().user() == "alice", "an empty user becomes the caller");
  auto theirs = submit_ok(bob, later());

  // Another user's job is unknown, exactly as a job that was never there or was deleted.
  auto foreign = get(alice, theirs);
  BOOST_TEST(code_name(foreign.error()) == "unknown_job");
  BOOST_TEST(describe(foreign.error()) == describe(unknown_job(*f.ctx().store, theirs)));
  BOOST_TEST(get(alice, mine).engaged());
  BOOST_TEST(code_name(ask<Job>(cancel_atom::value, alice, theirs).error()) == "unknown_job");
  JobControl prioritize;
  prioritize.set_action(JobControl::PRIORITIZE);
  prioritize.set_job(theirs);
  prioritize.set_priority(JobSpec::CRITICAL);
  BOOST_TEST(code_name(ask<Job>(control_atom::value, alice, prioritize).error()) == "unknown_job");
  BOOST_TEST(code_name(ask<ExecutionPlan>(plan_atom::value, alice, theirs).error()) == "unknown_job");
  BOOST_TEST(code_name(ask<std::vector<Job>>(await_atom::value, alice, std::vector<job_id>{mine, theirs}).error()) ==
             "unknown_job");
  BOOST_TEST(state_of(f.get(theirs)) == "SCHEDULED", "bob's job is untouched");
  BOOST_TEST(f.get(theirs).spec().priority() == JobSpec::NORMAL);

  // Depending on another user's job is as unknown as the job.
  auto child = later();
  child.add_dependencies(theirs);
  BOOST_TEST(code_name(submit(alice, child).error()) == "unknown_job");

  // Listing: one's own jobs; another user's are not listed and cannot be asked for.
  auto page = list(alice);
  BOOST_REQUIRE(page);
  BOOST_TEST(page->jobs_size() == 1);
  BOOST_TEST(page->jobs(0).id() == mine);
  JobQuery theirs_query;
  theirs_query.set_user("bob");
  BOOST_TEST(code_name(list(alice, theirs_query).error()) == "forbidden");

  // The owner cancels its own job; the admin sees and controls every job.
  BOOST_TEST(state_of(*ask<Job>(cancel_atom::value, alice, mine)) == "CANCELLED");
  BOOST_TEST(list(admin)->jobs_size() == 2);
  BOOST_TEST(ask<Job>(control_atom::value, admin, prioritize).engaged());
  BOOST_TEST(f.get(theirs).spec().priority() == JobSpec::CRITICAL);
}

BOOST_AUTO_TEST_CASE(only_admins_submit_as_another_user_and_raw_exec_is_for_the_roles_of_exec_roles) {
  BOOST_TEST(code_name(submit(alice, later("bob")).error()) == "forbidden");
  auto on_behalf = submit_ok(admin, later("bob"));
  BOOST_TEST(f.get(on_behalf).spec().user() == "bob");
  BOOST_TEST(list(bob)->jobs_size() == 1, "bob sees the job submitted for him");

  auto exec = engine_fixture::spec("exec", R"({"argv": ["true"]})");
  auto refused = submit(alice, exec);
  BOOST_TEST(code_name(refused.error()) == "forbidden");
  BOOST_TEST(describe(refused.error()).find("execRoles") != std::string::npos, describe(refused.error()));
  // An admin passes the access rules; the node itself then decides (exec is disabled in these tests).
  auto by_admin = submit(admin, exec);
  BOOST_TEST(describe(by_admin.error()).find("execRoles") == std::string::npos);

  auto options = f.options();
  options.execRoles = "admin,user";
  f.set_options(options);
  restart();
  auto allowed = submit(alice, exec);
  BOOST_TEST(describe(allowed.error()).find("execRoles") == std::string::npos, "alice passes the access rules");
}

BOOST_AUTO_TEST_CASE(a_read_only_user_sees_everything_and_changes_nothing) {
  auto id = submit_ok(alice, later());
  BOOST_TEST(get(auditor, id).engaged());
  BOOST_TEST(list(auditor)->jobs_size() == 1);
  BOOST_TEST(ask<NodeStatus>(status_atom::value, auditor)->scope() != "user");
  BOOST_TEST(code_name(submit(auditor, later()).error()) == "forbidden");
  BOOST_TEST(code_name(ask<Job>(cancel_atom::value, auditor, id).error()) == "forbidden");
  QueueControl pause;
  pause.set_action(QueueControl::PAUSE);
  pause.set_kind("sleep");
  BOOST_TEST(code_name(ask<QueueList>(queues_atom::value, auditor, pause).error()) == "forbidden");
  BOOST_TEST(state_of(f.get(id)) == "SCHEDULED");
}

BOOST_AUTO_TEST_CASE(queue_and_runner_controls_are_for_admins_and_record_who_asked) {
  QueueControl pause;
  pause.set_action(QueueControl::PAUSE);
  pause.set_kind("sleep");
  pause.set_by("ops");
  BOOST_TEST(code_name(ask<QueueList>(queues_atom::value, alice, pause).error()) == "forbidden");
  QueueControl listing;
  listing.set_action(QueueControl::LIST);
  BOOST_TEST(ask<QueueList>(queues_atom::value, alice, listing).engaged(), "anyone may list the queues");
  BOOST_TEST(ask<QueueList>(queues_atom::value, admin, pause).engaged());
  QueueControl history;
  history.set_action(QueueControl::HISTORY);
  auto events = ask<QueueList>(queues_atom::value, alice, history);
  BOOST_REQUIRE(events);
  BOOST_REQUIRE(events->events_size() >= 1);
  BOOST_TEST(events->events(0).by() == "root (ops)", "the token's user, and who the client said it was");

  auto id = submit_ok(alice, later());
  JobControl run_now;
  run_now.set_action(JobControl::RUN_NOW);
  run_now.set_job(id);
  run_now.set_by("mallory");
  BOOST_REQUIRE(ask<Job>(control_atom::value, alice, run_now));
  bool recorded = false;
  auto job = f.get(id);
  for (const auto& t : job.transitions()) recorded = recorded || t.reason() == "run now by alice (mallory)";
  BOOST_TEST(recorded, "the job's history names the token's user first");
}

BOOST_AUTO_TEST_CASE(a_users_status_shows_the_node_and_not_other_users_work) {
  submit_ok(bob, later());
  auto mine = ask<NodeStatus>(status_atom::value, alice);
  BOOST_REQUIRE(mine);
  BOOST_TEST(mine->scope() == "user");
  BOOST_TEST(mine->usage().user() == "alice");
  BOOST_TEST(mine->usage().jobs() == 0u);
  BOOST_TEST(ask<NodeStatus>(status_atom::value, bob)->usage().jobs() == 1u, "bob's own unfinished job");
  BOOST_TEST(mine->submitted_total() == 0u, "node-wide counters are left out");
  BOOST_TEST(mine->depth_size() == 0);
  BOOST_TEST(!mine->node().empty());
  auto full = ask<NodeStatus>(status_atom::value, admin);
  BOOST_TEST(full->submitted_total() == 1u);
}

BOOST_AUTO_TEST_CASE(metrics_are_for_admins_and_read_only_users_and_the_dashboard_names_the_role) {
  // This engine runs without metrics actors (observers{}): who may ask is decided first.
  auto denied = ask<std::string>(prometheus_atom::value, alice);
  BOOST_TEST(code_name(denied.error()) == "forbidden");
  BOOST_TEST(describe(denied.error()).find("metrics") != std::string::npos);
  BOOST_TEST(code_name(ask<SeriesSet>(metrics_atom::value, bob, MetricsQuery{}).error()) == "forbidden");
  auto off = ask<std::string>(prometheus_atom::value, auditor);
  BOOST_TEST(code_name(off.error()) == "unavailable");
  BOOST_TEST(describe(off.error()).find("metricsEnabled") != std::string::npos);
  AlertControl ack;
  ack.set_action(AlertControl::ACKNOWLEDGE);
  ack.set_alert("dead_jobs");
  BOOST_TEST(code_name(ask<AlertList>(alerts_atom::value, auditor, ack).error()) == "forbidden");
  BOOST_TEST(code_name(ask<AlertList>(alerts_atom::value, admin, ack).error()) == "unavailable");
  auto board = ask<Dashboard>(dashboard_atom::value, alice);
  BOOST_REQUIRE(board);
  BOOST_TEST(board->user() == "alice");
  BOOST_TEST(board->role() == "user");
  BOOST_TEST(board->status().scope() == "user");
  BOOST_TEST(!board->status().metrics_enabled());
  BOOST_TEST(board->recent().series_size() == 0);
  BOOST_TEST(ask<Dashboard>(dashboard_atom::value, auditor)->status().scope() == "node");
  BOOST_TEST(code_name(ask<Dashboard>(dashboard_atom::value, std::string{"nobody.x"}).error()) == "unauthenticated");
}

BOOST_AUTO_TEST_CASE(users_are_managed_by_admins_and_the_last_admin_stays) {
  UserControl add;
  add.set_action(UserControl::ADD);
  add.set_name("carol");
  BOOST_TEST(code_name(ask<UserList>(users_atom::value, alice, add).error()) == "forbidden");
  auto carol = ask<UserList>(users_atom::value, admin, add);
  BOOST_REQUIRE(carol);
  BOOST_TEST(carol->token().rfind("carol.", 0) == 0u);
  BOOST_TEST(submit(carol->token(), later()).engaged());
  BOOST_TEST(code_name(ask<UserList>(users_atom::value, admin, add).error()) == "conflict", "no second carol");
  add.set_name("bad name");
  BOOST_TEST(code_name(ask<UserList>(users_atom::value, admin, add).error()) == "invalid_argument");

  UserControl revoke;
  revoke.set_action(UserControl::REVOKE);
  revoke.set_name("carol");
  BOOST_REQUIRE(ask<UserList>(users_atom::value, admin, revoke));
  BOOST_TEST(code_name(submit(carol->token(), later()).error()) == "unauthenticated", "a revoked token stops working");
  BOOST_TEST(list(admin)->jobs_size() == 1, "its jobs stay");
  revoke.set_name("root");
  BOOST_TEST(code_name(ask<UserList>(users_atom::value, admin, revoke).error()) == "conflict");

  UserControl listing;
  listing.set_action(UserControl::LIST);
  auto all = ask<UserList>(users_atom::value, admin, listing);
  BOOST_REQUIRE(all);
  BOOST_TEST(all->users_size() == 4);
  for (const auto& u : all->users()) BOOST_TEST(u.token_hash().empty());
}

BOOST_AUTO_TEST_CASE(cron_schedules_belong_to_their_user) {
  CronControl add;
  add.set_action(CronControl::ADD);
  auto* s = add.mutable_schedule();
  s->set_name("nightly");
  s->set_cron("0 3 * * *");
  *s->mutable_job() = engine_fixture::spec("noop");
  BOOST_REQUIRE(ask<CronList>(cron_atom::value, alice, add));
  BOOST_TEST(f.try_cron(CronControl{})->schedules(0).job().user() == "alice");

  CronControl listing;
  listing.set_action(CronControl::LIST);
  BOOST_TEST(ask<CronList>(cron_atom::value, bob, listing)->schedules_size() == 0, "bob does not see it");
  BOOST_TEST(ask<CronList>(cron_atom::value, alice, listing)->schedules_size() == 1);
  CronControl pause;
  pause.set_action(CronControl::PAUSE);
  pause.set_name("nightly");
  BOOST_TEST(code_name(ask<CronList>(cron_atom::value, bob, pause).error()) == "unknown_schedule");
  add.set_replace(true);
  BOOST_TEST(code_name(ask<CronList>(cron_atom::value, bob, add).error()) == "unknown_schedule",
             "nor can he replace it");
  BOOST_TEST(ask<CronList>(cron_atom::value, alice, pause).engaged());
  BOOST_TEST(f.try_cron(CronControl{})->schedules(0).paused());
}

BOOST_AUTO_TEST_SUITE_END()
