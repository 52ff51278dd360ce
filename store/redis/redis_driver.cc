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
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "store/counter_value.h"
#include "store/driver.h"
#include "store/redis/redis_connection_pool.h"
#include "store/redis/redis_options.h"
#include "store/redis/redis_scripts.h"
#include "store/registry.h"
#include "store/status_macros.h"
#include "store/write_errors.h"

namespace kv {
namespace {

// Keys SCAN examines per round trip: a hint, not a limit. Larger means fewer
// round trips but a longer time the (single-threaded) server spends on each.
constexpr absl::string_view kScanCount = "1000";

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
enum ScriptId { kWriteScript, kGetManyScript, kUpgradeScript, kScriptCount };

const RedisScript& Script(ScriptId id) {
  switch (id) {
    case kWriteScript:
      return WriteScript();
    case kGetManyScript:
      return GetManyScript();
    default:
      return UpgradeScript();
  }
}

class RedisDriver : public Driver {
 public:
  static absl::StatusOr<std::unique_ptr<RedisDriver>> Open(
      const RedisOptions& options) {
    auto driver = absl::WrapUnique(new RedisDriver(options));
    // Connect one connection now, so an unreachable or misconfigured server
    // fails the open. It goes back to the pool for the first call. The
    // scripts are loaded on first use.
    KV_ASSIGN_OR_RETURN(RedisConnectionPool::Lease lease,
                        driver->pool_.Acquire(kOpening, driver->Deadline()));
    return driver;
  }

  // HMGET, a plain read. A key still in the old layout (a string) answers
  // WRONGTYPE: it is upgraded by its script, and read again.
  absl::StatusOr<Versioned> Get(absl::string_view key) override {
    const absl::Time deadline = Deadline();
    KV_ASSIGN_OR_RETURN(RedisConnectionPool::Lease lease,
                        pool_.Acquire(kReading, deadline));
    const std::string redis_key = Key(key);
    for (int attempt = 0;; ++attempt) {
      KV_ASSIGN_OR_RETURN(
          RedisReply reply,
          pool_.CommandKeepingErrors(lease, kReading, deadline,
                                     {"HMGET", redis_key, "v", "r"}));
      if (reply->type == REDIS_REPLY_ERROR) {
        if (attempt == 0 && absl::StartsWith(Text(*reply), "WRONGTYPE")) {
          // Whether it upgraded the key or another caller did first, the
          // key is now a hash, unless it is of another type (a list):
          // then the second HMGET reports WRONGTYPE.
          KV_RETURN_IF_ERROR(Eval(lease, kReading, deadline, kUpgradeScript,
                                  {options_.revision_key, redis_key}, {})
                                 .status());
          continue;
        }
        return pool_.ReplyError(kReading, "HMGET", *reply);
      }
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        return pool_.Unexpected(kReading, "HMGET", *reply);
      }
      KV_ASSIGN_OR_RETURN(
          absl::optional<Versioned> found,
          ReadEntry(key, *reply->element[0], *reply->element[1]));
      if (!found.has_value()) {
        return absl::NotFoundError(
            absl::StrCat("store \"", options_.store_name, "\": key not found"));
      }
      return *std::move(found);
    }
  }

  // One script: Redis runs it atomically, so it reads one snapshot.
  absl::StatusOr<std::vector<absl::optional<Versioned>>> GetMany(
      absl::Span<const absl::string_view> keys) override {
    std::vector<absl::optional<Versioned>> found;
    if (keys.empty()) return found;
    std::vector<std::string> redis_keys;
    redis_keys.reserve(keys.size() + 1);
    redis_keys.push_back(options_.revision_key);
    for (absl::string_view key : keys) redis_keys.push_back(Key(key));
    const std::vector<absl::string_view> script_keys(redis_keys.begin(),
                                                     redis_keys.end());
    const absl::Time deadline = Deadline();
    KV_ASSIGN_OR_RETURN(RedisConnectionPool::Lease lease,
                        pool_.Acquire(kReading, deadline));
    KV_ASSIGN_OR_RETURN(
        RedisReply reply,
        Eval(lease, kReading, deadline, kGetManyScript, script_keys, {}));
    if (reply->type != REDIS_REPLY_ARRAY ||
        reply->elements != 2 * keys.size()) {
      return pool_.Unexpected(kReading, Script(kGetManyScript).name, *reply);
    }
    found.reserve(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      KV_ASSIGN_OR_RETURN(absl::optional<Versioned> entry,
                          ReadEntry(keys[i], *reply->element[2 * i],
                                    *reply->element[2 * i + 1]));
      found.push_back(std::move(entry));
    }
    return found;
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
    keys.reserve(mutations.size() + 1);
    args.reserve(4 * mutations.size());
    keys.push_back(options_.revision_key);
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
        case Mutation::Kind::kSet:
          args.push_back(mutation.value);
          args.push_back("");
          break;
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

  // SCAN visits the keys in hash-table order, so the store's keys are
  // collected, sorted and deduplicated (SCAN may return a key twice) before
  // the first visit. That holds every key of the store in memory and costs
  // O(n log n): acceptable for now, because GetKeys answers with every key
  // in one message anyway (the service holds them all too, up to
  // max_get_keys_bytes). Paged listing will replace this with an ordered
  // index. SCAN also walks the whole database, not just this store, so its
  // cost grows with everything stored in the same Redis database. The
  // revision counter is outside the key prefix, so it is never listed.
  //
  // The connection is given back before the first visit, so `visit` may
  // call the driver.
  // Interim, until this driver's own paged listing and reclaim land (issue
  // 16): a page is cut from a whole-store listing, and nothing expires.
  absl::StatusOr<KeyPage> ListKeyPage(const KeyPageRequest& request) override {
    KeyPage page;
    absl::Status status = LegacyListKeys([&](absl::string_view key) {
      if (key <= request.after || !absl::StartsWith(key, request.prefix)) {
        return true;
      }
      if (page.keys.size() == request.limit) {
        page.more = true;
        return false;
      }
      page.keys.emplace_back(key);
      return true;
    });
    if (!status.ok()) return status;
    return page;
  }
  absl::StatusOr<size_t> ReclaimExpired(size_t) override { return 0; }

  absl::Status LegacyListKeys(
      absl::FunctionRef<bool(absl::string_view key)> visit) {
    std::vector<std::string> keys;
    {
      absl::Time deadline = Deadline();
      KV_ASSIGN_OR_RETURN(RedisConnectionPool::Lease lease,
                          pool_.Acquire(kListing, deadline));
      const std::string pattern =
          absl::StrCat(GlobEscape(options_.key_prefix), "*");
      std::string cursor = "0";
      do {
        KV_ASSIGN_OR_RETURN(RedisReply reply,
                            pool_.Command(lease, kListing, deadline,
                                          {"SCAN", cursor, "MATCH", pattern,
                                           "COUNT", kScanCount}));
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
            reply->element[0]->type != REDIS_REPLY_STRING ||
            reply->element[1]->type != REDIS_REPLY_ARRAY) {
          return pool_.Unexpected(kListing, "SCAN", *reply);
        }
        cursor.assign(reply->element[0]->str, reply->element[0]->len);
        const redisReply& batch = *reply->element[1];
        for (size_t i = 0; i < batch.elements; ++i) {
          const redisReply& key = *batch.element[i];
          if (key.type != REDIS_REPLY_STRING) {
            return pool_.Unexpected(kListing, "SCAN", *reply);
          }
          absl::string_view redis_key = Text(key);
          // MATCH already filtered on the escaped prefix; this guards the
          // isolation of stores against any mistake in that escaping.
          if (absl::ConsumePrefix(&redis_key, options_.key_prefix)) {
            keys.emplace_back(redis_key);
          }
        }
        // Each round trip gets the full timeout: a listing of a large
        // database takes many.
        deadline = Deadline();
      } while (cursor != "0");
    }
    std::sort(keys.begin(), keys.end());  // Byte order: std::string's.
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (const std::string& key : keys) {
      if (!visit(key)) break;
    }
    return absl::OkStatus();
  }

  // What an acknowledged write survives depends on Redis's persistence
  // settings (docs/drivers.md), which kvd cannot read reliably (CONFIG may
  // be renamed or denied, and can change at any time).
  Durability durability() const override { return Durability::kUnknown; }

  std::string Location() const override { return options_.redacted_url; }

 private:
  explicit RedisDriver(const RedisOptions& options)
      : options_(options), pool_(options) {}

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

  // A key's entry from the replies for its fields v and r: nullopt if both
  // are nil (absent).
  absl::StatusOr<absl::optional<Versioned>> ReadEntry(
      absl::string_view key, const redisReply& value,
      const redisReply& revision) const {
    if (value.type == REDIS_REPLY_NIL && revision.type == REDIS_REPLY_NIL) {
      return absl::nullopt;
    }
    absl::optional<uint64_t> parsed = ParseRevision(revision);
    if (!IsString(value) || !parsed.has_value()) {
      return LayoutError(kReading, key);
    }
    return Versioned{std::string(Text(value)), *parsed};
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
