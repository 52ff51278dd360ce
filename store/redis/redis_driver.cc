#include "store/redis/redis_driver.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "store/counter_value.h"
#include "store/driver.h"
#include "store/expiry.h"
#include "store/key_range.h"
#include "store/redis/redis_connection_pool.h"
#include "store/redis/redis_layout_upgrade.h"
#include "store/redis/redis_options.h"
#include "store/redis/redis_scripts.h"
#include "store/registry.h"
#include "store/status_macros.h"
#include "store/write_errors.h"

namespace kv {
namespace {

// Index entries one list script call examines beyond the keys it must
// find: what an unreclaimed run of expired keys can cost one call, which
// keeps each call short; the page then continues with another call.
constexpr size_t kListSlack = 1000;

// The most stale #expiry entries (of keys rewritten around kvd) one reclaim
// call examines beyond the keys it may remove (at most as many as those).
constexpr size_t kMaxStaleEntries = 10000;

absl::string_view Text(const redisReply& reply) {
  return absl::string_view(reply.str, reply.len);
}

bool IsString(const redisReply& reply) {
  return reply.type == REDIS_REPLY_STRING;
}

// A revision as the scripts store it: canonical decimal, never 0 for a key.
absl::optional<uint64_t> ParseRevision(const redisReply& reply) {
  uint64_t revision = 0;
  if (!IsString(reply) || !absl::SimpleAtoi(Text(reply), &revision) ||
      revision == 0) {
    return absl::nullopt;
  }
  return revision;
}

// A key for a message: escaped and cut, so the message stays one line.
std::string Quote(absl::string_view key) {
  constexpr size_t kMaxKeyBytes = 128;
  if (key.size() <= kMaxKeyBytes) {
    return absl::StrCat("\"", absl::CHexEscape(key), "\"");
  }
  return absl::StrCat("\"", absl::CHexEscape(key.substr(0, kMaxKeyBytes)),
                      "\"... (", key.size(), " bytes)");
}

// The scripts, indexed by ScriptId.
enum ScriptId {
  kWriteScript,
  kReadScript,
  kListScript,
  kReclaimScript,
  kIndexScript,
  kScriptCount
};

const RedisScript& Script(ScriptId id) {
  switch (id) {
    case kWriteScript:
      return WriteScript();
    case kReadScript:
      return ReadScript();
    case kListScript:
      return ListScript();
    case kReclaimScript:
      return ReclaimScript();
    default:
      return IndexScript();
  }
}

class RedisDriver : public Driver {
 public:
  static absl::StatusOr<std::unique_ptr<RedisDriver>> Open(
      const RedisOptions& options) {
    auto driver = absl::WrapUnique(new RedisDriver(options));
    // Connect one connection now, so an unreachable or misconfigured server
    // fails the open, and upgrade a store an earlier kvd wrote. The
    // connection goes back to the pool for the first call. The scripts are
    // loaded on first use.
    KV_ASSIGN_OR_RETURN(RedisConnectionPool::Lease lease,
                        driver->pool_.Acquire(kOpening, driver->Deadline()));
    KV_RETURN_IF_ERROR(UpgradeRedisLayout(
        driver->pool_, lease, driver->options_,
        [&](absl::Span<const absl::string_view> keys,
            absl::Span<const absl::string_view> args, absl::Time deadline) {
          return driver->Eval(lease, kUpgrading, deadline, kIndexScript, keys,
                              args);
        }));
    return driver;
  }

  // The read script on one key: its value, revision and expiry in one
  // atomic step (a plain HMGET could not return the expiry with them), and
  // the lazy upgrade of an old-layout key.
  // One HMGET: the value, its revision and its expiry (field e) are one
  // hash, read atomically. A key still in the oldest layout (a plain
  // string: WRONGTYPE) goes through the read script, which upgrades it.
  absl::StatusOr<Versioned> Get(absl::string_view key) override {
    const std::string redis_key = Key(key);
    absl::optional<Versioned> found;
    bool old_layout = false;
    {  // The lease is returned before Read takes one of its own.
      const absl::Time deadline = Deadline();
      KV_ASSIGN_OR_RETURN(RedisConnectionPool::Lease lease,
                          pool_.Acquire(kReading, deadline));
      KV_ASSIGN_OR_RETURN(
          RedisReply reply,
          pool_.CommandKeepingErrors(lease, kReading, deadline,
                                     {"HMGET", redis_key, "v", "r", "e"}));
      if (reply->type == REDIS_REPLY_ERROR &&
          absl::StartsWith(Text(*reply), "WRONGTYPE")) {
        old_layout = true;
      } else if (reply->type == REDIS_REPLY_ERROR) {
        return pool_.ReplyError(kReading, "HMGET", *reply);
      } else if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
        return pool_.Unexpected(kReading, "HMGET", *reply);
      } else {
        KV_ASSIGN_OR_RETURN(
            found, ReadEntry(key, *reply->element[0], *reply->element[1],
                             *reply->element[2]));
      }
    }
    if (old_layout) {
      KV_ASSIGN_OR_RETURN(std::vector<absl::optional<Versioned>> read,
                          Read({key}, {options_.revision_key, redis_key}));
      found = std::move(read.front());
    }
    if (!found.has_value()) {
      return absl::NotFoundError(
          absl::StrCat("store \"", options_.store_name, "\": key not found"));
    }
    return *std::move(found);
  }

  // One script: Redis runs it atomically, so it reads one snapshot.
  absl::StatusOr<std::vector<absl::optional<Versioned>>> GetMany(
      absl::Span<const absl::string_view> keys) override {
    if (keys.empty()) return std::vector<absl::optional<Versioned>>();
    std::vector<std::string> redis_keys;
    redis_keys.reserve(keys.size() + 1);
    redis_keys.push_back(options_.revision_key);
    for (absl::string_view key : keys) redis_keys.push_back(Key(key));
    const std::vector<absl::string_view> script_keys(redis_keys.begin(),
                                                     redis_keys.end());
    return Read(keys, script_keys);
  }

  absl::StatusOr<MutationResults> Write(
      absl::Span<const Mutation> mutations) override {
    const bool only_deletes = std::all_of(
        mutations.begin(), mutations.end(),
        [](const Mutation& m) { return m.kind == Mutation::Kind::kDelete; });
    const absl::string_view failed = only_deletes ? kDeleting : kWriting;

    // KEYS and ARGV as redis_scripts.h describes them. The values are not
    // copied; a deque never moves the strings the views point into. Empty
    // arguments are "", never a null view: hiredis copies every argument.
    std::deque<std::string> owned;
    std::vector<absl::string_view> keys;
    std::vector<absl::string_view> args;
    keys.reserve(mutations.size() + 3);
    args.reserve(4 * mutations.size() + 1);
    keys.push_back(options_.revision_key);
    keys.push_back(options_.index_key);
    keys.push_back(options_.expiry_key);
    args.push_back(prefix_length_);
    for (const Mutation& mutation : mutations) {
      keys.push_back(owned.emplace_back(Key(mutation.key)));
      args.push_back(mutation.kind == Mutation::Kind::kSet      ? "set"
                     : mutation.kind == Mutation::Kind::kDelete ? "del"
                                                                : "incr");
      args.push_back(mutation.if_revision.has_value()
                         ? absl::string_view(owned.emplace_back(
                               absl::StrCat(*mutation.if_revision)))
                         : absl::string_view(""));
      switch (mutation.kind) {
        case Mutation::Kind::kSet: {
          args.push_back(mutation.value);
          const int64_t ttl = TtlMillis(mutation.ttl);
          if (ttl == -1) {
            args.push_back("");
          } else if (ttl < 1) {
            return absl::InvalidArgumentError(absl::StrCat(
                "store \"", options_.store_name, "\": key ",
                Quote(mutation.key), ": ttl ",
                absl::FormatDuration(mutation.ttl),
                " is not a whole number of milliseconds of at least 1 ms"));
          } else {
            args.push_back(owned.emplace_back(absl::StrCat(ttl)));
          }
          break;
        }
        case Mutation::Kind::kDelete:
          args.push_back("");
          args.push_back("");
          break;
        case Mutation::Kind::kIncrement:
          args.push_back(owned.emplace_back(absl::StrCat(mutation.delta)));
          args.push_back(owned.emplace_back(IncrementBound(mutation.delta)));
          break;
      }
    }

    const absl::Time deadline = Deadline();
    KV_ASSIGN_OR_RETURN(RedisConnectionPool::Lease lease,
                        pool_.Acquire(failed, deadline));
    KV_ASSIGN_OR_RETURN(RedisReply reply, Eval(lease, failed, deadline,
                                               kWriteScript, keys, args));
    return WriteResults(failed, mutations, *reply);
  }

  absl::StatusOr<bool> Exists(absl::string_view key) override {
    const absl::Time deadline = Deadline();
    KV_ASSIGN_OR_RETURN(RedisConnectionPool::Lease lease,
                        pool_.Acquire(kReading, deadline));
    KV_ASSIGN_OR_RETURN(
        RedisReply reply,
        pool_.Command(lease, kReading, deadline, {"EXISTS", Key(key)}));
    if (reply->type != REDIS_REPLY_INTEGER) {
      return pool_.Unexpected(kReading, "EXISTS", *reply);
    }
    return reply->integer > 0;
  }

  absl::StatusOr<uint64_t> CurrentRevision() override {
    const absl::Time deadline = Deadline();
    KV_ASSIGN_OR_RETURN(RedisConnectionPool::Lease lease,
                        pool_.Acquire(kReading, deadline));
    KV_ASSIGN_OR_RETURN(RedisReply reply,
                        pool_.Command(lease, kReading, deadline,
                                      {"GET", options_.revision_key}));
    if (reply->type == REDIS_REPLY_NIL) return 0;
    absl::optional<uint64_t> revision = ParseRevision(*reply);
    if (!revision.has_value()) {
      return pool_.Error(
          absl::StatusCode::kInternal, kReading,
          absl::StrCat("the revision counter ", Quote(options_.revision_key),
                       " does not hold a revision"));
    }
    return *revision;
  }

  // The list script over #keys, from the later of `after` and `prefix` to
  // the end of the prefix's range: byte order by ZRANGEBYLEX, so no pattern
  // to escape. It skips expired keys' entries and reads limit + 1 keys to
  // tell whether more follow. A long run of expired entries not yet
  // reclaimed splits the page over several calls (kListSlack), each short
  // for the server; each resumes after the last entry the previous one
  // examined, so the page is still every key present throughout, in order.
  absl::StatusOr<KeyPage> ListKeyPage(const KeyPageRequest& request) override {
    const size_t limit = std::max<size_t>(request.limit, 1);
    std::string from = "-";
    if (!request.after.empty() && request.after >= request.prefix) {
      from = absl::StrCat("(", request.after);
    } else if (!request.prefix.empty()) {
      from = absl::StrCat("[", request.prefix);
    }
    const absl::optional<std::string> end = PrefixEnd(request.prefix);
    const std::string to = end.has_value() ? absl::StrCat("(", *end) : "+";
    const absl::string_view command = Script(kListScript).name;

    KeyPage page;
    absl::Time deadline = Deadline();
    KV_ASSIGN_OR_RETURN(RedisConnectionPool::Lease lease,
                        pool_.Acquire(kListing, deadline));
    while (true) {
      const size_t need = limit + 1 - page.keys.size();
      const std::string need_text = absl::StrCat(need);
      const std::string budget = absl::StrCat(need + kListSlack);
      KV_ASSIGN_OR_RETURN(
          RedisReply reply,
          Eval(lease, kListing, deadline, kListScript, {options_.index_key},
               {from, to, need_text, budget, options_.key_prefix}));
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
          reply->element[0]->type != REDIS_REPLY_INTEGER ||
          !IsString(*reply->element[1]) || reply->elements - 2 > need) {
        return pool_.Unexpected(kListing, command, *reply);
      }
      for (size_t i = 2; i < reply->elements; ++i) {
        if (!IsString(*reply->element[i])) {
          return pool_.Unexpected(kListing, command, *reply);
        }
        page.keys.emplace_back(Text(*reply->element[i]));
      }
      if (page.keys.size() > limit) {
        page.keys.pop_back();
        page.more = true;
        return page;
      }
      if (reply->element[0]->integer == 1) return page;
      // Not ended: the script examined at least one entry, to resume after.
      if (reply->element[1]->len == 0) {
        return pool_.Unexpected(kListing, command, *reply);
      }
      from = absl::StrCat("(", Text(*reply->element[1]));
      deadline = Deadline();  // Each call gets the full timeout.
    }
  }

  // The reclaim script: Redis has already freed the expired values (its
  // own expiry); this removes their entries from #keys and #expiry.
  absl::StatusOr<size_t> ReclaimExpired(size_t max_keys) override {
    if (max_keys == 0) return 0;
    // Far beyond any store; keeps the sum below from wrapping.
    max_keys = std::min<size_t>(max_keys, size_t{1} << 40);
    const std::string max = absl::StrCat(max_keys);
    // Room for stale entries (keys rewritten around kvd) besides the keys.
    const size_t room = std::min(max_keys, kMaxStaleEntries);
    const std::string budget = absl::StrCat(max_keys + room + 100);
    const absl::Time deadline = Deadline();
    KV_ASSIGN_OR_RETURN(RedisConnectionPool::Lease lease,
                        pool_.Acquire(kReclaiming, deadline));
    KV_ASSIGN_OR_RETURN(RedisReply reply,
                        Eval(lease, kReclaiming, deadline, kReclaimScript,
                             {options_.index_key, options_.expiry_key},
                             {max, budget, options_.key_prefix}));
    if (reply->type != REDIS_REPLY_INTEGER || reply->integer < 0 ||
        static_cast<uint64_t>(reply->integer) > max_keys) {
      return pool_.Unexpected(kReclaiming, Script(kReclaimScript).name, *reply);
    }
    return static_cast<size_t>(reply->integer);
  }

  // What an acknowledged write survives depends on Redis's persistence
  // settings (docs/drivers.md), which kvd cannot read reliably (CONFIG may
  // be renamed or denied, and can change at any time).
  Durability durability() const override { return Durability::kUnknown; }

  std::string Location() const override { return options_.redacted_url; }

 private:
  explicit RedisDriver(const RedisOptions& options)
      : options_(options),
        prefix_length_(absl::StrCat(options.key_prefix.size())),
        pool_(options) {}

  // The read script on `script_keys` (the counter, then the Redis keys of
  // `keys`): one entry per key.
  absl::StatusOr<std::vector<absl::optional<Versioned>>> Read(
      absl::Span<const absl::string_view> keys,
      absl::Span<const absl::string_view> script_keys) {
    const absl::Time deadline = Deadline();
    KV_ASSIGN_OR_RETURN(RedisConnectionPool::Lease lease,
                        pool_.Acquire(kReading, deadline));
    KV_ASSIGN_OR_RETURN(RedisReply reply, Eval(lease, kReading, deadline,
                                               kReadScript, script_keys, {}));
    if (reply->type != REDIS_REPLY_ARRAY ||
        reply->elements != 3 * keys.size()) {
      return pool_.Unexpected(kReading, Script(kReadScript).name, *reply);
    }
    std::vector<absl::optional<Versioned>> found;
    found.reserve(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      KV_ASSIGN_OR_RETURN(
          absl::optional<Versioned> entry,
          ReadEntry(keys[i], *reply->element[3 * i], *reply->element[3 * i + 1],
                    *reply->element[3 * i + 2]));
      found.push_back(std::move(entry));
    }
    return found;
  }

  absl::Time Deadline() const { return pool_.Deadline(); }

  std::string Key(absl::string_view key) const {
    return absl::StrCat(options_.key_prefix, key);
  }

  // The write script's overflow bound for an increment by `delta`
  // (redis_scripts.h), computed here because Lua cannot do it exactly.
  static std::string IncrementBound(int64_t delta) {
    if (delta > 0) {
      return absl::StrCat(std::numeric_limits<int64_t>::max() - delta);
    }
    if (delta < 0) {
      return absl::StrCat(std::numeric_limits<int64_t>::min() - delta);
    }
    return "";
  }

  // Internal: a key the scripts did not lay out (a hash without field v or
  // r, written by something other than kvd).
  absl::Status LayoutError(absl::string_view failed,
                           absl::string_view key) const {
    return pool_.Error(
        absl::StatusCode::kInternal, failed,
        absl::StrCat("key ", Quote(key), " (Redis key ", Quote(Key(key)),
                     ") is a hash without kvd's fields v and r; it was not "
                     "written by kvd"));
  }

  // A key's entry from its fields v, r and e (the expiry's Unix ms, nil for
  // none), as HMGET or the read script return them: nullopt if v and r are
  // nil (absent).
  absl::StatusOr<absl::optional<Versioned>> ReadEntry(
      absl::string_view key, const redisReply& value,
      const redisReply& revision, const redisReply& expire_time) const {
    if (value.type == REDIS_REPLY_NIL && revision.type == REDIS_REPLY_NIL) {
      return absl::nullopt;
    }
    absl::optional<uint64_t> parsed = ParseRevision(revision);
    if (!IsString(value) || !parsed.has_value()) {
      return LayoutError(kReading, key);
    }
    int64_t expire_millis = -1;
    if (expire_time.type != REDIS_REPLY_NIL &&
        (!IsString(expire_time) ||
         !absl::SimpleAtoi(Text(expire_time), &expire_millis) ||
         expire_millis < 0)) {
      return LayoutError(kReading, key);
    }
    return Versioned{std::string(Text(value)), *parsed,
                     ExpireTimeOf(expire_millis)};
  }

  // Maps the write script's reply (redis_scripts.h) to results or to the
  // error of the mutation that could not apply.
  absl::StatusOr<MutationResults> WriteResults(
      absl::string_view failed, absl::Span<const Mutation> mutations,
      const redisReply& reply) const {
    const absl::string_view command = Script(kWriteScript).name;
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements == 0 ||
        !IsString(*reply.element[0])) {
      return pool_.Unexpected(failed, command, reply);
    }
    const absl::string_view outcome = Text(*reply.element[0]);
    if (outcome == "ok") {
      if (reply.elements != 1 + 2 * mutations.size()) {
        return pool_.Unexpected(failed, command, reply);
      }
      MutationResults results(mutations.size());
      for (size_t i = 0; i < mutations.size(); ++i) {
        const redisReply& revision = *reply.element[1 + 2 * i];
        const redisReply& value = *reply.element[2 + 2 * i];
        if (!IsString(revision) ||
            !absl::SimpleAtoi(Text(revision), &results[i].revision)) {
          return pool_.Unexpected(failed, command, reply);
        }
        if (mutations[i].kind == Mutation::Kind::kIncrement) {
          absl::optional<int64_t> counter =
              IsString(value) ? ParseCounter(Text(value)) : absl::nullopt;
          if (!counter.has_value()) {
            return pool_.Unexpected(failed, command, reply);
          }
          results[i].value = *counter;
        }
      }
      return results;
    }
    if (outcome == "counter") {
      return pool_.Error(
          absl::StatusCode::kInternal, failed,
          absl::StrCat("the revision counter ", Quote(options_.revision_key),
                       " does not hold a revision"));
    }
    // The other outcomes name a mutation.
    if (reply.elements < 2 || reply.element[1]->type != REDIS_REPLY_INTEGER ||
        reply.element[1]->integer < 0 ||
        static_cast<size_t>(reply.element[1]->integer) >= mutations.size()) {
      return pool_.Unexpected(failed, command, reply);
    }
    const size_t index = static_cast<size_t>(reply.element[1]->integer);
    const Mutation& mutation = mutations[index];
    if (outcome == "condition") {
      uint64_t current = 0;
      if (reply.elements != 3 || !mutation.if_revision.has_value() ||
          !IsString(*reply.element[2]) ||
          !absl::SimpleAtoi(Text(*reply.element[2]), &current)) {
        return pool_.Unexpected(failed, command, reply);
      }
      return ConditionFailedError(index, mutation.key, *mutation.if_revision,
                                  current);
    }
    if (outcome == "not_integer") return NotAnIntegerError(index, mutation.key);
    if (outcome == "overflow") {
      return IncrementOverflowError(index, mutation.key);
    }
    if (outcome == "layout") return LayoutError(failed, mutation.key);
    return pool_.Unexpected(failed, command, reply);
  }

  // Runs script `id` with EVALSHA on `keys` and `args`, loading it first
  // (SCRIPT LOAD) if this driver has not yet, and again, then retrying once,
  // if Redis answers NOSCRIPT: it restarted, failed over, or SCRIPT FLUSH
  // emptied its script cache. An error reply becomes a status, named after
  // the script.
  absl::StatusOr<RedisReply> Eval(RedisConnectionPool::Lease& lease,
                                  absl::string_view failed, absl::Time deadline,
                                  ScriptId id,
                                  absl::Span<const absl::string_view> keys,
                                  absl::Span<const absl::string_view> args) {
    const RedisScript& script = Script(id);
    const std::string command = absl::StrCat("EVALSHA ", script.name);
    std::string sha;
    {
      absl::MutexLock lock(&mutex_);
      sha = shas_[id];
    }
    const std::string num_keys = absl::StrCat(keys.size());
    std::vector<absl::string_view> argv;
    argv.reserve(3 + keys.size() + args.size());
    argv.push_back("EVALSHA");
    argv.push_back("");  // The SHA, set below.
    argv.push_back(num_keys);
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    for (int attempt = 0;; ++attempt) {
      if (sha.empty()) {
        KV_ASSIGN_OR_RETURN(sha, Load(lease, failed, deadline, id));
      }
      argv[1] = sha;
      KV_ASSIGN_OR_RETURN(RedisReply reply, pool_.CommandKeepingErrors(
                                                lease, failed, deadline, argv));
      if (reply->type != REDIS_REPLY_ERROR) return reply;
      if (attempt == 0 && absl::StartsWith(Text(*reply), "NOSCRIPT")) {
        sha.clear();
        continue;
      }
      return pool_.ReplyError(failed, command, *reply);
    }
  }

  // SCRIPT LOAD of script `id`; returns its SHA and remembers it.
  absl::StatusOr<std::string> Load(RedisConnectionPool::Lease& lease,
                                   absl::string_view failed,
                                   absl::Time deadline, ScriptId id) {
    const RedisScript& script = Script(id);
    const std::string command = absl::StrCat("SCRIPT LOAD ", script.name);
    KV_ASSIGN_OR_RETURN(
        RedisReply reply,
        pool_.CommandKeepingErrors(lease, failed, deadline,
                                   {"SCRIPT", "LOAD", script.source}));
    if (reply->type == REDIS_REPLY_ERROR) {
      return pool_.ReplyError(failed, command, *reply);
    }
    if (!IsString(*reply) || reply->len == 0) {
      return pool_.Unexpected(failed, command, *reply);
    }
    std::string sha(Text(*reply));
    absl::MutexLock lock(&mutex_);
    shas_[id] = sha;
    return sha;
  }

  const RedisOptions options_;
  // The key prefix's length in decimal: the write script's ARGV[1].
  const std::string prefix_length_;
  RedisConnectionPool pool_;

  absl::Mutex mutex_;
  // The SHA1 of each script once loaded (SCRIPT LOAD); empty before.
  std::string shas_[kScriptCount] ABSL_GUARDED_BY(mutex_);
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
