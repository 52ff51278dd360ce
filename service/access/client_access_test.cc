#include "service/access/client_access.h"

#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::IsOkAndHolds;
using ::kv::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

ClientSpec CertificateClient() {
  ClientSpec client;
  client.name = "reports";
  client.certificate_identity = "reports.example";
  client.where = "kvd.toml:3";
  return client;
}

TEST(ClientAccessTest, AnonymousModeStaysOnLoopbackUnlessAllowed) {
  for (const std::string listen :
       {"127.0.0.1:0", "[::1]:50051", "localhost:1", "unix:/tmp/kvd.sock"}) {
    absl::StatusOr<ClientAccess> access =
        SetUpClientAccess({}, listen, TlsFiles(), false);
    ASSERT_TRUE(access.ok()) << listen << ": " << access.status();
    EXPECT_EQ(access->authorizer, nullptr);
  }
  EXPECT_THAT(SetUpClientAccess({}, "0.0.0.0:50051", TlsFiles(), false),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("refusing to listen on 0.0.0.0:50051"),
                             HasSubstr("--insecure-allow-remote"))));
  EXPECT_TRUE(SetUpClientAccess({}, "0.0.0.0:50051", TlsFiles(), true).ok());
}

TEST(ClientAccessTest, CertificateIdentityNeedsAClientCa) {
  EXPECT_THAT(
      SetUpClientAccess({CertificateClient()}, "0.0.0.0:1", TlsFiles(), false),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("kvd.toml:3: [[client]] \"reports\""),
                     HasSubstr("--tls-client-ca"))));
  TlsFiles tls;
  tls.cert = "server.pem";
  tls.key = "server.key";
  tls.client_ca = "ca.pem";
  absl::StatusOr<ClientAccess> access =
      SetUpClientAccess({CertificateClient()}, "0.0.0.0:1", tls, false);
  ASSERT_TRUE(access.ok()) << access.status();
  ASSERT_NE(access->authorizer, nullptr);
  CallerCredentials caller;
  caller.certificate_identities = {"reports.example"};
  EXPECT_THAT(access->authorizer->Authenticate(caller),
              IsOkAndHolds("reports"));
}

TEST(ClientAccessTest, ClientsMayListenAnywhereAndReload) {
  const std::string path = ::testing::TempDir() + "/access.token";
  std::ofstream(path, std::ios::trunc) << "first-token\n";
  chmod(path.c_str(), 0600);
  ClientSpec client;
  client.name = "checkout";
  client.token_file = path;
  client.where = "kvd.toml:1";
  absl::StatusOr<ClientAccess> access =
      SetUpClientAccess({client}, "0.0.0.0:50051", TlsFiles(), false);
  ASSERT_TRUE(access.ok()) << access.status();
  CallerCredentials caller;
  caller.authorization = "Bearer first-token";
  EXPECT_THAT(access->authorizer->Authenticate(caller),
              IsOkAndHolds("checkout"));

  std::ofstream(path, std::ios::trunc) << "second-token\n";
  EXPECT_TRUE(ReloadTokens(*access, TokenReloadCause::kPoll).ok());
  EXPECT_THAT(access->authorizer->Authenticate(caller),
              StatusIs(absl::StatusCode::kUnauthenticated));
  caller.authorization = "Bearer second-token";
  EXPECT_THAT(access->authorizer->Authenticate(caller),
              IsOkAndHolds("checkout"));
}

}  // namespace
}  // namespace kv
