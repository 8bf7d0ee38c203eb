"""Japanese speech with OpenJTalk and the HTS voice "mei" (``pyopenjtalk-plus``), one sentence at a time.

OpenJTalk analyses the text with its MeCab dictionary (kanji readings, accent phrases, は/へ as
particles read "wa"/"e"), and the HTS engine renders the labels with the voice "mei" at 48 kHz. The
dictionary, the voice and the other files the front end reads are checked by SHA-256 before anything loads
them (:func:`voicelab.engines.models.openjtalk_files`); nothing is downloaded.

Voices
    "mei" is one female speaker, so each OpenAI voice name is a rendering of it (:data:`JAPANESE_VOICES`):
    ``half_tone`` shifts the pitch alone (the HTS engine's own control); ``formant`` shifts pitch *and*
    formants (the vocal-tract length a listener hears) the way :mod:`voicelab.engines.tts` does it for
    Piper: the HTS speed is divided by the factor 2^(st/12), and the 48 kHz output is re-labelled as
    48000·2^(st/12) Hz before resampling, so the duration returns to where it was; ``tempo`` is a small pace
    bias. The low voices combine a longer vocal tract (−1 to −2 semitones of formant)
    with a pitch about an octave lower (−8 to −14 half-tones), which sounds male rather than like a slowed
    tape. Larger formant shifts cost Whisper base characters.
Speed
    The HTS engine's frame rate (``speed`` 0.25–4.0 × tempo × the instruction keywords' tempo): natural
    slow and fast speech, the pitch unchanged.

This module renders one sentence; :func:`voicelab.engines.tts.synthesize` and
:func:`~voicelab.engines.tts.synthesize_stream` split the text into sentences and route Japanese here.

Examples
--------
>>> y, labelled_sr = render("こんにちは。", JAPANESE_VOICES["coral"])
>>> labelled_sr, y.dtype.name, 0.5 < len(y) / labelled_sr < 2.0
(48000, 'float32', True)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from voicelab.errors import EngineError

__all__ = ["JAPANESE_VOICES", "NATIVE_RATE", "JapaneseVoice", "pronunciation", "render"]

#: The rate of the HTS voice "mei".
NATIVE_RATE = 48_000


@dataclass(frozen=True)
class JapaneseVoice:
    """How one OpenAI voice name is rendered by OpenJTalk.

    Attributes
    ----------
    name : str
        The OpenAI voice name.
    half_tone : float
        Pitch shift in semitones (HTS ``add_half_tone``; formants unchanged).
    formant : float
        Pitch-and-formant shift in semitones (re-labelled rate, duration compensated).
    tempo : float
        Pace bias (1.0 = mei's own pace; > 1 faster).
    """

    name: str
    half_tone: float
    formant: float
    tempo: float


#: OpenAI voice name → rendering of "mei", from deepest to highest. alloy, the default, is "mei" with formants
#: half a semitone up: of the settings tried, Whisper base understood it best (benchmarks/japanese.py: CER
#: 3.7 % against 5.5 % for "mei" as recorded, which coral is but one half-tone lower). The voices OpenAI
#: describes as male get a longer vocal tract and a pitch about an octave lower.
JAPANESE_VOICES: dict[str, JapaneseVoice] = {
    v.name: v
    for v in (
        JapaneseVoice("onyx", -14.0, -2.0, 0.94),
        JapaneseVoice("cedar", -12.5, -2.0, 1.00),
        JapaneseVoice("echo", -11.0, -1.5, 1.00),
        JapaneseVoice("ash", -9.5, -1.0, 1.08),
        JapaneseVoice("ballad", -8.0, -1.0, 0.90),
        JapaneseVoice("verse", -6.5, -0.5, 1.04),
        JapaneseVoice("fable", -5.0, 0.0, 1.08),
        JapaneseVoice("sage", -2.0, 0.5, 0.92),
        JapaneseVoice("coral", -1.0, 0.0, 1.00),
        JapaneseVoice("alloy", 0.0, 0.5, 1.00),
        JapaneseVoice("marin", 1.0, 0.5, 1.00),
        JapaneseVoice("nova", 2.5, 1.0, 1.06),
        JapaneseVoice("shimmer", 4.0, 1.0, 0.97),
    )
}

_lock = threading.Lock()
_engines: tuple[Any, Any] | None = None


def _load() -> tuple[Any, Any]:
    """The OpenJTalk front end and the HTS engine, on the verified files (once per process)."""
    global _engines
    if _engines is None:
        from .models import openjtalk_files

        files = openjtalk_files()
        try:
            from pyopenjtalk.htsengine import HTSEngine
            from pyopenjtalk.openjtalk import OpenJTalk
        except ImportError as exc:
            raise EngineError("OpenJTalk is not installed — pip install pyopenjtalk-plus") from exc
        try:
            jtalk = OpenJTalk(dn_mecab=str(files.dictionary).encode())
            _engines = (jtalk, HTSEngine(str(files.voice).encode()))
        except RuntimeError as exc:
            raise EngineError(f"OpenJTalk could not load {files.dictionary} / {files.voice}: {exc}") from exc
    return _engines


def render(sentence: str, voice: JapaneseVoice, *, speed: float = 1.0,
           semitones: float = 0.0) -> tuple[np.ndarray, int]:
    """Speak one Japanese sentence; returns (float32 samples, the rate to label them with).

    Parameters
    ----------
    sentence : str
        Japanese text (kanji, kana, digits; one sentence is best — the caller splits longer text).
    voice : JapaneseVoice
        The rendering (:data:`JAPANESE_VOICES`).
    speed : float
        Pace factor (> 1 faster), already combined with any instruction tempo.
    semitones : float
        Extra pitch shift (instruction keywords), added to the voice's ``half_tone``.

    Returns
    -------
    y : np.ndarray, float32, shape (n,)
        Samples in −1…1 (not normalised); empty when the sentence has nothing to say.
    sr : int
        ``48000·2^(formant/12)``: resample from this rate to get the voice's pitch and formants.

    Raises
    ------
    voicelab.errors.ModelIntegrityError
        A dictionary or voice file does not match its SHA-256 (first call).
    """
    import pyopenjtalk

    factor = 2.0 ** (voice.formant / 12.0)
    with _lock:
        jtalk, hts = _load()
        labels = pyopenjtalk.extract_fullcontext(sentence, jtalk=jtalk)
        if len(labels) <= 2:  # only the silences around nothing
            return np.zeros(0, dtype=np.float32), round(NATIVE_RATE * factor)
        hts.set_speed(speed * voice.tempo / factor)
        hts.add_half_tone(voice.half_tone + semitones)
        y = np.asarray(hts.synthesize(labels), dtype=np.float64)
    return (y / 32768.0).astype(np.float32), round(NATIVE_RATE * factor)


def pronunciation(text: str) -> tuple[str, int]:
    """How OpenJTalk reads ``text``: its katakana pronunciation and its number of morae.

    A mora is the unit of Japanese timing: each kana is one (キョ, with its small ョ, is one; ッ, ン and ー
    are one each). Punctuation has none.

    Examples
    --------
    >>> pronunciation("今日はいい天気ですね。")
    ('キョーワイイテンキデスネ', 11)
    """
    import pyopenjtalk

    with _lock:
        jtalk, _ = _load()
        features = pyopenjtalk.run_frontend(text, jtalk=jtalk)
    spoken = [f for f in features if f.get("pos") != "記号"]
    return "".join(f["pron"].replace("’", "") for f in spoken), sum(int(f["mora_size"]) for f in spoken)
