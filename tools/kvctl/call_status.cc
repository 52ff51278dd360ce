#include "tools/kvctl/call_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace kv::kvctl {

std::string Quote(absl::string_view text) {
  return absl::StrCat("\"", absl::CEscape(text), "\"");
}

absl::Status CallError(absl::string_view action, const absl::Status& status) {
  std::string message(status.message());
  if (message.empty()) message = "no message from the server";
  absl::Status error(
      status.code(),
      absl::StrCat(action, ": ", message, " (",
                   absl::StatusCodeToString(status.code()), ")"));
  status.ForEachPayload(
      [&error](absl::string_view url, const absl::Cord& payload) {
        error.SetPayload(url, payload);
      });
  return error;
}

}  // namespace kv::kvctl
