#ifndef KV_STORE_REDIS_REDIS_CONNECTION_POOL_H_
#define KV_STORE_REDIS_REDIS_CONNECTION_POOL_H_

// The Redis driver's connections: a fixed pool of `pool_size`, the round
// trips on them within a deadline, and the statuses and messages for
// failures (redis_driver.h describes both to users). Thread-safe.

#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "store/redis/redis_options.h"

namespace kv {

struct RedisContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
using RedisContext = std::unique_ptr<redisContext, RedisContextDeleter>;

struct RedisReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyDeleter>;

// What a call was doing, for messages: "store "S": FAILED Redis at ADDR".
inline constexpr absl::string_view kOpening = "cannot reach";
inline constexpr absl::string_view kReading = "cannot read from";
inline constexpr absl::string_view kWriting = "cannot write to";
inline constexpr absl::string_view kDeleting = "cannot delete from";
inline constexpr absl::string_view kListing = "cannot list keys in";
inline constexpr absl::string_view kReclaiming =
    "cannot reclaim expired keys in";
inline constexpr absl::string_view kUpgrading = "cannot upgrade the store in";

class RedisConnectionPool {
 public:
  explicit RedisConnectionPool(const RedisOptions& options);
  RedisConnectionPool(const RedisConnectionPool&) = delete;
  RedisConnectionPool& operator=(const RedisConnectionPool&) = delete;

  // A pool slot, with its connection. Gives the slot back, and the
  // connection unless it was dropped, when destroyed; it must not outlive
  // the pool.
  class Lease {
   public:
    Lease(Lease&& other);
    Lease& operator=(Lease&&) = delete;
    ~Lease();

    redisContext* context() const { return context_.get(); }
    // Closes the connection, after an error that leaves its state unknown
    // (a timeout may leave a reply in flight). The next user reconnects.
    void Drop() { context_.reset(); }

   private:
    friend class RedisConnectionPool;
    explicit Lease(RedisConnectionPool* pool) : pool_(pool) {}

    RedisConnectionPool* pool_;
    RedisContext context_;
  };

  // Now + the options' timeout: the deadline of a call starting now.
  absl::Time Deadline() const;

  // Takes a free slot, waiting until `deadline` for one, and makes sure it
  // holds a live connection (connecting it, with AUTH and SELECT, if
  // needed). `failed` says what the call was doing, for messages.
  absl::StatusOr<Lease> Acquire(absl::string_view failed, absl::Time deadline);

  // Sends `args` (the command and its arguments) on the lease's connection
  // and reads the reply, by `deadline`. An error reply becomes a status
  // (ReplyError); a connection that broke is dropped.
  absl::StatusOr<RedisReply> Command(Lease& lease, absl::string_view failed,
                                     absl::Time deadline,
                                     absl::Span<const absl::string_view> args);

  // Command that returns an error reply as a reply (REDIS_REPLY_ERROR), for
  // a caller that handles some of them (NOSCRIPT, WRONGTYPE).
  absl::StatusOr<RedisReply> CommandKeepingErrors(
      Lease& lease, absl::string_view failed, absl::Time deadline,
      absl::Span<const absl::string_view> args);

  // The status for error reply `reply` to `command`: Unavailable for the
  // replies that mean "not now" (LOADING, BUSY, MASTERDOWN), Internal for
  // the others.
  absl::Status ReplyError(absl::string_view failed, absl::string_view command,
                          const redisReply& reply) const;

  // Internal: a reply of a shape `command` never gives.
  absl::Status Unexpected(absl::string_view failed, absl::string_view command,
                          const redisReply& reply) const;

  // "store "NAME": FAILED Redis at ADDR: DETAIL" with `code`.
  absl::Status Error(absl::StatusCode code, absl::string_view failed,
                     absl::string_view detail) const;

 private:
  std::string TimeoutDetail() const;
  absl::Status IoError(absl::string_view failed, const redisContext& context,
                       absl::string_view command) const;
  absl::StatusOr<RedisReply> RoundTrip(redisContext* context,
                                       absl::string_view failed,
                                       absl::Time deadline,
                                       absl::Span<const absl::string_view> args,
                                       bool keep_errors, bool* broken) const;
  absl::StatusOr<RedisContext> Connect(absl::string_view failed,
                                       absl::Time deadline) const;
  void Release(RedisContext context);

  const RedisOptions options_;

  absl::Mutex mutex_;
  absl::CondVar slot_freed_;
  // Slots not leased out; at most pool_size.
  int free_slots_ ABSL_GUARDED_BY(mutex_);
  // Open connections of the free slots (a free slot may have none).
  std::vector<RedisContext> idle_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace kv

#endif  // KV_STORE_REDIS_REDIS_CONNECTION_POOL_H_
