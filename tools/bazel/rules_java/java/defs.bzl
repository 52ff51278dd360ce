"""Forwards the @rules_java API to Bazel 4.2.3's native Java rules.

Bazel's own @bazel_tools loads these names even in C++-only builds.
"""

java_binary = native.java_binary
java_import = native.java_import
java_library = native.java_library
java_proto_library = native.java_proto_library
java_runtime = native.java_runtime
java_test = native.java_test
java_toolchain = native.java_toolchain
