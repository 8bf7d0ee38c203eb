"""Custom voices through the official SDK: consent, a voice from a sample, on speech and chat, errors."""

from __future__ import annotations

import base64

import httpx
import numpy as np
import openai
import pytest

from voicelab import audio, samples
from voicelab.emulator.app import create_app
from voicelab.emulator.settings import EmulatorSettings
from voicelab.engines import voice_profile

from ..conftest import consent_wav, make_sdk

SENTENCE = "The weather is nice today. Let's go for a walk in the park, and then have lunch by the river."


def wav(name: str) -> bytes:
    sample = samples.load(name)
    return audio.encode(sample.y, sample.sr, "wav")


@pytest.fixture
def app(tmp_path):
    return create_app(EmulatorSettings(port=0, data_dir=tmp_path))


async def make_voice(client: openai.AsyncOpenAI, sample: str = "ja_weather") -> str:
    consent = await client.audio.voice_consents.create(
        name="Speaker A", language="ja-JP", recording=("consent.wav", consent_wav("ja-JP"), "audio/wav")
    )
    voice = await client.audio.voices.create(
        audio_sample=("sample.wav", wav(sample), "audio/wav"), consent=consent.id, name="Aiko"
    )
    assert voice.object == "audio.voice" and voice.type == "audio_sample" and voice.id.startswith("voice_")
    return voice.id


def pitch(data: bytes) -> float:
    decoded = audio.read(data)
    return voice_profile.measure(decoded.y, decoded.sr).median_f0_hz


async def test_consents_are_created_listed_renamed_and_deleted(app):
    async with make_sdk(app) as client:
        made = [
            await client.audio.voice_consents.create(
                name=f"speaker {i}", language="en-US", recording=("c.wav", consent_wav(), "audio/wav")
            )
            for i in range(3)
        ]
        assert made[0].object == "audio.voice_consent" and made[0].id.startswith("cons_")
        page = await client.audio.voice_consents.list(limit=2)
        assert [c.id for c in page.data] == [c.id for c in made[:2]] and page.has_more
        rest = await client.audio.voice_consents.list(limit=2, after=made[1].id)
        assert [c.id for c in rest.data] == [made[2].id] and not rest.has_more
        renamed = await client.audio.voice_consents.update(made[0].id, name="Ana")
        assert (
            renamed.name == "Ana" and (await client.audio.voice_consents.retrieve(made[0].id)).name == "Ana"
        )
        deleted = await client.audio.voice_consents.delete(made[0].id)
        assert deleted.deleted and deleted.id == made[0].id
        with pytest.raises(openai.NotFoundError):
            await client.audio.voice_consents.retrieve(made[0].id)


CONSENT_404 = ("cons_nope", "No consent recording with id 'cons_nope' exists.", "consent_id")


@pytest.mark.parametrize(
    ("call", "unknown"),
    [
        (lambda client, id: client.audio.voice_consents.retrieve(id), CONSENT_404),
        (lambda client, id: client.audio.voice_consents.update(id, name="B"), CONSENT_404),
        (lambda client, id: client.audio.voice_consents.delete(id), CONSENT_404),
        (
            lambda client, id: client.audio.voices.delete(id),
            ("voice_nope", "No voice with id 'voice_nope' exists.", "voice_id"),
        ),
    ],
    ids=["retrieve-consent", "rename-consent", "delete-consent", "delete-voice"],
)
async def test_an_unknown_id_is_an_openai_404_naming_it(app, call, unknown):
    object_id, message, param = unknown
    async with make_sdk(app) as client:
        with pytest.raises(openai.NotFoundError) as err:
            await call(client, object_id)
        assert err.value.body == {
            "message": message,
            "type": "invalid_request_error",
            "param": param,
            "code": "not_found",
        }
        assert (await client.audio.voice_consents.list()).data == []  # the server goes on


@pytest.mark.parametrize(
    ("request_body", "param"),
    [
        ({"json": {"type": "prompt", "prompt": "a warm, slow narrator"}}, "name"),
        ({"json": {"type": "prompt", "name": "Narrator", "prompt": ""}}, "prompt"),
        ({"data": {"type": "prompt", "name": "Narrator"}}, "prompt"),
        ({"data": {"consent": "cons_1", "name": ""}}, "name"),
        ({"data": {"name": "Aiko"}}, "consent"),
        ({"data": {"name": "Aiko", "consent": "cons_1"}}, "audio_sample"),
    ],
    ids=["prompt-json-name", "prompt-json-prompt", "prompt-form-prompt", "name", "consent", "audio-sample"],
)
async def test_a_missing_voice_field_is_an_openai_400_naming_it(app, request_body, param):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://127.0.0.1",
        headers={"Authorization": "Bearer test-key"},
    ) as http:
        reply = await http.post("/v1/audio/voices", **request_body)
    assert reply.status_code == 400
    assert reply.json()["error"] == {
        "message": f"Missing required parameter: '{param}'.",
        "type": "invalid_request_error",
        "param": param,
        "code": "missing_required_parameter",
    }
    assert app.state.voices.voices() == []


@pytest.mark.slow
async def test_a_custom_voice_speaks_on_speech_and_chat_and_sounds_like_no_built_in(app, tmp_path):
    async with make_sdk(app) as client:
        voice_id = await make_voice(client, "ja_weather")  # a high voice: no built-in is that high
        custom = (
            await client.audio.speech.create(
                model="gpt-4o-mini-tts",
                voice={"id": voice_id},
                input=SENTENCE,
                response_format="wav",
            )
        ).read()
        highest = (
            await client.audio.speech.create(
                model="gpt-4o-mini-tts",
                voice="shimmer",
                input=SENTENCE,
                response_format="wav",
            )
        ).read()
        assert pitch(custom) > pitch(highest) * 2 ** (3 / 12)  # at least three semitones above every built-in
        chat = await client.chat.completions.create(
            model="gpt-audio",
            modalities=["text", "audio"],
            audio={"voice": {"id": voice_id}, "format": "wav"},
            messages=[{"role": "user", "content": "Hello!"}],
        )

        assert pitch(base64.b64decode(chat.choices[0].message.audio.data)) > pitch(highest) * 2 ** (3 / 12)
    # the voice survives a restart: a new emulator on the same data directory still speaks with it
    again = create_app(EmulatorSettings(port=0, data_dir=tmp_path))
    async with make_sdk(again) as client:
        speech = await client.audio.speech.create(
            model="gpt-4o-mini-tts", voice={"id": voice_id}, input="Hi."
        )
        assert len(speech.read()) > 1000
        deleted = await client.audio.voices.delete(voice_id)
        assert deleted.deleted and deleted.object == "audio.voice.deleted"
        with pytest.raises(openai.BadRequestError) as err:
            await client.audio.speech.create(model="gpt-4o-mini-tts", voice={"id": voice_id}, input="Hi.")
        assert err.value.body["param"] == "voice"


async def test_bad_voice_requests_name_the_parameter(app):
    async with make_sdk(app) as client:
        consent = await client.audio.voice_consents.create(
            name="A", language="en-US", recording=("c.wav", consent_wav(), "audio/wav")
        )
        cases = [
            (
                dict(audio_sample=("s.wav", wav("en_weather"), "audio/wav"), consent="cons_nope", name="x"),
                "consent",
            ),
            (
                dict(audio_sample=("s.txt", b"not audio at all", "text/plain"), consent=consent.id, name="x"),
                "audio_sample",
            ),
            (
                dict(
                    audio_sample=("s.wav", b"\0" * (10 * 1024 * 1024 + 1), "audio/wav"),
                    consent=consent.id,
                    name="x",
                ),
                "audio_sample",
            ),
            (
                dict(
                    audio_sample=(
                        "s.wav",
                        audio.encode(np.zeros(48000, np.float32), 24000, "wav"),
                        "audio/wav",
                    ),
                    consent=consent.id,
                    name="silence",
                ),
                "audio_sample",
            ),
        ]
        long_tone = (0.3 * np.sin(np.arange(31 * 24000) / 24000 * 2 * np.pi * 150)).astype(np.float32)
        cases.append(
            (
                dict(
                    audio_sample=("s.wav", audio.encode(long_tone, 24000, "wav"), "audio/wav"),
                    consent=consent.id,
                    name="too long",
                ),
                "audio_sample",
            )
        )  # OpenAI's guide: samples of at most 30 seconds
        for kwargs, param in cases:
            with pytest.raises(openai.BadRequestError) as err:
                await client.audio.voices.create(**kwargs)
            assert err.value.body["param"] == param, (param, err.value.body)
        with pytest.raises(openai.BadRequestError) as err:
            await client.audio.voice_consents.create(
                name="A", language="en-US", recording=("c.wav", b"\0" * (10 * 1024 * 1024 + 1), "audio/wav")
            )
        assert err.value.body["param"] == "recording"
        prompt_voice = await client.audio.voices.create(
            name="Narrator", prompt="a warm, slow narrator", type="prompt"
        )
        assert prompt_voice.type == "prompt" and prompt_voice.prompt == "a warm, slow narrator"
        for voice, message in ((prompt_voice.id, "only in Live"), ("voice_unknown", "No voice")):
            with pytest.raises(openai.BadRequestError) as err:
                await client.audio.speech.create(model="gpt-4o-mini-tts", voice={"id": voice}, input="Hi.")
            assert err.value.body["param"] == "voice" and message in err.value.body["message"]
            with pytest.raises(openai.BadRequestError) as err:
                await client.chat.completions.create(
                    model="gpt-audio",
                    modalities=["text", "audio"],
                    audio={"voice": {"id": voice}, "format": "wav"},
                    messages=[{"role": "user", "content": "Hello!"}],
                )
            assert err.value.body["param"] == "audio.voice"
        # the server keeps working
        speech = await client.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input="Still here.")
        assert len(speech.read()) > 1000


async def test_an_organization_keeps_at_most_the_allowed_number_of_voices(app, monkeypatch):
    from voicelab.emulator.routes import voices

    monkeypatch.setattr(voices, "MAX_VOICES", 1)
    async with make_sdk(app) as client:
        await make_voice(client, "en_weather")
        with pytest.raises(openai.BadRequestError) as err:
            await make_voice(client, "en_weather")
        assert err.value.body["code"] == "voice_limit_reached"


async def test_a_consent_recording_must_read_openais_phrase_in_its_language(app):
    """OpenAI's guide: the recording reads only its consent phrase for the language; Whisper checks it."""
    async with make_sdk(app) as client:
        for language in ("en-US", "ja-JP", "en"):
            made = await client.audio.voice_consents.create(
                name="reads it", language=language, recording=("c.wav", consent_wav(language), "audio/wav")
            )
            assert made.language == language
        refused = [
            ("en-US", wav("en_weather"), "recording"),  # unrelated speech
            ("ja-JP", wav("ja_weather"), "recording"),
            ("ja-JP", consent_wav("en-US"), "recording"),  # the English phrase is not the Japanese one
            ("sv-SE", consent_wav("en-US"), "language"),  # OpenAI has no Swedish phrase
        ]
        rest = np.zeros(31 * 24000, np.float32)
        refused.append(("en-US", audio.encode(rest, 24000, "wav"), "recording"))  # bounded before Whisper
        for language, recording, param in refused:
            with pytest.raises(openai.BadRequestError) as err:
                await client.audio.voice_consents.create(
                    name="x", language=language, recording=("c.wav", recording, "audio/wav")
                )
            body = err.value.body
            assert (body["param"], body["code"]) == (param, "invalid_value"), (language, body)
        assert "I am the owner of this voice" in body["message"] or "30 s" in body["message"]
        unrelated = await _refusal(client, "en-US", wav("en_weather"))
        assert "weather" in unrelated["message"].lower()  # it says what it heard
        assert "I am the owner of this voice and I consent to OpenAI" in unrelated["message"]
        listed = await client.audio.voice_consents.list()
        assert [c.name for c in listed.data] == ["reads it"] * 3  # nothing refused was stored


async def _refusal(client: openai.AsyncOpenAI, language: str, recording: bytes) -> dict:
    with pytest.raises(openai.BadRequestError) as err:
        await client.audio.voice_consents.create(
            name="x", language=language, recording=("c.wav", recording, "audio/wav")
        )
    return err.value.body


async def test_a_slow_custom_voice_at_the_slowest_speed_still_speaks(app):
    """speed 0.25 × a custom voice's tempo 0.8 is below the engine's range: clamped, not refused."""
    slow = app.state.voices.add_voice(
        name="slow", kind="audio_sample", rendering={"base_voice": "alloy", "semitones": 0.0, "tempo": 0.8}
    )
    async with make_sdk(app) as client:
        wav_bytes = (
            await client.audio.speech.create(
                model="gpt-4o-mini-tts",
                voice={"id": slow["id"]},
                input="Hi.",
                speed=0.25,
                response_format="wav",
            )
        ).read()
    decoded = audio.read(wav_bytes)
    assert decoded.duration > 1.0  # "Hi." at a quarter of the normal pace
