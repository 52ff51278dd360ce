"""A repository of Debian's system C++ libraries, described by pkg-config.

Each library becomes a `cc_library` in `@system//:NAME` whose `linkopts` and
`defines` are what `pkg-config` prints on this machine, so the long, version
specific link lines of gRPC and Abseil are never written down by hand. Headers
live in /usr/include, which the C++ toolchain already searches.

A library whose pkg-config module is missing (e.g. GoogleTest after
`tools/setup.sh --build`, which installs only what //service/kvd:kvd needs) becomes
a target that fails when something that uses it is analysed, with pkg-config's
message, so building kvd never needs the test libraries.
"""

# The pkg-config modules of Abseil that gRPC 1.51 needs on the link line
# (a shorter list fails to link). kvd's WORKSPACE and the C++ client's
# kvd_dependencies() (clients/cpp/repositories.bzl) both use this one list.
ABSL_MODULES = [
    "absl_flags_parse",
    "absl_flags_usage",
    "absl_random_random",
    "absl_status",
    "absl_statusor",
    "absl_str_format",
    "absl_strings",
    "absl_synchronization",
    "absl_time",
]

_MISSING_BZL = """\
def _missing_library_impl(ctx):
    fail(ctx.attr.message)

missing_library = rule(
    implementation = _missing_library_impl,
    attrs = {"message": attr.string()},
)
"""

# The flags pkg-config prints, or a string (the error) if it failed.
def _flags(ctx, args, module):
    result = ctx.execute(["pkg-config"] + args + [module])
    if result.return_code != 0:
        return "pkg-config {} {} failed: {}\nRun tools/setup.sh to install the build and test dependencies.".format(
            " ".join(args),
            module,
            result.stderr.strip(),
        )
    return result.stdout.strip().split(" ") if result.stdout.strip() else []

def _system_libs_impl(ctx):
    rules = [
        'load(":missing.bzl", "missing_library")',
        'package(default_visibility = ["//visibility:public"])',
        "",
    ]
    for name, modules in ctx.attr.libraries.items():
        linkopts = []
        defines = []
        error = None
        for module in modules:
            if module.startswith("-"):
                # A library that ships no .pc file (e.g. libgrpc++_reflection).
                linkopts.append(module)
                continue
            libs = _flags(ctx, ["--libs"], module)
            cflags = _flags(ctx, ["--cflags"], module)
            if type(libs) == "string" or type(cflags) == "string":
                error = libs if type(libs) == "string" else cflags
                break
            linkopts += libs
            defines += [f[2:] for f in cflags if f.startswith("-D")]
        if error:
            rules.append("missing_library(\n    name = {},\n    message = {},\n)\n".format(
                repr(name),
                repr("@system//:{}: {}".format(name, error)),
            ))
            continue
        rules.append("cc_library(\n    name = {},\n    linkopts = {},\n    defines = {},\n)\n".format(
            repr(name),
            repr(linkopts),
            repr(defines),
        ))
    ctx.file("WORKSPACE", 'workspace(name = "{}")\n'.format(ctx.name))
    ctx.file("missing.bzl", _MISSING_BZL)
    ctx.file("BUILD.bazel", "\n".join(rules))

system_libs = repository_rule(
    implementation = _system_libs_impl,
    attrs = {
        "libraries": attr.string_list_dict(
            doc = "Bazel target name -> the pkg-config modules it links, or literal -l flags for libraries without a .pc file.",
        ),
    },
    local = True,
)
