// The operations beyond Spin's seven, through the service: revisions on Set,
// Get and Delete, conditional writes, Increment, GetMany/SetMany/DeleteMany
// and Describe, with their errors and the metadata those carry.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/batch_operations.h"
#include "service/counter_operations.h"
#include "service/describe_operations.h"
#include "service/errors/kv_error.h"
#include "service/kv_service.h"
#include "service/read_operations.h"
#include "service/session_operations.h"
#include "service/write_operations.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::IsOk;
using ::kv::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

StoreSpec MemorySpec(const std::string& name) {
  StoreSpec spec;
  spec.name = name;
  spec.type = "memory";
  return spec;
}

// A service over memory stores, with a reader granted "default" read-only.
class AtomicOperationsTest : public ::testing::Test {
 protected:
  AtomicOperationsTest()
      : catalog_({MemorySpec("default")}),
        authorizer_(Clients(), nullptr),
        service_(
            Opened(&catalog_), TestLimits(), 1, [](const std::string&, bool) {},
            &authorizer_) {
    store_ = Open("writer");
  }

  static std::vector<ClientSpec> Clients() {
    ClientSpec writer;
    writer.name = "writer";
    writer.certificate_identity = "writer.example";
    writer.key_value_stores = {"default"};
    ClientSpec reader;
    reader.name = "reader";
    reader.certificate_identity = "reader.example";
    reader.read_only_stores = {"default"};
    return {writer, reader};
  }

  static StoreCatalog* Opened(StoreCatalog* catalog) {
    catalog->OpenAll();
    return catalog;
  }

  static Limits TestLimits() {
    Limits limits;
    limits.max_batch_entries = 10;
    limits.max_batch_bytes = 2000;
    return limits;
  }

  uint32_t Open(const std::string& principal) {
    v1::OpenRequest request;
    request.set_name("default");
    absl::StatusOr<v1::OpenResponse> response =
        service_.Run(operations::kOpen, principal, request);
    EXPECT_THAT(response, IsOk());
    return response.ok() ? response->store() : 0;
  }

  absl::StatusOr<v1::SetResponse> Set(
      const std::string& key, const std::string& value,
      absl::optional<uint64_t> if_revision = absl::nullopt) {
    v1::SetRequest request;
    request.set_store(store_);
    request.set_key(key);
    request.set_value(value);
    if (if_revision.has_value()) request.set_if_revision(*if_revision);
    return service_.Run(operations::kSet, "writer", request);
  }

  absl::StatusOr<v1::DeleteResponse> Delete(
      const std::string& key,
      absl::optional<uint64_t> if_revision = absl::nullopt) {
    v1::DeleteRequest request;
    request.set_store(store_);
    request.set_key(key);
    if (if_revision.has_value()) request.set_if_revision(*if_revision);
    return service_.Run(operations::kDelete, "writer", request);
  }

  absl::StatusOr<v1::GetResponse> Get(const std::string& key) {
    v1::GetRequest request;
    request.set_store(store_);
    request.set_key(key);
    return service_.Run(operations::kGet, "writer", request);
  }

  absl::StatusOr<v1::IncrementResponse> Increment(
      const std::string& key, int64_t delta,
      const std::string& principal = "writer") {
    v1::IncrementRequest request;
    request.set_store(principal == "writer" ? store_ : reader_store_);
    request.set_key(key);
    request.set_delta(delta);
    return service_.Run(operations::kIncrement, principal, request);
  }

  absl::StatusOr<v1::GetManyResponse> GetMany(std::vector<std::string> keys) {
    v1::GetManyRequest request;
    request.set_store(store_);
    for (std::string& key : keys) request.add_keys(std::move(key));
    return service_.Run(operations::kGetMany, "writer", request);
  }

  struct Entry {
    std::string key;
    std::string value;
    absl::optional<uint64_t> if_revision;
  };
  absl::StatusOr<v1::SetManyResponse> SetMany(
      const std::vector<Entry>& entries) {
    v1::SetManyRequest request;
    request.set_store(store_);
    for (const Entry& entry : entries) {
      v1::SetEntry* set = request.add_entries();
      set->set_key(entry.key);
      set->set_value(entry.value);
      if (entry.if_revision.has_value())
        set->set_if_revision(*entry.if_revision);
    }
    return service_.Run(operations::kSetMany, "writer", request);
  }

  absl::StatusOr<v1::DeleteManyResponse> DeleteMany(
      std::vector<std::string> keys, const std::string& principal = "writer") {
    v1::DeleteManyRequest request;
    request.set_store(principal == "writer" ? store_ : reader_store_);
    for (std::string& key : keys) request.add_keys(std::move(key));
    return service_.Run(operations::kDeleteMany, principal, request);
  }

  StoreCatalog catalog_;
  Authorizer authorizer_;
  KeyValueService service_;
  uint32_t store_ = 0;
  uint32_t reader_store_ = 0;
};

TEST_F(AtomicOperationsTest, SetGetAndDeleteCarryRevisions) {
  absl::StatusOr<v1::SetResponse> set = Set("k", "v");
  ASSERT_THAT(set, IsOk());
  EXPECT_GT(set->revision(), 0u);
  absl::StatusOr<v1::GetResponse> got = Get("k");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->revision(), set->revision());
  absl::StatusOr<v1::DeleteResponse> deleted = Delete("k");
  ASSERT_THAT(deleted, IsOk());
  EXPECT_GT(deleted->revision(), set->revision());
  absl::StatusOr<v1::DeleteResponse> again = Delete("k");
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->revision(), 0u);
}

TEST_F(AtomicOperationsTest, StaleSetIsConditionFailedWithTheCurrentRevision) {
  uint64_t first = Set("k", "1")->revision();
  uint64_t second = Set("k", "2", first)->revision();
  absl::StatusOr<v1::SetResponse> stale = Set("k", "3", first);
  EXPECT_THAT(stale, StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(ErrorCodeOf(stale.status()), v1::ERROR_CODE_CONDITION_FAILED);
  EXPECT_THAT(CurrentRevisionOf(stale.status()), Optional(second));
  EXPECT_EQ(FailedIndexOf(stale.status()), absl::nullopt);
  EXPECT_THAT(stale.status().message(),
              AllOf(HasSubstr("CONDITION_FAILED: store \"default\""),
                    HasSubstr("\"k\""), HasSubstr(absl::StrCat(first)),
                    HasSubstr(absl::StrCat(second))));
  EXPECT_EQ(Get("k")->value(), "2");
}

TEST_F(AtomicOperationsTest, CreateOnlyAndConditionalDelete) {
  uint64_t created = Set("k", "1", 0)->revision();
  absl::StatusOr<v1::SetResponse> again = Set("k", "2", 0);
  EXPECT_EQ(ErrorCodeOf(again.status()), v1::ERROR_CODE_CONDITION_FAILED);
  EXPECT_THAT(CurrentRevisionOf(again.status()), Optional(created));
  absl::StatusOr<v1::DeleteResponse> stale = Delete("k", created + 100);
  EXPECT_EQ(ErrorCodeOf(stale.status()), v1::ERROR_CODE_CONDITION_FAILED);
  EXPECT_THAT(Delete("k", created), IsOk());
  absl::StatusOr<v1::DeleteResponse> absent = Delete("k", 5);
  EXPECT_THAT(CurrentRevisionOf(absent.status()), Optional(0u));
}

TEST_F(AtomicOperationsTest, IncrementCountsAndFailsLoudly) {
  absl::StatusOr<v1::IncrementResponse> first = Increment("n", 5);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->value(), 5);
  absl::StatusOr<v1::IncrementResponse> second = Increment("n", -7);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->value(), -2);
  EXPECT_GT(second->revision(), first->revision());
  EXPECT_EQ(Get("n")->value(), "-2");

  ASSERT_THAT(Set("text", "abc"), IsOk());
  absl::StatusOr<v1::IncrementResponse> text = Increment("text", 1);
  EXPECT_THAT(text, StatusIs(absl::StatusCode::kFailedPrecondition,
                             HasSubstr("\"text\"")));
  EXPECT_EQ(ErrorCodeOf(text.status()), v1::ERROR_CODE_NOT_AN_INTEGER);

  ASSERT_THAT(Set("max", "9223372036854775807"), IsOk());
  absl::StatusOr<v1::IncrementResponse> over = Increment("max", 1);
  EXPECT_THAT(over, StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_EQ(ErrorCodeOf(over.status()), v1::ERROR_CODE_OUT_OF_RANGE);
  EXPECT_EQ(Get("max")->value(), "9223372036854775807");
}

TEST_F(AtomicOperationsTest, IncrementValidatesTheKey) {
  absl::StatusOr<v1::IncrementResponse> empty = Increment("", 1);
  EXPECT_THAT(empty,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_EQ(ErrorCodeOf(empty.status()), v1::ERROR_CODE_IO);
}

TEST_F(AtomicOperationsTest, SetManyAndGetManyInRequestOrder) {
  absl::StatusOr<v1::SetManyResponse> set =
      SetMany({{"a", "1", absl::nullopt}, {"b", "2", 0}});
  ASSERT_THAT(set, IsOk());
  ASSERT_EQ(set->revisions_size(), 2);
  EXPECT_LT(set->revisions(0), set->revisions(1));
  absl::StatusOr<v1::GetManyResponse> got = GetMany({"b", "missing", "a"});
  ASSERT_THAT(got, IsOk());
  ASSERT_EQ(got->entries_size(), 3);
  EXPECT_EQ(got->entries(0).key(), "b");
  EXPECT_TRUE(got->entries(0).found());
  EXPECT_EQ(got->entries(0).value(), "2");
  EXPECT_EQ(got->entries(0).revision(), set->revisions(1));
  EXPECT_EQ(got->entries(1).key(), "missing");
  EXPECT_FALSE(got->entries(1).found());
  EXPECT_EQ(got->entries(1).revision(), 0u);
  EXPECT_EQ(got->entries(2).value(), "1");
}

TEST_F(AtomicOperationsTest, FailedBatchNamesTheEntryAndAppliesNothing) {
  uint64_t b = Set("b", "old")->revision();
  absl::StatusOr<v1::SetManyResponse> set = SetMany(
      {{"a", "new", absl::nullopt}, {"c", "new", 0}, {"b", "new", b + 1}});
  EXPECT_EQ(ErrorCodeOf(set.status()), v1::ERROR_CODE_CONDITION_FAILED);
  EXPECT_THAT(CurrentRevisionOf(set.status()), Optional(b));
  EXPECT_THAT(FailedIndexOf(set.status()), Optional(2u));
  EXPECT_THAT(set.status().message(), HasSubstr("SetMany entry 2 (key \"b\")"));
  absl::StatusOr<v1::GetManyResponse> got = GetMany({"a", "b", "c"});
  ASSERT_THAT(got, IsOk());
  EXPECT_FALSE(got->entries(0).found());
  EXPECT_EQ(got->entries(1).value(), "old");
  EXPECT_FALSE(got->entries(2).found());
}

TEST_F(AtomicOperationsTest, DuplicateKeysAreRefused) {
  absl::StatusOr<v1::SetManyResponse> set =
      SetMany({{"d", "1", absl::nullopt}, {"d", "2", absl::nullopt}});
  EXPECT_THAT(set, StatusIs(absl::StatusCode::kInvalidArgument,
                            HasSubstr("key \"d\" twice (entries 0 and 1)")));
  EXPECT_EQ(ErrorCodeOf(set.status()), v1::ERROR_CODE_IO);
  EXPECT_THAT(GetMany({"d", "d"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  EXPECT_THAT(DeleteMany({"d", "e", "d"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("twice")));
  EXPECT_THAT(Get("d"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(AtomicOperationsTest, BatchLimitsAreNamed) {
  std::vector<std::string> eleven;
  for (int i = 0; i < 11; ++i) eleven.push_back(absl::StrCat("k", i));
  EXPECT_THAT(GetMany(eleven),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("11 entries, over the limit of 10 "
                                 "(limits.max_batch_entries)")));
  EXPECT_THAT(DeleteMany(eleven),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("limits.max_batch_entries")));
  absl::StatusOr<v1::SetManyResponse> big =
      SetMany({{"x", std::string(1500, 'x'), absl::nullopt},
               {"y", std::string(1500, 'y'), absl::nullopt}});
  EXPECT_THAT(big, StatusIs(absl::StatusCode::kInvalidArgument,
                            HasSubstr("limits.max_batch_bytes")));
  absl::StatusOr<v1::SetManyResponse> bad_key =
      SetMany({{"ok", "1", absl::nullopt}, {"", "1", absl::nullopt}});
  EXPECT_THAT(bad_key,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("SetMany entry 1: the key is empty")));
}

TEST_F(AtomicOperationsTest, GetManyResponseOverTheByteLimitIsExhausted) {
  ASSERT_THAT(SetMany({{"p", std::string(900, 'p'), absl::nullopt}}), IsOk());
  ASSERT_THAT(SetMany({{"q", std::string(900, 'q'), absl::nullopt}}), IsOk());
  ASSERT_THAT(SetMany({{"r", std::string(900, 'r'), absl::nullopt}}), IsOk());
  absl::StatusOr<v1::GetManyResponse> got = GetMany({"p", "q", "r"});
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kResourceExhausted,
                            HasSubstr("limits.max_batch_bytes")));
}

TEST_F(AtomicOperationsTest, EmptyBatchesDoNothing) {
  absl::StatusOr<v1::SetManyResponse> set = SetMany({});
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(set->revisions_size(), 0);
  absl::StatusOr<v1::GetManyResponse> got = GetMany({});
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->entries_size(), 0);
}

TEST_F(AtomicOperationsTest, DeleteManyReportsWhatItDeleted) {
  ASSERT_THAT(SetMany({{"a", "1", absl::nullopt}, {"b", "2", absl::nullopt}}),
              IsOk());
  absl::StatusOr<v1::DeleteManyResponse> deleted =
      DeleteMany({"a", "absent", "b"});
  ASSERT_THAT(deleted, IsOk());
  ASSERT_EQ(deleted->revisions_size(), 3);
  EXPECT_GT(deleted->revisions(0), 0u);
  EXPECT_EQ(deleted->revisions(1), 0u);
  EXPECT_GT(deleted->revisions(2), deleted->revisions(0));
}

TEST_F(AtomicOperationsTest, ReadOnlyGrantRefusesEveryNewWrite) {
  reader_store_ = Open("reader");
  absl::StatusOr<v1::IncrementResponse> increment = Increment("n", 1, "reader");
  EXPECT_EQ(ErrorCodeOf(increment.status()), v1::ERROR_CODE_ACCESS_DENIED);
  absl::StatusOr<v1::DeleteManyResponse> deleted = DeleteMany({"a"}, "reader");
  EXPECT_EQ(ErrorCodeOf(deleted.status()), v1::ERROR_CODE_ACCESS_DENIED);
  v1::DescribeRequest request;
  request.set_store(reader_store_);
  absl::StatusOr<v1::DescribeResponse> described =
      service_.Run(operations::kDescribe, "reader", request);
  ASSERT_THAT(described, IsOk());
  EXPECT_TRUE(described->read_only());
}

TEST_F(AtomicOperationsTest, DescribeTellsWhatTheStoreIsAndCanDo) {
  uint64_t written = Set("k", "v")->revision();
  v1::DescribeRequest request;
  request.set_store(store_);
  absl::StatusOr<v1::DescribeResponse> described =
      service_.Run(operations::kDescribe, "writer", request);
  ASSERT_THAT(described, IsOk());
  EXPECT_EQ(described->name(), "default");
  EXPECT_EQ(described->driver(), "memory");
  EXPECT_EQ(described->durability(), v1::DURABILITY_NONE);
  EXPECT_EQ(described->limits().max_key_bytes(), 256u);
  EXPECT_EQ(described->limits().max_value_bytes(), 1u << 20);
  EXPECT_EQ(described->limits().max_batch_entries(), 10u);
  EXPECT_EQ(described->limits().max_batch_bytes(), 2000u);
  EXPECT_GE(described->revision(), written);
  EXPECT_THAT(
      described->capabilities(),
      ElementsAre(v1::CAPABILITY_REVISIONS, v1::CAPABILITY_CONDITIONAL_WRITES,
                  v1::CAPABILITY_INCREMENT, v1::CAPABILITY_ATOMIC_BATCHES,
                  v1::CAPABILITY_TTL, v1::CAPABILITY_LIST_PAGES));
  EXPECT_FALSE(described->read_only());
  request.set_store(store_ + 1000);
  EXPECT_EQ(
      ErrorCodeOf(
          service_.Run(operations::kDescribe, "writer", request).status()),
      v1::ERROR_CODE_INVALID_STORE);
}

}  // namespace
}  // namespace kv
