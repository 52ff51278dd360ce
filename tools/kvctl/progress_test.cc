#include "tools/kvctl/progress.h"

#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace kv::kvctl {
namespace {

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

TEST(FormatBytesTest, Units) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(1023), "1023 B");
  EXPECT_EQ(FormatBytes(1024), "1.0 KiB");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(1048575), "1.0 MiB");
  EXPECT_EQ(FormatBytes(uint64_t{71} << 20), "71.0 MiB");
  EXPECT_EQ(FormatBytes(uint64_t{35} * (1 << 20) + (1 << 18)), "35.2 MiB");
  EXPECT_EQ(FormatBytes(uint64_t{5} << 29), "2.5 GiB");
}

class ProgressTest : public ::testing::Test {
 protected:
  ~ProgressTest() override { std::fclose(err_); }

  ProgressOptions Options(bool quiet) {
    ProgressOptions options;
    options.quiet = quiet;
    options.now = [this] { return now_; };
    return options;
  }

  std::FILE* err_ = std::tmpfile();
  absl::Time now_ = absl::FromUnixSeconds(1000);
};

TEST_F(ProgressTest, LineEveryIntervalThenSummary) {
  Progress progress(err_, "exported", Options(false));
  progress.Add(1 << 20);
  now_ += absl::Seconds(1);
  progress.Add(1 << 20);  // 1 s: no line yet.
  now_ += absl::Seconds(1);
  progress.Add(1 << 20);  // 2 s: a line.
  now_ += absl::Milliseconds(500);
  progress.Add(0);  // 0.5 s after the line: none.
  now_ += absl::Milliseconds(9800);
  progress.Finish();
  EXPECT_EQ(Contents(err_),
            "exported 3 keys (3.0 MiB)\n"
            "exported 4 keys, 3.0 MiB, in 12.3 s\n");
  EXPECT_EQ(progress.keys(), 4u);
  EXPECT_EQ(progress.bytes(), 3u << 20);
}

TEST_F(ProgressTest, SummaryNoteAndOneKey) {
  Progress progress(err_, "imported", Options(false));
  progress.Add(10);
  progress.Finish("; nothing else");
  EXPECT_EQ(Contents(err_), "imported 1 key, 10 B, in 0.0 s; nothing else\n");
}

TEST_F(ProgressTest, QuietPrintsNothingButCounts) {
  Progress progress(err_, "exported", Options(true));
  for (int i = 0; i < 5; ++i) {
    now_ += absl::Seconds(3);
    progress.Add(1);
  }
  progress.Finish();
  EXPECT_EQ(Contents(err_), "");
  EXPECT_EQ(progress.keys(), 5u);
}

TEST_F(ProgressTest, JsonProgressLinesAndNoTextSummary) {
  ProgressOptions options = Options(false);
  options.json = true;
  Progress progress(err_, "exported", options);
  progress.Add(1000);
  now_ += absl::Seconds(2);
  progress.Add(24);  // 2 s: a line.
  now_ += absl::Milliseconds(1500);
  progress.Finish();
  const std::string text = Contents(err_);
  ASSERT_EQ(text.find('\n'), text.size() - 1) << text;
  const nlohmann::json line = nlohmann::json::parse(text);
  EXPECT_EQ(line["progress"], "exported");
  EXPECT_EQ(line["keys"], 2);
  EXPECT_EQ(line["bytes"], 1024);
  EXPECT_EQ(progress.elapsed(), absl::Milliseconds(3500));
}

TEST_F(ProgressTest, RateOnLinesAndSummary) {
  ProgressOptions options = Options(false);
  options.show_rate = true;
  Progress progress(err_, "listed", options);
  for (int i = 0; i < 4000; ++i) progress.Add(10);
  now_ += absl::Seconds(2);
  progress.Add(10);  // 4001 keys in 2 s: a line.
  now_ += absl::Seconds(2);
  progress.Finish();
  EXPECT_EQ(Contents(err_),
            "listed 4001 keys (39.1 KiB, 2000 keys/s)\n"
            "listed 4001 keys, 39.1 KiB, in 4.0 s (1000 keys/s)\n");
}

TEST_F(ProgressTest, JsonRate) {
  ProgressOptions options = Options(false);
  options.json = true;
  options.show_rate = true;
  Progress progress(err_, "listed", options);
  progress.Add(1);
  now_ += absl::Seconds(2);
  progress.Add(1);
  const nlohmann::json line = nlohmann::json::parse(Contents(err_));
  EXPECT_EQ(line["keys_per_second"], 1.0);
}

}  // namespace
}  // namespace kv::kvctl
