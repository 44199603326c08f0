# Interop probe: SignalWire's official Python SDK answers one call and streams it, against
# whatever RELAY server SIGNALWIRE_SPACE names (our simulator in the tests). One JSON line a step.
import asyncio
import json
import os
import sys

from signalwire.relay import RelayClient


def say(**fields):
    print(json.dumps(fields), flush=True)


async def main():
    client = RelayClient(contexts=[os.environ.get("INTEROP_CONTEXT", "office")])
    calls: asyncio.Queue = asyncio.Queue()

    @client.on_call
    async def handle(call):
        await calls.put(call)

    await client.connect()
    say(step="connected")
    call = await calls.get()
    say(step="call", call_id=call.call_id)
    await call.answer()
    say(step="answered")
    action = await call.stream(
        os.environ["INTEROP_STREAM_URL"],
        codec="PCMU",
        track="inbound_track",
        authorization_bearer_token=os.environ.get("INTEROP_STREAM_TOKEN"),
        custom_parameters={"app": "interop"},
    )
    say(step="stream_started", control_id=action.control_id)
    event = await action.wait()
    say(step="stream_finished", state=event.params.get("state"))
    await call.hangup()
    say(step="hung_up")
    await client.disconnect()
    say(step="done")


if __name__ == "__main__":
    try:
        asyncio.run(asyncio.wait_for(main(), float(os.environ.get("INTEROP_TIMEOUT", "30"))))
    except Exception as exc:  # one line the Rust test can show
        say(step="error", error=f"{type(exc).__name__}: {exc}")
        sys.exit(1)
