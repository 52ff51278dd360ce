// Fuzzes the runtime config parser: any text must give a config or an
// InvalidArgument naming the file and line, never a crash, a hang or another
// status code.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "service/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  // The data directory is never created: parsing only resolves paths.
  absl::StatusOr<kv::RuntimeConfig> config =
      kv::ParseRuntimeConfig(text, "fuzz.toml", "/nonexistent/base", "");
  if (config.ok()) {
    // A parsed config always serves "default".
    bool has_default = false;
    for (const kv::StoreSpec& store : config->stores) {
      has_default |= store.name == "default";
    }
    if (!has_default) {
      std::fprintf(stderr, "parsed config has no default store\n");
      std::abort();
    }
    return 0;
  }
  if (config.status().code() != absl::StatusCode::kInvalidArgument ||
      !absl::StartsWith(config.status().message(), "fuzz.toml:")) {
    std::fprintf(stderr,
                 "config error is not InvalidArgument \"fuzz.toml:\": %s\n",
                 config.status().ToString().c_str());
    std::abort();
  }
  return 0;
}
