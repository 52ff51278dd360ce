#include "tests/test_pki.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace kv::testing {
namespace {

constexpr char kNewKey[] =
    "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

// Runs `command` in a shell; on failure the error holds openssl's output.
absl::Status Run(const std::string& dir, const std::string& command) {
  const std::string log = dir + "/openssl.log";
  const std::string line =
      absl::StrCat("cd '", dir, "' && ", command, " >'", log, "' 2>&1");
  if (std::system(line.c_str()) != 0) {
    return absl::InternalError(
        absl::StrCat("openssl failed: ", command, "\n", ReadTextFile(log)));
  }
  return absl::OkStatus();
}

}  // namespace

std::string ReadTextFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

absl::StatusOr<TestPki> TestPki::Create(const std::string& dir) {
  absl::Status made =
      Run(dir, absl::StrCat("openssl req -x509 -new ", kNewKey,
                            " -keyout ca.key -out ca.pem -days 2 "
                            "-subj '/CN=kvd test CA' "
                            "-addext basicConstraints=critical,CA:TRUE "
                            "-addext keyUsage=critical,keyCertSign,cRLSign"));
  if (!made.ok()) return made;
  TestPki pki(dir);
  made = pki.Issue("server", "localhost",
                   "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                   "extendedKeyUsage=serverAuth\n");
  if (!made.ok()) return made;
  return pki;
}

absl::Status TestPki::AddClient(const std::string& name,
                                const std::string& common_name,
                                const std::string& san) const {
  std::string extensions = "extendedKeyUsage=clientAuth\n";
  if (!san.empty()) absl::StrAppend(&extensions, "subjectAltName=", san, "\n");
  return Issue(name, common_name, extensions);
}

absl::Status TestPki::Issue(const std::string& name,
                            const std::string& common_name,
                            const std::string& extensions) const {
  std::ofstream(dir_ + "/" + name + ".ext") << "basicConstraints=CA:FALSE\n"
                                            << extensions;
  absl::Status made =
      Run(dir_, absl::StrCat("openssl req -new ", kNewKey, " -keyout ", name,
                             ".key -out ", name,
                             ".csr -subj '/CN=", common_name, "'"));
  if (!made.ok()) return made;
  return Run(dir_, absl::StrCat("openssl x509 -req -in ", name,
                                ".csr -CA ca.pem -CAkey ca.key "
                                "-CAcreateserial -days 2 -out ",
                                name, ".pem -extfile ", name, ".ext"));
}

}  // namespace kv::testing
