#ifndef KV_TOOLS_KVCTL_KEY_LISTING_H_
#define KV_TOOLS_KVCTL_KEY_LISTING_H_

// `kvctl keys`: the keys of a store, one per line, in byte order, streamed a
// ListKeys page at a time: each page is written to `env.out` as it arrives,
// so memory holds one page whatever the store's size, and the first keys
// show before the last page is fetched.

#include <cstdint>
#include <optional>
#include <string>

#include "tools/kvctl/commands.h"
#include "tools/kvctl/exit_code.h"
#include "tools/kvctl/progress.h"

namespace kv::kvctl {

struct KeysOptions {
  // Only keys that start with this (byte for byte; no character is special).
  std::string prefix;
  // Stop after this many keys (--limit); std::nullopt: every key.
  std::optional<uint64_t> limit;
  // Keys per ListKeys call (--page-size); 0: kvd's default (1,000). kvd
  // lowers a larger one to its max_page_size.
  int32_t page_size = 0;
  // Progress lines ("listed N keys (..., R keys/s)") and a summary on
  // `env.err`; `quiet` turns them off (cli.cc: on only for --progress or a
  // terminal stderr).
  ProgressOptions progress;
  // Whether the summary is printed however short the listing (--progress);
  // else only after a progress line, so a short listing on a terminal ends
  // with its keys alone.
  bool always_summarize = true;
};

// Prints the keys; JSON: {"keys":[...],"store":...}, streamed the same way
// (the document is complete only when the exit code is 0). A page that
// fails ends the listing with its error, after the keys already printed. A
// kvd without ListKeys (gRPC UNIMPLEMENTED: older than kvd's paged listing)
// is listed with one GetKeys call instead, filtered here.
ExitCode RunKeys(const CommandEnv& env, const KeysOptions& options = {});

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_KEY_LISTING_H_
