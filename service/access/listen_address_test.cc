#include "service/access/listen_address.h"

#include "gtest/gtest.h"

namespace kv {
namespace {

TEST(ListenAddressTest, LoopbackAndUnixSocketsAreLocal) {
  EXPECT_TRUE(IsLocalOnlyAddress("127.0.0.1:50051"));
  EXPECT_TRUE(IsLocalOnlyAddress("127.1.2.3:0"));
  EXPECT_TRUE(IsLocalOnlyAddress("[::1]:50051"));
  EXPECT_TRUE(IsLocalOnlyAddress("localhost:50051"));
  EXPECT_TRUE(IsLocalOnlyAddress("LocalHost:1"));
  EXPECT_TRUE(IsLocalOnlyAddress("unix:/run/kvd/kvd.sock"));
  EXPECT_TRUE(IsLocalOnlyAddress("unix-abstract:kvd"));
}

TEST(ListenAddressTest, WildcardsAndOtherAddressesAreRemote) {
  EXPECT_FALSE(IsLocalOnlyAddress("0.0.0.0:50051"));
  EXPECT_FALSE(IsLocalOnlyAddress("[::]:50051"));
  EXPECT_FALSE(IsLocalOnlyAddress(":50051"));
  EXPECT_FALSE(IsLocalOnlyAddress("10.0.0.5:50051"));
  EXPECT_FALSE(IsLocalOnlyAddress("128.0.0.1:50051"));
  EXPECT_FALSE(IsLocalOnlyAddress("[::ffff:10.0.0.1]:1"));
  EXPECT_FALSE(IsLocalOnlyAddress("kvd.example.com:50051"));
  EXPECT_FALSE(IsLocalOnlyAddress("127.0.0.1.example.com:50051"));
  EXPECT_FALSE(IsLocalOnlyAddress("[::1:50051"));
  EXPECT_FALSE(IsLocalOnlyAddress("nocolon"));
}

}  // namespace
}  // namespace kv
