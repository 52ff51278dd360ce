#include "store/registry.h"

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/const_init.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace kv {
namespace {

// Registration runs from static initializers in other translation units, in
// an unspecified order, so the registry must not depend on any dynamic
// initialization of its own: the mutex is constant-initialized and the map is
// created on first use and never destroyed (drivers may be looked up during
// static destruction too).
ABSL_CONST_INIT absl::Mutex registry_mutex(absl::kConstInit);

// std::map because entries are never erased and its nodes never move, so the
// pointers FindDriverType hands out stay valid for the life of the process.
using TypeMap = std::map<std::string, DriverType, std::less<>>;

TypeMap& Types() ABSL_EXCLUSIVE_LOCKS_REQUIRED(registry_mutex) {
  static TypeMap* const types = new TypeMap();
  return *types;
}

}  // namespace

bool RegisterDriverType(absl::string_view type_name, DriverType type) {
  absl::MutexLock lock(&registry_mutex);
  bool inserted =
      Types().emplace(std::string(type_name), std::move(type)).second;
  if (!inserted) {
    // Two libraries claiming one name is a build mistake, not a runtime
    // condition: whichever won would depend on link order.
    std::fprintf(stderr,
                 "kv::RegisterDriverType: driver type \"%.*s\" is "
                 "registered twice\n",
                 static_cast<int>(type_name.size()), type_name.data());
    std::abort();
  }
  return true;
}

const DriverType* FindDriverType(absl::string_view type_name) {
  absl::MutexLock lock(&registry_mutex);
  auto it = Types().find(type_name);
  return it == Types().end() ? nullptr : &it->second;
}

std::vector<std::string> RegisteredDriverTypes() {
  absl::MutexLock lock(&registry_mutex);
  std::vector<std::string> names;
  names.reserve(Types().size());
  for (const auto& [name, type] : Types()) names.push_back(name);
  return names;  // Sorted: std::map iterates in key order.
}

absl::StatusOr<std::unique_ptr<Driver>> OpenDriver(const StoreSpec& spec) {
  const DriverType* type = FindDriverType(spec.type);
  if (type == nullptr) {
    std::vector<std::string> known = RegisteredDriverTypes();
    return absl::InvalidArgumentError(
        absl::StrCat("store \"", spec.name, "\": unknown type \"", spec.type,
                     "\"; registered types: ",
                     known.empty() ? "(none)" : absl::StrJoin(known, ", ")));
  }
  // Called without the lock: opening may be slow (files, network) and a
  // driver's open may itself consult the registry.
  absl::StatusOr<std::unique_ptr<Driver>> driver = type->open(spec);
  if (driver.ok() && *driver == nullptr) {
    return absl::InternalError(absl::StrCat("store \"", spec.name,
                                            "\": driver type \"", spec.type,
                                            "\" returned no driver"));
  }
  return driver;
}

}  // namespace kv
