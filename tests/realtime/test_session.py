"""RealtimeSession end to end: the official SDK against the emulator over a real loopback port."""

from __future__ import annotations

import asyncio
import json
import math
import time
from typing import Annotated

import numpy as np
import pytest
from openai.types.realtime import RealtimeClientEvent
from pydantic import Field, TypeAdapter

from voicelab.errors import ConnectionLostError, ParameterError, ServerEventError
from voicelab.pricing import cost
from voicelab.protocol.errors import ProtocolError
from voicelab.realtime.core import Phase, ReconnectPolicy, ResponseState
from voicelab.realtime.metrics import turn_metrics
from voicelab.realtime.session import RealtimeSession

from .conftest import API_KEY

pytestmark = pytest.mark.slow


def types(session, direction=None):
    return [r["type"] for r in session.log if direction is None or r["dir"] == direction]


def records(session, kind):
    return [r for r in session.log if r["type"] == kind]


CLIENT_EVENT = TypeAdapter(Annotated[RealtimeClientEvent, Field(discriminator="type")])


def assert_client_events_valid(session):
    """Every client event the session sent validates strictly against the SDK's GA client-event types."""
    sent = [r["event"] for r in session.log if r["dir"] == "client"]
    assert sent
    for event in sent:
        wire = dict(event)
        if wire["type"] == "input_audio_buffer.append":
            wire["audio"] = "AAAA"  # the log keeps the byte count, not the base64
        CLIENT_EVENT.validate_python(json.loads(json.dumps(wire)), strict=True)


def non_benign_errors(session):
    return [
        r
        for r in records(session, "error")
        if r["event"]["error"].get("code") not in ("response_cancel_not_active",)
    ]


async def test_text_turn_transcript_audio_usage_and_cost(client):
    async with RealtimeSession(client=client, instructions="Be brief.", voice="alloy") as s:
        turn = await s.ask("Hello, who are you?")
        assert turn.kind == "text" and turn.response.state is ResponseState.COMPLETED
        roles = [role for role, _ in s.transcript()]
        assert roles == ["user", "assistant"]
        assert s.transcript()[0][1] == "Hello, who are you?"
        assert "emulator" in s.transcript()[1][1]
        # audio: what arrived is what the item counts, 24 kHz PCM16
        audio = s.output_audio()
        item = s.items[turn.response.item_ids[-1]]
        assert audio.sr == 24_000 and audio.duration * 1000 == pytest.approx(item.audio_received_ms)
        assert 0 < turn.time_to_first_audio <= turn.total_time
        # usage: assistant audio is billed at 1 token / 50 ms
        usage = turn.response.usage
        assert usage["output_token_details"]["audio_tokens"] == pytest.approx(
            item.audio_received_ms / 50, abs=1
        )
        # cost to the cent: the session's running cost is the priced sum of every response.done usage
        done = [r["event"]["response"]["usage"] for r in records(s, "response.done")]
        assert s.cost.total == pytest.approx(sum(cost(u, "gpt-realtime-2").total for u in done), abs=1e-9)
        assert set(s.cost.by_modality()) == {"text", "audio"}
        # the output-audio queue holds PCM16 chunks with their rate, all of the item's audio
        chunks = [s.audio.get_nowait() for _ in range(len(s.audio))]
        assert {c.sr for c in chunks} == {24_000} and {c.item_id for c in chunks} == {item.id}
        assert sum(c.duration_ms for c in chunks) == pytest.approx(item.audio_received_ms)
        assert_client_events_valid(s)
        assert s.cost.parts["realtime"].total == pytest.approx(s.cost.total)
        row = turn_metrics(s).rows[0]
        assert row["cost_usd"] == pytest.approx(s.cost.total) and row["tokens"] == usage["total_tokens"]
        assert row["first_audio_s"] == pytest.approx(turn.time_to_first_audio)
    assert s.phase is Phase.CLOSED
    assert not records(s, "voicelab.reconnecting")


async def test_two_text_turns_rebill_the_conversation(client):
    async with RealtimeSession(client=client, voice="alloy", output_modalities=["text"]) as s:
        first = await s.ask("What is 2 plus 3?")
        second = await s.ask("What time is it?")
        assert "5" in s.items[first.response.item_ids[-1]].text
        assert second.response.usage["input_tokens"] > first.response.usage["input_tokens"]
        assert s.usage.responses == 2
        assert s.output_audio() is None  # text only
        assert [tu.kind for tu in s.turns] == ["text", "text"]


async def test_voice_turn_any_rate_and_dtype_with_server_vad(client, speech):
    pcm16, sr = speech
    async with RealtimeSession(
        client=client, voice="alloy", transcription="gpt-4o-mini-transcribe", silence_duration_ms=400
    ) as s:
        sent_ms = await s.send_audio(pcm16, sr, silence_ms=900)
        turn = await s.wait_turn(timeout=90)
        assert sent_ms == pytest.approx(len(pcm16) / sr * 1000 + 900, abs=1)
        assert s.core.audio_sent_ms == pytest.approx(sent_ms, abs=1)
        # every append is a 20 ms chunk (the last may be shorter)
        appends = records(s, "input_audio_buffer.append")
        assert all(r["audio_ms"] <= 20.0 for r in appends) and appends[0]["audio_ms"] == 20.0
        kinds = types(s, "server")
        for before, after in [
            ("input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped"),
            ("input_audio_buffer.speech_stopped", "input_audio_buffer.committed"),
            ("input_audio_buffer.committed", "response.created"),
            ("response.created", "response.done"),
        ]:
            assert kinds.index(before) < kinds.index(after)
        assert turn.kind == "voice" and turn.speech_stopped_t is not None
        await s.wait_for("conversation.item.input_audio_transcription.completed", since=0, timeout=60)
        heard = s.items[turn.user_item_id].transcript.lower()
        assert "weather" in heard and "paris" in heard
        assert s.items[turn.response.item_ids[-1]].transcript
        assert turn.time_to_first_audio > 0
        assert "transcription" in s.cost.parts


async def test_tool_round_trip_with_async_tool_that_does_not_block(client):
    calls = []

    async def get_weather(city: str) -> dict:
        """Current weather for a city.

        Parameters
        ----------
        city : str
            The city name.
        """
        # the conversation keeps flowing while the tool runs: the reader delivers rate_limits.updated, which
        # arrives after the response.done that asked for this call
        await session.wait_for("rate_limits.updated", since=mark, timeout=10)
        calls.append(city)
        return {"city": city, "temperature_c": 18, "sky": "sunny"}

    session = RealtimeSession(client=client, voice="alloy", tools=[get_weather], output_modalities=["text"])
    async with session:
        mark = len(session.log)
        turn = await session.ask("What's the weather in Paris?")
        assert calls == ["Paris"]
        assert turn.kind == "tool"
        client_events = [r["event"] for r in session.log if r["dir"] == "client"]
        output = next(
            e
            for e in client_events
            if e["type"] == "conversation.item.create" and e["item"]["type"] == "function_call_output"
        )
        assert json.loads(output["item"]["output"]) == {"city": "Paris", "temperature_c": 18, "sky": "sunny"}
        assert client_events[-1]["type"] == "response.create"  # the follow-up
        answer = session.items[turn.response.item_ids[-1]].text
        assert "18" in answer
        note = records(session, "voicelab.function_call")[0]
        assert note["ok"] and note["name"] == "get_weather"
        assert not non_benign_errors(session)
        assert_client_events_valid(session)


async def test_tool_errors_are_reported_to_the_model_not_raised(client):
    def get_weather(city: str) -> str:
        raise RuntimeError("weather service down")

    async with RealtimeSession(client=client, tools=[get_weather], output_modalities=["text"]) as s:
        await s.ask("What's the weather in Paris?")
        note = records(s, "voicelab.function_call")[0]
        assert not note["ok"] and "weather service down" in note["output"]


async def test_barge_in_cancels_and_truncates_at_played_ms(client, speech):
    pcm16, sr = speech
    stops = []
    async with RealtimeSession(client=client, voice="alloy", extra_query={"pacing": "on"}) as s:
        s.on_stop_playback(stops.append)
        await s.send_text("Hello, who are you?")  # a long answer, sent at playback speed
        first = await s.wait_for("response.output_audio.delta", timeout=60, since=0)
        await asyncio.sleep(0.6)
        mark = len(s.log)
        await s.send_audio(pcm16, sr, silence_ms=800)
        barge = await s.wait_for("voicelab.barge_in", since=mark, timeout=30)
        truncated = await s.wait_for("conversation.item.truncated", since=mark, timeout=30)
        sent = next(r["event"] for r in s.log[mark:] if r["type"] == "conversation.item.truncate")
        item = s.items[sent["item_id"]]
        assert truncated["event"]["audio_end_ms"] == sent["audio_end_ms"] == barge["audio_end_ms"]
        assert sent["audio_end_ms"] <= item.audio_received_ms
        # played ≈ time from the first audio to the moment speech was detected (real-time playback clock)
        heard_for = (barge["t"] - first["t"]) * 1000
        assert sent["audio_end_ms"] == pytest.approx(min(heard_for, item.audio_received_ms), abs=60)
        assert "response.cancel" in [r["type"] for r in s.log[mark:] if r["dir"] == "client"]
        assert stops and stops[0].item_id == item.id
        queued = [s.audio.get_nowait() for _ in range(len(s.audio))]
        assert all(chunk.item_id != item.id for chunk in queued)  # its queued and late audio is dropped
        await s.wait_turn(timeout=90)
        assert s.turns[0].response.state is ResponseState.CANCELLED
        assert not non_benign_errors(s)
        assert_client_events_valid(s)


async def test_truncate_is_clamped_when_the_player_over_reports(client):
    async with RealtimeSession(client=client, voice="alloy") as s:
        turn = await s.ask("Hello, who are you?")
        item_id = turn.response.item_ids[-1]
        received = s.items[item_id].audio_received_ms
        mark = len(s.log)
        barge = await s.interrupt(played_ms=received + 5_000)  # a buggy player: 5 s past the end
        assert barge.audio_end_ms == math.floor(received)
        done = await s.wait_for("conversation.item.truncated", since=mark, timeout=10)
        assert done["event"]["audio_end_ms"] == math.floor(received)
        assert not non_benign_errors(s)


# ---------------------------------------------------------------- reconnects


async def test_drop_is_reconnected_by_the_sdk_config_reapplied_and_held_audio_replayed(client):
    # the first connection drops (close 1011) right after session.updated; reconnects are healthy
    policy = ReconnectPolicy(max_attempts=3, initial_delay=0.3, max_delay=1.0)
    async with RealtimeSession(
        client=client,
        instructions="Be brief.",
        voice="alloy",
        reconnect=policy,
        extra_query={"fault_drop_after": "2"},
        reconnect_query={},
    ) as s:
        await s.wait_for("voicelab.reconnecting", since=0, timeout=10)
        held = await s.send_audio(np.zeros(7200, np.float32), 24_000)  # 300 ms while the socket is down
        assert held == pytest.approx(300)
        await s.wait_for("voicelab.replayed", since=0, timeout=10)
        attempt = records(s, "voicelab.reconnecting")[0]
        assert attempt["by"] == "sdk" and attempt["attempt"] == 1 and attempt["code"] == 1011
        updates = [r["event"]["session"] for r in s.log if r["type"] == "session.update"]
        assert len(updates) == 2 and updates[0] == updates[1] == s.config
        replayed = records(s, "voicelab.replayed")[0]
        assert replayed["audio_ms"] == pytest.approx(300)
        order = types(s)
        second_updated = [i for i, k in enumerate(order) if k == "session.updated"][1]
        assert order.index("input_audio_buffer.append") > second_updated  # audio only after config
        assert s.core.reconnects == 1 and s.core.audio_replayed_ms == pytest.approx(300)
        turn = await s.ask("What is 2 plus 3?")  # the conversation goes on
        assert turn.response.state is ResponseState.COMPLETED


async def test_429_on_connect_is_retried_with_backoff(client, fast):
    start = time.monotonic()
    async with RealtimeSession(
        client=client, reconnect=fast, extra_query={"fault_status": "429"}, reconnect_query={}
    ) as s:
        failed = records(s, "voicelab.connect_failed")
        assert [f["status"] for f in failed] == [429]
        attempt = records(s, "voicelab.reconnecting")[0]
        assert attempt["by"] == "session" and attempt["delay"] == pytest.approx(0.05)
        assert s.phase is Phase.READY
    assert time.monotonic() - start < 10


async def test_gives_up_after_three_tries_and_reports_held_audio(client):
    policy = ReconnectPolicy(max_attempts=3, initial_delay=0.4, max_delay=1.6)
    s = RealtimeSession(
        client=client,
        reconnect=policy,
        extra_query={"fault_drop_after": "2"},
        reconnect_query={"fault_status": "429"},
    )  # every reconnect is refused
    await s.connect()
    await s.wait_for("voicelab.reconnecting", since=0, timeout=10)
    held = await s.send_audio(np.zeros(2400, np.float32), 24_000)  # 100 ms during the first backoff
    assert held == pytest.approx(100)
    with pytest.raises(ConnectionLostError):
        await s.wait_for("never.comes", timeout=20)
    attempts = records(s, "voicelab.reconnecting")
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert all(a["by"] == "sdk" for a in attempts)
    assert s.phase is Phase.CLOSED
    dropped = records(s, "voicelab.audio_dropped")
    assert dropped[0]["audio_ms"] == pytest.approx(100)  # never silently lost
    assert records(s, "voicelab.closed")[-1]["intentional"] is False
    with pytest.raises(ConnectionLostError):
        await s.ask("anyone there?")
    await s.close()


async def test_no_reconnect_after_intentional_close(client):
    slow = ReconnectPolicy(max_attempts=3, initial_delay=5.0, max_delay=5.0)
    s = RealtimeSession(client=client, reconnect=slow)
    await s.connect()
    await s.close()
    await asyncio.sleep(0.2)
    assert not records(s, "voicelab.reconnecting")
    assert records(s, "voicelab.closed")[-1]["intentional"] is True
    with pytest.raises(ParameterError, match="session"):
        await s.send_text("hello?")
    # closing while a reconnect waits its backoff ends it at once
    s2 = RealtimeSession(client=client, reconnect=slow, extra_query={"fault_drop_after": "2"})
    await s2.connect()
    await s2.wait_for("voicelab.reconnecting", since=0, timeout=10)
    start = time.monotonic()
    await s2.close()
    assert time.monotonic() - start < 2
    assert len(records(s2, "voicelab.reconnecting")) == 1
    assert "voicelab.connected" not in types(s2)[types(s2).index("voicelab.reconnecting") :]


async def test_expired_session_reconnects_with_a_fresh_ephemeral_key(client, fast):
    async with RealtimeSession(
        client=client,
        ephemeral=True,
        voice="alloy",
        reconnect=fast,
        extra_query={"fault_expire_after": "0.5"},
        reconnect_query={},
    ) as s:
        await s.wait_for("voicelab.reconnected", since=0, timeout=15)
        error = records(s, "error")[0]["event"]["error"]
        assert error["code"] == "session_expired"
        attempt = records(s, "voicelab.reconnecting")[0]
        assert attempt["by"] == "session"  # close 1000 is not the SDK's to retry
        assert s.keys_minted == 2 and len(records(s, "voicelab.key_minted")) == 2
        await s.wait_for(
            "session.updated", since=len(s.log) - 1, timeout=5
        ) if s.phase is not Phase.READY else None
        turn = await s.ask("What is 2 plus 3?")
        assert turn.response.state is ResponseState.COMPLETED


async def test_server_error_on_update_names_the_parameter_and_session_keeps_working(client):
    async with RealtimeSession(client=client, output_modalities=["text"]) as s:
        # the client refuses what the server would, with the server's words, before sending anything
        sent = len(types(s, "client"))
        with pytest.raises(ProtocolError) as refused:
            await s.update({"max_output_tokens": 99999})
        assert refused.value.param and "max_output_tokens" in refused.value.param
        assert len(types(s, "client")) == sent
        # sent anyway, the server answers with the same words, naming the parameter
        mark = len(s.log)
        await s.send({"type": "session.update", "session": {"type": "realtime", "max_output_tokens": 99999}})
        error = (await s.wait_for("error", since=mark))["event"]["error"]
        assert "max_output_tokens" in error["param"] and error["message"] == str(refused.value)
        turn = await s.ask("What is 2 plus 3?")
        assert turn.response.state is ResponseState.COMPLETED


async def test_a_kind_change_only_the_server_refuses_raises_its_error(client):
    async with RealtimeSession(client=client, output_modalities=["text"]) as s:
        with pytest.raises(ServerEventError) as info:  # only the server knows the session's kind
            await s.update({"type": "transcription"})
        assert info.value.param == "session.type" and info.value.code == "invalid_value"
        turn = await s.ask("What is 2 plus 3?")
        assert turn.response.state is ResponseState.COMPLETED


async def test_update_the_server_would_refuse_is_refused_before_sending_in_its_words(client):
    async with RealtimeSession(client=client, output_modalities=["text"]) as s:
        with pytest.raises(ProtocolError) as info:
            await s.update({"max_output_tokens": 99999})
        assert (info.value.code, info.value.param) == ("integer_above_max_value", "session.max_output_tokens")
        assert "Expected a value <= 4096, but got 99999 instead." in str(info.value)
        turn = await s.ask("What is 2 plus 3?")
        assert turn.response.state is ResponseState.COMPLETED


@pytest.mark.parametrize(
    "session, code, param",
    [
        ({"type": "realtime", "max_output_tokens": 99999}, "integer_above_max_value", "max_output_tokens"),
        ({"type": "realtime", "bogus": 1}, "unknown_parameter", "bogus"),
    ],
    ids=["out-of-range", "unknown-key"],
)
async def test_a_refused_setup_raises_the_servers_error_at_once(client, session, code, param):
    # the client checks the config with the server's own rules, so a server stricter than the client (a newer
    # API) is played by changing the config after that check; the server's answer to the set-up
    # session.update is the error raised, not a time-out (connect_timeout is left at its 30 s)
    s = RealtimeSession(client=client)
    s.core.config.update(session)
    with pytest.raises(ServerEventError) as info:
        await s.connect()
    assert info.value.code == code and param in (info.value.param or "")
    assert info.value.event["error"]["message"] in str(info.value)
    assert s.phase is Phase.CLOSED and types(s, "client") == ["session.update"]
    with pytest.raises(ServerEventError):  # the session stays failed with that error
        await s.send_text("hello")


@pytest.mark.parametrize(
    "call, param",
    [
        (lambda s: s.send_text(""), "text"),
        (lambda s: s.send_audio(np.zeros(10, np.float32)), "sr"),
        (lambda s: s.send_audio(np.zeros(10, np.int32), 16000), "y"),
        (lambda s: s.send({"no": "type"}), "event"),
    ],
    ids=["empty-text", "missing-rate", "int32-samples", "not-an-event"],
)
async def test_bad_input_is_a_parameter_error_and_the_session_keeps_working(client, call, param):
    async with RealtimeSession(client=client, output_modalities=["text"]) as s:
        with pytest.raises(ParameterError) as info:
            await call(s)
        assert info.value.param == param
        assert (await s.ask("What is 2 plus 3?")).response.state is ResponseState.COMPLETED


async def test_update_changes_are_kept_for_reconnects(client):
    async with RealtimeSession(client=client, voice="alloy", output_modalities=["text"]) as s:
        effective = await s.update(instructions="Answer in one word.")
        assert effective["instructions"] == "Answer in one word."
        assert s.core.config["instructions"] == "Answer in one word."


async def test_iterating_events_and_callbacks(client):
    seen = []
    async with RealtimeSession(client=client, output_modalities=["text"]) as s:
        s.on("response.done", lambda e: seen.append(e.response.status))

        async def collect():
            out = []
            async for event in s:
                out.append(event.type)
                if event.type == "response.done":
                    return out
            return out

        task = asyncio.create_task(collect())
        await asyncio.sleep(0)
        await s.ask("What is 2 plus 3?")
        got = await asyncio.wait_for(task, 10)
        assert got[0] in ("conversation.item.added", "conversation.item.done", "response.created")
        assert got[-1] == "response.done" and "response.output_text.delta" in got
        assert seen == ["completed"]


async def test_live_source_is_resampled_and_chunked(client, speech):
    pcm16, _ = speech  # 16 kHz
    y48 = np.repeat(pcm16.astype(np.float32) / 32767, 3)  # 48 kHz, as a browser microphone delivers

    async def microphone():
        for i in range(0, len(y48), 4096):  # odd-sized chunks, as an AudioWorklet would post them
            yield (y48[i:i + 4096], 48_000)
            await asyncio.sleep(0)

    async with RealtimeSession(client=client, vad=None, output_modalities=["text"]) as s:
        sent = await s.stream(microphone())
        assert sent == pytest.approx(len(y48) / 48_000 * 1000, abs=2)
        appends = records(s, "input_audio_buffer.append")
        assert all(r["audio_ms"] == 20.0 for r in appends[:-1])
        mark = len(s.log)
        await s.commit()
        committed = await s.wait_for("input_audio_buffer.committed", since=mark, timeout=10)
        assert committed["event"]["item_id"]
        assert_client_events_valid(s)


async def test_cancel_stops_the_active_response(client):
    async with RealtimeSession(client=client, voice="alloy", extra_query={"pacing": "on"}) as s:
        assert await s.cancel() is None  # nothing active: nothing sent
        await s.send_text("Hello, who are you?")
        await s.wait_for("response.output_audio.delta", since=0, timeout=60)
        await s.cancel()
        turn = await s.wait_turn(timeout=30)
        assert turn.response.state is ResponseState.CANCELLED
        assert len(s.audio) == 0
        assert not non_benign_errors(s)


@pytest.mark.parametrize("kwargs, code", [
    ({"api_key": "fake-wrong-key-123456"}, "invalid_api_key"),
    ({"default_headers": {"OpenAI-Beta": "realtime=v1"}}, "beta_api_shape_disabled"),
], ids=["wrong-key", "beta-header"])
async def test_permanent_refusals_are_not_retried(emulator, fast, kwargs, code):
    import openai

    options = {"api_key": API_KEY, **kwargs}
    async with openai.AsyncOpenAI(base_url=emulator.base_url, websocket_base_url=emulator.websocket_base_url,
                                  max_retries=0, **options) as bad:
        s = RealtimeSession(client=bad, reconnect=fast)
        with pytest.raises(ConnectionLostError):
            await s.connect()
    assert records(s, "error")[0]["event"]["error"]["code"] == code
    assert not records(s, "voicelab.reconnecting")
    assert "fake-wrong-key-123456" not in json.dumps(s.log)


async def test_drop_policy_reports_audio_appended_while_disconnected(client):
    policy = ReconnectPolicy(max_attempts=3, initial_delay=0.3, max_delay=1.0)
    async with RealtimeSession(client=client, reconnect=policy, on_disconnect="drop",
                               extra_query={"fault_drop_after": "2"}, reconnect_query={}) as s:
        await s.wait_for("voicelab.reconnecting", since=0, timeout=10)
        await s.send_audio(np.zeros(4800, np.float32), 24_000)  # 200 ms into the void
        note = await s.wait_for("voicelab.audio_dropped", since=0, timeout=10)
        assert note["audio_ms"] == pytest.approx(200) and note["reason"] == "appended while disconnected"
        assert s.core.audio_dropped_ms == pytest.approx(200)
        assert not records(s, "input_audio_buffer.append")  # nothing was replayed
