#pragma once
// The web dashboard's static files (docs/dashboard.md), embedded in the binary at build time: web/index.html,
// web/app.js, ... and Chart.js from Debian's libjs-chart.js. `GET /` serves index.html and `GET /assets/NAME`
// the file NAME (api/routes.cpp); the page itself needs no token, its data calls send one.

#include <optional>
#include <string_view>

namespace troupe::api {

struct asset {
  std::string_view bytes = {};         // the file's content; points into the binary, valid for the whole run
  std::string_view content_type = {};  // from the name's extension ("text/javascript; charset=utf-8")
};

// The embedded file `name` ("index.html", "app.js", "chart.min.js"); nullopt if there is none of that name.
// Names are plain file names: anything with a '/' is not found.
std::optional<asset> find_asset(std::string_view name);

}  // namespace troupe::api
