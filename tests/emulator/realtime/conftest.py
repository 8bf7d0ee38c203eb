"""Fixtures for the realtime emulator: strict event validation, a synchronous effect driver, test signals.

Every server event any test sees goes through :func:`strict_validate` — the same check openai-agents applies:
``TypeAdapter(Annotated[RealtimeServerEvent, Field(discriminator="type")])`` in strict mode, on the JSON form.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Annotated, Any

import numpy as np
import pytest
import websockets
from openai.types.realtime import RealtimeServerEvent
from pydantic import Field, TypeAdapter

from voicelab.emulator.app import create_app
from voicelab.emulator.realtime.core import ServerCore
from voicelab.emulator.realtime.effects import (
    Close,
    FinalizeTranscriber,
    GenerateReply,
    StepTranscriber,
    StopResponse,
    Synthesize,
    Transcribe,
)
from voicelab.emulator.realtime.route import Engines
from voicelab.emulator.server import EmbeddedServer
from voicelab.emulator.settings import EmulatorSettings
from voicelab.vad.detectors import DetectorStream
from voicelab.vad.server_vad import ServerVAD, ServerVADParams

SERVER_EVENT = TypeAdapter(Annotated[RealtimeServerEvent, Field(discriminator="type")])
SR = 24000
API_KEY = "fake-realtime-test"


def strict_validate(event: dict[str, Any]) -> Any:
    """Validate one server event as strict clients do; returns the parsed model (raises on any mismatch)."""
    wire = json.loads(json.dumps(event))
    model = SERVER_EVENT.validate_python(wire, strict=True)
    assert model.type == event["type"]
    return model


@pytest.fixture
def validate() -> Callable[[dict[str, Any]], Any]:
    return strict_validate


def start_server(engines: Engines | None = None, **settings: Any) -> EmbeddedServer:
    """A started emulator on a free loopback port, keyed :data:`API_KEY`, sending audio unpaced; ``settings``
    set any other setting, ``engines`` replace the real offline engines."""
    app = create_app(EmulatorSettings(port=0, api_key=API_KEY, realtime_pacing=False, **settings))
    if engines is not None:
        app.state.realtime_engines = engines
    return EmbeddedServer(app.state.settings, app=app).start()


async def raw_connect(
    srv: Any,
    *,
    query: str = "model=gpt-realtime",
    key: str | None = API_KEY,
    headers: dict | None = None,
    subprotocols: list[str] | None = None,
    compression: str | None = "deflate",
) -> websockets.ClientConnection:
    """A plain WebSocket to ``srv``'s ``/v1/realtime`` (an ``EmbeddedServer``), the key as a bearer header."""
    all_headers = dict(headers or {})
    if key is not None and not subprotocols:
        all_headers["Authorization"] = f"Bearer {key}"
    return await websockets.connect(
        f"{srv.websocket_base_url}/realtime?{query}",
        additional_headers=all_headers,
        subprotocols=subprotocols,
        open_timeout=10,
        compression=compression,
    )


async def recv_json(ws: Any, validate: Callable[[dict[str, Any]], Any], timeout: float = 10.0) -> dict:
    """The next server event of a raw socket, strictly validated."""
    event = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    validate(event)
    return event


async def recv_until(
    ws: Any, validate: Callable[[dict[str, Any]], Any], kind: str, timeout: float = 10.0
) -> list[dict]:
    """Server events of a raw socket up to and including the first ``kind`` (each within ``timeout``)."""
    events: list[dict] = []
    while not events or events[-1]["type"] != kind:
        events.append(await recv_json(ws, validate, timeout))
    return events


def user_message(text: str, *, item_id: str | None = None) -> dict[str, Any]:
    """A user ``message`` item of one ``input_text`` part (``item_id``: an id the client chooses)."""
    given = {} if item_id is None else {"id": item_id}
    return {**given, "type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def user_text(text: str, *, item_id: str | None = None) -> dict[str, Any]:
    """The ``conversation.item.create`` client event adding :func:`user_message`."""
    return {"type": "conversation.item.create", "item": user_message(text, item_id=item_id)}


def manual_turns() -> dict[str, Any]:
    """The ``session.update`` client event turning turn detection off (the client commits and responds)."""
    return {
        "type": "session.update",
        "session": {"type": "realtime", "audio": {"input": {"turn_detection": None}}},
    }


async def request_answer(ws: Any, text: str, *, modalities: list[str] | None = None) -> None:
    """On a raw socket: :func:`user_text`, then ``response.create`` (``output_modalities`` when given)."""
    await ws.send(json.dumps(user_text(text)))
    create: dict[str, Any] = {"type": "response.create"}
    if modalities is not None:
        create["response"] = {"output_modalities": modalities}
    await ws.send(json.dumps(create))


async def ask(
    ws: Any,
    validate: Callable[[dict[str, Any]], Any],
    text: str,
    *,
    modalities: list[str] | None = None,
    timeout: float = 10.0,
) -> list[dict]:
    """:func:`request_answer`, then the server events up to and including ``response.done``."""
    await request_answer(ws, text, modalities=modalities)
    return await recv_until(ws, validate, "response.done", timeout)


class _RmsScorer:
    """Speech probability 1 for frames louder than -40 dBFS, else 0 (clean synthetic signals)."""

    def score(self, frame: np.ndarray) -> float:
        rms = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64)))) if frame.size else 0.0
        return 1.0 if rms > 0.01 else 0.0


class RmsDetector:
    """A deterministic detector with the ``voicelab.vad`` Detector interface (20 ms frames)."""

    name = "rms"
    frame_ms = 20.0

    def stream(self, sr: int = 24000) -> DetectorStream:
        return DetectorStream(_RmsScorer(), sr=sr, frame_samples=320)

    def probabilities(self, y: np.ndarray, sr: int) -> np.ndarray:
        stream = self.stream(sr)
        return np.concatenate([stream.process(y), stream.flush()])


def rms_vad_factory(config: dict[str, Any]) -> ServerVAD:
    """The real ServerVAD state machine over the deterministic detector."""
    return ServerVAD(ServerVADParams.from_turn_detection(config), detector=RmsDetector())


def tone(seconds: float, *, freq: float = 220.0, amp: float = 0.3) -> np.ndarray:
    """A voiced-like tone (int16, 24 kHz)."""
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * freq * t) * 32767).astype(np.int16)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SR), dtype=np.int16)


def scripted_reply(messages: list[dict[str, Any]], effect: GenerateReply) -> tuple[str, list[dict[str, Any]]]:
    """A tiny deterministic brain: call the first tool when asked about weather, else echo the user."""
    last = messages[-1] if messages else {"role": "user", "content": ""}
    if last["role"] == "tool":
        return f"The tool said {last['content']}.", []
    if effect.tools and "weather" in (last.get("content") or "").lower():
        tool = effect.tools[0]
        return "", [
            {"call_id": "call_test1", "name": tool["name"], "arguments": json.dumps({"city": "Paris"})}
        ]
    return f"You said: {last.get('content') or 'nothing'}. Nice!", []


class Driver:
    """Drives a :class:`ServerCore` synchronously, running effects with fakes and validating every event.

    With ``auto=False`` effects queue in ``pending`` and run one at a time with :meth:`step` — to cancel or
    interrupt in the middle of a response.
    """

    def __init__(
        self,
        core: ServerCore,
        *,
        auto: bool = True,
        heard: str = "hello there",
        reply: Callable[..., tuple[str, list]] = scripted_reply,
        piece_seconds: float = 0.4,
    ) -> None:
        self.core = core
        self.auto = auto
        self.heard = heard
        self.reply = reply
        self.piece_seconds = piece_seconds
        self.events: list[dict[str, Any]] = []
        self.effects: list[Any] = []
        self.pending: list[Any] = []
        self.run(core.start())

    def types(self, events: list[dict[str, Any]] | None = None) -> list[str]:
        return [e["type"] for e in (self.events if events is None else events)]

    def send(self, event: Any) -> list[dict[str, Any]]:
        return self.run(self.core.handle(event))

    def send_text(self, text: str) -> list[dict[str, Any]]:
        return self.run(self.core.handle_text(text))

    def append(self, pcm: np.ndarray, *, chunk_ms: int = 40) -> list[dict[str, Any]]:
        import base64

        step = chunk_ms * SR // 1000
        out: list[dict[str, Any]] = []
        for i in range(0, pcm.size, step):
            out += self.send(
                {
                    "type": "input_audio_buffer.append",
                    "audio": base64.b64encode(pcm[i : i + step].astype("<i2").tobytes()).decode(),
                }
            )
        return out

    def run(self, outputs: list[Any]) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        for output in outputs:
            if isinstance(output, dict):
                strict_validate(output)
                self.events.append(output)
                seen.append(output)
            else:
                self.effects.append(output)
                if self.auto or isinstance(output, StopResponse | Close):
                    seen += self.execute(output)
                else:
                    self.pending.append(output)
        return seen

    def step(self) -> list[dict[str, Any]]:
        return self.execute(self.pending.pop(0))

    def execute(self, effect: Any) -> list[dict[str, Any]]:
        core = self.core
        if isinstance(effect, GenerateReply):
            for item_id, _pcm in effect.unheard:
                core.note_heard(item_id, self.heard)
            text, calls = self.reply(core.messages_for(effect.response_id), effect)
            return self.run(core.reply_ready(effect.response_id, text, calls))
        if isinstance(effect, Synthesize):
            out: list[dict[str, Any]] = []
            for sentence in re.findall(r"[^.!?]+[.!?]?\s*", effect.text):
                out += self.run(core.audio_ready(effect.response_id, tone(self.piece_seconds), sentence))
            return out + self.run(core.synthesis_finished(effect.response_id))
        if isinstance(effect, Transcribe):
            return self.run(core.transcription_ready(effect.item_id, self.heard))
        if isinstance(effect, StepTranscriber):  # a worker that finishes each pass at once
            return self.run(core.transcription_partial(effect.turn, effect.transcriber.step().delta))
        if isinstance(effect, FinalizeTranscriber):
            final = effect.transcriber.finalize(speech_end_ms=effect.speech_end_ms)
            return self.run(core.transcription_final(effect.turn, final.text))
        return []


@pytest.fixture
def make_driver() -> Callable[..., Driver]:
    def make(
        *,
        vad: bool = False,
        auto: bool = True,
        session: dict | None = None,
        intent: str = "conversation",
        transcriber_factory: Callable[..., Any] | None = None,
        **kwargs: Any,
    ) -> Driver:
        core = ServerCore(
            model="gpt-realtime",
            intent=intent,
            now=1_700_000_000,
            seed=7,
            vad_factory=rms_vad_factory if vad else None,
            session=session,
            transcriber_factory=transcriber_factory,
        )
        driver = Driver(core, auto=auto, **kwargs)
        if not vad and intent == "conversation":
            driver.send(manual_turns())
        return driver

    return make


@pytest.fixture
def signals() -> dict[str, Callable[..., np.ndarray]]:
    return {"tone": tone, "silence": silence}
