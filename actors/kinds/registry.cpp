#include <exception>

#include "troupe/error.hpp"
#include "troupe/kind.hpp"

namespace troupe {

namespace {

// A kind made from a plain function.
class function_kind final : public job_kind {
 public:
  function_kind(kind_registry::function fn, kind_registry::execution where, kind_registry::checker check)
      : fn_(std::move(fn)), where_(where), check_(std::move(check)) {}

  caf::error check(const JobSpec& spec) const override { return check_ ? check_(spec) : caf::none; }

  void start(const std::shared_ptr<attempt>& run) override {
    if (where_ == kind_registry::execution::worker_pool) {
      run->run_blocking(fn_);
      return;
    }
    try {
      run->finish(fn_(*run));
    } catch (const std::exception& e) {
      run->finish(outcome::failure(std::string{"the kind threw: "} + e.what()));
    } catch (...) {
      run->finish(outcome::failure("the kind threw an unknown exception"));
    }
  }

 private:
  kind_registry::function fn_;
  kind_registry::execution where_;
  kind_registry::checker check_;
};

}  // namespace

caf::error kind_registry::add(std::string name, std::shared_ptr<job_kind> kind) {
  if (name.empty()) return make_error(ec::invalid_argument, "a kind needs a name");
  if (name.size() > 64) return make_error(ec::invalid_argument, "kind name '" + name + "' is over 64 bytes");
  if (!kind) return make_error(ec::invalid_argument, "kind '" + name + "' has no implementation");
  if (kinds_.count(name) > 0) return make_error(ec::conflict, "kind '" + name + "' is already registered");
  kinds_.emplace(std::move(name), std::move(kind));
  return caf::none;
}

caf::error kind_registry::add_function(std::string name, function fn, execution where, checker check) {
  if (!fn) return make_error(ec::invalid_argument, "kind '" + name + "' has no function");
  return add(std::move(name), std::make_shared<function_kind>(std::move(fn), where, std::move(check)));
}

job_kind* kind_registry::find(std::string_view name) const {
  auto i = kinds_.find(name);
  return i == kinds_.end() ? nullptr : i->second.get();
}

std::vector<std::string> kind_registry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : kinds_) out.push_back(name);
  return out;
}

namespace {

const google::protobuf::Value* field_of(const google::protobuf::Value& payload, std::string_view field) {
  if (payload.kind_case() != google::protobuf::Value::kStructValue) return nullptr;
  const auto& fields = payload.struct_value().fields();
  auto i = fields.find(std::string{field});
  return i == fields.end() ? nullptr : &i->second;
}

}  // namespace

std::string read_number(const google::protobuf::Value& payload, std::string_view field, double* out,
                        bool required) {
  const auto* v = field_of(payload, field);
  if (v == nullptr) return required ? "payload." + std::string{field} + " is required" : std::string{};
  if (v->kind_case() != google::protobuf::Value::kNumberValue)
    return "payload." + std::string{field} + " must be a number";
  *out = v->number_value();
  return {};
}

std::string read_string(const google::protobuf::Value& payload, std::string_view field, std::string* out,
                        bool required) {
  const auto* v = field_of(payload, field);
  if (v == nullptr) return required ? "payload." + std::string{field} + " is required" : std::string{};
  if (v->kind_case() != google::protobuf::Value::kStringValue)
    return "payload." + std::string{field} + " must be a string";
  *out = v->string_value();
  return {};
}

}  // namespace troupe
