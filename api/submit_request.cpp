#include "api/submit_request.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "actors/spec_validation.hpp"
#include "troupe/error.hpp"
#include "troupe/json.hpp"

namespace troupe::api {

namespace {

// The first character that is not JSON whitespace, or '\0'.
char first_token(std::string_view body) {
  auto it = std::find_if(body.begin(), body.end(), [](unsigned char c) { return !std::isspace(c); });
  return it == body.end() ? '\0' : *it;
}

// Whether the object's top-level keys include "jobs": then it is a SubmitRequest, not a JobSpec (which has no
// such field). Decided by parsing it as a Struct, so that nested "jobs" keys (in a payload) do not count.
bool names_jobs(std::string_view body) {
  google::protobuf::Struct object;
  if (from_json(body, &object)) return false;
  return object.fields().count("jobs") > 0;
}

}  // namespace

caf::expected<std::vector<JobSpec>> parse_submit_body(std::string_view body) {
  SubmitRequest request;
  switch (first_token(body)) {
    case '\0':
      return make_error(ec::invalid_argument, "the request body is empty: send a job, an array of jobs or "
                                              "{\"jobs\": [...]}");
    case '[': {
      // A top-level array is the `jobs` field of a SubmitRequest.
      std::string wrapped;
      wrapped.reserve(body.size() + 10);
      wrapped.append("{\"jobs\":").append(body).append("}");
      if (auto err = from_json(wrapped, &request)) return err;
      break;
    }
    case '{':
      if (names_jobs(body)) {
        if (auto err = from_json(body, &request)) return err;
      } else if (auto err = from_json(body, request.add_jobs())) {
        return err;
      }
      break;
    default:
      return make_error(ec::invalid_argument, "invalid JSON: the body is neither a job object nor an array");
  }
  if (request.jobs().empty()) return make_error(ec::invalid_argument, "no jobs to submit");
  if (static_cast<size_t>(request.jobs_size()) > max_jobs_per_submit)
    return make_error(ec::invalid_argument, "more than " + std::to_string(max_jobs_per_submit) +
                                                " jobs in one request; split it");
  std::vector<JobSpec> specs;
  specs.reserve(request.jobs_size());
  for (auto& spec : *request.mutable_jobs()) specs.push_back(std::move(spec));
  return specs;
}

}  // namespace troupe::api
