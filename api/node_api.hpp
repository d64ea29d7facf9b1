#pragma once
// What the HTTP routes need from a node, as plain asynchronous C++ calls: each request of troupe's access_actor
// (troupe/protocol.hpp) with the caller's API token, answered through a callback. The routes (api/routes.hpp)
// depend on this interface only, so they compile without CAF's actor headers and are tested with a fake.
//
// Contract for implementations: every call answers exactly once, on any thread, possibly before it returns; it
// never blocks the calling thread waiting for the node. An error is a troupe error (troupe/error.hpp): errors of
// other categories (CAF's own) are turned into ec::timeout (no answer in time) or ec::unavailable.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "schemas/troupe.pb.h"

namespace troupe::api {

template <class T>
using reply = std::function<void(caf::expected<T>)>;

class node_api {
 public:
  virtual ~node_api() = default;

  virtual void submit(const std::string& token, std::vector<JobSpec> specs, reply<std::vector<uint64_t>> done) = 0;
  virtual void get_job(const std::string& token, uint64_t id, reply<Job> done) = 0;
  virtual void list(const std::string& token, JobQuery query, reply<JobPage> done) = 0;
  virtual void cancel(const std::string& token, uint64_t id, reply<Job> done) = 0;
  virtual void status(const std::string& token, reply<NodeStatus> done) = 0;
  virtual void control(const std::string& token, JobControl control, reply<Job> done) = 0;
  virtual void queues(const std::string& token, QueueControl control, reply<QueueList> done) = 0;
  virtual void cron(const std::string& token, CronControl control, reply<CronList> done) = 0;
  virtual void users(const std::string& token, UserControl control, reply<UserList> done) = 0;
  virtual void metrics(const std::string& token, MetricsQuery query, reply<SeriesSet> done) = 0;
  virtual void prometheus(const std::string& token, reply<std::string> done) = 0;
  virtual void alerts(const std::string& token, AlertControl control, reply<AlertList> done) = 0;
  virtual void dashboard(const std::string& token, reply<Dashboard> done) = 0;
  virtual void plan(const std::string& token, uint64_t id, reply<ExecutionPlan> done) = 0;
  virtual void workers(const std::string& token, reply<WorkerList> done) = 0;
};

}  // namespace troupe::api
