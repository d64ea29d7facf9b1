#include "simulations/virtual_node.hpp"

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/scheduled_actor.hpp>

#include "actors/kinds/builtin_kinds.hpp"
#include "actors/node_store.hpp"

namespace troupe::sim {

namespace {

bool is_node_actor(std::string_view name) { return name.rfind("troupe.", 0) == 0; }

}  // namespace

caf::expected<std::unique_ptr<virtual_node>> virtual_node::create(node_options options,
                                                                  engine_context::usage_fn usage_probe,
                                                                  bool sync_writes) {
  std::unique_ptr<virtual_node> n{new virtual_node};
  n->options_ = std::move(options);
  n->usage_probe_ = std::move(usage_probe);
  n->sync_writes_ = sync_writes;
  n->cfg_ = std::make_unique<caf::actor_system_config>();
  n->cfg_->set("scheduler.policy", caf::atom("testing"));
  n->cfg_->set("logger.file-verbosity", caf::atom("quiet"));
  register_types(*n->cfg_);
  register_internal_types(*n->cfg_);
  n->sys_ = std::make_unique<caf::actor_system>(*n->cfg_);
  n->sched_ = &dynamic_cast<caf::scheduler::test_coordinator&>(n->sys_->scheduler());
  n->self_ = std::make_unique<caf::scoped_actor>(*n->sys_, /*hide=*/true);
  n->caf_base_ = n->sched_->clock().now();
  n->wall_base_ = n->wall_->now();
  if (auto err = n->open_store()) return err;
  if (auto err = n->start()) return err;
  return n;
}

virtual_node::~virtual_node() {
  if (!sys_) return;
  if (supervisor_) crash();
  run();
  sys_->await_actors_before_shutdown(false);
  self_.reset();
  ctx_.reset();
  sys_.reset();
}

// --- time ------------------------------------------------------------------------------------------------------

micros virtual_node::elapsed() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(sched_->clock().now() - caf_base_).count();
}

void virtual_node::note_actor(caf::resumable* job) {
  auto* actor = dynamic_cast<caf::scheduled_actor*>(job);
  if (actor == nullptr) return;
  auto id = actor->id();
  if (!seen_ids_.empty() && id <= seen_ids_.back() &&
      std::binary_search(seen_ids_.begin(), seen_ids_.end(), id))
    return;
  seen_ids_.insert(std::upper_bound(seen_ids_.begin(), seen_ids_.end(), id), id);
  if (!is_node_actor(actor->name())) return;
  auto alive = std::make_shared<bool>(true);
  actor->attach_functor([alive] { *alive = false; });
  node_actors_.push_back(node_actor{caf::weak_actor_ptr{actor->ctrl()}, alive});
}

size_t virtual_node::run() { return run_some(SIZE_MAX); }

size_t virtual_node::run_some(size_t n) {
  size_t handled = 0;
  while (handled < n && sched_->has_job()) {
    note_actor(sched_->jobs.front());
    sched_->run_once();
    ++handled;
  }
  return handled;
}

std::optional<micros> virtual_node::next_timer() const {
  const auto& schedule = sched_->clock().schedule();
  if (schedule.empty()) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::microseconds>(schedule.begin()->first - caf_base_).count();
}

void virtual_node::advance_to(micros target) {
  auto& clk = sched_->clock();
  auto limit = caf_base_ + std::chrono::microseconds{target};
  auto sync_wall = [&] {
    wall_->set(wall_base_ + std::chrono::duration_cast<std::chrono::microseconds>(clk.now() - caf_base_).count());
  };
  run();
  for (;;) {
    const auto& schedule = clk.schedule();
    if (schedule.empty() || schedule.begin()->first > limit) break;
    auto due = std::max(schedule.begin()->first, clk.now());
    clk.advance_time(due - clk.now());  // fires every timer due by then
    sync_wall();
    run();
  }
  if (limit > clk.now()) clk.advance_time(limit - clk.now());
  sync_wall();
  run();
}

// --- requests --------------------------------------------------------------------------------------------------

template <class T>
std::optional<caf::expected<T>> virtual_node::take_reply() {
  std::optional<caf::expected<T>> out;
  (*self_)->receive([&](T& x) { out.emplace(std::move(x)); }, [&](caf::error& err) { out.emplace(std::move(err)); },
                    caf::after(std::chrono::seconds(0)) >> [] {});
  return out;
}

template <class T, class Handle, class... Ts>
caf::expected<T> virtual_node::ask(const Handle& target, Ts&&... xs) {
  if (!target) return make_error(ec::unavailable, "the node is not running");
  (*self_)->send(target, std::forward<Ts>(xs)...);
  run();
  if (auto reply = take_reply<T>()) return std::move(*reply);
  return make_error(ec::unavailable, "the node did not answer");
}

void virtual_node::send_submit(std::vector<JobSpec> specs) {
  if (gateway_) (*self_)->send(gateway_, submit_atom::value, std::move(specs));
}

std::optional<caf::expected<std::vector<job_id>>> virtual_node::take_submit_answer() {
  return take_reply<std::vector<job_id>>();
}

caf::expected<NodeStatus> virtual_node::status() { return ask<NodeStatus>(gateway_, status_atom::value); }

caf::expected<ScalingStatus> virtual_node::scaling_status() {
  return ask<ScalingStatus>(scaling_, status_atom::value);
}

// --- lifecycle -------------------------------------------------------------------------------------------------

caf::error virtual_node::open_store() {
  std::unique_ptr<storage::job_store> store;
  auto store_options = store_options_of(options_);
  if (!store_options) return store_options.error();
  if (auto s = storage::job_store::open(*store_options, &store); !s)
    return make_error(ec::storage_failure, "cannot open the store: " + s.message());
  last_recovery_ = {};
  if (auto s = storage::recover_interrupted(*store, wall_->now(), &last_recovery_); !s)
    return make_error(ec::storage_failure, "storage recovery failed: " + s.message());
  kind_registry kinds;
  if (auto err = add_builtin_kinds(kinds, {options_.execEnabled, options_.outputTailBytes, options_.commandKinds}))
    return err;
  ctx_ = std::make_shared<engine_context>();
  ctx_->options = options_;
  ctx_->node_name = options_.nodeName;
  ctx_->store = std::move(store);
  ctx_->kinds = std::make_shared<const kind_registry>(std::move(kinds));
  ctx_->wall = wall_;
  ctx_->workers = std::make_shared<worker_pool>(options_.workerPoolSize);
  ctx_->usage_probe = usage_probe_;
  ctx_->sync_writes = sync_writes_;
  return {};
}

caf::error virtual_node::start() {
  supervisor_ = spawn_supervisor(*sys_, ctx_, /*detached=*/false);
  run();
  auto gw = ask<gateway_internal_actor>(supervisor_, gateway_atom::value);
  if (!gw) return gw.error();
  auto scaling = ask<scaling_actor>(supervisor_, scaling_atom::value);
  if (!scaling) return scaling.error();
  gateway_ = std::move(*gw);
  scaling_ = std::move(*scaling);
  return {};
}

void virtual_node::crash() {
  // The supervisor first, so that it restarts nothing; then every other actor of the node at once.
  if (supervisor_) (*self_)->send_exit(supervisor_, caf::exit_reason::kill);
  for (auto& a : node_actors_) {
    if (!*a.alive) continue;
    if (auto strong = caf::actor_cast<caf::strong_actor_ptr>(a.handle))
      (*self_)->send_exit(strong, caf::exit_reason::kill);
  }
  run();
  node_actors_.erase(std::remove_if(node_actors_.begin(), node_actors_.end(), [](auto& a) { return !*a.alive; }),
                     node_actors_.end());
  supervisor_ = nullptr;
  gateway_ = nullptr;
  scaling_ = nullptr;
}

caf::error virtual_node::close_store() {
  if (supervisor_) return make_error(ec::invalid_argument, "close_store: the engine still runs");
  if (!node_actors_.empty())
    return make_error(ec::invalid_argument, "close_store: " + std::to_string(node_actors_.size()) +
                                                " actors of the node still run");
  if (ctx_ && ctx_->store.use_count() > 1)
    return make_error(ec::invalid_argument, "close_store: the store is still held by " +
                                                std::to_string(ctx_->store.use_count() - 1) + " owners");
  ctx_.reset();
  return {};
}

caf::error virtual_node::reopen() {
  if (ctx_) return make_error(ec::invalid_argument, "reopen: the store is open");
  if (auto err = open_store()) return err;
  return start();
}

caf::error virtual_node::shutdown(std::chrono::milliseconds grace) {
  if (!supervisor_) return {};
  (*self_)->send(supervisor_, shutdown_atom::value, static_cast<uint64_t>(grace.count()));
  auto limit = elapsed() + std::chrono::duration_cast<std::chrono::microseconds>(grace).count() + 120'000'000;
  for (;;) {
    run();
    if (auto reply = take_reply<ok_atom>()) {
      run();
      supervisor_ = nullptr;
      gateway_ = nullptr;
      scaling_ = nullptr;
      return *reply ? caf::error{} : reply->error();
    }
    auto next = next_timer();
    if (!next || *next > limit) break;
    advance_to(std::max(*next, elapsed()));
  }
  return make_error(ec::timeout, "the supervisor did not finish its shutdown");
}

}  // namespace troupe::sim
