// Makes absl::Mutex visible to ThreadSanitizer when Abseil itself is not
// instrumented, as with Debian's shared libabsl: without this, TSan sees no
// synchronization in Mutex::Lock (plain atomics inside an uninstrumented
// library) and reports every mutex-protected access as a data race.
//
// Under -fsanitize=thread this file defines absl::Mutex's locking functions
// in the test binary. ELF symbol interposition makes every call, including
// those from shared libraries, land here; each forwards to the real function
// in libabsl_synchronization.so and tells TSan about the happens-before edge:
// __tsan_release before a lock is given up, __tsan_acquire after it is taken.
// Shared (reader) sections are ordered like exclusive ones, which can hide a
// race between two readers but never reports a false one. Without
// -fsanitize=thread the file is empty.

#if defined(__SANITIZE_THREAD__)

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/base/config.h"
#include "absl/base/macros.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace {

#define KV_TSAN_STRINGIFY_INNER_(x) #x
#define KV_TSAN_STRINGIFY_(x) KV_TSAN_STRINGIFY_INNER_(x)

// Returns the next definition (the real one, in libabsl) of the absl symbol
// whose Itanium mangling is "_ZN4absl" <inline namespace> `suffix`. Each
// caller looks its function up once, into a function-local static.
template <typename Function>
Function Real(const char* suffix) {
  const std::string inline_namespace =
      KV_TSAN_STRINGIFY_(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  const std::string name = "_ZN4absl" +
                           std::to_string(inline_namespace.size()) +
                           inline_namespace + suffix;
  void* symbol = dlsym(RTLD_NEXT, name.c_str());
  if (symbol == nullptr) {
    std::fprintf(stderr, "tsan_absl_mutex: %s not found\n", name.c_str());
    std::abort();
  }
  return reinterpret_cast<Function>(symbol);
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex4LockEv");
  real(this);
  __tsan_acquire(this);
}

void Mutex::ReaderLock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex10ReaderLockEv");
  real(this);
  __tsan_acquire(this);
}

bool Mutex::TryLock() {
  static const auto real = Real<bool (*)(Mutex*)>("5Mutex7TryLockEv");
  bool locked = real(this);
  if (locked) __tsan_acquire(this);
  return locked;
}

bool Mutex::ReaderTryLock() {
  static const auto real = Real<bool (*)(Mutex*)>("5Mutex13ReaderTryLockEv");
  bool locked = real(this);
  if (locked) __tsan_acquire(this);
  return locked;
}

void Mutex::Unlock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex6UnlockEv");
  __tsan_release(this);
  real(this);
}

void Mutex::ReaderUnlock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex12ReaderUnlockEv");
  __tsan_release(this);
  real(this);
}

// The *When functions return with the lock held, whatever they return.
void Mutex::LockWhen(const Condition& cond) {
  static const auto real = Real<void (*)(Mutex*, const Condition&)>(
      "5Mutex8LockWhenERKNS0_9ConditionE");
  real(this, cond);
  __tsan_acquire(this);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static const auto real = Real<void (*)(Mutex*, const Condition&)>(
      "5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  real(this, cond);
  __tsan_acquire(this);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  bool result = real(this, cond, timeout);
  __tsan_acquire(this);
  return result;
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  bool result = real(this, cond, timeout);
  __tsan_acquire(this);
  return result;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  bool result = real(this, cond, deadline);
  __tsan_acquire(this);
  return result;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  bool result = real(this, cond, deadline);
  __tsan_acquire(this);
  return result;
}

// Waiting gives the lock up and takes it back inside libabsl.
void Mutex::Await(const Condition& cond) {
  static const auto real = Real<void (*)(Mutex*, const Condition&)>(
      "5Mutex5AwaitERKNS0_9ConditionE");
  __tsan_release(this);
  real(this, cond);
  __tsan_acquire(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  __tsan_release(this);
  bool result = real(this, cond, timeout);
  __tsan_acquire(this);
  return result;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  __tsan_release(this);
  bool result = real(this, cond, deadline);
  __tsan_acquire(this);
  return result;
}

void CondVar::Wait(Mutex* mu) {
  static const auto real =
      Real<void (*)(CondVar*, Mutex*)>("7CondVar4WaitEPNS0_5MutexE");
  __tsan_release(mu);
  real(this, mu);
  __tsan_acquire(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  static const auto real = Real<bool (*)(CondVar*, Mutex*, Duration)>(
      "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  __tsan_release(mu);
  bool result = real(this, mu, timeout);
  __tsan_acquire(mu);
  return result;
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  static const auto real = Real<bool (*)(CondVar*, Mutex*, Time)>(
      "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  __tsan_release(mu);
  bool result = real(this, mu, deadline);
  __tsan_acquire(mu);
  return result;
}

ABSL_NAMESPACE_END
}  // namespace absl

// Races that lie wholly inside Debian's uninstrumented libraries, whose
// internal synchronization (spinlocks, atomics, combiners) TSan cannot see.
// `called_from_lib` ignores the memory functions (memmove, free, sendmsg...)
// those libraries call themselves; every access in kvd's own code is still
// checked. TSan reads this at the start of every binary that links this file.
extern "C" const char* __tsan_default_suppressions() {
  return
      // Abseil's internals: the deadlock detector graph, the random pool,
      // status payloads, each guarded by internal spinlocks.
      "race:absl::*::synchronization_internal::GraphCycles::*\n"
      "called_from_lib:libabsl_graphcycles_internal.so\n"
      "called_from_lib:libabsl_random_internal_pool_urbg.so\n"
      "called_from_lib:libabsl_status.so\n"
      // Abseil's time zone cache (cctz), reached from gRPC's threads; its
      // memcmp of cached names runs under the library's own lock.
      "called_from_lib:libabsl_time.so\n"
      "called_from_lib:libabsl_time_zone.so\n"
      // gRPC's core (transport, slice buffers) and C++ layer (call arenas),
      // which hand objects between threads through completion queues.
      "called_from_lib:libgrpc.so\n"
      "called_from_lib:libgpr.so\n"
      "called_from_lib:libgrpc++.so\n"
      // upb, which gRPC core uses to encode messages it copies between its
      // threads (seen as memcpy under many concurrent client calls).
      "called_from_lib:libupb.so\n"
      // gRPC's header-inlined code (call tags, handlers, byte buffers), which
      // hands objects to the core through completion queues. `race_top` with
      // the `^` anchor matches only when a function of namespace grpc is the
      // racing frame, so a race whose top frame is kvd code (even one taking
      // gRPC types) is still reported.
      "race_top:^grpc::\n"
      // The same handoff where an inlined std:: helper is the racing frame:
      // gRPC finishing a batch after the reactor's Finish(). kvd's handlers
      // never run under this frame.
      "race:grpc::internal::CallbackWithSuccessTag::Run\n"
      // Its static entry point, which gRPC calls for the same batches (seen
      // since writes finish their calls from the SQLite committer thread).
      "race:grpc::internal::CallbackWithSuccessTag::StaticRun\n";
}

#endif  // defined(__SANITIZE_THREAD__)
