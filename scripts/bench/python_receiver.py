# The baseline stream receiver for the benchmark, written with the `websockets` package: the
# same job as examples' `stream_receiver` (parse each message, decode each PCMU chunk once to
# 16-bit samples, place it at its timestamp, write one WAV per stream at `stop`).
# Usage: python python_receiver.py OUT_DIR STREAMS — prints "listening ws://host:port", then
# exits after STREAMS streams have stopped.
import asyncio
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # the C µ-law decoder a Python receiver would use (Python < 3.13)
import base64
import json
import os
import sys
import wave

import websockets

OUT, STREAMS = sys.argv[1], int(sys.argv[2])
BYTES_PER_MS = 16  # 8 kHz, 16-bit mono once decoded
ended = 0
all_done = asyncio.Event()


async def receive(ws):
    global ended
    sid, audio, chunks = "unknown", bytearray(), 0
    async for text in ws:
        message = json.loads(text)
        event = message.get("event")
        if event == "media":
            media = message["media"]
            samples = audioop.ulaw2lin(base64.b64decode(media["payload"]), 2)
            at = int(media["timestamp"]) * BYTES_PER_MS
            if len(audio) < at + len(samples):
                audio.extend(bytes(at + len(samples) - len(audio)))
            audio[at:at + len(samples)] = samples
            chunks += 1
        elif event == "start":
            sid = message["start"]["streamSid"]
        elif event == "stop":
            break
    with wave.open(os.path.join(OUT, f"{sid}.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(audio)
    ended += 1
    if ended >= STREAMS:
        all_done.set()


async def main():
    os.makedirs(OUT, exist_ok=True)
    async with websockets.serve(receive, "127.0.0.1", 0, max_size=1 << 20) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening ws://127.0.0.1:{port}", flush=True)
        await all_done.wait()


if __name__ == "__main__":
    asyncio.run(main())
