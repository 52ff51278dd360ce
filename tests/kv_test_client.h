#ifndef KV_TESTS_KV_TEST_CLIENT_H_
#define KV_TESTS_KV_TEST_CLIENT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"
#include "kv/v1/kv.grpc.pb.h"

namespace kv::testing {

// The outcome of one RPC as a client sees it: the gRPC status, the
// ErrorCode from the "kv-error-code" trailer (UNSPECIFIED if absent), and
// the trailers a failed condition or batch entry carries, when present and
// decimal.
struct CallResult {
  grpc::Status status;
  v1::ErrorCode error_code = v1::ERROR_CODE_UNSPECIFIED;
  // "kv-current-revision": the key's revision when a condition failed.
  std::optional<uint64_t> current_revision;
  // "kv-failed-index": the failing entry of a SetMany or DeleteMany.
  std::optional<size_t> failed_index;

  bool ok() const { return status.ok(); }
};

// One entry of a SetMany, as the tests build it.
v1::SetEntry MakeSetEntry(const std::string& key, const std::string& value,
                          std::optional<uint64_t> if_revision = std::nullopt);

// One entry of a SetMany with a ttl (which may be any duration, to test
// validation: zero, negative, sub-millisecond or huge).
v1::SetEntry MakeSetEntryWithTtl(const std::string& key,
                                 const std::string& value,
                                 std::chrono::nanoseconds ttl);

// `ttl` as the google.protobuf.Duration a request carries: seconds and
// nanos with the same sign, as the Duration type requires.
google::protobuf::Duration DurationOf(std::chrono::nanoseconds ttl);

// A minimal blocking client over the generated stub, for end-to-end tests.
// Each call has a 30 s deadline. A non-empty `token` is sent with every call
// as "authorization: Bearer <token>". Output pointers may be null; they are
// written whatever the outcome (with the empty response on failure).
// Thread-safe, as the stub is.
class KvTestClient {
 public:
  explicit KvTestClient(std::shared_ptr<grpc::Channel> channel,
                        std::string token = "");

  CallResult Open(const std::string& name, uint32_t* store);
  CallResult Get(uint32_t store, const std::string& key, std::string* value,
                 uint64_t* revision = nullptr);
  // Without `if_revision`, unconditional; with it, as SetRequest says.
  CallResult Set(uint32_t store, const std::string& key,
                 const std::string& value,
                 std::optional<uint64_t> if_revision = std::nullopt,
                 uint64_t* revision = nullptr);
  CallResult Delete(uint32_t store, const std::string& key,
                    std::optional<uint64_t> if_revision = std::nullopt,
                    uint64_t* revision = nullptr);
  CallResult Exists(uint32_t store, const std::string& key, bool* exists);
  CallResult GetKeys(uint32_t store, std::vector<std::string>* keys);
  CallResult Close(uint32_t store);

  CallResult Increment(uint32_t store, const std::string& key, int64_t delta,
                       int64_t* value, uint64_t* revision = nullptr);
  CallResult GetMany(uint32_t store, const std::vector<std::string>& keys,
                     std::vector<v1::Entry>* entries);
  CallResult SetMany(uint32_t store, const std::vector<v1::SetEntry>& entries,
                     std::vector<uint64_t>* revisions);
  CallResult DeleteMany(uint32_t store, const std::vector<std::string>& keys,
                        std::vector<uint64_t>* revisions);
  CallResult Describe(uint32_t store, v1::DescribeResponse* description);

  // Get with the whole response: value, revision and expire_time.
  CallResult GetResponse(uint32_t store, const std::string& key,
                         v1::GetResponse* response);
  // An unconditional Set with `ttl` (any value, valid or not).
  CallResult SetWithTtl(uint32_t store, const std::string& key,
                        const std::string& value, std::chrono::nanoseconds ttl,
                        uint64_t* revision = nullptr);
  // One page of ListKeys.
  CallResult ListKeys(uint32_t store, const std::string& prefix,
                      int32_t page_size, const std::string& page_token,
                      std::vector<std::string>* keys,
                      std::string* next_page_token);

 private:
  template <typename Call>
  CallResult Invoke(Call call);

  std::unique_ptr<v1::KeyValue::Stub> stub_;
  std::string token_;
};

}  // namespace kv::testing

#endif  // KV_TESTS_KV_TEST_CLIENT_H_
