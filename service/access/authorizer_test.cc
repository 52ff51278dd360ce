#include "service/access/authorizer.h"

#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/errors/kv_error.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::IsOkAndHolds;
using ::kv::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::string TokenFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::trunc) << text;
  chmod(path.c_str(), 0600);
  return path;
}

class AuthorizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ClientSpec checkout;
    checkout.name = "checkout";
    checkout.token_file = TokenFile("checkout", "checkout-token");
    checkout.key_value_stores = {"default", "orders"};
    checkout.read_only_stores = {"catalog"};
    ClientSpec reports;
    reports.name = "reports";
    reports.certificate_identity = "reports.example";
    reports.read_only_stores = {"orders"};
    ClientSpec both;
    both.name = "both";
    both.token_file = TokenFile("both", "both-token");
    both.certificate_identity = "spiffe://example/both";
    clients_ = {checkout, reports, both};
    auto tokens = CredentialStore::Load(clients_);
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    tokens_ = *std::move(tokens);
    authorizer_ = std::make_unique<Authorizer>(clients_, tokens_.get());
  }

  absl::StatusOr<std::string> Caller(std::optional<std::string> authorization,
                                     std::vector<std::string> identities = {}) {
    CallerCredentials caller;
    caller.authorization = std::move(authorization);
    caller.certificate_identities = std::move(identities);
    return authorizer_->Authenticate(caller);
  }

  std::vector<ClientSpec> clients_;
  std::unique_ptr<CredentialStore> tokens_;
  std::unique_ptr<Authorizer> authorizer_;
};

TEST_F(AuthorizerTest, BearerTokenIdentifiesItsClient) {
  EXPECT_THAT(Caller("Bearer checkout-token"), IsOkAndHolds("checkout"));
  EXPECT_THAT(Caller("bearer checkout-token"), IsOkAndHolds("checkout"));
}

TEST_F(AuthorizerTest, NoOrUnknownCredentialIsUnauthenticated) {
  EXPECT_THAT(Caller(std::nullopt),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("no credential: send authorization: "
                                 "Bearer <token>")));
  EXPECT_THAT(Caller("Bearer guessed-token"),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       ::testing::AllOf(HasSubstr("unknown token"),
                                        Not(HasSubstr("guessed")))));
  EXPECT_THAT(Caller("Basic Y2hlY2tvdXQ="),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("\"Bearer <token>\"")));
  EXPECT_THAT(Caller("Bearer "), StatusIs(absl::StatusCode::kUnauthenticated));
  // Error codes stay gRPC's: no kv ErrorCode is attached.
  EXPECT_EQ(ErrorCodeOf(Caller(std::nullopt).status()),
            v1::ERROR_CODE_UNSPECIFIED);
}

TEST_F(AuthorizerTest, CertificateIdentityIdentifiesItsClient) {
  EXPECT_THAT(Caller(std::nullopt, {"other.example", "reports.example"}),
              IsOkAndHolds("reports"));
  EXPECT_THAT(Caller(std::nullopt, {"unknown.example"}),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("client certificate")));
}

TEST_F(AuthorizerTest, TokenIsCheckedEvenWithACertificate) {
  EXPECT_THAT(Caller("Bearer both-token", {"spiffe://example/both"}),
              IsOkAndHolds("both"));
  EXPECT_THAT(
      Caller("Bearer wrong", {"spiffe://example/both"}),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("unknown token")));
  EXPECT_THAT(Caller("Bearer checkout-token", {"reports.example"}),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("identify different clients")));
  // A certificate no client claims leaves the decision to the token.
  EXPECT_THAT(Caller("Bearer checkout-token", {"unknown.example"}),
              IsOkAndHolds("checkout"));
}

TEST_F(AuthorizerTest, GrantsAreReadWriteReadOnlyOrDenied) {
  EXPECT_THAT(authorizer_->Authorize("checkout", "orders"),
              IsOkAndHolds(StoreAccess::kReadWrite));
  EXPECT_THAT(authorizer_->Authorize("checkout", "catalog"),
              IsOkAndHolds(StoreAccess::kReadOnly));
  EXPECT_THAT(authorizer_->Authorize("reports", "orders"),
              IsOkAndHolds(StoreAccess::kReadOnly));
  absl::Status denied = authorizer_->Authorize("reports", "default").status();
  EXPECT_THAT(denied, StatusIs(absl::StatusCode::kPermissionDenied,
                               HasSubstr("\"default\"")));
  EXPECT_EQ(ErrorCodeOf(denied), v1::ERROR_CODE_ACCESS_DENIED);
  EXPECT_THAT(authorizer_->Authorize("both", "default"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(authorizer_->Authorize("", "default"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(AuthorizerTest, ReloadedTokensApplyAtOnce) {
  TokenFile("checkout", "rotated-token");
  ASSERT_TRUE(tokens_->Reload().ok());
  EXPECT_THAT(Caller("Bearer checkout-token"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Caller("Bearer rotated-token"), IsOkAndHolds("checkout"));
}

TEST(AnonymousAuthorizerTest, EveryCallerMayUseEveryStore) {
  Authorizer anonymous;
  EXPECT_TRUE(anonymous.anonymous());
  EXPECT_THAT(anonymous.Authenticate(CallerCredentials()), IsOkAndHolds(""));
  CallerCredentials with_token;
  with_token.authorization = "Bearer anything";
  EXPECT_THAT(anonymous.Authenticate(with_token), IsOkAndHolds(""));
  EXPECT_THAT(anonymous.Authorize("", "anything"),
              IsOkAndHolds(StoreAccess::kReadWrite));
}

}  // namespace
}  // namespace kv
