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

std::string edge(uint64_t parent, uint64_t child) {
  std::string k;
  put_u64(k, parent);
  put_u64(k, child);
  return k;
}

std::string batch_prefix(std::string_view batch) {
  std::string k{batch};
  k.push_back('\0');
  return k;
}

std::string batch_callback_prefix(std::string_view batch) {
  std::string k{batch};
  k.push_back('\1');
  return k;
}

std::string batch_member(std::string_view batch, uint64_t id) {
  auto k = batch_prefix(batch);
  put_u64(k, id);
  return k;
}

std::string unique_prefix(std::string_view user, std::string_view key) {
  std::string k{user};
  k.push_back('\0');
  k.append(key);
  k.push_back('\0');
  return k;
}

std::string unique(std::string_view user, std::string_view key, uint64_t id) {
  auto k = unique_prefix(user, key);
  put_u64(k, id);
  return k;
}

std::string batch_callback(std::string_view batch, uint64_t id) {
  auto k = batch_callback_prefix(batch);
  put_u64(k, id);
  return k;
}

std::string queue_value(uint64_t id, std::string_view user, std::string_view kind) {
  std::string v;
  v.reserve(9 + user.size() + kind.size());
  put_u64(v, id);
  v.append(user);
  v.push_back('\0');
  v.append(kind);
  return v;
}

bool parse_queue_value(std::string_view value, queue_entry_value* out) {
  if (value.size() == 8) {  // written before fair share: no user or kind
    *out = {get_u64(value), {}, {}};
    return true;
  }
  if (value.size() < 9) return false;
  auto rest = value.substr(8);
  auto nul = rest.find('\0');
  if (nul == std::string_view::npos) return false;
  out->id = get_u64(value);
  out->user = rest.substr(0, nul);
  out->kind = rest.substr(nul + 1);
  return true;
}

std::string scheduled(int64_t run_at_us, uint64_t id) { return timed(run_at_us, id); }
std::string history(int64_t finished_at_us, uint64_t id) { return timed(finished_at_us, id); }

std::string audit(int64_t at_us, uint64_t seq) {
  std::string out{meta_audit_prefix};
  put_u64(out, static_cast<uint64_t>(at_us));
  put_u64(out, seq);
  return out;
}

std::string usage(std::string_view user) {
  std::string out{meta_usage_prefix};
  out.append(user);
  return out;
}

std::string metrics(uint8_t tier, int64_t at_us) {
  std::string out(1, static_cast<char>(tier));
  put_u64(out, static_cast<uint64_t>(at_us));
  return out;
}

}  // namespace troupe::storage::keys
