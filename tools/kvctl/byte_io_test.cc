#include "tools/kvctl/byte_io.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace kv::kvctl {
namespace {

const std::string kBinary("a\0b\r\n\xff\0", 7);

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

TEST(ByteIoTest, WriteThenReadFileIsExact) {
  const std::string path = TempPath("binary");
  std::FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_TRUE(WriteAll(file, kBinary, "file").ok());
  std::fclose(file);
  absl::StatusOr<std::string> read = ReadFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, kBinary);
}

TEST(ByteIoTest, ReadAllReadsLargeStreams) {
  const std::string big(300 * 1024 + 7, 'x');
  std::FILE* file = std::tmpfile();
  ASSERT_TRUE(WriteAll(file, big, "tmp").ok());
  std::rewind(file);
  absl::StatusOr<std::string> read = ReadAll(file, "tmp");
  std::fclose(file);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, big);
}

TEST(ByteIoTest, EmptyFileIsEmptyValue) {
  const std::string path = TempPath("empty");
  std::fclose(std::fopen(path.c_str(), "wb"));
  absl::StatusOr<std::string> read = ReadFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "");
}

TEST(ByteIoTest, MissingFileNamesThePath) {
  absl::StatusOr<std::string> read = ReadFile(TempPath("does-not-exist"));
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("does-not-exist"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace kv::kvctl
