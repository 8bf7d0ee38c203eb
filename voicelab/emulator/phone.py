"""The simulated phone network's two outside ends: a caller and a webhook receiver.

:func:`place_call` dials the emulator's simulated SIP trunk (:mod:`voicelab.emulator.realtime.sip`): it
plays a recording as G.711 μ-law at 8 kHz, 20 ms a frame at playback speed, records every frame it hears
back, and stops when the other side hangs up (or some seconds after it finished talking).
:class:`WebhookReceiver` is the HTTP endpoint the emulator's ``realtime.call.incoming`` webhook goes to (your
server, in production), keeping each delivery's body and headers so the code under test can verify them
with ``client.webhooks.unwrap``. ``voicelab call`` is :func:`place_call` on the command line.

Examples
--------
>>> with WebhookReceiver() as inbox:
...     inbox.url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import threading
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from voicelab import audio as vaudio
from voicelab.errors import VoicelabError

from .realtime.codecs import ulaw_decode, ulaw_encode
from .realtime.sip import FRAME_BYTES, SIP_RATE

__all__ = ["CallResult", "Delivery", "WebhookReceiver", "add_arguments", "place_call", "run"]


@dataclass
class CallResult:
    """What the caller got: the call id, how the call ended, and the audio it heard (8 kHz PCM16)."""

    call_id: str | None
    outcome: dict[str, Any]
    heard: np.ndarray = field(repr=False)
    said_seconds: float = 0.0
    sample_rate: int = SIP_RATE

    @property
    def heard_seconds(self) -> float:
        return self.heard.size / self.sample_rate


async def place_call(
    base_url: str,
    api_key: str,
    speech: np.ndarray,
    sr: int,
    *,
    caller: str = "sip:+15550100@voicelab.invalid",
    callee: str = "sip:proj_voicelab@sip.api.openai.com",
    listen_after: float = 8.0,
    max_seconds: float = 120.0,
    on_ringing: Callable[[str], Awaitable[None] | None] | None = None,
) -> CallResult:
    """Call the emulator from a recording and record what comes back.

    Parameters
    ----------
    base_url : str
        The emulator's root (``http://127.0.0.1:8000``) or its ``/v1`` base URL.
    api_key : str
        The emulator's server key (the trunk belongs to your account, as a real SIP trunk does).
    speech, sr : ndarray, int
        What the caller says (any rate, mono); sent as μ-law at 8 kHz.
    caller, callee : str
        The INVITE's ``From`` and ``To``.
    listen_after : float
        Seconds to keep listening after the caller finished talking, unless the other side hangs up first.
    on_ringing : callable, optional
        Called with the call id when the call rings (e.g. to accept it without a webhook).
    """
    import websockets

    root = base_url.rstrip("/").removesuffix("/v1")
    url = root.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/voicelab/sip?"
    url += urllib.parse.urlencode({"from": caller, "to": callee})
    pcm8k = vaudio.to_pcm16(vaudio.resample(np.asarray(speech, np.float32) / _scale(speech), sr, SIP_RATE))
    heard: list[np.ndarray] = []
    outcome: dict[str, Any] = {"type": "no_answer"}
    call_id: str | None = None
    async with websockets.connect(
        url,
        additional_headers={"Authorization": f"Bearer {api_key}"},
        open_timeout=10,
        max_size=2**16,
    ) as ws:
        ringing = json.loads(await asyncio.wait_for(ws.recv(), 10))
        call_id = ringing.get("call_id")
        if on_ringing is not None and call_id is not None:
            result = on_ringing(call_id)
            if asyncio.iscoroutine(result):
                await result
        answer = json.loads(await asyncio.wait_for(ws.recv(), max_seconds))
        if answer.get("type") != "accepted":
            return CallResult(call_id, answer, np.zeros(0, np.int16))
        outcome = {"type": "caller_hung_up"}
        deadline = time.monotonic() + max_seconds

        async def talk() -> None:
            start = time.monotonic()
            frames = int(np.ceil(pcm8k.size / FRAME_BYTES)) + int(listen_after * 50)
            for index in range(frames):
                chunk = pcm8k[index * FRAME_BYTES : (index + 1) * FRAME_BYTES]
                frame = np.zeros(FRAME_BYTES, np.int16)
                frame[: chunk.size] = chunk
                await ws.send(ulaw_encode(frame))
                wait = start + (index + 1) * 0.02 - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)

        async def listen() -> dict[str, Any]:
            while time.monotonic() < deadline:
                message = await ws.recv()
                if isinstance(message, bytes):
                    heard.append(ulaw_decode(message))
                else:
                    return dict(json.loads(message))
            return {"type": "timeout"}

        talking, listening = asyncio.create_task(talk()), asyncio.create_task(listen())
        try:
            done, _ = await asyncio.wait({talking, listening}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                error = task.exception()
                if isinstance(error, websockets.ConnectionClosed):
                    outcome = {"type": "hangup"}
                elif error is not None:
                    raise error
            if listening in done and listening.exception() is None:
                outcome = listening.result()
        finally:
            for task in (talking, listening):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if outcome["type"] == "caller_hung_up":
                with contextlib.suppress(Exception):
                    await ws.send(json.dumps({"type": "bye"}))
    recorded = np.concatenate(heard) if heard else np.zeros(0, np.int16)
    return CallResult(call_id, outcome, recorded, said_seconds=pcm8k.size / SIP_RATE)


def _scale(speech: np.ndarray) -> float:
    return 32768.0 if np.asarray(speech).dtype == np.int16 else 1.0


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery: the raw body and the headers, as your endpoint receives them."""

    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """A local HTTP endpoint (in a thread) that records webhook deliveries and answers 200.

    Use as a context manager; ``url`` is where to point ``EmulatorSettings.sip_webhook_url``.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        deliveries: queue.Queue[Delivery] = queue.Queue()
        self._deliveries = deliveries

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(min(length, 1 << 20))
                deliveries.put(Delivery(body, {k.lower(): v for k, v in self.headers.items()}))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="webhook-receiver", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/webhook"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def get(self, timeout: float = 10.0) -> Delivery:
        """The next delivery (waits up to ``timeout`` seconds)."""
        try:
            return self._deliveries.get(timeout=timeout)
        except queue.Empty:
            raise VoicelabError(f"no webhook arrived within {timeout} s") from None

    async def next(self, timeout: float = 10.0) -> Delivery:
        """:meth:`get` without blocking the event loop."""
        return await asyncio.to_thread(self.get, timeout)

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------------- voicelab call
def add_arguments(parser: Any) -> None:
    """Options of ``voicelab call``."""
    parser.add_argument("wav", help="what the caller says (any format voicelab.audio.read reads)")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the emulator (default %(default)s)")
    parser.add_argument("--from", dest="caller", default="sip:+15550100@voicelab.invalid", help="caller URI")
    parser.add_argument(
        "--to", dest="callee", default="sip:proj_voicelab@sip.api.openai.com", help="callee URI"
    )
    parser.add_argument(
        "--listen", type=float, default=8.0, help="seconds to listen after talking (%(default)s)"
    )
    parser.add_argument("--record", help="write what the caller heard to this WAV (8 kHz)")
    parser.add_argument(
        "--accept",
        action="store_true",
        help="accept the call yourself with client.realtime.calls.accept (no webhook server needed)",
    )
    parser.epilog = (
        "The key comes from VOICELAB_API_KEY (the emulator's server key), never from the command line. "
        "Without --accept, your webhook handler must accept the call (EmulatorSettings.sip_webhook_url)."
    )


def run(args: Any) -> int:
    """``voicelab call``: place the call, print how it ended, optionally save what was heard."""
    import os

    import soundfile

    speech = vaudio.read(args.wav, mono=True)
    key = os.environ.get("VOICELAB_API_KEY") or "voicelab-local"

    async def accept(call_id: str) -> None:
        import openai

        async with openai.AsyncOpenAI(
            api_key=key, base_url=args.url.rstrip("/").removesuffix("/v1") + "/v1"
        ) as c:
            await c.realtime.calls.accept(call_id, type="realtime")

    result = asyncio.run(
        place_call(
            args.url,
            key,
            speech.y,
            speech.sr,
            caller=args.caller,
            callee=args.callee,
            listen_after=args.listen,
            on_ringing=accept if args.accept else None,
        )
    )
    print(
        f"call {result.call_id}: {json.dumps(result.outcome)}; said {result.said_seconds:.1f} s, "
        f"heard {result.heard_seconds:.1f} s"
    )
    if args.record:
        soundfile.write(args.record, result.heard, SIP_RATE, subtype="PCM_16")
        print(f"wrote {args.record}")
    return 0 if result.outcome.get("type") in ("hangup", "caller_hung_up") else 1
