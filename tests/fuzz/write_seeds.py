#!/usr/bin/python3
"""Writes the hand-made seeds of the fuzz corpora (tests/fuzz/corpus/).

Seeds are named seed-*; inputs the fuzzers found keep libFuzzer's names (a
SHA-1) or, for a crash that was fixed, crash-*. Rerun after changing a seed:
  tests/fuzz/write_seeds.py
"""

import base64
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def write(fuzzer, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    directory = os.path.join(HERE, "corpus", fuzzer)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "seed-" + name), "wb") as f:
        f.write(data)


def varint(value):
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def uint_field(number, value):
    return varint(number << 3) + varint(value)


def bytes_field(number, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return varint((number << 3) | 2) + varint(len(data)) + data


# Requests by method, as kv.proto defines them.
def open_request(name):
    return bytes_field(1, name)


def get_request(store, key):
    return uint_field(1, store) + bytes_field(2, key)


def set_request(store, key, value):
    return uint_field(1, store) + bytes_field(2, key) + bytes_field(3, value)


def handle_request(store):  # GetKeys, Close, Describe
    return uint_field(1, store)


def sint_field(number, value):  # int64: two's complement as a varint
    return uint_field(number, value & 0xFFFFFFFFFFFFFFFF)


def increment_request(store, key, delta):
    return uint_field(1, store) + bytes_field(2, key) + sint_field(3, delta)


def keys_request(store, keys):  # GetMany, DeleteMany
    return uint_field(1, store) + b"".join(bytes_field(2, k) for k in keys)


def set_entry(key, value, if_revision=None):
    data = bytes_field(1, key) + bytes_field(2, value)
    if if_revision is not None:
        data += uint_field(3, if_revision)
    return data


def set_many_request(store, entries):
    return uint_field(1, store) + b"".join(
        bytes_field(2, set_entry(*e)) for e in entries)


def duration(seconds, nanos=0):
    """A google.protobuf.Duration's bytes, any values (even invalid ones)."""
    data = b""
    if seconds:
        data += sint_field(1, seconds)
    if nanos:
        data += sint_field(2, nanos)
    return data


def ttl_field(number, seconds, nanos=0):
    return bytes_field(number, duration(seconds, nanos))


def set_ttl_request(store, key, value, seconds, nanos=0):
    return set_request(store, key, value) + ttl_field(5, seconds, nanos)


def set_ttl_entry(key, value, seconds, nanos=0):
    return bytes_field(1, key) + bytes_field(2, value) + ttl_field(
        4, seconds, nanos)


def list_keys_request(store, prefix="", page_size=0, page_token=""):
    data = uint_field(1, store) if store else b""
    if prefix:
        data += bytes_field(2, prefix)
    if page_size:
        data += sint_field(3, page_size)
    if page_token:
        data += bytes_field(4, page_token)
    return data


def page_token(store, prefix, after):
    """The token kvd's service/page_token.cc makes: URL-safe base64 (no
    padding) of version 1, the store and the prefix each with a 4-byte
    big-endian length, then the last key returned."""
    def length_prefixed(text):
        data = text.encode("utf-8")
        return len(data).to_bytes(4, "big") + data
    raw = (b"\x01" + length_prefixed(store) + length_prefixed(prefix)
           + after.encode("utf-8"))
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


TEN_YEARS = 3650 * 86400


CONFIGS = {
    "empty": "",
    "full": """[server]
listen = "127.0.0.1:50051"
data_dir = "data"
worker_threads = 4

[limits]
max_key_bytes = 256
max_value_bytes = 1048576
max_open_stores = 256
idle_timeout = "1h"
max_get_keys_bytes = 4177920

[key_value_store.default]
type = "sqlite"
path = "data/default.db"
durability = "fsync"

[key_value_store.cache]
type = "memory"
""",
    "redis": """[key_value_store.sessions]
type = "redis"
url = "redis://user:pa%40ss@127.0.0.1:6379/0"
timeout = "1s"
pool_size = 16
""",
    "redis-unix": """[key_value_store.s]
type = "redis"
url = "unix:/run/redis.sock?db=2"
""",
    "postgres": """[key_value_store.orders]
type = "postgres"
url = "postgresql://kv:secret@127.0.0.1:5432/kv"
timeout = "2s"
pool_size = 4
table = "kv_orders"
""",
    "bad-type": '[key_value_store.orders]\ntype = "reddis"\n',
    "bad-field": '[key_value_store.default]\ntype = "sqlite"\npth = "x"\n',
    "bad-limit": "[limits]\nmax_key_bytes = 100\n",
    "bad-toml": '[server]\nlisten = \n',
    "client": '[[client]]\nname = "checkout"\nkey_value_stores = ["default"]\n',
    "dotted": '[key_value_store."a.b-c_d"]\ntype = "memory"\n',
    "durations": '[limits]\nidle_timeout = "1h30m0.5s"\n',
}

for name, text in CONFIGS.items():
    write("config_fuzzer", name, text)

# validation_fuzzer: a selector byte (bits 0-5: the request type mod 13, in
# the order of request_path_fuzzer's methods below; bit 7: a 256-byte key
# limit, else bit 6: 65536, else 8), then the bytes.
VALIDATION = {
    "ascii-key": b"\x81" + b"greeting",
    "utf8-key": b"\x81" + "clé-日本-😀".encode("utf-8"),
    "nul-key": b"\x81" + b"a\x00b",
    "overlong": b"\x81" + b"\xc0\xaf",
    "surrogate": b"\x81" + b"\xed\xa0\x80",
    "past-max": b"\x81" + b"\xf4\x90\x80\x80",
    "truncated": b"\x81" + b"\xe2\x82",
    "open": b"\x80" + open_request("default"),
    "get": b"\x81" + get_request(1, "k"),
    "set": b"\x82" + set_request(1, "k", b"\x00\xffvalue"),
    "delete": b"\x83" + get_request(7, "key"),
    "exists": b"\x84" + get_request(4294967295, "x"),
    "get-keys": b"\x85" + handle_request(3),
    "close": b"\x86" + handle_request(2),
    "bad-utf8-field": b"\x81" + uint_field(1, 1) + bytes_field(2, b"\xff"),
    "garbage": b"\x82" + b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
    # Before Quote() cut long text, its error message echoed all of a long
    # invalid key, hex-escaped: 12 KB here, past gRPC's trailer limit.
    "long-invalid-key": b"\x41" + b"\xff" * 3000,
    "increment": b"\x87" + increment_request(1, "n", -5),
    "increment-min": b"\x87" + increment_request(1, "n", -(1 << 63)),
    "get-many": b"\x88" + keys_request(1, ["a", "b", "a"]),
    "set-many": b"\x89" + set_many_request(1, [("a", "1"), ("b", "2", 0)]),
    "set-many-dup": b"\x09" + set_many_request(1, [("k", "1"), ("k", "2")]),
    "set-many-big": b"\x89" + set_many_request(1, [("x", "v" * 100)] * 3),
    "delete-many": b"\x8a" + keys_request(1, ["a", "", "\xff"]),
    "describe": b"\x8b" + handle_request(1),
    "set-if-revision": b"\x82" + set_request(1, "k", "v") + uint_field(4, 0),
    # ttl on Set (field 5) and SetMany entries (field 4).
    "set-ttl": b"\x82" + set_ttl_request(1, "k", "v", 0, 200000000),
    "set-ttl-1ms": b"\x82" + set_ttl_request(1, "k", "v", 0, 1000000),
    "set-ttl-zero": b"\x82" + set_ttl_request(1, "k", "v", 0),
    "set-ttl-half-ms": b"\x82" + set_ttl_request(1, "k", "v", 0, 500000),
    "set-ttl-negative": b"\x82" + set_ttl_request(1, "k", "v", -1),
    "set-ttl-max": b"\x82" + set_ttl_request(1, "k", "v", TEN_YEARS),
    "set-ttl-over-max": b"\x82" + set_ttl_request(1, "k", "v", TEN_YEARS, 1),
    "set-ttl-int64-max": b"\x82" + set_ttl_request(1, "k", "v", (1 << 63) - 1,
                                                    999999999),
    "set-ttl-int64-min": b"\x82" + set_ttl_request(1, "k", "v", -(1 << 63)),
    "set-ttl-mixed-signs": b"\x82" + set_ttl_request(1, "k", "v", 1,
                                                      -500000000),
    "set-ttl-nanos-range": b"\x82" + set_ttl_request(1, "k", "v", 0,
                                                      1000000000),
    "set-many-ttl": b"\x89" + uint_field(1, 1)
    + bytes_field(2, set_ttl_entry("a", "1", 60))
    + bytes_field(2, set_entry("b", "2"))
    + bytes_field(2, set_ttl_entry("c", "3", 0, -1)),
    # ListKeys (request type 12).
    "list-keys": b"\x8c" + list_keys_request(1, "a/", 10),
    "list-keys-empty": b"\x8c",
    "list-keys-token": b"\x8c" + list_keys_request(
        1, "a/", 10, page_token("default", "a/", "a/009")),
    "list-keys-other-store": b"\x8c" + list_keys_request(
        1, "a/", 10, page_token("other", "a/", "a/009")),
    "list-keys-other-prefix": b"\x8c" + list_keys_request(
        1, "b/", 10, page_token("default", "a/", "a/009")),
    "list-keys-garbage-token": b"\x8c" + list_keys_request(1, "", 0, "garbage"),
    "list-keys-negative-page": b"\x8c" + list_keys_request(1, "", -1),
    "list-keys-huge-page": b"\x8c" + list_keys_request(1, "", (1 << 31) - 1),
    "list-keys-long-prefix": b"\x8c" + list_keys_request(1, "p" * 300),
    "list-keys-bad-utf8-prefix": b"\x8c" + uint_field(1, 1)
    + bytes_field(2, b"\xc3"),
}
for name, data in VALIDATION.items():
    write("validation_fuzzer", name, data)


# request_path_fuzzer: calls of (header, length, bytes); header bits 0-2 and
# bit 5 the method (0 Open, 1 Get, 2 Set, 3 Delete, 4 Exists, 5 GetKeys,
# 6 Close, 7 Increment, 8 GetMany, 9 SetMany, 10 DeleteMany, 11 Describe,
# 12 ListKeys),
# bit 3 bind to the harness's handle, bit 4 the cache store.
def call(method, data=b"", bind=True, cache=False):
    header = ((method & 0x07) | ((method & 0x08) << 2)
              | (0x08 if bind else 0) | (0x10 if cache else 0))
    assert len(data) < 256
    return bytes([header, len(data)]) + data


def key_only(key):
    return bytes_field(2, key)


def key_value(key, value):
    return bytes_field(2, key) + bytes_field(3, value)


PATHS = {
    "set-get-delete": call(2, key_value("k", "v")) + call(1, key_only("k"))
    + call(4, key_only("k")) + call(5) + call(3, key_only("k"))
    + call(1, key_only("k")),
    "cache": call(2, key_value("a", b"\x00\x01"), cache=True)
    + call(5, cache=True) + call(1, key_only("a"), cache=True),
    "open-close": call(0) + call(0, cache=True) + call(0, open_request("nope"),
                                                      bind=False)
    + call(6) + call(1, key_only("k")),
    "hostile-keys": b"".join(
        call(2, key_value(k, "x")) for k in
        ["%", "_", "*", "?", "[a]", "..", "../../etc/passwd", "'", '"', ";",
         "--", "\\", "' OR '1'='1", "a\x00b"])
    + call(5) + call(3, key_only("*")) + call(5),
    "invalid-utf8": call(2, key_value(b"\xff\xfe", "v"))
    + call(0, open_request(b"\xc3"), bind=False),
    "empty-key": call(2, key_value("", "v")) + call(1),
    "unbound": call(1, get_request(123456, "k"), bind=False)
    + call(6, handle_request(0), bind=False),
    "garbage": call(2, b"\x0a\xff\xff\xff\xff\x0f") + call(5, b"\x07"),
    "counter": call(7, bytes_field(2, "n") + sint_field(3, 41))
    + call(7, bytes_field(2, "n") + sint_field(3, 1)) + call(1, key_only("n"))
    + call(2, key_value("t", "abc")) + call(7, bytes_field(2, "t")
                                             + sint_field(3, 1))
    + call(2, key_value("m", "9223372036854775807"))
    + call(7, bytes_field(2, "m") + sint_field(3, 1)),
    "conditions": call(2, key_value("k", "v") + uint_field(4, 0))
    + call(2, key_value("k", "w") + uint_field(4, 0))
    + call(2, key_value("k", "w") + uint_field(4, 1))
    + call(3, key_only("k") + uint_field(3, 99)),
    "batches": call(9, b"".join(bytes_field(2, set_entry(k, "v"))
                                for k in ["a", "b", "c"]))
    + call(8, b"".join(bytes_field(2, k) for k in ["c", "x", "a"]))
    + call(9, bytes_field(2, set_entry("a", "1", 0))
           + bytes_field(2, set_entry("d", "1")))
    + call(10, b"".join(bytes_field(2, k) for k in ["a", "b", "zz"]))
    + call(8, bytes_field(2, "a") + bytes_field(2, "a")),
    "describe": call(11) + call(11, cache=True)
    + call(11, handle_request(999), bind=False),
    # The bound handle comes first, so the bytes start at field 2.
    "list-keys": call(2, key_value("a/1", "v")) + call(2, key_value("a/2", "v"))
    + call(2, key_value("b", "v")) + call(12)
    + call(12, bytes_field(2, "a/") + sint_field(3, 1))
    + call(12, bytes_field(2, "a/") + sint_field(3, 1)
           + bytes_field(4, page_token("default", "a/", "a/1")))
    + call(12, bytes_field(2, "b/")
           + bytes_field(4, page_token("default", "a/", "a/1")))
    + call(12, bytes_field(2, "a/")
           + bytes_field(4, page_token("cache", "a/", "a/1")))
    + call(12, bytes_field(4, "garbage")) + call(12, sint_field(3, -1))
    + call(12, bytes_field(2, "%")) + call(12, cache=True)
    + call(12, list_keys_request(424242), bind=False),
    "ttl": call(2, key_value("t", "v") + ttl_field(5, 0, 1000000))
    + call(1, key_only("t")) + call(8, bytes_field(2, "t"))
    + call(2, key_value("u", "1") + ttl_field(5, 3600))
    + call(7, bytes_field(2, "u") + sint_field(3, 1)) + call(1, key_only("u"))
    + call(2, key_value("u", "2")) + call(2, key_value("z", "v")
                                           + ttl_field(5, 0))
    + call(2, key_value("z", "v") + ttl_field(5, -5))
    + call(2, key_value("z", "v") + ttl_field(5, TEN_YEARS + 1))
    + call(9, bytes_field(2, set_ttl_entry("m", "1", 60))
           + bytes_field(2, set_ttl_entry("n", "1", 0, 1)))
    + call(2, key_value("c", "v") + uint_field(4, 0) + ttl_field(5, 1)),
}
for name, data in PATHS.items():
    write("request_path_fuzzer", name, data)
