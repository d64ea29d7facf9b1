#include "actors/worker_pool.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

namespace troupe {

struct worker_pool::impl {
  explicit impl(size_t n) : pool(n) {}
  boost::asio::thread_pool pool;
};

worker_pool::worker_pool(size_t threads) : impl_(std::make_unique<impl>(threads)), threads_(threads) {}

worker_pool::~worker_pool() { impl_->pool.join(); }

void worker_pool::post(std::function<void()> work) { boost::asio::post(impl_->pool, std::move(work)); }

}  // namespace troupe
