#ifndef KV_TOOLS_KVCTL_COMMANDS_H_
#define KV_TOOLS_KVCTL_COMMANDS_H_

// kvctl's subcommands. Each opens the store, does its one call, closes the
// handle, writes its result to `out` and any error to `err` as one line
// "kvctl: ...", and returns the process exit code. With `json`, the result
// is one JSON document on `out` and an error one JSON object on `err`
// (json_output.h); the exit codes are the same.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "clients/cpp/store.h"
#include "grpcpp/channel.h"
#include "tools/kvctl/exit_code.h"

namespace kv::kvctl {

// What every subcommand runs against.
struct CommandEnv {
  // The channel to kvd (address and TLS already applied).
  std::shared_ptr<grpc::ChannelInterface> channel;
  std::string store;
  // Per call: the deadline (`timeout`) and the token.
  kvd::Options options;
  std::FILE* in;
  std::FILE* out;
  std::FILE* err;
  // Whether `out` is a terminal: `get` then ends the value with a newline.
  bool out_is_terminal;
  // --json: results and errors as JSON documents, one line each.
  bool json = false;
};

// Where `set` takes the value from.
struct ValueSource {
  enum class Kind { kLiteral, kFile, kStdin };
  Kind kind;
  // The value itself (kLiteral) or the file's path (kFile).
  std::string text;
};

// What `get` prints besides the value.
struct GetOptions {
  // get --revision: the key's revision first, on a line of its own; JSON:
  // "revision" too.
  bool revision = false;
  // get --expire-time: the key's expire time (expiry_text.h), or "never",
  // on a line of its own, after the revision and before the value.
  bool expire_time = false;
};

// Writes the value's bytes exactly; kNotFound if the key is missing.
// JSON: {"store":...,"key":...,"value":...,"value_base64":...}, and
// "expire_time" when the key expires. On a terminal, the value is followed
// by a newline and, for a key that expires, a line "expires TIME".
ExitCode RunGet(const CommandEnv& env, absl::string_view key,
                const GetOptions& options = {});
// Reads the value (before opening the store) and stores it. Prints nothing;
// JSON: {"ok":true,"store":...,"key":...,"revision":...}. With
// `if_revision` (set --if-revision N; 0: --create-only), only if the key is
// at that revision, and prints the revision written, on a line of its own;
// a failed condition is kConditionFailed. With `ttl` (set --ttl), the key
// expires that long after the write.
ExitCode RunSet(const CommandEnv& env, absl::string_view key,
                const ValueSource& value,
                std::optional<uint64_t> if_revision = std::nullopt,
                std::optional<std::chrono::milliseconds> ttl = std::nullopt);
// Prints nothing; JSON: {"ok":true,"store":...,"key":...,"revision":...}
// (revision 0: there was nothing to delete). With `if_revision`, as for
// RunSet, and prints the delete's revision.
ExitCode RunDelete(const CommandEnv& env, absl::string_view key,
                   std::optional<uint64_t> if_revision = std::nullopt);
// Adds `delta` to the counter; prints its new value.
// JSON: {"store":...,"key":...,"value":N,"revision":...}.
ExitCode RunIncr(const CommandEnv& env, absl::string_view key, int64_t delta);
// Prints the store's Describe (describe_output.h).
ExitCode RunDescribe(const CommandEnv& env);
// Prints "true" or "false"; kNotFound when false.
// JSON: {"store":...,"key":...,"exists":true}.
ExitCode RunExists(const CommandEnv& env, absl::string_view key);
// `keys` is RunKeys, in key_listing.h.

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_COMMANDS_H_
