#include "service/access/credentials.h"

#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// Writes `text` to a fresh file under the test's temp dir with `mode`.
std::string TokenFile(const std::string& name, const std::string& text,
                      mode_t mode = 0600) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::trunc) << text;
  chmod(path.c_str(), mode);
  return path;
}

ClientSpec Client(const std::string& name, const std::string& token_file) {
  ClientSpec client;
  client.name = name;
  client.token_file = token_file;
  client.where = "kvd.toml:" + std::to_string(name.size());
  return client;
}

TEST(CredentialsTest, DigestIsSha256) {
  // SHA-256("abc") from FIPS 180-2.
  EXPECT_EQ(Fingerprint(DigestToken("abc")), "sha256:ba7816bf8f01");
}

TEST(CredentialsTest, TokenFileIgnoresSurroundingWhitespace) {
  absl::StatusOr<TokenDigest> digest =
      ReadTokenFile(TokenFile("newline", "  s3cret-token\n"));
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(*digest, DigestToken("s3cret-token"));
}

TEST(CredentialsTest, TokenFileOpenToOthersIsRefusedWithTheFix) {
  const std::string path = TokenFile("open", "s3cret", 0644);
  EXPECT_THAT(ReadTokenFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(path), HasSubstr("mode 0644"),
                             HasSubstr("chmod 600"))));
  EXPECT_THAT(
      ReadTokenFile(TokenFile("group", "s3cret", 0640)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mode 0640")));
  EXPECT_TRUE(ReadTokenFile(TokenFile("owner", "s3cret", 0400)).ok());
}

TEST(CredentialsTest, MissingEmptyAndBadTokenFilesAreRefused) {
  EXPECT_THAT(
      ReadTokenFile(::testing::TempDir() + "/no-such-token"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("no-such-token"), HasSubstr("No such file"))));
  EXPECT_THAT(ReadTokenFile(TokenFile("empty", "\n\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("is empty"),
                             HasSubstr("openssl rand -hex 32"))));
  EXPECT_THAT(ReadTokenFile(TokenFile("space", "two words")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cannot travel in an authorization header")));
  EXPECT_THAT(ReadTokenFile(::testing::TempDir()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a regular file")));
}

TEST(CredentialsTest, TableFindsTheClientOfAToken) {
  auto table = CredentialTable::Load({Client("a", TokenFile("a", "token-a")),
                                      Client("b", TokenFile("b", "token-b")),
                                      Client("certonly", "")});
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ((*table)->size(), 2u);
  ASSERT_NE((*table)->Find("token-a"), nullptr);
  EXPECT_EQ(*(*table)->Find("token-a"), "a");
  ASSERT_NE((*table)->Find("token-b"), nullptr);
  EXPECT_EQ(*(*table)->Find("token-b"), "b");
  EXPECT_EQ((*table)->Find("token-c"), nullptr);
  EXPECT_EQ((*table)->Find(""), nullptr);
  EXPECT_EQ((*table)->Find("token-a "), nullptr);
}

TEST(CredentialsTest, TwoClientsWithOneTokenAreRefused) {
  auto table = CredentialTable::Load({Client("a", TokenFile("a1", "same")),
                                      Client("bb", TokenFile("b1", "same\n"))});
  EXPECT_THAT(table, StatusIs(absl::StatusCode::kInvalidArgument,
                              AllOf(HasSubstr("kvd.toml:2: [[client]] \"bb\""),
                                    HasSubstr("same token as [[client]] \"a\""),
                                    Not(HasSubstr("same\n")))));
}

TEST(CredentialsTest, ErrorsNameTheClient) {
  auto table =
      CredentialTable::Load({Client("abc", TokenFile("loose", "t", 0604))});
  EXPECT_THAT(table, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr("kvd.toml:3: [[client]] \"abc\" "
                                        "token_file: token file ")));
}

TEST(CredentialsTest, ReloadSwapsTheTableOrKeepsTheOldOne) {
  const std::string path = TokenFile("rotating", "old-token");
  auto store = CredentialStore::Load({Client("a", path)});
  ASSERT_TRUE(store.ok()) << store.status();
  std::shared_ptr<const CredentialTable> before = (*store)->Current();
  EXPECT_NE(before->Find("old-token"), nullptr);

  TokenFile("rotating", "new-token");
  ASSERT_TRUE((*store)->Reload().ok());
  EXPECT_EQ((*store)->Current()->Find("old-token"), nullptr);
  EXPECT_NE((*store)->Current()->Find("new-token"), nullptr);
  // A table already handed out stays valid and unchanged.
  EXPECT_NE(before->Find("old-token"), nullptr);

  TokenFile("rotating", "");
  EXPECT_THAT((*store)->Reload(), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("is empty")));
  EXPECT_NE((*store)->Current()->Find("new-token"), nullptr);
}

TEST(CredentialsTest, LookupsDuringReloadSeeOldOrNewTable) {
  const std::string path = TokenFile("concurrent", "token-0");
  auto store = CredentialStore::Load({Client("a", path)});
  ASSERT_TRUE(store.ok()) << store.status();
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!done.load()) {
        std::shared_ptr<const CredentialTable> table = (*store)->Current();
        EXPECT_EQ(table->size(), 1u);
        table->Find("token-0");
      }
    });
  }
  for (int i = 1; i <= 50; ++i) {
    TokenFile("concurrent", "token-" + std::to_string(i));
    EXPECT_TRUE((*store)->Reload().ok());
  }
  done = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_NE((*store)->Current()->Find("token-50"), nullptr);
}

}  // namespace
}  // namespace kv
