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
