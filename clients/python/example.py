from kvd_client import NoSuchKeyError, Store

with Store.open("default") as store:          # $KVD_ADDR, else 127.0.0.1:50051
    store.set("greeting", b"hello")
    print(store.get("greeting"))
    store.set_json("config", {"retries": 3, "tags": ["a", "b"]})
    print(store.get_json("config")["retries"], store.exists("greeting"))
    try:
        store.get("nope")
    except NoSuchKeyError as error:
        print("missing:", error.code.name, error.grpc_code.name)
