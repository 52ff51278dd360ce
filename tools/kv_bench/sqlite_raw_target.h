#ifndef KV_TOOLS_KV_BENCH_SQLITE_RAW_TARGET_H_
#define KV_TOOLS_KV_BENCH_SQLITE_RAW_TARGET_H_

#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include "tools/kv_bench/target.h"

namespace kv {
namespace bench {

// The "raw SQLite" baseline: the same point reads and upserts kvd's SQLite
// driver makes, on the same schema (a WITHOUT ROWID table kv(key, value), WAL
// mode), but in this process, with no RPC. Synchronous: one thread and one
// connection per slot. Writes use `synchronous=FULL` (fsync on commit, as
// kvd's durability "fsync") unless `fsync` is false (NORMAL), and commit
// every `batch` upserts (1 = one transaction per upsert, as kvd does).
// Concurrent writers wait on SQLite's lock (busy timeout 60 s).
// kNoop is not supported.
class SqliteRawTarget : public Target {
 public:
  SqliteRawTarget(std::string path, int batch, bool fsync);
  ~SqliteRawTarget() override;

  absl::Status Prepare(int slots) override;
  absl::Status Supports(Operation operation) const override;
  bool synchronous() const override { return true; }
  void StartCall(int slot, Operation operation, const std::string& key,
                 const std::string& value, uint64_t version,
                 Done done) override;
  Outcome CallSync(int slot, Operation operation, const std::string& key,
                   const std::string& value, uint64_t version) override;
  // Commits every slot's pending batch.
  absl::Status Finish() override;

 private:
  struct Connection;

  const std::string path_;
  const int batch_;
  const bool fsync_;
  std::vector<std::unique_ptr<Connection>> connections_;
};

}  // namespace bench
}  // namespace kv

#endif  // KV_TOOLS_KV_BENCH_SQLITE_RAW_TARGET_H_
