// End to end: `kvctl --json` against a real kvd. Runs the kvctl binary for
// every command and parses what it prints with nlohmann/json; checks the
// fields, not whole documents, and that the exit codes are those of the text
// output.

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/kvd_process.h"
#include "tools/kvctl/kvctl_runner.h"

namespace kv::kvctl {
namespace {

using Json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Parses `text` as exactly one JSON document on one line; a test failure
// (and null) otherwise.
Json ParseOneLine(const std::string& text) {
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "not one line: " << text;
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& error) {
    ADD_FAILURE() << "not JSON: " << text << ": " << error.what();
    return nullptr;
  }
}

class KvctlJsonTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::NewTempDir("kvctl_json"));
    // "listing" is for the keys test alone, so it starts empty.
    testing::WriteFile(*dir_ + "/kvd.toml",
                       "[key_value_store.mem]\ntype = \"memory\"\n"
                       "[key_value_store.listing]\ntype = \"memory\"\n");
    auto kvd = testing::KvdProcess::Start({"--listen=127.0.0.1:0",
                                           "--config=" + *dir_ + "/kvd.toml",
                                           "--data-dir=" + *dir_ + "/data"});
    ASSERT_TRUE(kvd.ok()) << kvd.status();
    kvd_ = kvd->release();
  }

  static void TearDownTestSuite() {
    delete kvd_;
    kvd_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override { ASSERT_NE(kvd_, nullptr) << "kvd did not start"; }

  // Runs `kvctl --addr ADDR --timeout 10s --json ARGS...` with stdin from
  // `stdin_path`, and collects its exit code and output.
  static KvctlRun Kvctl(const std::vector<std::string>& args,
                        const std::string& stdin_path = "/dev/null") {
    std::vector<std::string> argv_storage = {
        KvctlBinaryPath(), "--addr", kvd_->address(),
        "--timeout",       "10s",    "--json"};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    return Run(argv_storage, stdin_path);
  }

  // Runs `argv` (the binary first) to completion.
  static KvctlRun Run(std::vector<std::string> argv,
                      const std::string& stdin_path = "/dev/null") {
    return RunKvctl(std::move(argv), *dir_, stdin_path);
  }

  // Writes `bytes` to a file under the test's folder; returns its path.
  static std::string WriteBytes(const std::string& name,
                                const std::string& bytes) {
    const std::string path = *dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  // The error object of a failed run, checked to be alone on stderr with
  // nothing on stdout.
  static Json ErrorOf(const KvctlRun& run) {
    EXPECT_EQ(run.out, "");
    const Json document = ParseOneLine(run.err);
    EXPECT_TRUE(document.contains("error")) << run.err;
    return document.value("error", Json::object());
  }

  static std::string* dir_;
  static testing::KvdProcess* kvd_;
};

std::string* KvctlJsonTest::dir_ = nullptr;
testing::KvdProcess* KvctlJsonTest::kvd_ = nullptr;

TEST_F(KvctlJsonTest, SetGetDeleteOfText) {
  KvctlRun set = Kvctl({"set", "greeting", "hello"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  const Json set_doc = ParseOneLine(set.out);
  EXPECT_EQ(set_doc["ok"], true);
  EXPECT_EQ(set_doc["store"], "default");
  EXPECT_EQ(set_doc["key"], "greeting");
  EXPECT_EQ(set.err, "");

  KvctlRun get = Kvctl({"get", "greeting"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  const Json get_doc = ParseOneLine(get.out);
  EXPECT_EQ(get_doc["store"], "default");
  EXPECT_EQ(get_doc["key"], "greeting");
  EXPECT_EQ(get_doc["value"], "hello");
  EXPECT_EQ(get_doc["value_base64"], "aGVsbG8=");

  KvctlRun del = Kvctl({"delete", "greeting"});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  EXPECT_EQ(ParseOneLine(del.out)["ok"], true);
  KvctlRun del_missing = Kvctl({"delete", "greeting"});
  ASSERT_EQ(del_missing.exit_code, 0) << del_missing.err;
  EXPECT_EQ(ParseOneLine(del_missing.out)["ok"], true);
}

TEST_F(KvctlJsonTest, WritesCarryTheirRevision) {
  KvctlRun set = Kvctl({"set", "rev-key", "one"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  const Json set_doc = ParseOneLine(set.out);
  ASSERT_TRUE(set_doc["revision"].is_number_unsigned()) << set.out;
  const uint64_t r1 = set_doc["revision"].get<uint64_t>();
  EXPECT_GT(r1, 0u);

  KvctlRun get = Kvctl({"get", "--revision", "rev-key"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  const Json get_doc = ParseOneLine(get.out);
  EXPECT_EQ(get_doc["revision"], r1);
  EXPECT_EQ(get_doc["value"], "one");
  EXPECT_EQ(get_doc["key"], "rev-key");
  // Plain get: the document it always had.
  KvctlRun plain = Kvctl({"get", "rev-key"});
  EXPECT_FALSE(ParseOneLine(plain.out).contains("revision")) << plain.out;

  KvctlRun cas =
      Kvctl({"set", "--if-revision", std::to_string(r1), "rev-key", "two"});
  ASSERT_EQ(cas.exit_code, 0) << cas.err;
  const Json cas_doc = ParseOneLine(cas.out);
  EXPECT_EQ(cas_doc["ok"], true);
  const uint64_t r2 = cas_doc["revision"].get<uint64_t>();
  EXPECT_GT(r2, r1);

  KvctlRun del =
      Kvctl({"delete", "--if-revision", std::to_string(r2), "rev-key"});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  const Json del_doc = ParseOneLine(del.out);
  EXPECT_EQ(del_doc["ok"], true);
  EXPECT_GT(del_doc["revision"].get<uint64_t>(), r2);
  KvctlRun none = Kvctl({"delete", "rev-key"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(ParseOneLine(none.out)["revision"], 0);
}

TEST_F(KvctlJsonTest, FailedConditionIsExitSevenWithTheCurrentRevision) {
  KvctlRun created = Kvctl({"set", "--create-only", "cas-key", "x"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const uint64_t revision = ParseOneLine(created.out)["revision"];

  KvctlRun again = Kvctl({"set", "--create-only", "cas-key", "y"});
  EXPECT_EQ(again.exit_code, 7);
  const Json error = ErrorOf(again);
  EXPECT_EQ(error["exit_code"], 7);
  EXPECT_EQ(error["error_code"], "CONDITION_FAILED");
  EXPECT_EQ(error["grpc_code"], "ABORTED");
  EXPECT_EQ(error["current_revision"], revision);
  EXPECT_THAT(error["server_message"].get<std::string>(),
              HasSubstr("\"cas-key\""));
  EXPECT_THAT(error["message"].get<std::string>(),
              HasSubstr("; current revision " + std::to_string(revision)));

  KvctlRun stale = Kvctl(
      {"delete", "--if-revision", std::to_string(revision + 1000), "cas-key"});
  EXPECT_EQ(stale.exit_code, 7);
  EXPECT_EQ(ErrorOf(stale)["current_revision"], revision);
  // Other errors have no current revision.
  EXPECT_TRUE(
      ErrorOf(Kvctl({"get", "no-such-cas-key"}))["current_revision"].is_null());
}

TEST_F(KvctlJsonTest, IncrIsTheValueAndItsRevision) {
  KvctlRun first = Kvctl({"incr", "hits"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const Json first_doc = ParseOneLine(first.out);
  EXPECT_EQ(first_doc["value"], 1);
  EXPECT_EQ(first_doc["key"], "hits");
  EXPECT_EQ(first_doc["store"], "default");
  KvctlRun down = Kvctl({"incr", "hits", "-3"});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  const Json down_doc = ParseOneLine(down.out);
  EXPECT_EQ(down_doc["value"], -2);
  EXPECT_GT(down_doc["revision"].get<uint64_t>(),
            first_doc["revision"].get<uint64_t>());

  ASSERT_EQ(Kvctl({"set", "not-a-number", "abc"}).exit_code, 0);
  KvctlRun refused = Kvctl({"incr", "not-a-number"});
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_EQ(ErrorOf(refused)["error_code"], "NOT_AN_INTEGER");

  KvctlRun bad = Kvctl({"incr", "hits", "two"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(ErrorOf(bad)["message"].get<std::string>(),
              HasSubstr("DELTA: not a whole number"));
}

TEST_F(KvctlJsonTest, DescribeIsTheStoresDescription) {
  KvctlRun sqlite = Kvctl({"describe"});
  ASSERT_EQ(sqlite.exit_code, 0) << sqlite.err;
  const Json doc = ParseOneLine(sqlite.out);
  EXPECT_EQ(doc["store"], "default");
  EXPECT_EQ(doc["name"], "default");
  EXPECT_EQ(doc["driver"], "sqlite");
  EXPECT_EQ(doc["durability"], "DISK");
  EXPECT_EQ(doc["read_only"], false);
  EXPECT_TRUE(doc["revision"].is_number_unsigned()) << sqlite.out;
  EXPECT_THAT(
      doc["capabilities"].get<std::vector<std::string>>(),
      ::testing::IsSupersetOf({"REVISIONS", "CONDITIONAL_WRITES", "INCREMENT",
                               "ATOMIC_BATCHES", "TTL", "LIST_PAGES"}));
  EXPECT_EQ(doc["limits"]["max_ttl_ms"], 315360000000);
  EXPECT_EQ(doc["limits"]["max_page_size"], 10000);
  EXPECT_EQ(doc["limits"]["max_key_bytes"], 256);
  EXPECT_EQ(doc["limits"]["max_value_bytes"], 1048576);
  EXPECT_EQ(doc["limits"]["max_batch_entries"], 1000);
  EXPECT_TRUE(doc["limits"]["max_batch_bytes"].is_number_unsigned());

  KvctlRun memory = Kvctl({"--store", "mem", "describe"});
  ASSERT_EQ(memory.exit_code, 0) << memory.err;
  const Json mem_doc = ParseOneLine(memory.out);
  EXPECT_EQ(mem_doc["store"], "mem");
  EXPECT_EQ(mem_doc["driver"], "memory");
  EXPECT_EQ(mem_doc["durability"], "NONE");
}

TEST_F(KvctlJsonTest, BinaryValuesWithZeroBytesRoundTrip) {
  // Valid UTF-8 with zero bytes: "value" is the exact text.
  const std::string utf8_with_nuls("a\0b\0\n\0", 6);
  ASSERT_EQ(Kvctl({"set", "nuls", "--file", WriteBytes("nuls", utf8_with_nuls)})
                .exit_code,
            0);
  KvctlRun nuls = Kvctl({"get", "nuls"});
  ASSERT_EQ(nuls.exit_code, 0) << nuls.err;
  const Json nuls_doc = ParseOneLine(nuls.out);
  EXPECT_EQ(nuls_doc["value"].get<std::string>(), utf8_with_nuls);
  std::string decoded;
  ASSERT_TRUE(absl::Base64Unescape(nuls_doc["value_base64"].get<std::string>(),
                                   &decoded));
  EXPECT_EQ(decoded, utf8_with_nuls);

  // Not UTF-8: "value" is null, "value_base64" has every byte.
  const std::string binary("\xff\0\xfe\0\x80z", 6);
  ASSERT_EQ(Kvctl({"set", "bin", "-"}, WriteBytes("bin", binary)).exit_code, 0);
  KvctlRun bin = Kvctl({"get", "bin"});
  ASSERT_EQ(bin.exit_code, 0) << bin.err;
  const Json bin_doc = ParseOneLine(bin.out);
  EXPECT_TRUE(bin_doc["value"].is_null()) << bin.out;
  decoded.clear();
  ASSERT_TRUE(absl::Base64Unescape(bin_doc["value_base64"].get<std::string>(),
                                   &decoded));
  EXPECT_EQ(decoded, binary);
}

TEST_F(KvctlJsonTest, ExistsIsABoolAndKeepsItsExitCodes) {
  ASSERT_EQ(Kvctl({"set", "here", "x"}).exit_code, 0);
  KvctlRun yes = Kvctl({"exists", "here"});
  EXPECT_EQ(yes.exit_code, 0) << yes.err;
  EXPECT_EQ(ParseOneLine(yes.out)["exists"], true);
  KvctlRun no = Kvctl({"exists", "not-here"});
  EXPECT_EQ(no.exit_code, 1) << no.err;
  const Json no_doc = ParseOneLine(no.out);
  EXPECT_EQ(no_doc["exists"], false);
  EXPECT_EQ(no_doc["key"], "not-here");
  EXPECT_EQ(no.err, "");
}

TEST_F(KvctlJsonTest, KeysIsAnObjectWithAnArray) {
  KvctlRun empty = Kvctl({"--store", "listing", "keys"});
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  const Json empty_doc = ParseOneLine(empty.out);
  EXPECT_EQ(empty_doc["store"], "listing");
  ASSERT_TRUE(empty_doc["keys"].is_array()) << empty.out;
  EXPECT_THAT(empty_doc["keys"].get<std::vector<std::string>>(), IsEmpty());

  const std::string odd_key = "new\nline \"quoted\" caf\xc3\xa9";
  ASSERT_EQ(Kvctl({"--store", "listing", "set", "b", "2"}).exit_code, 0);
  ASSERT_EQ(Kvctl({"--store", "listing", "set", "--", odd_key, "1"}).exit_code,
            0);
  KvctlRun keys = Kvctl({"--store", "listing", "keys"});
  ASSERT_EQ(keys.exit_code, 0) << keys.err;
  EXPECT_THAT(ParseOneLine(keys.out)["keys"].get<std::vector<std::string>>(),
              ElementsAre("b", odd_key));
}

TEST_F(KvctlJsonTest, MissingKeyIsAJsonErrorWithExitOne) {
  KvctlRun run = Kvctl({"get", "missing-key"});
  EXPECT_EQ(run.exit_code, 1);
  const Json error = ErrorOf(run);
  EXPECT_EQ(error["error_code"], "NO_SUCH_KEY");
  EXPECT_EQ(error["grpc_code"], "NOT_FOUND");
  EXPECT_EQ(error["exit_code"], 1);
  EXPECT_THAT(error["server_message"].get<std::string>(),
              HasSubstr("\"missing-key\""));
  EXPECT_THAT(error["message"].get<std::string>(),
              HasSubstr("get \"missing-key\" from store \"default\""));
}

TEST_F(KvctlJsonTest, UnknownStoreIsAJsonErrorWithExitThree) {
  for (const char* command : {"keys", "export"}) {
    KvctlRun run = Kvctl({"--store", "nosuch", command});
    EXPECT_EQ(run.exit_code, 3) << command;
    const Json error = ErrorOf(run);
    EXPECT_EQ(error["error_code"], "NO_SUCH_STORE") << command;
    EXPECT_EQ(error["grpc_code"], "NOT_FOUND") << command;
    EXPECT_EQ(error["exit_code"], 3) << command;
    EXPECT_THAT(error["server_message"].get<std::string>(),
                HasSubstr("\"nosuch\""));
  }
}

TEST_F(KvctlJsonTest, UnreachableServerHasAGrpcCodeButNoErrorCode) {
  // Nothing listens on port 1.
  KvctlRun run = Run({KvctlBinaryPath(), "--json", "--addr", "127.0.0.1:1",
                      "--timeout", "10s", "keys"});
  EXPECT_EQ(run.exit_code, 4);
  const Json error = ErrorOf(run);
  EXPECT_TRUE(error["error_code"].is_null()) << run.err;
  EXPECT_EQ(error["grpc_code"], "UNAVAILABLE");
  EXPECT_EQ(error["exit_code"], 4);
}

TEST_F(KvctlJsonTest, UsageErrorIsJsonWithExitTwo) {
  KvctlRun run = Kvctl({"get"});
  EXPECT_EQ(run.exit_code, 2);
  const Json error = ErrorOf(run);
  EXPECT_EQ(error["exit_code"], 2);
  EXPECT_TRUE(error["error_code"].is_null());
  EXPECT_TRUE(error["grpc_code"].is_null());
  EXPECT_THAT(error["message"].get<std::string>(), HasSubstr("KEY"));

  // After "--", "--json" is a key, not the flag: the error is text.
  KvctlRun text = Run(
      {KvctlBinaryPath(), "--addr", kvd_->address(), "bogus", "--", "--json"});
  EXPECT_EQ(text.exit_code, 2);
  EXPECT_THAT(text.err, HasSubstr("kvctl: "));
}

TEST_F(KvctlJsonTest, ExportAndImportPrintJsonSummaries) {
  const std::string binary("\0\xff", 2);
  ASSERT_EQ(Kvctl({"--store", "mem", "set", "x1", "one"}).exit_code, 0);
  ASSERT_EQ(
      Kvctl({"--store", "mem", "set", "x2", "--file", WriteBytes("x2", binary)})
          .exit_code,
      0);
  KvctlRun keys = Kvctl({"--store", "mem", "keys"});
  ASSERT_EQ(keys.exit_code, 0) << keys.err;
  const size_t key_count = ParseOneLine(keys.out)["keys"].size();

  // To a file: the summary is the result, on stdout.
  const std::string dump = *dir_ + "/dump.jsonl";
  KvctlRun to_file = Kvctl({"--store", "mem", "export", "--output", dump});
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  EXPECT_EQ(to_file.err, "");
  const Json summary = ParseOneLine(to_file.out);
  EXPECT_EQ(summary["command"], "export");
  EXPECT_EQ(summary["store"], "mem");
  EXPECT_EQ(summary["keys"], key_count);
  EXPECT_EQ(summary["skipped"], 0);
  EXPECT_EQ(summary["output"], dump);
  EXPECT_TRUE(summary["seconds"].is_number());
  // The data format is unchanged: records of "key" and base64 "value".
  const std::string data = ReadFileText(dump);
  EXPECT_EQ(summary["bytes"], data.size());
  std::vector<std::string> lines =
      absl::StrSplit(data, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), key_count);
  bool found_binary = false;
  for (const std::string& line : lines) {
    const Json record = Json::parse(line);
    EXPECT_EQ(record.size(), 2u) << line;
    if (record["key"] == "x2") {
      found_binary = true;
      EXPECT_EQ(record["value"], absl::Base64Escape(binary));
    }
  }
  EXPECT_TRUE(found_binary);

  // To stdout: stdout is the data, the summary goes to stderr; --quiet
  // drops it.
  KvctlRun to_stdout = Kvctl({"--store", "mem", "export"});
  ASSERT_EQ(to_stdout.exit_code, 0) << to_stdout.err;
  EXPECT_EQ(to_stdout.out, data);
  EXPECT_EQ(ParseOneLine(to_stdout.err)["keys"], key_count);
  KvctlRun quiet = Kvctl({"--store", "mem", "export", "--quiet"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.out, data);
  EXPECT_EQ(quiet.err, "");

  // Import into the default store: a summary on stdout.
  KvctlRun import = Kvctl({"import", "--input", dump});
  ASSERT_EQ(import.exit_code, 0) << import.err;
  const Json imported = ParseOneLine(import.out);
  EXPECT_EQ(imported["command"], "import");
  EXPECT_EQ(imported["store"], "default");
  EXPECT_EQ(imported["keys"], key_count);
  EXPECT_EQ(imported["bytes"], data.size());
  EXPECT_EQ(imported["dry_run"], false);
  KvctlRun copied = Kvctl({"get", "x2"});
  ASSERT_EQ(copied.exit_code, 0) << copied.err;
  EXPECT_EQ(ParseOneLine(copied.out)["value_base64"],
            absl::Base64Escape(binary));

  KvctlRun dry_run = Kvctl({"import", "--dry-run"}, dump);
  ASSERT_EQ(dry_run.exit_code, 0) << dry_run.err;
  EXPECT_EQ(ParseOneLine(dry_run.out)["dry_run"], true);
}

TEST_F(KvctlJsonTest, BadImportLineIsAJsonErrorWithExitSix) {
  const std::string bad = WriteBytes(
      "bad.jsonl", "{\"key\":\"m1\",\"value\":\"MQ==\"}\nnot json\n");
  KvctlRun run = Kvctl({"--store", "mem", "import", "--input", bad});
  EXPECT_EQ(run.exit_code, 6);
  const Json error = ErrorOf(run);
  EXPECT_EQ(error["exit_code"], 6);
  EXPECT_TRUE(error["error_code"].is_null());
  EXPECT_THAT(error["message"].get<std::string>(),
              HasSubstr("line 2: not valid JSON"));
}

}  // namespace
}  // namespace kv::kvctl
