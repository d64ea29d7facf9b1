// troupe-sim: runs one simulation scenario (simulations/README.md).
//
//   troupe-sim --config simulations/scenarios/crash_storm.toml [--seed N] [--out DIR] [any parameter]
//
// Prints the seed first (so a run can be repeated), progress while it runs, the broken invariants if any, and
// last a key=value line ending with verdict=PASS or verdict=FAIL. Exit codes: 0 PASS, 1 FAIL, 2 bad parameters,
// 3 the run could not be carried out.

#include <filesystem>
#include <iostream>
#include <random>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "simulations/harness.hpp"
#include "simulations/scenario.hpp"
#include "troupe/error.hpp"

int main(int argc, char** argv) {
  troupe::sim::scenario s;
  CLI::App app{"troupe-sim: a troupe node's real actors against simulated workers on simulated time"};
  troupe::sim::add_scenario_options(app, s);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (auto problem = troupe::sim::validate(s); !problem.empty()) {
    std::cerr << "troupe-sim: " << problem << "\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(s.node.logLevel));
  if (s.seed == 0) s.seed = std::random_device{}() | 1;
  s.node.data = s.out + "/" + s.name + ".store";
  std::error_code ec;
  std::filesystem::remove_all(s.node.data, ec);  // a fresh store for every run
  if (std::filesystem::create_directories(s.out, ec); ec) {
    std::cerr << "troupe-sim: cannot create " << s.out << ": " << ec.message() << "\n";
    return 3;
  }
  std::cout << "scenario " << s.name << " seed=" << s.seed << " (repeat with --seed " << s.seed << ")\n";
  if (!s.description.empty()) std::cout << "  " << s.description << "\n";
  std::cout << std::flush;
  auto result = troupe::sim::run_scenario(s, std::cout);
  if (!result) {
    std::cerr << "troupe-sim: " << troupe::describe(result.error()) << "\n";
    return 3;
  }
  for (const auto& v : result->violations) std::cout << "  VIOLATION " << v << "\n";
  std::cout << "  wrote " << result->csv_path << " and " << result->svg_path << "\n";
  std::cout << result->summary << std::endl;
  return result->passed ? 0 : 1;
}
