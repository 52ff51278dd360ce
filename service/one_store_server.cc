#include "service/one_store_server.h"

#include <chrono>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "service/limits.h"
#include "store/registry.h"

namespace kv {

absl::StatusOr<std::unique_ptr<OneStoreServer>> OneStoreServer::Start(
    const std::string& driver_type) {
  std::unique_ptr<OneStoreServer> fixture(new OneStoreServer());
  StoreSpec spec;
  spec.name = "default";
  spec.type = driver_type;
  fixture->catalog_ =
      std::make_unique<StoreCatalog>(std::vector<StoreSpec>{spec});
  fixture->catalog_->OpenAll();
  fixture->service_ = std::make_unique<KeyValueService>(
      fixture->catalog_.get(), Limits(), /*threads_per_store=*/1,
      [](const std::string& /*service*/, bool /*serving*/) {});

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(fixture->service_.get());
  fixture->server_ = builder.BuildAndStart();
  if (fixture->server_ == nullptr || port == 0) {
    return absl::UnavailableError("could not start a server on 127.0.0.1:0");
  }

  fixture->stub_ = v1::KeyValue::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  v1::OpenRequest open;
  open.set_name("default");
  v1::OpenResponse opened;
  const grpc::Status status = fixture->stub_->Open(&context, open, &opened);
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("Open(\"default\") failed: ", status.error_message()));
  }
  fixture->handle_ = opened.store();
  return fixture;
}

OneStoreServer::~OneStoreServer() {
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::seconds(5));
  }
  server_.reset();
  service_.reset();
  if (catalog_ != nullptr) catalog_->CloseAll();
}

}  // namespace kv
