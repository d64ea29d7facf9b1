#include "actors/users.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "storage/keys.hpp"
#include "troupe/error.hpp"

namespace troupe {

namespace {

constexpr size_t secret_bytes = 32;
constexpr size_t salt_bytes = 16;
constexpr size_t max_name_length = 64;

caf::expected<std::string> random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    return make_error(ec::internal, "the system's random number generator failed");
  return out;
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0xf]);
  }
  return out;
}

// SHA-256(salt . secret).
std::string token_hash(std::string_view salt, std::string_view secret) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  auto* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, salt.data(), salt.size());
  EVP_DigestUpdate(ctx, secret.data(), secret.size());
  EVP_DigestFinal_ex(ctx, digest.data(), &length);
  EVP_MD_CTX_free(ctx);
  return std::string{reinterpret_cast<const char*>(digest.data()), length};
}

std::string user_key(std::string_view name) {
  return std::string{storage::keys::meta_user_prefix}.append(name);
}

}  // namespace

caf::error validate_user_name(std::string_view name) {
  auto allowed = [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; };
  if (name.empty() || name.size() > max_name_length || !std::all_of(name.begin(), name.end(), allowed))
    return make_error(ec::invalid_argument, "user name '" + std::string{name} +
                                                "' must be 1 to 64 characters of letters, digits, '_' and '-'");
  return caf::none;
}

caf::expected<issued_user> issue_user(std::string_view name, User::Role role, std::string_view by, micros now) {
  if (auto err = validate_user_name(name)) return err;
  if (!User::Role_IsValid(role)) return make_error(ec::invalid_argument, "role " + std::to_string(role) +
                                                                            " is not one of admin, user, read-only");
  auto secret = random_bytes(secret_bytes);
  auto salt = random_bytes(salt_bytes);
  if (!secret) return secret.error();
  if (!salt) return salt.error();
  issued_user out;
  auto secret_hex = hex(*secret);
  out.user.set_name(std::string{name});
  out.user.set_role(role);
  out.user.set_created_by(std::string{by});
  set_timestamp(out.user.mutable_created_at(), now);
  out.user.set_salt(*salt);
  out.user.set_token_hash(token_hash(*salt, secret_hex));
  out.token = std::string{name} + "." + secret_hex;
  return out;
}

caf::expected<issued_user> add_user(storage::job_store& store, const user_map& users, std::string_view name,
                                    User::Role role, std::string_view by, micros now) {
  if (users.count(name))
    return make_error(ec::conflict, "user " + std::string{name} + " exists; revoke it first to issue a new token");
  auto issued = issue_user(name, role, by, now);
  if (!issued) return issued.error();
  if (auto err = store_user(store, issued->user)) return err;
  return issued;
}

const User* find_user_by_token(const user_map& users, std::string_view token) {
  auto dot = token.rfind('.');
  if (dot == std::string_view::npos) return nullptr;
  auto it = users.find(token.substr(0, dot));
  if (it == users.end()) return nullptr;
  const auto& user = it->second;
  auto hash = token_hash(user.salt(), token.substr(dot + 1));
  if (hash.size() != user.token_hash().size() ||
      CRYPTO_memcmp(hash.data(), user.token_hash().data(), hash.size()) != 0)
    return nullptr;
  return &user;
}

caf::expected<user_map> load_users(const storage::job_store& store) {
  user_map users;
  std::string corrupt;
  auto s = store.scan_meta(storage::keys::meta_user_prefix, [&](std::string_view key, std::string_view value) {
    User user;
    if (!user.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      corrupt = std::string{key};
      return;
    }
    users.emplace(user.name(), std::move(user));
  });
  if (!s) return make_error(ec::storage_failure, "reading users: " + s.message());
  if (!corrupt.empty()) return make_error(ec::storage_failure, "the user record '" + corrupt + "' is corrupt");
  return users;
}

caf::error store_user(storage::job_store& store, const User& user) {
  storage::write_batch batch;
  batch.put_meta(user_key(user.name()), user.SerializeAsString());
  if (auto s = store.write(batch, /*sync=*/true); !s)
    return make_error(ec::storage_failure, "storing user " + user.name() + ": " + s.message());
  return caf::none;
}

caf::error erase_user(storage::job_store& store, std::string_view name) {
  storage::write_batch batch;
  batch.erase_meta(user_key(name));
  if (auto s = store.write(batch, /*sync=*/true); !s)
    return make_error(ec::storage_failure, "deleting user " + std::string{name} + ": " + s.message());
  return caf::none;
}

User public_view(const User& user) {
  User out = user;
  out.clear_salt();
  out.clear_token_hash();
  return out;
}

const char* role_name(User::Role role) {
  switch (role) {
    case User::ADMIN:
      return "admin";
    case User::READ_ONLY:
      return "read-only";
    default:
      return "user";
  }
}

std::optional<User::Role> parse_role(std::string_view text) {
  if (text == "admin" || text == "ADMIN") return User::ADMIN;
  if (text == "user" || text == "USER") return User::USER;
  if (text == "read-only" || text == "READ_ONLY") return User::READ_ONLY;
  return std::nullopt;
}

caf::expected<bool> bootstrap_admin(storage::job_store& store, const std::string& token_file, micros now) {
  auto users = load_users(store);
  if (!users) return users.error();
  if (!users->empty()) return false;
  auto admin = issue_user("admin", User::ADMIN, "bootstrap", now);
  if (!admin) return admin.error();
  // Written before the user is stored: a crash in between leaves no admin, and the next start tries again.
  ::unlink(token_file.c_str());
  int fd = ::open(token_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(ec::storage_failure, "cannot create " + token_file);
  auto line = admin->token + "\n";
  bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return make_error(ec::storage_failure, "cannot write " + token_file);
  if (auto err = store_user(store, admin->user)) return err;
  return true;
}

}  // namespace troupe
