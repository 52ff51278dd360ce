// Parses a kvd runtime config with kvd's own parser (service/config) and
// prints its stores, as kvd would serve them; exits 1 with kvd's message if
// the config is bad. Opens nothing.
//   config_check FILE

#include <cstdio>
#include <string>

#include "service/config/config.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: config_check FILE\n");
    return 2;
  }
  absl::StatusOr<kv::RuntimeConfig> config =
      kv::LoadRuntimeConfig(argv[1], /*data_dir=*/"");
  if (!config.ok()) {
    std::printf("bad config: %s\n",
                std::string(config.status().message()).c_str());
    return 1;
  }
  for (const kv::StoreSpec& store : config->stores) {
    std::printf("store \"%s\": %s\n", store.name.c_str(), store.type.c_str());
  }
  return 0;
}
