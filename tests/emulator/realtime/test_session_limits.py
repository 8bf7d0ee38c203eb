"""The server's limit settings hold for every Realtime session, whatever carries it (``session_limits``).

Real transports: an aiortc peer for WebRTC calls (the ``oai-events`` data channel, the microphone track), the
simulated SIP trunk (``place_call``, μ-law at 8 kHz) with the sideband WebSocket for its events, the SDK's
WebSockets. Each server event read from a Realtime transport is strictly validated with the SDK's types.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import json
import time

import httpx
import numpy as np
import openai
import pytest
import websockets
from aiortc import RTCPeerConnection
from openai import AsyncOpenAI

from voicelab.emulator.app import create_app
from voicelab.emulator.phone import place_call
from voicelab.emulator.realtime.route import Engines
from voicelab.emulator.server import EmbeddedServer
from voicelab.emulator.settings import EmulatorSettings
from voicelab.realtime.webrtc import WebRTCCall

from .conftest import raw_connect, recv_json, rms_vad_factory, silence, tone
from .test_translation import API_KEY, fake_engines, translation
from .test_translation_webrtc import Browser, _answer_tone
from .test_webrtc import fixed_transcribe, tone_synthesize, typed, until, user_text

KEY = API_KEY  # test_translation's server key (its helpers connect with it)
TEXT_ANSWER = {"type": "response.create", "response": {"output_modalities": ["text"]}}


def limited_server(**limits) -> EmbeddedServer:
    """A started server with these limits, fake engines (tone voice, fixed transcript, RMS turn detection)."""
    settings = EmulatorSettings(port=0, api_key=KEY, realtime_pacing=False, **limits)
    app = create_app(settings)
    app.state.realtime_engines = Engines(
        synthesize=tone_synthesize, transcribe=fixed_transcribe, vad_factory=rms_vad_factory
    )
    app.state.translation_engines = dataclasses.replace(fake_engines(), synthesize=_answer_tone)
    return EmbeddedServer(settings, app=app).start()


@pytest.fixture(scope="module")
def short_conversations():
    """A conversation may hold 1 s of audio; a client event may be 4 KiB; 1 MiB of events may wait to be
    sent; an MCP operation may take 5 s."""
    server = limited_server(
        max_conversation_audio_seconds=1.0, max_event_bytes=4096, max_outbox_bytes=2**20, mcp_timeout_s=5
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def short_buffers():
    """The input audio buffer may hold 2 s."""
    server = limited_server(max_input_buffer_seconds=2.0)
    yield server
    server.stop()


@contextlib.asynccontextmanager
async def sdk(server: EmbeddedServer):
    async with AsyncOpenAI(
        api_key=KEY, base_url=server.base_url, websocket_base_url=server.websocket_base_url, max_retries=0
    ) as client:
        yield client


def assert_pump_limits(server: EmbeddedServer, call_id: str | None) -> None:
    """The live call's pump (its transport) has the server's outbox size and MCP timeout."""
    pump = server._app.state.calls.live(call_id).pump  # the app the test built (limited_server)
    assert (pump.outbox.max_bytes, pump.mcp.timeout_s) == (2**20, 5)


def a_turn_of_speech() -> np.ndarray:
    """2 s of voiced tone, then 1 s of silence: one detected turn of 2.3 s (with its prefix padding)."""
    return np.concatenate([silence(0.3), tone(2.0), silence(1.0)])


def assert_conversation_full(error: dict) -> None:
    """The error of a detected turn dropped at the 1 s conversation-audio limit (a commit: param null)."""
    assert error["code"] == "conversation_audio_full" and error["param"] is None, error
    assert "the limit is 1 s" in error["message"], error["message"]


# ---------------------------------------------------------------------------------------------- WebRTC
async def test_a_webrtc_call_has_the_servers_conversation_audio_limit(short_conversations, validate):
    """Speech on the microphone track over the configured 1 s: the detected turn is dropped with a
    ``conversation_audio_full`` error on the data channel (no response is started); an event over the
    configured 4 KiB is ``event_too_large``; the call goes on and answers a typed question."""
    async with sdk(short_conversations) as client:
        call = await WebRTCCall.start(client)
        async with call:
            await until(call, validate, typed("session.created"))
            assert_pump_limits(short_conversations, call.call_id)
            call.say(a_turn_of_speech())
            events = await until(call, validate, typed("error"), timeout=30)
            types = [e["type"] for e in events]
            assert "input_audio_buffer.speech_stopped" in types and "response.created" not in types
            assert_conversation_full(events[-1]["error"])
            await call.send(user_text("Hi " * 2000))  # 6 KB
            error = (await until(call, validate, typed("error"), timeout=30))[-1]["error"]
            assert error["code"] == "event_too_large" and "4096 bytes" in error["message"], error
            await call.send(user_text("Hi"))
            await call.send(TEXT_ANSWER)
            done = (await until(call, validate, typed("response.done"), timeout=30))[-1]["response"]
    assert done["status"] == "completed"
    assert done["output"][0]["content"][0]["text"]


async def test_a_webrtc_call_has_the_servers_input_buffer_limit(short_buffers, validate):
    """Without turn detection the call's microphone (silence too) fills the buffer: at the configured 2 s one
    ``input_audio_buffer_full`` error naming ``audio`` arrives on the data channel, and later audio is dropped
    without more errors until the client commits; the call then answers a typed question."""
    session = {"type": "realtime", "audio": {"input": {"turn_detection": None}}}
    async with sdk(short_buffers) as client:
        call = await WebRTCCall.start(client, session=session)
        async with call:
            events = await until(call, validate, typed("error"), timeout=30)
            error = events[-1]["error"]
            assert (error["code"], error["param"]) == ("input_audio_buffer_full", "audio"), error
            assert "the limit is 2 s" in error["message"]
            await asyncio.sleep(1.0)  # 50 more frames of the microphone: dropped, no error each
            await call.send({"type": "input_audio_buffer.commit"})
            events = await until(call, validate, typed("input_audio_buffer.committed"), timeout=30)
            assert "error" not in [e["type"] for e in events]
            await call.send(user_text("Hi"))
            await call.send(TEXT_ANSWER)
            done = (await until(call, validate, typed("response.done"), timeout=30))[-1]["response"]
    assert done["status"] == "completed"


async def test_a_silent_webrtc_caller_does_not_fill_the_input_buffer(short_buffers, validate):
    """With turn detection, silence longer than the 2 s buffer is not kept (it is not speech): the caller
    speaks after 3 s of silence and is heard, turn committed and answered."""
    async with sdk(short_buffers) as client:
        call = await WebRTCCall.start(client)
        async with call:
            await until(call, validate, typed("session.created"))
            await asyncio.sleep(3.0)  # the microphone sends silence meanwhile
            call.say(np.concatenate([tone(0.5), silence(1.0)]))
            events = await until(call, validate, typed("response.done"), timeout=30)
    types = [e["type"] for e in events]
    assert "error" not in types, [e for e in events if e["type"] == "error"]
    assert types.index("input_audio_buffer.speech_started") < types.index("input_audio_buffer.committed")
    assert events[-1]["response"]["status"] == "completed"


# ---------------------------------------------------------------------------------------------- SIP
async def test_a_sip_call_has_the_servers_conversation_audio_limit(short_conversations, validate):
    """The phone caller speaks over the configured 1 s: the sideband sees the turn dropped with
    ``conversation_audio_full``; the call still answers a question typed on the sideband."""
    ringing: asyncio.Queue[str] = asyncio.Queue()
    phone = asyncio.create_task(
        place_call(
            short_conversations.base_url,
            KEY,
            a_turn_of_speech(),
            24000,
            listen_after=20,
            on_ringing=ringing.put_nowait,
        )
    )
    async with sdk(short_conversations) as client:
        call_id = await asyncio.wait_for(ringing.get(), 10)
        await client.realtime.calls.accept(call_id, type="realtime")
        assert_pump_limits(short_conversations, call_id)
        async with client.realtime.connect(call_id=call_id) as sideband:
            seen: list[dict] = []
            while not seen or seen[-1]["type"] != "error":
                seen.append(json.loads(await asyncio.wait_for(sideband.recv_bytes(), 30)))
                validate(seen[-1])
            assert "response.created" not in [e["type"] for e in seen]
            assert_conversation_full(seen[-1]["error"])
            await sideband.send(user_text("Hi"))  # type: ignore[arg-type]
            await sideband.send(TEXT_ANSWER)  # type: ignore[arg-type]
            while seen[-1]["type"] != "response.done":
                seen.append(json.loads(await asyncio.wait_for(sideband.recv_bytes(), 30)))
                validate(seen[-1])
            await client.realtime.calls.hangup(call_id)
    assert seen[-1]["response"]["status"] == "completed"
    assert (await asyncio.wait_for(phone, 30)).outcome == {"type": "hangup"}


# ---------------------------------------------------------------------------------------------- sessions
async def refused_websocket(server: EmbeddedServer) -> dict:
    """The 429 a Realtime WebSocket gets at connect: its error body."""
    with pytest.raises(websockets.InvalidStatus) as refused:
        await raw_connect(server, key=KEY)
    response = refused.value.response
    assert response.status_code == 429 and response.headers["retry-after"] == "1"
    return json.loads(response.body)["error"]


async def opened_websocket(
    server: EmbeddedServer, validate, timeout: float = 10
) -> websockets.ClientConnection:
    """A Realtime WebSocket, once a session slot is free again (slots are given back as sessions end)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            ws = await raw_connect(server, key=KEY)
        except websockets.InvalidStatus:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)
            continue
        assert (await recv_json(ws, validate))["type"] == "session.created"
        return ws


async def translation_offer_status(server: EmbeddedServer) -> httpx.Response:
    """``POST /v1/realtime/translations/calls`` with a real offer (audio + data channel)."""
    peer = RTCPeerConnection()
    peer.createDataChannel("oai-events")
    peer.addTransceiver("audio")
    await peer.setLocalDescription(await peer.createOffer())
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            return await http.post(
                f"{server.base_url}/realtime/translations/calls?model=gpt-realtime-translate",
                content=peer.localDescription.sdp,
                headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/sdp"},
            )
    finally:
        await peer.close()


async def test_max_sessions_counts_every_transport_and_hangups_free_the_slot(validate):
    """``max_sessions=1``: a live WebRTC call, SIP call, WebSocket or translation session each takes the one
    slot; a second session of any transport is refused with the WebSocket's 429 (``rate_limit_exceeded``,
    ``Retry-After: 1``), an HTTP 429 for a call's POST; hanging up (or a WebRTC caller leaving) gives the
    slot back."""
    server = limited_server(max_sessions=1)
    phone = None
    try:
        async with sdk(server) as client:
            call = await WebRTCCall.start(client)  # 1. a WebRTC call holds the slot
            async with call:
                error = await refused_websocket(server)
                assert error["code"] == "rate_limit_exceeded" and error["type"] == "requests"
                assert "max_sessions" in error["message"]
                with pytest.raises(openai.RateLimitError) as second_call:
                    await WebRTCCall.start(client)
                assert second_call.value.code == "rate_limit_exceeded"
                assert second_call.value.response.headers["retry-after"] == "1"
                assert second_call.value.body == error  # the same answer as the WebSocket's
                refused = await translation_offer_status(server)
                assert refused.status_code == 429 and refused.json()["error"] == error
                await call.hangup()
            ws = await opened_websocket(server, validate)  # 2. the hang-up freed it: a WebSocket holds it
            ringing: asyncio.Queue[str] = asyncio.Queue()
            phone = asyncio.create_task(
                place_call(server.base_url, KEY, silence(1.0), 24000, listen_after=30, on_ringing=ringing.put)
            )
            call_id = await asyncio.wait_for(ringing.get(), 10)
            with pytest.raises(openai.RateLimitError) as full_accept:
                await client.realtime.calls.accept(call_id, type="realtime")
            assert full_accept.value.body == error
            await ws.close()
            await asyncio.sleep(0.3)
            await client.realtime.calls.accept(call_id, type="realtime")  # 3. the call still rang: now up
            assert (await refused_websocket(server)) == error
            await client.realtime.calls.hangup(call_id)
            assert (await asyncio.wait_for(phone, 30)).outcome == {"type": "hangup"}
            ws = await opened_websocket(server, validate)
            await ws.close()
            async with translation(server) as conn:  # 4. a translation session holds it
                assert json.loads(await asyncio.wait_for(conn.recv_bytes(), 10))["type"] == "session.created"
                assert (await refused_websocket(server)) == error
            await (await opened_websocket(server, validate)).close()
            call = await WebRTCCall.start(client)  # 5. a caller who leaves without hanging up frees it too
            assert (await refused_websocket(server)) == error
            await call.close()
            await (await opened_websocket(server, validate)).close()
    finally:
        if phone is not None and not phone.done():
            phone.cancel()
        server.stop()


# ---------------------------------------------------------------------------------------------- translation
async def test_a_translation_call_has_the_servers_event_size_and_input_audio_limits():
    """Over WebRTC: a data-channel event over ``max_event_bytes`` (4 KiB) is an ``event_too_large`` error and
    the session goes on; 3 s of continuous speech on the track, over ``max_input_buffer_seconds`` (1 s), is
    translated in parts (a segment per second) instead of held whole until the speaker pauses."""
    server = limited_server(max_event_bytes=4096, max_input_buffer_seconds=1.0)
    browser = Browser()
    try:
        answer = await browser.call(server, KEY, query="?model=gpt-realtime-translate")
        assert answer.status_code == 201, answer.text
        await browser.until("session.created")
        big = base64.b64encode(np.zeros(3000, np.int16).tobytes()).decode()  # 8 KB of base64 audio
        browser.send({"type": "session.input_audio_buffer.append", "audio": big})
        error = (await browser.until("error"))[-1]["error"]
        assert error["code"] == "event_too_large" and "4096 bytes" in error["message"], error
        browser.microphone.say(np.concatenate([tone(3.0), silence(1.5)]))
        segments, deadline = 0, time.monotonic() + 20
        with contextlib.suppress(TimeoutError):
            while segments < 3:  # "Where is the station?" once per segment
                events = await browser.until("session.output_transcript.delta", deadline - time.monotonic())
                segments += events[-1]["delta"] == "Where "
        assert segments >= 3  # without the limit: one segment, once the speaker pauses
    finally:
        await browser.close()
        server.stop()
