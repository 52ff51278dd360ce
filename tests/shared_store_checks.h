#ifndef KV_TESTS_SHARED_STORE_CHECKS_H_
#define KV_TESTS_SHARED_STORE_CHECKS_H_

// Checks that two kvd processes serving one shared store (Redis or
// PostgreSQL) see one store, for the backends' end-to-end tests.

#include <cstdint>

#include "tests/kv_test_client.h"

namespace kv::testing {

// Revisions, conditions and counters belong to the shared store, not to one
// kvd process: a revision read through one kvd is a condition the other
// checks, and increments through both add up.
// `one` and `two` reach different kvd processes; `in_one` and `in_two` are
// their handles to the shared store. Uses the keys "cas" and "count".
void ExpectSharedRevisions(KvTestClient& one, uint32_t in_one,
                           KvTestClient& two, uint32_t in_two);

}  // namespace kv::testing

#endif  // KV_TESTS_SHARED_STORE_CHECKS_H_
