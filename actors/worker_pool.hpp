#pragma once
// The threads that run blocking kinds (workerPoolSize of them), so that blocking work never holds one of CAF's
// scheduler threads.

#include <cstddef>
#include <functional>
#include <memory>

namespace troupe {

class worker_pool {
 public:
  explicit worker_pool(size_t threads);
  ~worker_pool();  // waits for queued work to finish
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  // Runs `work` on one of the pool's threads. Thread-safe.
  void post(std::function<void()> work);
  size_t threads() const { return threads_; }

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  size_t threads_;
};

}  // namespace troupe
