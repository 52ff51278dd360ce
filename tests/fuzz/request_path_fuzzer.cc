// Fuzzes the request path end to end: raw request bytes go through a real
// gRPC channel (a unix socket) to an in-process KvServer serving an SQLite
// store ("default") and a memory store ("cache"), so decoding, validation,
// handles, executors and drivers all run on them.
//
// An input is a sequence of calls, each:
//   header byte: bits 0-2, with bit 5 as a fourth, the method (mod 12:
//                Open, Get, Set, Delete, Exists, GetKeys, Close, Increment,
//                GetMany, SetMany, DeleteMany, Describe); bit 3 "bind"; bit 4
//                which store (default, cache);
//   length byte: how many request bytes follow (fewer if the input ends);
//   the request bytes, sent as they are.
// "bind" prefixes the bytes with a valid field for the chosen store: its
// name for Open, else the handle the harness opened to it for this input
// (protobuf keeps the last value of a repeated scalar field, so the fuzz
// bytes can still override it). Without bind the bytes alone decide.
//
// Every answer must be OK, or an error with a canonical code the API uses
// for a caller's mistake and kvd's "kv-error-code" trailer. After each input
// the harness closes every handle it saw issued and deletes every key (its
// own two handles it keeps until an input calls Close), so inputs do not
// depend on each other.

#include <stdlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/logging.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "kv/v1/kv.pb.h"
#include "service/config/config.h"
#include "service/kvd/server.h"
#include "service/store_catalog.h"
#include "spdlog/spdlog.h"
#include "store/driver.h"
#include "tests/raw_call.h"

namespace kv::testing {
namespace {

constexpr int kMaxCallsPerInput = 16;
const char* const kMethods[] = {"Open",    "Get",     "Set",        "Delete",
                                "Exists",  "GetKeys", "Close",      "Increment",
                                "GetMany", "SetMany", "DeleteMany", "Describe",
                                "ListKeys"};
constexpr int kMethodCount = sizeof(kMethods) / sizeof(kMethods[0]);
const char* const kStores[] = {"default", "cache"};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "request_path_fuzzer: %s\n", what.c_str());
  std::abort();
}

std::string Varint(uint64_t value) {
  std::string bytes;
  for (; value >= 0x80; value >>= 7) {
    bytes.push_back(static_cast<char>((value & 0x7F) | 0x80));
  }
  bytes.push_back(static_cast<char>(value));
  return bytes;
}

// One kvd for the whole fuzzing run. Never destroyed: the process exits
// with it, and shutting it down from a static destructor would race gRPC's
// own teardown.
struct Harness {
  std::string dir;
  StoreCatalog* catalog = nullptr;
  std::unique_ptr<KvServer> server;
  std::shared_ptr<grpc::Channel> channel;
};

Harness& TheHarness() {
  static Harness* harness = [] {
    spdlog::set_level(spdlog::level::off);
    auto* h = new Harness;
    char dir_template[] = "/tmp/kvd-fuzz-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) Die("mkdtemp failed");
    h->dir = dir_template;
    std::atexit([] { std::filesystem::remove_all(TheHarness().dir); });
    // "os" durability: no fsync per write, which would slow fuzzing down
    // a hundredfold and test nothing the request path decides.
    const std::string config_text =
        absl::StrCat("[key_value_store.default]\ntype = \"sqlite\"\npath = \"",
                     h->dir, "/default.db\"\ndurability = \"os\"\n",
                     "[key_value_store.cache]\ntype = \"memory\"\n");
    absl::StatusOr<RuntimeConfig> config =
        ParseRuntimeConfig(config_text, "fuzz.toml", h->dir, h->dir);
    if (!config.ok()) Die(config.status().ToString());
    h->catalog = new StoreCatalog(config->stores);
    h->catalog->OpenAll();
    ServerOptions options;
    options.listen = absl::StrCat("unix:", h->dir, "/kvd.sock");
    options.limits = config->limits;
    options.worker_threads = 2;
    absl::StatusOr<std::unique_ptr<KvServer>> server =
        KvServer::Start(options, h->catalog);
    if (!server.ok()) Die(server.status().ToString());
    h->server = *std::move(server);
    h->channel = grpc::CreateChannel(h->server->address(),
                                     grpc::InsecureChannelCredentials());
    return h;
  }();
  return *harness;
}

RawCallResult Call(const std::string& rpc, const std::string& request) {
  return RawUnaryCall(*TheHarness().channel, KeyValueMethod(rpc), request);
}

// Fails the run unless `result` is a success or a well-formed refusal.
void CheckAnswer(const std::string& rpc, const RawCallResult& result) {
  if (result.ok()) return;
  switch (result.status.error_code()) {
    case grpc::INVALID_ARGUMENT:
    case grpc::NOT_FOUND:
    case grpc::FAILED_PRECONDITION:
    case grpc::RESOURCE_EXHAUSTED:
    case grpc::ABORTED:       // A failed if_revision condition.
    case grpc::OUT_OF_RANGE:  // An Increment past int64.
      break;
    default:
      Die(absl::StrCat(rpc, " failed with gRPC code ",
                       result.status.error_code(), ": ",
                       result.status.error_message()));
  }
  if (result.error_code == v1::ERROR_CODE_UNSPECIFIED) {
    Die(absl::StrCat(rpc, " failed without a kv-error-code trailer: ",
                     result.status.error_message()));
  }
  if (result.status.error_message().empty()) {
    Die(absl::StrCat(rpc, " failed without a message"));
  }
}

// Opens `store` for the harness itself; every call must succeed.
uint32_t OpenForHarness(const std::string& store) {
  v1::OpenRequest request;
  request.set_name(store);
  RawCallResult result = Call("Open", request.SerializeAsString());
  v1::OpenResponse response;
  if (!result.ok() || !response.ParseFromString(result.response)) {
    Die(absl::StrCat("harness Open(", store,
                     ") failed: ", result.status.error_message()));
  }
  return response.store();
}

// Deletes every key of `store` through its driver: faster than RPCs, and
// independent of what the fuzz calls did to the harness's handles.
void Clear(const std::string& store) {
  absl::StatusOr<Driver*> driver = TheHarness().catalog->Find(store);
  if (!driver.ok()) Die(driver.status().ToString());
  std::vector<std::string> keys;
  absl::Status listed = (*driver)->ListKeys([&](absl::string_view key) {
    keys.emplace_back(key);
    return true;
  });
  if (!listed.ok()) Die(listed.ToString());
  for (const std::string& key : keys) {
    absl::Status deleted = (*driver)->Delete(key).status();
    if (!deleted.ok()) Die(deleted.ToString());
  }
}

void Close(uint32_t handle) {
  v1::CloseRequest close;
  close.set_store(handle);
  Call("Close", close.SerializeAsString());
}

// The harness's handles to kStores, kept across inputs until an input
// calls Close (which may have closed one of them).
uint32_t harness_handles[2] = {0, 0};

}  // namespace
}  // namespace kv::testing

// Protobuf logs every string field with invalid UTF-8 it parses; the
// fuzzers make millions of them on purpose.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace kv::testing;  // NOLINT: the entry point is outside it.
  TheHarness();
  if (harness_handles[0] == 0) {
    harness_handles[0] = OpenForHarness(kStores[0]);
    harness_handles[1] = OpenForHarness(kStores[1]);
  }
  const uint32_t* handles = harness_handles;
  std::vector<uint32_t> issued;
  bool closed_any = false;
  size_t at = 0;
  for (int calls = 0; calls < kMaxCallsPerInput && at + 2 <= size; ++calls) {
    const uint8_t header = data[at];
    const size_t wanted = data[at + 1];
    at += 2;
    const size_t length = std::min(wanted, size - at);
    const std::string bytes(reinterpret_cast<const char*>(data + at), length);
    at += length;

    const int method =
        ((header & 0x07) | ((header >> 2) & 0x08)) % kMethodCount;
    const bool bind = header & 0x08;
    const int store = (header >> 4) & 1;
    std::string request;
    if (bind && method == 0) {
      request =
          "\x0a" + Varint(std::string(kStores[store]).size()) + kStores[store];
    } else if (bind) {
      request = "\x08" + Varint(handles[store]);
    }
    request += bytes;

    const std::string rpc = kMethods[method];
    RawCallResult result = Call(rpc, request);
    CheckAnswer(rpc, result);
    if (method == 0 && result.ok()) {
      kv::v1::OpenResponse opened;
      if (!opened.ParseFromString(result.response)) Die("bad OpenResponse");
      issued.push_back(opened.store());
    }
    closed_any |= method == 6;
  }
  for (uint32_t handle : issued) Close(handle);
  if (closed_any) {
    Close(harness_handles[0]);
    Close(harness_handles[1]);
    harness_handles[0] = harness_handles[1] = 0;
  }
  Clear(kStores[0]);
  Clear(kStores[1]);
  return 0;
}
