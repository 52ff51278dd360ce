#ifndef KV_STORE_TESTING_REDIS_SERVER_H_
#define KV_STORE_TESTING_REDIS_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kv::testing {

struct RedisServerOptions {
  // Keep data across Stop()/Start(): append-only file, fsync on every
  // write. Off by default: the server then persists nothing at all.
  bool persistent = false;
  // requirepass: clients must AUTH with it (as user "default" or alone).
  std::string password;
  // Also listen on a unix socket, in a fresh directory under /tmp (Bazel's
  // TEST_TMPDIR is too deep for a socket path).
  bool unix_socket = false;
};

// A private redis-server for a test: /usr/bin/redis-server on 127.0.0.1 and
// a free port (found by binding port 0, and retried if another process takes
// it first), with its data and log in a fresh directory under TEST_TMPDIR.
//
// Launch fails, and with it the test, when redis-server is not installed:
// Redis tests never skip. The destructor kills the server. The server also
// dies with the thread that launched it (PR_SET_PDEATHSIG), so a crashed
// test leaves no server behind; launch it from the test's main thread.
//
// Not thread-safe: drive it from one thread. Drivers under test may use the
// server from any number of threads.
class RedisServer {
 public:
  static absl::StatusOr<std::unique_ptr<RedisServer>> Launch(
      RedisServerOptions options = {});

  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  ~RedisServer();

  int port() const { return port_; }
  // "127.0.0.1:PORT", as drivers name the server in messages.
  std::string address() const;
  // "redis://[:PASSWORD@]127.0.0.1:PORT/DB".
  std::string url(int db = 0) const;
  // "unix:/tmp/.../redis.sock"; empty without options.unix_socket.
  std::string unix_url() const;
  bool running() const { return pid_ > 0; }

  // Kills the server with SIGKILL (a crash: nothing is flushed) and waits
  // for it to exit. Without `persistent`, its data is gone.
  absl::Status Stop();
  // Starts it again after Stop(), on the same port and directory, and waits
  // until it answers.
  absl::Status Start();
  // SIGSTOP / SIGCONT: a server that hangs, keeping its connections open.
  absl::Status Pause();
  absl::Status Resume();

  // Runs one command on a new connection (AUTH and SELECT `db` first) and
  // returns the reply as text: a string or status as is, an integer in
  // decimal, nil as "(nil)", an array as its elements joined by '\n'. An
  // error reply is returned as an Internal status.
  absl::StatusOr<std::string> Command(const std::vector<std::string>& args,
                                      int db = 0) const;

  // The last lines of the server's log, for failure messages.
  std::string LogTail() const;

 private:
  explicit RedisServer(RedisServerOptions options)
      : options_(std::move(options)) {}

  // Starts redis-server on port_ and waits until it answers PING. Returns
  // AlreadyExists if the port was taken.
  absl::Status Spawn();

  const RedisServerOptions options_;
  std::string dir_;
  std::string socket_dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace kv::testing

#endif  // KV_STORE_TESTING_REDIS_SERVER_H_
