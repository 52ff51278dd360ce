#include "clients/cpp/call.h"

#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "clients/cpp/error_code.h"
#include "grpc/grpc.h"

namespace kvd {
namespace internal {

namespace {

// Deletes stubs on its own thread (see NewStub). Never destroyed: its thread
// waits for work until the process exits.
class StubReaper {
 public:
  static StubReaper& Get() {
    static StubReaper* const reaper = new StubReaper;
    return *reaper;
  }

  void Delete(kv::v1::KeyValue::Stub* stub) {
    absl::MutexLock lock(&mu_);
    doomed_.push_back(stub);
    work_.Signal();
  }

 private:
  StubReaper() : thread_([this] { Run(); }) {}

  void Run() {
    absl::MutexLock lock(&mu_);
    while (true) {
      while (doomed_.empty()) work_.Wait(&mu_);
      std::vector<kv::v1::KeyValue::Stub*> batch;
      batch.swap(doomed_);
      mu_.Unlock();
      for (kv::v1::KeyValue::Stub* stub : batch) delete stub;
      mu_.Lock();
    }
  }

  absl::Mutex mu_;
  absl::CondVar work_;
  std::vector<kv::v1::KeyValue::Stub*> doomed_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace

std::shared_ptr<kv::v1::KeyValue::Stub> NewStub(
    std::shared_ptr<grpc::ChannelInterface> channel) {
  KeepGrpcInitialized();
  StubReaper& reaper = StubReaper::Get();
  return std::shared_ptr<kv::v1::KeyValue::Stub>(
      kv::v1::KeyValue::NewStub(std::move(channel)).release(),
      [&reaper](kv::v1::KeyValue::Stub* stub) { reaper.Delete(stub); });
}

void KeepGrpcInitialized() {
  static const bool initialized = [] {
    grpc_init();
    return true;
  }();
  (void)initialized;
}

absl::StatusOr<absl::Duration> CallTimeout(const Options& options,
                                           const CallOptions& call) {
  if (call.timeout.has_value()) {
    if (*call.timeout <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("kvd::CallOptions::timeout must be positive, got ",
                       absl::FormatDuration(*call.timeout)));
    }
    return *call.timeout;
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kvd::Options::timeout must be positive, got ",
                     absl::FormatDuration(options.timeout)));
  }
  return options.timeout;
}

void PrepareContext(grpc::ClientContext& context, const Options& options,
                    absl::Duration timeout) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!options.token.empty()) {
    context.AddMetadata("authorization", "Bearer " + options.token);
  }
}

absl::Status Finish(const grpc::Status& status,
                    const grpc::ClientContext& context,
                    absl::string_view address) {
  absl::Status result = ToAbslStatus(status, context);
  // UNAVAILABLE: no connection. UNKNOWN: gRPC could not even make the
  // channel (e.g. a unix socket path over 107 bytes). kvd itself attaches an
  // ErrorCode to every error it sends.
  if (!address.empty() &&
      (absl::IsUnavailable(result) || absl::IsUnknown(result)) &&
      ErrorCodeOf(result) == kv::v1::ERROR_CODE_UNSPECIFIED) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach kvd at ", address, ": ", result.message()));
  }
  return result;
}

}  // namespace internal
}  // namespace kvd
