import asyncio

from kvd_client import aio


async def main() -> None:
    async with aio.Store.open("default", timeout=5) as store:   # each call: 5 s at most
        await store.set("greeting", b"hello")
        value, exists = await asyncio.gather(store.get("greeting"), store.exists("greeting"))
        print(value, exists)
        await store.set_json("config", {"retries": 3}, timeout=0.5)   # this call: 0.5 s
        print((await store.get_json("config"))["retries"])
        try:
            await store.get("nope")
        except KeyError as error:                 # NoSuchKeyError is also a KeyError
            print("missing:", error)


asyncio.run(main())
