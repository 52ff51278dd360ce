#ifndef KV_TOOLS_KVCTL_CHANNEL_H_
#define KV_TOOLS_KVCTL_CHANNEL_H_

// The gRPC channel kvctl talks to kvd over.

#include <memory>
#include <string>

#include "grpcpp/channel.h"

namespace kv::kvctl {

// The largest response kvctl accepts. gRPC's 4 MiB default is too small for
// a big GetKeys listing or a value when the server's limits are raised.
inline constexpr int kMaxReceiveMessageBytes = 64 << 20;

// An insecure channel to `address`: "HOST:PORT" or "unix:/PATH" (any target
// gRPC accepts). Connection happens lazily, on the first call.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_CHANNEL_H_
