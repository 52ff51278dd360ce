#include "store/redis/redis_driver.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "store/driver.h"
#include "store/redis/redis_options.h"
#include "store/registry.h"
#include "store/status_macros.h"

namespace kv {
namespace {

// Keys SCAN examines per round trip: a hint, not a limit. Larger means fewer
// round trips but a longer time the (single-threaded) server spends on each.
constexpr absl::string_view kScanCount = "1000";

// What a call was doing, for messages: "store "S": FAILED Redis at ADDR".
constexpr absl::string_view kOpening = "cannot reach";
constexpr absl::string_view kReading = "cannot read from";
constexpr absl::string_view kWriting = "cannot write to";
constexpr absl::string_view kDeleting = "cannot delete from";
constexpr absl::string_view kListing = "cannot list keys in";

struct ContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

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

// Escapes the characters that Redis glob patterns (SCAN MATCH) give a
// meaning, so `text` matches only itself.
std::string GlobEscape(absl::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
      escaped.push_back('\\');
    }
    escaped.push_back(c);
  }
  return escaped;
}

// Error replies that mean "the server cannot serve right now, try again":
// it is loading its data set, running a long script, or is a replica that
// lost its primary.
bool IsTransientReplyError(absl::string_view message) {
  return absl::StartsWith(message, "LOADING") ||
         absl::StartsWith(message, "BUSY") ||
         absl::StartsWith(message, "MASTERDOWN");
}

class RedisDriver : public Driver {
 public:
  static absl::StatusOr<std::unique_ptr<RedisDriver>> Open(
      const RedisOptions& options) {
    auto driver = absl::WrapUnique(new RedisDriver(options));
    // Connect one connection now, so an unreachable or misconfigured server
    // fails the open. It goes back to the pool for the first call.
    KV_ASSIGN_OR_RETURN(Lease lease,
                        driver->Acquire(kOpening, Deadline(options)));
    return driver;
  }

  absl::StatusOr<std::string> Get(absl::string_view key) override {
    const absl::Time deadline = Deadline(options_);
    KV_ASSIGN_OR_RETURN(Lease lease, Acquire(kReading, deadline));
    KV_ASSIGN_OR_RETURN(Reply reply,
                        Command(lease, kReading, deadline, {"GET", Key(key)}));
    if (reply->type == REDIS_REPLY_NIL) {
      return absl::NotFoundError(
          absl::StrCat("store \"", options_.store_name, "\": key not found"));
    }
    if (reply->type != REDIS_REPLY_STRING) {
      return Unexpected(kReading, "GET", *reply);
    }
    return std::string(reply->str, reply->len);
  }

  absl::Status Set(absl::string_view key, absl::string_view value) override {
    const absl::Time deadline = Deadline(options_);
    KV_ASSIGN_OR_RETURN(Lease lease, Acquire(kWriting, deadline));
    KV_ASSIGN_OR_RETURN(Reply reply, Command(lease, kWriting, deadline,
                                             {"SET", Key(key), value}));
    if (reply->type != REDIS_REPLY_STATUS ||
        absl::string_view(reply->str, reply->len) != "OK") {
      return Unexpected(kWriting, "SET", *reply);
    }
    return absl::OkStatus();
  }

  absl::Status Delete(absl::string_view key) override {
    const absl::Time deadline = Deadline(options_);
    KV_ASSIGN_OR_RETURN(Lease lease, Acquire(kDeleting, deadline));
    KV_ASSIGN_OR_RETURN(Reply reply,
                        Command(lease, kDeleting, deadline, {"DEL", Key(key)}));
    if (reply->type != REDIS_REPLY_INTEGER) {
      return Unexpected(kDeleting, "DEL", *reply);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<bool> Exists(absl::string_view key) override {
    const absl::Time deadline = Deadline(options_);
    KV_ASSIGN_OR_RETURN(Lease lease, Acquire(kReading, deadline));
    KV_ASSIGN_OR_RETURN(
        Reply reply, Command(lease, kReading, deadline, {"EXISTS", Key(key)}));
    if (reply->type != REDIS_REPLY_INTEGER) {
      return Unexpected(kReading, "EXISTS", *reply);
    }
    return reply->integer > 0;
  }

  // SCAN visits the keys in hash-table order, so the store's keys are
  // collected, sorted and deduplicated (SCAN may return a key twice) before
  // the first visit. That holds every key of the store in memory and costs
  // O(n log n): acceptable for now, because GetKeys answers with every key
  // in one message anyway (the service holds them all too, up to
  // max_get_keys_bytes). Paged listing will replace this with an ordered
  // index. SCAN also walks the whole database, not just this store, so its
  // cost grows with everything stored in the same Redis database.
  //
  // The connection is given back before the first visit, so `visit` may
  // call the driver.
  absl::Status ListKeys(
      absl::FunctionRef<bool(absl::string_view key)> visit) override {
    std::vector<std::string> keys;
    {
      absl::Time deadline = Deadline(options_);
      KV_ASSIGN_OR_RETURN(Lease lease, Acquire(kListing, deadline));
      const std::string pattern =
          absl::StrCat(GlobEscape(options_.key_prefix), "*");
      std::string cursor = "0";
      do {
        KV_ASSIGN_OR_RETURN(
            Reply reply,
            Command(lease, kListing, deadline,
                    {"SCAN", cursor, "MATCH", pattern, "COUNT", kScanCount}));
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
            reply->element[0]->type != REDIS_REPLY_STRING ||
            reply->element[1]->type != REDIS_REPLY_ARRAY) {
          return Unexpected(kListing, "SCAN", *reply);
        }
        cursor.assign(reply->element[0]->str, reply->element[0]->len);
        const redisReply& batch = *reply->element[1];
        for (size_t i = 0; i < batch.elements; ++i) {
          const redisReply& key = *batch.element[i];
          if (key.type != REDIS_REPLY_STRING) {
            return Unexpected(kListing, "SCAN", *reply);
          }
          absl::string_view redis_key(key.str, key.len);
          // MATCH already filtered on the escaped prefix; this guards the
          // isolation of stores against any mistake in that escaping.
          if (absl::ConsumePrefix(&redis_key, options_.key_prefix)) {
            keys.emplace_back(redis_key);
          }
        }
        // Each round trip gets the full timeout: a listing of a large
        // database takes many.
        deadline = Deadline(options_);
      } while (cursor != "0");
    }
    std::sort(keys.begin(), keys.end());  // Byte order: std::string's.
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (const std::string& key : keys) {
      if (!visit(key)) break;
    }
    return absl::OkStatus();
  }

  std::string Location() const override { return options_.redacted_url; }

 private:
  // A pool slot, with its connection (null until connected). Gives the
  // slot back, and the connection unless it was dropped, when destroyed.
  class Lease {
   public:
    explicit Lease(RedisDriver* driver) : driver_(driver) {}
    Lease(Lease&& other)
        : driver_(std::exchange(other.driver_, nullptr)),
          context_(std::move(other.context_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (driver_ != nullptr) driver_->Release(std::move(context_));
    }

    redisContext* context() const { return context_.get(); }
    void set_context(Context context) { context_ = std::move(context); }
    // Closes the connection, after an error that leaves its state unknown
    // (a timeout may leave a reply in flight). The next user reconnects.
    void Drop() { context_.reset(); }

   private:
    RedisDriver* driver_;
    Context context_;
  };

  explicit RedisDriver(const RedisOptions& options)
      : options_(options), free_slots_(options.pool_size) {}

  static absl::Time Deadline(const RedisOptions& options) {
    return absl::Now() + options.timeout;
  }

  std::string Key(absl::string_view key) const {
    return absl::StrCat(options_.key_prefix, key);
  }

  absl::Status Error(absl::StatusCode code, absl::string_view failed,
                     absl::string_view detail) const {
    return absl::Status(
        code, absl::StrCat("store \"", options_.store_name, "\": ", failed,
                           " Redis at ", options_.address, ": ", detail));
  }

  std::string TimeoutDetail() const {
    return absl::StrCat("no reply within the ",
                        absl::FormatDuration(options_.timeout), " timeout");
  }

  // The status for a failed round trip on `context` (hiredis set err).
  absl::Status IoError(absl::string_view failed, const redisContext& context,
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
                     absl::StrCat(command,
                                  ": the server closed the "
                                  "connection"));
      default:  // REDIS_ERR_PROTOCOL, REDIS_ERR_OOM, REDIS_ERR_OTHER.
        return Error(absl::StatusCode::kInternal, failed,
                     absl::StrCat(command, ": ", context.errstr));
    }
  }

  absl::Status Unexpected(absl::string_view failed, absl::string_view command,
                          const redisReply& reply) const {
    return Error(absl::StatusCode::kInternal, failed,
                 absl::StrCat("unexpected reply to ", command,
                              " (hiredis reply type ", reply.type, ")"));
  }

  // Sends `args` on `context` and reads the reply, by `deadline`. An error
  // reply becomes a status. Sets `*broken` if the connection must be
  // closed.
  absl::StatusOr<Reply> RoundTrip(redisContext* context,
                                  absl::string_view failed, absl::Time deadline,
                                  std::initializer_list<absl::string_view> args,
                                  bool* broken) const {
    const absl::string_view command = *args.begin();
    *broken = false;
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return Error(absl::StatusCode::kUnavailable, failed,
                   absl::StrCat(command, ": ", TimeoutDetail()));
    }
    // At least 1 ms: a zero timeval would mean "no timeout".
    if (redisSetTimeout(
            context, absl::ToTimeval(std::max(left, absl::Milliseconds(1)))) !=
        REDIS_OK) {
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
    Reply reply(static_cast<redisReply*>(raw_reply));
    if (reply->type == REDIS_REPLY_ERROR) {
      const absl::string_view message(reply->str, reply->len);
      return Error(IsTransientReplyError(message)
                       ? absl::StatusCode::kUnavailable
                       : absl::StatusCode::kInternal,
                   failed, absl::StrCat(command, ": ", message));
    }
    return reply;
  }

  // RoundTrip on a leased connection, which is dropped if it broke.
  absl::StatusOr<Reply> Command(Lease& lease, absl::string_view failed,
                                absl::Time deadline,
                                std::initializer_list<absl::string_view> args) {
    bool broken = false;
    absl::StatusOr<Reply> reply =
        RoundTrip(lease.context(), failed, deadline, args, &broken);
    if (broken) lease.Drop();
    return reply;
  }

  // Opens a connection and prepares it: AUTH if there is a password, then
  // SELECT (always, so a server that needs a password we lack fails here).
  absl::StatusOr<Context> Connect(absl::string_view failed,
                                  absl::Time deadline) const {
    const absl::string_view prefix =
        failed == kOpening ? "" : "cannot connect: ";
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return Error(
          absl::StatusCode::kUnavailable, failed,
          absl::StrCat(prefix, "no time left within the ",
                       absl::FormatDuration(options_.timeout), " timeout"));
    }
    const timeval connect_timeout =
        absl::ToTimeval(std::max(left, absl::Milliseconds(1)));
    Context context(options_.transport == RedisOptions::Transport::kTcp
                        ? redisConnectWithTimeout(options_.host.c_str(),
                                                  options_.port,
                                                  connect_timeout)
                        : redisConnectUnixWithTimeout(
                              options_.socket_path.c_str(), connect_timeout));
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
      absl::StatusOr<Reply> auth =
          options_.user.empty()
              ? RoundTrip(context.get(), failed, deadline,
                          {"AUTH", options_.password}, &broken)
              : RoundTrip(context.get(), failed, deadline,
                          {"AUTH", options_.user, options_.password}, &broken);
      if (!auth.ok()) return auth.status();
    }
    const std::string db = absl::StrCat(options_.db);
    absl::StatusOr<Reply> select =
        RoundTrip(context.get(), failed, deadline, {"SELECT", db}, &broken);
    if (!select.ok()) return select.status();
    return context;
  }

  // Takes a free pool slot, waiting until `deadline` for one, and makes sure
  // it holds a live connection.
  absl::StatusOr<Lease> Acquire(absl::string_view failed, absl::Time deadline) {
    Context context;
    {
      absl::MutexLock lock(&mutex_);
      while (free_slots_ == 0) {
        if (slot_freed_.WaitWithDeadline(&mutex_, deadline) &&
            free_slots_ == 0) {
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
    lease.set_context(std::move(context));
    return lease;
  }

  void Release(Context context) {
    absl::MutexLock lock(&mutex_);
    ++free_slots_;
    if (context != nullptr) idle_.push_back(std::move(context));
    slot_freed_.Signal();
  }

  const RedisOptions options_;

  absl::Mutex mutex_;
  absl::CondVar slot_freed_;
  // Slots not leased out; at most pool_size.
  int free_slots_ ABSL_GUARDED_BY(mutex_);
  // Open connections of the free slots (a free slot may have none).
  std::vector<Context> idle_ ABSL_GUARDED_BY(mutex_);
};

DriverType RedisDriverType() {
  DriverType type;
  type.description =
      "Redis server: url = \"redis://[USER:PASSWORD@]HOST:PORT[/DB]\" | "
      "\"unix:/PATH[?db=N]\", timeout = DURATION (2s), pool_size = N (8)";
  type.fields = {"url", "timeout", "pool_size"};
  type.open =
      [](const StoreSpec& spec) -> absl::StatusOr<std::unique_ptr<Driver>> {
    KV_ASSIGN_OR_RETURN(RedisOptions options, RedisOptionsFromSpec(spec));
    return OpenRedisDriver(options);
  };
  return type;
}

const bool kRegistered = RegisterDriverType("redis", RedisDriverType());

}  // namespace

absl::StatusOr<std::unique_ptr<Driver>> OpenRedisDriver(
    const RedisOptions& options) {
  KV_ASSIGN_OR_RETURN(std::unique_ptr<RedisDriver> driver,
                      RedisDriver::Open(options));
  return driver;
}

}  // namespace kv
