#pragma once
// Helpers for end-to-end tests that drive a node through the `troupe` CLI: reading the CLI's JSON back into
// troupe's Protobuf messages (the CLI prints them with Protobuf's JSON mapping), and the few command sequences
// every such test needs. Each helper fails the test case (Boost.Test) when a command does not succeed, naming
// the command and its output.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "schemas/troupe.pb.h"
#include "support/process.hpp"

namespace troupe::test {

// `json` as a message; fails the test naming `what` when it is not one.
Job parse_job(const std::string& json, const std::string& what = "a job");
NodeStatus parse_status(const std::string& json);
// One Job per non-empty line (`troupe jobs list --json`).
std::vector<Job> parse_job_lines(const std::string& jsonl);
// One id per non-empty line (`troupe submit` prints the ids it got); fails on a line that is not a number.
std::vector<uint64_t> parse_ids(const std::string& text);

// `troupe status --json`.
NodeStatus status_of(const node_process& node);
// `troupe jobs show ID`.
Job show_job(const node_process& node, uint64_t id);
// `troupe jobs list --json --limit 10000 <filters>`: every job (the test stores fewer than 10,000 per page; the
// helper follows the --after cursor for more).
std::vector<Job> list_jobs(const node_process& node, const std::vector<std::string>& filters = {});
// Number of jobs the node stores (all states).
size_t job_count(const node_process& node);

// Writes `count` copies of `line` (one JSON job spec) to `path`, one per line.
void write_jsonl(const std::string& path, size_t count, const std::string& line);

// `troupe wait <ids> --timeout <timeout>`, in chunks of `chunk` ids; returns the first non-zero exit code
// (and the output of that command in `failure`), or 0 when every chunk's jobs SUCCEEDED.
int wait_all(const node_process& node, const std::vector<uint64_t>& ids, const std::string& timeout,
             command_result* failure = nullptr, size_t chunk = 1000);

}  // namespace troupe::test
