#include "store/redis/redis_driver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/registry.h"
#include "store/testing/driver_conformance.h"
#include "store/testing/redis_server.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

// A bound on how long a failing call may take before the test calls it a
// hang. Deliberately loose: it detects a missing deadline, not slowness
// (tests assert no timings; the driver's own deadline is checked through its
// error message).
constexpr absl::Duration kHangGuard = absl::Seconds(30);

using ::kv::testing::DriverConformanceTest;
using ::kv::testing::DriverFactoryParam;
using ::kv::testing::DriverFactoryParamName;
using ::kv::testing::IsOk;
using ::kv::testing::IsOkAndHolds;
using ::kv::testing::PersistentDriverConformanceTest;
using ::kv::testing::RedisServer;
using ::kv::testing::RedisServerOptions;
using ::kv::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// One server for the conformance suite and the tests that only need a
// working Redis; each test uses store names of its own, so they never see
// each other's keys. Tests that stop or pause a server start their own.
absl::StatusOr<RedisServer*> SharedServer() {
  // Destroyed at exit, which stops the server and removes its socket
  // directory.
  static absl::StatusOr<std::unique_ptr<RedisServer>> server = [] {
    RedisServerOptions options;
    options.unix_socket = true;
    return RedisServer::Launch(options);
  }();
  if (!server.ok()) return server.status();
  return server->get();
}

// A store name no other test in this process uses.
std::string UniqueName(const std::string& base) {
  static std::atomic<int> counter{0};
  return absl::StrCat(base, "_", counter++);
}

StoreSpec RedisSpec(const std::string& name, const std::string& url) {
  StoreSpec spec;
  spec.name = name;
  spec.type = "redis";
  spec.options["url"] = url;
  return spec;
}

absl::StatusOr<std::unique_ptr<Driver>> OpenShared(
    const std::string& name, bool unix_socket = false,
    const std::string& pool_size = "") {
  absl::StatusOr<RedisServer*> server = SharedServer();
  if (!server.ok()) return server.status();
  StoreSpec spec =
      RedisSpec(name, unix_socket ? (*server)->unix_url() : (*server)->url());
  if (!pool_size.empty()) spec.options["pool_size"] = pool_size;
  return OpenDriver(spec);
}

// A configuration of the suite: `open` makes a store of a new name, and
// `reopen` opens another driver on the same Redis and store name, as a
// restarted kvd or a second kvd process sharing the Redis would.
DriverFactoryParam SharedParam(const std::string& name, bool unix_socket,
                               const std::string& pool_size) {
  auto store = std::make_shared<std::string>();
  return DriverFactoryParam{
      name,
      [=] {
        *store = UniqueName("conformance");
        return OpenShared(*store, unix_socket, pool_size);
      },
      [=] { return OpenShared(*store, unix_socket, pool_size); }};
}

std::vector<DriverFactoryParam> ConformanceParams() {
  return {
      SharedParam("tcp", false, ""),
      SharedParam("unix_socket", true, ""),
      // Every caller queues for the one connection.
      SharedParam("pool_of_one", false, "1"),
  };
}

INSTANTIATE_TEST_SUITE_P(Redis, DriverConformanceTest,
                         ::testing::ValuesIn(ConformanceParams()),
                         DriverFactoryParamName);

INSTANTIATE_TEST_SUITE_P(Redis, PersistentDriverConformanceTest,
                         ::testing::ValuesIn(ConformanceParams()),
                         DriverFactoryParamName);

// The value under `key`, without its revision.
absl::StatusOr<std::string> ValueOf(Driver& driver, absl::string_view key) {
  absl::StatusOr<Versioned> got = driver.Get(key);
  if (!got.ok()) return got.status();
  return std::move(got->value);
}

std::vector<std::string> ListAll(Driver& driver) {
  std::vector<std::string> keys;
  EXPECT_THAT(driver.ListKeys([&keys](absl::string_view key) {
    keys.emplace_back(key);
    return true;
  }),
              IsOk());
  return keys;
}

std::unique_ptr<Driver> OpenOrDie(const StoreSpec& spec) {
  absl::StatusOr<std::unique_ptr<Driver>> driver = OpenDriver(spec);
  EXPECT_THAT(driver, IsOk());
  return driver.ok() ? *std::move(driver) : nullptr;
}

// A listening socket on 127.0.0.1 and a free port; -1 on failure.
int ListenOnLoopback(int* port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd, 16) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(address.sin_port);
  return fd;
}

TEST(RedisDriverTest, IsRegisteredWithItsFields) {
  const DriverType* type = FindDriverType("redis");
  ASSERT_NE(type, nullptr);
  EXPECT_THAT(type->fields, ElementsAre("url", "timeout", "pool_size"));
}

TEST(RedisDriverTest, StoresOnOneRedisAreIsolated) {
  const std::string a_name = UniqueName("iso_a");
  const std::string b_name = UniqueName("iso_b");
  absl::StatusOr<std::unique_ptr<Driver>> a = OpenShared(a_name);
  absl::StatusOr<std::unique_ptr<Driver>> b = OpenShared(b_name);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());

  // Glob characters, a NUL, and keys that spell the other store's prefix
  // or its Redis keys.
  const std::vector<std::string> keys = {
      "*",
      "?",
      "[a-z]",
      "\\",
      "\\*",
      std::string("nul\0byte", 8),
      absl::StrCat("kvd:{", b_name, "}:"),
      absl::StrCat("kvd:{", b_name, "}:k"),
      absl::StrCat("}:"),
      "k",
  };
  for (const std::string& key : keys) {
    ASSERT_THAT((*a)->Set(key, "from a"), IsOk());
  }
  for (const std::string& key : keys) {
    EXPECT_THAT(ValueOf(**b, key), StatusIs(absl::StatusCode::kNotFound))
        << key;
    EXPECT_THAT((*b)->Exists(key), IsOkAndHolds(false)) << key;
    EXPECT_THAT((*b)->Delete(key), IsOk()) << key;
  }
  EXPECT_THAT(ListAll(**b), IsEmpty());

  ASSERT_THAT((*b)->Set("k", "from b"), IsOk());
  EXPECT_THAT(ValueOf(**a, "k"), IsOkAndHolds("from a"));
  EXPECT_THAT(ValueOf(**b, "k"), IsOkAndHolds("from b"));
  EXPECT_THAT(ListAll(**b), ElementsAre("k"));
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(ListAll(**a), sorted);
  for (const std::string& key : keys) {
    EXPECT_THAT(ValueOf(**a, key), IsOkAndHolds("from a")) << key;
  }
}

// Store names with glob characters: unescaped, "g[x]"'s SCAN pattern would
// match the keys of store "gx", and "g*"'s those of every "g..." store.
TEST(RedisDriverTest, GlobCharactersInStoreNamesMatchOnlyThemselves) {
  const std::string suffix = UniqueName("");
  const std::vector<std::string> names = {"g*" + suffix, "g?" + suffix,
                                          "g[x]" + suffix, "g\\x" + suffix,
                                          "gx" + suffix};
  std::vector<std::unique_ptr<Driver>> drivers;
  for (const std::string& name : names) {
    absl::StatusOr<std::unique_ptr<Driver>> driver = OpenShared(name);
    ASSERT_THAT(driver, IsOk()) << name;
    ASSERT_THAT((*driver)->Set("k", name), IsOk());
    ASSERT_THAT((*driver)->Set(name, name), IsOk());
    drivers.push_back(*std::move(driver));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_THAT(ListAll(*drivers[i]), ElementsAre(names[i], "k")) << names[i];
    EXPECT_THAT(ValueOf(*drivers[i], "k"), IsOkAndHolds(names[i]));
  }
  ASSERT_THAT(drivers[0]->Delete("k"), IsOk());
  EXPECT_THAT(ValueOf(*drivers[4], "k"), IsOkAndHolds(names[4]));
}

TEST(RedisDriverTest, KeysAreLaidOutUnderTheStorePrefix) {
  absl::StatusOr<RedisServer*> server = SharedServer();
  ASSERT_THAT(server, IsOk());
  const std::string name = UniqueName("layout");
  StoreSpec spec = RedisSpec(name, (*server)->url(5));
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  ASSERT_NE(driver, nullptr);
  const std::string key("a\0b", 3);
  absl::StatusOr<uint64_t> revision = driver->Set(key, "value");
  ASSERT_THAT(revision, IsOk());
  const std::string redis_key = absl::StrCat("kvd:{", name, "}:", key);
  EXPECT_THAT((*server)->Command({"TYPE", redis_key}, /*db=*/5),
              IsOkAndHolds("hash"));
  EXPECT_THAT((*server)->Command({"HGET", redis_key, "v"}, 5),
              IsOkAndHolds("value"));
  EXPECT_THAT((*server)->Command({"HGET", redis_key, "r"}, 5),
              IsOkAndHolds(absl::StrCat(*revision)));
  EXPECT_THAT((*server)->Command({"HLEN", redis_key}, 5), IsOkAndHolds("2"));
  EXPECT_THAT(
      (*server)->Command({"GET", absl::StrCat("kvd:{", name, "}#revision")}, 5),
      IsOkAndHolds(absl::StrCat(*revision)));
  EXPECT_THAT((*server)->Command({"EXISTS", redis_key}, /*db=*/0),
              IsOkAndHolds("0"));
  // The counter is not a key of the store.
  EXPECT_THAT(ListAll(*driver), ElementsAre(key));
  EXPECT_EQ(driver->Location(), (*server)->url(5));
}

// Another client may put any Redis type under a store's prefix; the driver
// reports it instead of misreading it.
TEST(RedisDriverTest, ForeignTypeUnderThePrefixIsInternal) {
  absl::StatusOr<RedisServer*> server = SharedServer();
  ASSERT_THAT(server, IsOk());
  const std::string name = UniqueName("foreign");
  // Put there before the store's first open, whose upgrade indexes it: the
  // index only learns of keys kvd wrote or found then.
  ASSERT_THAT(
      (*server)->Command({"LPUSH", absl::StrCat("kvd:{", name, "}:list"), "x"}),
      IsOk());
  std::unique_ptr<Driver> driver = OpenOrDie(RedisSpec(name, (*server)->url()));
  ASSERT_NE(driver, nullptr);
  EXPECT_THAT(
      driver->Get("list"),
      StatusIs(absl::StatusCode::kInternal,
               AllOf(HasSubstr(absl::StrCat("store \"", name, "\"")),
                     HasSubstr((*server)->address()), HasSubstr("WRONGTYPE"))));
  EXPECT_THAT(ListAll(*driver), ElementsAre("list"));
}

TEST(RedisDriverTest, VisitMayCallTheDriverWithAPoolOfOne) {
  const std::string name = UniqueName("reentrant");
  absl::StatusOr<std::unique_ptr<Driver>> driver = OpenShared(name, false, "1");
  ASSERT_THAT(driver, IsOk());
  ASSERT_THAT((*driver)->Set("a", "1"), IsOk());
  ASSERT_THAT((*driver)->Set("b", "2"), IsOk());
  std::vector<std::string> values;
  EXPECT_THAT((*driver)->ListKeys([&](absl::string_view key) {
    absl::StatusOr<std::string> value = ValueOf(**driver, key);
    EXPECT_THAT(value, IsOk());
    values.push_back(value.ok() ? *value : "");
    return true;
  }),
              IsOk());
  EXPECT_THAT(values, ElementsAre("1", "2"));
}

TEST(RedisDriverTest, PasswordWorksAndNeverShows) {
  RedisServerOptions options;
  options.password = "hunter2";
  absl::StatusOr<std::unique_ptr<RedisServer>> server =
      RedisServer::Launch(options);
  ASSERT_THAT(server, IsOk());
  const std::string address = (*server)->address();

  for (const std::string user : {"", "default"}) {
    StoreSpec spec =
        RedisSpec("auth", absl::StrCat("redis://", user, ":hunter2@", address));
    std::unique_ptr<Driver> driver = OpenOrDie(spec);
    ASSERT_NE(driver, nullptr);
    EXPECT_EQ(driver->Location(),
              absl::StrCat("redis://", user, ":***@", address, "/0"));
    ASSERT_THAT(driver->Set("k", "v"), IsOk());
    EXPECT_THAT(ValueOf(*driver, "k"), IsOkAndHolds("v"));
  }

  absl::StatusOr<std::unique_ptr<Driver>> wrong =
      OpenDriver(RedisSpec("auth", absl::StrCat("redis://:hunter3@", address)));
  EXPECT_THAT(wrong,
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr("store \"auth\""), HasSubstr(address),
                             HasSubstr("AUTH"), Not(HasSubstr("hunter")))));

  absl::StatusOr<std::unique_ptr<Driver>> none =
      OpenDriver(RedisSpec("auth", absl::StrCat("redis://", address)));
  EXPECT_THAT(none, StatusIs(absl::StatusCode::kInternal,
                             AllOf(HasSubstr("store \"auth\""),
                                   HasSubstr(address), HasSubstr("NOAUTH"))));
}

// A port that nothing listens on: refused at once.
TEST(RedisDriverTest, UnreachableServerAtOpenIsUnavailable) {
  absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Launch();
  ASSERT_THAT(server, IsOk());
  ASSERT_THAT((*server)->Stop(), IsOk());
  const absl::Time start = absl::Now();
  EXPECT_THAT(
      OpenDriver(RedisSpec("down", (*server)->url())),
      StatusIs(absl::StatusCode::kUnavailable,
               absl::StrCat("store \"down\": cannot reach Redis at ",
                            (*server)->address(), ": Connection refused")));
  EXPECT_LT(absl::Now() - start, kHangGuard);
}

// A server that accepts connections but never answers (a listening socket
// nobody reads): the open gives up at its timeout.
TEST(RedisDriverTest, SilentServerAtOpenTimesOut) {
  int port = 0;
  const int fd = ListenOnLoopback(&port);
  ASSERT_GE(fd, 0);

  StoreSpec spec =
      RedisSpec("silent", absl::StrCat("redis://127.0.0.1:", port));
  spec.options["timeout"] = "300ms";
  const absl::Time start = absl::Now();
  EXPECT_THAT(OpenDriver(spec),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("store \"silent\": cannot reach Redis "
                                       "at 127.0.0.1:"),
                             HasSubstr("no reply within the 300ms timeout"))));
  const absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(250));
  EXPECT_LT(took, kHangGuard);
  close(fd);
}

// A server that closes the connection while the driver is still sending a
// large value: hiredis then writes to a closed socket, which raises SIGPIPE
// and would kill the process. The driver turns it into Unavailable.
TEST(RedisDriverTest, ServerClosingMidWriteIsUnavailableNotSigpipe) {
  int port = 0;
  const int listen_fd = ListenOnLoopback(&port);
  ASSERT_GE(listen_fd, 0);
  std::thread fake_redis([listen_fd] {
    const int fd = accept(listen_fd, nullptr, nullptr);
    if (fd < 0) return;
    std::string received;
    char buffer[65536];
    // The driver's SELECT 0 when it connects: answer it.
    while (received.find("SELECT\r\n$1\r\n0\r\n") == std::string::npos) {
      const ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n <= 0) break;
      received.append(buffer, n);
    }
    const char ok[] = "+OK\r\n";
    if (write(fd, ok, sizeof(ok) - 1) < 0) return;
    // Then the GET of the layout marker: the store is already upgraded.
    received.clear();
    while (received.find("#layout\r\n") == std::string::npos) {
      const ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n <= 0) return;
      received.append(buffer, n);
    }
    const char marker[] = "$1\r\n2\r\n";
    if (write(fd, marker, sizeof(marker) - 1) < 0) return;
    // The first write loads its script (SCRIPT LOAD, a bulk string of N
    // bytes after "$N\r\n"): read all of it and answer with a SHA.
    received.clear();
    size_t end = std::string::npos;
    while (end == std::string::npos || received.size() < end) {
      const ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n <= 0) return;
      received.append(buffer, n);
      const size_t load = received.find("\r\nLOAD\r\n$");
      const size_t header_end =
          load == std::string::npos ? load : received.find("\r\n", load + 8);
      if (header_end != std::string::npos) {
        end = header_end + 2 +
              std::stoul(received.substr(load + 9, header_end - load - 9)) + 2;
      }
    }
    const std::string sha =
        absl::StrCat("$40\r\n", std::string(40, 'f'), "\r\n");
    if (write(fd, sha.data(), sha.size()) < 0) return;
    // Then the first bytes of the EVALSHA: hang up half-way through it. The
    // FIN, then the RST for the unread rest, make the sender's next write
    // fail with EPIPE.
    if (read(fd, buffer, sizeof(buffer)) <= 0) return;
    shutdown(fd, SHUT_WR);
    for (int i = 0; i < 4; ++i) {
      if (read(fd, buffer, sizeof(buffer)) <= 0) break;
    }
    close(fd);
  });

  StoreSpec spec =
      RedisSpec("hangup", absl::StrCat("redis://127.0.0.1:", port));
  spec.options["pool_size"] = "1";
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  if (driver != nullptr) {
    EXPECT_THAT(driver->Set("big", std::string(32 << 20, 'x')),
                StatusIs(absl::StatusCode::kUnavailable,
                         AllOf(HasSubstr("store \"hangup\": cannot write to "
                                         "Redis at 127.0.0.1:"),
                               HasSubstr("EVALSHA: "))));
  }
  fake_redis.join();
  close(listen_fd);
}

// A hung server: calls fail at their deadline, callers waiting for the pool
// too; once it resumes, the same driver works again.
TEST(RedisDriverTest, HungServerTimesOutAndRecovers) {
  absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Launch();
  ASSERT_THAT(server, IsOk());
  StoreSpec spec = RedisSpec("hung", (*server)->url());
  spec.options["timeout"] = "300ms";
  spec.options["pool_size"] = "1";
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  ASSERT_NE(driver, nullptr);
  ASSERT_THAT(driver->Set("k", "v"), IsOk());
  ASSERT_THAT(ValueOf(*driver, "k"), IsOkAndHolds("v"));

  ASSERT_THAT((*server)->Pause(), IsOk());
  absl::Status waiting_status;
  absl::Duration waiting_took;
  std::thread waiting([&] {
    absl::SleepFor(absl::Milliseconds(50));  // Let the main thread go first.
    const absl::Time start = absl::Now();
    waiting_status = driver->Set("k", "w").status();
    waiting_took = absl::Now() - start;
  });
  const absl::Time start = absl::Now();
  EXPECT_THAT(driver->Get("k"),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("store \"hung\": cannot read from "
                                       "Redis at "),
                             HasSubstr((*server)->address()),
                             HasSubstr("HMGET: no reply within the "
                                       "300ms timeout"))));
  EXPECT_LT(absl::Now() - start, kHangGuard);
  waiting.join();
  EXPECT_THAT(waiting_status,
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("store \"hung\": cannot write to Redis")));
  EXPECT_LT(waiting_took, kHangGuard);

  ASSERT_THAT((*server)->Resume(), IsOk());
  EXPECT_THAT(ValueOf(*driver, "k"), IsOkAndHolds("v"));
  EXPECT_THAT(driver->Set("k", "w"), IsOk());
  EXPECT_THAT(ValueOf(*driver, "k"), IsOkAndHolds("w"));
}

// Threads keep calling while the server is killed and started again. Every
// call returns OK or a clean Unavailable within the deadline, and once the
// server is back the same driver works without a retry.
TEST(RedisDriverTest, ServerKilledMidRunThenRestarted) {
  absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Launch();
  ASSERT_THAT(server, IsOk());
  StoreSpec spec = RedisSpec("crashy", (*server)->url());
  spec.options["timeout"] = "1s";
  spec.options["pool_size"] = "4";
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  ASSERT_NE(driver, nullptr);

  constexpr int kThreads = 6;
  std::atomic<bool> stop{false};
  absl::Mutex mutex;
  std::vector<absl::Status> failures;  // Guarded by mutex.
  int unavailable = 0;                 // Guarded by mutex.
  absl::Duration slowest;              // Guarded by mutex.
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        const std::string key = absl::StrCat("t", t, "k", i % 10);
        const absl::Time start = absl::Now();
        absl::Status status;
        switch (i % 4) {
          case 0:
            status = driver->Set(key, "v").status();
            break;
          case 1:
            status = driver->Get(key).status();
            if (absl::IsNotFound(status)) status = absl::OkStatus();
            break;
          case 2:
            status = driver->Exists(key).status();
            break;
          default:
            status = driver->ListKeys([](absl::string_view) { return true; });
        }
        const absl::Duration took = absl::Now() - start;
        absl::MutexLock lock(&mutex);
        slowest = std::max(slowest, took);
        if (absl::IsUnavailable(status)) {
          ++unavailable;
          if (unavailable == 1) failures.push_back(status);  // A sample.
        } else if (!status.ok()) {
          failures.push_back(status);
        }
        if (!status.ok()) absl::SleepFor(absl::Milliseconds(5));
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_THAT((*server)->Stop(), IsOk());
  absl::SleepFor(absl::Milliseconds(500));
  ASSERT_THAT((*server)->Start(), IsOk());
  absl::SleepFor(absl::Milliseconds(300));
  stop = true;
  for (std::thread& thread : threads) thread.join();

  absl::MutexLock lock(&mutex);
  EXPECT_GT(unavailable, 0) << "no call noticed the server was down";
  EXPECT_LT(slowest, kHangGuard);
  ASSERT_FALSE(failures.empty());
  EXPECT_THAT(
      failures[0],
      StatusIs(
          absl::StatusCode::kUnavailable,
          AllOf(HasSubstr("store \"crashy\": "),
                HasSubstr(absl::StrCat("Redis at ", (*server)->address())))));
  for (size_t i = 1; i < failures.size(); ++i) {
    ADD_FAILURE() << "not Unavailable: " << failures[i];
  }

  // Idle pooled connections to the dead server are noticed before use: no
  // call fails after the restart.
  for (int i = 0; i < 20; ++i) {
    ASSERT_THAT(driver->Set(absl::StrCat("after", i), "v"), IsOk()) << i;
    ASSERT_THAT(ValueOf(*driver, absl::StrCat("after", i)), IsOkAndHolds("v"));
  }
}

// With appendonly and appendfsync always, an acknowledged Set survives a
// crash of Redis (docs/drivers.md relies on this).
TEST(RedisDriverTest, PersistentServerKeepsAcknowledgedWritesAcrossACrash) {
  RedisServerOptions options;
  options.persistent = true;
  absl::StatusOr<std::unique_ptr<RedisServer>> server =
      RedisServer::Launch(options);
  ASSERT_THAT(server, IsOk());
  std::unique_ptr<Driver> driver =
      OpenOrDie(RedisSpec("durable", (*server)->url()));
  ASSERT_NE(driver, nullptr);
  ASSERT_THAT(driver->Set("k", "kept"), IsOk());
  ASSERT_THAT((*server)->Stop(), IsOk());
  ASSERT_THAT((*server)->Start(), IsOk());
  EXPECT_THAT(ValueOf(*driver, "k"), IsOkAndHolds("kept"));
}

}  // namespace
}  // namespace kv
