// Expiry and paged listing through the service, on a memory store whose
// clock the test moves: ttl checks, expire_time on reads, ListKeys pages and
// tokens, and what Describe says about both.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/batch_operations.h"
#include "service/describe_operations.h"
#include "service/errors/kv_error.h"
#include "service/kv_service.h"
#include "service/list_operations.h"
#include "service/read_operations.h"
#include "service/session_operations.h"
#include "service/write_operations.h"
#include "store/testing/fake_clock.h"
#include "store/testing/status_matchers.h"

namespace kv {
namespace {

using ::kv::testing::FakeClock;
using ::kv::testing::IsOk;
using ::kv::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

google::protobuf::Duration Ttl(absl::Duration ttl) {
  google::protobuf::Duration proto;
  proto.set_seconds(absl::IDivDuration(ttl, absl::Seconds(1), &ttl));
  proto.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(ttl)));
  return proto;
}

absl::Time TimeOf(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) +
         absl::Nanoseconds(timestamp.nanos());
}

class ExpiryListOperationsTest : public ::testing::Test {
 protected:
  ExpiryListOperationsTest()
      : catalog_({Spec("default"), Spec("other")}),
        service_(Opened(&catalog_), TestLimits(), 1,
                 [](const std::string&, bool) {}) {
    store_ = Open("default");
  }

  StoreSpec Spec(const std::string& name) {
    StoreSpec spec;
    spec.name = name;
    spec.type = "memory";
    spec.clock = &clock_;
    return spec;
  }

  static StoreCatalog* Opened(StoreCatalog* catalog) {
    catalog->OpenAll();
    return catalog;
  }

  static Limits TestLimits() {
    Limits limits;
    limits.max_page_size = 50;
    return limits;
  }

  uint32_t Open(const std::string& name) {
    v1::OpenRequest request;
    request.set_name(name);
    absl::StatusOr<v1::OpenResponse> response =
        service_.Run(operations::kOpen, "", request);
    EXPECT_THAT(response, IsOk());
    return response.ok() ? response->store() : 0;
  }

  absl::StatusOr<v1::SetResponse> Set(
      const std::string& key, const std::string& value,
      absl::optional<google::protobuf::Duration> ttl = absl::nullopt) {
    v1::SetRequest request;
    request.set_store(store_);
    request.set_key(key);
    request.set_value(value);
    if (ttl.has_value()) *request.mutable_ttl() = *ttl;
    return service_.Run(operations::kSet, "", request);
  }

  absl::StatusOr<v1::GetResponse> Get(const std::string& key) {
    v1::GetRequest request;
    request.set_store(store_);
    request.set_key(key);
    return service_.Run(operations::kGet, "", request);
  }

  absl::StatusOr<v1::ListKeysResponse> List(const std::string& prefix,
                                            int32_t page_size,
                                            const std::string& token = "",
                                            uint32_t store = 0) {
    v1::ListKeysRequest request;
    request.set_store(store == 0 ? store_ : store);
    request.set_prefix(prefix);
    request.set_page_size(page_size);
    request.set_page_token(token);
    return service_.Run(operations::kListKeys, "", request);
  }

  // Every key with `prefix`, following the tokens; checks each page.
  std::vector<std::string> ListAll(const std::string& prefix,
                                   int32_t page_size) {
    std::vector<std::string> keys;
    std::string token;
    for (int pages = 0; pages < 10000; ++pages) {
      absl::StatusOr<v1::ListKeysResponse> page =
          List(prefix, page_size, token);
      EXPECT_THAT(page, IsOk());
      if (!page.ok()) break;
      keys.insert(keys.end(), page->keys().begin(), page->keys().end());
      if (page->next_page_token().empty()) break;
      token = page->next_page_token();
    }
    return keys;
  }

  FakeClock clock_;
  StoreCatalog catalog_;
  KeyValueService service_;
  uint32_t store_ = 0;
};

TEST_F(ExpiryListOperationsTest, SetWithTtlReportsExpireTime) {
  ASSERT_THAT(Set("k", "v", Ttl(absl::Seconds(90))), IsOk());
  absl::StatusOr<v1::GetResponse> got = Get("k");
  ASSERT_THAT(got, IsOk());
  ASSERT_TRUE(got->has_expire_time());
  EXPECT_EQ(TimeOf(got->expire_time()), clock_.Now() + absl::Seconds(90));

  v1::GetManyRequest many;
  many.set_store(store_);
  many.add_keys("k");
  absl::StatusOr<v1::GetManyResponse> entries =
      service_.Run(operations::kGetMany, "", many);
  ASSERT_THAT(entries, IsOk());
  ASSERT_TRUE(entries->entries(0).has_expire_time());
  EXPECT_EQ(TimeOf(entries->entries(0).expire_time()),
            TimeOf(got->expire_time()));
}

TEST_F(ExpiryListOperationsTest, SetWithoutTtlReportsNoExpireTime) {
  ASSERT_THAT(Set("k", "v", Ttl(absl::Seconds(90))), IsOk());
  ASSERT_THAT(Set("k", "v2"), IsOk());
  absl::StatusOr<v1::GetResponse> got = Get("k");
  ASSERT_THAT(got, IsOk());
  EXPECT_FALSE(got->has_expire_time());
}

TEST_F(ExpiryListOperationsTest, SubMillisecondPartOfATtlIsDropped) {
  ASSERT_THAT(Set("k", "v", Ttl(absl::Microseconds(2500))), IsOk());
  absl::StatusOr<v1::GetResponse> got = Get("k");
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(TimeOf(got->expire_time()), clock_.Now() + absl::Milliseconds(2));
}

TEST_F(ExpiryListOperationsTest, ExpiredKeyIsNoSuchKey) {
  ASSERT_THAT(Set("k", "v", Ttl(absl::Seconds(5))), IsOk());
  clock_.Advance(absl::Seconds(5));
  EXPECT_THAT(Get("k"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("NO_SUCH_KEY")));
  EXPECT_THAT(ListAll("", 10), IsEmpty());
}

TEST_F(ExpiryListOperationsTest, BadTtlsAreInvalidArgumentNamingTtl) {
  for (absl::Duration ttl :
       {absl::ZeroDuration(), absl::Seconds(-1), absl::Microseconds(500),
        absl::Hours(24 * 3650) + absl::Seconds(1)}) {
    EXPECT_THAT(
        Set("bad", "v", Ttl(ttl)),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ttl is")))
        << ttl;
  }
  EXPECT_THAT(Get("bad"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(Set("max", "v", Ttl(absl::Hours(24 * 3650))), IsOk());
}

TEST_F(ExpiryListOperationsTest, SetManyNamesTheEntryWithABadTtl) {
  v1::SetManyRequest request;
  request.set_store(store_);
  v1::SetEntry* good = request.add_entries();
  good->set_key("a");
  *good->mutable_ttl() = Ttl(absl::Seconds(1));
  v1::SetEntry* bad = request.add_entries();
  bad->set_key("b");
  *bad->mutable_ttl() = Ttl(absl::ZeroDuration());
  EXPECT_THAT(service_.Run(operations::kSetMany, "", request),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("entries[1].ttl is 0")));
  EXPECT_THAT(Get("a"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ExpiryListOperationsTest, ListKeysPagesWithTokens) {
  for (int i = 0; i < 25; ++i) {
    ASSERT_THAT(Set(absl::StrFormat("list/%02d", i), "v"), IsOk());
  }
  ASSERT_THAT(Set("list0", "v"), IsOk());
  ASSERT_THAT(Set("lis", "v"), IsOk());

  absl::StatusOr<v1::ListKeysResponse> first = List("list/", 10);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->keys_size(), 10);
  EXPECT_EQ(first->keys(0), "list/00");
  ASSERT_FALSE(first->next_page_token().empty());
  absl::StatusOr<v1::ListKeysResponse> second =
      List("list/", 10, first->next_page_token());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->keys(0), "list/10");
  absl::StatusOr<v1::ListKeysResponse> last =
      List("list/", 10, second->next_page_token());
  ASSERT_THAT(last, IsOk());
  EXPECT_EQ(last->keys_size(), 5);
  EXPECT_EQ(last->keys(4), "list/24");
  EXPECT_THAT(last->next_page_token(), IsEmpty());

  EXPECT_EQ(ListAll("", 7).size(), 27u);
}

TEST_F(ExpiryListOperationsTest, PageSizeDefaultsAndIsCapped) {
  for (int i = 0; i < 60; ++i) {
    ASSERT_THAT(Set(absl::StrFormat("k%02d", i), "v"), IsOk());
  }
  // 0 means the default (1,000), capped by this test's max_page_size (50).
  absl::StatusOr<v1::ListKeysResponse> page = List("", 0);
  ASSERT_THAT(page, IsOk());
  EXPECT_EQ(page->keys_size(), 50);
  page = List("", 1000000);
  ASSERT_THAT(page, IsOk());
  EXPECT_EQ(page->keys_size(), 50);
  EXPECT_THAT(List("", -1), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("page_size is -1")));
}

TEST_F(ExpiryListOperationsTest, TokensBelongToTheirStoreAndPrefix) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(Set(absl::StrCat("p/", i), "v"), IsOk());
  }
  absl::StatusOr<v1::ListKeysResponse> first = List("p/", 2);
  ASSERT_THAT(first, IsOk());
  const std::string token = first->next_page_token();
  EXPECT_THAT(List("p", 2, token),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("page_token continues a listing with prefix "
                                 "\"p/\", not \"p\"")));
  EXPECT_THAT(List("p/", 2, token, Open("other")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("of store \"default\", not of store "
                                 "\"other\"")));
  EXPECT_THAT(List("p/", 2, "garbage"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("page_token is not a token kvd issued")));
  // The same token from another handle to the same store continues.
  EXPECT_THAT(List("p/", 2, token, Open("default")), IsOk());
}

TEST_F(ExpiryListOperationsTest, PrefixIsChecked) {
  EXPECT_THAT(List(std::string(257, 'a'), 10),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("prefix is 257 bytes; the longest is 256")));
  EXPECT_THAT(List("\xc3", 10),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("prefix is not valid UTF-8")));
}

TEST_F(ExpiryListOperationsTest, PagesShrinkToFitTheMessageLimit) {
  Limits limits;
  limits.max_key_bytes = 21;
  limits.max_get_keys_bytes = 100;
  StoreCatalog catalog({Spec("default")});
  KeyValueService service(Opened(&catalog), limits, 1,
                          [](const std::string&, bool) {});
  v1::OpenRequest open;
  open.set_name("default");
  absl::StatusOr<v1::OpenResponse> opened =
      service.Run(operations::kOpen, "", open);
  ASSERT_THAT(opened, IsOk());
  std::vector<std::string> expected;
  for (int i = 0; i < 20; ++i) {
    v1::SetRequest set;
    set.set_store(opened->store());
    set.set_key(absl::StrFormat("key-of-twenty-bytes%d", i % 10) +
                std::string(1, static_cast<char>('a' + i)));
    expected.push_back(set.key());
    ASSERT_THAT(service.Run(operations::kSet, "", set), IsOk());
  }
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> listed;
  std::string token;
  int pages = 0;
  do {
    v1::ListKeysRequest request;
    request.set_store(opened->store());
    request.set_page_size(20);
    request.set_page_token(token);
    absl::StatusOr<v1::ListKeysResponse> page =
        service.Run(operations::kListKeys, "", request);
    ASSERT_THAT(page, IsOk());
    EXPECT_LE(page->keys_size(), 3);  // 3 x (21 + 6) bytes fit in 100.
    EXPECT_GE(page->keys_size(), 1);
    listed.insert(listed.end(), page->keys().begin(), page->keys().end());
    token = page->next_page_token();
    ++pages;
  } while (!token.empty() && pages < 100);
  EXPECT_EQ(listed, expected);
  EXPECT_GE(pages, 7);
}

TEST_F(ExpiryListOperationsTest, DescribeReportsTtlAndPagingLimits) {
  v1::DescribeRequest request;
  request.set_store(store_);
  absl::StatusOr<v1::DescribeResponse> described =
      service_.Run(operations::kDescribe, "", request);
  ASSERT_THAT(described, IsOk());
  EXPECT_EQ(described->limits().max_ttl().seconds(), 3650 * 24 * 3600);
  EXPECT_EQ(described->limits().max_page_size(), 50u);
  EXPECT_THAT(
      described->capabilities(),
      ::testing::IsSupersetOf({v1::CAPABILITY_TTL, v1::CAPABILITY_LIST_PAGES}));
}

}  // namespace
}  // namespace kv
