#include "store/testing/postgres_server.h"

#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <postgresql/libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace kv::testing {
namespace {

std::string ErrnoText() {
  return std::error_code(errno, std::generic_category()).message();
}

// A port on 127.0.0.1 that nothing listens on right now.
absl::StatusOr<int> FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", ErrnoText()));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const std::string error = ErrnoText();
    close(fd);
    return absl::InternalError(absl::StrCat("bind 127.0.0.1:0: ", error));
  }
  close(fd);
  return ntohs(address.sin_port);
}

// Waits up to `timeout` for `pid` to exit. Returns true if it did.
bool WaitForExit(pid_t pid, absl::Duration timeout, int* status) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const pid_t done = waitpid(pid, status, WNOHANG);
    if (done == pid || (done < 0 && errno == ECHILD)) return true;
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Create() {
  const std::string initdb = absl::StrCat(kBinDir, "/initdb");
  const std::string postgres = absl::StrCat(kBinDir, "/postgres");
  if (access(initdb.c_str(), X_OK) != 0 ||
      access(postgres.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "PostgreSQL 15 server binaries (initdb, postgres) not found in ",
        kBinDir, "; run tools/setup.sh to install the postgresql package"));
  }
  auto server = std::unique_ptr<PostgresServer>(new PostgresServer());
  if (geteuid() == 0) {
    const passwd* user = getpwnam("postgres");
    if (user == nullptr) {
      return absl::FailedPreconditionError(
          "running as root, but there is no `postgres` system user to run "
          "PostgreSQL as; run tools/setup.sh to install the postgresql "
          "package, which creates it");
    }
    server->switch_user_ = true;
    server->uid_ = user->pw_uid;
    server->gid_ = user->pw_gid;
  } else {
    server->uid_ = geteuid();
    server->gid_ = getegid();
  }

  // Under /tmp, not TEST_TMPDIR: the postgres user must be able to reach
  // it, and /root (where Bazel's output base usually is) is private.
  std::string root = "/tmp/kvd-pg.XXXXXX";
  if (mkdtemp(root.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", ErrnoText()));
  }
  server->root_ = root;
  const std::string pwfile = root + "/pwfile";
  std::ofstream(pwfile) << kPassword << "\n";
  for (const std::string& path : {root, pwfile}) {
    if (chown(path.c_str(), server->uid_, server->gid_) != 0) {
      return absl::InternalError(
          absl::StrCat("chown ", path, ": ", ErrnoText()));
    }
  }

  absl::StatusOr<pid_t> pid = server->Spawn(
      {initdb, "-D", root + "/data", "-U", kUser, "--pwfile=" + pwfile,
       "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
       "--locale=C", "--no-sync", "--no-instructions"},
      root + "/initdb.log");
  if (!pid.ok()) return pid.status();
  int status = 0;
  if (!WaitForExit(*pid, absl::Seconds(120), &status)) {
    kill(*pid, SIGKILL);
    waitpid(*pid, &status, 0);
    return absl::DeadlineExceededError("initdb did not finish in 120 s");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat("initdb failed:\n", ReadFile(root + "/initdb.log")));
  }

  absl::StatusOr<int> port = FreePort();
  if (!port.ok()) return port.status();
  server->port_ = *port;
  if (absl::Status started = server->Start(); !started.ok()) return started;
  absl::StatusOr<std::string> created =
      server->Query(absl::StrCat("CREATE DATABASE ", kDatabase));
  if (!created.ok()) return created.status();
  return server;
}

PostgresServer::~PostgresServer() {
  if (running()) Stop().IgnoreError();
  if (!root_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
}

std::string PostgresServer::url() const {
  return absl::StrCat("postgresql://", kUser, ":", kEncodedPassword,
                      "@127.0.0.1:", port_, "/", kDatabase);
}

absl::StatusOr<pid_t> PostgresServer::Spawn(
    const std::vector<std::string>& argv, const std::string& log) const {
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const int log_fd =
      open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(absl::StrCat("open ", log, ": ", ErrnoText()));
  }
  if (fchown(log_fd, uid_, gid_) != 0) {
    close(log_fd);
    return absl::InternalError(absl::StrCat("chown ", log, ": ", ErrnoText()));
  }
  const pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    return absl::InternalError(absl::StrCat("fork: ", ErrnoText()));
  }
  if (pid == 0) {
    if (switch_user_ && (setgroups(0, nullptr) != 0 || setgid(gid_) != 0 ||
                         setuid(uid_) != 0)) {
      _exit(126);
    }
    // After setuid, which clears it: the server dies with the test, even
    // if the test is killed. SIGQUIT is PostgreSQL's immediate shutdown.
    prctl(PR_SET_PDEATHSIG, SIGQUIT);
    if (chdir(root_.c_str()) != 0) _exit(126);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  close(log_fd);
  return pid;
}

std::string PostgresServer::LogTail() const {
  const std::string log = ReadFile(root_ + "/postgres.log");
  return log.size() > 4000 ? log.substr(log.size() - 4000) : log;
}

absl::Status PostgresServer::Start() {
  if (running()) return absl::FailedPreconditionError("already running");
  absl::StatusOr<pid_t> pid =
      Spawn({absl::StrCat(kBinDir, "/postgres"), "-D", root_ + "/data", "-p",
             absl::StrCat(port_), "-k", root_, "-c",
             "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
             "max_connections=200", "-c", "shared_buffers=16MB"},
            root_ + "/postgres.log");
  if (!pid.ok()) return pid.status();
  pid_ = *pid;

  // Ready when it accepts a login over TCP, as the driver will use it.
  const std::string conninfo =
      absl::StrCat("host=127.0.0.1 port=", port_, " user=", kUser,
                   " dbname=postgres connect_timeout=2");
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (PQping(conninfo.c_str()) != PQPING_OK) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(
          absl::StrCat("postgres exited while starting (status ", status,
                       "):\n", LogTail()));
    }
    if (absl::Now() > deadline) {
      Stop().IgnoreError();
      return absl::DeadlineExceededError(absl::StrCat(
          "postgres did not accept connections within 60 s:\n", LogTail()));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::OkStatus();
}

absl::Status PostgresServer::Stop() {
  if (!running()) return absl::FailedPreconditionError("not running");
  const pid_t pid = pid_;
  pid_ = -1;
  kill(pid, SIGQUIT);
  int status = 0;
  if (!WaitForExit(pid, absl::Seconds(30), &status)) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return absl::DeadlineExceededError(
        "postgres ignored SIGQUIT for 30 s and was killed");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> PostgresServer::Query(
    const std::string& sql) const {
  const std::string conninfo = absl::StrCat(
      "host=", root_, " port=", port_, " user=", kUser,
      " dbname=", sql.rfind("CREATE DATABASE", 0) == 0 ? "postgres" : kDatabase,
      " connect_timeout=10");
  PGconn* conn = PQconnectdb(conninfo.c_str());
  std::unique_ptr<PGconn, void (*)(PGconn*)> owned(conn, &PQfinish);
  if (PQstatus(conn) != CONNECTION_OK) {
    return absl::UnavailableError(absl::StrCat(
        "cannot connect to the test server: ", PQerrorMessage(conn)));
  }
  std::unique_ptr<PGresult, void (*)(PGresult*)> result(
      PQexec(conn, sql.c_str()), &PQclear);
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return absl::InternalError(
        absl::StrCat(sql, ": ", PQresultErrorMessage(result.get())));
  }
  if (status == PGRES_TUPLES_OK && PQntuples(result.get()) > 0 &&
      PQnfields(result.get()) > 0) {
    return std::string(PQgetvalue(result.get(), 0, 0));
  }
  return std::string();
}

}  // namespace kv::testing
