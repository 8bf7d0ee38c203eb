"""POST /v1/chat/completions through the official SDK: text, audio in and out, streaming, tools, errors."""

from __future__ import annotations

import base64
import json

import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from voicelab import audio

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city",
        "parameters": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}},
    },
}


def strict(model_cls, obj):
    """Validate the wire JSON strictly against the SDK type, as strict clients do."""
    return model_cls.model_validate(json.loads(obj.model_dump_json(exclude_unset=True)), strict=True)


async def test_text_reply_and_usage(sdk):
    completion = await sdk.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "What is 12 times 7?"},
        ],
    )
    strict(ChatCompletion, completion)
    assert completion.id.startswith("chatcmpl-") and completion.object == "chat.completion"
    choice = completion.choices[0]
    assert (choice.message.content, choice.finish_reason, choice.message.audio) == (
        "12 times 7 is 84.",
        "stop",
        None,
    )
    usage = completion.usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.prompt_tokens_details.audio_tokens == 0


async def test_japanese_conversation_is_answered_in_japanese_and_billed_in_o200k_tokens(sdk):
    completion = await sdk.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "あなたは親切な音声アシスタントです。日本語で会話してください。"},
            {"role": "user", "content": "こんにちは"},
        ],
    )
    reply = completion.choices[0].message.content
    assert reply == "こんにちは！ボイスラボのエミュレーターです。今の時刻や簡単な計算を聞いてみてください。"
    usage = completion.usage
    # o200k_base: instructions 20 + "\\n" + こんにちは 1 = 21; the reply 31 (one per character: 36, 43)
    assert (usage.prompt_tokens, usage.completion_tokens) == (21, 31)
    assert usage.prompt_tokens_details.text_tokens == 21 and usage.completion_tokens_details.text_tokens == 31


@pytest.mark.slow
async def test_audio_in_and_out(sdk):
    from voicelab.engines import tts

    question = tts.synthesize("What is twelve times seven?", voice="alloy")
    wav = audio.encode(question.y, question.sr, "wav")
    completion = await sdk.chat.completions.create(
        model="gpt-4o-audio-preview",
        modalities=["text", "audio"],
        audio={"voice": "coral", "format": "wav"},
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "input_audio",
                        "input_audio": {"data": base64.b64encode(wav).decode(), "format": "wav"},
                    }
                ],
            }
        ],
    )
    strict(ChatCompletion, completion)
    message = completion.choices[0].message
    assert message.content is None
    assert message.audio.transcript == "12 times 7 is 84."
    assert message.audio.id.startswith("audio_") and message.audio.expires_at > completion.created
    reply = audio.read(base64.b64decode(message.audio.data))
    assert reply.sr == 24000 and 0.8 < reply.duration < 5
    usage = completion.usage
    assert usage.prompt_tokens_details.audio_tokens == pytest.approx(question.duration * 10, abs=1)
    assert usage.completion_tokens_details.audio_tokens == pytest.approx(reply.duration * 20, abs=2)
    # Whisper hears the spoken reply
    heard = await sdk.audio.transcriptions.create(
        model="whisper-1", file=("reply.wav", base64.b64decode(message.audio.data))
    )
    assert "84" in heard.text
    # the audio id stands for the assistant's turn in the next request
    follow_up = await sdk.chat.completions.create(
        model="gpt-4o-audio-preview",
        messages=[
            {"role": "user", "content": "What is 12 times 7?"},
            {"role": "assistant", "audio": {"id": message.audio.id}},
            {"role": "user", "content": "thanks"},
        ],
    )
    assert follow_up.choices[0].message.content == "You're welcome!"


async def test_stream_text_chunks(sdk):
    stream = await sdk.chat.completions.create(
        model="gpt-4o-mini",
        stream=True,
        stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "What is 6 times 7?"}],
    )
    chunks = [chunk async for chunk in stream]
    for chunk in chunks:
        strict(ChatCompletionChunk, chunk)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "6 times 7 is 42."
    finishing = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishing == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    assert len({c.id for c in chunks}) == 1


async def test_stream_audio_deltas(sdk):
    stream = await sdk.chat.completions.create(
        model="gpt-4o-audio-preview",
        modalities=["text", "audio"],
        audio={"voice": "alloy", "format": "pcm16"},
        stream=True,
        messages=[{"role": "user", "content": "Hello! How are you?"}],
    )
    chunks = [chunk async for chunk in stream]
    audio_deltas = [c.choices[0].delta.audio for c in chunks if c.choices and c.choices[0].delta.audio]
    as_dicts = [a if isinstance(a, dict) else a.model_dump() for a in audio_deltas]
    transcript = "".join(a.get("transcript") or "" for a in as_dicts)
    assert transcript.strip() == "I'm running well, entirely offline on this machine. How can I help?"
    pcm = b"".join(base64.b64decode(a["data"]) for a in as_dicts if a.get("data"))
    seconds = len(pcm) / 2 / 24000
    assert 1.5 < seconds < 8
    assert as_dicts[-1].get("expires_at") and not as_dicts[-1].get("data")
    ids = {a.get("id") for a in as_dicts if a.get("id")}
    assert len(ids) == 1 and ids.pop().startswith("audio_")
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"


async def test_tool_call_and_tool_result_round_trip(sdk):
    first = await sdk.chat.completions.create(
        model="gpt-4o-mini",
        tools=[WEATHER],
        messages=[{"role": "user", "content": "What's the weather in Rome?"}],
    )
    strict(ChatCompletion, first)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert (call.function.name, json.loads(call.function.arguments)) == ("get_weather", {"city": "Rome"})
    second = await sdk.chat.completions.create(
        model="gpt-4o-mini",
        tools=[WEATHER],
        messages=[
            {"role": "user", "content": "What's the weather in Rome?"},
            choice.message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"sky": "sunny", "temp_c": 24})},
        ],
    )
    assert second.choices[0].message.content == "Here is what get_weather returned: sky sunny, temp c 24."


async def test_stream_tool_call_arguments_reassemble(sdk):
    stream = await sdk.chat.completions.create(
        model="gpt-4o-mini",
        tools=[WEATHER],
        stream=True,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        messages=[{"role": "user", "content": "Is it raining in San Francisco"}],
    )
    chunks = [chunk async for chunk in stream]
    pieces = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
    assert pieces[0].id.startswith("call_") and pieces[0].function.name == "get_weather"
    arguments = "".join(p.function.arguments or "" for p in pieces)
    assert json.loads(arguments) == {"city": "San Francisco"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    ("request_overrides", "code", "param"),
    [
        ({"modalities": ["text", "audio"]}, "missing_required_parameter", "audio"),
        (
            {"modalities": ["text", "audio"], "audio": {"voice": "alloy", "format": "wav"}, "stream": True},
            "unsupported_value",
            "audio.format",
        ),
        (
            {"modalities": ["text", "audio"], "audio": {"voice": "gandalf", "format": "wav"}},
            "invalid_value",
            "audio.voice",
        ),
        ({"audio": {"voice": "alloy", "format": "ogg"}}, "invalid_value", "audio.format"),
        ({"modalities": ["video"]}, "invalid_value", "modalities[0]"),
        ({"messages": []}, "array_below_min_length", "messages"),
        ({"messages": [{"role": "robot", "content": "hi"}]}, "invalid_value", "messages[0].role"),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]},
            "invalid_value",
            "messages[0].content[0].image_url.url",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "input_audio", "input_audio": {"data": _b64(b"RIFF"), "format": "flac"}}
                        ],
                    }
                ]
            },
            "invalid_value",
            "messages[0].content[0].input_audio.format",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "input_audio", "input_audio": {"data": "not base64!", "format": "wav"}}
                        ],
                    }
                ]
            },
            "invalid_base64",
            "messages[0].content[0].input_audio.data",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "input_audio",
                                "input_audio": {"data": _b64(b"junk" * 50), "format": "wav"},
                            }
                        ],
                    }
                ]
            },
            "invalid_file_format",
            "messages[0].content[0].input_audio.data",
        ),
        (
            {"messages": [{"role": "tool", "content": "42"}]},
            "missing_required_parameter",
            "messages[0].tool_call_id",
        ),
        (
            {"messages": [{"role": "assistant", "audio": {"id": "audio_nope"}}]},
            "invalid_value",
            "messages[0].audio.id",
        ),
        ({"n": 2}, "unsupported_value", "n"),
        ({"temperature": 3}, "integer_above_max_value", "temperature"),
        (
            {"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "nope"}}},
            "invalid_value",
            "tool_choice",
        ),
    ],
    ids=[
        "audio-missing",
        "stream-not-pcm16",
        "voice",
        "format",
        "modality",
        "no-messages",
        "role",
        "image",
        "input-audio-format",
        "bad-base64",
        "not-audio",
        "tool-no-id",
        "unknown-audio-id",
        "n",
        "temperature",
        "tool-choice",
    ],
)
async def test_bad_requests(sdk, still_serves, request_overrides, code, param):
    request = {
        "model": "gpt-4o-audio-preview",
        "messages": [{"role": "user", "content": "hi"}],
        **request_overrides,
    }
    with pytest.raises(openai.BadRequestError) as caught:
        await sdk.chat.completions.create(**request)
    assert (caught.value.code, caught.value.param) == (code, param)
    await still_serves()


async def test_missing_model_and_messages(http, still_serves):
    for body, param in [
        ({"messages": [{"role": "user", "content": "hi"}]}, "model"),
        ({"model": "gpt-4o"}, "messages"),
    ]:
        response = await http.post("/v1/chat/completions", json=body)
        assert response.status_code == 400
        assert response.json()["error"] == {
            "message": f"Missing required parameter: '{param}'.",
            "type": "invalid_request_error",
            "param": param,
            "code": "missing_required_parameter",
        }
    await still_serves()
