// `troupe submit`: one job from flags, or many from a JSONL file.

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>

#include <google/protobuf/util/time_util.h>

#include "cmd/troupe/cli.hpp"
#include "schemas/time.hpp"
#include "troupe/json.hpp"

namespace troupe::cli {

namespace {

struct submit_options {
  client_options client;
  job_flags job;
  std::string file;
  size_t batch_size = 1000;
};

// Every line of the file as a spec, or the first bad line's error. Nothing is submitted from a file with a bad
// line.
caf::expected<std::vector<JobSpec>> specs_from_file(const std::string& path) {
  std::ifstream in{path};
  if (!in) return make_error(ec::invalid_argument, "cannot read '" + path + "'");
  std::vector<JobSpec> specs;
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    JobSpec spec;
    if (auto err = from_json(line, &spec))
      return make_error(ec::invalid_argument, path + " line " + std::to_string(number) + ": " + describe(err));
    specs.push_back(std::move(spec));
  }
  if (specs.empty()) return make_error(ec::invalid_argument, "'" + path + "' holds no jobs");
  return specs;
}

void draw_progress(size_t done, size_t total) {
  constexpr int width = 40;
  int filled = static_cast<int>(width * done / total);
  std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, '.') << "] " << done << "/" << total
            << " jobs" << std::flush;
}

// Whether jobs of the file refer to each other or wait for something: then the file is one workflow, submitted
// in one request, all or nothing.
bool is_workflow(const std::vector<JobSpec>& specs) {
  return std::any_of(specs.begin(), specs.end(), [](const JobSpec& s) {
    return !s.ref().empty() || s.after_size() > 0 || s.dependencies_size() > 0 || !s.batch_callback().empty();
  });
}

// One request; prints "REF ID" for jobs with a ref, the id alone for the others.
int submit_workflow(std::vector<JobSpec> specs, const client& c) {
  std::vector<std::string> refs;
  for (const auto& s : specs) refs.push_back(s.ref());
  auto ids = c.submit(std::move(specs));
  if (!ids) return fail("submit", ids.error());
  for (size_t i = 0; i < ids->size(); ++i)
    std::cout << (refs[i].empty() ? "" : refs[i] + " ") << (*ids)[i] << "\n";
  return exit_ok;
}

int submit_file(const submit_options& o, const client& c) {
  auto specs = specs_from_file(o.file);
  if (!specs) return fail_usage("submit", describe(specs.error()));
  if (is_workflow(*specs)) return submit_workflow(std::move(*specs), c);
  bool progress = isatty(STDERR_FILENO) != 0;
  size_t total = specs->size();
  for (size_t first = 0; first < total; first += o.batch_size) {
    size_t last = std::min(total, first + o.batch_size);
    std::vector<JobSpec> chunk(std::make_move_iterator(specs->begin() + first),
                               std::make_move_iterator(specs->begin() + last));
    auto ids = c.submit(std::move(chunk));
    if (!ids) {
      if (progress) std::cerr << "\n";
      std::cerr << "troupe submit: lines of jobs " << first + 1 << " to " << last << " were refused; the " << first
                << " jobs before them were submitted (their ids are printed above)\n";
      return fail("submit", ids.error());
    }
    for (auto id : *ids) std::cout << id << "\n";
    std::cout.flush();
    if (progress) draw_progress(last, total);
  }
  if (progress) std::cerr << "\n";
  return exit_ok;
}

}  // namespace

caf::expected<JobSpec> spec_from(const job_flags& o) {
  JobSpec spec;
  spec.set_kind(o.kind);
  if (auto err = from_json(o.payload, spec.mutable_payload()))
    return make_error(ec::invalid_argument, "--payload: " + describe(err));
  std::string priority = o.priority;
  for (auto& c : priority) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  JobSpec::Priority p;
  if (!JobSpec::Priority_Parse(priority, &p))
    return make_error(ec::invalid_argument,
                      "--priority: '" + o.priority + "' is not one of CRITICAL, HIGH, NORMAL, LOW");
  spec.set_priority(p);
  if (!o.timeout.empty()) {
    auto t = parse_duration(o.timeout);
    if (!t) return make_error(ec::invalid_argument, "--timeout: " + describe(t.error()));
    if (t->count() <= 0) return make_error(ec::invalid_argument, "--timeout: must be positive");
    set_duration(spec.mutable_timeout(), t->count() * 1000);
  }
  spec.set_max_attempts(o.max_attempts);
  spec.set_user(o.user);
  spec.set_batch(o.batch);
  spec.set_batch_callback(o.batch_callback);
  spec.set_idempotency_key(o.key);
  if (!o.at.empty()) {
    if (!google::protobuf::util::TimeUtil::FromString(o.at, spec.mutable_run_at()))
      return make_error(ec::invalid_argument,
                        "--at: '" + o.at + "' is not an RFC 3339 time such as 2026-12-01T08:00:00Z");
  }
  if (!o.in.empty()) {
    auto d = parse_duration(o.in);
    if (!d) return make_error(ec::invalid_argument, "--in: " + describe(d.error()));
    set_timestamp(spec.mutable_run_at(), wall_now() + static_cast<micros>(d->count()) * 1000);
  }
  for (auto id : o.after) spec.add_dependencies(id);
  spec.set_on_parent_failure(o.on_parent_failure == "run" ? JobSpec::RUN : JobSpec::CANCEL);
  for (const auto& label : o.labels) {
    auto eq = label.find('=');
    if (eq == std::string::npos || eq == 0)
      return make_error(ec::invalid_argument, "--label: '" + label + "' is not KEY=VALUE");
    (*spec.mutable_labels())[label.substr(0, eq)] = label.substr(eq + 1);
  }
  return spec;
}

CLI::Option* add_job_flags(CLI::App& cmd, job_flags& o, bool one_off) {
  auto* kind = cmd.add_option("--kind", o.kind, "The job's kind (noop, sleep, cpu, fail, exec, or your own)");
  cmd.add_option("--payload", o.payload, "The kind's input as JSON, e.g. '{\"ms\": 500}'")->capture_default_str();
  cmd.add_option("--priority", o.priority, "CRITICAL, HIGH, NORMAL or LOW")->capture_default_str();
  cmd.add_option("--timeout", o.timeout, "Per attempt, e.g. 30s (default: the node's jobTimeoutMs)");
  cmd.add_option("--max-attempts", o.max_attempts, "Attempts before the job is DEAD (0: the node's default)");
  cmd.add_option("--user", o.user, "The user the job belongs to");
  cmd.add_option("--batch", o.batch, "A batch id grouping jobs");
  cmd.add_option("--label", o.labels, "KEY=VALUE, repeatable");
  if (!one_off) return kind;
  cmd.add_option("--after", o.after, "Ids of jobs that must succeed first (ID,ID or repeated)")->delimiter(',');
  cmd.add_option("--key", o.key,
                 "Idempotency key: while a job of yours with this key has not ended (or ended within "
                 "idempotencyWindowMs), submitting again prints its id instead of creating a job");
  auto* at = cmd.add_option("--at", o.at, "Run no earlier than this time (RFC 3339, e.g. 2026-12-01T08:00:00Z)");
  cmd.add_option("--in", o.in, "Run no earlier than this long from now (e.g. 10m, 90s, 2h)")->excludes(at);
  cmd.add_option("--on-parent-failure", o.on_parent_failure,
                 "When a job it waits for fails or is cancelled: cancel (this job and those after it) or run anyway")
      ->check(CLI::IsMember({"cancel", "run"}))
      ->capture_default_str();
  cmd.add_option("--batch-callback", o.batch_callback,
                 "Make this job the callback of a batch: it runs once, when every job of the batch is terminal");
  return kind;
}

void add_submit_command(CLI::App& app, std::optional<command_fn>& run) {
  auto o = std::make_shared<submit_options>();
  auto* cmd = app.add_subcommand("submit", "Submit a job (prints its id) or every job of a JSONL file (--file).");
  o->client.add_to(*cmd);
  auto* kind = add_job_flags(*cmd, o->job, /*one_off=*/true);
  auto* file = cmd->add_option(
      "--file", o->file,
      "A JSONL file, one JobSpec per line: {\"kind\": \"sleep\", \"payload\": {\"ms\": 5}}. A workflow (lines with "
      "\"ref\" and \"after\": [\"ref\", ...], dependencies or a batchCallback) goes in one request, all or nothing, "
      "and prints REF ID per line");
  cmd->add_option("--batch-size", o->batch_size, "Jobs per request with --file")
      ->check(CLI::Range(size_t{1}, size_t{100000}))
      ->capture_default_str();
  kind->excludes(file);
  cmd->callback([&run, o, kind, file] {
    run = [o, kind, file] {
      if (kind->count() == 0 && file->count() == 0) return fail_usage("submit", "give --kind or --file");
      return with_client("submit", o->client, [&](const client& c) {
        if (file->count() > 0) return submit_file(*o, c);
        auto spec = spec_from(o->job);
        if (!spec) return fail_usage("submit", describe(spec.error()));
        auto id = c.submit(std::move(*spec));
        if (!id) return fail("submit", id.error());
        std::cout << *id << "\n";
        return int{exit_ok};
      });
    };
  });
}

}  // namespace troupe::cli
