import datetime

from kvd_client import Capability, Store

with Store.open("default") as store:
    store.delete_many(["session/a", "session/b", "session/c"])          # start afresh
    store.set("session/a", b"alice", ttl=datetime.timedelta(minutes=30))
    store.set("session/b", b"bob", ttl=90)                   # seconds work too
    store.set("session/c", b"carol")                         # never expires
    entry = store.get_entry("session/a")
    left = entry.expire_time - datetime.datetime.now(datetime.timezone.utc)
    print(entry.value, round(left / datetime.timedelta(minutes=1)),
          store.get_entry("session/c").expire_time)
    print(list(store.list_keys("session/", page_size=2)))    # fetches pages as it goes
    keys, token = store.list_keys_page("session/", 2)        # one page at a time
    print(keys, token != "")
    print(store.list_keys_page("session/", 2, token))
    info = store.describe()
    print(info.limits.max_ttl.days, info.limits.max_page_size,
          {Capability.TTL, Capability.LIST_PAGES} <= info.capabilities)
