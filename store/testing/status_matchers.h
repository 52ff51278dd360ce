#ifndef KV_STORE_TESTING_STATUS_MATCHERS_H_
#define KV_STORE_TESTING_STATUS_MATCHERS_H_

// gMock matchers for absl::Status and absl::StatusOr<T>, which Abseil
// 20220623 does not ship.
//
//   EXPECT_THAT(driver->Set("k", "v"), IsOk());
//   EXPECT_THAT(driver->Get("k"), IsOkAndHolds("v"));
//   EXPECT_THAT(driver->Get("gone"), StatusIs(absl::StatusCode::kNotFound));
//   EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound, HasSubstr("x")));

#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace kv::testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}

template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// Implements IsOkAndHolds(). A class rather than MATCHER_P because its
// description needs the StatusOr's value type, which only the conversion to
// a concrete Matcher knows.
template <typename ValueMatcher>
class IsOkAndHoldsMatcher {
 public:
  explicit IsOkAndHoldsMatcher(ValueMatcher value_matcher)
      : value_matcher_(std::move(value_matcher)) {}

  template <typename StatusOrType>
  operator ::testing::Matcher<StatusOrType>() const {  // NOLINT: implicit
    return ::testing::Matcher<StatusOrType>(new Impl<StatusOrType>(
        ::testing::SafeMatcherCast<const ValueType<StatusOrType>&>(
            value_matcher_)));
  }

 private:
  template <typename StatusOrType>
  using ValueType = typename std::remove_cv_t<
      std::remove_reference_t<StatusOrType>>::value_type;

  template <typename StatusOrType>
  class Impl : public ::testing::MatcherInterface<StatusOrType> {
   public:
    explicit Impl(::testing::Matcher<const ValueType<StatusOrType>&> matcher)
        : matcher_(std::move(matcher)) {}

    bool MatchAndExplain(
        StatusOrType arg,
        ::testing::MatchResultListener* result_listener) const override {
      if (!arg.ok()) {
        *result_listener << "whose status is " << arg.status();
        return false;
      }
      return matcher_.MatchAndExplain(*arg, result_listener);
    }

    void DescribeTo(std::ostream* os) const override {
      *os << "is OK and holds a value that ";
      matcher_.DescribeTo(os);
    }

    void DescribeNegationTo(std::ostream* os) const override {
      *os << "is not OK, or holds a value that ";
      matcher_.DescribeNegationTo(os);
    }

   private:
    ::testing::Matcher<const ValueType<StatusOrType>&> matcher_;
  };

  ValueMatcher value_matcher_;
};

}  // namespace internal

// Matches an OK absl::Status, or an absl::StatusOr<T> that holds a value.
MATCHER(IsOk, "is OK") {
  const absl::Status& status = internal::GetStatus(arg);
  if (!status.ok()) *result_listener << "whose status is " << status;
  return status.ok();
}

// Matches an OK absl::StatusOr<T> whose value matches `value_matcher`, which
// is a value or a matcher.
template <typename ValueMatcher>
internal::IsOkAndHoldsMatcher<std::decay_t<ValueMatcher>> IsOkAndHolds(
    ValueMatcher&& value_matcher) {
  return internal::IsOkAndHoldsMatcher<std::decay_t<ValueMatcher>>(
      std::forward<ValueMatcher>(value_matcher));
}

// Matches a status (or StatusOr) with the given code and a message that
// matches `message_matcher`.
MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + absl::StatusCodeToString(code) +
               " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  const absl::Status& status = internal::GetStatus(arg);
  if (status.code() != code) {
    *result_listener << "whose status is " << status;
    return false;
  }
  return ::testing::ExplainMatchResult(
      message_matcher, std::string(status.message()), result_listener);
}

// Matches a status (or StatusOr) with the given code, whatever its message.
inline auto StatusIs(absl::StatusCode code) {
  return StatusIs(code, ::testing::_);
}

}  // namespace kv::testing

#endif  // KV_STORE_TESTING_STATUS_MATCHERS_H_
