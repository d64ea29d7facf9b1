#include "storage/keys.hpp"

namespace troupe::storage::keys {

void put_u64(std::string& out, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out.append(buf, 8);
}

uint64_t get_u64(std::string_view in, size_t offset) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[offset + i]);
  return v;
}

std::string job(uint64_t id) {
  std::string k;
  put_u64(k, id);
  return k;
}

std::string queue(int lane, uint64_t seq) {
  std::string k(1, static_cast<char>(lane));
  put_u64(k, seq);
  return k;
}


namespace {
std::string timed(int64_t t, uint64_t id) {
  std::string k;
  put_u64(k, static_cast<uint64_t>(t < 0 ? 0 : t));
  put_u64(k, id);
  return k;
}
}  // namespace

std::string scheduled(int64_t run_at_us, uint64_t id) { return timed(run_at_us, id); }
std::string history(int64_t finished_at_us, uint64_t id) { return timed(finished_at_us, id); }

}  // namespace troupe::storage::keys
