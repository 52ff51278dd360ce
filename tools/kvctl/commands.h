#ifndef KV_TOOLS_KVCTL_COMMANDS_H_
#define KV_TOOLS_KVCTL_COMMANDS_H_

// kvctl's subcommands. Each opens the store, does its one call, closes the
// handle, writes its result to `out` and any error to `err` as one line
// "kvctl: ...", and returns the process exit code. With `json`, the result
// is one JSON document on `out` and an error one JSON object on `err`
// (json_output.h); the exit codes are the same.

#include <cstdio>
#include <memory>
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

// Writes the value's bytes exactly; kNotFound if the key is missing.
// JSON: {"store":...,"key":...,"value":...,"value_base64":...}.
ExitCode RunGet(const CommandEnv& env, absl::string_view key);
// Reads the value (before opening the store) and stores it. Prints nothing;
// JSON: {"ok":true,"store":...,"key":...}.
ExitCode RunSet(const CommandEnv& env, absl::string_view key,
                const ValueSource& value);
// Prints nothing; JSON: {"ok":true,"store":...,"key":...}.
ExitCode RunDelete(const CommandEnv& env, absl::string_view key);
// Prints "true" or "false"; kNotFound when false.
// JSON: {"store":...,"key":...,"exists":true}.
ExitCode RunExists(const CommandEnv& env, absl::string_view key);
// Prints every key, one per line. JSON: {"store":...,"keys":[...]}.
ExitCode RunKeys(const CommandEnv& env);

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_COMMANDS_H_
