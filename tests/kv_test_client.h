#ifndef KV_TESTS_KV_TEST_CLIENT_H_
#define KV_TESTS_KV_TEST_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"
#include "kv/v1/kv.grpc.pb.h"

namespace kv::testing {

// The outcome of one RPC as a client sees it: the gRPC status and the
// ErrorCode from the "kv-error-code" trailer (UNSPECIFIED if absent).
struct CallResult {
  grpc::Status status;
  v1::ErrorCode error_code = v1::ERROR_CODE_UNSPECIFIED;

  bool ok() const { return status.ok(); }
};

// A minimal blocking client over the generated stub, for end-to-end tests.
// Each call has a 30 s deadline. A non-empty `token` is sent with every call
// as "authorization: Bearer <token>".
class KvTestClient {
 public:
  explicit KvTestClient(std::shared_ptr<grpc::Channel> channel,
                        std::string token = "");

  CallResult Open(const std::string& name, uint32_t* store);
  CallResult Get(uint32_t store, const std::string& key, std::string* value);
  CallResult Set(uint32_t store, const std::string& key,
                 const std::string& value);
  CallResult Delete(uint32_t store, const std::string& key);
  CallResult Exists(uint32_t store, const std::string& key, bool* exists);
  CallResult GetKeys(uint32_t store, std::vector<std::string>* keys);
  CallResult Close(uint32_t store);

 private:
  template <typename Call>
  CallResult Invoke(Call call);

  std::unique_ptr<v1::KeyValue::Stub> stub_;
  std::string token_;
};

}  // namespace kv::testing

#endif  // KV_TESTS_KV_TEST_CLIENT_H_
