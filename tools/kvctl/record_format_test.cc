#include "tools/kvctl/record_format.h"

#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kv::kvctl {
namespace {

using ::testing::HasSubstr;

// The message of DecodeRecord's error for `line`.
std::string DecodeError(const std::string& line) {
  absl::StatusOr<Record> record = DecodeRecord(line);
  EXPECT_FALSE(record.ok()) << "decoded: " << line;
  if (record.ok()) return "";
  EXPECT_EQ(record.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(record.status().message());
}

// Encodes then decodes, checking that nothing changed.
void ExpectRoundTrip(const std::string& key, const std::string& value) {
  absl::StatusOr<std::string> line = EncodeRecord(key, value);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->find('\n'), std::string::npos) << *line;
  absl::StatusOr<Record> record = DecodeRecord(*line);
  ASSERT_TRUE(record.ok()) << record.status() << " for " << *line;
  EXPECT_EQ(record->key, key);
  EXPECT_EQ(record->value, value);
}

TEST(EncodeRecordTest, TextValue) {
  EXPECT_EQ(*EncodeRecord("greeting", "hello"),
            R"({"key":"greeting","value":"aGVsbG8="})");
}

TEST(EncodeRecordTest, BinaryValueWithZeroBytesIsStandardBase64) {
  EXPECT_EQ(*EncodeRecord("bin", std::string("a\0b\0\xff\xfe", 6)),
            R"({"key":"bin","value":"YQBiAP/+"})");
}

TEST(EncodeRecordTest, EmptyValue) {
  EXPECT_EQ(*EncodeRecord("empty", ""), R"({"key":"empty","value":""})");
}

TEST(EncodeRecordTest, Utf8KeyIsWrittenAsIs) {
  EXPECT_EQ(*EncodeRecord("caf\xc3\xa9/\xe2\x82\xac", "1"),
            "{\"key\":\"caf\xc3\xa9/\xe2\x82\xac\",\"value\":\"MQ==\"}");
}

TEST(EncodeRecordTest, KeyWithQuotesControlCharactersAndNulIsEscaped) {
  EXPECT_EQ(*EncodeRecord(std::string("a\"b\\c\nd\0e", 9), ""),
            R"({"key":"a\"b\\c\nd\u0000e","value":""})");
}

TEST(EncodeRecordTest, KeyThatIsNotUtf8Fails) {
  absl::StatusOr<std::string> line = EncodeRecord("a\xff", "v");
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(line.status().message(), HasSubstr("\"a\\377\""));
  EXPECT_THAT(line.status().message(), HasSubstr("not valid UTF-8"));
}

TEST(RecordFormatTest, RoundTrips) {
  ExpectRoundTrip("k", "v");
  ExpectRoundTrip("k", "");
  ExpectRoundTrip("bin", std::string("\0\0\0", 3));
  ExpectRoundTrip("bin", std::string("a\0b\0\xff\n\0", 7));
  ExpectRoundTrip(std::string("\0", 1), "nul key");
  ExpectRoundTrip("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x94\x91",
                  "utf-8 key, emoji included");
  ExpectRoundTrip("%*..\"'\\/\t", "odd characters");
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  ExpectRoundTrip("all", all_bytes);
  ExpectRoundTrip("large", std::string(1 << 20, '\x80'));
}

TEST(DecodeRecordTest, AcceptsWhitespaceFieldOrderAndEscapes) {
  absl::StatusOr<Record> record = DecodeRecord(
      " { \"value\" : \"aGk=\" , \"key\" : \"\\u00e9\\u0000\" }\r");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->key, std::string("\xc3\xa9\0", 3));
  EXPECT_EQ(record->value, "hi");
}

TEST(DecodeRecordTest, MalformedJson) {
  EXPECT_THAT(DecodeError(""), HasSubstr("not valid JSON"));
  EXPECT_THAT(DecodeError("{\"key\":\"k\",\"value\":\"\""),
              HasSubstr("not valid JSON"));
  EXPECT_THAT(DecodeError("{\"key\":\"k\",\"value\":\"\"} extra"),
              HasSubstr("not valid JSON"));
  EXPECT_THAT(DecodeError("key=k value=v"), HasSubstr("not valid JSON"));
  // nlohmann's "at line 1" is dropped: the caller numbers the lines.
  EXPECT_THAT(DecodeError("{oops}"),
              HasSubstr("not valid JSON: parse error at column 2: "));
}

TEST(DecodeRecordTest, InvalidUtf8InTheLine) {
  EXPECT_THAT(DecodeError("{\"key\":\"\xff\",\"value\":\"\"}"),
              HasSubstr("not valid JSON"));
  EXPECT_THAT(DecodeError(R"({"key":"\ud800","value":""})"),
              HasSubstr("not valid JSON"));
}

TEST(DecodeRecordTest, NotAnObject) {
  EXPECT_THAT(DecodeError("[\"k\",\"v\"]"), HasSubstr("got an array"));
  EXPECT_THAT(DecodeError("\"k\""), HasSubstr("got a string"));
  EXPECT_THAT(DecodeError("null"), HasSubstr("got a null"));
}

TEST(DecodeRecordTest, MissingFields) {
  EXPECT_EQ(DecodeError(R"({"value":"aGk="})"), "missing field \"key\"");
  EXPECT_EQ(DecodeError(R"({"key":"k"})"), "missing field \"value\"");
  EXPECT_EQ(DecodeError("{}"), "missing field \"key\"");
}

TEST(DecodeRecordTest, WrongFieldTypes) {
  EXPECT_EQ(DecodeError(R"({"key":1,"value":""})"),
            "field \"key\" is a number, want a string");
  EXPECT_EQ(DecodeError(R"({"key":"k","value":null})"),
            "field \"value\" is a null, want a string");
  EXPECT_EQ(DecodeError(R"({"key":"k","value":{"x":1}})"),
            "field \"value\" is an object, want a string");
}

TEST(DecodeRecordTest, EmptyKey) {
  EXPECT_EQ(DecodeError(R"({"key":"","value":""})"), "field \"key\" is empty");
}

TEST(DecodeRecordTest, UnexpectedField) {
  EXPECT_THAT(DecodeError(R"({"key":"k","value":"","ttl":5})"),
              HasSubstr("unexpected field \"ttl\""));
}

TEST(DecodeRecordTest, BadBase64) {
  for (const char* value : {
           "aGk",    // missing padding
           "aGk=x",  // trailing garbage
           "a Gk=",  // whitespace
           "aGk*",   // not a base64 character
           "aGl=",   // nonzero padding bits: not canonical
           "aGk-",   // URL-safe alphabet
           "=",      // padding only
       }) {
    const std::string line =
        absl::StrCat("{\"key\":\"k\",\"value\":\"", value, "\"}");
    EXPECT_THAT(DecodeError(line),
                HasSubstr("field \"value\" of key \"k\" is not standard"))
        << value;
  }
}

TEST(RecordFormatTest, AnExpiringKeyCarriesItsExpireTime) {
  const auto expires = std::chrono::system_clock::time_point(
      std::chrono::milliseconds(1796175120123));
  absl::StatusOr<std::string> line = EncodeRecord("k", "v", expires);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line,
            "{\"key\":\"k\",\"value\":\"dg==\","
            "\"expire_time\":\"2026-12-02T01:32:00.123Z\"}");
  absl::StatusOr<Record> record = DecodeRecord(*line);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->expire_time, expires);
  // Without one, the line is the format before expiry, byte for byte.
  EXPECT_EQ(*EncodeRecord("k", "v"), "{\"key\":\"k\",\"value\":\"dg==\"}");
  EXPECT_EQ(DecodeRecord(*EncodeRecord("k", "v"))->expire_time, std::nullopt);
}

TEST(DecodeRecordTest, BadExpireTime) {
  EXPECT_THAT(
      DecodeError("{\"key\":\"k\",\"value\":\"\",\"expire_time\":5}"),
      HasSubstr("field \"expire_time\" of key \"k\" is a number, want a "
                "string"));
  EXPECT_THAT(DecodeError("{\"key\":\"k\",\"value\":\"\","
                          "\"expire_time\":\"tomorrow\"}"),
              HasSubstr("field \"expire_time\" of key \"k\" is not an RFC "
                        "3339 time"));
}

}  // namespace
}  // namespace kv::kvctl
