#ifndef KV_TOOLS_KV_BENCH_ETCD_TARGET_H_
#define KV_TOOLS_KV_BENCH_ETCD_TARGET_H_

#include <memory>
#include <string>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tools/kv_bench/etcd/rpc.grpc.pb.h"
#include "tools/kv_bench/target.h"

namespace kv {
namespace bench {

// etcd v3 over its own gRPC KV API, with the same callback machinery as
// KvdTarget, so both are measured by one client:
//   kGet     -> Range(key)                  (serializable unless linearizable)
//   kExists  -> Range(key, count_only)
//   kGetKeys -> Range(prefix "kvbench/", keys_only)
//   kSet     -> Put(key, value)
//   kNoop    -> grpc.health.v1.Health/Check (etcd serves it too)
// A Get of a key that is not there counts as error "NOT_FOUND".
class EtcdTarget : public Target {
 public:
  EtcdTarget(std::string address, int channels, bool serializable);

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
    std::unique_ptr<etcdserverpb::KV::Stub> kv;
    std::unique_ptr<grpc::health::v1::Health::Stub> health;
  };

  const std::string address_;
  const int channel_count_;
  const bool serializable_;
  std::vector<Connection> connections_;
};

}  // namespace bench
}  // namespace kv

#endif  // KV_TOOLS_KV_BENCH_ETCD_TARGET_H_
