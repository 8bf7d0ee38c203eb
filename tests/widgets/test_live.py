"""LiveSession binding (mic → session, response audio → player, barge-in); browser-direct mode's keys."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np
import pytest

from voicelab.audio import Audio
from voicelab.errors import ParameterError
from voicelab.realtime.session import AudioQueue, OutputAudio, SessionNote
from voicelab.widgets import BrowserLiveSession, LiveSession, Player, Recorder


class FakeSession:
    """The part of RealtimeSession that LiveSession uses, recording what it is asked to do."""

    model = "gpt-realtime"

    def __init__(self) -> None:
        self.audio = AudioQueue()
        self.items: dict[str, Any] = {}
        self.handlers: dict[str, list[Any]] = {}
        self.received: list[Audio] = []
        self.reported: list[tuple[str, float]] = []
        self.lines: list[tuple[str, str]] = []
        self.connected = self.closed = False
        self.said: list[Audio] = []
        self.waited_turns = 0

    async def connect(self) -> FakeSession:
        self.connected = True
        return self

    async def close(self) -> None:
        self.closed = True

    def on(self, kind: str, fn: Any) -> Any:
        self.handlers.setdefault(kind, []).append(fn)
        return fn

    def on_stop_playback(self, fn: Any) -> Any:
        return self.on("voicelab.stop_playback", fn)

    def emit(self, kind: str, event: Any) -> None:
        for fn in self.handlers.get(kind, []) + self.handlers.get("*", []):
            fn(event)

    def attach(self, source: Any) -> asyncio.Task[float]:
        async def consume() -> float:
            async for chunk in source:
                self.received.append(chunk)
            return 0.0

        return asyncio.ensure_future(consume())

    def report_played(self, item_id: str, played_ms: float) -> None:
        self.reported.append((item_id, played_ms))

    def transcript(self) -> list[tuple[str, str]]:
        return list(self.lines)

    async def say(self, y: Audio) -> None:
        self.said.append(y)

    async def wait_turn(self) -> None:
        self.waited_turns += 1


class Event:
    def __init__(self, type: str, **fields: Any) -> None:
        self.type = type
        self.__dict__.update(fields)


def _mic(fe, seconds: float, sr: int = 48000) -> None:
    fe.send({"type": "start", "sr": sr})
    y = np.zeros(int(sr * seconds), dtype="<f4")
    for i in range(0, len(y), 960):
        fe.send({"type": "chunk", "sr": sr}, [y[i : i + 960].tobytes()])
    fe.send({"type": "stop"})


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0.01)


async def test_microphone_audio_goes_to_the_session_only_while_live(frontend):
    session = FakeSession()
    live = LiveSession(session)
    mic = frontend(live.recorder)
    _mic(mic, 0.2)  # before start: not sent
    await live.start()
    assert session.connected
    _mic(mic, 0.5)
    await _settle()
    assert sum(c.y.shape[0] for c in session.received) == pytest.approx(12000, abs=2)
    assert {c.sr for c in session.received} == {24000}
    await live.stop()
    assert session.closed


async def test_converse_or_says_the_fallback_when_no_browser_shows_the_widget(capsys):
    session = FakeSession()
    live = LiveSession(session)
    question = Audio(np.zeros(24000, dtype=np.float32), 24000)
    await live.start()
    await live.converse_or(question, timeout=30, browser_timeout=0.2)
    assert session.said == [question] and session.waited_turns == 0
    assert "No browser shows the recorder" in capsys.readouterr().out
    await live.stop()


async def test_converse_or_lets_the_user_talk_until_they_stop(frontend, capsys):
    session = FakeSession()
    live = LiveSession(session)
    mic = frontend(live.recorder)
    mic.send({"type": "ready"})
    await live.start()
    talking = asyncio.create_task(
        live.converse_or(Audio(np.zeros(24000, dtype=np.float32), 24000), timeout=10, browser_timeout=0.1)
    )
    await asyncio.sleep(0.3)
    assert not talking.done()
    _mic(mic, 0.5)
    await asyncio.wait_for(talking, 5)
    assert session.said == [] and session.waited_turns == 1
    assert sum(c.y.shape[0] for c in session.received) == pytest.approx(12000, abs=2)
    assert capsys.readouterr().out == ""
    await live.stop()


async def test_converse_or_needs_a_started_session():
    with pytest.raises(ParameterError, match=r"live\.start"):
        await LiveSession(FakeSession()).converse_or(Audio(np.zeros(24000, dtype=np.float32), 24000))


async def test_response_audio_is_played_one_stream_per_item_and_played_ms_reported(frontend):
    session = FakeSession()
    live = LiveSession(session)
    speaker = frontend(live.player)
    await live.start()
    session.items["item_A"] = object()
    for _ in range(3):
        session.audio.put(OutputAudio(b"\x00\x00" * 2400, 24000, "item_A", "resp_1"))
    await _settle()
    chunks = [(c, b) for c, b in speaker.received() if c.get("cmd") == "chunk"]
    assert [c["stream"] for c, _ in chunks] == ["item_A"] * 3
    assert live.player.sent_ms_for("item_A") == pytest.approx(300)

    speaker.send({"type": "played", "stream": "item_A", "ms": 180.0, "final": False})
    assert session.reported == [("item_A", 180.0)]
    speaker.send({"type": "played", "stream": "other", "ms": 5.0, "final": False})  # not a session item
    assert session.reported == [("item_A", 180.0)]
    await live.stop()


async def test_barge_in_interrupts_the_player_and_drops_late_audio(frontend):
    session = FakeSession()
    live = LiveSession(session)
    speaker = frontend(live.player)
    await live.start()
    session.audio.put(OutputAudio(b"\x00\x00" * 2400, 24000, "item_A", "resp_1"))
    await _settle()
    session.emit(
        "voicelab.stop_playback",
        SessionNote("voicelab.stop_playback", {"item_id": "item_A", "audio_end_ms": 90}),
    )
    assert [c for c, _ in speaker.received()][-1]["cmd"] == "interrupt"
    session.audio.put(OutputAudio(b"\x00\x00" * 2400, 24000, "item_A", "resp_1"))  # arrives after the cancel
    session.audio.put(OutputAudio(b"\x00\x00" * 2400, 24000, "item_B", "resp_2"))
    await _settle()
    streams = [c["stream"] for c, _ in speaker.received() if c.get("cmd") == "chunk"]
    assert streams == ["item_A", "item_B"]
    assert live.view.status.startswith("interrupted")
    await live.stop()


async def test_transcript_view_follows_the_session():
    session = FakeSession()
    live = LiveSession(session)
    await live.start()
    session.lines = [("user", "What's the weather?"), ("assistant", "Sunny")]
    session.emit("response.output_audio_transcript.done", Event("response.output_audio_transcript.done"))
    assert live.view.lines == [
        {"role": "user", "text": "What's the weather?"},
        {"role": "assistant", "text": "Sunny"},
    ]
    session.emit("response.created", Event("response.created"))
    assert live.view.status == "answering…"
    await live.stop()
    assert live.view.status == "closed"


def test_live_session_rejects_options_next_to_a_session():
    with pytest.raises(ParameterError, match="session_kwargs"):
        LiveSession(FakeSession(), instructions="x")


def test_reprs_are_stable():
    live = LiveSession(FakeSession(), recorder=Recorder(), player=Player())
    assert repr(live) == "LiveSession(model='gpt-realtime')"
    assert repr(live.view) == "TranscriptView(lines=0)"


# ---------------------------------------------------------------------- browser-direct mode
REAL_KEY = "sk-fake-test-key-0123"


@pytest.fixture(scope="module")
def keyed_emulator():
    from voicelab.emulator.server import EmbeddedServer
    from voicelab.emulator.settings import EmulatorSettings

    server = EmbeddedServer(EmulatorSettings(port=0, api_key=REAL_KEY))  # a free port
    server.start()
    yield server
    server.stop()


@pytest.fixture
def keyed_client(keyed_emulator):
    import openai

    client = openai.OpenAI(
        base_url=keyed_emulator.base_url,
        api_key=REAL_KEY,
        websocket_base_url=keyed_emulator.websocket_base_url,
    )
    yield client
    client.close()


def _everything_sent_to_the_browser(widget) -> str:
    parts = [json.dumps(widget.get_state(), default=str)]
    for m in widget.comm.published:
        parts.append(json.dumps(m["data"], default=str))
        parts.extend(b.decode("latin-1") for b in m["buffers"])
    return "\n".join(parts)


def test_browser_direct_state_holds_an_ephemeral_key_never_the_real_one(
    frontend, keyed_client, keyed_emulator
):
    live = BrowserLiveSession(keyed_client, instructions="Be brief.", voice="verse")
    fe = frontend(live)
    assert live.client_secret.startswith("ek_")
    assert live.url == f"{keyed_emulator.websocket_base_url}/realtime?model=gpt-realtime-2"
    assert live.session["instructions"] == "Be brief."
    first = live.client_secret
    fe.send({"type": "need_key"})  # the browser found its key expired
    assert live.client_secret.startswith("ek_") and live.client_secret != first
    assert live.keys_minted == 2
    live.start()
    sent = _everything_sent_to_the_browser(live)
    assert live.client_secret in sent
    assert REAL_KEY not in sent
    assert REAL_KEY not in repr(live)


async def test_the_ephemeral_key_opens_the_realtime_socket_by_subprotocol(keyed_client):
    """What the browser does: connect with ["realtime", "openai-insecure-api-key.<ek>"] and no header."""
    import websockets

    live = BrowserLiveSession(keyed_client)
    protocols = ["realtime", f"openai-insecure-api-key.{live.client_secret}"]
    async with websockets.connect(live.url, subprotocols=protocols, open_timeout=10) as ws:
        assert ws.subprotocol == "realtime"
        first = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert first["type"] == "session.created"
        await ws.send(json.dumps({"type": "session.update", "session": live.session}))
        while (event := json.loads(await asyncio.wait_for(ws.recv(), 10)))["type"] != "session.updated":
            assert event["type"] != "error", event
    # A forged key is refused: an invalid_api_key error, then the socket closes (policy violation).
    async with websockets.connect(
        live.url, subprotocols=["realtime", "openai-insecure-api-key.ek_forged"], open_timeout=10
    ) as ws:
        event = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert event["type"] == "error" and event["error"]["code"] == "invalid_api_key", event
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 1008


def test_browser_reports_become_events_transcript_and_state(frontend, keyed_client):
    live = BrowserLiveSession(keyed_client)
    fe = frontend(live)
    fe.send({"type": "state", "state": "live", "error": ""})
    fe.send({"type": "event", "event": {"type": "input_audio_buffer.speech_started", "audio_start_ms": 120}})
    fe.send(
        {"type": "sent", "event": {"type": "conversation.item.truncate", "item_id": "i", "audio_end_ms": 400}}
    )
    fe.send(
        {
            "type": "transcript",
            "lines": [{"role": "user", "text": "hi"}, {"role": "assistant", "text": "hello"}],
        }
    )
    assert live.state == "live"
    assert live.events[0]["type"] == "input_audio_buffer.speech_started"
    assert live.sent[0]["audio_end_ms"] == 400
    assert live.transcript == [("user", "hi"), ("assistant", "hello")]
    assert repr(live) == "BrowserLiveSession(model='gpt-realtime-2')"


# ---------------------------------------------------------------------- browser-direct mode over WebRTC
def test_webrtc_mode_posts_offers_to_the_calls_url_with_an_ephemeral_key(
    frontend, keyed_client, keyed_emulator
):
    live = BrowserLiveSession(keyed_client, transport="webrtc", voice="verse")
    fe = frontend(live)
    assert live.transport == "webrtc"
    assert live.url == f"{keyed_emulator.base_url}/realtime/calls?model=gpt-realtime-2"
    assert live.client_secret.startswith("ek_")
    fe.send({"type": "call", "call_id": "rtc_u1_0123"})  # the browser read the Location header
    assert live.call_id == "rtc_u1_0123"
    live.start()
    sent = _everything_sent_to_the_browser(live)
    assert REAL_KEY not in sent and live.client_secret in sent
    assert repr(live) == "BrowserLiveSession(model='gpt-realtime-2', transport='webrtc')"


def test_unknown_transport_is_refused_naming_the_parameter(keyed_client):
    with pytest.raises(ParameterError) as refused:
        BrowserLiveSession(keyed_client, transport="carrier-pigeon")
    assert refused.value.param == "transport"
