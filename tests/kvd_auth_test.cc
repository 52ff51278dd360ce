// Client identities, grants and transport security through the real kvd
// binary: bearer tokens, per-store and read-only grants, handle ownership,
// per-client capacity, config refusals, the anonymous mode's loopback rule,
// token reload on SIGHUP, TLS, mTLS identities and the unix socket's mode.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/kv_test_client.h"
#include "tests/kvd_process.h"
#include "tests/test_pki.h"

namespace kv::testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kCheckoutToken[] = "checkout-9f2c51d0a7e34b6e";
constexpr char kReportsToken[] = "reports-1b7e0c99d2f84a31";

// Checks a failed call's gRPC code, ErrorCode trailer and message.
void ExpectError(const CallResult& result, grpc::StatusCode code,
                 v1::ErrorCode error_code, const std::string& message_part) {
  EXPECT_EQ(result.status.error_code(), code) << result.status.error_message();
  EXPECT_EQ(result.error_code, error_code)
      << v1::ErrorCode_Name(result.error_code);
  EXPECT_THAT(result.status.error_message(), HasSubstr(message_part));
}

// Writes a token file readable by its owner only.
std::string WriteToken(const std::string& path, const std::string& token) {
  WriteFile(path, token + "\n");
  chmod(path.c_str(), 0600);
  return path;
}

// Two clients with tokens and these stores:
//   checkout: default, orders (read-write); catalog (read-only)
//   reports:  catalog (read-write); orders (read-only)
// "secret" is granted to no one.
std::string WriteClientsConfig(const std::string& dir) {
  WriteToken(dir + "/checkout.token", kCheckoutToken);
  WriteToken(dir + "/reports.token", kReportsToken);
  const std::string path = dir + "/kvd.toml";
  WriteFile(path, R"(
[key_value_store.orders]
type = "memory"

[key_value_store.catalog]
type = "memory"

[key_value_store.secret]
type = "memory"

[[client]]
name = "checkout"
token_file = "checkout.token"
key_value_stores = ["default", "orders"]
read_only_stores = ["catalog"]

[[client]]
name = "reports"
token_file = "reports.token"
key_value_stores = ["catalog"]
read_only_stores = ["orders"]
)");
  return path;
}

class KvdAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = NewTempDir("auth");
    // No token polling, so the SIGHUP tests see the signal's reload alone.
    auto kvd = KvdProcess::Start(
        {"--listen=127.0.0.1:0", "--config=" + WriteClientsConfig(dir_),
         "--data-dir=" + dir_ + "/data", "--token-reload-interval=0"});
    ASSERT_TRUE(kvd.ok()) << kvd.status();
    kvd_ = *std::move(kvd);
    channel_ = kvd_->NewChannel();
    checkout_ = std::make_unique<KvTestClient>(channel_, kCheckoutToken);
    reports_ = std::make_unique<KvTestClient>(channel_, kReportsToken);
  }

  uint32_t OpenOrDie(KvTestClient& client, const std::string& name) {
    uint32_t store = 0;
    CallResult result = client.Open(name, &store);
    EXPECT_TRUE(result.ok()) << name << ": " << result.status.error_message();
    return store;
  }

  std::string dir_;
  std::unique_ptr<KvdProcess> kvd_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<KvTestClient> checkout_;
  std::unique_ptr<KvTestClient> reports_;
};

TEST_F(KvdAuthTest, NoTokenIsUnauthenticated) {
  KvTestClient anonymous(channel_);
  uint32_t store = 0;
  CallResult result = anonymous.Open("default", &store);
  ExpectError(result, grpc::StatusCode::UNAUTHENTICATED,
              v1::ERROR_CODE_UNSPECIFIED,
              "no credential: send authorization: Bearer <token>");
  // Checked before anything else: a handle, valid or not, tells it nothing.
  std::string value;
  ExpectError(anonymous.Get(1, "k", &value), grpc::StatusCode::UNAUTHENTICATED,
              v1::ERROR_CODE_UNSPECIFIED, "no credential");
}

TEST_F(KvdAuthTest, WrongTokenIsUnauthenticatedAndNotEchoed) {
  KvTestClient stranger(channel_, "guessed-token-123");
  uint32_t store = 0;
  CallResult result = stranger.Open("default", &store);
  ExpectError(result, grpc::StatusCode::UNAUTHENTICATED,
              v1::ERROR_CODE_UNSPECIFIED, "unknown token");
  EXPECT_THAT(result.status.error_message(), Not(HasSubstr("guessed")));
  // A token that is a prefix of a real one is just as unknown.
  KvTestClient prefix(channel_, std::string(kCheckoutToken).substr(0, 10));
  ExpectError(prefix.Open("default", &store), grpc::StatusCode::UNAUTHENTICATED,
              v1::ERROR_CODE_UNSPECIFIED, "unknown token");
}

TEST_F(KvdAuthTest, OpenOutsideTheGrantsIsAccessDeniedEvenForUndefinedStores) {
  uint32_t store = 0;
  ExpectError(checkout_->Open("secret", &store),
              grpc::StatusCode::PERMISSION_DENIED, v1::ERROR_CODE_ACCESS_DENIED,
              "\"secret\"");
  ExpectError(checkout_->Open("no-such-store", &store),
              grpc::StatusCode::PERMISSION_DENIED, v1::ERROR_CODE_ACCESS_DENIED,
              "\"no-such-store\"");
  ExpectError(reports_->Open("default", &store),
              grpc::StatusCode::PERMISSION_DENIED, v1::ERROR_CODE_ACCESS_DENIED,
              "\"default\"");
  EXPECT_NE(OpenOrDie(*checkout_, "default"), 0u);
  EXPECT_NE(OpenOrDie(*checkout_, "orders"), 0u);
}

TEST_F(KvdAuthTest, ReadOnlyGrantRefusesWritesAndServesReads) {
  const uint32_t writable = OpenOrDie(*reports_, "catalog");
  ASSERT_TRUE(reports_->Set(writable, "sku-1", "lamp").ok());

  const uint32_t readable = OpenOrDie(*checkout_, "catalog");
  ExpectError(checkout_->Set(readable, "sku-1", "stolen"),
              grpc::StatusCode::PERMISSION_DENIED, v1::ERROR_CODE_ACCESS_DENIED,
              "may only read store \"catalog\"");
  ExpectError(checkout_->Delete(readable, "sku-1"),
              grpc::StatusCode::PERMISSION_DENIED, v1::ERROR_CODE_ACCESS_DENIED,
              "cannot delete key \"sku-1\"");
  std::string value;
  ASSERT_TRUE(checkout_->Get(readable, "sku-1", &value).ok());
  EXPECT_EQ(value, "lamp");
  bool exists = false;
  ASSERT_TRUE(checkout_->Exists(readable, "sku-1", &exists).ok());
  EXPECT_TRUE(exists);
  std::vector<std::string> keys;
  ASSERT_TRUE(checkout_->GetKeys(readable, &keys).ok());
  EXPECT_THAT(keys, ElementsAre("sku-1"));
}

TEST_F(KvdAuthTest, AnotherClientsHandleLooksNeverIssued) {
  const uint32_t mine = OpenOrDie(*checkout_, "orders");
  ASSERT_TRUE(checkout_->Set(mine, "order-1", "paid").ok());
  const uint32_t never_issued = mine + 100000;

  std::string value;
  CallResult theirs = reports_->Get(mine, "order-1", &value);
  CallResult unknown = reports_->Get(never_issued, "order-1", &value);
  ExpectError(theirs, grpc::StatusCode::FAILED_PRECONDITION,
              v1::ERROR_CODE_INVALID_STORE, "is not open");
  ExpectError(unknown, grpc::StatusCode::FAILED_PRECONDITION,
              v1::ERROR_CODE_INVALID_STORE, "is not open");
  // The same words, but for the number.
  EXPECT_EQ(absl::StrReplaceAll(theirs.status.error_message(),
                                {{std::to_string(mine), "N"}}),
            absl::StrReplaceAll(unknown.status.error_message(),
                                {{std::to_string(never_issued), "N"}}));
  EXPECT_THAT(theirs.status.error_message(), Not(HasSubstr("checkout")));
  ExpectError(reports_->Set(mine, "order-1", "void"),
              grpc::StatusCode::FAILED_PRECONDITION,
              v1::ERROR_CODE_INVALID_STORE, "is not open");
  // Closing someone else's handle is the no-op of closing an unknown one.
  EXPECT_TRUE(reports_->Close(mine).ok());
  ASSERT_TRUE(checkout_->Get(mine, "order-1", &value).ok());
  EXPECT_EQ(value, "paid");
}

TEST_F(KvdAuthTest, HandleNumbersDoNotCountOtherClientsOpens) {
  const uint32_t before = OpenOrDie(*reports_, "catalog");
  for (int i = 0; i < 5; ++i) OpenOrDie(*checkout_, "default");
  const uint32_t after = OpenOrDie(*reports_, "catalog");
  // Handles from a plain counter would be 6 apart (a 2^-32 chance here).
  EXPECT_NE(after - before, 6u);
}

TEST_F(KvdAuthTest, StoreTableCapacityIsPerClient) {
  for (int i = 0; i < 256; ++i) {
    uint32_t store = 0;
    ASSERT_TRUE(checkout_->Open("default", &store).ok()) << "open #" << i;
  }
  uint32_t store = 0;
  ExpectError(checkout_->Open("default", &store),
              grpc::StatusCode::RESOURCE_EXHAUSTED,
              v1::ERROR_CODE_STORE_TABLE_FULL, "256");
  EXPECT_NE(OpenOrDie(*reports_, "catalog"), 0u);
}

// Polls `open` until it succeeds, for up to 30 s (a hang guard, not a
// timing assertion): the reload happens after the signal is delivered.
bool EventuallyOpens(KvTestClient& client, const std::string& store) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    uint32_t handle = 0;
    if (client.Open(store, &handle).ok()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

TEST_F(KvdAuthTest, SighupReloadsTokensOnTheSameConnection) {
  const uint32_t before = OpenOrDie(*checkout_, "orders");
  ASSERT_TRUE(checkout_->Set(before, "k", "v").ok());

  const std::string rotated = "checkout-rotated-5d1e7a";
  WriteToken(dir_ + "/checkout.token", rotated);
  KvTestClient rotated_client(channel_, rotated);
  ASSERT_EQ(kill(kvd_->pid(), SIGHUP), 0);
  ASSERT_TRUE(EventuallyOpens(rotated_client, "orders"));

  uint32_t store = 0;
  ExpectError(checkout_->Open("orders", &store),
              grpc::StatusCode::UNAUTHENTICATED, v1::ERROR_CODE_UNSPECIFIED,
              "unknown token");
  // The client is the same principal, so its handles survive the rotation.
  std::string value;
  ASSERT_TRUE(rotated_client.Get(before, "k", &value).ok());
  EXPECT_EQ(value, "v");
  // Untouched clients keep working.
  EXPECT_NE(OpenOrDie(*reports_, "catalog"), 0u);

  // A reload that fails (a token file others may read) keeps every token,
  // also those whose files did change, and kvd keeps serving. (Whether the
  // signal was handled yet cannot be seen from outside; CredentialStore's
  // unit test covers the swap itself. Here nothing may change while kvd
  // handles it, and the next good reload applies.)
  WriteToken(dir_ + "/reports.token", "reports-next-7c4e2b");
  chmod((dir_ + "/checkout.token").c_str(), 0644);
  ASSERT_EQ(kill(kvd_->pid(), SIGHUP), 0);
  KvTestClient reports_next(channel_, "reports-next-7c4e2b");
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(reports_->Open("catalog", &store).ok());
    EXPECT_FALSE(reports_next.Open("catalog", &store).ok());
    absl::SleepFor(absl::Milliseconds(25));
  }
  chmod((dir_ + "/checkout.token").c_str(), 0600);
  ASSERT_EQ(kill(kvd_->pid(), SIGHUP), 0);
  ASSERT_TRUE(EventuallyOpens(reports_next, "catalog"));
  EXPECT_NE(OpenOrDie(rotated_client, "orders"), 0u);
  EXPECT_EQ(kvd_->Stop(SIGTERM, absl::Seconds(30)).value_or(-1), 0);
}

// Polls `open` until it fails, for up to 30 s (a hang guard, as above).
bool EventuallyRefused(KvTestClient& client, const std::string& store) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    uint32_t handle = 0;
    if (!client.Open(store, &handle).ok()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

// Replaces `path` atomically (a new file renamed over it), as a secret
// manager or the kubelet's ..data swap would.
void ReplaceToken(const std::string& path, const std::string& token,
                  mode_t mode = 0600) {
  WriteFile(path + ".next", token + "\n");
  chmod((path + ".next").c_str(), mode);
  ASSERT_EQ(rename((path + ".next").c_str(), path.c_str()), 0);
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(KvdAuthPollTest, RotatedTokenFilesApplyWithoutASignal) {
  const std::string dir = NewTempDir("auth_poll");
  // kvd inherits stderr, its log, from this process while it starts.
  const std::string log_path = dir + "/kvd.log";
  const int saved_stderr = dup(STDERR_FILENO);
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  dup2(log_fd, STDERR_FILENO);
  close(log_fd);
  auto kvd = KvdProcess::Start(
      {"--listen=127.0.0.1:0", "--config=" + WriteClientsConfig(dir),
       "--data-dir=" + dir + "/data", "--token-reload-interval=50ms"});
  dup2(saved_stderr, STDERR_FILENO);
  close(saved_stderr);
  ASSERT_TRUE(kvd.ok()) << kvd.status();
  std::shared_ptr<grpc::Channel> channel = (*kvd)->NewChannel();
  KvTestClient old_checkout(channel, kCheckoutToken);
  KvTestClient reports(channel, kReportsToken);
  uint32_t store = 0;
  ASSERT_TRUE(old_checkout.Open("orders", &store).ok());

  const std::string rotated = "checkout-polled-3e9a0c";
  ReplaceToken(dir + "/checkout.token", rotated);
  KvTestClient new_checkout(channel, rotated);
  EXPECT_TRUE(EventuallyOpens(new_checkout, "orders"));
  EXPECT_TRUE(EventuallyRefused(old_checkout, "orders"));
  EXPECT_TRUE(reports.Open("catalog", &store).ok());

  // A bad file (others may read it) keeps the previous tokens: the poll
  // that sees it changes nothing, and the next good file applies.
  ReplaceToken(dir + "/checkout.token", "checkout-loose-77d1", 0644);
  ReplaceToken(dir + "/reports.token", "reports-polled-5b20");
  KvTestClient loose(channel, "checkout-loose-77d1");
  KvTestClient new_reports(channel, "reports-polled-5b20");
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(new_checkout.Open("orders", &store).ok());
    EXPECT_TRUE(reports.Open("catalog", &store).ok());
    EXPECT_FALSE(new_reports.Open("catalog", &store).ok());
    absl::SleepFor(absl::Milliseconds(25));
  }
  chmod((dir + "/checkout.token").c_str(), 0640);  // Group-read is fine.
  EXPECT_TRUE(EventuallyOpens(new_reports, "catalog"));
  EXPECT_TRUE(EventuallyOpens(loose, "orders"));
  EXPECT_EQ((*kvd)->Stop(SIGTERM, absl::Seconds(30)).value_or(-1), 0);
  // The log names the rotations by fingerprint, never the token, and the
  // failure once.
  const std::string log = ReadWholeFile(log_path);
  EXPECT_THAT(log, AllOf(HasSubstr("token poll: client \"checkout\": token "
                                   "rotated sha256:"),
                         HasSubstr("keeping the previous tokens"),
                         Not(HasSubstr(rotated)),
                         Not(HasSubstr("checkout-loose-77d1"))));
  EXPECT_EQ(log.find("has mode 0644"), log.rfind("has mode 0644")) << log;
}

// Runs kvd with `config_text` (written to kvd.toml next to its token files)
// and expects it to refuse to start with exit code 2 and `message`.
void ExpectRefusedConfig(const std::string& dir, const std::string& config_text,
                         const std::string& message) {
  WriteFile(dir + "/kvd.toml", config_text);
  absl::StatusOr<KvdRun> run =
      RunKvd({"--listen=127.0.0.1:0", "--config=" + dir + "/kvd.toml",
              "--data-dir=" + dir + "/data"});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 2) << run->output;
  EXPECT_THAT(run->output, HasSubstr(message));
}

TEST(KvdAuthConfigTest, BadClientConfigsStopStartup) {
  const std::string dir = NewTempDir("auth_refusals");
  WriteToken(dir + "/a.token", "same-token-for-two");
  WriteToken(dir + "/b.token", "same-token-for-two");
  ExpectRefusedConfig(dir,
                      "[[client]]\nname = \"a\"\ntoken_file = \"a.token\"\n"
                      "[[client]]\nname = \"b\"\ntoken_file = \"b.token\"\n",
                      "kvd.toml:4: [[client]] \"b\" has the same token as "
                      "[[client]] \"a\"");

  WriteToken(dir + "/b.token", "a-different-token");
  ExpectRefusedConfig(dir,
                      "[[client]]\nname = \"a\"\ntoken_file = \"a.token\"\n"
                      "key_value_stores = [\"default\", \"orders\"]\n",
                      "kvd.toml:4: [[client]] \"a\" is granted store "
                      "\"orders\", which is not defined");

  chmod((dir + "/a.token").c_str(), 0644);
  ExpectRefusedConfig(dir,
                      "[[client]]\nname = \"a\"\ntoken_file = \"a.token\"\n",
                      "has mode 0644");
  ExpectRefusedConfig(dir,
                      "[[client]]\nname = \"a\"\ntoken_file = \"a.token\"\n",
                      "chmod 600 " + dir + "/a.token");
}

TEST(KvdAuthListenTest, AnonymousModeListensOnlyOnLoopbackUnlessAllowed) {
  const std::string dir = NewTempDir("auth_anonymous");
  absl::StatusOr<KvdRun> refused =
      RunKvd({"--listen=0.0.0.0:0", "--data-dir=" + dir + "/refused"});
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->exit_code, 2) << refused->output;
  EXPECT_THAT(refused->output,
              AllOf(HasSubstr("refusing to listen on 0.0.0.0:0"),
                    HasSubstr("without [[client]] entries"),
                    HasSubstr("--insecure-allow-remote")));

  auto kvd = KvdProcess::Start({"--listen=0.0.0.0:0", "--insecure-allow-remote",
                                "--data-dir=" + dir + "/allowed"});
  ASSERT_TRUE(kvd.ok()) << kvd.status();
  const std::string port =
      (*kvd)->address().substr((*kvd)->address().rfind(':') + 1);
  KvTestClient client(grpc::CreateChannel("127.0.0.1:" + port,
                                          grpc::InsecureChannelCredentials()));
  uint32_t store = 0;
  EXPECT_TRUE(client.Open("default", &store).ok());
  // Anonymous callers may open any name; an undefined one does not exist.
  ExpectError(client.Open("undefined", &store), grpc::StatusCode::NOT_FOUND,
              v1::ERROR_CODE_NO_SUCH_STORE, "\"undefined\"");
}

TEST(KvdAuthListenTest, ClientsMayListenRemotely) {
  const std::string dir = NewTempDir("auth_remote");
  auto kvd = KvdProcess::Start({"--listen=0.0.0.0:0",
                                "--config=" + WriteClientsConfig(dir),
                                "--data-dir=" + dir + "/data"});
  ASSERT_TRUE(kvd.ok()) << kvd.status();
}

TEST(KvdAuthListenTest, UnixSocketGetsTheConfiguredMode) {
  const std::string dir = NewTempDir("auth_socket");
  const std::string socket_dir = NewShortTempDir();
  auto kvd = KvdProcess::Start({"--listen=unix:" + socket_dir + "/default.sock",
                                "--data-dir=" + dir + "/a"});
  ASSERT_TRUE(kvd.ok()) << kvd.status();
  struct stat info;
  ASSERT_EQ(stat((socket_dir + "/default.sock").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0660u);

  WriteFile(dir + "/kvd.toml", "[server]\nsocket_mode = \"0600\"\n");
  auto strict = KvdProcess::Start({"--listen=unix:" + socket_dir + "/s.sock",
                                   "--config=" + dir + "/kvd.toml",
                                   "--data-dir=" + dir + "/b"});
  ASSERT_TRUE(strict.ok()) << strict.status();
  ASSERT_EQ(stat((socket_dir + "/s.sock").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  uint32_t store = 0;
  EXPECT_TRUE(
      KvTestClient((*strict)->NewChannel()).Open("default", &store).ok());
}

// TLS and mTLS, with certificates made by the openssl CLI.
class KvdTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = NewTempDir("auth_tls");
    auto pki = TestPki::Create(dir_);
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = std::make_unique<TestPki>(*std::move(pki));
  }

  // A TLS channel trusting the test CA, presenting client certificate
  // `client` unless empty.
  std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address,
                                            const std::string& client = "") {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadTextFile(pki_->ca_cert());
    if (!client.empty()) {
      options.pem_cert_chain = ReadTextFile(pki_->client_cert(client));
      options.pem_private_key = ReadTextFile(pki_->client_key(client));
    }
    grpc::ChannelArguments args;
    args.SetInt("grpc.use_local_subchannel_pool", 1);
    return grpc::CreateCustomChannel(address, grpc::SslCredentials(options),
                                     args);
  }

  std::string dir_;
  std::unique_ptr<TestPki> pki_;
};

TEST_F(KvdTlsTest, TlsServesTlsClientsOnly) {
  auto kvd = KvdProcess::Start(
      {"--listen=127.0.0.1:0", "--config=" + WriteClientsConfig(dir_),
       "--data-dir=" + dir_ + "/data", "--tls-cert=" + pki_->server_cert(),
       "--tls-key=" + pki_->server_key()});
  ASSERT_TRUE(kvd.ok()) << kvd.status();
  uint32_t store = 0;
  CallResult plaintext = KvTestClient((*kvd)->NewChannel(), kCheckoutToken)
                             .Open("default", &store);
  EXPECT_EQ(plaintext.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << plaintext.status.error_message();

  KvTestClient checkout(TlsChannel((*kvd)->address()), kCheckoutToken);
  CallResult result = checkout.Open("default", &store);
  ASSERT_TRUE(result.ok()) << result.status.error_message();
  EXPECT_TRUE(checkout.Set(store, "k", "v").ok());
  // Over TLS the token is still required.
  ExpectError(
      KvTestClient(TlsChannel((*kvd)->address())).Open("default", &store),
      grpc::StatusCode::UNAUTHENTICATED, v1::ERROR_CODE_UNSPECIFIED,
      "no credential");
}

TEST_F(KvdTlsTest, MutualTlsIdentifiesClientsByCertificate) {
  ASSERT_TRUE(
      pki_->AddClient("reports", "reports-cn", "DNS:reports.example").ok());
  ASSERT_TRUE(pki_->AddClient("batch", "batch.example", "").ok());
  ASSERT_TRUE(pki_->AddClient("stranger", "stranger.example", "").ok());
  WriteToken(dir_ + "/checkout.token", kCheckoutToken);
  WriteFile(dir_ + "/kvd.toml", R"(
[key_value_store.orders]
type = "memory"

[[client]]
name = "checkout"
token_file = "checkout.token"
key_value_stores = ["default", "orders"]

[[client]]
name = "reports"
certificate_identity = "reports.example"
read_only_stores = ["orders"]

[[client]]
name = "batch"
certificate_identity = "batch.example"
key_value_stores = ["orders"]
)");
  auto kvd = KvdProcess::Start(
      {"--listen=127.0.0.1:0", "--config=" + dir_ + "/kvd.toml",
       "--data-dir=" + dir_ + "/data", "--tls-cert=" + pki_->server_cert(),
       "--tls-key=" + pki_->server_key(),
       "--tls-client-ca=" + pki_->ca_cert()});
  ASSERT_TRUE(kvd.ok()) << kvd.status();
  const std::string address = (*kvd)->address();
  uint32_t store = 0;

  // No client certificate: the handshake fails, token or not.
  CallResult no_cert =
      KvTestClient(TlsChannel(address), kCheckoutToken).Open("default", &store);
  EXPECT_EQ(no_cert.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << no_cert.status.error_message();

  // The SAN names "reports": read-only on orders, nothing else.
  KvTestClient reports(TlsChannel(address, "reports"));
  ExpectError(reports.Open("default", &store),
              grpc::StatusCode::PERMISSION_DENIED, v1::ERROR_CODE_ACCESS_DENIED,
              "\"default\"");
  ASSERT_TRUE(reports.Open("orders", &store).ok());
  ExpectError(reports.Set(store, "k", "v"), grpc::StatusCode::PERMISSION_DENIED,
              v1::ERROR_CODE_ACCESS_DENIED, "may only read");

  // The CN names "batch": it writes what reports reads.
  KvTestClient batch(TlsChannel(address, "batch"));
  uint32_t batch_store = 0;
  ASSERT_TRUE(batch.Open("orders", &batch_store).ok());
  ASSERT_TRUE(batch.Set(batch_store, "k", "from-batch").ok());
  std::string value;
  ASSERT_TRUE(reports.Get(store, "k", &value).ok());
  EXPECT_EQ(value, "from-batch");

  // A valid certificate of no client needs a token; with one, the token
  // decides. A token for another client than the certificate's is refused.
  KvTestClient stranger(TlsChannel(address, "stranger"));
  ExpectError(stranger.Open("orders", &store),
              grpc::StatusCode::UNAUTHENTICATED, v1::ERROR_CODE_UNSPECIFIED,
              "no credential");
  EXPECT_TRUE(KvTestClient(TlsChannel(address, "stranger"), kCheckoutToken)
                  .Open("default", &store)
                  .ok());
  ExpectError(KvTestClient(TlsChannel(address, "reports"), kCheckoutToken)
                  .Open("orders", &store),
              grpc::StatusCode::UNAUTHENTICATED, v1::ERROR_CODE_UNSPECIFIED,
              "identify different clients");
}

TEST_F(KvdTlsTest, CertificateIdentityWithoutClientCaIsRefused) {
  WriteFile(dir_ + "/kvd.toml",
            "[[client]]\nname = \"reports\"\n"
            "certificate_identity = \"reports.example\"\n");
  absl::StatusOr<KvdRun> run = RunKvd(
      {"--listen=127.0.0.1:0", "--config=" + dir_ + "/kvd.toml",
       "--data-dir=" + dir_ + "/data", "--tls-cert=" + pki_->server_cert(),
       "--tls-key=" + pki_->server_key()});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 2) << run->output;
  EXPECT_THAT(run->output, HasSubstr("set [server] tls_client_ca or "
                                     "--tls-client-ca"));
}

}  // namespace
}  // namespace kv::testing
