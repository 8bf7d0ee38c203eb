"""The core's streaming recognition (:mod:`voicelab.emulator.realtime.core.live_transcription`), sans-I/O.

The quick tests use a scripted transcriber (one word per pass) to pin down when passes are asked for and
where the deltas go; the slow one runs the real streaming Whisper over a labelled sample, with the passes
run synchronously as soon as the core asks for them.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from voicelab.emulator.realtime.effects import FinalizeTranscriber, StepTranscriber, Transcribe
from voicelab.errors import ParameterError

SR = 24000
DELTA = "conversation.item.input_audio_transcription.delta"
COMPLETED = "conversation.item.input_audio_transcription.completed"


class ScriptedTranscriber:
    """Commits the next word of ``words`` per pass; a pass is due every 300 ms of audio, none while paused
    except one closing pass; ``finalize`` commits the rest."""

    def __init__(self, words: list[str], log: list) -> None:
        self.words, self.log = words, log
        self.samples = self.passes = 0
        self.paused: int | None = None
        self.fed_at_pass = 0

    def feed(self, y: np.ndarray) -> None:
        assert y.dtype == np.float32
        self.samples += y.size

    def pause(self, at_ms: int | None) -> None:
        self.paused = at_ms
        self.log.append(("pause", at_ms))

    @property
    def pass_due(self) -> bool:
        if self.paused is not None:
            return False
        return self.samples - self.fed_at_pass >= SR * 3 // 10 and self.passes < len(self.words)

    def step(self) -> SimpleNamespace:
        self.fed_at_pass = self.samples
        self.passes += 1
        return SimpleNamespace(delta=" " + self.words[self.passes - 1])

    def finalize(self, *, speech_end_ms: int | None = None) -> SimpleNamespace:
        self.log.append(("finalize", speech_end_ms))
        return SimpleNamespace(text=" " + " ".join(self.words))


@pytest.fixture
def scripted():
    made: list[ScriptedTranscriber] = []
    log: list = []

    def factory(language, prompt, **options):
        if language == "xx":
            raise ParameterError("language", expected="a language the engine transcribes", got="'xx'")
        log.append(("new", language, prompt))
        log.append(("options", options))
        made.append(ScriptedTranscriber(["What", "is", "two", "plus", "two?"], log))
        return made[-1]

    return SimpleNamespace(factory=factory, made=made, log=log)


def _transcription(model: str = "gpt-4o-transcribe", **extra) -> dict:
    return {"type": "realtime", "audio": {"input": {"transcription": {"model": model, **extra}}}}


def test_deltas_are_kept_until_the_item_exists_then_streamed(make_driver, scripted, signals):
    driver = make_driver(
        vad=True, transcriber_factory=scripted.factory, session=_transcription(prompt="math")
    )
    driver.append(signals["silence"](0.3))
    assert scripted.made == []  # nothing to hear before the VAD hears speech
    driver.append(signals["tone"](1.0))
    assert scripted.log[0] == ("new", None, "math")
    assert DELTA not in driver.types()  # three passes ran, their words wait for the item
    events = driver.append(signals["silence"](1.0))
    types = driver.types(events)
    stopped = types.index("input_audio_buffer.speech_stopped")
    assert types[stopped : stopped + 4] == [
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]
    deltas = [e for e in events if e["type"] == DELTA]
    completed = next(e for e in events if e["type"] == COMPLETED)
    assert types[stopped + 4] == DELTA
    assert [d["delta"] for d in deltas] == ["What", " is", " two", " plus two?"]
    assert completed["transcript"] == "What is two plus two?" == "".join(d["delta"] for d in deltas)
    assert {d["item_id"] for d in deltas} == {completed["item_id"], events[stopped]["item_id"]}
    # the VAD's silence reached the transcriber as a pause; finalize got where the speech ended
    pauses = [at for kind, at in [e[:2] for e in scripted.log] if kind == "pause" and at is not None]
    finalize = next(e for e in scripted.log if e[0] == "finalize")
    assert pauses and finalize[1] is not None and abs(finalize[1] - pauses[0]) <= 40
    assert not any(isinstance(e, Transcribe) for e in driver.effects)  # no transcription after the fact
    assert "response.created" in types  # and the response starts at once


def test_every_option_streams_and_logprobs_deltas_come_with_the_final_pass(make_driver, scripted, signals):
    """keywords, languages, delay and logprobs no longer send a turn to the after-the-fact path: they reach
    the streaming transcriber and the finalize effect. With logprobs (only the final pass has them) the
    words recognised while spoken are kept back and all deltas go out with ``completed``."""
    transcription = {"model": "gpt-transcribe", "keywords": ["Qwen"], "languages": ["en", "ja"]}
    session = _transcription(**transcription)
    session["include"] = ["item.input_audio_transcription.logprobs"]
    driver = make_driver(vad=True, transcriber_factory=scripted.factory, session=session)
    driver.append(signals["silence"](0.3))
    driver.append(signals["tone"](1.0))
    options = {"keywords": ("Qwen",), "languages": ("en", "ja"), "delay": None, "logprobs": True}
    assert ("options", options) in scripted.log and len(scripted.made) == 1
    events = driver.append(signals["silence"](1.0))
    types = driver.types(events)
    assert not any(isinstance(e, Transcribe) for e in driver.effects)
    finalize = next(e for e in driver.effects if isinstance(e, FinalizeTranscriber))
    assert (finalize.model, finalize.keywords, finalize.languages, finalize.logprobs) == (
        "gpt-transcribe",
        ("Qwen",),
        ("en", "ja"),
        True,
    )
    completed = next(e for e in events if e["type"] == COMPLETED)
    # the passes' words were kept back: the final pass's text is the delta (the I/O layer's details split
    # it into per-token pieces with their logprobs)
    assert [e["delta"] for e in events if e["type"] == DELTA] == [completed["transcript"]]
    assert types.index(DELTA) > types.index("conversation.item.done")


def test_one_pass_at_a_time_and_partials_after_the_commit_go_out_at_once(make_driver, scripted, signals):
    driver = make_driver(vad=True, auto=False, transcriber_factory=scripted.factory, session=_transcription())
    driver.append(signals["silence"](0.3))
    driver.append(signals["tone"](1.0))
    steps = [e for e in driver.pending if isinstance(e, StepTranscriber)]
    assert len(steps) == 1  # due again and again, but asked for once while it runs
    driver.append(signals["silence"](1.0))  # the turn ends while the pass still runs
    assert isinstance(driver.pending[-2], FinalizeTranscriber)
    step = driver.pending.pop(0)
    assert isinstance(step, StepTranscriber)
    events = driver.execute(step)  # its word goes out at once (the item exists), no further pass
    assert [e["delta"] for e in events] == ["What"]
    assert not any(isinstance(e, StepTranscriber) for e in driver.pending)
    finalize = next(e for e in driver.pending if isinstance(e, FinalizeTranscriber))
    events = driver.execute(finalize)
    assert [e.get("delta", e.get("transcript")) for e in events] == [
        " is two plus two?",
        "What is two plus two?",
    ]


def test_clear_drops_the_turn_and_its_late_pass(make_driver, scripted, signals):
    driver = make_driver(vad=True, auto=False, transcriber_factory=scripted.factory, session=_transcription())
    driver.append(signals["silence"](0.3))
    driver.append(signals["tone"](0.6))
    step = next(e for e in driver.pending if isinstance(e, StepTranscriber))
    driver.send({"type": "input_audio_buffer.clear"})
    assert driver.execute(step) == []
    assert DELTA not in driver.types()


def test_whisper_1_keeps_one_delta_with_the_whole_transcript(make_driver, scripted, signals):
    driver = make_driver(vad=True, transcriber_factory=scripted.factory, session=_transcription("whisper-1"))
    driver.append(signals["silence"](0.3))
    driver.append(signals["tone"](1.0))
    events = driver.append(signals["silence"](1.0))
    deltas = [e["delta"] for e in events if e["type"] == DELTA]
    assert deltas == ["What is two plus two?"]
    assert next(e for e in events if e["type"] == COMPLETED)["usage"]["type"] == "duration"


def test_without_input_transcription_the_responder_still_hears_the_stream(make_driver, scripted, signals):
    driver = make_driver(vad=True, auto=False, transcriber_factory=scripted.factory)
    driver.append(signals["silence"](0.3))
    driver.append(signals["tone"](1.0))
    driver.append(signals["silence"](1.0))
    while driver.pending:
        driver.step()
    assert scripted.made  # a response will need the words: recognised while spoken
    assert DELTA not in driver.types() and COMPLETED not in driver.types()
    user = next(i for i in driver.core.items if i.audio_role == "user")
    assert user.heard == "What is two plus two?"


def test_no_stream_when_nobody_needs_the_words(make_driver, scripted, signals):
    session = {
        "type": "realtime",
        "audio": {"input": {"turn_detection": {"type": "server_vad", "create_response": False}}},
    }
    driver = make_driver(vad=True, transcriber_factory=scripted.factory, session=session)
    driver.append(signals["silence"](0.3))
    driver.append(signals["tone"](1.0))
    driver.append(signals["silence"](1.0))
    assert scripted.made == []
    assert "conversation.item.added" in driver.types()


def test_a_language_the_engine_lacks_falls_back_to_transcription_after_the_fact(
    make_driver, scripted, signals
):
    driver = make_driver(
        vad=True, transcriber_factory=scripted.factory, session=_transcription(language="xx")
    )
    driver.append(signals["silence"](0.3))
    driver.append(signals["tone"](1.0))
    driver.append(signals["silence"](1.0))
    assert scripted.made == []
    assert any(isinstance(e, Transcribe) for e in driver.effects)
    assert COMPLETED in driver.types()


def test_manual_turns_stream_from_the_first_append(make_driver, scripted, signals):
    driver = make_driver(transcriber_factory=scripted.factory, session=_transcription())
    driver.append(signals["tone"](0.7))
    assert len(scripted.made) == 1 and DELTA not in driver.types()
    events = driver.send({"type": "input_audio_buffer.commit"})
    types = driver.types(events)
    assert types[:4] == [
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
        DELTA,
    ]
    assert events[-1]["type"] == COMPLETED and events[-1]["transcript"] == "What is two plus two?"
    assert next(e for e in scripted.log if e[0] == "finalize")[1] is None
    driver.append(signals["tone"](0.2))
    assert len(scripted.made) == 2  # the next turn has its own transcriber


@pytest.mark.slow
def test_real_streaming_whisper_over_a_labelled_sample(make_driver):
    from voicelab import samples
    from voicelab.emulator.realtime.live_stt import streaming_transcriber
    from voicelab.engines.scoring import word_error_rate

    info = next(s for s in samples.manifest() if s.name == "en_order")
    y, _ = samples.load(info.name)
    pcm = (np.clip(y, -1, 1) * 32767).astype(np.int16)
    session = _transcription(language="en")
    session["audio"]["input"]["turn_detection"] = {"type": "server_vad", "silence_duration_ms": 1300}
    driver = make_driver(
        vad=True,
        intent="transcription",
        transcriber_factory=streaming_transcriber,
        session={**session, "type": "transcription"},
    )
    events = driver.append(np.concatenate([pcm, np.zeros(2 * SR, np.int16)]), chunk_ms=100)
    types = driver.types(events)
    done = types.index("conversation.item.done")
    deltas = [e["delta"] for e in events if e["type"] == DELTA]
    completed = next(e for e in events if e["type"] == COMPLETED)
    assert types[done + 1] == DELTA  # recognised before the turn ended
    held = [e["delta"] for e in events[done + 1 :] if e["type"] == DELTA]
    assert len(held) >= 2
    assert "".join(deltas) == completed["transcript"]
    assert word_error_rate(info.text, completed["transcript"]) <= 0.1
