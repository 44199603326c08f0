# The baseline two-way media server for the benchmark, written with the `websockets` package:
# the same echo agent as examples' `media_flood` built-in server (parse each message, decode
# each PCMU chunk to 16-bit samples, encode it back and send it as a `media` message with the
# stream's streamSid). One process, one thread (asyncio).
# Usage: python python_media_echo.py — prints "listening ws://host:port pid PID", serves until
# killed.
import asyncio
import os
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # the C µ-law codec a Python server would use (Python < 3.13)
import base64
import json

import websockets


async def echo(ws):
    sid = ""
    async for text in ws:
        message = json.loads(text)
        event = message.get("event")
        if event == "media":
            samples = audioop.ulaw2lin(base64.b64decode(message["media"]["payload"]), 2)
            payload = base64.b64encode(audioop.lin2ulaw(samples, 2)).decode()
            await ws.send(json.dumps(
                {"event": "media", "streamSid": sid, "media": {"payload": payload}},
                separators=(",", ":")))
        elif event == "start":
            sid = message["start"]["streamSid"]
        elif event == "stop":
            break


async def main():
    async with websockets.serve(echo, "127.0.0.1", 0, max_size=1 << 16, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening ws://127.0.0.1:{port} pid {os.getpid()}", flush=True)
        await asyncio.Future()


asyncio.run(main())
