#include "tools/kvctl/key_listing.h"

#include <cstdio>
#include <string>

#include "clients/cpp/fake_key_value.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tools/kvctl/store_session.h"

namespace kv::kvctl {
namespace {

using ::testing::HasSubstr;

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

class KeyListingTest : public ::testing::Test {
 protected:
  KeyListingTest() {
    env_.channel = server_.channel();
    env_.store = "default";
    env_.options.timeout = absl::Seconds(10);
    env_.out_is_terminal = false;
    Reset();
    quiet_.progress.quiet = true;
  }
  ~KeyListingTest() override { Close(); }

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
  void SetKeys(std::initializer_list<const char*> keys) {
    absl::StatusOr<StoreSession> session =
        StoreSession::Open(server_.channel(), "default", env_.options);
    ASSERT_TRUE(session.ok()) << session.status();
    for (const char* key : keys) ASSERT_TRUE(session->Set(key, "v").ok());
  }
  // Options with progress off and `page_size`.
  KeysOptions Quiet(int32_t page_size = 0) {
    KeysOptions options = quiet_;
    options.page_size = page_size;
    return options;
  }

  std::string out() { return Contents(env_.out); }
  std::string err() { return Contents(env_.err); }

  kvd::FakeKeyValueServer server_;
  CommandEnv env_{};
  KeysOptions quiet_;
};

TEST_F(KeyListingTest, StreamsEveryKeyAPageAtATime) {
  SetKeys({"e", "a", "d", "b", "c"});
  const int before = server_.service().list_keys_calls();
  ASSERT_EQ(RunKeys(env_, Quiet(2)), ExitCode::kSuccess);
  EXPECT_EQ(out(), "a\nb\nc\nd\ne\n");
  EXPECT_EQ(err(), "");
  EXPECT_EQ(server_.service().list_keys_calls() - before, 3);
  EXPECT_EQ(server_.service().last_list_keys_request().page_size(), 2);
}

TEST_F(KeyListingTest, PrefixIsMatchedByteForByte) {
  SetKeys({"p%_*[\\1", "p%_*[\\2", "p%a*[\\3", "p%_*[x", "pé/1", "pé/2", "pe/3",
           "q"});
  KeysOptions options = Quiet(1);
  options.prefix = "p%_*[\\";
  ASSERT_EQ(RunKeys(env_, options), ExitCode::kSuccess);
  EXPECT_EQ(out(), "p%_*[\\1\np%_*[\\2\n");
  Reset();
  options.prefix = "pé/";
  ASSERT_EQ(RunKeys(env_, options), ExitCode::kSuccess);
  EXPECT_EQ(out(), "pé/1\npé/2\n");
  EXPECT_EQ(server_.service().last_list_keys_request().prefix(), "pé/");
}

TEST_F(KeyListingTest, LimitStopsAfterNKeysAndAsksForNoMore) {
  SetKeys({"a", "b", "c", "d", "e"});
  KeysOptions options = Quiet(2);
  options.limit = 3;
  const int before = server_.service().list_keys_calls();
  ASSERT_EQ(RunKeys(env_, options), ExitCode::kSuccess);
  EXPECT_EQ(out(), "a\nb\nc\n");
  EXPECT_EQ(server_.service().list_keys_calls() - before, 2);
  EXPECT_EQ(server_.service().last_list_keys_request().page_size(), 1);

  // Without --page-size, the one page is as large as the limit.
  Reset();
  options.page_size = 0;
  options.limit = 4;
  ASSERT_EQ(RunKeys(env_, options), ExitCode::kSuccess);
  EXPECT_EQ(out(), "a\nb\nc\nd\n");
  EXPECT_EQ(server_.service().last_list_keys_request().page_size(), 4);

  Reset();
  options.limit = 100;
  ASSERT_EQ(RunKeys(env_, options), ExitCode::kSuccess);
  EXPECT_EQ(out(), "a\nb\nc\nd\ne\n");
}

TEST_F(KeyListingTest, JsonIsOneDocumentAcrossPages) {
  SetKeys({"a", "b\"q", "c", "d", "é"});
  env_.json = true;
  ASSERT_EQ(RunKeys(env_, Quiet(2)), ExitCode::kSuccess);
  const std::string text = out();
  ASSERT_EQ(text.find('\n'), text.size() - 1) << text;
  EXPECT_EQ(nlohmann::json::parse(text),
            (nlohmann::json{{"keys", {"a", "b\"q", "c", "d", "é"}},
                            {"store", "default"}}));
}

TEST_F(KeyListingTest, AnEmptyListing) {
  ASSERT_EQ(RunKeys(env_, Quiet()), ExitCode::kSuccess);
  EXPECT_EQ(out(), "");
  Reset();
  env_.json = true;
  ASSERT_EQ(RunKeys(env_, Quiet()), ExitCode::kSuccess);
  EXPECT_EQ(out(), "{\"keys\":[],\"store\":\"default\"}\n");
  Reset();
  SetKeys({"a"});
  KeysOptions options = Quiet(1);
  options.prefix = "b";
  ASSERT_EQ(RunKeys(env_, options), ExitCode::kSuccess);
  EXPECT_EQ(out(), "{\"keys\":[],\"store\":\"default\"}\n");
}

TEST_F(KeyListingTest, ProgressGivesKeysAndRate) {
  SetKeys({"a", "b", "c", "d"});
  KeysOptions options = Quiet(1);
  options.progress.quiet = false;
  absl::Time now = absl::FromUnixSeconds(1000);
  options.progress.now = [&now] {
    now += absl::Seconds(1);
    return now;
  };
  ASSERT_EQ(RunKeys(env_, options), ExitCode::kSuccess);
  EXPECT_EQ(out(), "a\nb\nc\nd\n");
  const std::string progress = err();
  EXPECT_THAT(progress, HasSubstr(" keys/s)\n"));
  EXPECT_THAT(progress,
              ::testing::ContainsRegex(
                  "listed 4 keys, 8 B, in [0-9.]+ s \\([0-9]+ keys/s\\)"));
}

// As on a terminal without --progress: a listing shorter than one progress
// interval ends with its keys alone; a longer one with the summary too.
TEST_F(KeyListingTest, OnATerminalOnlyALongListingIsSummarized) {
  SetKeys({"a", "b", "c"});
  KeysOptions options = Quiet(1);
  options.progress.quiet = false;
  options.always_summarize = false;
  absl::Time now = absl::FromUnixSeconds(1000);
  options.progress.now = [&now] { return now; };
  ASSERT_EQ(RunKeys(env_, options), ExitCode::kSuccess);
  EXPECT_EQ(err(), "");
  Reset();
  options.progress.now = [&now] {
    now += absl::Seconds(1);
    return now;
  };
  ASSERT_EQ(RunKeys(env_, options), ExitCode::kSuccess);
  EXPECT_THAT(err(),
              ::testing::ContainsRegex(
                  "\nlisted 3 keys, 6 B, in [0-9.]+ s \\([0-9]+ keys/s\\)\n$"));
}

TEST_F(KeyListingTest, AFailedPageIsReported) {
  SetKeys({"a"});
  server_.service().FailNextCall(
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                   "IO: page_token is not a page token of kvd's"),
      "ERROR_CODE_IO", "ListKeys");
  EXPECT_EQ(RunKeys(env_, Quiet()), ExitCode::kRefused);
  EXPECT_THAT(err(), HasSubstr("kvctl: list the keys of store \"default\": IO: "
                               "page_token is not a page token of kvd's "
                               "(INVALID_ARGUMENT)"));
}

TEST_F(KeyListingTest, AKvdWithoutListKeysIsListedWithGetKeys) {
  SetKeys({"a1", "a2", "a3", "b"});
  server_.service().FailNextCall(
      grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "unknown method ListKeys"),
      "", "ListKeys");
  KeysOptions options = Quiet(1);
  options.prefix = "a";
  options.limit = 2;
  ASSERT_EQ(RunKeys(env_, options), ExitCode::kSuccess);
  EXPECT_EQ(out(), "a1\na2\n");
}

TEST_F(KeyListingTest, UnknownStoreIsRefused) {
  env_.store = "x";
  EXPECT_EQ(RunKeys(env_, Quiet()), ExitCode::kRefused);
  EXPECT_THAT(err(), HasSubstr("kvctl: open store \"x\": NO_SUCH_STORE"));
}

}  // namespace
}  // namespace kv::kvctl
