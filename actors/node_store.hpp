#pragma once
// The store settings a node's options ask for. Shared by the node, the tools that open a stopped node's store
// (`troupe users`) and the tests, so that every writer of a data directory uses the same compression and blob
// files.

#include <caf/expected.hpp>

#include "config/options.hpp"
#include "storage/store.hpp"

namespace troupe {

// The data directory, payloadCompression and blobThresholdKB of `options` as store options; ec::invalid_argument
// naming payloadCompression if it is not a known compression or the linked RocksDB was built without it.
caf::expected<storage::store_options> store_options_of(const node_options& options);

}  // namespace troupe
