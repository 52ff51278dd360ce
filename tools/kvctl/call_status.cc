#include "tools/kvctl/call_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace kv::kvctl {
namespace {

// Where CallError keeps the server's message; kvctl-internal, never sent.
constexpr char kServerMessagePayloadUrl[] = "type.kvd.dev/kvctl.ServerMessage";

}  // namespace

std::string Quote(absl::string_view text) {
  return absl::StrCat("\"", absl::CEscape(text), "\"");
}

absl::Status CallError(absl::string_view action, const absl::Status& status) {
  std::string message(status.message());
  if (message.empty()) message = "no message from the server";
  absl::Status error = Reworded(
      status, absl::StrCat(action, ": ", message, " (",
                           absl::StatusCodeToString(status.code()), ")"));
  error.SetPayload(kServerMessagePayloadUrl, absl::Cord(status.message()));
  return error;
}

std::optional<std::string> ServerMessageOf(const absl::Status& status) {
  // absl::optional: not std::optional in Debian's Abseil.
  auto message = status.GetPayload(kServerMessagePayloadUrl);
  if (!message.has_value()) return std::nullopt;
  return std::string(*message);
}

absl::Status Reworded(const absl::Status& status, absl::string_view message) {
  absl::Status reworded(status.code(), message);
  status.ForEachPayload(
      [&reworded](absl::string_view url, const absl::Cord& payload) {
        reworded.SetPayload(url, payload);
      });
  return reworded;
}

}  // namespace kv::kvctl
