"""``GET /v1/realtime`` WebSocket: authentication, faults, and the I/O loop around :class:`ServerCore`.

The socket loop only moves bytes: text frames go to ``core.handle_text``; the core's outputs are server events
(queued to the sender task, in order) and effects, which :class:`Connection` runs — the responder on the event
loop, the blocking speech engines in threads (``asyncio.to_thread``) — feeding their results back to the core.
``Connection`` is the WebSocket transport of :class:`~voicelab.emulator.realtime.pump.SessionPump`, the
transport-agnostic pump that WebRTC and SIP calls use as well.

Receiving and sending are concurrent: the receiver keeps feeding client events to the core while answers
stream. Real-time pacing of output audio (``EmulatorSettings.realtime_pacing``, ``?pacing=on``) happens where
the audio is fed to the core, one chunk per chunk of playback time, never in the outgoing queue. So the queue
holds no backlog of audio: ``input_audio_buffer.speech_started`` goes out as soon as the VAD hears the user,
and a barge-in cancel ends the answer at the audio actually sent (``response.done`` ``cancelled``, and no
delta of that response after it).

Authentication: ``Authorization: Bearer <key|ek_…>``, or for browsers the subprotocols
``["realtime", "openai-insecure-api-key.<key>"]`` (the server answers with ``realtime``). An ephemeral key's
session config is applied at start; the key only gates *connecting*: a session opened before its
``expires_at`` goes on after it, until OpenAI's 60-minute session limit (``session_expired``, close 1000), or
earlier with the ``fault_expire_after`` fault (for teaching reconnects). ``OpenAI-Beta: realtime=v1`` is
refused as OpenAI does (error event, close code 4000).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from voicelab.errors import ParameterError
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.models import check_model
from voicelab.protocol.session import SESSION_MAX_SECONDS_MESSAGE

from ..auth import KeyStore, auth_error, request_token
from ..settings import EmulatorSettings
from ..transports import ABORT_EXTENSION
from .core import ServerCore
from .faults import FaultConfig
from .live_stt import streaming_transcriber, warm_up_in_background
from .outbox import disconnect_slow_reader
from .pump import SessionPump
from .refusal import deny, refuse
from .session_limits import limit_core, limit_pump, serve_admitted
from .sideband import serve_sideband

__all__ = ["BETA_CLOSE_CODE", "Engines", "default_vad_factory", "energy_vad_factory", "router"]

log = logging.getLogger(__name__)
router = APIRouter()

BETA_CLOSE_CODE = 4000


@dataclass
class Engines:
    """The blocking engines the connection calls in threads (real ones by default; tests may swap them).

    ``synthesize(text, voice=, speed=) -> (samples, sr)`` (with ``semitones=`` too for a custom voice);
    ``transcribe(y_float32, sr, language=, prompt=) -> str``;
    ``streaming(language, prompt) -> StreamingTranscriber`` recognises speech while it arrives (``None``:
    each turn is transcribed after it ends);
    ``transcribe_input(y_float32, sr, language=, prompt=, keywords=, languages=, delay=, logprobs=,``
    ``diarize=) -> voicelab.engines.stt.Transcript`` for input transcription with options (None:
    ``transcribe``, text only, options ignored); with ``diarize=True`` (``gpt-4o-transcribe-diarize``) a
    ``voicelab.engines.speakers.Diarization`` (speaker segments and their voices) instead.
    """

    synthesize: Callable[..., tuple[np.ndarray, int]]
    transcribe: Callable[..., str]
    vad_factory: Callable[[dict[str, Any]], Any] | None
    streaming: Callable[[str | None, str | None], Any] | None = None
    transcribe_input: Callable[..., Any] | None = None

    @classmethod
    def default(cls, *, vad_detector: str = "silero") -> Engines:
        """The offline engines; ``vad_detector="energy"`` swaps Silero for the cheap energy detector (10× less
        CPU per stream, for many concurrent sessions)."""
        if vad_detector not in ("silero", "energy"):
            raise ParameterError("vad_detector", expected="'silero' or 'energy'", got=repr(vad_detector))
        factory = default_vad_factory if vad_detector == "silero" else energy_vad_factory
        return cls(
            synthesize=_synthesize,
            transcribe=_transcribe,
            vad_factory=factory,
            streaming=streaming_transcriber,
            transcribe_input=_transcribe_input,
        )


def _synthesize(text: str, *, voice: str, speed: float, semitones: float = 0.0) -> tuple[np.ndarray, int]:
    from voicelab.engines import tts

    audio = tts.synthesize(
        text, voice=voice if voice in tts.VOICES else "alloy", speed=speed, semitones=semitones
    )
    return audio.y, audio.sr


def _transcribe(y: np.ndarray, sr: int, *, language: str | None = None, prompt: str | None = None) -> str:
    from voicelab.engines import stt

    return stt.transcribe(y, sr, language=language, prompt=prompt).text.strip()


def _transcribe_input(y: np.ndarray, sr: int, *, diarize: bool = False, **options: Any) -> Any:
    from voicelab.engines import stt

    if diarize:
        from voicelab.engines.speakers import diarize as diarized
        from voicelab.vad.regions import speech_regions

        return diarized(y, sr, language=options.get("language"), regions=speech_regions)
    return stt.transcribe_with_options(y, sr, **options)


def default_vad_factory(config: dict[str, Any]) -> Any:
    """``server_vad`` → ``voicelab.vad.ServerVAD``; ``semantic_vad`` → ``SemanticVAD`` (Silero frames)."""
    from voicelab.vad.semantic import SemanticVAD
    from voicelab.vad.server_vad import ServerVAD, ServerVADParams

    if config.get("type") == "semantic_vad":
        return SemanticVAD.from_turn_detection(config)
    return ServerVAD(ServerVADParams.from_turn_detection(config))


def energy_vad_factory(config: dict[str, Any]) -> Any:
    """Like :func:`default_vad_factory` with ``voicelab.vad.EnergyDetector`` frames instead of Silero."""
    from voicelab.vad.detectors import EnergyDetector
    from voicelab.vad.semantic import SemanticVAD
    from voicelab.vad.server_vad import ServerVAD, ServerVADParams

    if config.get("type") == "semantic_vad":
        return SemanticVAD.from_turn_detection(config, detector=EnergyDetector())
    return ServerVAD(ServerVADParams.from_turn_detection(config), detector=EnergyDetector())


def _state(app: Any, name: str, default: Any = None) -> Any:
    return getattr(app.state, name, default)


@router.websocket("/realtime")
async def realtime(websocket: WebSocket) -> None:
    """The GA Realtime API over WebSocket (see module docs)."""
    app = websocket.app
    settings = _state(app, "settings") or EmulatorSettings()
    base = _state(app, "realtime_faults") or FaultConfig.from_settings(settings)
    query = dict(websocket.query_params)
    offered = [
        p.strip() for p in (websocket.headers.get("sec-websocket-protocol") or "").split(",") if p.strip()
    ]
    subprotocol = "realtime" if "realtime" in offered else None
    try:
        faults = base.with_query(query)
    except ParameterError as exc:
        await refuse(websocket, "invalid_value", str(exc), exc.param, 1008, subprotocol=subprotocol)
        return
    if faults.connect_status:
        status = faults.connect_status
        body = {
            "error": {
                "message": "Rate limit reached for requests (injected by voicelab: fault_status)."
                if status == 429
                else f"Injected fault: HTTP {status}.",
                "type": "requests" if status == 429 else "server_error",
                "param": None,
                "code": "rate_limit_exceeded" if status == 429 else "injected_fault",
            }
        }
        headers = {"retry-after": "1"} if status == 429 else None
        await deny(websocket, status, body, headers)
        return
    if "realtime=v1" in (websocket.headers.get("openai-beta") or "").replace(" ", ""):
        await refuse(
            websocket,
            "beta_api_shape_disabled",
            "The Realtime beta API shape is no longer available (OpenAI-Beta: realtime=v1). Remove the "
            "OpenAI-Beta header and use the GA interface.",
            None,
            BETA_CLOSE_CODE,
            subprotocol=subprotocol,
        )
        return
    token = request_token(websocket.headers)
    keys: KeyStore | None = _state(app, "keys")
    ephemeral = None
    if keys is not None:
        result = keys.check(token, realtime=True)
        if not result.ok:
            refusal = auth_error(result, token, realtime=True)
            await refuse(websocket, "invalid_api_key", refusal.message, None, 1008, subprotocol=subprotocol)
            return
        ephemeral = keys.lookup(token)
    if "call_id" in query:  # sideband control of a live WebRTC / SIP call
        calls = _state(app, "calls")
        await serve_sideband(
            websocket, calls, query["call_id"], ephemeral=ephemeral is not None, subprotocol=subprotocol
        )
        return
    intent = "transcription" if query.get("intent") == "transcription" else "conversation"
    key_session = dict(getattr(ephemeral, "session", None) or {})
    model = query.get("model") or key_session.get("model")
    if intent == "conversation" and not model:
        model = "gpt-realtime"
    if intent == "conversation":
        try:
            check_model(str(model), "realtime")
        except ProtocolError as exc:  # OpenAI's wording (openai/openai-realtime-console#561), then close
            code = exc.code or "model_not_found"
            await refuse(websocket, code, exc.message, exc.param, 1008, subprotocol=subprotocol)
            return
    await serve_admitted(
        websocket,
        lambda: _serve(websocket, settings, faults, subprotocol, model, intent, key_session, ephemeral),
    )


async def _serve(
    websocket: WebSocket,
    settings: EmulatorSettings,
    faults: FaultConfig,
    subprotocol: str | None,
    model: Any,
    intent: str,
    key_session: dict[str, Any],
    ephemeral: Any,
) -> None:
    """The session itself, once the connection is admitted."""
    app = websocket.app
    now = time.time()
    engines = _state(app, "realtime_engines") or Engines.default(vad_detector=settings.realtime_vad_detector)
    if key_session.get("type") in ("realtime", "transcription"):  # the key was minted for this kind
        intent = "transcription" if key_session["type"] == "transcription" else "conversation"
    try:
        core = ServerCore(
            model=model,
            intent=intent,
            now=now,
            vad_factory=engines.vad_factory,
            session=key_session,
            transcriber_factory=engines.streaming,
            voices=_state(app, "voices"),
        )
    except ProtocolError as exc:  # the key's session was validated at mint time: this is a bug, say so loudly
        log.error("ephemeral key carries a session the realtime core refuses: %s (param %s)", exc, exc.param)
        code = exc.code or "server_error"
        await refuse(
            websocket, code, exc.message, exc.param, 1011, subprotocol=subprotocol, error_type="server_error"
        )
        return
    limit_core(core, settings)
    if engines.streaming is not None:  # load the engines now, not at the first turn (once per process)
        warm_up_in_background(engines.synthesize, engines.streaming)
    await websocket.accept(subprotocol=subprotocol)
    # An ek_ key gates connecting only: the session outlives it (OpenAI: "the session itself may continue
    # after that time once started"); only the 60-minute limit, or the fault, ends it.
    deadline = core.session["expires_at"]
    expiry_message = SESSION_MAX_SECONDS_MESSAGE
    if faults.expire_after_s is not None and now + faults.expire_after_s < deadline:
        deadline, expiry_message = (
            now + faults.expire_after_s,
            "Your session expired (injected by voicelab: fault_expire_after).",
        )
    connection = limit_pump(Connection(websocket, core, _state(app, "responder"), engines, faults), app)
    await connection.run(deadline - now, expiry_message)


class Connection(SessionPump):
    """The Realtime WebSocket as a :class:`SessionPump` transport: text frames in, JSON text frames out."""

    def __init__(
        self,
        websocket: WebSocket,
        core: ServerCore,
        responder: Any,
        engines: Engines,
        faults: FaultConfig,
    ) -> None:
        super().__init__(core, responder, engines, faults)
        self.websocket = websocket

    async def abort_slow_reader(self, error: dict[str, Any]) -> None:
        abort = self.websocket.scope.get("extensions", {}).get(ABORT_EXTENSION)
        await disconnect_slow_reader(self.websocket, error, abort)

    async def receive(self) -> None:
        try:
            while not self.closed:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message.get("text") is not None:
                    self.client_text(message["text"])
                elif message.get("bytes") is not None:
                    self.core_call("binary_frame")
        except (WebSocketDisconnect, RuntimeError):
            pass

    async def send_text(self, text: str) -> None:
        await self.websocket.send_text(text)

    async def close_transport(self, code: int, reason: str) -> None:
        await self.websocket.close(code=code, reason=reason)

    def transport_open(self) -> bool:
        return self.websocket.client_state is WebSocketState.CONNECTED
