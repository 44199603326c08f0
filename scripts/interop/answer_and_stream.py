# Interop probe: SignalWire's official Python SDK (signalwire-sdk, scripts/requirements.txt) answers
# one inbound call and streams it, against the RELAY server SIGNALWIRE_SPACE names. One JSON line a step.
import asyncio
import os

from probe import run, say


async def answer_and_stream(_client, calls):
    say(step="connected")
    call = await calls.get()  # the first inbound call; any later ones are left alone
    say(step="call", call_id=call.call_id)
    await call.answer()
    say(step="answered")
    action = await call.stream(
        os.environ["INTEROP_STREAM_URL"],
        codec="PCMU",
        track=os.environ.get("INTEROP_TRACK", "inbound_track"),  # the inbound track, as the SDK docs spell it
        authorization_bearer_token=os.environ.get("INTEROP_STREAM_TOKEN"),  # None: not sent
        custom_parameters={"app": "interop"},
    )
    say(step="stream_started", control_id=action.control_id)
    seconds = os.environ.get("INTEROP_STREAM_SECONDS")
    if seconds:
        try:
            await action.wait(timeout=float(seconds))
        except asyncio.TimeoutError:
            await action.stop()  # calling.stream.stop; the server then sends state "finished"
    # This SDK does not finish an action when its call ends, so watch the call too.
    ended = asyncio.ensure_future(call.wait_for_ended())
    await asyncio.wait([ended, asyncio.ensure_future(action.wait())], return_when=asyncio.FIRST_COMPLETED)
    if not action.is_done:
        raise RuntimeError("the call ended before its stream finished")
    say(step="stream_finished", state=action.result.params.get("state"))
    await call.hangup()
    await ended  # the "ended" state event (acked by the SDK before it resolves this) before closing
    say(step="hung_up")


if __name__ == "__main__":
    run(answer_and_stream)
