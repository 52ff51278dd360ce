#include "store/testing/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace kv::testing {
namespace {

constexpr char kRedisServer[] = "/usr/bin/redis-server";
constexpr absl::Duration kStartTimeout = absl::Seconds(20);
constexpr int kPortAttempts = 10;

struct ContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

std::string ErrnoText() { return std::strerror(errno); }

// A port on 127.0.0.1 that nothing listens on right now. Another process may
// take it before redis-server binds it; Launch then tries another.
absl::StatusOr<int> FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket: " + ErrnoText());
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const std::string error = ErrnoText();
    close(fd);
    return absl::InternalError("cannot find a free port: " + error);
  }
  close(fd);
  return ntohs(address.sin_port);
}

absl::StatusOr<std::string> MakeTempDir(const std::string& root,
                                        const std::string& name) {
  std::string pattern = absl::StrCat(root, "/", name, ".XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("mkdtemp ", pattern, ": ", ErrnoText()));
  }
  return pattern;
}

std::string ReplyText(const redisReply& reply) {
  switch (reply.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      return std::string(reply.str, reply.len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(reply.integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::vector<std::string> elements;
      for (size_t i = 0; i < reply.elements; ++i) {
        elements.push_back(ReplyText(*reply.element[i]));
      }
      return absl::StrJoin(elements, "\n");
    }
    default:
      return absl::StrCat("(reply type ", reply.type, ")");
  }
}

// Runs `args` on `context`; an error reply becomes an Internal status.
absl::StatusOr<std::string> Run(redisContext* context,
                                const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> argv_len;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    argv_len.push_back(arg.size());
  }
  Reply reply(static_cast<redisReply*>(redisCommandArgv(
      context, static_cast<int>(argv.size()), argv.data(), argv_len.data())));
  if (reply == nullptr) {
    return absl::UnavailableError(
        absl::StrCat(args.empty() ? "" : args[0], ": ", context->errstr));
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    return absl::InternalError(
        absl::StrCat(args.empty() ? "" : args[0], ": ", ReplyText(*reply)));
  }
  return ReplyText(*reply);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Launch(
    RedisServerOptions options) {
  if (access(kRedisServer, X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(kRedisServer,
                     " is missing: run tools/setup.sh to install redis-server "
                     "(Redis tests need a real server and never skip)"));
  }
  std::unique_ptr<RedisServer> server(new RedisServer(std::move(options)));
  const char* tmp = std::getenv("TEST_TMPDIR");
  absl::StatusOr<std::string> dir =
      MakeTempDir(tmp != nullptr ? tmp : "/tmp", "redis");
  if (!dir.ok()) return dir.status();
  server->dir_ = *dir;
  if (server->options_.unix_socket) {
    absl::StatusOr<std::string> socket_dir = MakeTempDir("/tmp", "kvd-redis");
    if (!socket_dir.ok()) return socket_dir.status();
    server->socket_dir_ = *socket_dir;
  }
  absl::Status status;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    absl::StatusOr<int> port = FreePort();
    if (!port.ok()) return port.status();
    server->port_ = *port;
    status = server->Spawn();
    if (!absl::IsAlreadyExists(status)) break;
  }
  if (!status.ok()) return status;
  return server;
}

RedisServer::~RedisServer() {
  if (pid_ > 0) Stop().IgnoreError();
  if (!socket_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(socket_dir_, ignored);
  }
}

std::string RedisServer::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::string RedisServer::url(int db) const {
  return absl::StrCat("redis://",
                      options_.password.empty()
                          ? ""
                          : absl::StrCat(":", options_.password, "@"),
                      address(), "/", db);
}

std::string RedisServer::unix_url() const {
  if (socket_dir_.empty()) return "";
  return absl::StrCat("unix:", socket_dir_, "/redis.sock");
}

absl::Status RedisServer::Spawn() {
  const std::string log = dir_ + "/redis.log";
  std::vector<std::string> args = {
      kRedisServer,
      "--bind",
      "127.0.0.1",
      "--port",
      std::to_string(port_),
      "--dir",
      dir_,
      "--logfile",
      log,
      "--daemonize",
      "no",
      // No RDB snapshots, ever; the AOF only when asked.
      "--save",
      "",
      "--appendonly",
      options_.persistent ? "yes" : "no",
      "--appendfsync",
      "always",
  };
  if (!options_.password.empty()) {
    args.insert(args.end(), {"--requirepass", options_.password});
  }
  if (!socket_dir_.empty()) {
    args.insert(args.end(), {"--unixsocket", socket_dir_ + "/redis.sock",
                             "--unixsocketperm", "700"});
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // Where the log of this start begins, to look for a bind error in it.
  std::error_code size_error;
  const auto log_start = std::filesystem::exists(log)
                             ? std::filesystem::file_size(log, size_error)
                             : 0;

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork: " + ErrnoText());
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);  // The parent died already.
    const int null_fd = open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
      dup2(null_fd, STDIN_FILENO);
      dup2(null_fd, STDOUT_FILENO);
      dup2(null_fd, STDERR_FILENO);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;

  const absl::Time deadline = absl::Now() + kStartTimeout;
  while (true) {
    int wait_status = 0;
    if (waitpid(pid_, &wait_status, WNOHANG) == pid_) {
      pid_ = -1;
      std::string tail = LogTail();
      std::ifstream stream(log);
      stream.seekg(log_start);
      std::stringstream this_start;
      this_start << stream.rdbuf();
      if (absl::StrContains(this_start.str(), "Address already in use")) {
        return absl::AlreadyExistsError(
            absl::StrCat("port ", port_, " is taken"));
      }
      return absl::InternalError(
          absl::StrCat("redis-server exited during startup (status ",
                       wait_status, "); its log ", log, " ends with:\n", tail));
    }
    timeval timeout = absl::ToTimeval(absl::Milliseconds(500));
    Context context(redisConnectWithTimeout("127.0.0.1", port_, timeout));
    if (context != nullptr && context->err == 0 &&
        redisSetTimeout(context.get(), timeout) == REDIS_OK) {
      Reply reply(
          static_cast<redisReply*>(redisCommand(context.get(), "PING")));
      // Any answer but LOADING means it serves (NOAUTH included).
      if (reply != nullptr && !(reply->type == REDIS_REPLY_ERROR &&
                                absl::StartsWith(reply->str, "LOADING"))) {
        return absl::OkStatus();
      }
    }
    if (absl::Now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
      return absl::DeadlineExceededError(
          absl::StrCat("redis-server did not answer on port ", port_,
                       " within ", absl::FormatDuration(kStartTimeout),
                       "; its log ends with:\n", LogTail()));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

absl::Status RedisServer::Stop() {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return absl::OkStatus();
}

absl::Status RedisServer::Start() {
  if (pid_ > 0) return absl::FailedPreconditionError("already running");
  return Spawn();
}

absl::Status RedisServer::Pause() {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  if (kill(pid_, SIGSTOP) != 0) return absl::InternalError(ErrnoText());
  return absl::OkStatus();
}

absl::Status RedisServer::Resume() {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  if (kill(pid_, SIGCONT) != 0) return absl::InternalError(ErrnoText());
  return absl::OkStatus();
}

absl::StatusOr<std::string> RedisServer::Command(
    const std::vector<std::string>& args, int db) const {
  Context context(redisConnectWithTimeout("127.0.0.1", port_,
                                          absl::ToTimeval(absl::Seconds(5))));
  if (context == nullptr || context->err != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", address(), ": ",
                     context == nullptr ? "out of memory" : context->errstr));
  }
  redisSetTimeout(context.get(), absl::ToTimeval(absl::Seconds(5)));
  if (!options_.password.empty()) {
    absl::StatusOr<std::string> auth =
        Run(context.get(), {"AUTH", options_.password});
    if (!auth.ok()) return auth.status();
  }
  absl::StatusOr<std::string> select =
      Run(context.get(), {"SELECT", std::to_string(db)});
  if (!select.ok()) return select.status();
  return Run(context.get(), args);
}

std::string RedisServer::LogTail() const {
  std::ifstream stream(dir_ + "/redis.log");
  std::vector<std::string> lines;
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(line);
    if (lines.size() > 20) lines.erase(lines.begin());
  }
  return absl::StrJoin(lines, "\n");
}

}  // namespace kv::testing
