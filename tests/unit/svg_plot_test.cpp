#define BOOST_TEST_MODULE svg_plot
#include <boost/test/unit_test.hpp>

// The benchmark's SVG writer (bench/svg_plot.hpp): a well-formed document (parsed back with Boost's XML parser)
// with one chart per chart given, one polyline per series holding its points, and text escaped.

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include <sstream>

#include "bench/svg_plot.hpp"

using namespace troupe::bench;
namespace pt = boost::property_tree;

namespace {

pt::ptree parse(const std::string& svg) {
  std::istringstream in{svg};
  pt::ptree tree;
  BOOST_REQUIRE_NO_THROW(pt::read_xml(in, tree));
  return tree;
}

// The children of `node` named `name`.
std::vector<const pt::ptree*> children(const pt::ptree& node, const std::string& name) {
  std::vector<const pt::ptree*> out;
  for (const auto& [n, child] : node)
    if (n == name) out.push_back(&child);
  return out;
}

size_t count_points(const std::string& points) {
  std::istringstream in{points};
  std::string pair;
  size_t n = 0;
  while (in >> pair) n += pair.find(',') != std::string::npos ? 1 : 0;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_document_is_well_formed_svg_with_one_group_per_chart_and_a_polyline_per_series) {
  plot_chart sweep{"Throughput vs slot count", "maxConcurrentJobs", "jobs/s", true,
                   {{"throughput (jobs/s)", {{1, 900}, {2, 1700}, {4, 3100}, {8, 3200}}}}};
  plot_chart latency{"Pickup latency vs offered load", "offered jobs/s", "ms", false,
                     {{"p50 pickup (ms)", {{2500, 0.1}, {5000, 0.2}, {7500, 0.4}}},
                      {"p99 pickup (ms)", {{2500, 2}, {5000, 8}, {7500, 90}}}}};
  auto svg = render_svg({sweep, latency}, 640, 360);
  auto tree = parse(svg);
  const auto& root = tree.get_child("svg");
  BOOST_TEST(root.get<std::string>("<xmlattr>.xmlns") == "http://www.w3.org/2000/svg");
  BOOST_TEST(root.get<int>("<xmlattr>.height") == 720);  // two charts stacked
  auto groups = children(root, "g");
  BOOST_REQUIRE_EQUAL(groups.size(), 2u);
  auto first = children(*groups[0], "polyline");
  BOOST_REQUIRE_EQUAL(first.size(), 1u);
  BOOST_TEST(first[0]->get<std::string>("title") == "throughput (jobs/s)");
  BOOST_TEST(count_points(first[0]->get<std::string>("<xmlattr>.points")) == 4u);
  auto second = children(*groups[1], "polyline");
  BOOST_REQUIRE_EQUAL(second.size(), 2u);
  BOOST_TEST(second[1]->get<std::string>("title") == "p99 pickup (ms)");
  BOOST_TEST(count_points(second[1]->get<std::string>("<xmlattr>.points")) == 3u);
  BOOST_TEST(children(*groups[1], "circle").size() == 6u);  // a marker per point
}

BOOST_AUTO_TEST_CASE(text_is_escaped_and_non_finite_points_are_dropped) {
  plot_chart chart{"a <b> & \"c\"", "x", "y", false,
                   {{"s'1", {{1, 1}, {2, std::numeric_limits<double>::quiet_NaN()}, {3, 3}}}}};
  auto svg = render_svg({chart});
  BOOST_TEST(svg.find("a &lt;b&gt; &amp; &quot;c&quot;") != std::string::npos);
  auto tree = parse(svg);
  auto lines = children(*children(tree.get_child("svg"), "g")[0], "polyline");
  BOOST_TEST(lines[0]->get<std::string>("title") == "s'1");
  BOOST_TEST(count_points(lines[0]->get<std::string>("<xmlattr>.points")) == 2u);
}

BOOST_AUTO_TEST_CASE(no_charts_or_empty_series_still_make_a_valid_document) {
  parse(render_svg({}));
  parse(render_svg({plot_chart{"empty", "x", "y", true, {{"none", {}}}}}));
}
