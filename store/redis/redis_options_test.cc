#include "store/redis/redis_options.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/registry.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::IsOk;
using ::kv::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

StoreSpec RedisSpec(const std::string& url,
                    const std::string& name = "sessions") {
  StoreSpec spec;
  spec.name = name;
  spec.type = "redis";
  spec.options["url"] = url;
  return spec;
}

TEST(RedisOptionsTest, FullTcpUrl) {
  absl::StatusOr<RedisOptions> options =
      RedisOptionsFromSpec(RedisSpec("redis://app:s3cret@cache.local:6390/3"));
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->transport, RedisOptions::Transport::kTcp);
  EXPECT_EQ(options->host, "cache.local");
  EXPECT_EQ(options->port, 6390);
  EXPECT_EQ(options->user, "app");
  EXPECT_EQ(options->password, "s3cret");
  EXPECT_EQ(options->db, 3);
  EXPECT_EQ(options->address, "cache.local:6390");
  EXPECT_EQ(options->redacted_url, "redis://app:***@cache.local:6390/3");
  EXPECT_EQ(options->key_prefix, "kvd:{sessions}:");
  EXPECT_EQ(options->revision_key, "kvd:{sessions}#revision");
  EXPECT_EQ(options->index_key, "kvd:{sessions}#keys");
  EXPECT_EQ(options->expiry_key, "kvd:{sessions}#expiry");
  EXPECT_EQ(options->layout_key, "kvd:{sessions}#layout");
  EXPECT_EQ(options->timeout, absl::Seconds(2));
  EXPECT_EQ(options->pool_size, 8);
}

TEST(RedisOptionsTest, DefaultsForPortAndDb) {
  absl::StatusOr<RedisOptions> options =
      RedisOptionsFromSpec(RedisSpec("redis://127.0.0.1"));
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->port, 6379);
  EXPECT_EQ(options->db, 0);
  EXPECT_TRUE(options->password.empty());
  EXPECT_EQ(options->redacted_url, "redis://127.0.0.1:6379/0");
  EXPECT_EQ(RedisOptionsFromSpec(RedisSpec("redis://h:1/"))->redacted_url,
            "redis://h:1/0");
}

TEST(RedisOptionsTest, PasswordAloneAndEscapes) {
  // A password may hold '@', ':' and '/' (escaped or not) and never shows.
  absl::StatusOr<RedisOptions> options =
      RedisOptionsFromSpec(RedisSpec("redis://:p%40ss:w/rd@10.0.0.5:7000"));
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->user, "");
  EXPECT_EQ(options->password, "p@ss:w/rd");
  EXPECT_EQ(options->host, "10.0.0.5");
  EXPECT_EQ(options->redacted_url, "redis://:***@10.0.0.5:7000/0");

  options = RedisOptionsFromSpec(RedisSpec("redis://a%20b:x@y@h:1/2"));
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->user, "a b");
  EXPECT_EQ(options->password, "x@y");
  EXPECT_EQ(options->redacted_url, "redis://a%20b:***@h:1/2");
}

TEST(RedisOptionsTest, Ipv6InBrackets) {
  absl::StatusOr<RedisOptions> options =
      RedisOptionsFromSpec(RedisSpec("redis://[::1]:6380/1"));
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->host, "::1");
  EXPECT_EQ(options->port, 6380);
  EXPECT_EQ(options->address, "[::1]:6380");
  EXPECT_EQ(options->redacted_url, "redis://[::1]:6380/1");
}

TEST(RedisOptionsTest, UnixSocket) {
  absl::StatusOr<RedisOptions> options =
      RedisOptionsFromSpec(RedisSpec("unix:/run/redis/redis.sock?db=4"));
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->transport, RedisOptions::Transport::kUnix);
  EXPECT_EQ(options->socket_path, "/run/redis/redis.sock");
  EXPECT_EQ(options->db, 4);
  EXPECT_EQ(options->address, "unix:/run/redis/redis.sock");
  EXPECT_EQ(options->redacted_url, "unix:/run/redis/redis.sock?db=4");

  options = RedisOptionsFromSpec(RedisSpec("unix:///run/r.sock"));
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->socket_path, "/run/r.sock");
  EXPECT_EQ(options->db, 0);
  EXPECT_EQ(options->redacted_url, "unix:/run/r.sock");
}

TEST(RedisOptionsTest, TimeoutAndPoolSize) {
  StoreSpec spec = RedisSpec("redis://h:1");
  spec.options["timeout"] = "250ms";
  spec.options["pool_size"] = "32";
  absl::StatusOr<RedisOptions> options = RedisOptionsFromSpec(spec);
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->timeout, absl::Milliseconds(250));
  EXPECT_EQ(options->pool_size, 32);
}

TEST(RedisOptionsTest, MissingUrl) {
  StoreSpec spec = RedisSpec("");
  spec.options.clear();
  EXPECT_THAT(RedisOptionsFromSpec(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("store \"sessions\""),
                             HasSubstr("field url is missing"))));
}

struct BadUrl {
  const char* url;
  const char* message;
};

TEST(RedisOptionsTest, MalformedUrlsAreRefusedClearly) {
  const BadUrl cases[] = {
      {"", "field url is empty"},
      {"http://h:1", "must start with \"redis://\" or \"unix:\""},
      {"REDIS://h:1", "must start with \"redis://\" or \"unix:\""},
      {"127.0.0.1:6379", "must start with \"redis://\" or \"unix:\""},
      {"rediss://h:1", "rediss:// (Redis over TLS)"},
      {"redis://", "has no host"},
      {"redis://:6379", "has no host before \":6379\""},
      {"redis://h:", "has port \"\""},
      {"redis://h:0", "has port \"0\"; give a number from 1 to 65535"},
      {"redis://h:65536", "has port \"65536\""},
      {"redis://h:63x9", "has port \"63x9\""},
      {"redis://h:-1", "has port \"-1\""},
      {"redis://h:1/x", "has database \"x\""},
      {"redis://h:1/0/1", "has database \"0/1\""},
      {"redis://h:1/-1", "has database \"-1\""},
      {"redis://h:1/99999999999", "has database \"99999999999\""},
      {"redis://h:1?db=2", "take no query or fragment"},
      {"redis://h:1/0#x", "has database \"0#x\""},
      {"redis://h^st:1", "has host \"h^st\", which is not a host name"},
      {"redis://::1:6379", "write an IPv6 address in brackets"},
      {"redis://[::1:6379", "with no ']'"},
      {"redis://[::1]6379", "after the IPv6 address"},
      {"redis://[zz]:1", "is not an IPv6 address"},
      {"redis://user@h:1", "has a user name but no password"},
      {"redis://user:@h:1", "has an empty password"},
      {"redis://u:%zz@h:1", "malformed %-escape in its password"},
      {"redis://%4:p@h:1", "malformed %-escape in its user name"},
      {"redis://h :1", "contains a space or control character"},
      {"unix:", "absolute socket path"},
      {"unix:relative.sock", "absolute socket path"},
      {"unix:/r.sock?db=x", "has db=\"x\""},
      {"unix:/r.sock?password=hunter2", "has parameter \"password\""},
      {"unix:/r.sock?db", "has parameter \"db\""},
  };
  for (const BadUrl& bad : cases) {
    EXPECT_THAT(RedisOptionsFromSpec(RedisSpec(bad.url)),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("store \"sessions\": field url "),
                               HasSubstr(bad.message))))
        << bad.url;
  }
  EXPECT_THAT(
      RedisOptionsFromSpec(RedisSpec("unix:/" + std::string(200, 'x'))),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("socket path of 201 bytes; the limit is 107")));
}

TEST(RedisOptionsTest, ErrorsNeverShowThePassword) {
  const char* const urls[] = {
      "redis://u:hunter2@h:0",      "redis://u:hunter2@h:1/x",
      "redis://:hunter2@",          "redis://:hunter2@h:1?x",
      "rediss://u:hunter2@h:1",     "http://u:hunter2@h:1",
      "redis://u:hunter2%zz@h:1",   "redis://u:hunter2 x@h:1",
      "redis://u:hunter2@h:1@h^:2", "redis://u:hunter2/@h::1",
  };
  for (const char* url : urls) {
    absl::StatusOr<RedisOptions> options = RedisOptionsFromSpec(RedisSpec(url));
    ASSERT_FALSE(options.ok()) << url;
    EXPECT_THAT(options.status().message(), Not(HasSubstr("hunter2"))) << url;
  }
}

TEST(RedisOptionsTest, BadTimeoutAndPoolSize) {
  for (const char* timeout : {"", "2", "fast", "0s", "-1s", "inf"}) {
    StoreSpec spec = RedisSpec("redis://h:1");
    spec.options["timeout"] = timeout;
    EXPECT_THAT(RedisOptionsFromSpec(spec),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("store \"sessions\": field timeout "
                                         "is \""),
                               HasSubstr("positive duration"))))
        << timeout;
  }
  for (const char* size : {"", "0", "-1", "1025", "8.5", "eight", " 8"}) {
    StoreSpec spec = RedisSpec("redis://h:1");
    spec.options["pool_size"] = size;
    EXPECT_THAT(RedisOptionsFromSpec(spec),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("store \"sessions\": field pool_size "
                                         "is \""),
                               HasSubstr("from 1 to 1024"))))
        << size;
  }
}

TEST(RedisOptionsTest, KeyPrefix) {
  EXPECT_EQ(*RedisKeyPrefix("orders"), "kvd:{orders}:");
  EXPECT_EQ(*RedisKeyPrefix("a*b"), "kvd:{a*b}:");
  // A '}' would let one store's prefix be a prefix of another's
  // ("a" + key "b}:k" == "a}:b" + key "k").
  EXPECT_THAT(RedisKeyPrefix("a}:b"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("store \"a}:b\""),
                             HasSubstr("must not contain '}'"))));
  EXPECT_THAT(RedisKeyPrefix(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RedisOptionsFromSpec(RedisSpec("redis://h:1", "x}")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// The counter is outside every store's key prefix (no key can name it, no
// listing sees it) and inside the store's hash tag (one Cluster slot).
TEST(RedisOptionsTest, RevisionKey) {
  EXPECT_EQ(RedisRevisionKey("orders"), "kvd:{orders}#revision");
  const std::string prefix = *RedisKeyPrefix("orders");
  EXPECT_FALSE(absl::StartsWith(RedisRevisionKey("orders"), prefix));
  EXPECT_TRUE(absl::StartsWith(RedisRevisionKey("orders"), "kvd:{orders}"));
  for (absl::string_view what : {"keys", "expiry", "layout"}) {
    const std::string key = RedisStoreKey("orders", what);
    EXPECT_EQ(key, absl::StrCat("kvd:{orders}#", what));
    EXPECT_FALSE(absl::StartsWith(key, prefix)) << key;
  }
}

}  // namespace
}  // namespace kv
