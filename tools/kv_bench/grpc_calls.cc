#include "tools/kv_bench/grpc_calls.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace kv {
namespace bench {

absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> ConnectChannels(
    const std::string& address, int count, absl::Duration connect_timeout) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  const absl::Time deadline = absl::Now() + connect_timeout;
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(256 << 20);
    args.SetMaxSendMessageSize(256 << 20);
    std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
        address, grpc::InsecureChannelCredentials(), args);
    if (!channel->WaitForConnected(absl::ToChronoTime(deadline))) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", address, " within ",
                       absl::FormatDuration(connect_timeout)));
    }
    channels.push_back(std::move(channel));
  }
  return channels;
}

std::string ErrorLabel(const grpc::Status& status,
                       const grpc::ClientContext& context) {
  if (status.ok()) return "";
  std::string label = absl::StatusCodeToString(
      static_cast<absl::StatusCode>(status.error_code()));
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find("kv-error-code");
  if (it != trailers.end()) {
    absl::StrAppend(&label, "/",
                    absl::string_view(it->second.data(), it->second.size()));
  }
  return label;
}

}  // namespace bench
}  // namespace kv
