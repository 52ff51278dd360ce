#include "store/postgres/postgres_url.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::IsOk;
using ::kv::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

TEST(PostgresUrlTest, FullUrl) {
  absl::StatusOr<PostgresUrl> url =
      ParsePostgresUrl("postgresql://kv:s%40cret@db.example:6432/orders");
  ASSERT_THAT(url, IsOk());
  EXPECT_EQ(url->url, "postgresql://kv:s%40cret@db.example:6432/orders");
  EXPECT_EQ(url->redacted, "postgresql://kv:***@db.example:6432/orders");
  EXPECT_EQ(url->target, "db.example:6432/orders");
  EXPECT_THAT(url->secrets, UnorderedElementsAre("s%40cret", "s@cret"));
}

TEST(PostgresUrlTest, PostgresSchemeAndDefaults) {
  absl::StatusOr<PostgresUrl> url =
      ParsePostgresUrl("postgres://kv@10.0.0.5/kv");
  ASSERT_THAT(url, IsOk());
  EXPECT_EQ(url->redacted, "postgres://kv@10.0.0.5/kv");
  EXPECT_EQ(url->target, "10.0.0.5:5432/kv");
  EXPECT_TRUE(url->secrets.empty());
}

TEST(PostgresUrlTest, NoDatabaseMeansTheUserName) {
  absl::StatusOr<PostgresUrl> url = ParsePostgresUrl("postgresql://app@h");
  ASSERT_THAT(url, IsOk());
  EXPECT_EQ(url->target, "h:5432/app");
}

TEST(PostgresUrlTest, PasswordParameterIsRedacted) {
  absl::StatusOr<PostgresUrl> url = ParsePostgresUrl(
      "postgresql://kv@h:5/db?sslmode=require&password=p%26w&port=7");
  ASSERT_THAT(url, IsOk());
  EXPECT_EQ(url->redacted,
            "postgresql://kv@h:5/db?sslmode=require&password=***&port=7");
  EXPECT_THAT(url->secrets, UnorderedElementsAre("p%26w", "p&w"));
}

TEST(PostgresUrlTest, MultipleHostsIpv6AndPortParameter) {
  absl::StatusOr<PostgresUrl> url = ParsePostgresUrl(
      "postgresql://u:p@a:5433,[::1],b/db?target_session_attrs=read-write"
      "&port=6000");
  ASSERT_THAT(url, IsOk());
  EXPECT_EQ(url->target, "a:5433,[::1]:6000,b:6000/db");
  EXPECT_EQ(url->redacted,
            "postgresql://u:***@a:5433,[::1],b/db?target_session_attrs="
            "read-write&port=6000");
}

TEST(PostgresUrlTest, UnixSocketDirectory) {
  absl::StatusOr<PostgresUrl> url =
      ParsePostgresUrl("postgresql://u@%2Fvar%2Frun%2Fpostgresql/db");
  ASSERT_THAT(url, IsOk());
  EXPECT_EQ(url->target, "/var/run/postgresql/db");
}

TEST(PostgresUrlTest, EmptyPasswordIsNoSecret) {
  absl::StatusOr<PostgresUrl> url = ParsePostgresUrl("postgresql://u:@h/db");
  ASSERT_THAT(url, IsOk());
  EXPECT_EQ(url->redacted, "postgresql://u:***@h/db");
  EXPECT_TRUE(url->secrets.empty());
}

TEST(PostgresUrlTest, MalformedUrlsAreRefusedWithoutThePassword) {
  for (const char* bad : {
           "",
           "mysql://u:hunter2@h/db",
           "host=h dbname=db password=hunter2",
           "postgresql://u:hunter2@h:port/db",
           "postgresql://u:hunter2@h:70000/db",
           "postgresql://u:hunter2@h:/db",
           "postgresql://u:hun@ter2@h/db",
           "postgresql://u:hunter2@[::1/db",
           "postgresql://u:hunter2@h,,g/db",
           "postgresql://u:hunter2%zz@h/db",
           "postgresql://u:hunter2@h/db?sslmode",
           "postgresql://u:hunter2@h/db?nosuchparam=1",
           "postgresql://u:hunter2@h/my db",
       }) {
    absl::StatusOr<PostgresUrl> url = ParsePostgresUrl(bad);
    EXPECT_THAT(
        url, StatusIs(absl::StatusCode::kInvalidArgument,
                      AllOf(Not(HasSubstr("hunter2")), Not(HasSubstr("ter2")))))
        << bad;
  }
}

TEST(PostgresUrlTest, MessagesSayWhatIsWrong) {
  EXPECT_THAT(ParsePostgresUrl("redis://h"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("must start with postgresql://")));
  EXPECT_THAT(ParsePostgresUrl("postgresql://h:99999/db"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("port \"99999\" is not a number from 1")));
  EXPECT_THAT(ParsePostgresUrl("postgresql://u:a@b@h/db"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("%40")));
  EXPECT_THAT(
      ParsePostgresUrl("postgresql://h/db?colour=blue"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("colour")));
}

TEST(ScrubSecretsTest, ReplacesEveryOccurrenceLongestFirst) {
  EXPECT_EQ(ScrubSecrets("a pw%21 b pw! c pw", {"pw", "pw%21", "pw!"}),
            "a *** b *** c ***");
  EXPECT_EQ(ScrubSecrets("nothing here", {}), "nothing here");
}

}  // namespace
}  // namespace kv
