#ifndef KV_TOOLS_KVCTL_BYTE_IO_H_
#define KV_TOOLS_KVCTL_BYTE_IO_H_

// Binary-safe whole-stream reads and writes: values may hold any bytes,
// zeros included, and are never transformed.

#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kv::kvctl {

// Everything left in `in`, up to end of file. `what` names the stream in the
// error (e.g. "stdin").
absl::StatusOr<std::string> ReadAll(std::FILE* in, absl::string_view what);

// The whole content of the file at `path`.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Writes `bytes` to `out` and flushes it. `what` names the stream in errors.
absl::Status WriteAll(std::FILE* out, absl::string_view bytes,
                      absl::string_view what);

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_BYTE_IO_H_
