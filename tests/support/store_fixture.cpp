#include "support/store_fixture.hpp"

#include <boost/test/unit_test.hpp>

namespace troupe::test {

std::ostream& operator<<(std::ostream& out, const queue_entry& e) {
  return out << "{lane " << e.lane << ", seq " << e.seq << ", id " << e.id << "}";
}

store_fixture::store_fixture() { reopen(); }
store_fixture::~store_fixture() = default;

void store_fixture::reopen() {
  store.reset();
  storage::store_options options;
  options.path = dir.sub("store");
  options.block_cache_mb = 8;
  auto s = storage::job_store::open(options, &store);
  BOOST_REQUIRE_MESSAGE(s.is_ok(), "open " << options.path << ": " << s.message());
  BOOST_REQUIRE(store != nullptr);
}

void store_fixture::write(storage::write_batch& batch) {
  auto s = store->write(batch, /*sync=*/true);
  BOOST_REQUIRE_MESSAGE(s.is_ok(), "write: " << s.message());
}

Job store_fixture::get(uint64_t id) const {
  Job job;
  auto s = store->get(id, &job);
  BOOST_REQUIRE_MESSAGE(s.is_ok(), "get " << id << ": " << s.message());
  return job;
}

bool store_fixture::exists(uint64_t id) const {
  Job job;
  auto s = store->get(id, &job);
  BOOST_REQUIRE_MESSAGE(s.is_ok() || s.is_not_found(), "get " << id << ": " << s.message());
  return s.is_ok();
}

std::vector<queue_entry> store_fixture::queue() const {
  std::vector<queue_entry> out;
  auto s = store->scan_queue([&](const storage::job_store::queued_entry& e) {
    out.push_back({e.lane, e.seq, e.id});
  });
  BOOST_REQUIRE_MESSAGE(s.is_ok(), "scan_queue: " << s.message());
  return out;
}

}  // namespace troupe::test
