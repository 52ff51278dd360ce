#include "store/redis/redis_connection_pool.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "store/redis/redis_options.h"
#include "store/status_macros.h"

namespace kv {
namespace {

// hiredis writes to its socket with write(2), so writing to a connection
// the server has closed raises SIGPIPE, which kills the process by default.
// This blocks SIGPIPE in the calling thread for the scope, and discards a
// SIGPIPE the scope raised, so such a write only fails with EPIPE. It
// changes nothing for the rest of the process (libpq does the same).
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigemptyset(&sigpipe_);
    sigaddset(&sigpipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &sigpipe_, &previous_mask_);
    was_pending_ = IsPending();
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;
  ~ScopedSigpipeBlock() {
    if (!was_pending_ && IsPending()) {
      const timespec no_wait = {0, 0};
      sigtimedwait(&sigpipe_, nullptr, &no_wait);
    }
    pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
  }

 private:
  static bool IsPending() {
    sigset_t pending;
    sigemptyset(&pending);
    return sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
  }

  sigset_t sigpipe_;
  sigset_t previous_mask_;
  bool was_pending_ = false;
};

// False if the server has closed `context`'s connection (or sent something
// unasked) while it sat idle in the pool: a request/response connection has
// nothing to read between calls. One poll(2) with no wait.
bool IsAlive(redisContext* context) {
  if (context->err != 0) return false;
  pollfd poll_fd{context->fd, POLLIN, 0};
  return poll(&poll_fd, 1, 0) == 0;
}

// Error replies that mean "the server cannot serve right now, try again":
// it is loading its data set, running a long script, or is a replica that
// lost its primary.
bool IsTransientReplyError(absl::string_view message) {
  return absl::StartsWith(message, "LOADING") ||
         absl::StartsWith(message, "BUSY") ||
         absl::StartsWith(message, "MASTERDOWN");
}

}  // namespace

RedisConnectionPool::Lease::Lease(Lease&& other)
    : pool_(std::exchange(other.pool_, nullptr)),
      context_(std::move(other.context_)) {}

RedisConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->Release(std::move(context_));
}

RedisConnectionPool::RedisConnectionPool(const RedisOptions& options)
    : options_(options), free_slots_(options.pool_size) {}

absl::Time RedisConnectionPool::Deadline() const {
  return absl::Now() + options_.timeout;
}

absl::Status RedisConnectionPool::Error(absl::StatusCode code,
                                        absl::string_view failed,
                                        absl::string_view detail) const {
  return absl::Status(
      code, absl::StrCat("store \"", options_.store_name, "\": ", failed,
                         " Redis at ", options_.address, ": ", detail));
}

std::string RedisConnectionPool::TimeoutDetail() const {
  return absl::StrCat("no reply within the ",
                      absl::FormatDuration(options_.timeout), " timeout");
}

// The status for a failed round trip on `context` (hiredis set err).
absl::Status RedisConnectionPool::IoError(absl::string_view failed,
                                          const redisContext& context,
                                          absl::string_view command) const {
  switch (context.err) {
    case REDIS_ERR_IO:
      // A socket timeout (SO_RCVTIMEO/SO_SNDTIMEO) surfaces as EAGAIN.
      if (absl::string_view(context.errstr) == std::strerror(EAGAIN)) {
        return Error(absl::StatusCode::kUnavailable, failed,
                     absl::StrCat(command, ": ", TimeoutDetail()));
      }
      return Error(absl::StatusCode::kUnavailable, failed,
                   absl::StrCat(command, ": ", context.errstr));
    case REDIS_ERR_EOF:
      return Error(absl::StatusCode::kUnavailable, failed,
                   absl::StrCat(command, ": the server closed the connection"));
    default:  // REDIS_ERR_PROTOCOL, REDIS_ERR_OOM, REDIS_ERR_OTHER.
      return Error(absl::StatusCode::kInternal, failed,
                   absl::StrCat(command, ": ", context.errstr));
  }
}

absl::Status RedisConnectionPool::ReplyError(absl::string_view failed,
                                             absl::string_view command,
                                             const redisReply& reply) const {
  const absl::string_view message(reply.str, reply.len);
  return Error(IsTransientReplyError(message) ? absl::StatusCode::kUnavailable
                                              : absl::StatusCode::kInternal,
               failed, absl::StrCat(command, ": ", message));
}

absl::Status RedisConnectionPool::Unexpected(absl::string_view failed,
                                             absl::string_view command,
                                             const redisReply& reply) const {
  return Error(absl::StatusCode::kInternal, failed,
               absl::StrCat("unexpected reply to ", command,
                            " (hiredis reply type ", reply.type, ")"));
}

// Sends `args` on `context` and reads the reply, by `deadline`. Unless
// `keep_errors`, an error reply becomes a status. Sets `*broken` if the
// connection must be closed.
absl::StatusOr<RedisReply> RedisConnectionPool::RoundTrip(
    redisContext* context, absl::string_view failed, absl::Time deadline,
    absl::Span<const absl::string_view> args, bool keep_errors,
    bool* broken) const {
  const absl::string_view command = args.front();
  *broken = false;
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) {
    return Error(absl::StatusCode::kUnavailable, failed,
                 absl::StrCat(command, ": ", TimeoutDetail()));
  }
  // At least 1 ms: a zero timeval would mean "no timeout".
  if (redisSetTimeout(context, absl::ToTimeval(std::max(
                                   left, absl::Milliseconds(1)))) != REDIS_OK) {
    *broken = true;
    return IoError(failed, *context, command);
  }
  std::vector<const char*> argv;
  std::vector<size_t> argv_len;
  argv.reserve(args.size());
  argv_len.reserve(args.size());
  for (absl::string_view arg : args) {
    argv.push_back(arg.data());
    argv_len.push_back(arg.size());
  }
  void* raw_reply;
  {
    ScopedSigpipeBlock no_sigpipe;
    raw_reply = redisCommandArgv(context, static_cast<int>(argv.size()),
                                 argv.data(), argv_len.data());
  }
  if (raw_reply == nullptr) {
    *broken = true;
    return IoError(failed, *context, command);
  }
  RedisReply reply(static_cast<redisReply*>(raw_reply));
  if (reply->type == REDIS_REPLY_ERROR && !keep_errors) {
    return ReplyError(failed, command, *reply);
  }
  return reply;
}

absl::StatusOr<RedisReply> RedisConnectionPool::Command(
    Lease& lease, absl::string_view failed, absl::Time deadline,
    absl::Span<const absl::string_view> args) {
  bool broken = false;
  absl::StatusOr<RedisReply> reply =
      RoundTrip(lease.context(), failed, deadline, args,
                /*keep_errors=*/false, &broken);
  if (broken) lease.Drop();
  return reply;
}

absl::StatusOr<RedisReply> RedisConnectionPool::CommandKeepingErrors(
    Lease& lease, absl::string_view failed, absl::Time deadline,
    absl::Span<const absl::string_view> args) {
  bool broken = false;
  absl::StatusOr<RedisReply> reply =
      RoundTrip(lease.context(), failed, deadline, args,
                /*keep_errors=*/true, &broken);
  if (broken) lease.Drop();
  return reply;
}

// Opens a connection and prepares it: AUTH if there is a password, then
// SELECT (always, so a server that needs a password we lack fails here).
absl::StatusOr<RedisContext> RedisConnectionPool::Connect(
    absl::string_view failed, absl::Time deadline) const {
  const absl::string_view prefix = failed == kOpening ? "" : "cannot connect: ";
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) {
    return Error(
        absl::StatusCode::kUnavailable, failed,
        absl::StrCat(prefix, "no time left within the ",
                     absl::FormatDuration(options_.timeout), " timeout"));
  }
  const timeval connect_timeout =
      absl::ToTimeval(std::max(left, absl::Milliseconds(1)));
  RedisContext context(
      options_.transport == RedisOptions::Transport::kTcp
          ? redisConnectWithTimeout(options_.host.c_str(), options_.port,
                                    connect_timeout)
          : redisConnectUnixWithTimeout(options_.socket_path.c_str(),
                                        connect_timeout));
  if (context == nullptr) {
    return Error(absl::StatusCode::kInternal, failed,
                 absl::StrCat(prefix, "out of memory"));
  }
  if (context->err != 0) {
    return Error(absl::StatusCode::kUnavailable, failed,
                 absl::StrCat(prefix, context->errstr));
  }
  bool broken = false;
  if (!options_.password.empty()) {
    absl::StatusOr<RedisReply> auth =
        options_.user.empty()
            ? RoundTrip(context.get(), failed, deadline,
                        {"AUTH", options_.password}, false, &broken)
            : RoundTrip(context.get(), failed, deadline,
                        {"AUTH", options_.user, options_.password}, false,
                        &broken);
    if (!auth.ok()) return auth.status();
  }
  const std::string db = absl::StrCat(options_.db);
  absl::StatusOr<RedisReply> select = RoundTrip(context.get(), failed, deadline,
                                                {"SELECT", db}, false, &broken);
  if (!select.ok()) return select.status();
  return context;
}

absl::StatusOr<RedisConnectionPool::Lease> RedisConnectionPool::Acquire(
    absl::string_view failed, absl::Time deadline) {
  RedisContext context;
  {
    absl::MutexLock lock(&mutex_);
    while (free_slots_ == 0) {
      if (slot_freed_.WaitWithDeadline(&mutex_, deadline) && free_slots_ == 0) {
        return Error(absl::StatusCode::kUnavailable, failed,
                     absl::StrCat("no free connection within the ",
                                  absl::FormatDuration(options_.timeout),
                                  " timeout (all ", options_.pool_size,
                                  " in use; see pool_size)"));
      }
    }
    --free_slots_;
    // The most recently used one: the likeliest to still be open.
    if (!idle_.empty()) {
      context = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  Lease lease(this);  // From here on, every return gives the slot back.
  if (context != nullptr && !IsAlive(context.get())) context.reset();
  if (context == nullptr) {
    KV_ASSIGN_OR_RETURN(context, Connect(failed, deadline));
  }
  lease.context_ = std::move(context);
  return lease;
}

void RedisConnectionPool::Release(RedisContext context) {
  absl::MutexLock lock(&mutex_);
  ++free_slots_;
  if (context != nullptr) idle_.push_back(std::move(context));
  slot_freed_.Signal();
}

}  // namespace kv
