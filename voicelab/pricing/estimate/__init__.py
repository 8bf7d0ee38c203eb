"""Scenario estimators: what a conversation, a call centre or an Audio API job will cost.

Every estimator prices the usage it predicts through the same tables and formula as :func:`cost`, and
states its assumptions as parameters. Results are tidy: dataclasses with ``.to_rows()`` (a list of dicts)
that a plot, a CSV writer or a DataFrame can take as they are.

The model of a speech-to-speech call (:func:`speech_to_speech`):

* a call of ``minutes`` has ``turns`` exchanges; in each the assistant speaks ``assistant_share`` of the
  time and the rest is the user's microphone, of which ``user_share`` of the turn is speech, the rest silence;
* user audio costs 1 token / 100 ms, assistant audio 1 token / 50 ms (the model's rates in the table); the
  assistant also emits its transcript as text tokens (``words_per_minute × tokens_per_word``);
* every response re-bills the whole conversation as input: instructions (text) + every earlier user and
  assistant audio item + the new user audio. Earlier items keep their audio token counts;
* with caching, the part of the input that repeats the previous request's input is cached, in 128-token
  blocks once it reaches 1 024 tokens (OpenAI prompt caching); truncation breaks the prefix, so that turn's
  cache covers only the instructions;
* truncation: ``"auto"`` drops the oldest items just enough to fit ``context_window − max_output_tokens``;
  a float is a ``retention_ratio``: once the post-instruction tokens exceed the limit, drop oldest items
  until only that fraction of the limit is used; ``"disabled"`` never drops (the API would then fail);
* with server VAD only speech plus padding (``prefix_padding_ms`` + ``silence_duration_ms``, 800 ms) is
  committed; without it the whole microphone stream, silence included, is billed.

A chained pipeline (:func:`chained`) transcribes the user's speech, sends text to a chat model (whose
context is re-billed too, but as cheap text tokens) and speaks the reply with a TTS model.

The estimators, one module each concept: :mod:`.inputs` (:class:`Conversation`), :mod:`.results` (the result
dataclasses and :func:`to_table`), :mod:`.s2s` (speech-to-speech), :mod:`.chained` (STT → LLM → TTS and
one-shot requests), :mod:`.compare` (approaches side by side, concurrency, the CLI's scenario),
:mod:`.script` (a conversation measured from its lines: o200k_base tokens and the engines' spoken durations),
:mod:`.translation` (live speech translation per minute, realtime vs chained).
"""

from voicelab.pricing.estimate.chained import chained, one_shot_costs
from voicelab.pricing.estimate.compare import (
    compare_approaches,
    concurrency,
    current_approaches,
    default_approaches,
    scenario,
)
from voicelab.pricing.estimate.inputs import Conversation
from voicelab.pricing.estimate.results import (
    ApproachCost,
    ConcurrencyEstimate,
    ConversationEstimate,
    MinuteEstimate,
    OneShotCost,
    ScenarioResult,
    TurnCost,
    to_table,
)
from voicelab.pricing.estimate.s2s import speech_to_speech, speech_to_speech_minute
from voicelab.pricing.estimate.script import (
    RESERVATION_CALL,
    ScriptLine,
    SpokenScript,
    compare_languages,
    speak,
)
from voicelab.pricing.estimate.translation import translation_costs

__all__ = [
    "RESERVATION_CALL",
    "ApproachCost",
    "ConcurrencyEstimate",
    "Conversation",
    "ConversationEstimate",
    "MinuteEstimate",
    "OneShotCost",
    "ScenarioResult",
    "ScriptLine",
    "SpokenScript",
    "TurnCost",
    "chained",
    "compare_approaches",
    "compare_languages",
    "concurrency",
    "current_approaches",
    "default_approaches",
    "one_shot_costs",
    "scenario",
    "speak",
    "speech_to_speech",
    "speech_to_speech_minute",
    "to_table",
    "translation_costs",
]
