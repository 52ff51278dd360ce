"""Checks that rpc.proto (kv_bench's subset of etcd's KV API) matches etcd's
own service definition: the service and method names, and every field's
name, number and type.

Usage: rpc_proto_test.py SUBSET.proto ETCD_SRC
  ETCD_SRC is etcd's source tree as Debian's golang-etcd-server-dev installs
  it (/usr/share/gocode/src/go.etcd.io/etcd). That package conflicts with
  the Go client's packages (golang-github-golang-protobuf-1-5-dev,
  protoc-gen-go), so it is not in tools/setup.sh and this is a manual
  check, not a Bazel test. Without installing it:
    apt-get download golang-etcd-server-dev
    dpkg-deb -x golang-etcd-server-dev_*.deb /tmp/etcd-src
    /usr/bin/python3 tools/kv_bench/etcd/rpc_proto_test.py \
      tools/kv_bench/etcd/rpc.proto \
      /tmp/etcd-src/usr/share/gocode/src/go.etcd.io/etcd
The smoke test (//tools/kv_bench:kv_bench_smoke_test) exercises the subset
against a real etcd.
"""

import os
import re
import sys
import unittest


FIELD = re.compile(r"^\s*(repeated\s+)?([\w.]+)\s+(\w+)\s*=\s*(\d+)")
RPC = re.compile(r"^\s*rpc\s+(\w+)\s*\(\s*([\w.]+)\s*\)\s*returns\s*\(\s*([\w.]+)\s*\)")


def parse(paths):
    """{message name: {field: (repeated, type, number)}} and
    {service.method: (request, response)}; nested enums become messages."""
    messages, methods = {}, {}
    for path in paths:
        stack = []  # (kind, name)
        with open(path) as f:
            for line in f:
                line = line.split("//", 1)[0]
                m = re.match(r"^\s*(message|enum|service)\s+(\w+)\s*{", line)
                if m:
                    stack.append((m.group(1), m.group(2)))
                    if m.group(1) != "service":
                        messages.setdefault(m.group(2), {})
                    line = line[m.end():]
                kind, name = stack[-1] if stack else (None, None)
                if kind == "message":
                    f_m = FIELD.match(line)
                    if f_m and f_m.group(2) not in ("option", "reserved"):
                        messages[name][f_m.group(3)] = (
                            bool(f_m.group(1)),
                            f_m.group(2).split(".")[-1], int(f_m.group(4)))
                elif kind == "enum":
                    e_m = re.match(r"^\s*(\w+)\s*=\s*(\d+)", line)
                    if e_m:
                        messages[name][e_m.group(1)] = int(e_m.group(2))
                elif kind == "service":
                    r_m = RPC.match(line)
                    if r_m:
                        methods[f"{name}.{r_m.group(1)}"] = (
                            r_m.group(2).split(".")[-1],
                            r_m.group(3).split(".")[-1])
                # Any other block (an rpc's options, an option's value) is
                # anonymous; braces nest.
                for c in line:
                    if c == "{":
                        stack.append(("block", None))
                    elif c == "}" and stack:
                        stack.pop()
    return messages, methods


class EtcdSubsetTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        upstream = [
            os.path.join(ETCD_SRC, "etcdserver/etcdserverpb/rpc.proto"),
            os.path.join(ETCD_SRC, "mvcc/mvccpb/kv.proto")]
        for path in upstream:
            if not os.path.exists(path):
                raise AssertionError(f"{path} is missing (see --help)")
        with open(SUBSET) as f:
            text = f.read()
        cls.package = re.search(r"^package\s+([\w.]+);", text, re.M).group(1)
        cls.ours = parse([SUBSET])
        cls.theirs = parse(upstream)

    def test_package(self):
        self.assertEqual(self.package, "etcdserverpb")

    def test_methods(self):
        ours, theirs = self.ours[1], self.theirs[1]
        self.assertEqual(set(ours), {"KV.Range", "KV.Put"})
        for method, types in ours.items():
            self.assertEqual(types, theirs[method], method)

    def test_every_field_matches(self):
        ours, theirs = self.ours[0], self.theirs[0]
        self.assertGreaterEqual(len(ours), 6)
        for message, fields in ours.items():
            self.assertIn(message, theirs)
            self.assertTrue(fields, message)
            for name, spec in fields.items():
                self.assertEqual(spec, theirs[message].get(name),
                                 f"{message}.{name}")


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0 if len(sys.argv) > 1 else 2)
    SUBSET = sys.argv.pop(1)
    ETCD_SRC = sys.argv.pop(1)
    unittest.main()
