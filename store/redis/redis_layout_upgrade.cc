#include "store/redis/redis_layout_upgrade.h"

#include <hiredis/hiredis.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "store/redis/redis_connection_pool.h"
#include "store/redis/redis_options.h"
#include "store/status_macros.h"

namespace kv {
namespace {

// Keys SCAN examines per round trip: a hint, not a limit. Larger means fewer
// round trips but a longer time the (single-threaded) server spends on each.
constexpr absl::string_view kScanCount = "1000";

// Whether the marker reply says the store is already at our layout. A
// marker that is not a number counts as below: indexing again is harmless.
bool IsUpgraded(const redisReply& marker) {
  int version = 0;
  return marker.type == REDIS_REPLY_STRING &&
         absl::SimpleAtoi(absl::string_view(marker.str, marker.len),
                          &version) &&
         version >= kRedisLayoutVersion;
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

}  // namespace

absl::Status UpgradeRedisLayout(RedisConnectionPool& pool,
                                RedisConnectionPool::Lease& lease,
                                const RedisOptions& options,
                                RedisIndexScriptRunner run_index_script) {
  absl::Time deadline = pool.Deadline();
  KV_ASSIGN_OR_RETURN(
      RedisReply marker,
      pool.Command(lease, kUpgrading, deadline, {"GET", options.layout_key}));
  if (IsUpgraded(*marker)) return absl::OkStatus();

  const std::string prefix_length = absl::StrCat(options.key_prefix.size());
  const std::string pattern = absl::StrCat(GlobEscape(options.key_prefix), "*");
  std::vector<std::string> found;
  std::vector<absl::string_view> keys;
  std::string cursor = "0";
  do {
    deadline = pool.Deadline();  // Each round trip gets the full timeout.
    KV_ASSIGN_OR_RETURN(
        RedisReply reply,
        pool.Command(lease, kUpgrading, deadline,
                     {"SCAN", cursor, "MATCH", pattern, "COUNT", kScanCount}));
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_ARRAY) {
      return pool.Unexpected(kUpgrading, "SCAN", *reply);
    }
    cursor.assign(reply->element[0]->str, reply->element[0]->len);
    const redisReply& batch = *reply->element[1];
    found.clear();
    for (size_t i = 0; i < batch.elements; ++i) {
      const redisReply& key = *batch.element[i];
      if (key.type != REDIS_REPLY_STRING) {
        return pool.Unexpected(kUpgrading, "SCAN", *reply);
      }
      const absl::string_view redis_key(key.str, key.len);
      // MATCH already filtered on the escaped prefix; this guards the
      // isolation of stores against any mistake in that escaping.
      if (absl::StartsWith(redis_key, options.key_prefix)) {
        found.emplace_back(redis_key);
      }
    }
    if (found.empty()) continue;
    keys = {options.index_key, options.expiry_key, options.layout_key};
    keys.insert(keys.end(), found.begin(), found.end());
    deadline = pool.Deadline();
    KV_RETURN_IF_ERROR(
        run_index_script(keys, {prefix_length, ""}, deadline).status());
  } while (cursor != "0");

  const std::string version = absl::StrCat(kRedisLayoutVersion);
  keys = {options.index_key, options.expiry_key, options.layout_key};
  return run_index_script(keys, {prefix_length, version}, pool.Deadline())
      .status();
}

}  // namespace kv
