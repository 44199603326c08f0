# Benchmark workload on SignalWire's official Python SDK, the same as examples' `workload`: answer every
# inbound call, start one stream on it, count streams finished; exit after BENCH_CALLS (BENCH_MODE=receive: only take calls).
import asyncio
import json
import os
import sys
import time

from signalwire.relay import RelayClient

CALLS = int(os.environ.get("BENCH_CALLS", "1000"))
RECEIVE_ONLY = os.environ.get("BENCH_MODE") == "receive"
STREAM_URL = os.environ.get("BENCH_STREAM_URL", "wss://media.example.com/bench")
finished = 0


async def main():
    # The SDK drops calls beyond max_active_calls (default 1000), and these calls are never hung up.
    client = RelayClient(contexts=[os.environ.get("BENCH_CONTEXT", "office")], max_active_calls=max(CALLS, 1) * 2)
    all_done = asyncio.Event()

    def count():
        global finished
        finished += 1
        if finished >= CALLS:
            all_done.set()

    @client.on_call
    async def on_call(call):
        if RECEIVE_ONLY:
            return count()
        await call.answer()
        action = await call.stream(STREAM_URL, codec="PCMU", track="inbound_track")
        event = await action.wait()
        if event.params.get("state") == "finished":  # not a call that was already gone (404/410)
            count()

    try:
        await client.connect()
        await all_done.wait()
    finally:
        await client.disconnect()


if __name__ == "__main__":
    limit = float(os.environ.get("BENCH_TIMEOUT", "120"))
    began = time.monotonic()
    try:
        asyncio.run(asyncio.wait_for(main(), limit))
    except asyncio.TimeoutError:
        print(json.dumps({"error": f"timed out after {limit:g} s: {finished} of {CALLS} calls finished"}))
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        sys.exit(1)
    print(json.dumps({"calls": CALLS, "wall_s": round(time.monotonic() - began, 6)}))
