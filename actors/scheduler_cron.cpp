// Cron schedules (recurring jobs), run by the scheduler. Each schedule's next occurrence is kept in memory and one
// CAF timer is armed for the earliest of them. When an occurrence comes, the schedule's job is accepted like a
// submit, and the schedule's progress (the occurrence, the job, the counts) goes into the same commit: the job is
// stored if and only if the stored progress says its occurrence fired. So an occurrence fires at most once
// whatever happens, and one whose commit never happened is still ahead of the stored progress when the node
// starts again, where it counts as missed while the node was down (CronSchedule.Missed: skip, or run once).

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include "actors/job_errors.hpp"
#include "actors/scheduler_state.hpp"
#include "actors/spec_validation.hpp"
#include "storage/keys.hpp"

namespace troupe {

namespace {

// Past this many occurrences missed at once, the rest of them are not counted one by one.
constexpr uint64_t max_counted_occurrences = 1'000'000;

std::string time_text(micros t) {
  google::protobuf::Timestamp ts;
  set_timestamp(&ts, t);
  return google::protobuf::util::TimeUtil::ToString(ts);
}

CronSchedule::Missed missed_policy(const scheduler_state& st, const CronSchedule& schedule) {
  if (schedule.missed() != CronSchedule::MISSED_DEFAULT) return schedule.missed();
  return st.ctx->options.cronMissed == "skip" ? CronSchedule::SKIP : CronSchedule::RUN_ONCE;
}

// Writes the schedule (its progress included) in the next commit.
void persist(scheduler_self self, const cron_entry& e) {
  std::string bytes;
  e.record.SerializeToString(&bytes);
  self->state.batch.put_meta(std::string{storage::keys::meta_cron_prefix} + e.record.name(), std::move(bytes));
  schedule_flush(self);
}

// The schedule as listed: its record and its next occurrence.
CronSchedule listed(const cron_entry& e) {
  auto out = e.record;
  if (e.next) set_timestamp(out.mutable_next_occurrence(), *e.next);
  return out;
}

// The occurrences of a schedule from `e.next` up to `now`: how many, and the latest.
struct due_occurrences {
  uint64_t count = 0;
  micros latest = 0;
};

due_occurrences due_until(const cron_entry& e, micros now) {
  due_occurrences out;
  for (auto t = e.next; t && *t <= now; t = e.expression.next_after(*t, e.zone)) {
    out.latest = *t;
    if (++out.count == max_counted_occurrences) {
      // Too many to count: go on from a day before now (the count is then a lower bound).
      t = e.expression.next_after(std::max(out.latest, now - micros{86'400'000'000}), e.zone);
      for (; t && *t <= now; t = e.expression.next_after(*t, e.zone)) out.latest = *t;
      break;
    }
  }
  return out;
}

// The job of occurrence `at` of `e`, accepted into the next commit (its id), or why there is none: a template that
// this node no longer accepts (its kind is gone, say), or a job over its user's quota.
caf::expected<job_id> accept_occurrence(scheduler_self self, const cron_entry& e, micros at, bool caught_up) {
  auto& st = self->state;
  std::vector<JobSpec> specs;
  specs.push_back(e.record.job());  // one copy of the template ({...} would copy it twice)
  if (auto err = validate_spec(specs[0], st.ctx->options, *st.ctx->kinds)) return err;
  CronOrigin origin;
  origin.set_schedule(e.record.name());
  set_timestamp(origin.mutable_occurrence(), at);
  origin.set_caught_up(caught_up);
  auto ids = accept_specs(self, specs, after_commit::submitted{}, &origin);
  if (!ids) return std::move(ids.error());
  return ids->front();
}

// Occurrence `at` of `e` fires: its job joins the next commit with the schedule's progress. An occurrence that
// makes no job (accept_occurrence) is recorded all the same; the schedule says why and goes on.
void fire(scheduler_self self, cron_entry& e, micros at, bool caught_up) {
  if (auto id = accept_occurrence(self, e, at, caught_up); !id) {
    spdlog::error("cron {}: the occurrence of {} makes no job: {}", e.record.name(), time_text(at),
                  describe(id.error()));
    e.record.set_last_error(describe(id.error()));
  } else {
    e.record.set_last_job(*id);
    e.record.set_fired(e.record.fired() + 1);
    e.record.clear_last_error();
  }
  set_timestamp(e.record.mutable_last_occurrence(), at);
  persist(self, e);
}

// Settles the due occurrences of `e`: the latest makes its job if `run` (`caught_up`: it was missed while the
// node was down), the others count as skipped, and the schedule goes on after the latest.
void settle(scheduler_self self, cron_entry& e, const due_occurrences& due, bool run, bool caught_up) {
  e.record.set_skipped(e.record.skipped() + due.count - (run ? 1 : 0));
  if (run) {
    fire(self, e, due.latest, caught_up);
  } else {
    set_timestamp(e.record.mutable_last_occurrence(), due.latest);
    persist(self, e);
  }
  e.next = e.expression.next_after(due.latest, e.zone);
}

void arm(scheduler_self self) {
  auto& st = self->state;
  micros earliest = INT64_MAX;
  for (const auto& [name, e] : st.cron)
    if (e.next) earliest = std::min(earliest, *e.next);
  if (earliest == INT64_MAX || earliest >= st.cron_at) return;  // nothing to wait for, or armed already
  st.cron_at = earliest;
  auto delay = std::max<micros>(0, earliest - st.ctx->wall->now());
  self->delayed_send(self, std::chrono::microseconds{delay}, cron_tick_atom::value);
}

// Parses the schedule's expression and zone into `e`; returns an error message, empty if both are valid.
std::string compile(cron_entry& e) {
  std::string error;
  auto expression = cron_expression::parse(e.record.cron(), &error);
  if (!expression) return "cron expression '" + e.record.cron() + "': " + error;
  auto zone = cron_zone::find(e.record.time_zone(), &error);
  if (!zone) return error;
  e.expression = std::move(*expression);
  e.zone = *zone;
  return {};
}

// The schedule starts, or resumes, at `now`: its occurrences until then are behind it.
void start_from(cron_entry& e, micros now) {
  if (to_micros(e.record.last_occurrence()) < now) set_timestamp(e.record.mutable_last_occurrence(), now);
  e.next = e.expression.next_after(now, e.zone);
}

caf::error unknown_schedule(const std::string& name) {
  if (name.empty()) return make_error(ec::invalid_argument, "name the cron schedule");
  return make_error(ec::unknown_schedule, "no cron schedule named '" + name + "'");
}

// Adds the schedule of `c`, or replaces the one of that name (keeping its progress and its pause); returns it.
caf::expected<cron_entry*> add(scheduler_self self, const CronControl& c) {
  auto& st = self->state;
  auto now = st.ctx->wall->now();
  const auto& name = c.schedule().name();
  auto it = st.cron.find(name);
  if (it != st.cron.end() && !c.replace())
    return make_error(ec::conflict, "a cron schedule named '" + name + "' exists; add it with replace "
                                     "(troupe cron add --replace) to change it, or delete it first");
  cron_entry e;
  auto& r = e.record;
  r.set_name(name);
  r.set_cron(c.schedule().cron());
  r.set_time_zone(c.schedule().time_zone());
  *r.mutable_job() = c.schedule().job();
  r.set_missed(c.schedule().missed());
  if (auto error = compile(e); !error.empty()) return make_error(ec::invalid_argument, error);
  if (it != st.cron.end()) {
    const auto& old = it->second.record;
    *r.mutable_created_at() = old.created_at();
    r.set_created_by(old.created_by());
    *r.mutable_last_occurrence() = old.last_occurrence();
    r.set_last_job(old.last_job());
    r.set_fired(old.fired());
    r.set_skipped(old.skipped());
    r.set_paused(old.paused());
    r.set_paused_by(old.paused_by());
  } else {
    set_timestamp(r.mutable_created_at(), now);
    r.set_created_by(operator_name(c.by()));
  }
  if (!r.paused()) start_from(e, now);
  record_control(self, c.by(), fmt::format("cron {} {}: '{}' in {}, job of kind {}; next at {}", name,
                                           it != st.cron.end() ? "replaced" : "added", r.cron(), e.zone.name(),
                                           r.job().kind(), e.next ? time_text(*e.next) : "never"));
  auto& slot = st.cron[name];
  slot = std::move(e);
  return &slot;
}

}  // namespace

caf::result<CronList> control_cron(scheduler_self self, const CronControl& c) {
  auto& st = self->state;
  auto rp = self->make_response_promise<CronList>();
  auto now = st.ctx->wall->now();
  CronList out;
  auto found = st.cron.find(c.name());
  switch (c.action()) {
    case CronControl::LIST:
      if (!c.name().empty() && found == st.cron.end()) {
        rp.deliver(unknown_schedule(c.name()));
        return rp;
      }
      for (const auto& [name, e] : st.cron)
        if (c.name().empty() || name == c.name()) *out.add_schedules() = listed(e);
      rp.deliver(std::move(out));
      return rp;
    case CronControl::ADD: {
      if (st.draining) {
        rp.deliver(make_error(ec::shutting_down, "the node is shutting down"));
        return rp;
      }
      auto added = add(self, c);
      if (!added) {
        rp.deliver(added.error());
        return rp;
      }
      persist(self, **added);
      *out.add_schedules() = listed(**added);
      break;
    }
    case CronControl::PAUSE:
    case CronControl::RESUME: {
      if (found == st.cron.end()) {
        rp.deliver(unknown_schedule(c.name()));
        return rp;
      }
      auto& e = found->second;
      bool pause = c.action() == CronControl::PAUSE;
      if (e.record.paused() != pause) {
        e.record.set_paused(pause);
        e.record.set_paused_by(pause ? operator_name(c.by()) : std::string{});
        if (pause) e.next.reset();
        else start_from(e, now);
        record_control(self, c.by(), fmt::format("cron {} {}", c.name(), pause ? "paused" : "resumed"));
        persist(self, e);
      }
      *out.add_schedules() = listed(e);
      break;
    }
    case CronControl::DELETE:
      if (found == st.cron.end()) {
        rp.deliver(unknown_schedule(c.name()));
        return rp;
      }
      *out.add_schedules() = listed(found->second);
      st.batch.erase_meta(std::string{storage::keys::meta_cron_prefix} + c.name());
      st.cron.erase(found);
      record_control(self, c.by(), fmt::format("cron {} deleted", c.name()));
      break;
    default:
      rp.deliver(make_error(ec::invalid_argument, "unknown cron control " + std::to_string(int{c.action()})));
      return rp;
  }
  st.after.cron_answers.emplace_back(rp, std::move(out));
  schedule_flush(self);
  arm(self);
  return rp;
}

storage::status restore_cron(scheduler_self self) {
  auto& st = self->state;
  std::vector<CronSchedule> records;
  auto s = st.ctx->store->scan_meta(storage::keys::meta_cron_prefix, [&](std::string_view key,
                                                                         std::string_view value) {
    CronSchedule r;
    if (!r.ParseFromArray(value.data(), static_cast<int>(value.size())))
      spdlog::error("cron: the record {} is malformed; it is left alone", key);
    else records.push_back(std::move(r));
  });
  if (!s) return s;
  auto now = st.ctx->wall->now();
  for (auto& record : records) {
    auto& e = st.cron[record.name()];
    e.record = std::move(record);
    const auto& name = e.record.name();
    if (auto error = compile(e); !error.empty()) {
      spdlog::error("cron {}: cannot run on this node: {}", name, error);
      e.record.set_last_error(error);
      continue;
    }
    if (e.record.paused()) continue;
    e.next = e.expression.next_after(to_micros(e.record.last_occurrence()), e.zone);
    auto due = due_until(e, now);
    if (due.count > 0) {
      bool run_once = missed_policy(st, e.record) == CronSchedule::RUN_ONCE;
      spdlog::warn("cron {}: {}{} occurrences missed while the node was down, the latest at {}; {}", name,
                   due.count >= max_counted_occurrences ? "over " : "", due.count, time_text(due.latest),
                   run_once ? "its job runs now (run once)" : "skipped");
      settle(self, e, due, /*run=*/run_once, /*caught_up=*/true);
    }
  }
  if (!st.cron.empty()) {
    spdlog::info("scheduler: {} cron schedules", st.cron.size());
    arm(self);
  }
  return s;
}

void fire_cron(scheduler_self self) {
  auto& st = self->state;
  st.cron_at = INT64_MAX;
  if (st.draining) return;  // what comes due now is missed, and handled as such at the next start
  auto now = st.ctx->wall->now();
  for (auto& [name, e] : st.cron) {
    auto due = due_until(e, now);
    if (due.count == 0) continue;
    if (due.count > 1) {
      // The node was too busy to see them, or its clock jumped: one job for all of them.
      spdlog::warn("cron {}: {} occurrences came at once; one job for the latest, at {}", name, due.count,
                   time_text(due.latest));
    }
    settle(self, e, due, /*run=*/true, /*caught_up=*/false);
  }
  arm(self);
}

}  // namespace troupe
