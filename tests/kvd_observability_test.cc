// kvd's metrics and logs, through the real binary: /metrics scraped over
// HTTP after real calls, and JSON request logs that never show a value.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/kv_test_client.h"
#include "tests/kvd_process.h"
#include "tests/prometheus_text.h"

namespace kv::testing {
namespace {

using ::testing::Eq;
using ::testing::Ge;
using ::testing::Gt;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

// The body of GET http://ADDR/PATH ("127.0.0.1:PORT"), over a plain socket
// with HTTP/1.0 so the server closes the connection after the response.
absl::StatusOr<std::string> HttpGet(const std::string& address,
                                    const std::string& path) {
  std::vector<std::string> host_port = absl::StrSplit(address, ':');
  int port = 0;
  sockaddr_in server{};
  server.sin_family = AF_INET;
  if (host_port.size() != 2 || !absl::SimpleAtoi(host_port[1], &port) ||
      inet_pton(AF_INET, host_port[0].c_str(), &server.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("bad address ", address));
  }
  server.sin_port = htons(port);
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  // A hang guard, not a timing assertion.
  timeval timeout{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  if (connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof(server)) != 0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("cannot connect to ", address));
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: ", address, "\r\n\r\n");
  if (write(fd, request.data(), request.size()) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return absl::UnavailableError("cannot send the request");
  }
  std::string response;
  char buffer[8192];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) response.append(buffer, n);
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  if (body == std::string::npos || !absl::StartsWith(response, "HTTP/1.")) {
    return absl::UnavailableError(absl::StrCat("bad response: ", response));
  }
  if (response.find(" 200 ") > response.find("\r\n")) {
    return absl::UnavailableError(
        absl::StrCat("not 200: ", response.substr(0, response.find("\r\n"))));
  }
  return response.substr(body + 4);
}

// The metrics address kvd printed: "kvd metrics on http://ADDR/metrics".
std::string MetricsAddress(const KvdProcess& kvd) {
  const std::string& text = kvd.stdout_text();
  const std::string prefix = "kvd metrics on http://";
  const size_t start = text.find(prefix);
  if (start == std::string::npos) return "";
  const size_t from = start + prefix.size();
  return text.substr(from, text.find("/metrics", from) - from);
}

TEST(KvdMetricsTest, ScrapeCountsCallsByLabels) {
  const std::string dir = NewTempDir("metrics");
  WriteFile(dir + "/kvd.toml", "[key_value_store.cache]\ntype = \"memory\"\n");
  auto kvd = KvdProcess::Start(
      {"--listen=127.0.0.1:0", "--config=" + dir + "/kvd.toml",
       "--data-dir=" + dir + "/data", "--metrics-listen=127.0.0.1:0"});
  ASSERT_TRUE(kvd.ok()) << kvd.status();
  // The gRPC address stays the first line; the metrics line follows.
  EXPECT_EQ((*kvd)->stdout_text().rfind("kvd listening on ", 0), 0u);
  const std::string metrics_address = MetricsAddress(**kvd);
  ASSERT_THAT(metrics_address, HasSubstr("127.0.0.1:"))
      << (*kvd)->stdout_text();
  EXPECT_THAT(metrics_address, Not(HasSubstr(":0")));

  KvTestClient client((*kvd)->NewChannel());
  uint32_t store = 0;
  ASSERT_TRUE(client.Open("default", &store).ok());
  ASSERT_TRUE(client.Set(store, "secret-key-name", "v").ok());
  std::string value;
  ASSERT_TRUE(client.Get(store, "secret-key-name", &value).ok());
  ASSERT_TRUE(client.Get(store, "secret-key-name", &value).ok());
  EXPECT_EQ(client.Get(store, "missing-key-name", &value).error_code,
            v1::ERROR_CODE_NO_SUCH_KEY);
  EXPECT_EQ(client.Open("undefined-store-name", nullptr).error_code,
            v1::ERROR_CODE_NO_SUCH_STORE);

  absl::StatusOr<std::string> text = HttpGet(metrics_address, "/metrics");
  ASSERT_TRUE(text.ok()) << text.status();
  absl::StatusOr<std::vector<PrometheusSample>> samples =
      ParsePrometheusText(*text);
  ASSERT_TRUE(samples.ok()) << samples.status();
  auto requests = [&](const std::string& method, const std::string& store_label,
                      const std::string& code, const std::string& error) {
    return FindSample(*samples, "kvd_requests_total",
                      {{"method", method},
                       {"store", store_label},
                       {"grpc_code", code},
                       {"error_code", error}});
  };
  EXPECT_THAT(requests("Open", "default", "OK", ""), Optional(Eq(1.0)));
  EXPECT_THAT(requests("Set", "default", "OK", ""), Optional(Eq(1.0)));
  EXPECT_THAT(requests("Get", "default", "OK", ""), Optional(Eq(2.0)));
  EXPECT_THAT(requests("Get", "default", "NOT_FOUND", "NO_SUCH_KEY"),
              Optional(Eq(1.0)));
  // An undefined store is counted, but its name never becomes a label.
  EXPECT_THAT(requests("Open", "", "NOT_FOUND", "NO_SUCH_STORE"),
              Optional(Eq(1.0)));
  EXPECT_THAT(*text, Not(HasSubstr("undefined-store-name")));
  EXPECT_THAT(*text, Not(HasSubstr("key-name")));

  EXPECT_THAT(FindSample(*samples, "kvd_request_duration_seconds_count",
                         {{"method", "Get"}, {"store", "default"}}),
              Optional(Eq(3.0)));
  EXPECT_THAT(
      FindSample(*samples, "kvd_request_duration_seconds_bucket",
                 {{"method", "Get"}, {"store", "default"}, {"le", "+Inf"}}),
      Optional(Eq(3.0)));
  EXPECT_THAT(FindSample(*samples, "kvd_request_duration_seconds_sum",
                         {{"method", "Get"}, {"store", "default"}}),
              Optional(Gt(0.0)));
  EXPECT_THAT(
      FindSample(*samples, "kvd_open_handles", {{"principal", "anonymous"}}),
      Optional(Eq(1.0)));
  EXPECT_THAT(
      FindSample(*samples, "kvd_backend_errors_total", {{"store", "default"}}),
      Optional(Eq(0.0)));
  EXPECT_THAT(
      FindSample(*samples, "kvd_store_size_bytes", {{"store", "default"}}),
      Optional(Gt(0.0)));

  // Closing the handle shows on the next scrape.
  ASSERT_TRUE(client.Close(store).ok());
  text = HttpGet(metrics_address, "/metrics");
  ASSERT_TRUE(text.ok()) << text.status();
  samples = ParsePrometheusText(*text);
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_THAT(
      FindSample(*samples, "kvd_open_handles", {{"principal", "anonymous"}}),
      Optional(Eq(0.0)));
}

TEST(KvdMetricsTest, BackendErrorsAreCountedPerStore) {
  const std::string dir = NewTempDir("metrics_broken");
  // Its parent is a regular file, so this store can never open.
  WriteFile(dir + "/kvd.toml",
            "[key_value_store.broken]\ntype = \"sqlite\"\n"
            "path = \"/dev/null/broken.db\"\n");
  auto kvd = KvdProcess::Start(
      {"--listen=127.0.0.1:0", "--config=" + dir + "/kvd.toml",
       "--data-dir=" + dir + "/data", "--metrics-listen=127.0.0.1:0"});
  ASSERT_TRUE(kvd.ok()) << kvd.status();
  KvTestClient client((*kvd)->NewChannel());
  EXPECT_EQ(client.Open("broken", nullptr).error_code, v1::ERROR_CODE_IO);
  absl::StatusOr<std::string> text = HttpGet(MetricsAddress(**kvd), "/metrics");
  ASSERT_TRUE(text.ok()) << text.status();
  absl::StatusOr<std::vector<PrometheusSample>> samples =
      ParsePrometheusText(*text);
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_THAT(
      FindSample(*samples, "kvd_backend_errors_total", {{"store", "broken"}}),
      Optional(Ge(1.0)));
  EXPECT_THAT(FindSample(*samples, "kvd_requests_total",
                         {{"method", "Open"},
                          {"store", "broken"},
                          {"grpc_code", "UNAVAILABLE"},
                          {"error_code", "IO"}}),
              Optional(Eq(1.0)));
}

TEST(KvdMetricsTest, MetricsAddressInUseStopsStartup) {
  const std::string dir = NewTempDir("metrics_in_use");
  auto first =
      KvdProcess::Start({"--listen=127.0.0.1:0", "--data-dir=" + dir + "/first",
                         "--metrics-listen=127.0.0.1:0"});
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<KvdRun> run =
      RunKvd({"--listen=127.0.0.1:0", "--data-dir=" + dir + "/second",
              "--metrics-listen=" + MetricsAddress(**first)});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 2) << run->output;
  EXPECT_THAT(run->output,
              HasSubstr("cannot serve metrics on " + MetricsAddress(**first)));
  EXPECT_THAT(run->output, Not(HasSubstr("kvd listening on")));
}

// Sends this process's stderr, and so that of the kvd it starts, to a file
// while it lives.
class ScopedStderrToFile {
 public:
  explicit ScopedStderrToFile(const std::string& path)
      : saved_(dup(STDERR_FILENO)) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  ~ScopedStderrToFile() {
    dup2(saved_, STDERR_FILENO);
    close(saved_);
  }

 private:
  const int saved_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(KvdLogTest, JsonDebugLogHasRequestLinesAndNoValues) {
  const std::string dir = NewTempDir("json_log");
  const std::string log = dir + "/kvd.log";
  const std::string secret = "hunter2-the-secret-value";
  {
    std::unique_ptr<KvdProcess> kvd;
    {
      ScopedStderrToFile redirect(log);
      auto started = KvdProcess::Start(
          {"--listen=127.0.0.1:0", "--data-dir=" + dir + "/data",
           "--log-format=json", "--log-level=debug"});
      ASSERT_TRUE(started.ok()) << started.status();
      kvd = *std::move(started);
    }
    KvTestClient client(kvd->NewChannel());
    uint32_t store = 0;
    ASSERT_TRUE(client.Open("default", &store).ok());
    ASSERT_TRUE(client.Set(store, "password", secret).ok());
    std::string value;
    ASSERT_TRUE(client.Get(store, "password", &value).ok());
    EXPECT_EQ(client.Get(store, "absent", &value).error_code,
              v1::ERROR_CODE_NO_SUCH_KEY);
    absl::StatusOr<int> code = kvd->Stop(SIGTERM, absl::Seconds(30));
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 0);
  }
  const std::string text = ReadFile(log);
  EXPECT_THAT(text, Not(HasSubstr(secret)));
  std::vector<nlohmann::json> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    nlohmann::json parsed =
        nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(parsed.is_object()) << "not a JSON object: " << line;
    EXPECT_TRUE(parsed.contains("time")) << line;
    EXPECT_TRUE(parsed.contains("level")) << line;
    EXPECT_TRUE(parsed.contains("msg")) << line;
    lines.push_back(std::move(parsed));
  }
  auto find_rpc = [&](const std::string& method,
                      const std::string& error_code) -> const nlohmann::json* {
    for (const nlohmann::json& line : lines) {
      if (line["msg"] == "rpc" && line["method"] == method &&
          line["error_code"] == error_code) {
        return &line;
      }
    }
    return nullptr;
  };
  const nlohmann::json* set = find_rpc("Set", "");
  ASSERT_NE(set, nullptr) << text;
  EXPECT_EQ((*set)["level"], "debug");
  EXPECT_EQ((*set)["store"], "default");
  EXPECT_EQ((*set)["principal"], "anonymous");
  EXPECT_EQ((*set)["grpc_code"], "OK");
  EXPECT_EQ((*set)["key_bytes"], 8);
  EXPECT_EQ((*set)["value_bytes"], secret.size());
  EXPECT_TRUE((*set)["duration_ms"].is_number());
  const nlohmann::json* missing = find_rpc("Get", "NO_SUCH_KEY");
  ASSERT_NE(missing, nullptr) << text;
  EXPECT_EQ((*missing)["grpc_code"], "NOT_FOUND");
  // Keys are not logged either: they can hold secrets too.
  EXPECT_THAT(text, Not(HasSubstr("password")));
  EXPECT_THAT(text, Not(HasSubstr("absent")));
  // Lifecycle lines are JSON too.
  EXPECT_THAT(text, HasSubstr("\"msg\":\"stopped cleanly\""));
}

TEST(KvdLogTest, InfoLevelHasNoRequestLines) {
  const std::string dir = NewTempDir("info_log");
  const std::string log = dir + "/kvd.log";
  {
    std::unique_ptr<KvdProcess> kvd;
    {
      ScopedStderrToFile redirect(log);
      auto started = KvdProcess::Start({"--listen=127.0.0.1:0",
                                        "--data-dir=" + dir + "/data",
                                        "--log-format=json"});
      ASSERT_TRUE(started.ok()) << started.status();
      kvd = *std::move(started);
    }
    KvTestClient client(kvd->NewChannel());
    ASSERT_TRUE(client.Open("default", nullptr).ok());
    absl::StatusOr<int> code = kvd->Stop(SIGTERM, absl::Seconds(30));
    ASSERT_TRUE(code.ok()) << code.status();
  }
  const std::string text = ReadFile(log);
  EXPECT_THAT(text, HasSubstr("\"msg\":\"stopped cleanly\""));
  EXPECT_THAT(text, Not(HasSubstr("\"msg\":\"rpc\"")));
}

}  // namespace
}  // namespace kv::testing
