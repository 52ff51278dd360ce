#ifndef KV_TESTS_TEST_PKI_H_
#define KV_TESTS_TEST_PKI_H_

#include <string>

#include "absl/status/statusor.h"

namespace kv::testing {

// A throwaway public key infrastructure made at test time with the openssl
// CLI (EC P-256 keys, valid two days): a CA, a server certificate for
// 127.0.0.1 and localhost, and any number of client certificates.
class TestPki {
 public:
  // Creates the CA and the server certificate in `dir`.
  static absl::StatusOr<TestPki> Create(const std::string& dir);

  // Creates `dir`/NAME.pem and NAME.key: a client certificate signed by the
  // CA with subject CN `common_name` and, if not empty, the subject
  // alternative names `san` (openssl syntax, e.g. "DNS:checkout.example").
  absl::Status AddClient(const std::string& name,
                         const std::string& common_name,
                         const std::string& san) const;

  std::string ca_cert() const { return dir_ + "/ca.pem"; }
  std::string server_cert() const { return dir_ + "/server.pem"; }
  std::string server_key() const { return dir_ + "/server.key"; }
  std::string client_cert(const std::string& name) const {
    return dir_ + "/" + name + ".pem";
  }
  std::string client_key(const std::string& name) const {
    return dir_ + "/" + name + ".key";
  }

 private:
  explicit TestPki(std::string dir) : dir_(std::move(dir)) {}

  // Makes NAME.key, NAME.csr and NAME.pem signed by the CA.
  absl::Status Issue(const std::string& name, const std::string& common_name,
                     const std::string& extensions) const;

  std::string dir_;
};

// The contents of the file at `path` ("" if unreadable).
std::string ReadTextFile(const std::string& path);

}  // namespace kv::testing

#endif  // KV_TESTS_TEST_PKI_H_
