#include "service/access/tls.h"

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::trunc) << text;
  return path;
}

TEST(TlsTest, NoFilesMeansPlaintext) {
  auto credentials = MakeServerCredentials(TlsFiles());
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_NE(*credentials, nullptr);
}

TEST(TlsTest, CertificateNeedsItsKey) {
  TlsFiles files;
  files.cert = WriteFile("cert.pem", "-----BEGIN CERTIFICATE-----\n");
  EXPECT_THAT(
      MakeServerCredentials(files),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--tls-key")));
  files = TlsFiles();
  files.client_ca = WriteFile("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  EXPECT_THAT(MakeServerCredentials(files),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("needs a server certificate")));
}

TEST(TlsTest, UnreadableOrNonPemFilesAreNamed) {
  TlsFiles files;
  files.cert = ::testing::TempDir() + "/missing.pem";
  files.key = WriteFile("key.pem", "-----BEGIN PRIVATE KEY-----\n");
  EXPECT_THAT(MakeServerCredentials(files),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("missing.pem"), HasSubstr("tls_cert"))));
  files.cert = WriteFile("text.pem", "not a certificate");
  EXPECT_THAT(
      MakeServerCredentials(files),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("text.pem"), HasSubstr("is not a PEM file"))));
}

}  // namespace
}  // namespace kv
