"""``RealtimeSession``: a Realtime API conversation you can hold in a notebook — the façade.

The session moves bytes; :class:`~voicelab.realtime.core.ClientCore` decides. The parts:
:class:`~voicelab.realtime.connection.Connection` opens the official SDK's connection
(``AsyncOpenAI.realtime.connect``), reads and writes it and reconnects (:class:`ReconnectPolicy`: 3 tries,
1/2/4 s; what the SDK does not retry, it retries itself, minting a fresh ephemeral key when it uses them);
:class:`~voicelab.realtime.events.SessionEvents` logs every event and hands it to callbacks and subscribers;
:class:`~voicelab.realtime.tools.ToolBox` runs the function calls (async ones as tasks, sync ones in a
thread, so neither blocks the conversation); :class:`~voicelab.realtime.audio_queue.AudioQueue` holds the
assistant's audio for a player. This module feeds every server event to the core as a plain dict and carries
out what the core says: send client events, stop playback and truncate on barge-in, run function calls,
re-apply the config after a reconnect and replay the audio held while the socket was down. An error
answering the set-up ``session.update`` is raised at once as :class:`~voicelab.errors.ServerEventError`.

Examples
--------
>>> async with RealtimeSession(instructions="Be brief.", voice="verse") as session:  # doctest: +SKIP
...     turn = await session.ask("What's the weather in Paris?")
...     print(session.transcript_text(), session.cost.total)
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from voicelab import audio as vaudio
from voicelab.errors import ParameterError, ServerEventError
from voicelab.protocol.models import check_lifecycle
from voicelab.realtime.audio_queue import RATE, AudioQueue, OutputAudio
from voicelab.realtime.config import session_config
from voicelab.realtime.connection import DEFAULT_POLICY, Connection
from voicelab.realtime.core import ClientCore, FunctionCall, Phase, ReconnectPolicy, Turn
from voicelab.realtime.costs import ConversationCost
from voicelab.realtime.dispatch import ServerEvents
from voicelab.realtime.events import SessionEvents, SessionNote, answers
from voicelab.realtime.input_audio import pcm_blocks, session_pcm
from voicelab.realtime.recording import RecordingWriter
from voicelab.realtime.tokens import DEFAULT_MODEL, DEFAULT_SECONDS, KeyProvider, amint, secret_session
from voicelab.realtime.tools import ToolBox

__all__ = ["AudioQueue", "OutputAudio", "RealtimeSession", "SessionNote"]


class RealtimeSession:
    """A conversation with the Realtime API (OpenAI, or the embedded emulator) over the official SDK.

    Parameters
    ----------
    session : dict, optional
        A GA ``session`` object; keyword arguments (``instructions``, ``voice``, ``vad``, ``threshold``,
        ``silence_duration_ms``, ``eagerness``, ``transcription``, ``tools``, ``tool_choice``,
        ``output_modalities``, ``speed``, …; see :func:`voicelab.realtime.config.session_config`) are
        merged over
        it. Python functions in ``tools`` are registered for dispatch too.
    client : openai.AsyncOpenAI, optional
        Default :func:`voicelab.backend.async_client` (OpenAI with a key, else the embedded emulator).
    model : str
        Realtime model (``?model=`` of the connection).
    ephemeral : bool
        Connect with short-lived ``ek_`` keys minted through ``client`` (a fresh one after expiry)
        instead of the
        client's own key.
    key_seconds : int
        Lifetime of each ephemeral key.
    reconnect : ReconnectPolicy or None
        Tries and backoff (3 tries, 1/2/4 s); ``None`` never reconnects.
    on_disconnect : {"replay", "drop"}
        What happens to audio appended while disconnected (always noted in the log).
    extra_query : dict, optional
        Extra query parameters of the connection URL (e.g. the emulator's ``fault_drop_after``).
    reconnect_query : dict or callable, optional
        Query parameters for reconnects (default: ``extra_query``); a callable gets the attempt number.
    chunk_ms : int
        Size of the ``input_audio_buffer.append`` chunks (20–40 ms).
    connect_timeout : float
        Seconds to wait for the session to be configured.

    Examples
    --------
    >>> async with RealtimeSession(instructions="Be brief.", tools=[get_weather]) as s:  # doctest: +SKIP
    ...     await s.say(voicelab.audio.read("question.wav"))
    ...     s.cost
    """

    def __init__(
        self,
        session: dict[str, Any] | None = None,
        *,
        client: Any = None,
        model: str = DEFAULT_MODEL,
        ephemeral: bool = False,
        key_seconds: int = DEFAULT_SECONDS,
        reconnect: ReconnectPolicy | None = DEFAULT_POLICY,
        on_disconnect: str = "replay",
        extra_query: dict[str, Any] | None = None,
        reconnect_query: dict[str, Any] | Callable[[int], dict[str, Any]] | None = None,
        chunk_ms: int = 20,
        connect_timeout: float = 30.0,
        **config: Any,
    ) -> None:
        if not 10 <= chunk_ms <= 100:
            raise ParameterError(
                "chunk_ms", expected="a chunk size in [10, 100] ms (20–40 is usual)", got=repr(chunk_ms)
            )
        self.tools = ToolBox()
        tools = config.pop("tools", None)
        tool_defs: list[dict[str, Any] | Callable[..., Any]] | None = (
            None if tools is None else list(self.tools.define(tools))
        )
        self.config = session_config(session, tools=tool_defs, **config)
        check_lifecycle(model, stacklevel=3)  # the connection's ?model=: one warning per process if shut down
        self.model = model
        self.core = ClientCore(self.config, on_disconnect=on_disconnect)
        self.chunk_ms = chunk_ms
        self.connect_timeout = connect_timeout
        self.ephemeral = ephemeral
        self.key_seconds = key_seconds
        self._client = client
        self._t0 = time.monotonic()
        self._events = SessionEvents(self.now)
        self.connection = Connection(
            self.core,
            self._events,
            clock=self.now,
            model=model,
            policy=reconnect,
            extra_query=extra_query,
            reconnect_query=reconnect_query,
        )
        self._server_events = ServerEvents(self.core, self.connection, self._events, run_call=self._run_call)
        self.audio: AudioQueue = self._server_events.audio
        self.errors: list[ServerEventError] = self._server_events.errors
        self._calls_running = 0
        self._turn_mark = 0
        self.keys_minted = 0

    # ------------------------------------------------------------------ lifecycle
    def now(self) -> float:
        """Seconds since the session object was made (the clock of the log, turns and timeline)."""
        return time.monotonic() - self._t0

    @property
    def log(self) -> list[dict[str, Any]]:
        """Every event of the session, in order: ``{"t", "dir", "type", …}`` (base64 audio left out)."""
        return self._events.log

    @property
    def recorder(self) -> RecordingWriter | None:
        return self._events.recorder

    @property
    def reconnect(self) -> ReconnectPolicy | None:
        return self.connection.policy

    async def __aenter__(self) -> RealtimeSession:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self) -> RealtimeSession:
        """Open the connection and wait until the config is applied (``session.updated``).

        Raises :class:`~voicelab.errors.ServerEventError` at once when the server refuses the config.
        """
        if self.connection.reader is not None:
            return self
        base = self._client
        if base is None:
            from voicelab.backend import async_client

            base = async_client()
            self._client = base
        keys = None
        if self.ephemeral:
            voice = ((self.config.get("audio") or {}).get("output") or {}).get("voice")
            key_session = secret_session(model=self.model, voice=voice)

            async def _mint() -> Any:
                self.keys_minted += 1
                secret = await amint(base, session=key_session, seconds=self.key_seconds)
                self._events.note({"type": "voicelab.key_minted", "expires_at": secret.expires_at})
                return secret

            keys = KeyProvider(_mint)
        try:
            await self.connection.open(
                base, self._server_events.handle, keys=keys, timeout=self.connect_timeout
            )
        except BaseException:
            await self.close()
            raise
        return self

    async def close(self) -> None:
        """Close on purpose: no reconnect after this. Pending tool calls are cancelled."""
        if self.connection.closing and self.core.phase is Phase.CLOSED:
            return
        self._events.cancel_tasks()
        await self.connection.close()
        if self.core.phase is not Phase.CLOSED:
            for note in self.core.closed(t=self.now(), intentional=True):
                self._events.note(note)
        if self.recorder is not None and not self.recorder.closed:
            self.recorder.close(**self._summary())
        self._events.wake()

    @property
    def phase(self) -> Phase:
        return self.core.phase

    def __repr__(self) -> str:
        return (
            f"RealtimeSession(model={self.model!r}, phase={self.core.phase.value}, "
            f"turns={len(self.core.turns)}, items={len(self.core.items)}, reconnects={self.core.reconnects})"
        )

    # ------------------------------------------------------------------ recording
    def record(self, folder: str | os.PathLike[str]) -> RecordingWriter:
        """Record from now on: ``input.wav``, ``output.wav``, ``events.jsonl``, ``meta.json`` in ``folder``.

        Files are valid after every write (see :mod:`voicelab.realtime.recording`); load them with
        :func:`voicelab.realtime.replay`.
        """
        if self.recorder is not None:
            self.recorder.close(**self._summary())
        self._events.recorder = RecordingWriter(
            Path(folder), meta={"model": self.model, "session_t0": self.now(), "config": self.config}
        )
        return self._events.recorder

    def _summary(self) -> dict[str, Any]:
        return {
            "turns": len(self.core.turns),
            "reconnects": self.core.reconnects,
            "audio_sent_ms": round(self.core.audio_sent_ms, 1),
            "audio_replayed_ms": round(self.core.audio_replayed_ms, 1),
            "audio_dropped_ms": round(self.core.audio_dropped_ms, 1),
            "usage": self.core.usage.as_response_usage(),
        }

    # ------------------------------------------------------------------ sending
    def _check_open(self) -> None:
        if self.connection.failure is not None:
            raise self.connection.failure
        if self.connection.closing or self.core.phase is Phase.CLOSED:
            raise ParameterError(
                "session", expected="an open session", got="a closed one", fix="open a new RealtimeSession"
            )
        if self.connection.reader is None:
            raise ParameterError(
                "session",
                expected="a connected session",
                got="one not connected yet",
                fix="use `async with RealtimeSession(...) as session:` or `await session.connect()`",
            )

    async def send(self, event: dict[str, Any]) -> str:
        """Send any client event (routed through the core: held while reconnecting). Returns its event_id."""
        self._check_open()
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise ParameterError("event", expected="a client event dict with a 'type'", got=repr(event)[:60])
        event = dict(event)
        event.setdefault("event_id", self.connection.event_id())
        await self.connection.send(self.core.send(event, t=self.now()))
        return event["event_id"]

    async def update(
        self, session: dict[str, Any] | None = None, *, timeout: float = 15.0, **config: Any
    ) -> dict[str, Any]:
        """Change the session (plain keyword arguments or a GA dict) and wait for ``session.updated``.

        The change is kept and re-applied after a reconnect. Returns the effective session. A server ``error``
        answering the update raises :class:`~voicelab.errors.ServerEventError`.
        """
        self._check_open()
        tools = config.pop("tools", None)
        if tools is not None:
            config["tools"] = self.tools.define(tools)
        partial = session_config(session, partial=True, **config)
        event = self.core.update_config(partial)
        mark = len(self.log)
        event_id = await self.send(event)
        record = await self._wait_record(
            lambda r: r["type"] == "session.updated" or answers(r, event_id), since=mark, timeout=timeout
        )
        self._raise_if_error(record)
        return self.core.session

    def tool(self, fn: Callable[..., Any] | None = None, *, name: str | None = None) -> Any:
        """Register a Python function for function calls (decorator). Declare it to the model with
        ``tools=[fn]`` at start or ``await session.update(tools=[...])``."""

        def register(f: Callable[..., Any]) -> Callable[..., Any]:
            return self.tools.register(f, name=name)

        return register(fn) if fn is not None else register

    async def send_audio(
        self,
        y: Any,
        sr: int | None = None,
        *,
        pace: bool = False,
        commit: bool = False,
        respond: bool = False,
        silence_ms: float = 0.0,
    ) -> float:
        """Append audio: any rate and dtype, resampled to 24 kHz PCM16 and sent in ``chunk_ms`` chunks.

        Parameters
        ----------
        y : ndarray, Audio, (y, sr) or bytes
            Float samples in [-1, 1] or int16 PCM; stereo is down-mixed. Bytes are 24 kHz PCM16.
        sr : int
            Rate of ``y`` (not needed for an Audio).
        pace : bool
            Send in real time (like a microphone) instead of as fast as possible.
        commit, respond : bool
            Commit the buffer / request a response afterwards (for sessions without turn detection).
        silence_ms : float
            Silence appended after the audio (lets server VAD see the end of the speech).

        Returns
        -------
        float
            Milliseconds of audio handed to the session.
        """
        self._check_open()
        pcm = session_pcm(y, sr, silence_ms=silence_ms)
        self._turn_mark = len(self.core.turns)
        sent = await self._append_pcm(pcm, pace=pace)
        if commit:
            await self.commit()
        if respond:
            await self.respond()
        return sent

    async def _append_pcm(self, pcm: bytes, *, pace: bool) -> float:
        step = RATE * self.chunk_ms // 1000 * 2
        start = time.monotonic()
        sent_ms = 0.0
        for i in range(0, len(pcm), step):
            chunk = pcm[i : i + step]
            if pace:
                wait = start + sent_ms / 1000.0 - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            self._check_open()
            if self.recorder is not None:
                self.recorder.input(chunk)
            events = self.core.append_audio(chunk, t=self.now())
            if events:
                await self.connection.send(events)
            elif not pace:
                await asyncio.sleep(0)
            sent_ms += len(chunk) / 2 / RATE * 1000.0
        return sent_ms

    async def send_file(self, path: str | os.PathLike[str], **kwargs: Any) -> float:
        """Append the audio of a file (any format :func:`voicelab.audio.read` reads); options as
        send_audio."""
        audio = vaudio.read(Path(path))
        return await self.send_audio(audio, **kwargs)

    async def stream(self, source: AsyncIterable[Any], *, sr: int | None = None) -> float:
        """Append audio from a live source (an async iterable of Audio chunks, (y, sr) pairs, or arrays
        at ``sr``)
        until it ends. Resampled on the fly with a streaming resampler. Returns ms sent."""
        self._check_open()
        self._turn_mark = len(self.core.turns)
        total = 0.0
        async for pcm in pcm_blocks(source, sr, block_bytes=RATE * self.chunk_ms // 1000 * 2):
            total += await self._append_pcm(pcm, pace=False)
        return total

    def attach(self, source: AsyncIterable[Any], *, sr: int | None = None) -> asyncio.Task[float]:
        """Stream a live source in the background (e.g. the Recorder widget); returns the task."""
        return self._events.spawn(self.stream(source, sr=sr))

    async def commit(self) -> str:
        """Commit the input audio buffer (needed when turn detection is off)."""
        return await self.send({"type": "input_audio_buffer.commit"})

    async def clear_input(self) -> str:
        return await self.send({"type": "input_audio_buffer.clear"})

    async def send_text(
        self, text: str, *, respond: bool = True, role: str = "user", images: Sequence[Any] = ()
    ) -> str:
        """Add a typed message to the conversation, and ask for a response (unless ``respond=False``).

        ``images`` are sent with the text as ``input_image`` parts: Pillow images, image bytes, file paths
        (see :func:`voicelab.image_input.data_url`) or ready ``input_image`` dicts.
        """
        if not isinstance(text, str) or not text.strip():
            raise ParameterError("text", expected="a non-empty string", got=repr(text)[:40])
        if role not in ("user", "system"):
            raise ParameterError("role", expected="'user' or 'system'", got=repr(role))
        if images and role != "user":
            raise ParameterError("images", expected="images only in user messages", got=f"role={role!r}")
        from voicelab.image_input import input_image

        parts = [{"type": "input_text", "text": text}] + [
            image if isinstance(image, dict) else input_image(image) for image in images
        ]
        self._turn_mark = len(self.core.turns)
        event_id = await self.send(
            {"type": "conversation.item.create", "item": {"type": "message", "role": role, "content": parts}}
        )
        if respond:
            await self.respond()
        return event_id

    async def respond(self, **response: Any) -> str:
        """Request a response (``response.create``; keyword arguments go into its ``response`` object)."""
        event: dict[str, Any] = {"type": "response.create"}
        if response:
            event["response"] = response
        return await self.send(event)

    async def cancel(self) -> str | None:
        """Cancel the active response and drop its queued and late audio (nothing to do when none is active).

        To also cut the assistant's item where playback stopped, use :meth:`interrupt`.
        """
        self._check_open()
        if self.core.active_response is None:
            return None
        self._server_events.muted.add(self.core.active_response.id)
        self.audio.clear()
        return await self.send({"type": "response.cancel"})

    async def interrupt(self, played_ms: float | None = None) -> Any:
        """Barge in by hand (push-to-talk): cancel, stop playback, truncate at the ms played (clamped)."""
        self._check_open()
        events, barge = self.core.barge_in(t=self.now(), played_ms=played_ms)
        self.audio.clear()
        if barge is not None:
            self._server_events.note_playback(barge.item_id)
            self._events.note(
                {
                    "type": "voicelab.barge_in",
                    "item_id": barge.item_id,
                    "audio_end_ms": barge.audio_end_ms,
                    "played_ms": round(barge.played_ms, 1),
                    "received_ms": round(barge.received_ms, 1),
                    "response_id": barge.cancelled_response,
                    "by": "client",
                }
            )
            self._events.note(
                {
                    "type": "voicelab.stop_playback",
                    "item_id": barge.item_id,
                    "audio_end_ms": barge.audio_end_ms,
                }
            )
        for event in events:
            await self.send(event)
        return barge

    def report_played(self, item_id: str, played_ms: float) -> None:
        """A player reports how much of an item it has really played (used for truncation)."""
        self.core.report_played(item_id, played_ms)

    # ------------------------------------------------------------------ handlers and iteration
    def on(self, event_type: str, handler: Callable[..., Any] | None = None) -> Any:
        """Call ``handler(event)`` for each event of that type (``"*"``: all). Async handlers run as tasks.

        Server events come as the SDK's typed models; the session's own (``voicelab.barge_in``,
        ``voicelab.reconnecting``, ``voicelab.stop_playback``, …) as :class:`SessionNote`. Usable as
        decorator.
        """

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            return self._events.on(event_type, fn)

        return register(handler) if handler is not None else register

    def on_stop_playback(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        """Call ``handler(note)`` when playback must stop (barge-in); ``note.item_id``,
        ``note.audio_end_ms``."""
        return self.on("voicelab.stop_playback", handler)

    async def events(self, *, local: bool = False) -> AsyncIterator[Any]:
        """Typed server events from now on (and the session's own notes with ``local=True``), until closed."""
        async for event in self._events.stream(
            local=local, over=lambda: self.connection.closing or self.connection.failure is not None
        ):
            yield event

    def __aiter__(self) -> AsyncIterator[Any]:
        return self.events()

    def _raise_if_over(self) -> None:
        if self.connection.failure is not None:
            raise self.connection.failure
        if self.connection.closing:
            raise ParameterError("session", expected="an open session", got="a closed one")

    async def _wait_record(
        self, predicate: Callable[[dict[str, Any]], bool], *, since: int, timeout: float
    ) -> dict[str, Any]:
        return await self._events.wait_record(
            predicate, since=since, timeout=timeout, check=self._raise_if_over
        )

    async def wait_for(
        self, event_type: str, *, timeout: float = 30.0, since: int | None = None
    ) -> dict[str, Any]:
        """The next event of that type (server or ``voicelab.*``) logged after ``since`` (default: now).

        Returns its log record (``t``, ``type``, ``event``; base64 audio left out).
        """
        return await self._wait_record(
            lambda r: r["type"] == event_type,
            since=len(self.log) if since is None else since,
            timeout=timeout,
        )

    def _raise_if_error(self, record: dict[str, Any]) -> None:
        if record["type"] == "error":
            raise ServerEventError(record["event"])

    def _settled(self, mark: int, *, tools: bool = True) -> bool:
        core = self.core
        turns = core.turns[mark:]
        return (
            bool(turns)
            and core.active_response is None
            and (not tools or (not core.tool_round_open and self._calls_running == 0))
            and all(tu.response is not None and tu.response.done_t is not None for tu in turns)
            and core.phase is Phase.READY
        )

    async def wait_turn(
        self, *, timeout: float = 60.0, since: int | None = None, wait_tools: bool = True
    ) -> Turn:
        """Wait until the conversation settles after the last input (response done, tool calls answered and
        followed up) and return the last turn.

        ``wait_tools=False`` returns once the answer is done even while tools still run: their results are
        sent and spoken when they arrive (asynchronous function calling), and the user may go on talking
        meanwhile; a later ``wait_turn()`` waits for them.
        """
        mark = self._turn_mark if since is None else since
        deadline = time.monotonic() + timeout
        while not self._settled(mark, tools=wait_tools):
            if self.connection.failure is not None:
                raise self.connection.failure
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the turn did not finish within {timeout} s")
            await self._events.wait_tick(remaining)
        return self.core.turns[-1]

    async def ask(
        self, text: str, *, timeout: float = 60.0, wait_tools: bool = True, images: Sequence[Any] = ()
    ) -> Turn:
        """Send a typed message (with ``images``, see :meth:`send_text`), wait for the answer (and any tool
        round trips unless ``wait_tools=False``, see :meth:`wait_turn`); return the last turn."""
        mark = len(self.core.turns)
        await self.send_text(text, images=images)
        return await self.wait_turn(timeout=timeout, since=mark, wait_tools=wait_tools)

    # ------------------------------------------------------------------ remote MCP tools
    @property
    def approval_requests(self) -> list[dict[str, Any]]:
        """The ``mcp_approval_request`` items the server sent that no ``mcp_approval_response`` answered."""
        answered = {
            r["event"]["item"].get("approval_request_id")
            for r in self.log
            if r["dir"] == "client" and r["type"] == "conversation.item.create"
        }
        done = [r["event"]["item"] for r in self.log if r["type"] == "response.output_item.done"]
        requests = {item["id"]: item for item in done if item.get("type") == "mcp_approval_request"}
        return [item for item_id, item in requests.items() if item_id not in answered]

    async def answer_approval(
        self,
        request: str | dict[str, Any],
        *,
        approve: bool,
        reason: str | None = None,
        timeout: float = 60.0,
    ) -> Turn:
        """Answer an ``mcp_approval_request`` (its id or item) and wait for the response that follows:
        approved, the MCP call and its spoken result; declined, the model says it did not call the tool."""
        request_id = request["id"] if isinstance(request, dict) else request
        item: dict[str, Any] = {
            "type": "mcp_approval_response",
            "id": f"mcpr_{uuid.uuid4().hex[:24]}",
            "approval_request_id": request_id,
            "approve": bool(approve),
        }
        if reason:
            item["reason"] = reason
        mark = len(self.core.turns)
        self._turn_mark = mark
        await self.send({"type": "conversation.item.create", "item": item})
        await self.respond()
        return await self.wait_turn(timeout=timeout, since=mark)

    async def say(
        self,
        y: Any,
        sr: int | None = None,
        *,
        pace: bool = True,
        silence_ms: float = 800.0,
        timeout: float = 60.0,
        wait_tools: bool = True,
    ) -> Turn:
        """Speak ``y`` into the session (real time by default), let VAD end the turn (or commit and request a
        response when turn detection is off), wait for the answer; return the last turn."""
        mark = len(self.core.turns)
        manual = ((self.core.config.get("audio") or {}).get("input") or {}).get(
            "turn_detection", "server"
        ) is None
        await self.send_audio(
            y, sr, pace=pace, silence_ms=0.0 if manual else silence_ms, commit=manual, respond=manual
        )
        return await self.wait_turn(timeout=timeout, since=mark, wait_tools=wait_tools)

    # ------------------------------------------------------------------ function calls
    async def _run_call(self, call: FunctionCall) -> None:
        self._calls_running += 1
        started = self.now()
        try:
            output, ok = await self.tools.run(call)
            self._events.note(
                {
                    "type": "voicelab.function_call",
                    "name": call.name,
                    "call_id": call.call_id,
                    "arguments": call.arguments,
                    "ok": ok,
                    "seconds": round(self.now() - started, 4),
                    "output": output[:500],
                }
            )
            if not self.connection.closing and self.core.phase is not Phase.CLOSED:
                await self.connection.send(self.core.function_result(call, output, t=self.now()))
        finally:
            self._calls_running -= 1
            self._events.wake()

    # ------------------------------------------------------------------ views
    @property
    def items(self) -> dict[str, Any]:
        return self.core.items

    @property
    def turns(self) -> list[Turn]:
        return self.core.turns

    @property
    def usage(self) -> Any:
        return self.core.usage

    def transcript(self) -> list[tuple[str, str]]:
        """(role, words) per message item, in conversation order."""
        return self.core.transcript()

    def transcript_text(self) -> str:
        return "\n".join(f"{role}: {words}" for role, words in self.transcript())

    def output_audio(self, item_id: str | None = None) -> vaudio.Audio | None:
        """The assistant audio received for one item (default: the last item with audio)."""
        return self._server_events.output_audio(item_id)

    @property
    def cost(self) -> ConversationCost:
        """Running cost so far, priced with :mod:`voicelab.pricing`: ``realtime`` and ``transcription``
        parts."""
        model = self.core.session.get("model") or self.model
        usages: dict[str, tuple[dict[str, Any], str]] = {
            "realtime": (self.core.usage.as_response_usage(), model)
        }
        transcription = (
            ((self.core.session.get("audio") or {}).get("input") or {}).get("transcription")
            or ((self.config.get("audio") or {}).get("input") or {}).get("transcription")
            or {}
        )
        if transcription.get("model"):
            usages["transcription"] = (self.core.usage.as_transcription_usage(), transcription["model"])
        return ConversationCost.from_usages(usages)

    def timeline_data(self) -> Any:
        from voicelab.realtime.timeline import TimelineData

        return TimelineData.from_records(self.log)
