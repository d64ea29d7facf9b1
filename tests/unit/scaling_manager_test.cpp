// The scaling manager's modes (actors/scaling_manager.hpp) with real processes: command mode runs scalingCommand
// with the desired count ({count} and TROUPE_DESIRED_WORKERS) when the count changes, once per change, and again
// after a failure; off mode runs nothing. Decisions come from scripted node statuses on an injected clock; the
// commands' exits are awaited with deadlines.

#define BOOST_TEST_MODULE scaling_manager
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

#include "actors/clock.hpp"
#include "actors/scaling_manager.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace std::chrono_literals;
using namespace troupe;
using troupe::test::temp_dir;
using troupe::test::wait_until;

namespace {

constexpr micros second = 1'000'000;

struct fixture {
  temp_dir dir;
  std::shared_ptr<manual_clock> wall = std::make_shared<manual_clock>(1'000 * second);
  std::string out = dir.sub("counts");

  engine_context_ptr context(const std::string& mode, const std::string& command) {
    auto ctx = std::make_shared<engine_context>();
    ctx->node_name = "n1";
    ctx->wall = wall;
    ctx->options.scalingMode = mode;
    ctx->options.scalingCommand = command;
    ctx->options.minWorkers = 1;
    ctx->options.maxWorkers = 8;
    ctx->options.targetQueueDepth = 25;
    ctx->options.scaleUpCooldownMs = 0;
    ctx->options.scaleDownCooldownMs = 0;
    return ctx;
  }

  static NodeStatus ready(uint64_t count) {
    NodeStatus s;
    auto* d = s.add_depth();
    d->set_state(Job::READY);
    d->set_priority(JobSpec::NORMAL);
    d->set_count(count);
    return s;
  }

  std::string counts() const {
    std::ifstream in{out};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // Ticks (as the scaling actor does every interval) until the command it runs has ended.
  void settle(scaling_manager& m, const std::string& what) {
    wait_until([&] {
      m.reap();
      return m.status().action_result().find("running") == std::string::npos;
    }, 30s, what);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(command_mode_runs_the_command_with_each_new_count_once, fixture) {
  scaling_manager m{context("command", "echo {count} $TROUPE_DESIRED_WORKERS >> " + out)};
  m.tick(ready(0), 0);  // below minWorkers: 1
  BOOST_TEST(m.status().desired() == 1u);
  settle(m, "the command for 1 worker ends");
  BOOST_TEST(m.status().action_result() == "scalingCommand ran with count 1: exit 0");
  wall->advance(5 * second);
  m.tick(ready(100), 1);  // 100 READY for 1 worker: ceil(100 / 25) = 4
  BOOST_TEST(m.status().desired() == 4u);
  BOOST_TEST(m.status().last().action() == "up");
  settle(m, "the command for 4 workers ends");
  wall->advance(5 * second);
  m.tick(ready(100), 4);  // no change: the command does not run again
  settle(m, "nothing runs");
  BOOST_TEST(counts() == "1 1\n4 4\n");
  BOOST_TEST(m.status().ups_total() == 2u);
  BOOST_REQUIRE(m.status().changes_size() == 2);
  BOOST_TEST(m.status().changes(0).desired() == 4u);  // newest first
}

BOOST_AUTO_TEST_CASE(a_failing_command_runs_again_at_the_next_decision) {
  fixture f;
  auto marker = f.dir.sub("attempts");
  scaling_manager m{f.context("command", "echo x >> " + marker + "; exit 3")};
  m.tick(fixture::ready(0), 0);
  f.settle(m, "the first run ends");
  BOOST_TEST(m.status().action_result() ==
             "scalingCommand with count 1 failed: exit 3; run again at the next decision");
  f.wall->advance(5 * second);
  m.tick(fixture::ready(0), 0);
  f.settle(m, "the second run ends");
  std::ifstream in{marker};
  std::string line;
  int runs = 0;
  while (std::getline(in, line)) ++runs;
  BOOST_TEST(runs == 2);
}

BOOST_AUTO_TEST_CASE(off_mode_only_recommends) {
  fixture f;
  scaling_manager m{f.context("off", "echo ran >> " + f.out)};
  m.tick(fixture::ready(500), 0);
  m.reap();
  BOOST_TEST(m.status().mode() == "off");
  BOOST_TEST(m.status().desired() == 1u);  // from 0 to minWorkers first
  f.wall->advance(5 * second);
  m.tick(fixture::ready(500), 0);
  BOOST_TEST(m.status().desired() == 8u);  // ceil(500 / 25) = 20, bounded by maxWorkers
  BOOST_TEST(m.status().action_result().empty());
  BOOST_TEST(m.status().managed_size() == 0);
  BOOST_TEST(f.counts().empty());
}
