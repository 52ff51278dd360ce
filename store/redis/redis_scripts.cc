#include "store/redis/redis_scripts.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace kv {
namespace {

// What every script starts with: the counter's name and the lazy upgrade.
constexpr absl::string_view kPrelude = R"lua(
local counter = KEYS[1]

-- Converts `key` from the old layout (a plain string holding the value) to
-- a hash {v = value, r = a fresh revision}, and returns the key's Redis type
-- afterwards ('none', 'hash', or another type the caller must refuse).
local function upgrade(key)
  local kind = redis.call('TYPE', key)['ok']
  if kind ~= 'string' then return kind end
  local value = redis.call('GET', key)
  redis.call('INCR', counter)
  local revision = redis.call('GET', counter)
  redis.call('DEL', key)
  redis.call('HSET', key, 'v', value, 'r', revision)
  return 'hash'
end
)lua";

constexpr absl::string_view kWriteBody = R"lua(
local MIN = '-9223372036854775808'
local MAX = '9223372036854775807'

-- Whether the canonical decimal integer `a` is less than `b`, decided on the
-- text: by sign, then length, then the first byte that differs.
local function less(a, b)
  local a_negative = a:byte(1) == 45  -- '-'
  if a_negative ~= (b:byte(1) == 45) then return a_negative end
  if #a ~= #b then return (#a < #b) ~= a_negative end
  for i = 1, #a do
    local x, y = a:byte(i), b:byte(i)
    if x ~= y then return (x < y) ~= a_negative end
  end
  return false
end

-- Whether `text` is the canonical decimal text of an int64: exactly what
-- HINCRBY accepts (no '+', no leading zero, no "-0", no spaces).
local function is_counter(text)
  if text == '0' then return true end
  if not string.find(text, '^%-?[1-9][0-9]*$') then return false end
  return not less(text, MIN) and not less(MAX, text)
end

-- The decimal text of the successor of the non-negative integer `text`.
local function succ(text)
  local i = #text
  while i > 0 and text:byte(i) == 57 do i = i - 1 end  -- '9'
  if i == 0 then return '1' .. string.rep('0', #text) end
  return text:sub(1, i - 1) .. string.char(text:byte(i) + 1) ..
         string.rep('0', #text - i)
end

local index, expiry = KEYS[2], KEYS[3]
local skip = tonumber(ARGV[1])  -- The key prefix's length.

-- Mutation i's j-th argument (1 to 4).
local function arg(i, j) return ARGV[1 + 4 * (i - 1) + j] end

-- The server's time in Unix ms, read once: every set of the call expires
-- counting from the same instant.
local now = nil
local function now_ms()
  if not now then
    local time = redis.call('TIME')
    now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  end
  return now
end

-- Check every mutation against the store as it is; apply nothing yet.
local count = #KEYS - 3
local present = {}
local changes = 0
for i = 1, count do
  local key = KEYS[i + 3]
  local kind, condition = arg(i, 1), arg(i, 2)
  local exists = upgrade(key) ~= 'none'
  local revision = '0'
  if exists then
    revision = redis.call('HGET', key, 'r')  -- WRONGTYPE unless a hash
    if not revision then return {'layout', i - 1} end
  end
  if condition ~= '' and condition ~= revision then
    return {'condition', i - 1, revision}
  end
  if kind == 'incr' and exists then
    local value = redis.call('HGET', key, 'v')
    if not value then return {'layout', i - 1} end
    if not is_counter(value) then return {'not_integer', i - 1} end
    local bound = arg(i, 4)
    if bound ~= '' then
      local down = arg(i, 3):byte(1) == 45
      if (down and less(value, bound)) or (not down and less(bound, value)) then
        return {'overflow', i - 1}
      end
    end
  end
  present[i] = exists
  if exists or kind ~= 'del' then changes = changes + 1 end
end

-- Apply them all, giving each change the next revision.
local results = {'ok'}
local revision = '0'
if changes > 0 then
  revision = redis.call('GET', counter) or '0'
  if revision ~= '0' and not string.find(revision, '^[1-9][0-9]*$') then
    return {'counter', revision}
  end
  redis.call('INCRBY', counter, changes)
end
for i = 1, count do
  local key, kind = KEYS[i + 3], arg(i, 1)
  local member = string.sub(key, skip + 1)
  local written, value = '0', ''
  if kind == 'set' then
    revision = succ(revision)
    written = revision
    -- HSET keeps the key's expiry: replace it, or clear it. Field e keeps
    -- the expiry's Unix ms beside the value, so a Get is one HMGET.
    local ttl = arg(i, 4)
    if ttl ~= '' then
      local at = string.format('%.0f', now_ms() + tonumber(ttl))
      redis.call('HSET', key, 'v', arg(i, 3), 'r', revision, 'e', at)
      redis.call('PEXPIREAT', key, at)
      redis.call('ZADD', expiry, at, member)
    else
      redis.call('HSET', key, 'v', arg(i, 3), 'r', revision)
      redis.call('HDEL', key, 'e')
      redis.call('PERSIST', key)
      redis.call('ZREM', expiry, member)
    end
    redis.call('ZADD', index, 0, member)
  elseif kind == 'incr' then
    revision = succ(revision)
    written = revision
    -- HINCRBY and HSET keep the key's expiry; a key they create has none.
    redis.call('HINCRBY', key, 'v', arg(i, 3))
    redis.call('HSET', key, 'r', revision)
    value = redis.call('HGET', key, 'v')
    if not present[i] then redis.call('ZREM', expiry, member) end
    redis.call('ZADD', index, 0, member)
  else
    if present[i] then
      revision = succ(revision)
      written = revision
      redis.call('DEL', key)
    end
    redis.call('ZREM', index, member)
    redis.call('ZREM', expiry, member)
  end
  results[2 * i] = written
  results[2 * i + 1] = value
end
return results
)lua";

constexpr absl::string_view kReadBody = R"lua(
local values = {}
for i = 2, #KEYS do
  local key = KEYS[i]
  local at = 3 * (i - 2)
  if upgrade(key) == 'none' then
    values[at + 1] = false
    values[at + 2] = false
    values[at + 3] = false
  else
    -- WRONGTYPE unless a hash. Exactly what Get's HMGET returns: nil for a
    -- missing field, so a hash with only one of v and r (not written by
    -- kvd) is reported, and one with neither reads as absent.
    local fields = redis.call('HMGET', key, 'v', 'r', 'e')
    values[at + 1] = fields[1] or false
    values[at + 2] = fields[2] or false
    values[at + 3] = fields[3] or false
  end
end
return values
)lua";

constexpr absl::string_view kListBody = R"lua(
local index, from, to = KEYS[1], ARGV[1], ARGV[2]
local need, budget, prefix = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local result = {0, ''}
local found, examined = 0, 0
while true do
  local want = math.min(need - found, budget - examined)
  local members = redis.call('ZRANGEBYLEX', index, from, to, 'LIMIT', 0, want)
  for _, member in ipairs(members) do
    examined = examined + 1
    -- An expired key is already gone; its entry waits for the reclaim.
    if redis.call('EXISTS', prefix .. member) == 1 then
      found = found + 1
      result[found + 2] = member
    end
  end
  if #members < want then
    result[1] = 1
    return result
  end
  local last = members[#members]
  result[2] = last
  if found >= need or examined >= budget then return result end
  from = '(' .. last
end
)lua";

constexpr absl::string_view kReclaimBody = R"lua(
local index, expiry = KEYS[1], KEYS[2]
local max, budget, prefix = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local removed, examined, kept = 0, 0, 0
while removed < max and examined < budget do
  local due = redis.call('ZRANGEBYSCORE', expiry, '-inf', now, 'WITHSCORES',
                         'LIMIT', kept, math.min(max - removed,
                                                 budget - examined))
  if #due == 0 then break end
  for i = 1, #due, 2 do
    local member, at = due[i], tonumber(due[i + 1])
    examined = examined + 1
    -- -2: no such key (Redis has expired it, or it was deleted around kvd).
    local current = redis.call('PEXPIRETIME', prefix .. member)
    if current == -2 then
      redis.call('ZREM', expiry, member)
      removed = removed + redis.call('ZREM', index, member)
    elseif current ~= at then
      redis.call('ZREM', expiry, member)  -- Stale: the key lives on.
    else
      -- Due by TIME but not yet by the script's own clock, which Redis
      -- reads once as the script starts: the next call takes it.
      kept = kept + 1
    end
  end
end
return removed
)lua";

constexpr absl::string_view kIndexBody = R"lua(
local index, expiry, marker = KEYS[1], KEYS[2], KEYS[3]
local skip = tonumber(ARGV[1])
local added = 0
for i = 4, #KEYS do
  local key = KEYS[i]
  local at = redis.call('PEXPIRETIME', key)  -- -2: gone since the SCAN.
  if at ~= -2 then
    local member = string.sub(key, skip + 1)
    added = added + redis.call('ZADD', index, 0, member)
    if at >= 0 then redis.call('ZADD', expiry, at, member) end
  end
end
if ARGV[2] ~= '' then
  local current = tonumber(redis.call('GET', marker) or '0') or 0
  if current < tonumber(ARGV[2]) then redis.call('SET', marker, ARGV[2]) end
end
return added
)lua";

}  // namespace

const RedisScript& WriteScript() {
  static const RedisScript* script =
      new RedisScript{"write script", absl::StrCat(kPrelude, kWriteBody)};
  return *script;
}

const RedisScript& ReadScript() {
  static const RedisScript* script =
      new RedisScript{"read script", absl::StrCat(kPrelude, kReadBody)};
  return *script;
}

const RedisScript& ListScript() {
  static const RedisScript* script =
      new RedisScript{"list script", std::string(kListBody)};
  return *script;
}

const RedisScript& ReclaimScript() {
  static const RedisScript* script =
      new RedisScript{"reclaim script", std::string(kReclaimBody)};
  return *script;
}

const RedisScript& IndexScript() {
  static const RedisScript* script =
      new RedisScript{"index script", std::string(kIndexBody)};
  return *script;
}

}  // namespace kv
