# The benchmark workload on SignalWire's official Python SDK, the same as examples' `workload`:
# BENCH_MODE=stream answers every call, streams it and waits for the stream to finish;
# BENCH_MODE=receive only takes the offered calls. Exits after BENCH_CALLS calls.
import asyncio
import json
import os
import sys
import time

from signalwire.relay import RelayClient


async def main(calls: int, mode: str):
    client = RelayClient(contexts=["office"], max_active_calls=calls * 2)
    done = asyncio.Event()
    count = 0

    def one_more():
        nonlocal count
        count += 1
        if count >= calls:
            done.set()

    @client.on_call
    async def handle(call):
        if mode == "receive":
            one_more()
            return
        await call.answer()
        action = await call.stream("wss://media.example.com/bench", codec="PCMU", track="inbound_track")
        await action.wait()
        one_more()

    await client.connect()
    await done.wait()
    await client.disconnect()


if __name__ == "__main__":
    calls = int(os.environ.get("BENCH_CALLS", "1000"))
    mode = os.environ.get("BENCH_MODE", "stream")
    began = time.monotonic()
    try:
        asyncio.run(asyncio.wait_for(main(calls, mode), float(os.environ.get("BENCH_TIMEOUT", "120"))))
    except Exception as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        sys.exit(1)
    print(json.dumps({"client": "signalwire-sdk (Python)", "calls": calls, "wall_s": time.monotonic() - began}))
