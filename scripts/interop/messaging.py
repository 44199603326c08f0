# Interop probe: SignalWire's official Python SDK (signalwire-sdk, scripts/requirements.txt) sends
# messages and receives one, against the RELAY server SIGNALWIRE_SPACE names. One JSON line a step.
import asyncio
import os

from probe import run, say


async def follow(client, step, to_number, **options):
    states = []
    message = await client.send_message(
        from_number=os.environ["INTEROP_FROM"], to_number=to_number, **options
    )
    message.on(lambda event: states.append(event.params.get("message_state")))
    say(step=step + "_accepted", message_id=message.message_id, state=message.state)
    # The SDK resolves wait() on any terminal state, undelivered and failed included.
    event = await message.wait(timeout=10)
    say(
        step=step,
        message_id=message.message_id,
        state=message.state,
        reason=message.reason,
        event_state=event.params.get("message_state"),
        states=states,
    )


async def messaging(client, inbound):
    say(step="connected")
    await follow(client, "delivered", os.environ["INTEROP_TO"], body="hello from python", tags=["interop"])
    await follow(client, "undelivered", os.environ["INTEROP_UNDELIVERED"], body="lost")
    message = await asyncio.wait_for(inbound.get(), 10)
    say(
        step="received",
        message_id=message.message_id,
        body=message.body,
        from_number=message.from_number,
        to_number=message.to_number,
        state=message.state,
        direction=message.direction,
        segments=message.segments,
    )


if __name__ == "__main__":
    run(messaging, "on_message")
