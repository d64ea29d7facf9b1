#include "schemas/usage.hpp"

#include <algorithm>

namespace troupe {

bool counts_toward_usage(Job::State state) {
  return state == Job::BLOCKED || state == Job::SCHEDULED || state == Job::READY || state == Job::RUNNING;
}

uint64_t payload_bytes(const JobSpec& spec) { return spec.has_payload() ? spec.payload().ByteSizeLong() : 0; }

bool count_change(usage_counter& counter, const JobSpec& spec, Job::State before, Job::State after) {
  bool was = counts_toward_usage(before);
  bool is = counts_toward_usage(after);
  if (was == is) return false;
  auto bytes = payload_bytes(spec);
  if (is) {
    ++counter.jobs;
    counter.payload_bytes += bytes;
  } else {
    counter.jobs -= counter.jobs > 0 ? 1 : 0;
    counter.payload_bytes -= std::min(counter.payload_bytes, bytes);
  }
  return true;
}

}  // namespace troupe
