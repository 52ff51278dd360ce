#ifndef KV_TOOLS_KV_BENCH_KVD_TARGET_H_
#define KV_TOOLS_KV_BENCH_KVD_TARGET_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
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

// What kvd's own options add to the calls.
struct KvdCallOptions {
  // kList: the page_size of each ListKeys call.
  int page_size = 1000;
  // Every Set and SetMany entry carries this ttl (whole milliseconds);
  // absl::InfiniteDuration(): none.
  absl::Duration ttl = absl::InfiniteDuration();
};

// Whether benchmark key `index` is among the `fraction` of keys that
// --expired-fraction writes with a short ttl: a fixed, scrambled choice, so
// expired keys are spread over the key space rather than one range.
bool InExpiringFraction(uint64_t index, double fraction);

// kvd over gRPC, with the callback API. Prepare opens the store once per
// channel; slot i uses channel i % channels. kNoop is the server's
// grpc.health.v1.Health/Check (overall status), the same server and
// connections, so it is the RPC ceiling the store calls are compared to.
// kIncrement adds 1 to "counter/" + the key (never preloaded, so always a
// counter). kConditionalSet writes the slot's own key "cas/slot<N>" with
// if_revision = the revision its previous write returned (the first write
// of a slot is unconditional), so every call passes its condition unless
// something else writes the key. kList reads one ListKeys page of
// options.page_size per call; each slot pages through the whole store with
// its own page tokens and starts again after the last page.
class KvdTarget : public Target {
 public:
  KvdTarget(std::string address, std::string store, int channels,
            BatchShape batch = BatchShape(),
            KvdCallOptions options = KvdCallOptions());
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

  // From now on, kSet gives the keys InExpiringFraction(index, fraction)
  // this ttl (instead of options.ttl): for a preload where some keys will
  // have expired by the time reads are measured. A fraction of 0 ends it.
  // Call between runs, never while calls are in flight.
  void SetExpiring(double fraction, absl::Duration ttl);

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
  void StartList(Connection& connection, int slot, Done done);
  // The ttl of a Set of `key`: the expiring one, options_.ttl, or none.
  absl::Duration TtlFor(const std::string& key) const;

  const std::string address_;
  const std::string store_;
  const int channel_count_;
  const BatchShape batch_;
  const KvdCallOptions options_;
  double expiring_fraction_ = 0;
  absl::Duration expiring_ttl_ = absl::InfiniteDuration();
  std::vector<Connection> connections_;
  // kConditionalSet: per slot, the revision of its key's last write; 0
  // before the first. A slot has one call at a time.
  std::unique_ptr<std::atomic<uint64_t>[]> slot_revisions_;
  // kList: per slot, the page token of its next call; empty: from the
  // start. A slot has one call at a time.
  std::vector<std::string> slot_tokens_;
};

}  // namespace bench
}  // namespace kv

#endif  // KV_TOOLS_KV_BENCH_KVD_TARGET_H_
