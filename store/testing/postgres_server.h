#ifndef KV_STORE_TESTING_POSTGRES_SERVER_H_
#define KV_STORE_TESTING_POSTGRES_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kv::testing {

// A private PostgreSQL 15 server for tests: a fresh cluster in a new folder
// under /tmp, listening on 127.0.0.1 at a free port, with its unix socket in
// that folder too. User kvd_test has a password, required over TCP
// (scram-sha-256), so every URL a test uses carries one; local socket
// connections (Query()) are trusted. fsync is off: the data is thrown away.
//
// PostgreSQL refuses to run as root, so when the test runs as root the
// server runs as the `postgres` system user that Debian's package creates,
// and the folder is chowned to it.
//
// Startup (initdb + start) takes a few seconds: start one per test binary.
// Not thread-safe.
class PostgresServer {
 public:
  // Where Debian's postgresql-15 package puts the server binaries.
  static constexpr const char* kBinDir = "/usr/lib/postgresql/15/bin";
  static constexpr const char* kUser = "kvd_test";
  static constexpr const char* kDatabase = "kvd";
  // Has URL-reserved characters, so URLs percent-encode it.
  static constexpr const char* kPassword = "s3cret/pa@ss:word";
  static constexpr const char* kEncodedPassword = "s3cret%2Fpa%40ss%3Aword";

  // Creates the cluster and starts the server. Fails, saying to run
  // tools/setup.sh, if the server binaries are missing.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Create();

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Stops the server (immediate mode) and removes its folder.
  ~PostgresServer();

  // postgresql://kvd_test:PASSWORD@127.0.0.1:PORT/kvd, password encoded.
  std::string url() const;
  int port() const { return port_; }
  bool running() const { return pid_ > 0; }

  // Stops the server the way a crash would (pg_ctl stop -m immediate:
  // SIGQUIT to the postmaster, which kills every backend at once) and waits
  // for it to exit. Connections see their socket close.
  absl::Status Stop();

  // Starts the stopped server again, on the same port and data (after
  // Stop() it runs crash recovery first). Waits until it accepts
  // connections.
  absl::Status Start();

  // Runs `sql` as kvd_test in database kvd over the unix socket. Returns
  // the first column of the first row, or "" if there is none.
  absl::StatusOr<std::string> Query(const std::string& sql) const;

 private:
  PostgresServer() = default;

  // Runs `argv` as the server's user with output appended to `log`, and
  // returns the child's pid.
  absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv,
                              const std::string& log) const;
  std::string LogTail() const;

  std::string root_;  // The temp folder: data/, the socket, logs.
  int port_ = 0;
  pid_t pid_ = -1;  // The postmaster, while running.
  uid_t uid_ = 0;   // Who the server runs as.
  gid_t gid_ = 0;
  bool switch_user_ = false;
};

}  // namespace kv::testing

#endif  // KV_STORE_TESTING_POSTGRES_SERVER_H_
