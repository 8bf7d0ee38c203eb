"""Live voice conversations in a notebook: :class:`LiveSession` and :class:`BrowserLiveSession`.

``LiveSession`` binds a :class:`~voicelab.widgets.Recorder` and a :class:`~voicelab.widgets.Player` to a
:class:`voicelab.realtime.RealtimeSession` in the kernel: microphone chunks (24 kHz) →
``input_audio_buffer.append``;
response audio → the player's queue (one stream per response item); barge-in (server VAD heard the user) →
the player stops at once and the session truncates the item at the ms the browser reported as played.

``BrowserLiveSession`` is the browser-direct mode: the widget connects to the Realtime API itself with an
ephemeral key (``ek_…``) minted in the kernel, so audio does not pass through the kernel — over the Realtime
WebSocket (subprotocol ``openai-insecure-api-key.<ek>``), or with ``transport="webrtc"`` as OpenAI's WebRTC
guide does: an ``RTCPeerConnection`` with the microphone's track, the ``oai-events`` data channel, the SDP
offer POSTed to ``/v1/realtime/calls`` with the ephemeral key, the answer's audio on the remote track. Over
WebRTC the server keeps the output audio buffer, so a barge-in needs nothing from the page: the server stops
playback and truncates the answer at what was played. The real API key never reaches the browser: only the
ephemeral key, the URL and the session config are in the widget's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
import time
from typing import Any
from urllib.parse import quote

import anywidget
import ipywidgets
import traitlets

from voicelab.audio import Audio
from voicelab.errors import ParameterError
from voicelab.widgets._common import ChunkFanout, new_uid
from voicelab.widgets.player import Player
from voicelab.widgets.recorder import Recorder

__all__ = ["TRANSPORTS", "BrowserLiveSession", "LiveSession", "TranscriptView", "calls_url", "realtime_url"]

TRANSPORTS = ("websocket", "webrtc")
"""How :class:`BrowserLiveSession` connects: the Realtime WebSocket, or WebRTC (``/v1/realtime/calls``)."""

_LIVE_JS = pathlib.Path(__file__).parent / "live.js"

_TRANSCRIPT_EVENTS = {
    "conversation.item.added",
    "conversation.item.done",
    "conversation.item.input_audio_transcription.completed",
    "response.output_audio_transcript.delta",
    "response.output_audio_transcript.done",
    "response.output_text.delta",
    "response.output_text.done",
    "response.done",
}


class TranscriptView(anywidget.AnyWidget):
    """The transcript and status line of a :class:`LiveSession` (lines are ``{"role", "text"}`` dicts)."""

    _esm = _LIVE_JS
    _uid = traitlets.Unicode().tag(sync=True)
    mode = traitlets.Unicode("kernel").tag(sync=True)
    lines = traitlets.List(traitlets.Dict()).tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(_uid=new_uid(), **kwargs)

    def __repr__(self) -> str:
        return f"TranscriptView(lines={len(self.lines)})"


class LiveSession(ipywidgets.VBox):
    """Talk with a Realtime session from the notebook: recorder + player + transcript, hands-free.

    Parameters
    ----------
    session : voicelab.realtime.RealtimeSession, optional
        The session to bind; by default one is made from ``session_kwargs`` (instructions, voice, vad, …)
        against :func:`voicelab.backend.async_client` (OpenAI with a key, else the embedded emulator).
    recorder, player : Recorder, Player, optional
        Widgets to use (new ones by default).

    Examples
    --------
    >>> live = LiveSession(instructions="Be brief.", transcription="whisper-1")   # doctest: +SKIP
    >>> live                                   # shows record button, player, transcript  # doctest: +SKIP
    >>> await live.start()                     # then click ● Record and talk    # doctest: +SKIP
    >>> await live.stop()                                                        # doctest: +SKIP
    """

    def __init__(self, session: Any = None, *, recorder: Recorder | None = None, player: Player | None = None,
                 **session_kwargs: Any) -> None:
        if session is None:
            from voicelab.realtime.session import RealtimeSession

            session = RealtimeSession(**session_kwargs)
        elif session_kwargs:
            raise ParameterError("session_kwargs", expected="no session options when a session is given",
                                 got=", ".join(sorted(session_kwargs)),
                                 fix="configure the RealtimeSession you pass, or pass no session")
        self.session = session
        self.recorder = recorder or Recorder()
        self.player = player or Player()
        self.view = TranscriptView(status="not started — await live.start()")
        super().__init__(children=[self.view, ipywidgets.HBox([self.recorder, self.player])])
        self._mic: ChunkFanout[Audio] = ChunkFanout()
        self._stopped_items: set[str] = set()
        self._pump_task: asyncio.Task[None] | None = None
        self._send_task: asyncio.Task[float] | None = None
        self._started = False
        self.recorder.on_chunk(self._on_mic_chunk)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Connect the session and start moving audio both ways (returns once connected; audio flows in
        the background).

        Returns None, so that ``await live.start()`` as a cell's last line does not show the widget twice.
        """
        if self._started:
            return
        await self.session.connect()
        self.session.on("*", self._on_event)
        self.session.on_stop_playback(self._on_stop_playback)
        self.player.on_played(self._on_played)
        self._send_task = self.session.attach(self._mic.subscribe())
        self._pump_task = asyncio.ensure_future(self._pump())
        self._started = True
        self.view.status = "listening — click ● Record and talk"

    async def stop(self) -> None:
        """Stop recording, stop playback and close the session (``close()`` stays the widget's own)."""
        if self.recorder.state in ("recording", "requesting"):
            self.recorder.stop()
        self._mic.close()
        self.player.interrupt()
        if self._pump_task is not None:
            self._pump_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump_task
        self.player.on_played(self._on_played, remove=True)
        await self.session.close()
        self._started = False
        self.view.status = "closed"

    async def converse_or(self, fallback: Audio, *, timeout: float = 30.0,
                          browser_timeout: float = 5.0) -> None:
        """Let someone talk (until they click ■ Stop), else say ``fallback``; never raises for a missing mic.

        After :meth:`start`: while a browser shows the widget, wait up to ``timeout`` seconds for a person to
        click ● Record and talk (server VAD ends each turn; the answers play in the browser), and until they
        click ■ Stop. When nobody does — no browser (nbval, Run All unattended), a failed microphone, or
        nobody in time — print why and speak ``fallback`` through the same session, as a microphone would
        (real time, then silence for VAD), and wait for its answer. Either way the session then holds a
        conversation, with its transcript and cost.

        Examples
        --------
        >>> await live.start()                                   # doctest: +SKIP
        >>> await live.converse_or(samples.load("en_weather"))   # doctest: +SKIP
        """
        if not self._started:
            raise ParameterError("live", expected="a started LiveSession", got="not started",
                                 fix="await live.start() first")
        reason = await self.recorder.wait_for_use(timeout=timeout, browser_timeout=browser_timeout)
        if reason:
            print(f"{reason}: saying the recorded question {fallback!r} instead.")
            self.view.status = "no one talked — saying the recorded question"
            await self.session.say(fallback)
        else:
            await self.session.wait_turn()
        self.view.status = "listening"

    async def __aenter__(self) -> LiveSession:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ audio both ways
    def _on_mic_chunk(self, chunk: Audio) -> None:
        if self._started:
            self._mic.publish(chunk)

    async def _pump(self) -> None:
        while True:
            chunk = await self.session.audio.get()
            if chunk.item_id in self._stopped_items:
                continue  # late audio of a response the user talked over
            self.player.feed(chunk.pcm16, sr=chunk.sr, stream=chunk.item_id)

    def _on_stop_playback(self, note: Any) -> None:
        item_id = getattr(note, "item_id", None)
        if item_id:
            self._stopped_items.add(item_id)
        self.player.interrupt()
        self.view.status = "interrupted — listening"

    def _on_played(self, stream: str, played_ms: float, _final: str | None) -> None:
        if stream in self.session.items:
            self.session.report_played(stream, played_ms)

    # ------------------------------------------------------------------ transcript view
    def _on_event(self, event: Any) -> None:
        kind = getattr(event, "type", "")
        if kind == "input_audio_buffer.speech_started":
            self.view.status = "hearing you…"
        elif kind == "input_audio_buffer.speech_stopped":
            self.view.status = "thinking…"
        elif kind == "response.created":
            self.view.status = "answering…"
        elif kind == "response.done":
            self.view.status = "listening"
        elif kind == "error":
            error = getattr(event, "error", None)
            self.view.status = f"error: {getattr(error, 'message', error)}"
        if kind in _TRANSCRIPT_EVENTS:
            self.view.lines = [{"role": role, "text": text} for role, text in self.session.transcript()]

    @staticmethod
    def direct(client: Any = None, **kwargs: Any) -> BrowserLiveSession:
        """The browser-direct mode: see :class:`BrowserLiveSession` (same arguments)."""
        return BrowserLiveSession(client, **kwargs)

    @property
    def transcript(self) -> list[tuple[str, str]]:
        """(role, text) per message, as the session knows it."""
        return list(self.session.transcript())

    def __repr__(self) -> str:
        return f"LiveSession(model={getattr(self.session, 'model', '?')!r})"


def realtime_url(client: Any, model: str) -> str:
    """The Realtime WebSocket URL for ``client`` (its ``websocket_base_url``, else ``base_url`` with ws/wss).

    Examples
    --------
    >>> import openai
    >>> realtime_url(openai.OpenAI(api_key="sk-x"), "gpt-realtime")
    'wss://api.openai.com/v1/realtime?model=gpt-realtime'
    """
    base = getattr(client, "websocket_base_url", None)
    if not base:
        base = str(client.base_url)
        base = "wss://" + base[len("https://"):] if base.startswith("https://") else base
        base = "ws://" + base[len("http://"):] if base.startswith("http://") else base
    return f"{str(base).rstrip('/')}/realtime?model={quote(model)}"


def calls_url(client: Any, model: str) -> str:
    """The WebRTC calls URL for ``client`` (``{base_url}/realtime/calls?model=…``), where pages POST offers.

    Examples
    --------
    >>> import openai
    >>> calls_url(openai.OpenAI(api_key="sk-x"), "gpt-realtime")
    'https://api.openai.com/v1/realtime/calls?model=gpt-realtime'
    """
    return f"{str(client.base_url).rstrip('/')}/realtime/calls?model={quote(model)}"


class BrowserLiveSession(anywidget.AnyWidget):
    """Browser-direct conversation: the widget connects to the Realtime API itself with an ephemeral key.

    The kernel mints the key (``client.realtime.client_secrets.create`` via
    :func:`voicelab.realtime.tokens.mint`)
    and a fresh one when the browser asks after expiry. Audio goes microphone → WebSocket → speaker in the
    browser; the kernel sees the transcript and the (audio-free) events.

    Parameters
    ----------
    client : openai.OpenAI, optional
        Sync SDK client used to mint keys (default :func:`voicelab.backend.client`).
    model : str
        Realtime model.
    seconds : int
        Lifetime of each ephemeral key (10–7200).
    url : str, optional
        WebSocket URL (default from the client, see :func:`realtime_url`), or with ``transport="webrtc"``
        the calls URL (:func:`calls_url`).
    transport : {"websocket", "webrtc"}
        How the browser connects (see module docs).
    **config
        Session options for :func:`voicelab.realtime.config.session_config` (instructions, voice, vad,
        transcription, …), sent as the first ``session.update``.

    Examples
    --------
    >>> live = BrowserLiveSession(instructions="Be brief.", transcription="whisper-1")  # doctest: +SKIP
    >>> live          # click ● Start talking                                        # doctest: +SKIP
    >>> live.lines                                                                    # doctest: +SKIP
    """

    _esm = _LIVE_JS
    _uid = traitlets.Unicode().tag(sync=True)
    mode = traitlets.Unicode("direct").tag(sync=True)
    transport = traitlets.Unicode("websocket").tag(sync=True)
    url = traitlets.Unicode("").tag(sync=True)
    call_id = traitlets.Unicode("").tag(sync=True)
    client_secret = traitlets.Unicode("").tag(sync=True)
    expires_at = traitlets.Int(0).tag(sync=True)
    session = traitlets.Dict().tag(sync=True)
    state = traitlets.Unicode("idle").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    lines = traitlets.List(traitlets.Dict()).tag(sync=True)

    def __init__(self, client: Any = None, *, model: str | None = None, seconds: int | None = None,
                 url: str | None = None, transport: str = "websocket", **config: Any) -> None:
        from voicelab.realtime.config import session_config
        from voicelab.realtime.tokens import DEFAULT_MODEL, DEFAULT_SECONDS

        if client is None:
            from voicelab.backend import client as default_client

            client = default_client()
        if transport not in TRANSPORTS:
            raise ParameterError("transport", expected="'websocket' or 'webrtc'", got=repr(transport))
        model = model or DEFAULT_MODEL
        self._client = client
        self._model = model
        self._voice = config.get("voice")
        self._seconds = seconds or DEFAULT_SECONDS
        cfg = session_config(model=model, **config)
        default_url = calls_url(client, model) if transport == "webrtc" else realtime_url(client, model)
        super().__init__(_uid=new_uid(), url=url or default_url, session=cfg, transport=transport)
        self.events: list[dict[str, Any]] = []
        """Server events the browser received (audio payloads replaced by their size)."""
        self.sent: list[dict[str, Any]] = []
        """Client events the browser sent (``session.update``, ``conversation.item.truncate``; no audio)."""
        self.keys_minted = 0
        self.mint()
        self.on_msg(self._handle_message)

    def mint(self) -> None:
        """Mint a fresh ephemeral key for the browser (the real key stays in the kernel)."""
        from voicelab.realtime.tokens import mint

        secret = mint(self._client, model=self._model, voice=self._voice, seconds=self._seconds)
        self.keys_minted += 1
        self.expires_at = int(secret.expires_at)
        self.client_secret = secret.value

    def start(self) -> None:
        """Ask the browser to connect and open the microphone (the same as clicking the button)."""
        if self.expires_at - time.time() < 5:
            self.mint()
        self.send({"cmd": "start"})

    def stop(self) -> None:
        """Ask the browser to close the connection and the microphone."""
        self.send({"cmd": "stop"})

    def _handle_message(self, _widget: Any, content: dict[str, Any], _buffers: list[Any]) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "need_key":
            self.mint()
        elif kind == "event" and isinstance(content.get("event"), dict):
            self.events.append(content["event"])
        elif kind == "sent" and isinstance(content.get("event"), dict):
            self.sent.append(content["event"])
        elif kind == "transcript":
            self.lines = [{"role": str(line.get("role")), "text": str(line.get("text"))}
                          for line in content.get("lines") or [] if isinstance(line, dict)]
        elif kind == "call":
            self.call_id = str(content.get("call_id") or "")
        elif kind == "state":
            self.state = str(content.get("state") or "")
            self.error = str(content.get("error") or "")

    @property
    def transcript(self) -> list[tuple[str, str]]:
        """(role, text) per message, as the browser reported it."""
        return [(line["role"], line["text"]) for line in self.lines]

    def __repr__(self) -> str:
        transport = "" if self.transport == "websocket" else f", transport={self.transport!r}"
        return f"BrowserLiveSession(model={self._model!r}{transport})"
