#include "tests/raw_call.h"

#include <chrono>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "grpcpp/client_context.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"

namespace kv::testing {

RawCallResult RawUnaryCall(grpc::Channel& channel, const std::string& method,
                           const std::string& request) {
  // GenericStub wants shared ownership; the caller keeps the channel alive
  // for the whole call, so a non-owning pointer is enough.
  grpc::GenericStub stub(std::shared_ptr<grpc::Channel>(
      std::shared_ptr<grpc::Channel>(), &channel));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  grpc::Slice slice(request);
  const grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  RawCallResult result;
  absl::Notification done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request_buffer,
                 &response_buffer, [&](grpc::Status status) {
                   result.status = std::move(status);
                   done.Notify();
                 });
  done.WaitForNotification();

  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find("kv-error-code");
  if (it != trailers.end()) {
    v1::ErrorCode_Parse(std::string(it->second.data(), it->second.size()),
                        &result.error_code);
  }
  std::vector<grpc::Slice> slices;
  if (result.status.ok() && response_buffer.Dump(&slices).ok()) {
    for (const grpc::Slice& part : slices) {
      result.response.append(reinterpret_cast<const char*>(part.begin()),
                             part.size());
    }
  }
  return result;
}

std::string KeyValueMethod(const std::string& rpc) {
  return "/kv.v1.KeyValue/" + rpc;
}

}  // namespace kv::testing
