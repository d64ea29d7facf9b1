// The metrics history's column family (job_store's metrics methods, declared in storage/store.hpp).

#include <memory>

#include <rocksdb/iterator.h>

#include "storage/keys.hpp"
#include "storage/store_impl.hpp"

namespace troupe::storage {

status job_store::put_metrics(uint8_t tier, micros at, std::string_view sample) {
  rocksdb::WriteOptions options;
  options.sync = false;
  return from_rocksdb(impl_->db->Put(options, impl_->handle(cf::metrics), keys::metrics(tier, at),
                                     rocksdb::Slice{sample.data(), sample.size()}));
}

status job_store::scan_metrics(uint8_t tier, micros from, micros to,
                               const std::function<bool(micros at, std::string_view sample)>& fn) const {
  if (from < 0) from = 0;
  if (to <= from) return status::ok();
  auto upper = keys::metrics(tier, to);
  rocksdb::Slice upper_slice{upper};
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it{impl_->db->NewIterator(options, impl_->handle(cf::metrics))};
  for (it->Seek(keys::metrics(tier, from)); it->Valid(); it->Next()) {
    auto key = it->key();
    if (key.size() != 9) continue;
    auto at = static_cast<micros>(keys::get_u64(std::string_view{key.data(), key.size()}, 1));
    if (!fn(at, std::string_view{it->value().data(), it->value().size()})) break;
  }
  return from_rocksdb(it->status());
}

status job_store::erase_metrics_before(uint8_t tier, micros before) {
  if (before <= 0) return status::ok();
  rocksdb::WriteOptions options;
  options.sync = false;
  return from_rocksdb(impl_->db->DeleteRange(options, impl_->handle(cf::metrics), keys::metrics(tier, 0),
                                             keys::metrics(tier, before)));
}

}  // namespace troupe::storage
