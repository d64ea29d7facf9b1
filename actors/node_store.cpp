#include "actors/node_store.hpp"

#include "troupe/error.hpp"

namespace troupe {

caf::expected<storage::store_options> store_options_of(const node_options& options) {
  storage::store_options out;
  out.path = options.data;
  if (!storage::parse_record_compression(options.payloadCompression, &out.compression))
    return make_error(ec::invalid_argument, "payloadCompression '" + options.payloadCompression +
                                                "' is not one of zstd, lz4, none");
  if (!storage::compression_supported(out.compression))
    return make_error(ec::invalid_argument,
                      "payloadCompression '" + options.payloadCompression +
                          "': the RocksDB library troupe is linked with was built without it; choose another "
                          "(zstd, lz4, none)");
  out.blob_threshold_kb = options.blobThresholdKB;
  return out;
}

}  // namespace troupe
