"""kv_fuzz_test: a libFuzzer target that is also a regression test."""

load("@rules_cc//cc:defs.bzl", "cc_test")

def kv_fuzz_test(name, srcs, deps = [], **kwargs):
    """A fuzz target `name` whose source defines LLVMFuzzerTestOneInput.

    The default (gcc) build links a replay main that runs every input of the
    checked-in corpus, corpus/NAME/, once: `bazel test` then replays it as a
    regression test. Under --config=fuzz (clang) the same target links
    libFuzzer's main and is a real fuzzer; tests/fuzz/run_fuzzers.sh runs it.
    Both mains take the corpus directory and ignore the other's flags.

    Args:
      name: the target, and the name of its corpus directory.
      srcs: the fuzz target's sources.
      deps: what they use.
      **kwargs: passed to cc_test (size, tags, ...).
    """
    corpus = "corpus/" + name
    cc_test(
        name = name,
        srcs = srcs,
        deps = deps + select({
            "//tests/fuzz:fuzzing": [],
            "//conditions:default": ["//tests/fuzz:fuzz_replay_main"],
        }),
        linkopts = select({
            "//tests/fuzz:fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        data = native.glob([corpus + "/**"]),
        # -runs=0: libFuzzer runs the corpus once and stops.
        args = ["-runs=0", native.package_name() + "/" + corpus],
        **kwargs
    )
