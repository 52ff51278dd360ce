#include "service/one_store_server.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
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

  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.worker_threads = 1;
  absl::StatusOr<std::unique_ptr<KvServer>> server =
      KvServer::Start(options, fixture->catalog_.get());
  if (!server.ok()) return server.status();
  fixture->server_ = *std::move(server);

  fixture->stub_ = v1::KeyValue::NewStub(grpc::CreateChannel(
      fixture->server_->address(), grpc::InsecureChannelCredentials()));
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
  if (server_ != nullptr) server_->Shutdown(absl::Seconds(5));
  server_.reset();
  if (catalog_ != nullptr) catalog_->CloseAll();
}

}  // namespace kv
