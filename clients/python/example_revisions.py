from kvd_client import ConditionFailedError, Store

with Store.open("default") as store:
    store.delete_many(["visits", "profile", "a", "b"])       # start afresh
    print(store.increment("visits"), store.increment("visits", 10))
    created = store.set("profile", b"v1", if_revision=0)      # create-only
    entry = store.get_entry("profile")
    print(entry.value, entry.revision == created)
    store.set("profile", b"v2", if_revision=entry.revision)
    try:
        store.set("profile", b"v3", if_revision=entry.revision)   # stale now
    except ConditionFailedError as error:
        print("conflict:", error.current_revision > entry.revision)
    store.update("profile", lambda value: (value or b"") + b"!")  # retries on conflict
    print(store.get("profile"))
    first, second = store.set_many({"a": b"1", "b": b"2"})    # all or nothing
    print(first < second, [(e.key, e.value) for e in store.get_many(["a", "nope", "b"])])
    info = store.describe()
    print(info.driver, info.durability.name, info.limits.max_batch_entries)
