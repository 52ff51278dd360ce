#include "store/postgres/postgres_driver.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/barrier.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/driver.h"
#include "store/postgres/postgres_test_env.h"
#include "store/registry.h"
#include "store/testing/driver_conformance.h"
#include "store/testing/postgres_server.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

// A bound on how long a failing call may take before the test calls it a
// hang. Deliberately loose: it detects a missing deadline, not slowness
// (tests assert no timings; the driver's own deadline is checked through its
// error message).
constexpr absl::Duration kHangGuard = absl::Seconds(30);

using ::kv::postgres_test::FreshSpec;
using ::kv::postgres_test::FreshStoreName;
using ::kv::postgres_test::PostgresSpec;
using ::kv::postgres_test::Server;
using ::kv::postgres_test::ServerTest;
using ::kv::postgres_test::ValueOf;
using ::kv::testing::DriverConformanceTest;
using ::kv::testing::DriverFactoryParam;
using ::kv::testing::DriverFactoryParamName;
using ::kv::testing::IsOk;
using ::kv::testing::IsOkAndHolds;
using ::kv::testing::PersistentDriverConformanceTest;
using ::kv::testing::PostgresServer;
using ::kv::testing::StatusIs;
using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Every way the test password could leak into a message.
auto HidesPassword() {
  return AllOf(Not(HasSubstr(PostgresServer::kPassword)),
               Not(HasSubstr(PostgresServer::kEncodedPassword)));
}

// A conformance configuration: `open` creates a fresh store (a new store
// name, in `table`), `reopen` opens another driver on the same server,
// table and store name, as a restarted kvd or a second kvd process would.
DriverFactoryParam Configuration(const std::string& name,
                                 const std::string& table,
                                 const std::string& pool_size) {
  auto last = std::make_shared<StoreSpec>();
  DriverFactoryParam param;
  param.name = name;
  param.open = [last, name, table,
                pool_size]() -> absl::StatusOr<std::unique_ptr<Driver>> {
    absl::StatusOr<StoreSpec> spec =
        FreshSpec(absl::StrCat("conformance_", name));
    if (!spec.ok()) return spec.status();
    spec->options["table"] = table;
    if (!pool_size.empty()) spec->options["pool_size"] = pool_size;
    *last = *spec;
    return OpenDriver(*spec);
  };
  param.reopen = [last]() { return OpenDriver(*last); };
  return param;
}

// The default table and pool; and one connection with its own table:
// callers queue for the connection, and ListKeys must not hold it while
// visiting.
std::vector<DriverFactoryParam> Configurations() {
  return {Configuration("postgres", "kvd_kv", ""),
          Configuration("pool_of_one", "kvd_kv_pool1", "1")};
}

INSTANTIATE_TEST_SUITE_P(Postgres, DriverConformanceTest,
                         ::testing::ValuesIn(Configurations()),
                         DriverFactoryParamName);
INSTANTIATE_TEST_SUITE_P(Postgres, PersistentDriverConformanceTest,
                         ::testing::ValuesIn(Configurations()),
                         DriverFactoryParamName);

class PostgresDriverTest : public ServerTest {};

TEST(PostgresOptionsTest, IsRegisteredWithItsFields) {
  const DriverType* type = FindDriverType("postgres");
  ASSERT_NE(type, nullptr);
  EXPECT_THAT(type->fields,
              ElementsAre("url", "timeout", "pool_size", "table"));
}

TEST(PostgresOptionsTest, Defaults) {
  StoreSpec spec = PostgresSpec("postgresql://kv:pw@h/db", "orders");
  spec.options.erase("timeout");
  absl::StatusOr<PostgresOptions> options = PostgresOptionsFromSpec(spec);
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->store_name, "orders");
  EXPECT_EQ(options->timeout, absl::Seconds(2));
  EXPECT_EQ(options->pool_size, 8);
  EXPECT_EQ(options->table, "kvd_kv");
  EXPECT_EQ(options->url.redacted, "postgresql://kv:***@h/db");
}

TEST(PostgresOptionsTest, FieldsAreRead) {
  StoreSpec spec = PostgresSpec("postgres://h/db", "orders");
  spec.options["timeout"] = "500ms";
  spec.options["pool_size"] = "3";
  spec.options["table"] = "orders_kv";
  absl::StatusOr<PostgresOptions> options = PostgresOptionsFromSpec(spec);
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->timeout, absl::Milliseconds(500));
  EXPECT_EQ(options->pool_size, 3);
  EXPECT_EQ(options->table, "orders_kv");
}

TEST(PostgresOptionsTest, MissingUrlIsRefused) {
  StoreSpec spec = PostgresSpec("", "orders");
  spec.options.erase("url");
  EXPECT_THAT(OpenDriver(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("store \"orders\""),
                             HasSubstr("field url is required"))));
}

TEST(PostgresOptionsTest, MalformedUrlIsRefusedWithoutThePassword) {
  const StoreSpec spec = PostgresSpec(
      absl::StrCat("postgresql://kvd_test:", PostgresServer::kEncodedPassword,
                   "@127.0.0.1:notaport/kvd"),
      "orders");
  EXPECT_THAT(OpenDriver(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("store \"orders\": field url is not a "
                                       "valid PostgreSQL URL"),
                             HasSubstr("\"notaport\""), HidesPassword())));
  EXPECT_THAT(OpenDriver(PostgresSpec("localhost:5432", "orders")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("must start with postgresql://")));
}

TEST(PostgresOptionsTest, BadFieldsAreRefusedByName) {
  struct Case {
    const char* field;
    const char* value;
  };
  for (const Case& bad :
       {Case{"timeout", "soon"}, Case{"timeout", "0s"}, Case{"timeout", "-1s"},
        Case{"pool_size", "0"}, Case{"pool_size", "many"},
        Case{"pool_size", "5000"}, Case{"table", "Bad-Name"},
        Case{"table", "1kv"}, Case{"table", "kv; DROP TABLE x"},
        Case{"table", "kvd_schema"}, Case{"table", "kvd_sequences"},
        Case{"table", "kvd_rev_1"}, Case{"table", ""}}) {
    StoreSpec spec = PostgresSpec("postgresql://h/db", "orders");
    spec.options[bad.field] = bad.value;
    EXPECT_THAT(OpenDriver(spec),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("store \"orders\": field "),
                               HasSubstr(bad.field),
                               HasSubstr(absl::StrCat("\"", bad.value, "\"")))))
        << bad.field << " = " << bad.value;
  }
}

TEST_F(PostgresDriverTest, LocationHidesThePassword) {
  std::unique_ptr<Driver> driver = OpenOrDie(Spec());
  ASSERT_NE(driver, nullptr);
  EXPECT_EQ(driver->Location(),
            absl::StrCat("postgresql://kvd_test:***@127.0.0.1:",
                         server_->port(), "/kvd"));
}

TEST_F(PostgresDriverTest, StoresInOneDatabaseAreIsolated) {
  const StoreSpec spec_a = Spec("isolated_a");
  const StoreSpec spec_b = Spec("isolated_b");
  std::unique_ptr<Driver> a = OpenOrDie(spec_a);
  std::unique_ptr<Driver> b = OpenOrDie(spec_b);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_THAT(a->Set("k", "from a"), IsOk());
  ASSERT_THAT(a->Set("only a", "1"), IsOk());
  ASSERT_THAT(b->Set("k", "from b"), IsOk());
  EXPECT_THAT(ValueOf(*a, "k"), IsOkAndHolds("from a"));
  EXPECT_THAT(ValueOf(*b, "k"), IsOkAndHolds("from b"));
  EXPECT_THAT(b->Exists("only a"), IsOkAndHolds(false));
  EXPECT_THAT(b->Get("only a"), StatusIs(absl::StatusCode::kNotFound));
  std::vector<std::string> b_keys;
  ASSERT_THAT(b->ListKeys([&](absl::string_view key) {
    b_keys.emplace_back(key);
    return true;
  }),
              IsOk());
  EXPECT_THAT(b_keys, ElementsAre("k"));
  ASSERT_THAT(b->Delete("k"), IsOk());
  EXPECT_THAT(ValueOf(*a, "k"), IsOkAndHolds("from a"));

  // A second driver on the same store (another kvd) sees the same data.
  std::unique_ptr<Driver> a_again = OpenOrDie(spec_a);
  ASSERT_NE(a_again, nullptr);
  EXPECT_THAT(ValueOf(*a_again, "only a"), IsOkAndHolds("1"));
  ASSERT_THAT(a_again->Delete("only a"), IsOk());
  EXPECT_THAT(a->Exists("only a"), IsOkAndHolds(false));

  EXPECT_THAT(
      server_->Query(absl::StrCat("SELECT count(*) FROM kvd_kv WHERE store = '",
                                  spec_a.name, "'")),
      IsOkAndHolds("1"));
}

TEST_F(PostgresDriverTest, SchemaIsRecordedAndKeysAreBytea) {
  StoreSpec spec = Spec();
  spec.options["table"] = "schema_check";
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  ASSERT_NE(driver, nullptr);
  ASSERT_THAT(driver->Set(std::string("a\0b", 3), std::string("\0", 1)),
              IsOk());
  EXPECT_THAT(server_->Query("SELECT version FROM kvd_schema WHERE "
                             "table_name = 'schema_check'"),
              IsOkAndHolds(absl::StrCat(kPostgresSchemaVersion)));
  EXPECT_THAT(server_->Query("SELECT string_agg(a.attname || ':' || "
                             "format_type(a.atttypid, NULL), ',' ORDER BY "
                             "a.attnum) FROM pg_attribute a WHERE "
                             "a.attrelid = 'schema_check'::regclass AND "
                             "a.attnum > 0"),
              IsOkAndHolds("store:text,key:bytea,value:bytea,revision:bigint,"
                           "expires_at:bigint"));
  EXPECT_THAT(server_->Query("SELECT encode(key, 'hex') || '=' || "
                             "encode(value, 'hex') FROM schema_check"),
              IsOkAndHolds("610062=00"));
  EXPECT_THAT(
      server_->Query("SELECT pg_get_indexdef(conindid) FROM pg_constraint "
                     "WHERE conrelid = 'schema_check'::regclass AND "
                     "contype = 'p'"),
      IsOkAndHolds(HasSubstr("(store, key)")));
}

TEST_F(PostgresDriverTest, NewerSchemaVersionIsRefused) {
  StoreSpec spec = Spec();
  spec.options["table"] = "from_the_future";
  ASSERT_NE(OpenOrDie(spec), nullptr);
  ASSERT_THAT(
      server_->Query(absl::StrCat(
          "UPDATE kvd_schema SET version = ", kPostgresSchemaVersion + 1,
          " WHERE table_name = 'from_the_future'")),
      IsOk());
  EXPECT_THAT(
      OpenDriver(spec),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr(absl::StrCat("store \"", spec.name, "\"")),
                     HasSubstr(absl::StrCat(
                         "table from_the_future has schema version ",
                         kPostgresSchemaVersion + 1,
                         " but this kvd supports only up to ",
                         kPostgresSchemaVersion)),
                     HidesPassword())));
}

TEST_F(PostgresDriverTest, TableKvdDidNotCreateIsRefused) {
  ASSERT_THAT(server_->Query("CREATE TABLE customers (id int)"), IsOk());
  StoreSpec spec = Spec();
  spec.options["table"] = "customers";
  EXPECT_THAT(OpenDriver(spec),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("table customers exists but is not a kvd "
                                 "table")));
  EXPECT_THAT(server_->Query("SELECT count(*) FROM kvd_schema WHERE "
                             "table_name = 'customers'"),
              IsOkAndHolds("0"));
}

TEST_F(PostgresDriverTest, ConcurrentSchemaCreationBothSucceed) {
  for (int round = 0; round < 5; ++round) {
    const std::string table = absl::StrCat("raced_", round);
    constexpr int kDrivers = 4;
    absl::Barrier barrier(kDrivers);
    std::vector<absl::Status> results(kDrivers);
    std::vector<std::thread> threads;
    for (int i = 0; i < kDrivers; ++i) {
      StoreSpec spec = Spec("raced");
      spec.options["table"] = table;
      threads.emplace_back([&barrier, &results, i, spec] {
        barrier.Block();
        absl::StatusOr<std::unique_ptr<Driver>> driver = OpenDriver(spec);
        results[i] = driver.status();
        if (driver.ok()) results[i] = (*driver)->Set("k", "v").status();
      });
    }
    for (std::thread& thread : threads) thread.join();
    for (const absl::Status& result : results) {
      EXPECT_THAT(result, IsOk()) << "round " << round;
    }
    EXPECT_THAT(server_->Query(absl::StrCat(
                    "SELECT count(*) FROM kvd_schema WHERE table_name = '",
                    table, "'")),
                IsOkAndHolds("1"));
  }
}

TEST_F(PostgresDriverTest, ListKeysLetsVisitCallTheDriver) {
  StoreSpec spec = Spec();
  spec.options["pool_size"] = "1";
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  ASSERT_NE(driver, nullptr);
  for (int i = 0; i < 2500; ++i) {
    ASSERT_THAT(driver->Set(absl::StrFormat("k%04d", i), "v"), IsOk());
  }
  int visited = 0;
  ASSERT_THAT(driver->ListKeys([&](absl::string_view key) {
    EXPECT_THAT(ValueOf(*driver, key), IsOkAndHolds("v"));
    ++visited;
    return true;
  }),
              IsOk());
  EXPECT_EQ(visited, 2500);
}

TEST_F(PostgresDriverTest, WrongPasswordIsUnavailableWithoutThePassword) {
  const std::string wrong = "wr0ng/pass";
  StoreSpec spec =
      PostgresSpec(absl::StrCat("postgresql://kvd_test:wr0ng%2Fpass@127.0.0.1:",
                                server_->port(), "/kvd"),
                   "orders");
  EXPECT_THAT(
      OpenDriver(spec),
      StatusIs(absl::StatusCode::kUnavailable,
               AllOf(HasSubstr(absl::StrCat(
                         "store \"orders\": cannot connect to PostgreSQL "
                         "127.0.0.1:",
                         server_->port(), "/kvd: ")),
                     HasSubstr("password authentication failed"),
                     Not(HasSubstr(wrong)), Not(HasSubstr("wr0ng%2Fpass")))));
}

TEST_F(PostgresDriverTest, ClosedPortIsUnavailableAtOnce) {
  // Bound but not listening: connections are refused.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
            0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int port = ntohs(address.sin_port);
  StoreSpec spec = PostgresSpec(
      absl::StrCat("postgresql://kvd_test:", PostgresServer::kEncodedPassword,
                   "@127.0.0.1:", port, "/kvd"),
      "orders");
  spec.options["timeout"] = "2s";
  const absl::Time start = absl::Now();
  EXPECT_THAT(
      OpenDriver(spec),
      StatusIs(
          absl::StatusCode::kUnavailable,
          AllOf(HasSubstr(absl::StrCat("store \"orders\": cannot connect to "
                                       "PostgreSQL 127.0.0.1:",
                                       port, "/kvd: ")),
                HasSubstr("refused"), HidesPassword())));
  EXPECT_LT(absl::Now() - start, kHangGuard);
  close(fd);
}

// A server that accepts the connection and never answers, like a host that
// hangs or a stalled network: open gives up at the timeout.
TEST_F(PostgresDriverTest, ServerThatNeverAnswersIsUnavailableAtTheTimeout) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
            0);
  ASSERT_EQ(listen(fd, 16), 0);  // The kernel completes the handshake.
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  StoreSpec spec = PostgresSpec(
      absl::StrCat("postgresql://kvd_test:", PostgresServer::kEncodedPassword,
                   "@127.0.0.1:", ntohs(address.sin_port),
                   "/kvd?sslmode=disable"),
      "orders");
  spec.options["timeout"] = "1s";
  const absl::Time start = absl::Now();
  EXPECT_THAT(
      OpenDriver(spec),
      StatusIs(absl::StatusCode::kUnavailable,
               AllOf(HasSubstr("store \"orders\": cannot connect to "
                               "PostgreSQL"),
                     HasSubstr("no answer within 1s"), HidesPassword())));
  const absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(900));
  EXPECT_LT(took, kHangGuard);
  close(fd);
}

// The pids of the server processes serving connections named `kvd`.
std::vector<pid_t> KvdBackends(PostgresServer& server) {
  absl::StatusOr<std::string> pids = server.Query(
      "SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE "
      "application_name = 'kvd'");
  EXPECT_THAT(pids, IsOk());
  std::vector<pid_t> result;
  if (!pids.ok()) return result;
  for (absl::string_view pid : absl::StrSplit(*pids, ',', absl::SkipEmpty())) {
    int value = 0;
    if (absl::SimpleAtoi(pid, &value)) result.push_back(value);
  }
  return result;
}

// A server that stops answering in the middle of a call (its backends are
// frozen): the call returns Unavailable at its deadline, and the next call,
// once the server answers again, succeeds on a new connection.
TEST_F(PostgresDriverTest, StalledServerTimesOutAndTheDriverRecovers) {
  StoreSpec spec = Spec("stalled");
  spec.options["timeout"] = "1s";
  spec.options["pool_size"] = "1";
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  ASSERT_NE(driver, nullptr);
  ASSERT_THAT(driver->Set("k", "v"), IsOk());
  // Only this test's drivers are alive; freeze their backends.
  std::vector<pid_t> backends = KvdBackends(*server_);
  ASSERT_FALSE(backends.empty());
  for (pid_t pid : backends) ASSERT_EQ(kill(pid, SIGSTOP), 0) << pid;
  const absl::Time start = absl::Now();
  EXPECT_THAT(driver->Get("k"),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr(absl::StrCat("store \"", spec.name,
                                                    "\": cannot read from")),
                             HasSubstr("no answer within 1s"))));
  const absl::Duration took = absl::Now() - start;
  for (pid_t pid : backends) kill(pid, SIGCONT);
  EXPECT_GE(took, absl::Milliseconds(900));
  EXPECT_LT(took, kHangGuard);
  EXPECT_THAT(ValueOf(*driver, "k"), IsOkAndHolds("v"));
}

// The server dies while calls run: each call returns OK or Unavailable
// within its deadline, never hangs or crashes; once the server is back the
// same driver works again, with the data written before the crash.
TEST_F(PostgresDriverTest, ServerKilledDuringCallsThenRestarted) {
  StoreSpec spec = Spec("killed");
  spec.options["timeout"] = "2s";
  spec.options["pool_size"] = "4";
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  ASSERT_NE(driver, nullptr);
  ASSERT_THAT(driver->Set("before", "crash"), IsOk());

  std::atomic<bool> stop{false};
  std::atomic<int> ok_calls{0};
  std::atomic<int> unavailable_calls{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        const absl::Time start = absl::Now();
        const std::string key = absl::StrCat("t", t, "/", i % 10);
        absl::Status status = (i % 2 == 0) ? driver->Set(key, "v").status()
                                           : driver->Get("before").status();
        const absl::Duration took = absl::Now() - start;
        EXPECT_LT(took, kHangGuard) << status;
        if (status.ok()) {
          ++ok_calls;
        } else {
          ++unavailable_calls;
          EXPECT_THAT(
              status,
              StatusIs(
                  absl::StatusCode::kUnavailable,
                  AllOf(HasSubstr(absl::StrCat("store \"", spec.name, "\": ")),
                        HasSubstr(absl::StrCat("PostgreSQL 127.0.0.1:",
                                               server_->port(), "/kvd: ")),
                        HidesPassword())));
        }
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_THAT(server_->Stop(), IsOk());
  absl::SleepFor(absl::Milliseconds(1000));
  const int ok_while_down_start = ok_calls.load();
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(ok_calls.load(), ok_while_down_start) << "calls succeeded while "
                                                     "the server was down";
  stop = true;
  for (std::thread& thread : threads) thread.join();
  EXPECT_GT(ok_calls.load(), 0);
  EXPECT_GT(unavailable_calls.load(), 0);

  EXPECT_THAT(driver->Get("before"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("refused")));
  ASSERT_THAT(server_->Start(), IsOk());
  // The very first call after the restart works: connections to the dead
  // server are noticed and replaced before use.
  EXPECT_THAT(ValueOf(*driver, "before"), IsOkAndHolds("crash"));
  for (int i = 0; i < 20; ++i) {
    ASSERT_THAT(driver->Set(absl::StrCat("after", i), "restart"), IsOk());
  }
  EXPECT_THAT(ValueOf(*driver, "after7"), IsOkAndHolds("restart"));
}

// Every idle connection in the pool died with the server: a burst of
// concurrent calls after the restart all succeed.
TEST_F(PostgresDriverTest, WholePoolIsReplacedAfterARestart) {
  StoreSpec spec = Spec("pool_restart");
  spec.options["pool_size"] = "4";
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  ASSERT_NE(driver, nullptr);
  {
    // Fill the pool with four connections.
    absl::Barrier barrier(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        barrier.Block();
        EXPECT_THAT(driver->Set("k", "v"), IsOk());
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  ASSERT_THAT(server_->Stop(), IsOk());
  ASSERT_THAT(server_->Start(), IsOk());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i)
        EXPECT_THAT(ValueOf(*driver, "k"), IsOkAndHolds("v"));
    });
  }
  for (std::thread& thread : threads) thread.join();
}

// As when kvd starts before its database: open fails fast while the server
// is down, and works once it is up.
TEST_F(PostgresDriverTest, OpenWhileServerIsDownThenUp) {
  const StoreSpec spec = Spec("late");
  ASSERT_THAT(server_->Stop(), IsOk());
  EXPECT_THAT(OpenDriver(spec),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("cannot connect to PostgreSQL"),
                             HidesPassword())));
  ASSERT_THAT(server_->Start(), IsOk());
  std::unique_ptr<Driver> driver = OpenOrDie(spec);
  ASSERT_NE(driver, nullptr);
  EXPECT_THAT(driver->Set("k", "v"), IsOk());
}

}  // namespace
}  // namespace kv
