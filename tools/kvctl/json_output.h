#ifndef KV_TOOLS_KVCTL_JSON_OUTPUT_H_
#define KV_TOOLS_KVCTL_JSON_OUTPUT_H_

// The documents kvctl prints with --json (see docs/kvctl.md, "--json"), built
// with nlohmann/json, which does all the escaping. Each is printed as one
// line.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "tools/kvctl/exit_code.h"

namespace kv::kvctl {

// `document` as one line of JSON followed by '\n'. UTF-8 is written as is;
// bytes of a string that are not valid UTF-8 (no key kvd accepts has any;
// values go through AddValue) become U+FFFD instead of failing.
std::string JsonLine(const nlohmann::json& document);

// Adds a value's bytes to `document` so that any bytes survive:
//   "value":        the bytes as a JSON string when they are valid UTF-8
//                   (zero bytes included, as \u0000), else null;
//   "value_base64": always, standard padded base64 (RFC 4648 section 4), as
//                   in proto3 JSON and `kvctl export`.
void AddValue(absl::string_view bytes, nlohmann::json& document);

// The document for a failure that makes kvctl exit with `code`:
//   {"error": {"message": ..., "exit_code": ..., "error_code": ...,
//              "grpc_code": ..., "server_message": ...,
//              "current_revision": ...}}
// "message" is kvctl's one-line message (what kvctl prints after "kvctl: "
// without --json). For a call to kvd (`error` made by CallError),
// "error_code" is the kv.v1.ErrorCode's short name ("NO_SUCH_KEY"), or null
// when kvd sent none (e.g. kvd unreachable); "grpc_code" is the gRPC code's
// name ("NOT_FOUND"); "server_message" is the message as the server (or
// gRPC) gave it. "current_revision" is the key's current revision that kvd
// sent with a failed condition (CONDITION_FAILED), else null. For a local
// failure (a file, stdin, bad arguments, a bad import line) those four are
// null.
nlohmann::json ErrorJson(const absl::Status& error, ExitCode code);

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_JSON_OUTPUT_H_
