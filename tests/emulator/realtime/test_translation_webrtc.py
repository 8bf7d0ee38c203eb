"""Realtime translation over WebRTC (``POST /v1/realtime/translations/calls``), with aiortc as the browser.

As OpenAI's realtime-translation guide has it: mint an ``ek_`` key with the SDK's
``realtime.translations.client_secrets``, post the SDP offer with it, speak on the audio track, hear the
translation on the remote track, read the transcript deltas on the ``oai-events`` data channel (each one
strictly valid against the SDK's ``RealtimeTranslationServerEvent``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time

import httpx
import numpy as np
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from openai import AsyncOpenAI

from voicelab.emulator.server import EmbeddedServer
from voicelab.media import PacedAudioTrack, PcmQueue, read_track

from .conftest import tone
from .test_translation import API_KEY, fake_engines, japanese_station, start, strict

SR = 24000
SPOKEN_S = 0.6  # the fake voice's answer: 0.6 s of a 440 Hz tone


def _answer_tone(text: str) -> np.ndarray:
    """The fake voice: 0.6 s of a 440 Hz tone (Opus carries it; a constant level would not survive)."""
    t = np.arange(int(SPOKEN_S * SR)) / SR
    return (0.4 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)


@pytest.fixture(scope="module")
def fake_server():
    """test_translation's fake engines (fixed words, the RMS VAD), speaking a tone."""
    srv = start(dataclasses.replace(fake_engines(), synthesize=_answer_tone))
    yield srv
    srv.stop()


class Browser:
    """The caller: a microphone track, the remote track recorded, the ``oai-events`` channel."""

    def __init__(self) -> None:
        self.peer = RTCPeerConnection()
        self.microphone = PcmQueue()
        self.heard: list[np.ndarray] = []
        self.events: asyncio.Queue[dict] = asyncio.Queue()
        self.opened = asyncio.Event()
        self.closed = asyncio.Event()
        self.channel = None
        self._reader: asyncio.Task | None = None

    async def call(self, srv: EmbeddedServer, key: str, *, query: str = "") -> httpx.Response:
        peer = self.peer
        peer.addTrack(PacedAudioTrack(self.microphone.take))
        self.channel = channel = peer.createDataChannel("oai-events")
        channel.on("open", self.opened.set)
        channel.on("close", self.closed.set)
        channel.on("message", lambda message: self.events.put_nowait(strict(json.loads(message))))

        @peer.on("track")
        def on_track(track) -> None:
            self._reader = asyncio.ensure_future(read_track(track, self.heard.append))

        await peer.setLocalDescription(await peer.createOffer())
        async with httpx.AsyncClient(timeout=30) as http:
            answer = await http.post(
                f"{srv.base_url}/realtime/translations/calls{query}",
                content=peer.localDescription.sdp,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/sdp"},
            )
        if answer.status_code == 201:
            await peer.setRemoteDescription(RTCSessionDescription(sdp=answer.text, type="answer"))
            await asyncio.wait_for(self.opened.wait(), 30)
        return answer

    async def until(self, kind: str, timeout: float = 60) -> list[dict]:
        deadline = time.monotonic() + timeout
        out: list[dict] = []
        while not out or out[-1]["type"] != kind:
            out.append(await asyncio.wait_for(self.events.get(), max(deadline - time.monotonic(), 0.01)))
        return out

    def send(self, event: dict) -> None:
        self.channel.send(json.dumps(event))

    async def played_out(self, quiet_s: float = 2.0, timeout: float = 180) -> None:
        """Wait until speech was heard and none arrived for ``quiet_s`` (the answer has played out)."""
        deadline = time.monotonic() + timeout
        heard, steady_since = -1.0, time.monotonic()
        while time.monotonic() < deadline:
            loud = self.loud_seconds()
            if loud != heard:
                heard, steady_since = loud, time.monotonic()
            elif loud > 0 and time.monotonic() - steady_since >= quiet_s:
                return
            await asyncio.sleep(0.25)
        raise TimeoutError(f"the translated speech did not finish playing within {timeout} s")

    def loud_seconds(self) -> float:
        pcm = np.concatenate(self.heard) if self.heard else np.zeros(0, np.int16)
        frames = pcm[: len(pcm) // 480 * 480].reshape(-1, 480).astype(np.float64)
        return float((np.sqrt((frames**2).mean(axis=1)) > 2000).sum()) * 0.02

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        await self.peer.close()


async def mint(srv: EmbeddedServer, **audio_config) -> str:
    async with AsyncOpenAI(api_key=API_KEY, base_url=srv.base_url, max_retries=0) as client:
        secret = await client.realtime.translations.client_secrets.create(
            session={"model": "gpt-realtime-translate", "audio": audio_config}
        )
    return secret.value


async def test_speech_on_the_track_comes_back_translated_on_the_remote_track(fake_server):
    key = await mint(fake_server, input={"transcription": {"model": "gpt-live-transcribe"}})
    browser = Browser()
    try:
        answer = await browser.call(fake_server, key)
        assert answer.status_code == 201 and answer.headers["content-type"].startswith("application/sdp")
        created = (await browser.until("session.created"))[-1]["session"]
        assert created["type"] == "translation" and created["audio"]["output"]["language"] == "en"
        browser.microphone.say(np.concatenate([tone(1.0), np.zeros(SR, np.int16)]))  # speech, then a pause
        events = await browser.until("session.output_transcript.delta")
        events += await browser.until("session.output_transcript.delta")  # "Where " "is " "the " "station?"
        await asyncio.sleep(SPOKEN_S + 0.8)  # the translated speech plays at its own pace
        source = "".join(e["delta"] for e in events if e["type"] == "session.input_transcript.delta")
        assert source == "駅はどこですか"
        browser.send({"type": "session.close"})
        events += await browser.until("session.closed")
        translated = "".join(e["delta"] for e in events if e["type"] == "session.output_transcript.delta")
        assert translated == "Where is the station? "
        assert not [e for e in events if e["type"] == "session.output_audio.delta"]  # audio is on the track
        assert abs(browser.loud_seconds() - SPOKEN_S) < 0.25  # the translated speech, heard once
        await asyncio.wait_for(browser.closed.wait(), 10)  # the emulator ends the call after session.closed
    finally:
        await browser.close()


async def test_bad_calls_are_refused_with_the_param_named(fake_server):
    async with AsyncOpenAI(api_key=API_KEY, base_url=fake_server.base_url, max_retries=0) as client:
        realtime_key = (await client.realtime.client_secrets.create(session={"type": "realtime"})).value
    cases = [
        (realtime_key, "", 401, None),  # a key for a Realtime session, not a translation
        (API_KEY, "", 400, "model"),  # a server key needs ?model=
        (API_KEY, "?model=gpt-realtime", 404, "model"),  # not a translation model: model_not_found
    ]
    for key, query, status, param in cases:
        browser = Browser()
        try:
            answer = await browser.call(fake_server, key, query=query)
        finally:
            await browser.close()
        assert answer.status_code == status, answer.text
        assert answer.json()["error"]["param"] == param
    async with httpx.AsyncClient(timeout=30) as http:
        no_audio = await http.post(
            f"{fake_server.base_url}/realtime/translations/calls?model=gpt-realtime-translate",
            content="v=0\r\n",
            headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/sdp"},
        )
    assert no_audio.status_code == 400 and no_audio.json()["error"]["param"] == "sdp"
    browser = Browser()  # the server still answers, with a server key and ?model=
    try:
        answer = await browser.call(fake_server, API_KEY, query="?model=gpt-realtime-translate")
        assert answer.status_code == 201
        assert (await browser.until("session.created"))[-1]["session"]["model"] == "gpt-realtime-translate"
    finally:
        await browser.close()


@pytest.mark.slow
async def test_japanese_speech_is_heard_in_english_over_webrtc():
    """The real engines: a Japanese question on the track, English words and speech back."""
    from voicelab.engines import stt

    srv = start()
    browser = Browser()
    try:
        key = await mint(srv)
        assert (await browser.call(srv, key)).status_code == 201
        await browser.until("session.created")
        pause = np.zeros(SR, np.int16)
        browser.microphone.say(np.concatenate([pause, japanese_station(), pause, pause]))
        events = await browser.until("session.output_transcript.delta", timeout=180)
        await browser.played_out()  # close only once the translated speech has reached the caller
        browser.send({"type": "session.close"})
        events += await browser.until("session.closed", timeout=180)
        await asyncio.sleep(1.0)
        translated = "".join(e["delta"] for e in events if e["type"] == "session.output_transcript.delta")
        assert "station" in translated.lower(), translated
        heard = np.concatenate(browser.heard).astype(np.float32) / 32768
        assert "station" in stt.transcribe(heard, SR, language="en").text.lower()
    finally:
        await browser.close()
        srv.stop()
