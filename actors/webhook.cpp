#include "actors/webhook.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "troupe/error.hpp"

namespace troupe {

namespace {

// curl_global_init is not thread-safe: once per process, before the first handle.
void init_curl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// The response body is not needed: swallow it.
size_t discard(char*, size_t size, size_t count, void*) { return size * count; }

struct webhook_state {
  static inline const char* name = "troupe.webhook";
  webhook_config config;
};

using webhook_self = webhook_actor::stateful_pointer<webhook_state>;

webhook_actor::behavior_type webhook(webhook_self self, webhook_config config) {
  self->state.config = std::move(config);
  return {
      [=](deliver_atom, std::string& body, uint32_t attempt) {
        const auto& c = self->state.config;
        auto err = post_json(c.url, body, c.timeout);
        if (!err) return;
        if (attempt >= c.retries) {
          spdlog::error("alert webhook {}: giving up after {} attempts: {}", c.url, attempt + 1, describe(err));
          return;
        }
        auto wait = c.backoff * (uint64_t{1} << std::min<uint32_t>(attempt, 20));
        spdlog::warn("alert webhook {}: delivery failed ({}); retrying in {} ms", c.url, describe(err), wait.count());
        self->delayed_send(self, wait, deliver_atom::value, std::move(body), attempt + 1);
      },
  };
}

}  // namespace

caf::error post_json(const std::string& url, const std::string& body, std::chrono::milliseconds timeout) {
  init_curl();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return make_error(ec::internal, "curl_easy_init failed");
  char reason[CURL_ERROR_SIZE] = {};
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: safe in a threaded process
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, reason);
  auto rc = curl_easy_perform(curl);
  long status = 0;
  if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK)
    return make_error(ec::unavailable, reason[0] != '\0' ? std::string{reason} : curl_easy_strerror(rc));
  if (status >= 400) return make_error(ec::unavailable, "HTTP status " + std::to_string(status));
  return caf::none;
}

webhook_actor spawn_webhook(caf::actor_system& sys, webhook_config config, bool detached) {
  if (detached) return sys.spawn<caf::detached>(webhook, std::move(config));
  return sys.spawn(webhook, std::move(config));
}

}  // namespace troupe
