#include "service/access/credentials.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
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
                             HasSubstr("every user on the machine may read"),
                             HasSubstr("chmod 600 " + path))));
  for (mode_t mode : {0604, 0601, 0444, 0640 | 0004}) {
    EXPECT_THAT(ReadTokenFile(TokenFile("others", "s3cret", mode)),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(absl::StrFormat("mode %04o", mode))))
        << absl::StrFormat("%04o", mode);
  }
  EXPECT_THAT(ReadTokenFile(TokenFile("others_w", "s3cret", 0602)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("may read or change it")));
  EXPECT_TRUE(ReadTokenFile(TokenFile("owner", "s3cret", 0400)).ok());
}

TEST(CredentialsTest, GroupReadableIsAcceptedGroupWritableIsNot) {
  // Owned by root or by kvd's own user (here both are the test's euid).
  for (mode_t mode : {0400, 0600, 0440, 0640}) {
    absl::StatusOr<TokenDigest> digest =
        ReadTokenFile(TokenFile("group_r", "s3cret", mode));
    EXPECT_TRUE(digest.ok())
        << absl::StrFormat("%04o: ", mode) << digest.status();
  }
  const std::string path = TokenFile("group_w", "s3cret", 0660);
  EXPECT_THAT(ReadTokenFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(path), HasSubstr("mode 0660"),
                             HasSubstr("members of its group"),
                             HasSubstr("chmod 640 " + path))));
  EXPECT_THAT(
      ReadTokenFile(TokenFile("group_w2", "s3cret", 0620)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mode 0620")));
}

// The rule on its own, for owners and uids a test process cannot take.
TEST(CredentialsTest, OwnerMustBeRootOrKvdItself) {
  struct stat info = {};
  info.st_mode = S_IFREG | 0440;
  info.st_gid = 65532;
  constexpr uid_t kKvd = 65532;
  info.st_uid = 0;  // The kubelet's Secret files: root:fsGroup 0440.
  EXPECT_TRUE(CheckTokenFilePermissions("/s/t", info, kKvd).ok());
  info.st_uid = kKvd;
  EXPECT_TRUE(CheckTokenFilePermissions("/s/t", info, kKvd).ok());
  info.st_mode = S_IFREG | 0640;
  EXPECT_TRUE(CheckTokenFilePermissions("/s/t", info, kKvd).ok());
  info.st_uid = 1000;
  EXPECT_THAT(CheckTokenFilePermissions("/s/t", info, kKvd),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("token file /s/t is owned by uid 1000"),
                             HasSubstr("kvd's own user (uid 65532)"),
                             HasSubstr("chown 65532 /s/t"))));
  info.st_mode = S_IFREG | 0400;
  EXPECT_FALSE(CheckTokenFilePermissions("/s/t", info, kKvd).ok());
  // kvd as root: only root's own files.
  EXPECT_FALSE(CheckTokenFilePermissions("/s/t", info, 0).ok());
  info.st_uid = 0;
  EXPECT_TRUE(CheckTokenFilePermissions("/s/t", info, 0).ok());
  info.st_mode = S_IFDIR | 0400;
  EXPECT_THAT(CheckTokenFilePermissions("/s/t", info, 0),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a regular file")));
}

TEST(CredentialsTest, TokenFileOwnedByAnotherUserIsRefused) {
  // Tests run as root (docs/development.md), which may give a file away.
  const std::string path = TokenFile("not_mine", "s3cret", 0400);
  ASSERT_EQ(chown(path.c_str(), 1000, 1000), 0);
  EXPECT_THAT(ReadTokenFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(path), HasSubstr("owned by uid 1000"))));
  ASSERT_EQ(chown(path.c_str(), 0, 65532), 0);
  chmod(path.c_str(), 0440);
  EXPECT_TRUE(ReadTokenFile(path).ok());
}

// What the kubelet makes of a Secret volume: KEY -> ..data/KEY, ..data -> a
// timestamped directory, root-owned files of the pod's fsGroup, 0440.
class KubeletLayout {
 public:
  explicit KubeletLayout(const std::string& name)
      : dir_(::testing::TempDir() + "/" + name) {
    mkdir(dir_.c_str(), 0755);
  }
  // Writes a new timestamped directory holding `key` and swaps ..data to it
  // atomically (a new symlink renamed over the old), as the kubelet rotates.
  void Publish(const std::string& key, const std::string& token,
               mode_t mode = 0440) {
    const std::string stamp = "..2026_12_01_19_44_22." + std::to_string(++n_);
    mkdir((dir_ + "/" + stamp).c_str(), 0755);
    const std::string file = dir_ + "/" + stamp + "/" + key;
    std::ofstream(file, std::ios::trunc) << token;
    chmod(file.c_str(), mode);
    const std::string next = dir_ + "/..data_tmp";
    unlink(next.c_str());
    ASSERT_EQ(symlink(stamp.c_str(), next.c_str()), 0);
    ASSERT_EQ(rename(next.c_str(), (dir_ + "/..data").c_str()), 0);
    const std::string link = dir_ + "/" + key;
    struct stat info;
    if (lstat(link.c_str(), &info) != 0) {
      ASSERT_EQ(symlink(("..data/" + key).c_str(), link.c_str()), 0);
    }
  }
  std::string Path(const std::string& key) const { return dir_ + "/" + key; }

 private:
  std::string dir_;
  int n_ = 0;
};

TEST(CredentialsTest, SymlinksAreFollowedAsTheKubeletLaysThemOut) {
  KubeletLayout secret("kubelet_secret");
  secret.Publish("checkout", "token-1\n");
  absl::StatusOr<TokenDigest> digest = ReadTokenFile(secret.Path("checkout"));
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(*digest, DigestToken("token-1"));

  // The target's mode counts, not the symlink's (always 0777).
  secret.Publish("checkout", "token-2", 0444);
  EXPECT_THAT(ReadTokenFile(secret.Path("checkout")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(secret.Path("checkout")),
                             HasSubstr("mode 0444"))));

  // A rotation by the ..data swap is a changed token for a reload.
  secret.Publish("checkout", "token-3", 0440);
  auto store = CredentialStore::Load({Client("c", secret.Path("checkout"))});
  ASSERT_TRUE(store.ok()) << store.status();
  secret.Publish("checkout", "token-4", 0440);
  absl::StatusOr<std::vector<TokenRotation>> rotated = (*store)->Reload();
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  ASSERT_EQ(rotated->size(), 1u);
  EXPECT_NE((*store)->Current()->Find("token-4"), nullptr);
  EXPECT_EQ((*store)->Current()->Find("token-3"), nullptr);

  // A symlink to a directory, or a dangling one, is not a token file.
  const std::string to_dir = ::testing::TempDir() + "/link_to_dir";
  symlink(::testing::TempDir().c_str(), to_dir.c_str());
  EXPECT_THAT(ReadTokenFile(to_dir),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is not a regular file")));
  const std::string dangling = ::testing::TempDir() + "/dangling";
  symlink("no-such-target", dangling.c_str());
  EXPECT_THAT(
      ReadTokenFile(dangling),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("No such file")));
}

TEST(CredentialsTest, AFifoIsRefusedWithoutBlocking) {
  const std::string path = ::testing::TempDir() + "/fifo";
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  EXPECT_THAT(ReadTokenFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is not a regular file")));
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

  // Unchanged files (whitespace aside): nothing to swap, the same table.
  TokenFile("rotating", "old-token\n");
  absl::StatusOr<std::vector<TokenRotation>> unchanged = (*store)->Reload();
  ASSERT_TRUE(unchanged.ok()) << unchanged.status();
  EXPECT_TRUE(unchanged->empty());
  EXPECT_EQ((*store)->Current(), before);

  TokenFile("rotating", "new-token");
  absl::StatusOr<std::vector<TokenRotation>> rotated = (*store)->Reload();
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  ASSERT_EQ(rotated->size(), 1u);
  EXPECT_EQ((*rotated)[0].client, "a");
  EXPECT_EQ((*rotated)[0].before, DigestToken("old-token"));
  EXPECT_EQ((*rotated)[0].after, DigestToken("new-token"));
  EXPECT_EQ((*store)->Current()->Find("old-token"), nullptr);
  EXPECT_NE((*store)->Current()->Find("new-token"), nullptr);
  // A table already handed out stays valid and unchanged.
  EXPECT_NE(before->Find("old-token"), nullptr);

  TokenFile("rotating", "");
  EXPECT_THAT(
      (*store)->Reload().status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is empty")));
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
