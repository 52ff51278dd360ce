#ifndef KV_TOOLS_KVCTL_HEALTH_H_
#define KV_TOOLS_KVCTL_HEALTH_H_

// `kvctl health [--service NAME]`: one grpc.health.v1.Health/Check call, the
// same question Kubernetes' gRPC probes ask, for an operator or a
// container's own probe (`kubectl exec POD -c kvd -- kvctl health`).

#include <string>

#include "tools/kvctl/commands.h"
#include "tools/kvctl/exit_code.h"

namespace kv::kvctl {

// Asks kvd for the status of `service` ("" is the server as a whole;
// kvd also answers "kvd.ready" and "store:NAME") and prints it on stdout:
// SERVING, NOT_SERVING or SERVICE_UNKNOWN (UNKNOWN if a server says so);
// JSON: {"service":...,"status":...}. The token, TLS and deadline of
// `env.options` apply. Exit codes:
//   SERVING                   kSuccess (0)
//   NOT_SERVING, UNKNOWN      kNotFound (1): the answer is "no", as for
//                             `exists` printing false
//   SERVICE_UNKNOWN           kRefused (3): kvd has no such service (its
//                             Check answers NOT_FOUND)
//   other refusals            kRefused (3), e.g. UNAUTHENTICATED
//   kvd unreachable, timeout  kUnreachable (4)
// A failed call (no status to print) is reported on `env.err` like every
// other command's error.
ExitCode RunHealth(const CommandEnv& env, const std::string& service);

}  // namespace kv::kvctl

#endif  // KV_TOOLS_KVCTL_HEALTH_H_
