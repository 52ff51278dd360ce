#ifndef KV_SERVICE_ACCESS_LISTEN_ADDRESS_H_
#define KV_SERVICE_ACCESS_LISTEN_ADDRESS_H_

#include "absl/strings/string_view.h"

namespace kv {

// Whether `listen` ("host:port", "[v6]:port" or "unix:/path") is reachable
// only from this machine: a unix socket, a loopback address (127.0.0.0/8,
// ::1) or "localhost". A wildcard (0.0.0.0, [::], an empty host) or any
// other address is remote.
bool IsLocalOnlyAddress(absl::string_view listen);

}  // namespace kv

#endif  // KV_SERVICE_ACCESS_LISTEN_ADDRESS_H_
