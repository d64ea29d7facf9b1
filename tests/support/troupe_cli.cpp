#include "support/troupe_cli.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

#include "troupe/error.hpp"
#include "troupe/json.hpp"

namespace troupe::test {

namespace {

template <class Message>
Message parse(const std::string& json, const std::string& what) {
  Message message;
  auto err = from_json(json, &message);
  BOOST_REQUIRE_MESSAGE(!err, "not " << what << " (" << describe(err) << "): '" << json.substr(0, 2000) << "'");
  return message;
}

}  // namespace

Job parse_job(const std::string& json, const std::string& what) { return parse<Job>(json, what); }

NodeStatus parse_status(const std::string& json) { return parse<NodeStatus>(json, "a node status"); }

std::vector<Job> parse_job_lines(const std::string& jsonl) {
  std::vector<Job> jobs;
  std::istringstream in{jsonl};
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) jobs.push_back(parse_job(line, "a job (one line of jobs list --json)"));
  return jobs;
}

std::vector<uint64_t> parse_ids(const std::string& text) {
  std::vector<uint64_t> ids;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    size_t used = 0;
    uint64_t id = 0;
    try {
      id = std::stoull(line, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    BOOST_REQUIRE_MESSAGE(used == line.size() && used > 0, "not a job id: '" << line << "'");
    ids.push_back(id);
  }
  return ids;
}

NodeStatus status_of(const node_process& node) {
  auto r = node.run({"status", "--json"});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "troupe status --json: " << r.describe());
  return parse_status(r.out);
}

Job show_job(const node_process& node, uint64_t id) {
  auto r = node.run({"jobs", "show", std::to_string(id)});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "troupe jobs show " << id << ": " << r.describe());
  return parse_job(r.out, "job " + std::to_string(id));
}

std::vector<Job> list_jobs(const node_process& node, const std::vector<std::string>& filters) {
  std::vector<Job> all;
  uint64_t after = 0;
  for (;;) {
    std::vector<std::string> args{"jobs", "list", "--json", "--limit", "10000", "--after", std::to_string(after)};
    args.insert(args.end(), filters.begin(), filters.end());
    auto r = node.run(args);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, "troupe jobs list --json: " << r.describe());
    auto page = parse_job_lines(r.out);
    all.insert(all.end(), page.begin(), page.end());
    // The CLI prints the next page's cursor on stderr: "(more: add --after N)".
    auto more = r.err.find("--after ");
    if (more == std::string::npos) return all;
    after = std::stoull(r.err.substr(more + 8));
  }
}

size_t job_count(const node_process& node) { return list_jobs(node).size(); }

void write_jsonl(const std::string& path, size_t count, const std::string& line) {
  std::ofstream out{path};
  for (size_t i = 0; i < count; ++i) out << line << "\n";
  out.close();
  BOOST_REQUIRE_MESSAGE(out, "cannot write " << path);
}

int wait_all(const node_process& node, const std::vector<uint64_t>& ids, const std::string& timeout,
             command_result* failure, size_t chunk) {
  for (size_t first = 0; first < ids.size(); first += chunk) {
    std::vector<std::string> args{"wait", "--timeout", timeout};
    for (size_t i = first; i < std::min(ids.size(), first + chunk); ++i) args.push_back(std::to_string(ids[i]));
    auto r = node.run(args, std::chrono::minutes{5});
    if (r.exit_code != 0) {
      if (failure) *failure = r;
      return r.exit_code;
    }
  }
  return 0;
}

}  // namespace troupe::test
