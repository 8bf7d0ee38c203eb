"""``/v1/realtime/translations``: the translation WebSocket, and its client-secret endpoint.

The socket loop only moves bytes: text frames go to :class:`TranslationCore`; the core's
:class:`TranslateSegment` effects run one at a time, in order, in a worker thread (Whisper's translate task,
the optional source transcription and the English voice are blocking engines), and their results go back to
the core, whose events are sent in order. Authentication is the Realtime WebSocket's: the server key, or an
``ek_`` key minted by ``POST /v1/realtime/translations/client_secrets`` (whose session is applied at start).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Request, WebSocket
from pydantic import BaseModel, ConfigDict, Field
from starlette.websockets import WebSocketDisconnect

from voicelab.emulator.errors import OpenAIHTTPError
from voicelab.protocol import translation as protocol
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.models import check_model

from ..auth import KeyStore, auth_error, request_token
from .refusal import refuse
from .session_limits import limit_translation_core, serve_admitted, settings_of
from .translation_core import (
    OFFLINE_TARGETS,
    CloseConnection,
    SegmentResult,
    TranslateSegment,
    TranslationCore,
)

__all__ = ["TranslationEngines", "new_translation_core", "router", "run_segment", "secrets_router"]

log = logging.getLogger(__name__)
router = APIRouter()
secrets_router = APIRouter(tags=["realtime"])

ENGLISH_VOICE = "marin"
"""The voice the offline translation speaks with (the catalogue's current realtime default voice)."""


@dataclass
class TranslationEngines:
    """The blocking engines a translation session calls in a thread (tests may swap them).

    ``translate(y_float32, sr) -> str`` (English); ``transcribe(y_float32, sr) -> str`` (the source language);
    ``synthesize(text) -> (int16 samples at 24 kHz)``; ``vad_factory() -> server VAD``.
    """

    translate: Callable[[np.ndarray, int], str]
    transcribe: Callable[[np.ndarray, int], str]
    synthesize: Callable[[str], np.ndarray]
    vad_factory: Callable[[], Any] | None

    @classmethod
    def default(cls) -> TranslationEngines:
        """Whisper base (translate and transcribe tasks), the English voice, Silero server VAD."""
        return cls(translate=_translate, transcribe=_transcribe, synthesize=_synthesize, vad_factory=_vad)


def _translate(y: np.ndarray, sr: int) -> str:
    from voicelab.engines import stt

    # greedy only: a live interpreter gives the same words for the same speech (Whisper's fallback samples)
    return stt.transcribe(y, sr, task="translate", fallback=False).text.strip()


def _transcribe(y: np.ndarray, sr: int) -> str:
    from voicelab.engines import stt

    return stt.transcribe(y, sr, fallback=False).text.strip()


def _synthesize(text: str) -> np.ndarray:
    from voicelab import audio
    from voicelab.engines import tts

    speech = tts.synthesize(text, voice=ENGLISH_VOICE, language="en")  # 24 kHz mono
    return audio.to_pcm16(speech.y)


def _vad() -> Any:
    from voicelab.vad.server_vad import ServerVAD

    return ServerVAD()


def run_segment(engines: TranslationEngines, effect: TranslateSegment) -> SegmentResult:
    """Run one segment's engines (blocking): translate, transcribe if asked, speak the translation."""
    y = effect.pcm.astype(np.float32) / 32768.0
    translated = engines.translate(y, 24000)
    source = engines.transcribe(y, 24000) if effect.transcribe else None
    speech = engines.synthesize(translated) if translated.strip() else np.zeros(0, np.int16)
    return SegmentResult(translated=translated, source=source, audio=speech)


# ---------------------------------------------------------------------------------------------- WebSocket


@router.websocket("/realtime/translations")
async def translations(websocket: WebSocket) -> None:
    """Realtime translation over WebSocket (see the module docs)."""
    app = websocket.app
    query = dict(websocket.query_params)
    token = request_token(websocket.headers)
    keys: KeyStore | None = getattr(app.state, "keys", None)
    key_session: dict[str, Any] = {}
    if keys is not None:
        result = keys.check(token, realtime=True)
        if not result.ok:
            refusal = auth_error(result, token, realtime=True)
            await _refuse(websocket, "invalid_api_key", refusal.message, None)
            return
        ephemeral = keys.lookup(token)
        key_session = dict(getattr(ephemeral, "session", None) or {})
        if ephemeral is not None and key_session.get("type") != "translation":
            await _refuse(
                websocket,
                "invalid_api_key",
                "This client secret was created for a Realtime session, not a translation session: create "
                "it with POST /v1/realtime/translations/client_secrets.",
                None,
            )
            return
    model = query.get("model") or key_session.get("model")
    if not model:
        await _refuse(
            websocket, "missing_required_parameter", "Missing required parameter: 'model'.", "model"
        )
        return
    try:
        check_model(str(model), "realtime_translation")
    except ProtocolError as exc:
        await _refuse(websocket, exc.code or "model_not_found", exc.message, exc.param)
        return
    await serve_admitted(websocket, lambda: _serve(websocket, str(model), key_session))


def new_translation_core(
    app: Any, model: str, session: dict[str, Any]
) -> tuple[TranslationCore, TranslationEngines]:
    """A translation session's core, with the app's engines (a VAD of its own) and limits; and the engines."""
    engines: TranslationEngines = (
        getattr(app.state, "translation_engines", None) or TranslationEngines.default()
    )
    vad = engines.vad_factory() if engines.vad_factory is not None else None
    core = TranslationCore(model=model, now=time.time(), vad=vad, session=session)
    return limit_translation_core(core, settings_of(app)), engines


async def _serve(websocket: WebSocket, model: str, key_session: dict[str, Any]) -> None:
    """The session itself, once the connection is admitted."""
    core, engines = new_translation_core(websocket.app, model, key_session)
    await websocket.accept()
    await _Session(websocket, core, engines).run()


class _Session:
    """The I/O around one :class:`TranslationCore`: receive, run segments in order off the loop, send."""

    def __init__(self, websocket: WebSocket, core: TranslationCore, engines: TranslationEngines) -> None:
        self.websocket = websocket
        self.core = core
        self.engines = engines
        self.segments: asyncio.Queue[TranslateSegment | None] = asyncio.Queue()
        self.done = asyncio.Event()

    async def run(self) -> None:
        worker = asyncio.create_task(self._work())
        try:
            await self._emit(self.core.start())
            while not self.done.is_set():
                receive = asyncio.ensure_future(self.websocket.receive())
                finished = asyncio.ensure_future(self.done.wait())
                await asyncio.wait({receive, finished}, return_when=asyncio.FIRST_COMPLETED)
                if not receive.done():
                    receive.cancel()
                    break
                finished.cancel()
                message = receive.result()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    text = (message.get("bytes") or b"").decode("utf-8", "replace")
                # parsing and VAD on a long append take milliseconds: keep them off the event loop
                outputs = await asyncio.to_thread(self.core.handle_text, text)
                await self._emit(outputs)
        except WebSocketDisconnect:
            pass
        finally:
            await self.segments.put(None)
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await worker
            with contextlib.suppress(Exception):
                await self.websocket.close()

    async def _emit(self, outputs: list[Any]) -> None:
        for output in outputs:
            if isinstance(output, TranslateSegment):
                await self.segments.put(output)
            elif isinstance(output, CloseConnection):
                self.done.set()
            else:
                await self.websocket.send_text(json.dumps(output))

    async def _work(self) -> None:
        while (effect := await self.segments.get()) is not None:
            try:
                result: SegmentResult | Exception = await asyncio.to_thread(run_segment, self.engines, effect)
            except Exception as exc:  # an engine failure ends that segment, not the session
                log.exception("translation segment %d failed", effect.segment_id)
                result = exc
            with contextlib.suppress(Exception):
                await self._emit(self.core.segment_done(effect, result))


async def _refuse(websocket: WebSocket, code: str, message: str, param: str | None) -> None:
    """Accept, send one OpenAI-shaped error event (a translation server event), close 1008."""
    await refuse(websocket, code, message, param, 1008, check=protocol.server_event)


# ------------------------------------------------------------------------------------------- client secrets


class _ExpiresAfter(BaseModel):
    model_config = ConfigDict(extra="forbid")
    anchor: str = "created_at"
    seconds: Annotated[int, Field(ge=10, le=7200)] = 600


class TranslationSecretRequest(BaseModel):
    """The JSON body of ``POST /v1/realtime/translations/client_secrets``."""

    model_config = ConfigDict(extra="forbid")
    expires_after: _ExpiresAfter | None = None
    session: dict[str, Any]


@secrets_router.post("/realtime/translations/client_secrets")
async def create_translation_secret(request: Request, body: TranslationSecretRequest) -> dict[str, Any]:
    """Mint an ``ek_`` key for a browser or phone to open a translation session."""
    session = body.session
    try:
        model = session.get("model")
        if not isinstance(model, str):
            raise ProtocolError(
                "missing_required_parameter", "Missing required parameter: 'session.model'.", "session.model"
            )
        check_model(model, "realtime_translation", param="session.model")
        update = {k: v for k, v in session.items() if k not in ("model", "type")}
        protocol.parse_client_event(json.dumps({"type": "session.update", "session": update}))
        effective = protocol.apply_update(
            protocol.default_session(session_id="sess_pending", model=model, expires_at=0), update
        )
        language = effective["audio"]["output"]["language"]
        if language not in OFFLINE_TARGETS:
            raise ProtocolError(
                "unsupported_value",
                f"The offline emulator cannot translate into {language!r}: only "
                f"{', '.join(OFFLINE_TARGETS)} (Whisper's translate task).",
                "session.audio.output.language",
            )
    except ProtocolError as exc:
        raise OpenAIHTTPError.from_protocol(exc) from exc
    seconds = (body.expires_after or _ExpiresAfter()).seconds
    stored = {"type": "translation", "model": model, "audio": effective["audio"]}
    key = request.app.state.keys.mint(stored, seconds)
    created = TranslationCore(model=model, now=time.time(), vad=None, session=stored).session
    created["expires_at"] = key.expires_at
    return {"value": key.value, "expires_at": key.expires_at, "session": created}
