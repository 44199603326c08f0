# What every interop probe shares: the SDK's log on stderr when asked, one JSON line a step on
# stdout, a RelayClient on INTEROP_CONTEXT whose inbound calls or messages go to a queue, a
# bound on each wait and on the whole run, and one "error" line with exit code 1 on failure.
import asyncio
import json
import os
import sys

from signalwire.relay import RelayClient

if os.environ.get("SIGNALWIRE_LOG_LEVEL"):  # the SDK's own frame log, on stderr (stdout stays JSON)
    os.environ.setdefault("SIGNALWIRE_LOG_MODE", "stderr")
    from signalwire import configure_logging

    configure_logging()

ACTION_TIMEOUT = float(os.environ.get("INTEROP_ACTION_TIMEOUT", "10"))


def say(**fields):
    print(json.dumps(fields), flush=True)


async def bounded(awaitable, what):
    """`awaitable` within ACTION_TIMEOUT, or an error that names what did not come."""
    try:
        return await asyncio.wait_for(awaitable, ACTION_TIMEOUT)
    except asyncio.TimeoutError:
        raise RuntimeError(f"{what}: nothing within {ACTION_TIMEOUT:g} s") from None


async def session(probe, inbound_kind):
    client = RelayClient(contexts=[os.environ.get("INTEROP_CONTEXT", "office")])
    inbound: asyncio.Queue = asyncio.Queue()

    async def arrived(item):
        await inbound.put(item)

    # `client.on_call` / `client.on_message` are the SDK's decorators: they register `arrived`.
    getattr(client, inbound_kind)(arrived)
    try:
        await client.connect()
        await probe(client, inbound)
    finally:
        await client.disconnect()  # a clean close, on failure too
    say(step="done")


def run(probe, inbound_kind="on_call"):
    """Runs `probe(client, inbound)` within INTEROP_TIMEOUT seconds and exits 1 on failure."""
    limit = float(os.environ.get("INTEROP_TIMEOUT", "30"))
    try:
        asyncio.run(asyncio.wait_for(session(probe, inbound_kind), limit))
    except asyncio.TimeoutError:
        say(step="error", error=f"timed out after {limit:g} s")
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - one line the caller can show
        say(step="error", error=f"{type(exc).__name__}: {exc}")
        sys.exit(1)
