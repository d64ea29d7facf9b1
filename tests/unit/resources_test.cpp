// The resource manager (actors/resources.cpp) on a whole engine under CAF's test coordinator, reading this test
// process's real memory from /proc: a test kind that allocates memory takes the process over memoryThreshold of
// maxMemoryMB; admission holds (no new job starts, nothing running is stopped) and resumes once the memory is
// freed and use is below the threshold less memoryHysteresisPercent. maxMemoryMB is set from the process's own
// resident memory at the start, so the thresholds fall between "before" and "with the ballast" on any machine.

#define BOOST_TEST_MODULE resources
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <memory>

#include "actors/memory_admission.hpp"
#include "actors/process_usage.hpp"
#include "support/engine_fixture.hpp"

using namespace std::chrono_literals;
using namespace troupe;
using troupe::test::engine_fixture;
using troupe::test::state_of;

namespace {

constexpr uint64_t ballast_mb = 256;

// The memory the `allocate` kind holds until the test frees it (resident: every page written).
std::unique_ptr<char[]> ballast;

void register_allocate(kind_registry& kinds) {
  BOOST_REQUIRE(!kinds.add_function(
      "allocate",
      [](const attempt&) {
        ballast.reset(new char[ballast_mb << 20]);
        std::memset(ballast.get(), 1, ballast_mb << 20);
        return outcome::success();
      },
      kind_registry::execution::inline_call));
}

uint64_t resident_mb() {
  auto usage = read_process_usage();
  BOOST_REQUIRE_MESSAGE(usage, "cannot read /proc/self");
  return usage->rss_bytes >> 20;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_hysteresis_holds_at_the_threshold_and_resumes_only_below_it_less_the_margin) {
  memory_admission a{80, 10, 512};
  BOOST_TEST(!a.observe(79.9));
  auto held = a.observe(80);
  BOOST_REQUIRE(held);
  BOOST_TEST(a.held());
  BOOST_TEST(*held == "memory at 80.0% of maxMemoryMB 512 MiB, at or over memoryThreshold 80%: no new job starts "
                      "until it is below 70%");
  BOOST_TEST(!a.observe(75));  // inside the band: still held
  BOOST_TEST(!a.observe(70));
  BOOST_TEST(a.held());
  auto resumed = a.observe(69.9);
  BOOST_REQUIRE(resumed);
  BOOST_TEST(!a.held());
  BOOST_TEST(!a.observe(79));
}

BOOST_AUTO_TEST_CASE(admission_stops_when_a_job_takes_memory_over_the_threshold_and_resumes_when_it_is_freed) {
  auto baseline = resident_mb();
  auto options = engine_fixture::options_with_slots(2);
  // baseline is about 60% of this at most (below the 70% where admission resumes); baseline + ballast is over 80%.
  options.maxMemoryMB = static_cast<uint32_t>((baseline + ballast_mb / 2) * 4 / 3);
  options.memoryThreshold = 80;
  options.memoryHysteresisPercent = 10;
  options.resourceIntervalMs = 100;
  BOOST_TEST_MESSAGE("resident " << baseline << " MiB; maxMemoryMB " << options.maxMemoryMB << "; ballast "
                                 << ballast_mb << " MiB");
  engine_fixture f{options, register_allocate};
  f.advance(300ms);
  BOOST_TEST(!f.status().admission().held());

  auto allocated = f.await({f.submit(engine_fixture::spec("allocate"))});
  BOOST_TEST(state_of(allocated.at(0)) == "SUCCEEDED");
  f.advance(300ms);
  auto status = f.status();
  BOOST_TEST_MESSAGE("resident with the ballast: " << resident_mb() << " MiB");
  BOOST_REQUIRE(status.admission().held());
  BOOST_TEST(status.admission().reason().find("at or over memoryThreshold 80%") != std::string::npos,
             status.admission().reason());
  BOOST_TEST(status.admission().holds_total() == 1u);

  // Held: a new job stays READY however long it waits; the node keeps answering.
  auto waiting = f.submit(engine_fixture::record_spec());
  f.advance(2s);
  BOOST_TEST(state_of(f.get(waiting)) == "READY");

  ballast.reset();  // freed: large blocks go back to the system at once
  f.advance(300ms);
  status = f.status();
  BOOST_TEST(!status.admission().held(), status.admission().reason());
  BOOST_TEST(status.admission().reason().find("jobs start again") != std::string::npos, status.admission().reason());
  f.run();
  BOOST_TEST(state_of(f.get(waiting)) == "SUCCEEDED");
}

// Found by the memory-pressure simulation (simulations/scenarios/memory_pressure.toml): resuming used to fill every
// free slot at once, so a node whose jobs hold memory went straight back over its budget. A hold caps the running
// jobs at what fitted under the threshold; the cap rises by a tenth per resume message under the resume level
// while it is what keeps jobs waiting, and goes once it reaches the slots. Driven here by the resource manager's
// messages themselves (sent by the test), on the real scheduler.
BOOST_AUTO_TEST_CASE(a_hold_caps_the_running_jobs_at_what_fitted_and_the_cap_rises_only_with_room) {
  auto options = engine_fixture::options_with_slots(10);
  options.memoryThreshold = 80;
  engine_fixture f{options};
  auto scheduler = caf::actor_cast<scheduler_actor>(f.actor_named("troupe.scheduler"));
  auto tell = [&](bool held, double percent) {
    f.self()->send(scheduler, admission_atom::value, held, percent, std::string{"from the test"});
    f.run();
  };
  std::vector<JobSpec> specs;
  for (int i = 0; i < 40; ++i) specs.push_back(engine_fixture::sleep_spec(10s));
  f.submit(std::move(specs));
  f.run();
  BOOST_REQUIRE(f.status().running() == 10u);

  tell(true, 125);  // 10 jobs took memory to 125%: 10 x 80 / 125 = 6.4 fitted
  auto status = f.status();
  BOOST_TEST(status.admission().held());
  BOOST_TEST(status.admission().running_cap() == 6u);
  BOOST_TEST(status.running() == 10u);  // nothing running is stopped

  f.advance(10s);  // the 10 finish; held: none starts
  BOOST_TEST(f.status().running() == 0u);
  tell(false, 65);  // resumed: up to the cap
  BOOST_TEST(f.status().running() == 6u);
  BOOST_TEST(!f.status().admission().held());

  tell(false, 60);  // under the resume level (a resume while not held) with the cap in the way: 6 + 1
  BOOST_TEST(f.status().admission().running_cap() == 7u);
  BOOST_TEST(f.status().running() == 7u);
  for (int i = 0; i < 3; ++i) tell(false, 60);  // 8, 9, then 10 = the slots: no cap
  status = f.status();
  BOOST_TEST(status.admission().running_cap() == 0u);
  BOOST_TEST(status.running() == 10u);
}
