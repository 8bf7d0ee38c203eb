"""The client core driven by the emulator's own server core, in memory: no sockets, no hand-made events.

Every server event the client sees is produced by the emulator's sans-I/O core (``ServerCore``), called
in answer to the client events the :class:`ClientCore` sends,
validated strictly with the SDK's server-event union and handed over as ``model.to_dict()`` — the path
:class:`~voicelab.realtime.session.RealtimeSession` takes. Only the server's engines are stand-ins (the
effects the server core asks for: a scripted reply, a fixed transcript, and a 400 ms tone per spoken
sentence), so every figure below follows from the protocol, not from a speech model.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Annotated, Any

import numpy as np
import pytest
from openai.types.realtime import RealtimeServerEvent
from pydantic import Field, TypeAdapter

from voicelab.emulator.realtime.core import ServerCore
from voicelab.emulator.realtime.effects import GenerateReply, Synthesize, Transcribe
from voicelab.realtime.core import ClientCore, FunctionCall, ResponseState
from voicelab.vad.detectors import EnergyDetector
from voicelab.vad.server_vad import ServerVAD, ServerVADParams

SERVER_EVENT = TypeAdapter(Annotated[RealtimeServerEvent, Field(discriminator="type")])
SR = 24_000
SENTENCE_S = 0.4  # the stand-in TTS speaks every sentence as 400 ms of tone
HEARD = "What is the weather in Paris"  # the stand-in STT hears this in any speech

WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def tone(seconds: float, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * 220.0 * t) * 32767).astype(np.int16)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SR), dtype=np.int16)


def scripted_reply(messages: list[dict[str, Any]], effect: GenerateReply) -> tuple[str, list[dict[str, Any]]]:
    """Call the first tool when asked about weather, say what a tool returned, else echo the user."""
    last = messages[-1]
    if last["role"] == "tool":
        return f"The tool said {last['content']}.", []
    if effect.tools and "weather" in (last.get("content") or "").lower():
        arguments = json.dumps({"city": "Paris"})
        return "", [{"call_id": "call_w1", "name": effect.tools[0]["name"], "arguments": arguments}]
    return f"You said: {last.get('content')}. Nice!", []


def energy_vad(config: dict[str, Any]) -> ServerVAD:
    return ServerVAD(ServerVADParams.from_turn_detection(config), detector=EnergyDetector())


class Wire:
    """A client core and a server core joined in memory, on one clock (``t``, seconds).

    Client events go to ``server.handle``; what the server returns is either a server event (validated,
    then given to ``client.receive``, whose reaction is carried out) or an effect, run at once with the
    stand-in engines. Function calls run ``tools`` and answer through ``client.function_result``.
    """

    def __init__(self, config: dict[str, Any], *, vad: bool = False, tools: dict[str, Any] | None = None):
        self.t = 0.0
        self.tools = tools or {}
        self.server = ServerCore(
            model="gpt-realtime", now=1_700_000_000, seed=3, vad_factory=energy_vad if vad else None
        )
        self.client = ClientCore(config)
        self.received: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.client.connecting(t=self.t)
        self.deliver(self.server.start())
        assert self.client.is_ready, [e["type"] for e in self.received]

    def to_server(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            self.sent.append(event)
            self.deliver(self.server.handle(json.loads(json.dumps(event))))

    def deliver(self, outputs: list[Any]) -> None:
        for output in outputs:
            if not isinstance(output, dict):
                self.run_effect(output)
                continue
            event = SERVER_EVENT.validate_python(json.loads(json.dumps(output)), strict=True).to_dict()
            self.received.append(event)
            reaction = self.client.receive(event, t=self.t)
            assert reaction.error is None, reaction.error
            self.to_server(reaction.send)
            for call in reaction.calls:
                self.answer(call)

    def answer(self, call: FunctionCall) -> None:
        output = json.dumps(self.tools[call.name](**call.parsed_arguments()))
        self.to_server(self.client.function_result(call, output, t=self.t))

    def run_effect(self, effect: Any) -> None:
        server = self.server
        if isinstance(effect, GenerateReply):
            for item_id, _pcm in effect.unheard:
                server.note_heard(item_id, HEARD)
            text, calls = scripted_reply(server.messages_for(effect.response_id), effect)
            self.deliver(server.reply_ready(effect.response_id, text, calls))
        elif isinstance(effect, Synthesize):
            for sentence in re.findall(r"[^.!?]+[.!?]?\s*", effect.text):
                self.deliver(server.audio_ready(effect.response_id, tone(SENTENCE_S), sentence))
            self.deliver(server.synthesis_finished(effect.response_id))
        elif isinstance(effect, Transcribe):
            self.deliver(server.transcription_ready(effect.item_id, HEARD))

    # ------------------------------------------------------------------ what the user does
    def type_text(self, text: str) -> None:
        item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
        self.to_server(self.client.send({"type": "conversation.item.create", "item": item}, t=self.t))
        self.to_server(self.client.send({"type": "response.create"}, t=self.t))

    def speak(self, pcm: np.ndarray, *, chunk_ms: int = 20) -> None:
        """Append ``pcm`` as a microphone would: one chunk per ``chunk_ms`` of the clock."""
        step = SR * chunk_ms // 1000
        for i in range(0, pcm.size, step):
            chunk = pcm[i : i + step].astype("<i2").tobytes()
            self.to_server(self.client.append_audio(chunk, t=self.t))
            self.t += len(chunk) / 2 / SR

    def server_usages(self) -> list[dict[str, Any]]:
        return [e["response"]["usage"] for e in self.received if e["type"] == "response.done"]

    def server_audio_ms(self, item_id: str) -> float:
        deltas = [
            e["delta"]
            for e in self.received
            if e["type"] == "response.output_audio.delta" and e["item_id"] == item_id
        ]
        return sum(len(base64.b64decode(d)) for d in deltas) / 2 / SR * 1000


def assert_usage_is_the_servers(wire: Wire) -> None:
    """The client's totals are the sum of every usage object the server sent, field by field."""
    usages = wire.server_usages()
    totals = wire.client.usage.as_response_usage()
    assert wire.client.usage.responses == len(usages) > 0
    for key in ("input_tokens", "output_tokens", "total_tokens"):
        assert totals[key] == sum(u[key] for u in usages), key
    for side in ("input_token_details", "output_token_details"):
        for kind in ("text_tokens", "audio_tokens"):
            assert totals[side][kind] == sum(u[side].get(kind, 0) for u in usages), (side, kind)
    cached = sum(u["input_token_details"].get("cached_tokens", 0) for u in usages)
    assert totals["input_token_details"]["cached_tokens"] == cached


def test_text_turn():
    wire = Wire({"type": "realtime", "instructions": "Be brief.", "audio": {"output": {"voice": "alloy"}}})
    wire.t = 1.0
    wire.type_text("Hello")
    core = wire.client
    [turn] = core.turns
    assert turn.kind == "text" and turn.response.state is ResponseState.COMPLETED
    assert core.transcript() == [("user", "Hello"), ("assistant", "You said: Hello. Nice!")]
    # two sentences spoken → 800 ms of audio, all of it counted on the item and the response
    item = core.items[turn.response.item_ids[-1]]
    assert item.audio_received_ms == pytest.approx(2 * SENTENCE_S * 1000) == wire.server_audio_ms(item.id)
    assert turn.response.audio_ms == pytest.approx(item.audio_received_ms)
    # played in real time from the first delta: half way after 0.4 s, all of it after 2 s
    assert core.played_ms(item.id, t=1.4) == pytest.approx(400.0)
    assert core.played_ms(item.id, t=3.0) == pytest.approx(800.0)
    assert_usage_is_the_servers(wire)
    # the server bills the assistant's audio at 1 token / 50 ms: the client's totals say the same
    assert core.usage.output_audio_tokens == round(item.audio_received_ms / 50)


def test_audio_turn_with_server_vad():
    config = {
        "type": "realtime",
        "audio": {
            "input": {
                "turn_detection": {
                    "type": "server_vad",
                    "silence_duration_ms": 500,
                    "prefix_padding_ms": 300,
                },
                "transcription": {"model": "whisper-1"},
            },
            "output": {"voice": "alloy"},
        },
    }
    wire = Wire(config, vad=True)
    wire.speak(silence(0.5))
    wire.speak(tone(1.0))  # speech from 0.5 s to 1.5 s on the clock
    wire.speak(silence(1.0))
    core = wire.client
    kinds = [e["type"] for e in wire.received]
    assert kinds.index("input_audio_buffer.speech_started") < kinds.index("input_audio_buffer.committed")
    assert kinds.index("input_audio_buffer.committed") < kinds.index("response.created")
    [turn] = core.turns
    assert turn.kind == "voice" and turn.response.state is ResponseState.COMPLETED
    # the VAD positions (ms of input audio) map back to when that audio was sent (a chunk and a detector
    # frame of slack); speech_stopped's audio_end_ms includes the 500 ms of silence that decided it, as
    # OpenAI documents, so the turn's latencies count from 1.5 + 0.5 s
    assert turn.speech_started_t == pytest.approx(0.5, abs=0.1)
    assert turn.speech_stopped_t == pytest.approx(2.0, abs=0.1)
    assert turn.start_t == turn.speech_stopped_t and turn.time_to_first_audio >= 0
    assert core.transcript() == [("user", HEARD), ("assistant", f"You said: {HEARD}. Nice!")]
    assert core.items[turn.user_item_id].transcript_done
    assert core.audio_sent_ms == pytest.approx(2500.0)
    assert_usage_is_the_servers(wire)
    # the committed turn, [audio_start_ms, audio_end_ms) (prefix padding included), is billed at 1 token /
    # 100 ms: the client's totals say the same
    started = next(e for e in wire.received if e["type"] == "input_audio_buffer.speech_started")
    stopped = next(e for e in wire.received if e["type"] == "input_audio_buffer.speech_stopped")
    committed_ms = stopped["audio_end_ms"] - started["audio_start_ms"]
    assert committed_ms == pytest.approx(1800, abs=40)
    assert core.usage.input_audio_tokens == round(committed_ms / 100)
    [transcribed] = [
        e for e in wire.received if e["type"] == "conversation.item.input_audio_transcription.completed"
    ]
    assert transcribed["usage"] and core.usage.as_transcription_usage() == transcribed["usage"]


def test_function_call_round_trip():
    calls: list[dict[str, Any]] = []

    def get_weather(city: str) -> dict[str, Any]:
        calls.append({"city": city})
        return {"city": city, "celsius": 18}

    wire = Wire({"type": "realtime", "tools": [WEATHER_TOOL]}, tools={"get_weather": get_weather})
    wire.type_text("What's the weather in Paris?")
    core = wire.client
    assert calls == [{"city": "Paris"}]
    first, follow_up = core.turns
    assert (first.kind, follow_up.kind) == ("text", "tool")
    assert first.response.state is follow_up.response.state is ResponseState.COMPLETED
    call_item = next(i for i in core.items.values() if i.type == "function_call")
    assert call_item.name == "get_weather" and json.loads(call_item.arguments) == {"city": "Paris"}
    # the result went back as a function_call_output item, then exactly one follow-up response.create
    sent = [e["type"] for e in wire.sent]
    assert sent.count("response.create") == 2
    outputs = [e["item"] for e in wire.sent if e["type"] == "conversation.item.create"][1:]
    result = json.dumps({"city": "Paris", "celsius": 18})
    assert outputs == [{"type": "function_call_output", "call_id": call_item.call_id, "output": result}]
    assert core.transcript()[-1] == ("assistant", 'The tool said {"city": "Paris", "celsius": 18}.')
    assert not core.tool_round_open
    assert_usage_is_the_servers(wire)


def test_truncation_when_the_user_speaks_over_the_assistant():
    config = {"type": "realtime", "audio": {"input": {"turn_detection": {"type": "server_vad"}}}}
    wire = Wire(config, vad=True)
    wire.speak(silence(0.3))
    wire.type_text("Hello")  # the answer (800 ms of audio) arrives at once and starts playing now
    core = wire.client
    answer = core.items[core.turns[0].response.item_ids[-1]]
    playing_from = core.playback_span(answer.id)[0]
    wire.speak(tone(0.6))  # the user talks over it
    truncated = [e for e in wire.received if e["type"] == "conversation.item.truncated"]
    assert len(truncated) == 1 and truncated[0]["item_id"] == answer.id
    cut = truncated[0]["audio_end_ms"]
    # the cut is what had played when the server heard the speech: after the start, before the end
    started_at = next(
        i for i, e in enumerate(wire.received) if e["type"] == "input_audio_buffer.speech_started"
    )
    assert started_at < wire.received.index(truncated[0])
    assert 0 < cut < answer.audio_received_ms == 800.0
    assert answer.truncated_ms == cut and core.playback_stopped(answer.id)
    assert core.played_ms(answer.id, t=wire.t + 5) == cut  # playback stays stopped there
    assert core.playback_span(answer.id) == pytest.approx((playing_from, playing_from + cut / 1000))
    assert [e["type"] for e in wire.sent].count("conversation.item.truncate") == 1
