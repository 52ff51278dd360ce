#ifndef KV_TOOLS_KV_BENCH_KVD_TARGET_H_
#define KV_TOOLS_KV_BENCH_KVD_TARGET_H_

#include <memory>
#include <string>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "kv/v1/kv.grpc.pb.h"
#include "tools/kv_bench/target.h"

namespace kv {
namespace bench {

// kvd over gRPC, with the callback API. Prepare opens the store once per
// channel; slot i uses channel i % channels. kNoop is the server's
// grpc.health.v1.Health/Check (overall status), the same server and
// connections, so it is the RPC ceiling the store calls are compared to.
class KvdTarget : public Target {
 public:
  KvdTarget(std::string address, std::string store, int channels);
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

  const std::string address_;
  const std::string store_;
  const int channel_count_;
  std::vector<Connection> connections_;
};

}  // namespace bench
}  // namespace kv

#endif  // KV_TOOLS_KV_BENCH_KVD_TARGET_H_
