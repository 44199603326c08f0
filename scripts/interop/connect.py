# Interop probe: SignalWire's official Python SDK (signalwire-sdk, scripts/requirements.txt) answers
# one inbound call, runs calling.connect to a busy number (a failed connect) and then to an agent
# (connected, with the peer), disconnects, hangs the peer up and then the call. One JSON line a
# step, with what the SDK's own events say.
import asyncio
import os

from probe import bounded, run, say

FROM = "+15550001111"


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
    run(run_connect)
