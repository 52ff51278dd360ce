"""A repository of Debian's system C++ libraries, described by pkg-config.

Each library becomes a `cc_library` in `@system//:NAME` whose `linkopts` and
`defines` are what `pkg-config` prints on this machine, so the long, version
specific link lines of gRPC and Abseil are never written down by hand. Headers
live in /usr/include, which the C++ toolchain already searches.
"""

def _flags(ctx, args, module):
    result = ctx.execute(["pkg-config"] + args + [module])
    if result.return_code != 0:
        fail("pkg-config {} {} failed: {}\nRun tools/setup.sh to install the build dependencies.".format(
            " ".join(args),
            module,
            result.stderr,
        ))
    return result.stdout.strip().split(" ") if result.stdout.strip() else []

def _system_libs_impl(ctx):
    rules = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, modules in ctx.attr.libraries.items():
        linkopts = []
        defines = []
        for module in modules:
            if module.startswith("-"):
                # A library that ships no .pc file (e.g. libgrpc++_reflection).
                linkopts.append(module)
                continue
            linkopts += _flags(ctx, ["--libs"], module)
            defines += [f[2:] for f in _flags(ctx, ["--cflags"], module) if f.startswith("-D")]
        rules.append("cc_library(\n    name = {},\n    linkopts = {},\n    defines = {},\n)\n".format(
            repr(name),
            repr(linkopts),
            repr(defines),
        ))
    ctx.file("WORKSPACE", 'workspace(name = "{}")\n'.format(ctx.name))
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
