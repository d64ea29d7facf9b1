// `troupe users add|list|revoke|whoami`: API users and their tokens. Through a running node with an admin
// token, or with --data directly on a node's store while no node runs on it (how the first admin of a node
// that runs without bootstrapAdmin is made, on the node's machine).

#include <fmt/format.h>

#include <iostream>

#include "actors/clock.hpp"
#include "actors/users.hpp"
#include "cmd/troupe/cli.hpp"
#include "storage/store.hpp"

namespace troupe::cli {

namespace {

struct users_options {
  client_options client;
  std::string name;
  std::string role = "user";
  std::string data;  // offline: this store, no node
};

void print_users(const UserList& list) {
  std::cout << fmt::format("{:<24} {:<10} {:<20} {}\n", "NAME", "ROLE", "CREATED (UTC)", "BY");
  for (const auto& u : list.users())
    std::cout << fmt::format("{:<24} {:<10} {:<20} {}\n", u.name(), role_name(u.role()), format_time(u.created_at()),
                             u.created_by());
}

// The new token alone on stdout (for scripts), what it is on stderr.
void print_token(const UserList& list) {
  const auto& user = list.users(0);
  std::cerr << "user " << user.name() << " (" << role_name(user.role())
            << ") added; its API token follows. It is shown only this once: keep it secret.\n";
  std::cout << list.token() << "\n";
}

// The same actions on a store no node has open.
caf::expected<UserList> offline(UserControl::Action action, const users_options& o, User::Role role) {
  std::unique_ptr<storage::job_store> store;
  if (auto s = storage::job_store::open({o.data}, &store); !s)
    return make_error(ec::unavailable, "cannot open the store in '" + o.data + "' (" + s.message() +
                                           "); if a node runs on it, leave out --data and use the node with an "
                                           "admin --token");
  auto users = load_users(*store);
  if (!users) return users.error();
  UserList out;
  switch (action) {
    case UserControl::ADD: {
      auto issued = add_user(*store, *users, o.name, role, "cli (" + default_by() + ")", make_system_clock()->now());
      if (!issued) return issued.error();
      *out.add_users() = public_view(issued->user);
      out.set_token(issued->token);
      return out;
    }
    case UserControl::REVOKE: {
      auto it = users->find(o.name);
      if (it == users->end()) return make_error(ec::invalid_argument, "no user named '" + o.name + "'");
      if (auto err = erase_user(*store, o.name)) return err;
      *out.add_users() = public_view(it->second);
      return out;
    }
    default:
      for (const auto& [name, user] : *users) *out.add_users() = public_view(user);
      return out;
  }
}

int run_users(const std::string& command, UserControl::Action action, const users_options& o) {
  auto role = parse_role(o.role);
  if (!role) return fail_usage(command, "--role '" + o.role + "' is not one of admin, user, read-only");
  auto report = [&](const caf::expected<UserList>& list) {
    if (!list) return fail(command, list.error());
    if (action == UserControl::ADD) {
      print_token(*list);
    } else if (action == UserControl::REVOKE) {
      std::cout << "user " << o.name << " revoked; its token no longer works\n";
    } else {
      print_users(*list);
    }
    return int{exit_ok};
  };
  if (!o.data.empty()) {
    if (action == UserControl::WHOAMI) return fail_usage(command, "whoami asks a node: leave out --data");
    return report(offline(action, o, *role));
  }
  UserControl control;
  control.set_action(action);
  control.set_name(o.name);
  control.set_role(*role);
  return with_client(command, o.client, [&](const client& c) { return report(c.users(control)); });
}

void add_users_action(CLI::App& parent, std::optional<command_fn>& run, const std::string& name,
                      UserControl::Action action, const std::string& help) {
  auto o = std::make_shared<users_options>();
  auto* cmd = parent.add_subcommand(name, help);
  o->client.add_to(*cmd);
  if (action == UserControl::ADD || action == UserControl::REVOKE)
    cmd->add_option("NAME", o->name, "The user's name (letters, digits, '_' and '-')")->required();
  if (action == UserControl::ADD)
    cmd->add_option("--role", o->role, "admin, user or read-only")->capture_default_str();
  if (action != UserControl::WHOAMI)
    cmd->add_option("--data", o->data,
                    "Work on the store in this directory directly, while no node runs on it (no token needed: "
                    "whoever can read the directory owns the node)");
  auto command = "users " + name;
  cmd->callback([&run, o, action, command] { run = [o, action, command] { return run_users(command, action, *o); }; });
}

}  // namespace

void add_users_command(CLI::App& app, std::optional<command_fn>& run) {
  auto* users = app.add_subcommand("users", "API users and their tokens (admins; whoami: anyone).");
  users->require_subcommand(1);
  add_users_action(*users, run, "add", UserControl::ADD,
                   "Add a user and print its new API token once (only a salted hash is stored).");
  add_users_action(*users, run, "list", UserControl::LIST, "Every user with its role.");
  add_users_action(*users, run, "revoke", UserControl::REVOKE,
                   "Delete a user: its token stops working; its jobs stay.");
  add_users_action(*users, run, "whoami", UserControl::WHOAMI, "The user the token belongs to.");
}

}  // namespace troupe::cli
