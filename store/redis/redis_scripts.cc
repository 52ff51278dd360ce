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

-- Check every mutation against the store as it is; apply nothing yet.
local count = #KEYS - 1
local present = {}
local changes = 0
for i = 1, count do
  local key = KEYS[i + 1]
  local kind, condition = ARGV[4 * i - 3], ARGV[4 * i - 2]
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
    local bound = ARGV[4 * i]
    if bound ~= '' then
      local down = ARGV[4 * i - 1]:byte(1) == 45
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
  local key, kind = KEYS[i + 1], ARGV[4 * i - 3]
  local written, value = '0', ''
  if kind == 'set' then
    revision = succ(revision)
    written = revision
    redis.call('HSET', key, 'v', ARGV[4 * i - 1], 'r', revision)
  elseif kind == 'incr' then
    revision = succ(revision)
    written = revision
    redis.call('HINCRBY', key, 'v', ARGV[4 * i - 1])
    redis.call('HSET', key, 'r', revision)
    value = redis.call('HGET', key, 'v')
  elseif present[i] then
    revision = succ(revision)
    written = revision
    redis.call('DEL', key)
  end
  results[2 * i] = written
  results[2 * i + 1] = value
end
return results
)lua";

constexpr absl::string_view kGetManyBody = R"lua(
local values = {}
for i = 2, #KEYS do
  local key = KEYS[i]
  if upgrade(key) == 'none' then
    values[2 * i - 3] = false
    values[2 * i - 2] = false
  else
    -- WRONGTYPE unless a hash. A hash without kvd's fields (not written by
    -- kvd) gets "" for them, which the driver reports.
    local fields = redis.call('HMGET', key, 'v', 'r')
    values[2 * i - 3] = fields[1] or ''
    values[2 * i - 2] = fields[2] or ''
  end
end
return values
)lua";

constexpr absl::string_view kUpgradeBody = R"lua(
if redis.call('TYPE', KEYS[2])['ok'] ~= 'string' then return 0 end
upgrade(KEYS[2])
return 1
)lua";

}  // namespace

const RedisScript& WriteScript() {
  static const RedisScript* script =
      new RedisScript{"write script", absl::StrCat(kPrelude, kWriteBody)};
  return *script;
}

const RedisScript& GetManyScript() {
  static const RedisScript* script =
      new RedisScript{"read script", absl::StrCat(kPrelude, kGetManyBody)};
  return *script;
}

const RedisScript& UpgradeScript() {
  static const RedisScript* script =
      new RedisScript{"upgrade script", absl::StrCat(kPrelude, kUpgradeBody)};
  return *script;
}

}  // namespace kv
