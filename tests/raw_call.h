#ifndef KV_TESTS_RAW_CALL_H_
#define KV_TESTS_RAW_CALL_H_

#include <string>

#include "grpcpp/channel.h"
#include "kv/v1/kv.pb.h"
#include "tests/kv_test_client.h"

namespace kv::testing {

// The outcome of a raw call: the status, the "kv-error-code" trailer and the
// response's bytes.
struct RawCallResult : CallResult {
  std::string response;
};

// Sends `request`, any bytes at all, as the body of a unary call to `method`
// (e.g. "/kv.v1.KeyValue/Get") and waits for the answer. This reaches the
// server with bytes that no generated stub would send: malformed protobuf,
// invalid UTF-8 in string fields, messages past any size limit. Each call
// has a 30 s deadline. Thread-safe.
RawCallResult RawUnaryCall(grpc::Channel& channel, const std::string& method,
                           const std::string& request);

// The full method name of KeyValue's `rpc`, e.g. "/kv.v1.KeyValue/Open".
std::string KeyValueMethod(const std::string& rpc);

}  // namespace kv::testing

#endif  // KV_TESTS_RAW_CALL_H_
