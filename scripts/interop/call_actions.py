# Interop probe: SignalWire's official Python SDK (signalwire-sdk, scripts/requirements.txt) answers
# one inbound call and runs play_and_collect, record, detect and send_digits with the SDK's own API,
# then hangs up. One JSON line a step, with what the SDK's result objects say.
import asyncio
import contextlib
import os
import uuid

from probe import bounded, run, say


def watch(call, event_type, predicate):
    """A future for the first `event_type` event of `call` that `predicate` accepts, registered
    now (before the request that causes it goes out), through the SDK's public `Call.on`."""
    future = asyncio.get_running_loop().create_future()

    def handler(event):
        if not future.done() and predicate(event):
            future.set_result(event)

    call.on(event_type, handler)
    return future


async def run_actions(_client, calls):
    say(step="connected")
    call = await calls.get()  # the first inbound call; any later ones are left alone
    say(step="call", call_id=call.call_id)
    await call.answer()
    say(step="answered")
    ended = asyncio.ensure_future(call.wait_for_ended())

    # play_and_collect: a TTS prompt, then up to 4 digits ended by "#".
    prompt_events = []
    call.on("calling.call.play", lambda e: prompt_events.append(e.params.get("state")))
    collect = await call.play_and_collect(
        [{"type": "tts", "params": {"text": "Enter your code, then press pound."}}],
        {"digits": {"max": 4, "terminators": "#", "digit_timeout": 5.0}, "initial_timeout": 5.0},
    )
    event = await bounded(collect.wait(), "play_and_collect")
    result = event.params.get("result", {})
    say(
        step="collected",
        control_id=collect.control_id,
        type=result.get("type"),
        digits=result.get("params", {}).get("digits"),
        terminator=result.get("params", {}).get("terminator"),
        final=event.params.get("final"),
        state=event.params.get("state"),
        prompt=prompt_events,
    )

    # collect with partial results: the SDK's StandaloneCollectAction resolves on the first
    # event that has a `result`, which is the first partial one (`final: false`). A user of the
    # SDK who asks for partial results reads the final result from the call's events.
    final = watch(call, "calling.call.collect", lambda e: e.params.get("final") is not False)
    partials = []
    call.on(
        "calling.call.collect",
        lambda e: partials.append(e.result.get("params", {}).get("digits"))
        if e.params.get("final") is False
        else None,
    )
    collect = await call.collect(
        digits={"max": 4, "terminators": "#"}, partial_results=True, start_input_timers=True
    )
    first = await bounded(collect.wait(), "collect")
    event = await bounded(final, "collect final result")
    say(
        step="collected_partial",
        control_id=collect.control_id,
        wait_digits=first.result.get("params", {}).get("digits"),
        wait_final=first.final,
        partials=partials,
        type=event.result.get("type"),
        digits=event.result.get("params", {}).get("digits"),
        terminator=event.result.get("params", {}).get("terminator"),
        final=event.final,
    )

    # record: let it run until the caller stops speaking.
    record = await call.record({"format": "wav", "direction": "speak", "end_silence_timeout": 2.0})
    event = await bounded(record.wait(), "record")
    say(
        step="recorded",
        control_id=record.control_id,
        state=event.state,
        url=event.url,
        duration=event.duration,
        size=event.size,
    )

    # record again, stopped before the caller is done: finished with what it holds.
    record = await call.record({"beep": True})
    with contextlib.suppress(asyncio.TimeoutError):
        await record.wait(timeout=1.0)  # the recording runs on; a timed-out wait leaves it be
    stopped = await record.stop()
    event = await bounded(record.wait(), "stopped record")
    say(
        step="record_stopped",
        control_id=record.control_id,
        stop_code=stopped.get("code"),
        state=event.state,
        url=event.url,
        duration=event.duration,
        size=event.size,
    )

    # detect: the SDK's DetectAction resolves on the first detect payload (the verdict); the
    # beep comes later on READY, which a user of this SDK reads from the call's events.
    ready = watch(
        call,
        "calling.call.detect",
        lambda e: e.params.get("detect", {}).get("params", {}).get("event") == "READY",
    )
    detect = await call.detect_answering_machine(initial_timeout=4.5, timeout=30.0)
    event = await bounded(detect.wait(), "detect")
    verdict = event.detect
    beep = await bounded(ready, "detect READY")
    stopped = await detect.stop()  # the detector runs on after its verdict until stopped
    say(
        step="detected",
        control_id=detect.control_id,
        type=verdict.get("type"),
        event=verdict.get("params", {}).get("event"),
        ready_beep=beep.detect.get("params", {}).get("beep"),
        stop_code=stopped.get("code"),
    )

    # send_digits: the SDK returns the request's result, no action; the end is the
    # calling.call.send_digits event, watched before the request goes out.
    control_id = str(uuid.uuid4())
    sent = watch(call, "calling.call.send_digits", lambda e: e.params.get("control_id") == control_id)
    reply = await call.send_digits("1w2#", control_id=control_id)
    event = await bounded(sent, "send_digits finished")
    say(
        step="digits_sent",
        control_id=control_id,
        code=reply.get("code"),
        state=event.state,
    )

    await call.hangup()
    await bounded(ended, "call ended")  # the "ended" event, acked, before closing
    say(step="hung_up")


if __name__ == "__main__":
    run(run_actions)
