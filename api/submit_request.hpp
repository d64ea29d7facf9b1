#pragma once
// The request -> job spec path of the HTTP API (POST /api/jobs), kept free of any HTTP library so that the fuzz
// test (fuzz/) can drive it directly. Parsing is Protobuf's JSON mapping; nothing here touches the node.

#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "schemas/troupe.pb.h"

namespace troupe::api {

// The jobs of a submit body: one JobSpec object ({"kind": ...}), a JSON array of them, or {"jobs": [...]} (a
// SubmitRequest). An error (ec::invalid_argument) names what is wrong: malformed JSON, an unknown field, a wrong
// type, an empty request, or more than max_jobs_per_submit jobs.
caf::expected<std::vector<JobSpec>> parse_submit_body(std::string_view body);

}  // namespace troupe::api
