"""What another Bazel workspace needs to depend on @kvd//clients/cpp:store.

In the consumer's WORKSPACE (see clients/cpp/README.md):

    local_repository(name = "kvd", path = "/path/to/kvd")
    load("@kvd//clients/cpp:repositories.bzl", "kvd_dependencies")
    kvd_dependencies()

kvd_dependencies() declares, unless the workspace already has a repository of
that name:
  - rules_cc, rules_java, remote_coverage_tools: kvd's offline stand-ins
    (tools/bazel/), the same ones kvd's own WORKSPACE uses. Without them,
    Bazel 4.2.3 downloads the real ones, which fails offline; a workspace that
    has the real ones (online, or from its own mirror) keeps them.
  - system: Debian's gRPC, protobuf and Abseil, described by pkg-config
    (tools/bazel/system_libs.bzl), which kvd's BUILD files name @system.
"""

load("//tools/bazel:system_libs.bzl", "ABSL_MODULES", "system_libs")

# The @system libraries //clients/cpp:store and //proto:kv_cc_grpc link.
KVD_CLIENT_SYSTEM_LIBRARIES = {
    "absl": ABSL_MODULES,
    "grpc++": ["grpc++"],
    "protobuf": ["protobuf"],
}

def _stand_in_impl(ctx):
    # A copy-free mirror of one of kvd's stand-in folders: the folder's
    # entries, symlinked. (A macro cannot compute the path of @kvd, so
    # native.local_repository cannot point there.)
    folder = ctx.path(ctx.attr.anchor).dirname.get_child(ctx.attr.folder)
    for entry in folder.readdir():
        ctx.symlink(entry, entry.basename)

_stand_in = repository_rule(
    implementation = _stand_in_impl,
    attrs = {
        "anchor": attr.label(doc = "A file of kvd's tools/bazel package."),
        "folder": attr.string(doc = "The stand-in's folder in tools/bazel."),
    },
    local = True,
)

_STAND_INS = ["rules_cc", "rules_java", "remote_coverage_tools"]

def kvd_dependencies(system_libraries = KVD_CLIENT_SYSTEM_LIBRARIES):
    """Declares the repositories @kvd//clients/cpp:store needs.

    Args:
      system_libraries: the @system targets and their pkg-config modules;
        pass a larger dict to build more of kvd than the C++ client.
    """
    for name in _STAND_INS:
        if not native.existing_rule(name):
            _stand_in(
                name = name,
                # Label() resolves in kvd's repository, whatever the caller's.
                anchor = Label("//tools/bazel:BUILD.bazel"),
                folder = name,
            )
    if not native.existing_rule("system"):
        system_libs(name = "system", libraries = system_libraries)
