#pragma once
// API users and their tokens, in one place: how a token is made, hashed, checked, and how user records are kept
// in the store (meta "user:" . name, storage/keys.hpp).
//
// A token is "NAME.SECRET": SECRET is 32 random bytes (OpenSSL's RAND_bytes) in hex. The node stores only
// SHA-256(salt . SECRET) with a random 16-byte salt per user; a token is checked in constant time. SECRET has
// 256 bits of entropy, so a fast hash is enough (slow password hashes guard guessable passwords, not random keys).

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "schemas/time.hpp"
#include "schemas/troupe.pb.h"
#include "storage/store.hpp"

namespace troupe {

// Users by name.
using user_map = std::map<std::string, User, std::less<>>;

// A new user and its token (shown once).
struct issued_user {
  User user = {};
  std::string token;
};

// Checks a user name: 1 to 64 characters of [A-Za-z0-9_-]. An error (ec::invalid_argument) naming it otherwise.
caf::error validate_user_name(std::string_view name);

// A user `name` with `role`, a fresh token, its salt and hash. Fails on an invalid name or role.
caf::expected<issued_user> issue_user(std::string_view name, User::Role role, std::string_view by, micros now);

// Issues and stores user `name` unless `users` has it already (ec::conflict). The one place of adding a user,
// for the access actor and the offline `troupe users add --data`.
caf::expected<issued_user> add_user(storage::job_store& store, const user_map& users, std::string_view name,
                                    User::Role role, std::string_view by, micros now);

// The user that `token` belongs to, or nullptr: an unknown name, a wrong secret or a malformed token.
const User* find_user_by_token(const user_map& users, std::string_view token);

// Every stored user.
caf::expected<user_map> load_users(const storage::job_store& store);
// Stores (or replaces) one user, durably (fsync). Blocks for the write.
caf::error store_user(storage::job_store& store, const User& user);
// Deletes one user, durably.
caf::error erase_user(storage::job_store& store, std::string_view name);

// The user as shown to clients: without salt and token hash.
User public_view(const User& user);

// "admin", "user", "read-only": the role's name in the CLI and in messages.
const char* role_name(User::Role role);
// The role named `text` (as role_name, or the enum names ADMIN, USER, READ_ONLY); nullopt otherwise.
std::optional<User::Role> parse_role(std::string_view text);

// Creates the user "admin" and writes its token to `token_file` (mode 0600) if the store has no users: the first
// admin of a new node, readable only by whoever runs the node on its machine. Returns whether it did.
caf::expected<bool> bootstrap_admin(storage::job_store& store, const std::string& token_file, micros now);

}  // namespace troupe
