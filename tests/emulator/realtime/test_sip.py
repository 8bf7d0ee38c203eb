"""Simulated SIP calls: webhook → accept / reject / refer with the SDK → sideband control → hangup.

The caller (``voicelab.emulator.phone.place_call``) speaks G.711 μ-law at 8 kHz and records what it hears;
the webhook is verified with the SDK's ``client.webhooks.unwrap``; sideband events are strictly validated.
"""

from __future__ import annotations

import asyncio
import json
import re

import numpy as np
import openai
import pytest
import websockets
from openai import AsyncOpenAI

from voicelab import audio, samples
from voicelab.emulator.app import create_app
from voicelab.emulator.phone import WebhookReceiver, place_call
from voicelab.emulator.realtime.route import Engines, default_vad_factory
from voicelab.emulator.realtime.webhooks import new_secret
from voicelab.emulator.server import EmbeddedServer
from voicelab.emulator.settings import EmulatorSettings

KEY = "fake-sip-test"
SECRET = new_secret()


def tone_synthesize(text, *, voice, speed):
    n = int(0.05 * 24000 * max(len(text.split()), 1))
    return (0.3 * np.sin(np.arange(n) / 24000 * 2 * np.pi * 300)).astype(np.float32), 24000


def start(receiver: WebhookReceiver, engines: Engines | None = None) -> EmbeddedServer:
    settings = EmulatorSettings(
        port=0, api_key=KEY, realtime_pacing=False, sip_webhook_url=receiver.url, sip_webhook_secret=SECRET
    )
    app = create_app(settings)
    if engines is not None:
        app.state.realtime_engines = engines
    return EmbeddedServer(settings, app=app).start()


@pytest.fixture(scope="module")
def inbox():
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def fast_server(inbox):
    engines = Engines(
        synthesize=tone_synthesize, transcribe=lambda *a, **k: "hello there", vad_factory=default_vad_factory
    )
    server = start(inbox, engines)
    yield server
    server.stop()


@pytest.fixture
async def client(fast_server):
    async with AsyncOpenAI(
        api_key=KEY,
        base_url=fast_server.base_url,
        websocket_base_url=fast_server.websocket_base_url,
        max_retries=0,
    ) as sdk:
        yield sdk


def caller_speech() -> tuple[np.ndarray, int]:
    voice = samples.load("en_weather")
    return voice.y, voice.sr


async def ring(server, client, inbox, **kwargs):
    """Place a call in the background; return the task and the verified webhook event."""
    y, sr = caller_speech()
    task = asyncio.create_task(place_call(server.base_url, KEY, y, sr, listen_after=4.0, **kwargs))
    delivery = await inbox.next(15)
    event = client.webhooks.unwrap(delivery.body, delivery.headers, secret=SECRET)
    return task, event


async def test_webhook_is_signed_as_openai_signs_and_names_the_caller(fast_server, client, inbox):
    task, event = await ring(fast_server, client, inbox, caller="sip:+15550123@example.com")
    assert event.type == "realtime.call.incoming"
    assert event.data.call_id.startswith("rtc_u1_")
    headers = {h.name: h.value for h in event.data.sip_headers}
    assert headers["From"] == "sip:+15550123@example.com"
    await client.realtime.calls.reject(event.data.call_id, status_code=486)
    result = await task
    assert result.call_id == event.data.call_id
    assert result.outcome == {"type": "rejected", "status_code": 486}
    assert result.heard.size == 0


async def test_a_tampered_webhook_fails_verification(fast_server, client, inbox):
    task, event = await ring(fast_server, client, inbox)
    await client.realtime.calls.reject(event.data.call_id)
    assert (await task).outcome["status_code"] == 603  # Decline, OpenAI's default
    y, sr = caller_speech()
    second = asyncio.create_task(place_call(fast_server.base_url, KEY, y, sr))
    delivery = await inbox.next(15)
    forged = delivery.body.replace(b"rtc_u1_", b"rtc_u2_")
    with pytest.raises(openai.InvalidWebhookSignatureError):
        client.webhooks.unwrap(forged, delivery.headers, secret=SECRET)
    with pytest.raises(openai.InvalidWebhookSignatureError):
        client.webhooks.unwrap(delivery.body, delivery.headers, secret=new_secret())
    await client.realtime.calls.refer(
        json.loads(delivery.body)["data"]["call_id"], target_uri="tel:+14155550123"
    )
    assert (await second).outcome == {"type": "referred", "target_uri": "tel:+14155550123"}


async def test_accepted_call_is_controlled_over_the_sideband_and_hung_up(
    fast_server, client, inbox, validate
):
    """Accept with a session, attach the sideband, make the agent speak, hear it on the phone, hang up."""
    task, event = await ring(fast_server, client, inbox)
    call_id = event.data.call_id
    await client.realtime.calls.accept(call_id, type="realtime", instructions="You answer the phone.")
    async with client.realtime.connect(call_id=call_id) as sideband:
        created = json.loads(await sideband.recv_bytes())
        validate(created)
        assert created["type"] == "session.created"
        assert created["session"]["instructions"] == "You answer the phone."
        await sideband.conversation.item.create(
            item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Greet me"}]}
        )
        await sideband.response.create()
        seen: list[dict] = []
        while not seen or seen[-1]["type"] != "output_audio_buffer.stopped":
            seen.append(json.loads(await asyncio.wait_for(sideband.recv_bytes(), 30)))
            validate(seen[-1])
        types = [e["type"] for e in seen]
        assert "response.output_audio.delta" not in types and "output_audio_buffer.started" in types
        await client.realtime.calls.hangup(call_id)
    result = await task
    assert result.outcome == {"type": "hangup"}
    done = next(e for e in seen if e["type"] == "response.done")["response"]
    spoken_s = done["usage"]["output_token_details"]["audio_tokens"] * 0.05  # 1 token per 50 ms
    loud = np.flatnonzero(np.abs(result.heard) > 1000)
    assert loud.size, "nothing reached the phone"
    # the whole answer (a tone) reached the phone, as μ-law at 8 kHz
    assert abs((loud[-1] - loud[0]) / 8000 - spoken_s) < 0.06, ((loud[-1] - loud[0]) / 8000, spoken_s)
    tone = result.heard[loud[0] : loud[-1]].astype(np.float64)
    peak_hz = np.fft.rfftfreq(tone.size, 1 / 8000)[np.argmax(np.abs(np.fft.rfft(tone)))]
    assert abs(peak_hz - 300) < 15
    with pytest.raises(websockets.InvalidStatus) as ended:
        async with client.realtime.connect(call_id=call_id):
            pass
    assert ended.value.response.status_code == 404


async def test_call_control_errors_name_the_problem(fast_server, client, inbox):
    with pytest.raises(openai.NotFoundError):
        await client.realtime.calls.accept("rtc_u1_00", type="realtime")
    task, event = await ring(fast_server, client, inbox)
    call_id = event.data.call_id
    with pytest.raises(openai.BadRequestError) as bad_voice:
        await client.realtime.calls.accept(call_id, type="realtime", audio={"output": {"voice": "robot"}})
    assert "voice" in (bad_voice.value.param or "")
    with pytest.raises(openai.BadRequestError) as bad_target:
        await client.realtime.calls.refer(call_id, target_uri="mailto:someone")
    assert bad_target.value.param == "target_uri"
    await client.realtime.calls.accept(call_id, type="realtime")
    with pytest.raises(openai.BadRequestError) as twice:
        await client.realtime.calls.accept(call_id, type="realtime")
    assert twice.value.code == "call_not_ringing"
    await client.realtime.calls.hangup(call_id)
    assert (await task).outcome["type"] == "hangup"


async def test_the_trunk_needs_the_server_key(fast_server):
    y, sr = caller_speech()
    with pytest.raises(websockets.InvalidStatus) as refused:
        await place_call(fast_server.base_url, "wrong-key", y, sr)
    assert refused.value.response.status_code == 401


@pytest.mark.slow
async def test_phone_call_with_real_engines_is_answered_in_speech(inbox, validate):
    """A caller asks by phone (μ-law 8 kHz); the agent's spoken answer comes back over the phone line and
    Whisper hears it in the 8 kHz recording."""
    from voicelab.engines import stt, tts

    server = start(inbox)
    try:
        async with AsyncOpenAI(
            api_key=KEY, base_url=server.base_url, websocket_base_url=server.websocket_base_url
        ) as sdk:
            question = tts.synthesize("What is two plus two?", voice="alloy")
            speech = np.concatenate(
                [np.zeros(int(0.5 * question.sr), np.float32), question.y.astype(np.float32)]
            )
            task = asyncio.create_task(place_call(server.base_url, KEY, speech, question.sr, listen_after=60))
            delivery = await inbox.next(15)
            call_id = sdk.webhooks.unwrap(delivery.body, delivery.headers, secret=SECRET).data.call_id
            await sdk.realtime.calls.accept(call_id, type="realtime", model="gpt-realtime")
            async with sdk.realtime.connect(call_id=call_id) as sideband:
                seen = []
                while not seen or seen[-1]["type"] != "output_audio_buffer.stopped":
                    seen.append(json.loads(await asyncio.wait_for(sideband.recv_bytes(), 90)))
                    validate(seen[-1])
                await sdk.realtime.calls.hangup(call_id)
            result = await task
            assert result.outcome == {"type": "hangup"}
    finally:
        server.stop()
    answer = next(e for e in seen if e["type"] == "response.output_audio_transcript.done")["transcript"]
    assert "four" in answer.lower() or "4" in answer
    heard = audio.resample(result.heard.astype(np.float32) / 32768, 8000, 16000)
    text = stt.transcribe(heard, 16000, language="en").text.lower()
    assert "four" in text or "4" in text, text


def test_voicelab_call_command_places_the_call_and_records_what_it_heard(
    fast_server, tmp_path, monkeypatch, capsys
):
    import soundfile as sf

    from voicelab.cli import main

    voice = samples.load("en_weather")
    wav = tmp_path / "caller.wav"
    sf.write(wav, voice.y, voice.sr)
    monkeypatch.setenv("VOICELAB_API_KEY", KEY)
    out = tmp_path / "heard.wav"
    code = main(
        ["call", str(wav), "--url", fast_server.base_url, "--accept", "--listen", "5", "--record", str(out)]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert re.search(r"call rtc_u1_[0-9a-f]{32}: \{\"type\": \"caller_hung_up\"\}", printed), printed
    heard, sr = sf.read(out, dtype="int16")
    assert sr == 8000 and heard.size / sr > 5  # it talked for 4.4 s and listened for 5 more
    assert np.abs(heard).max() > 1000  # and the agent's answer (a tone) is in the recording
