#include "tests/kvd_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace kv::testing {
namespace {

constexpr char kListeningPrefix[] = "kvd listening on ";

// Forks and execs kvd with stdout (and, if `merge_stderr`, stderr) going to
// a pipe whose read end is returned in `read_fd`.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& args,
                            bool merge_stderr, int& read_fd) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  std::vector<std::string> argv_storage = {KvdBinaryPath()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    if (merge_stderr) dup2(fds[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  read_fd = fds[0];
  return pid;
}

// Reads from `fd` into `text` until `done(text)` or EOF or the deadline.
// Returns true if `done` was satisfied.
template <typename Done>
bool ReadUntil(int fd, absl::Time deadline, std::string& text, Done done) {
  char buffer[4096];
  while (!done(text)) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    pollfd poll_fd{fd, POLLIN, 0};
    const int ready = poll(&poll_fd, 1, absl::ToInt64Milliseconds(left) + 1);
    if (ready <= 0) continue;
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) return done(text);
    text.append(buffer, n);
  }
  return true;
}

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

// Waits for `pid` until `deadline`; returns its exit code or nullopt.
absl::optional<int> WaitUntil(pid_t pid, absl::Time deadline) {
  while (true) {
    int wait_status = 0;
    const pid_t done = waitpid(pid, &wait_status, WNOHANG);
    if (done == pid) return ExitCodeOf(wait_status);
    if (absl::Now() >= deadline) return absl::nullopt;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

}  // namespace

std::string KvdBinaryPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return absl::StrCat(srcdir ? srcdir : ".", "/", workspace ? workspace : "kvd",
                      "/service/kvd/kvd");
}

std::string NewTempDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = absl::StrCat(tmp ? tmp : "/tmp", "/", name);
  std::system(absl::StrCat("rm -rf '", dir, "'").c_str());
  mkdir(dir.c_str(), 0700);
  return dir;
}

std::string NewShortTempDir() {
  char path[] = "/tmp/kvd-test.XXXXXX";
  if (mkdtemp(path) == nullptr) std::abort();
  return path;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

absl::StatusOr<std::unique_ptr<KvdProcess>> KvdProcess::Start(
    const std::vector<std::string>& args, absl::Duration timeout) {
  std::unique_ptr<KvdProcess> process(new KvdProcess());
  absl::StatusOr<pid_t> pid =
      Spawn(args, /*merge_stderr=*/false, process->stdout_fd_);
  if (!pid.ok()) return pid.status();
  process->pid_ = *pid;
  std::string& text = process->stdout_text_;
  const bool listening = ReadUntil(
      process->stdout_fd_, absl::Now() + timeout, text,
      [](const std::string& t) {
        const size_t at = t.find(kListeningPrefix);
        return at != std::string::npos && t.find('\n', at) != std::string::npos;
      });
  if (!listening) {
    return absl::UnavailableError(
        absl::StrCat("kvd did not print its address; stdout: ", text));
  }
  const size_t start =
      text.find(kListeningPrefix) + std::strlen(kListeningPrefix);
  process->address_ = text.substr(start, text.find('\n', start) - start);
  // Collect the store lines printed right after the address.
  ReadUntil(process->stdout_fd_, absl::Now() + absl::Milliseconds(200), text,
            [](const std::string&) { return false; });
  return process;
}

KvdProcess::~KvdProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

std::shared_ptr<grpc::Channel> KvdProcess::NewChannel(
    int max_receive_bytes) const {
  grpc::ChannelArguments args;
  if (max_receive_bytes >= 0) args.SetMaxReceiveMessageSize(max_receive_bytes);
  args.SetMaxSendMessageSize(64 << 20);
  // A fresh connection per channel, so tests do not share one subchannel.
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  return grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(),
                                   args);
}

absl::StatusOr<int> KvdProcess::Stop(int signal, absl::Duration timeout) {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  kill(pid_, signal);
  return WaitForExit(timeout);
}

void KvdProcess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

absl::StatusOr<int> KvdProcess::WaitForExit(absl::Duration timeout) {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  absl::optional<int> code = WaitUntil(pid_, absl::Now() + timeout);
  if (!code.has_value()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return absl::DeadlineExceededError(absl::StrCat(
        "kvd did not exit within ", absl::FormatDuration(timeout)));
  }
  pid_ = -1;
  return *code;
}

absl::StatusOr<KvdRun> RunKvd(const std::vector<std::string>& args,
                              absl::Duration timeout) {
  int fd = -1;
  absl::StatusOr<pid_t> pid = Spawn(args, /*merge_stderr=*/true, fd);
  if (!pid.ok()) return pid.status();
  KvdRun run{-1, ""};
  ReadUntil(fd, absl::Now() + timeout, run.output,
            [](const std::string&) { return false; });
  close(fd);
  absl::optional<int> code = WaitUntil(*pid, absl::Now() + absl::Seconds(5));
  if (!code.has_value()) {
    kill(*pid, SIGKILL);
    waitpid(*pid, nullptr, 0);
    return absl::DeadlineExceededError("kvd did not exit");
  }
  run.exit_code = *code;
  return run;
}

}  // namespace kv::testing
