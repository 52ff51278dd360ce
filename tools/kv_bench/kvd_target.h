#ifndef KV_TOOLS_KV_BENCH_KVD_TARGET_H_
#define KV_TOOLS_KV_BENCH_KVD_TARGET_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "kv/v1/kv.grpc.pb.h"
#include "tools/kv_bench/target.h"

namespace kv {
namespace bench {

// How kGetMany and kSetMany choose their keys: `size` consecutive benchmark
// keys (KeyName) from the chosen one, wrapping at `key_count`.
struct BatchShape {
  int size = 100;
  uint64_t key_count = 10000;
};

// kvd over gRPC, with the callback API. Prepare opens the store once per
// channel; slot i uses channel i % channels. kNoop is the server's
// grpc.health.v1.Health/Check (overall status), the same server and
// connections, so it is the RPC ceiling the store calls are compared to.
// kIncrement adds 1 to "counter/" + the key (never preloaded, so always a
// counter). kConditionalSet writes the slot's own key "cas/slot<N>" with
// if_revision = the revision its previous write returned (the first write
// of a slot is unconditional), so every call passes its condition unless
// something else writes the key.
class KvdTarget : public Target {
 public:
  KvdTarget(std::string address, std::string store, int channels,
            BatchShape batch = BatchShape());
  // Closes the handles Prepare opened: a principal may hold only so many
  // (256 by default), and runs of kv_bench follow one another.
  ~KvdTarget() override;

  absl::Status Prepare(int slots) override;
  absl::Status Supports(Operation operation) const override;
  bool synchronous() const override { return false; }
  void StartCall(int slot, Operation operation, const std::string& key,
                 const std::string& value, uint64_t version,
                 Done done) override;
  Outcome CallSync(int slot, Operation operation, const std::string& key,
                   const std::string& value, uint64_t version) override;

 private:
  struct Connection {
    std::unique_ptr<kv::v1::KeyValue::Stub> kv;
    std::unique_ptr<grpc::health::v1::Health::Stub> health;
    uint32_t handle = 0;
  };

  void StartBatch(Connection& connection, Operation operation,
                  const std::string& key, const std::string& value,
                  uint64_t version, Done done);
  void StartConditionalSet(Connection& connection, int slot,
                           const std::string& value, uint64_t version,
                           Done done);

  const std::string address_;
  const std::string store_;
  const int channel_count_;
  const BatchShape batch_;
  std::vector<Connection> connections_;
  // kConditionalSet: per slot, the revision of its key's last write; 0
  // before the first. A slot has one call at a time.
  std::unique_ptr<std::atomic<uint64_t>[]> slot_revisions_;
};

}  // namespace bench
}  // namespace kv

#endif  // KV_TOOLS_KV_BENCH_KVD_TARGET_H_
