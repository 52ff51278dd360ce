// Under --config=tsan, points ThreadSanitizer at tsan_suppressions.txt (a
// runfile; tests run in the runfiles root). Empty in other builds.
#if defined(__SANITIZE_THREAD__)
extern "C" const char* __tsan_default_options() {
  return "suppressions=clients/cpp/tsan_suppressions.txt";
}
#endif
