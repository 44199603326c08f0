# Interop probe: SignalWire's official Python SDK (signalwire-sdk, scripts/requirements.txt) answers
# one inbound call, runs calling.connect to a busy number (a failed connect) and then to an agent
# (connected, with the peer), disconnects, hangs the peer up and then the call. One JSON line a
# step, with what the SDK's own events say.
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
FROM = "+15550001111"


def say(**fields):
    print(json.dumps(fields), flush=True)


def phone(to):
    return {"type": "phone", "params": {"from_number": FROM, "to_number": to}}


def watch(call, states):
    """A future for the first calling.call.connect of `call` whose state is in `states`,
    registered through the SDK's public `Call.on` before the request that causes it."""
    future = asyncio.get_running_loop().create_future()

    def handler(event):
        if not future.done() and event.connect_state in states:
            future.set_result(event)

    call.on("calling.call.connect", handler)
    return future


async def bounded(awaitable, what):
    try:
        return await asyncio.wait_for(awaitable, ACTION_TIMEOUT)
    except asyncio.TimeoutError:
        raise RuntimeError(f"{what}: nothing within {ACTION_TIMEOUT:g} s") from None


async def main():
    client = RelayClient(contexts=[os.environ.get("INTEROP_CONTEXT", "office")])
    calls: asyncio.Queue = asyncio.Queue()

    @client.on_call
    async def on_call(call):
        await calls.put(call)

    try:
        await client.connect()
        await run_connect(client, calls)
    finally:
        await client.disconnect()
    say(step="done")


async def run_connect(client, calls):
    say(step="connected")
    call = await calls.get()
    say(step="call", call_id=call.call_id)
    await call.answer()
    say(step="answered")
    ended = asyncio.ensure_future(call.wait_for_ended())

    # A busy agent: the connect is accepted, then fails with a reason.
    failed = watch(call, {"failed", "connected"})
    result = await call.connect([[phone(os.environ["INTEROP_BUSY"])]])
    event = await bounded(failed, "connect (busy)")
    say(step="connect_failed", code=result.get("code"), message=result.get("message"),
        state=event.connect_state, failed_reason=event.params.get("failed_reason"))

    # The agent answers: `connected` names the peer.
    connected = watch(call, {"connected", "failed"})
    result = await call.connect(
        [[phone(os.environ["INTEROP_AGENT"])]],
        ringback=[{"type": "ringtone", "params": {"name": "us"}}],
        tag="py-bridge",
    )
    event = await bounded(connected, "connect (agent)")
    say(step="connect_connected", code=result.get("code"), state=event.connect_state,
        peer=event.peer, tag=event.params.get("tag"))

    # Un-bridge: `disconnected`, both legs stay up.
    disconnected = watch(call, {"disconnected"})
    result = await call.disconnect()
    event = await bounded(disconnected, "disconnect")
    say(step="disconnected", code=result.get("code"), state=event.connect_state,
        peer=event.peer.get("call_id"))

    # The SDK keeps no Call for the peer leg: end it with a raw request.
    peer = event.peer
    result = await client.execute("calling.end", {"node_id": peer["node_id"],
                                                  "call_id": peer["call_id"], "reason": "hangup"})
    say(step="peer_hung_up", code=result.get("code"))
    await call.hangup()
    await bounded(ended, "the call's end")
    say(step="hung_up")


if __name__ == "__main__":
    limit = float(os.environ.get("INTEROP_TIMEOUT", "30"))
    try:
        asyncio.run(asyncio.wait_for(main(), limit))
    except asyncio.TimeoutError:
        say(step="error", error=f"timed out after {limit:g} s")
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - one line the caller can show
        say(step="error", error=f"{type(exc).__name__}: {exc}")
        sys.exit(1)
