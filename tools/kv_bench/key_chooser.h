#ifndef KV_TOOLS_KV_BENCH_KEY_CHOOSER_H_
#define KV_TOOLS_KV_BENCH_KEY_CHOOSER_H_

#include <cstdint>
#include <random>
#include <string>

#include "absl/random/zipf_distribution.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace kv {
namespace bench {

enum class KeyDistribution { kUniform, kZipf };

// The name of the benchmark's key number `index`: "kvbench/" and the index
// as 10 zero-padded digits, so keys sort in index order and all have the same
// length.
std::string KeyName(uint64_t index);

// The index `name` was made from by KeyName, or nullopt if it was not.
absl::optional<uint64_t> KeyIndexOf(absl::string_view name);

// Picks key indices in [0, key_count) from a seeded generator, so a run is
// repeatable. kUniform: every index equally likely. kZipf: index popularity
// follows Zipf's law with exponent `zipf_exponent` (> 1; absl's
// rejection-inversion sampler), and the ranks are scattered over the key
// space by a fixed permutation, so the hot keys are not neighbours (as in
// YCSB's scrambled Zipfian). Not thread-safe: one chooser per thread/slot.
class KeyChooser {
 public:
  KeyChooser(KeyDistribution distribution, uint64_t key_count,
             double zipf_exponent, uint64_t seed);

  uint64_t Next();

  // The index the rank-th most popular key (0-based) maps to under kZipf.
  uint64_t IndexOfRank(uint64_t rank) const;

  // A uniform double in [0, 1), from the same generator (for the read/write
  // mix).
  double NextUnit();

 private:
  KeyDistribution distribution_;
  uint64_t key_count_;
  uint64_t stride_;
  std::mt19937_64 random_;
  std::uniform_int_distribution<uint64_t> uniform_;
  absl::zipf_distribution<uint64_t> zipf_;
};

}  // namespace bench
}  // namespace kv

#endif  // KV_TOOLS_KV_BENCH_KEY_CHOOSER_H_
