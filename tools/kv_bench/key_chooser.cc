#include "tools/kv_bench/key_chooser.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace kv {
namespace bench {
namespace {

// A stride coprime to `n`, near n * (golden ratio - 1), so that
// rank -> rank * stride mod n is a permutation that spreads neighbouring
// ranks far apart.
uint64_t CoprimeStride(uint64_t n) {
  if (n <= 2) return 1;
  uint64_t stride =
      static_cast<uint64_t>(static_cast<long double>(n) * 0.6180339887498949L);
  if (stride == 0) stride = 1;
  while (std::gcd(stride, n) != 1) ++stride;
  return stride % n == 0 ? 1 : stride;
}

}  // namespace

std::string KeyName(uint64_t index) {
  return absl::StrFormat("kvbench/%010d", index);
}

absl::optional<uint64_t> KeyIndexOf(absl::string_view name) {
  uint64_t index = 0;
  if (!absl::ConsumePrefix(&name, "kvbench/") || name.size() != 10 ||
      !absl::SimpleAtoi(name, &index)) {
    return absl::nullopt;
  }
  return index;
}

KeyChooser::KeyChooser(KeyDistribution distribution, uint64_t key_count,
                       double zipf_exponent, uint64_t seed)
    : distribution_(distribution),
      key_count_(key_count == 0 ? 1 : key_count),
      stride_(CoprimeStride(key_count_)),
      random_(seed),
      uniform_(0, key_count_ - 1),
      zipf_(key_count_ > 1 ? key_count_ - 1 : 1, zipf_exponent, 1.0) {}

uint64_t KeyChooser::IndexOfRank(uint64_t rank) const {
  return static_cast<uint64_t>(
      (static_cast<unsigned __int128>(rank) * stride_) % key_count_);
}

uint64_t KeyChooser::Next() {
  if (distribution_ == KeyDistribution::kUniform) return uniform_(random_);
  return IndexOfRank(std::min(zipf_(random_), key_count_ - 1));
}

double KeyChooser::NextUnit() {
  return std::uniform_real_distribution<double>(0.0, 1.0)(random_);
}

}  // namespace bench
}  // namespace kv
