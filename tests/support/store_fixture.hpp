#pragma once
// A real job store (storage/store.hpp) in a fresh temporary directory, as a Boost.Test fixture:
// BOOST_FIXTURE_TEST_CASE(name, troupe::test::store_fixture). Opening, writing and reading jobs
// that must exist are checked with BOOST_REQUIRE, so a storage failure ends the test case with the
// store's message.

#include <cstdint>
#include <memory>
#include <ostream>
#include <vector>

#include "schemas/troupe.pb.h"
#include "storage/store.hpp"
#include "storage/write_batch.hpp"
#include "support/temp_dir.hpp"

namespace troupe::test {

// One entry of the queue index, as job_store::scan_queue reports it.
struct queue_entry {
  int lane = 0;
  uint64_t seq = 0;
  uint64_t id = 0;
  bool operator==(const queue_entry&) const = default;
};
std::ostream& operator<<(std::ostream& out, const queue_entry& e);

struct store_fixture {
  store_fixture();  // opens a new store at dir.sub("store")
  ~store_fixture();

  // Closes the store and opens it again from disk, as a restart does.
  void reopen();
  void close() { store.reset(); }
  // Writes `batch` (synced); the write must succeed.
  void write(storage::write_batch& batch);
  // The job `id`, which must exist.
  Job get(uint64_t id) const;
  // Whether job `id` exists.
  bool exists(uint64_t id) const;
  // The whole queue index, in scan order.
  std::vector<queue_entry> queue() const;

  temp_dir dir;
  std::unique_ptr<storage::job_store> store;
};

}  // namespace troupe::test
