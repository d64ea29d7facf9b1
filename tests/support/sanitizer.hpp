#pragma once
// What the test fixtures change in the sanitizer build (-DTROUPE_SANITIZE=ON; DEVELOPERS.md, "Sanitizer build").

#include <cstdint>

namespace troupe::test {

// Memory admission reads a process's resident memory, and under AddressSanitizer that includes its quarantine of
// freed blocks (256 MiB) and shadow memory: past 80% of the default maxMemoryMB (512) before a job runs, so
// admission would hold every job. Nodes that tests start in process (engine_fixture) or as processes
// (node_process) get this maxMemoryMB instead, unless the test sets one; tests of admission set their own limit
// from the measured resident memory (resources_test.cpp). 0 outside the sanitizer build: the default stays.
#ifdef __SANITIZE_ADDRESS__
inline constexpr uint32_t sanitizer_max_memory_mb = 4096;
#else
inline constexpr uint32_t sanitizer_max_memory_mb = 0;
#endif

}  // namespace troupe::test
