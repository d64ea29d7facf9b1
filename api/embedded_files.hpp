#pragma once
// The dashboard's files as compiled into the binary: the table that cmake/embed_assets.cmake generates at build
// time (build/web_assets.cpp, library troupe_web_assets) from web/ and Debian's Chart.js. Read-only, immutable,
// safe from any thread. Use find_asset (api/dashboard_assets.hpp) rather than the table.

#include <cstddef>

namespace troupe::api {

struct embedded_file {
  const char* name = nullptr;           // the file name under web/ ("index.html"), or "chart.min.js"
  const unsigned char* data = nullptr;  // `size` bytes (followed by a NUL that is not part of the file)
  size_t size = 0;
};

extern const embedded_file embedded_files[];
extern const size_t embedded_file_count;

}  // namespace troupe::api
