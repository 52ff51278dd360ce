#include "tools/kvctl/transfer.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "clients/cpp/fake_key_value.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/kvctl/expiry_text.h"
#include "tools/kvctl/record_format.h"
#include "tools/kvctl/store_session.h"

namespace kv::kvctl {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

std::string Contents(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    text.append(buffer, n);
  }
  return text;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class TransferTest : public ::testing::Test {
 protected:
  TransferTest() {
    env_.channel = server_.channel();
    env_.store = "default";
    env_.options.timeout = absl::Seconds(10);
    env_.out_is_terminal = false;
    quiet_.quiet = true;
    const char* tmp = std::getenv("TEST_TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr ? tmp : "/tmp") + "/transfer.XXXXXX";
    dir_ = mkdtemp(pattern.data());
    Reset();
  }
  ~TransferTest() override { Close(); }

  void Reset() {
    Close();
    env_.in = std::tmpfile();
    env_.out = std::tmpfile();
    env_.err = std::tmpfile();
  }
  void Close() {
    for (std::FILE* f : {env_.in, env_.out, env_.err}) {
      if (f != nullptr) std::fclose(f);
    }
    env_.in = env_.out = env_.err = nullptr;
  }
  void SetInput(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), env_.in);
    std::rewind(env_.in);
  }

  // Sets keys directly through a session (not through import).
  void Put(const std::string& key, const std::string& value) {
    absl::StatusOr<StoreSession> session =
        StoreSession::Open(server_.channel(), "default", kvd::Options());
    ASSERT_TRUE(session.ok());
    ASSERT_TRUE(session->Set(key, value).ok());
  }
  // The value of `key`, or "<missing>".
  std::string Value(const std::string& key) {
    absl::StatusOr<StoreSession> session =
        StoreSession::Open(server_.channel(), "default", kvd::Options());
    absl::StatusOr<std::string> value = session->Get(key);
    return value.ok() ? *value : "<missing>";
  }
  std::vector<std::string> Keys() {
    absl::StatusOr<StoreSession> session =
        StoreSession::Open(server_.channel(), "default", kvd::Options());
    return *session->GetKeys();
  }

  std::set<std::string> Files() const {
    std::set<std::string> names;
    DIR* dir = opendir(dir_.c_str());
    while (dirent* entry = readdir(dir)) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") names.insert(name);
    }
    closedir(dir);
    return names;
  }

  std::string out() { return Contents(env_.out); }
  std::string err() { return Contents(env_.err); }

  kvd::FakeKeyValueServer server_;
  CommandEnv env_{};
  ProgressOptions quiet_;
  std::string dir_;
};

TEST_F(TransferTest, ExportWritesOneRecordPerKeyInKeyOrder) {
  Put("b", std::string("\0x\0", 3));
  Put("a", "hello");
  Put("caf\xc3\xa9", "");
  ASSERT_EQ(RunExport(env_, "", quiet_), ExitCode::kSuccess) << err();
  EXPECT_EQ(out(),
            "{\"key\":\"a\",\"value\":\"aGVsbG8=\"}\n"
            "{\"key\":\"b\",\"value\":\"AHgA\"}\n"
            "{\"key\":\"caf\xc3\xa9\",\"value\":\"\"}\n");
  EXPECT_EQ(err(), "");
  EXPECT_EQ(server_.service().open_handles(), 0);
}

TEST_F(TransferTest, ExportOfAnEmptyStoreIsEmpty) {
  ASSERT_EQ(RunExport(env_, "", ProgressOptions()), ExitCode::kSuccess);
  EXPECT_EQ(out(), "");
  EXPECT_THAT(err(), StartsWith("exported 0 keys, 0 B, in "));
}

TEST_F(TransferTest, ExportProgressAndSummary) {
  Put("a", "1");
  Put("b", "2");
  ProgressOptions every_key;
  every_key.interval = absl::ZeroDuration();
  ASSERT_EQ(RunExport(env_, "", every_key), ExitCode::kSuccess);
  EXPECT_THAT(err(), ContainsRegex("^exported 1 key \\(27 B\\)\n"
                                   "exported 2 keys \\(54 B\\)\n"
                                   "exported 2 keys, 54 B, in [0-9.]+ s\n$"));
}

TEST_F(TransferTest, ExportToAFileRenamesItIntoPlace) {
  Put("k", "v");
  const std::string path = dir_ + "/dump.jsonl";
  ASSERT_EQ(RunExport(env_, path, quiet_), ExitCode::kSuccess) << err();
  EXPECT_EQ(ReadFile(path), "{\"key\":\"k\",\"value\":\"dg==\"}\n");
  EXPECT_EQ(Files(), std::set<std::string>{"dump.jsonl"});
  EXPECT_EQ(out(), "");
}

TEST_F(TransferTest, ExportOfAnUnknownStoreLeavesNoFile) {
  env_.store = "nosuch";
  EXPECT_EQ(RunExport(env_, dir_ + "/dump.jsonl", quiet_), ExitCode::kRefused);
  EXPECT_THAT(err(), HasSubstr("kvctl: open store \"nosuch\": NO_SUCH_STORE"));
  EXPECT_THAT(Files(), IsEmpty());
}

TEST_F(TransferTest, ExportThatFailsMidwayLeavesTheOldFile) {
  Put("a", "1");
  Put("b", "2");
  const std::string path = dir_ + "/dump.jsonl";
  std::ofstream(path) << "previous\n";
  server_.service().FailNextCall(
      grpc::Status(grpc::StatusCode::INTERNAL, "IO: disk on fire"),
      "ERROR_CODE_IO", "GetMany");
  EXPECT_EQ(RunExport(env_, path, quiet_), ExitCode::kRefused);
  EXPECT_THAT(err(), HasSubstr("get 2 keys (\"a\", ...) from store "
                               "\"default\": IO: disk"));
  EXPECT_EQ(ReadFile(path), "previous\n");
  EXPECT_EQ(Files(), std::set<std::string>{"dump.jsonl"});
}

TEST_F(TransferTest, ExportToAMissingFolderIsLocalIoBeforeAnyCall) {
  EXPECT_EQ(RunExport(env_, dir_ + "/no/dump.jsonl", quiet_),
            ExitCode::kLocalIo);
  EXPECT_THAT(err(), HasSubstr("kvctl: cannot create"));
  EXPECT_EQ(server_.service().close_calls(), 0);
}

// A kvd without ListKeys: export falls back to one GetKeys.
TEST_F(TransferTest, ExportFromAKvdWithoutListKeysUsesGetKeys) {
  Put("b", "2");
  Put("a", "1");
  server_.service().Unimplement("ListKeys");
  ASSERT_EQ(RunExport(env_, "", quiet_), ExitCode::kSuccess) << err();
  EXPECT_EQ(out(),
            "{\"key\":\"a\",\"value\":\"MQ==\"}\n"
            "{\"key\":\"b\",\"value\":\"Mg==\"}\n");
}

TEST_F(TransferTest, ExportOfTooManyKeysSaysWhatToDo) {
  Put("k", "v");
  server_.service().Unimplement("ListKeys");
  server_.service().FailNextCall(
      grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                   "IO: store \"default\" has more keys than fit in one "
                   "GetKeys response"),
      "ERROR_CODE_IO", "GetKeys");
  const std::string path = dir_ + "/dump.jsonl";
  EXPECT_EQ(RunExport(env_, path, quiet_), ExitCode::kRefused);
  const std::string message = err();
  EXPECT_THAT(message, HasSubstr("kvctl: list the keys of store \"default\": "
                                 "IO: store \"default\" has more keys than "
                                 "fit in one GetKeys response "
                                 "(RESOURCE_EXHAUSTED)"));
  EXPECT_THAT(message, HasSubstr("raise [limits] max_get_keys_bytes"));
  EXPECT_EQ(message.find('\n'), message.size() - 1);
  EXPECT_THAT(Files(), IsEmpty());
}

TEST_F(TransferTest, ExportOverKvctlsReceiveLimitIsRefusedToo) {
  server_.service().Unimplement("ListKeys");
  server_.service().FailNextCall(
      grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                   "Received message larger than max"),
      "", "GetKeys");
  EXPECT_EQ(RunExport(env_, "", quiet_), ExitCode::kRefused);
  EXPECT_THAT(err(), HasSubstr("max_get_keys_bytes"));
}

TEST_F(TransferTest, ExportSkipsAndCountsAKeyDeletedAfterItWasListed) {
  Put("a", "1");
  Put("b", "2");
  server_.service().DeleteBeforeNextCall("GetMany", "a");
  ASSERT_EQ(RunExport(env_, "", ProgressOptions()), ExitCode::kSuccess);
  EXPECT_EQ(out(), "{\"key\":\"b\",\"value\":\"Mg==\"}\n");
  EXPECT_THAT(err(), ContainsRegex("^exported 1 key, 27 B, in [0-9.]+ s; "
                                   "skipped 1 key deleted or expired during "
                                   "the export\n$"));
}

// 2,500 keys: three ListKeys pages of at most 1,000 (the store's batch
// limit), each read with GetMany, and never the whole store at once.
TEST_F(TransferTest, ExportReadsAPageAtATime) {
  {
    absl::StatusOr<StoreSession> session =
        StoreSession::Open(server_.channel(), "default", kvd::Options());
    ASSERT_TRUE(session.ok());
    for (int i = 0; i < 2500; ++i) {
      ASSERT_TRUE(session->Set(absl::StrCat("k", 10000 + i), "v").ok());
    }
  }
  const int before = server_.service().list_keys_calls();
  ASSERT_EQ(RunExport(env_, "", quiet_), ExitCode::kSuccess) << err();
  EXPECT_EQ(server_.service().list_keys_calls() - before, 3);
  EXPECT_EQ(server_.service().last_list_keys_request().page_size(), 1000);
  const std::string text = out();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2500);
  EXPECT_THAT(text, StartsWith("{\"key\":\"k10000\",\"value\":\"dg==\"}\n"
                               "{\"key\":\"k10001\","));
}

// Values that do not fit in one GetMany response: the batch is halved.
TEST_F(TransferTest, ExportSplitsABatchTooBigForOneResponse) {
  Put("a", "1");
  Put("b", "2");
  Put("c", "3");
  server_.service().FailNextCall(
      grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                   "IO: the values are over limits.max_batch_bytes"),
      "ERROR_CODE_IO", "GetMany");
  ASSERT_EQ(RunExport(env_, "", quiet_), ExitCode::kSuccess) << err();
  EXPECT_EQ(out(),
            "{\"key\":\"a\",\"value\":\"MQ==\"}\n"
            "{\"key\":\"b\",\"value\":\"Mg==\"}\n"
            "{\"key\":\"c\",\"value\":\"Mw==\"}\n");
}

TEST_F(TransferTest, ExpiringKeysKeepTheirExpireTimeThroughExportAndImport) {
  {
    absl::StatusOr<StoreSession> session =
        StoreSession::Open(server_.channel(), "default", kvd::Options());
    ASSERT_TRUE(session.ok());
    ASSERT_TRUE(session->Set("session", "s", std::chrono::hours(1)).ok());
    ASSERT_TRUE(session->Set("plain", "p").ok());
  }
  ASSERT_EQ(RunExport(env_, "", quiet_), ExitCode::kSuccess) << err();
  const std::string dump = out();
  EXPECT_THAT(dump,
              ContainsRegex("^\\{\"key\":\"plain\",\"value\":\"cA==\"\\}\n"
                            "\\{\"key\":\"session\",\"value\":\"cw==\","
                            "\"expire_time\":\"[-0-9T:.]+Z\"\\}\n$"));
  absl::StatusOr<Record> exported = DecodeRecord(
      dump.substr(dump.find("{\"key\":\"session\""))
          .substr(0, dump.size() - dump.find("{\"key\":\"session\"") - 1));
  ASSERT_TRUE(exported.ok()) << exported.status();

  // Into an empty store: the same expire time (to kvd's millisecond).
  kvd::FakeKeyValueServer target;
  env_.channel = target.channel();
  Reset();
  SetInput(dump);
  ASSERT_EQ(RunImport(env_, "", false, quiet_), ExitCode::kSuccess) << err();
  absl::StatusOr<StoreSession> session =
      StoreSession::Open(target.channel(), "default", kvd::Options());
  ASSERT_TRUE(session.ok());
  absl::StatusOr<kvd::Versioned> imported = session->GetEntry("session");
  ASSERT_TRUE(imported.ok()) << imported.status();
  ASSERT_TRUE(imported->expire_time.has_value());
  // The ttl is what was left by kvctl's clock when it read the record; the
  // server adds it to its own clock a call later, so the two differ by about
  // that call's latency, either way (the export's time is to the ms).
  EXPECT_LE(*imported->expire_time,
            *exported->expire_time + std::chrono::seconds(5));
  EXPECT_GE(*imported->expire_time,
            *exported->expire_time - std::chrono::seconds(5));
  EXPECT_EQ(session->GetEntry("plain")->expire_time, std::nullopt);
}

TEST_F(TransferTest, ImportSkipsRecordsThatHaveExpired) {
  SetInput(
      "{\"key\":\"old\",\"value\":\"MQ==\",\"expire_time\":"
      "\"2001-01-01T00:00:00.000Z\"}\n"
      "{\"key\":\"new\",\"value\":\"Mg==\",\"expire_time\":\"" +
      FormatExpireTime(std::chrono::system_clock::now() +
                       std::chrono::hours(1)) +
      "\"}\n");
  ASSERT_EQ(RunImport(env_, "", false, ProgressOptions()), ExitCode::kSuccess)
      << err();
  EXPECT_EQ(Value("old"), "<missing>");
  EXPECT_EQ(Value("new"), "2");
  EXPECT_THAT(err(), ContainsRegex("^imported 2 keys, [0-9]+ B, in [0-9.]+ s; "
                                   "1 key already expired, not imported\n$"));
}

TEST_F(TransferTest, ExportUnreachable) {
  server_.service().FailNextCall(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "failed to connect"), "");
  EXPECT_EQ(RunExport(env_, "", quiet_), ExitCode::kUnreachable);
}

TEST_F(TransferTest, ImportSetsEveryRecord) {
  SetInput(
      "{\"key\":\"a\",\"value\":\"aGVsbG8=\"}\n"
      "{\"value\":\"AHgA\",\"key\":\"b\"}\r\n"
      "{\"key\":\"caf\xc3\xa9\",\"value\":\"\"}");  // No final newline.
  ASSERT_EQ(RunImport(env_, "", false, ProgressOptions()), ExitCode::kSuccess)
      << err();
  EXPECT_EQ(Value("a"), "hello");
  EXPECT_EQ(Value("b"), std::string("\0x\0", 3));
  EXPECT_EQ(Value("caf\xc3\xa9"), "");
  EXPECT_THAT(err(),
              ContainsRegex("^imported 3 keys, [0-9]+ B, in [0-9.]+ s\n$"));
  EXPECT_EQ(out(), "");
  EXPECT_EQ(server_.service().open_handles(), 0);
}

TEST_F(TransferTest, ImportOfNothingSucceeds) {
  ASSERT_EQ(RunImport(env_, "", false, quiet_), ExitCode::kSuccess);
  EXPECT_EQ(err(), "");
}

TEST_F(TransferTest, ImportStopsAtTheFirstBadLine) {
  SetInput(
      "{\"key\":\"a\",\"value\":\"MQ==\"}\n"
      "{\"key\":\"b\",\"value\":\"Mg==\"}\n"
      "{\"key\":\"c\"}\n"
      "{\"key\":\"d\",\"value\":\"NA==\"}\n");
  EXPECT_EQ(RunImport(env_, "", false, quiet_), ExitCode::kBadInput);
  EXPECT_EQ(err(),
            "kvctl: line 3: missing field \"value\" (in stdin; imported the 2 "
            "keys before it into store \"default\", nothing after)\n");
  EXPECT_EQ(Keys(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(server_.service().set_calls(), 2);
}

TEST_F(TransferTest, ImportNamesTheLineOfEachKindOfError) {
  const struct {
    std::string input;
    std::string error;
  } cases[] = {
      {"not json\n", "line 1: not valid JSON: "},
      {"{\"key\":\"a\",\"value\":\"MQ==\"}\n\n", "line 2: empty line"},
      {"{\"key\":\"a\",\"value\":\"MQ==\"}\n[1]\n", "line 2: not a record"},
      {"{\"value\":\"MQ==\"}\n", "line 1: missing field \"key\""},
      {"{\"key\":\"a\",\"value\":\"MQ\"}\n",
       "line 1: field \"value\" of key \"a\" is not standard padded base64"},
      {"{\"key\":\"\",\"value\":\"\"}\n", "line 1: field \"key\" is empty"},
      {"{\"key\":\"\xc3\",\"value\":\"\"}\n", "line 1: not valid JSON"},
  };
  for (const auto& test : cases) {
    Reset();
    SetInput(test.input);
    EXPECT_EQ(RunImport(env_, "", false, quiet_), ExitCode::kBadInput)
        << test.input;
    EXPECT_THAT(err(), StartsWith("kvctl: " + test.error)) << test.input;
  }
}

TEST_F(TransferTest, DryRunValidatesAndSetsNothing) {
  SetInput(
      "{\"key\":\"a\",\"value\":\"MQ==\"}\n"
      "{\"key\":\"b\",\"value\":\"Mg==\"}\n");
  ASSERT_EQ(RunImport(env_, "", true, ProgressOptions()), ExitCode::kSuccess);
  EXPECT_THAT(err(), ContainsRegex("^validated 2 keys, 54 B, in [0-9.]+ s; "
                                   "nothing imported \\(--dry-run\\)\n$"));
  EXPECT_EQ(server_.service().set_calls(), 0);
  EXPECT_EQ(server_.service().close_calls(), 0);  // Never even opened.
}

TEST_F(TransferTest, DryRunReportsTheBadLine) {
  SetInput("{\"key\":\"a\",\"value\":\"MQ==\"}\n{\"key\":\"b\"\n");
  EXPECT_EQ(RunImport(env_, "", true, quiet_), ExitCode::kBadInput);
  EXPECT_THAT(err(), StartsWith("kvctl: line 2: not valid JSON"));
  EXPECT_THAT(err(), HasSubstr("(in stdin; --dry-run: nothing imported)"));
}

TEST_F(TransferTest, ImportStopsAtAFailedSet) {
  SetInput(
      "{\"key\":\"a\",\"value\":\"MQ==\"}\n"
      "{\"key\":\"b\",\"value\":\"Mg==\"}\n");
  server_.service().FailNextCall(
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                   "IO: value is 1 bytes, over the limit"),
      "ERROR_CODE_IO", "Set");
  EXPECT_EQ(RunImport(env_, "", false, quiet_), ExitCode::kRefused);
  EXPECT_EQ(err(),
            "kvctl: line 1: set \"a\" in store \"default\": IO: value is 1 "
            "bytes, over the limit (INVALID_ARGUMENT) (in stdin; imported the "
            "0 keys before it into store \"default\", nothing after)\n");
  EXPECT_THAT(Keys(), IsEmpty());
  EXPECT_EQ(server_.service().set_calls(), 1);
}

TEST_F(TransferTest, ImportFromAFile) {
  const std::string path = dir_ + "/in.jsonl";
  std::ofstream(path) << "{\"key\":\"k\",\"value\":\"dg==\"}\n";
  ASSERT_EQ(RunImport(env_, path, false, quiet_), ExitCode::kSuccess) << err();
  EXPECT_EQ(Value("k"), "v");
}

TEST_F(TransferTest, ImportFromAMissingFileIsLocalIo) {
  EXPECT_EQ(RunImport(env_, dir_ + "/none", false, quiet_), ExitCode::kLocalIo);
  EXPECT_THAT(err(), HasSubstr("kvctl: cannot open \""));
}

TEST_F(TransferTest, ImportIntoAnUnknownStoreReadsNothing) {
  env_.store = "nosuch";
  SetInput("garbage\n");
  EXPECT_EQ(RunImport(env_, "", false, quiet_), ExitCode::kRefused);
  EXPECT_THAT(err(), HasSubstr("NO_SUCH_STORE"));
}

TEST_F(TransferTest, ExportThenImportRoundTripsEveryByte) {
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  Put("all", all_bytes);
  Put(std::string("nul\0key", 7), std::string(70000, '\0'));
  Put("\xe6\x97\xa5\xe6\x9c\xac", "utf-8");
  Put("empty", "");
  const std::string path = dir_ + "/dump.jsonl";
  ASSERT_EQ(RunExport(env_, path, quiet_), ExitCode::kSuccess) << err();
  const std::vector<std::string> keys = Keys();
  {
    absl::StatusOr<StoreSession> session =
        StoreSession::Open(server_.channel(), "default", kvd::Options());
    for (const std::string& key : keys) ASSERT_TRUE(session->Delete(key).ok());
  }
  ASSERT_EQ(Keys().size(), 0u);
  ASSERT_EQ(RunImport(env_, path, false, quiet_), ExitCode::kSuccess) << err();
  EXPECT_EQ(Keys(), keys);
  EXPECT_EQ(Value("all"), all_bytes);
  EXPECT_EQ(Value(std::string("nul\0key", 7)), std::string(70000, '\0'));
  EXPECT_EQ(Value("empty"), "");
}

}  // namespace
}  // namespace kv::kvctl
