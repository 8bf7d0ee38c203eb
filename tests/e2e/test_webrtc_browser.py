"""The source documents' WebRTC client, unchanged but for its URL, talking to the emulator in Chromium.

``seed_webrtc_client.js`` is the ``client.js`` of seed 002 (the Japanese WebRTC walkthrough) byte for byte;
the test replaces ``https://api.openai.com`` with the emulator's address and nothing else. The page also
serves the walkthrough's ``GET /token`` (its ``server.js``: the server's key mints a client secret with ``POST
/v1/realtime/client_secrets`` and returns it). Chromium's fake microphone plays a spoken WAV; a separate
instrumentation script (not part of the seed code) keeps the peer connection, records the ``oai-events`` data
channel and captures the remote track through an AudioWorklet, so the test can validate every event with the
SDK's strict types, measure the answer's energy and transcribe what arrived.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import soundfile as sf
from fastapi.responses import HTMLResponse, JSONResponse, Response

from voicelab import audio
from voicelab.emulator.app import create_app
from voicelab.emulator.realtime.route import Engines
from voicelab.emulator.server import EmbeddedServer
from voicelab.emulator.settings import EmulatorSettings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEY = "fake-webrtc-e2e-key"
SEED_JS = (Path(__file__).parent / "seed_webrtc_client.js").read_text(encoding="utf-8")
SEED_URL = "https://api.openai.com/v1/realtime/calls?model=gpt-realtime"
SR = 24000
STORY = " ".join(
    f"Chapter {i}: the old cat walked to the river and met a friendly dog." for i in range(1, 15)
)

# Instrumentation loaded before the seed code: it changes nothing the seed code does, it only watches.
INSTRUMENT_JS = r"""
window.__events = [];
window.__pcm = [];
window.__location = null;
const NativePeerConnection = window.RTCPeerConnection;
window.RTCPeerConnection = class extends NativePeerConnection {
  constructor(...args) {
    super(...args);
    window.__pc = this;
    this.addEventListener("track", (e) => window.__recordRemote(e.streams[0]));
  }
  createDataChannel(...args) {
    const dc = super.createDataChannel(...args);
    window.__dc = dc;
    dc.addEventListener("message", (e) => window.__events.push(JSON.parse(e.data)));
    return dc;
  }
};
const nativeFetch = window.fetch.bind(window);
window.fetch = async (...args) => {
  const response = await nativeFetch(...args);
  if (String(args[0]).includes("/realtime/calls")) window.__location = response.headers.get("Location");
  return response;
};
const CAPTURE = `class Capture extends AudioWorkletProcessor {
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (ch) this.port.postMessage(ch.slice(0));
    return true;
  }
}
registerProcessor("capture", Capture);`;
window.__recordRemote = async (stream) => {
  const ctx = new AudioContext({ sampleRate: 24000 });
  const url = URL.createObjectURL(new Blob([CAPTURE], { type: "application/javascript" }));
  await ctx.audioWorklet.addModule(url);
  const node = new AudioWorkletNode(ctx, "capture");
  node.port.onmessage = (e) => window.__pcm.push({ t: performance.now(), pcm: e.data });
  ctx.createMediaStreamSource(stream).connect(node);
  window.__captureStarted = performance.now();
};
window.__heard = (since) => {
  const parts = window.__pcm.filter((p) => since === undefined || p.t >= since).map((p) => p.pcm);
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Int16Array(n);
  let i = 0;
  for (const p of parts) {
    for (const x of p) out[i++] = Math.max(-32768, Math.min(32767, Math.round(x * 32767)));
  }
  const bytes = new Uint8Array(out.buffer);
  let s = "";
  for (let j = 0; j < bytes.length; j += 0x8000) {
    s += String.fromCharCode.apply(null, bytes.subarray(j, j + 0x8000));
  }
  return btoa(s);
};
"""


@pytest.fixture
def validate():
    """Strict validation of one server event, as openai-agents parses them."""
    from voicelab.protocol.events import SERVER_EVENT_ADAPTER

    return lambda event: SERVER_EVENT_ADAPTER.validate_python(json.loads(json.dumps(event)), strict=True)


def seed_code(base: str) -> str:
    """The seed's client.js with only the API URL changed (asserted, so nothing else can drift)."""
    assert SEED_JS.count(SEED_URL) == 1
    changed = SEED_JS.replace("https://api.openai.com", base.rstrip("/"))
    assert changed.replace(base.rstrip("/"), "https://api.openai.com") == SEED_JS
    return changed


class StoryResponder:
    """A long answer, to be interrupted by the caller."""

    async def respond(self, messages, *, instructions=None, tools=None, tool_choice="auto"):
        from voicelab.emulator.responder import Reply

        return Reply(text=STORY)


def serve_walkthrough(responder: Any = None, *, transcribe: Any = None) -> EmbeddedServer:
    """The emulator (real engines, loaded before the browser speaks) plus the walkthrough's page, client.js
    and ``GET /token``."""
    from voicelab.engines import stt, tts

    stt.transcribe(np.zeros(SR, np.float32), SR, language="en")
    tts.synthesize("Ready.", voice="alloy")
    app = create_app(EmulatorSettings(port=0, api_key=KEY))
    if responder is not None:
        app.state.responder = responder
    if transcribe is not None:  # the VAD and the voice stay real; only the words heard come from here
        engines = Engines.default()
        app.state.realtime_engines = dataclasses.replace(engines, transcribe=transcribe)
    server = EmbeddedServer(app.state.settings, app=app)

    async def token() -> JSONResponse:  # seed 002's server.js, in Python
        session_config = {
            "session": {"type": "realtime", "model": "gpt-realtime", "audio": {"output": {"voice": "marin"}}}
        }
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                f"{server.base_url}/realtime/client_secrets",
                json=session_config,
                headers={"Authorization": f"Bearer {KEY}"},
            )
        return JSONResponse(answer.json(), status_code=answer.status_code)

    async def page() -> HTMLResponse:
        return HTMLResponse(
            '<!doctype html><html><body><script src="/instrument.js"></script>'
            '<script src="/client.js"></script></body></html>'
        )

    async def client_js() -> Response:
        origin = server.base_url.removesuffix("/v1")
        return Response(seed_code(origin), media_type="application/javascript")

    async def instrument_js() -> Response:
        return Response(INSTRUMENT_JS, media_type="application/javascript")

    app.add_api_route("/token", token, methods=["GET"])
    app.add_api_route("/", page, methods=["GET"])
    app.add_api_route("/client.js", client_js, methods=["GET"])
    app.add_api_route("/instrument.js", instrument_js, methods=["GET"])
    return server.start()


def mic_wav(path: Path, *phrases: tuple[str, float]) -> Path:
    """A 48 kHz 16-bit WAV for Chromium's fake microphone: each phrase (Piper) followed by its silence."""
    from voicelab.engines import tts

    pieces = [np.zeros(48000, np.float32)]
    for text, pause in phrases:
        speech = tts.synthesize(text, voice="alloy")
        pieces += [
            audio.resample(speech.y.astype(np.float32), speech.sr, 48000),
            np.zeros(int(pause * 48000), np.float32),
        ]
    sf.write(path, np.concatenate(pieces), 48000, subtype="PCM_16")
    return path


def launch(playwright: Any, e2e: Any, wav: Path) -> Any:
    return playwright.chromium.launch(
        executable_path=str(e2e.CHROMIUM),
        headless=True,
        args=[*e2e.BASE_ARGS, f"--use-file-for-fake-audio-capture={wav}%noloop"],
    )


def events(page: Any, validate) -> list[dict]:
    got = page.evaluate("window.__events")
    for event in got:
        validate(event)
    return got


def wait_event(page: Any, kind: str, timeout: float = 90) -> None:
    page.wait_for_function(
        f"() => window.__events.some((e) => e.type === {json.dumps(kind)})", timeout=timeout * 1000
    )


def heard(page: Any, since: float | None = None) -> np.ndarray:
    data = page.evaluate("(since) => window.__heard(since === null ? undefined : since)", since)
    return np.frombuffer(base64.b64decode(data), np.int16)


def loud_span(pcm: np.ndarray, threshold: int = 800) -> np.ndarray:
    loud = np.flatnonzero(np.abs(pcm) > threshold)
    return pcm[loud[0] : loud[-1] + 1] if loud.size else pcm[:0]


def test_seed_webrtc_client_holds_a_spoken_conversation(playwright, e2e, tmp_path, validate):
    """Spoken question → spoken answer on the remote track (energy, Whisper hears it), events on the data
    channel strictly valid; then ``client.realtime.calls.hangup`` closes the browser's call."""
    from openai import OpenAI

    from voicelab.engines import stt

    server = serve_walkthrough()
    browser = launch(playwright, e2e, mic_wav(tmp_path / "question.wav", ("What is two plus two?", 8.0)))
    try:
        page = browser.new_page()
        page.goto(server.base_url.removesuffix("/v1") + "/")
        page.evaluate("connectToRealtimeAPI()")
        location = page.evaluate("window.__location")
        assert location and location.startswith("/v1/realtime/calls/rtc_u1_")
        wait_event(page, "output_audio_buffer.stopped")
        time.sleep(0.5)
        got = events(page, validate)
        types = [e["type"] for e in got]
        assert types[0] == "session.created" and got[0]["session"]["audio"]["output"]["voice"] == "marin"
        for kind in ("input_audio_buffer.speech_started", "input_audio_buffer.committed", "response.done"):
            assert kind in types
        assert "response.output_audio.delta" not in types
        answer = next(e for e in got if e["type"] == "response.output_audio_transcript.done")["transcript"]
        assert "4" in answer or "four" in answer.lower(), answer
        received = loud_span(heard(page))
        assert received.size > 0.5 * SR, "no answer arrived on the remote track"
        rms = np.sqrt(np.mean((received.astype(np.float64) / 32768) ** 2))
        assert 20 * np.log10(rms) > -35
        text = stt.transcribe(received.astype(np.float32) / 32768, SR, language="en").text.lower()
        assert "four" in text or "4" in text, text

        call_id = location.rsplit("/", 1)[-1]
        with OpenAI(api_key=KEY, base_url=server.base_url) as client:
            client.realtime.calls.hangup(call_id)
        page.wait_for_function("() => window.__dc.readyState === 'closed'", timeout=15_000)
    finally:
        browser.close()
        server.stop()


def test_speaking_over_the_answer_truncates_it_at_what_the_browser_heard(playwright, e2e, tmp_path, validate):
    """Barge-in by speaking: the server clears its output buffer and truncates the answer at the ms it had
    played, which is what reached the browser's remote track."""
    # The story is the answer whatever was said: Whisper is not needed here, and on a busy machine its latency
    # could keep the story from playing before the second phrase comes.
    server = serve_walkthrough(StoryResponder(), transcribe=lambda *args, **kwargs: "tell me a long story")
    wav = mic_wav(tmp_path / "barge.wav", ("Tell me a long story.", 8.0), ("Stop, please.", 6.0))
    browser = launch(playwright, e2e, wav)
    try:
        page = browser.new_page()
        page.goto(server.base_url.removesuffix("/v1") + "/")
        page.evaluate("connectToRealtimeAPI()")
        wait_event(page, "conversation.item.truncated")
        time.sleep(0.5)
        got = events(page, validate)
        types = [e["type"] for e in got]
        started = types.index("output_audio_buffer.started")
        barge = types.index("input_audio_buffer.speech_started", started)
        assert barge < types.index("output_audio_buffer.cleared") < types.index("conversation.item.truncated")
        truncated = got[types.index("conversation.item.truncated")]
        story = next(e for e in got if e["type"] == "response.output_item.added")["item"]
        assert truncated["item_id"] == story["id"]
        received_ms = loud_span(heard(page)).size * 1000 / SR
        assert 1500 < truncated["audio_end_ms"] < 12000
        assert abs(received_ms - truncated["audio_end_ms"]) < 400, (received_ms, truncated["audio_end_ms"])
    finally:
        browser.close()
        server.stop()
