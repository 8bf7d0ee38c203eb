"""Does a consent recording read OpenAI's consent phrase? Whisper listens; the texts are compared.

OpenAI refuses a consent recording that does not read its phrase for the language
(:mod:`voicelab.protocol.consent`). Offline, :func:`check_consent` transcribes the recording with Whisper
base (told the language) and measures how far the transcript is from the phrase: the character edit
distance between both texts normalised (:func:`normalise`), over the phrase's length. Japanese is compared
by kana reading (:func:`voicelab.engines.scoring.kana_reading`), because Whisper writes the same sound in
kanji or kana freely; other languages by their letters and digits, case and spaces and punctuation dropped
(so "OpenAI", "Open AI" and "open-AI" are alike).

The recording passes when that error is at most :data:`MAX_PHRASE_ERROR` (0.3). Measured (Whisper base, the
emulator's TTS reading the phrase with alloy, shimmer and onyx): English 0.01–0.02 (Whisper hears "open
air"), Japanese 0.02–0.13 (it hears 所有者 as 初有者, 承認 as 証認); the unrelated weather samples 0.70
(English) to 0.84 (Japanese). Whisper base is far weaker than OpenAI's own check, which refuses "any
divergence": the threshold lets a clear reading through and refuses a different sentence, a phrase with more
said around it, or silence — it is not a test of word-perfect delivery.

Examples
--------
>>> normalise("I consent to Open-AI, using THIS voice.", "en")
'iconsenttoopenaiusingthisvoice'
>>> round(phrase_error("I am the owner of this voice.", "I am the owner of this voice", "en"), 2)
0.0
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from voicelab.protocol.consent import consent_phrase, primary_language
from voicelab.protocol.errors import ProtocolError

__all__ = [
    "MAX_PHRASE_ERROR",
    "MAX_RECORDING_SECONDS",
    "ConsentHeard",
    "check_consent",
    "normalise",
    "phrase_error",
]

MAX_PHRASE_ERROR = 0.3
"""The largest normalised character error between what Whisper heard and the phrase that still passes."""
MAX_RECORDING_SECONDS = 30.0
"""A consent recording is one phrase (6–10 s read aloud); longer ones are refused before Whisper runs."""


@dataclass(frozen=True)
class ConsentHeard:
    """What the check heard: Whisper's transcript and its error against the phrase (0 = the phrase)."""

    transcript: str
    error: float


def normalise(text: str, language: str) -> str:
    """The text as compared: kana reading for Japanese; else letters and digits only, case-folded.

    Examples
    --------
    >>> normalise("私はこの音声の所有者であり、", "ja")
    'わたしはこのおんせいのしょゆうしゃであり'
    >>> normalise("J'autorise OpenAI à utiliser", "fr")
    'jautoriseopenaiàutiliser'
    """
    if primary_language(language) == "ja":
        from voicelab.engines.scoring import kana_reading

        return kana_reading(text)
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def phrase_error(phrase: str, heard: str, language: str) -> float:
    """Character edit distance between ``heard`` and ``phrase`` (both :func:`normalise`-d) over the phrase's
    length; 0 is the phrase exactly, 1 or more shares nothing with it.

    Examples
    --------
    >>> round(phrase_error("I consent to OpenAI", "I consent to open air", "en"), 3)
    0.062
    """
    from voicelab.engines.scoring import edit_distance

    want = normalise(phrase, language)
    return edit_distance(want, normalise(heard, language)) / max(len(want), 1)


def check_consent(y: np.ndarray, sr: int, language: str) -> ConsentHeard:
    """Transcribe a consent recording and check that it reads OpenAI's phrase for ``language``.

    Blocking (Whisper runs here): call it off the event loop.

    Raises
    ------
    ProtocolError
        ``invalid_value`` naming ``language`` (no phrase in that language) or ``recording`` (too long, or it
        does not read the phrase — the message says what was heard).
    """
    phrase = consent_phrase(language)
    seconds = len(y) / sr
    if seconds > MAX_RECORDING_SECONDS:
        raise ProtocolError(
            "invalid_value",
            f"Invalid 'recording': it is {seconds:.1f} s long; a consent recording reads only the consent "
            f"phrase (at most {MAX_RECORDING_SECONDS:.0f} s here).",
            "recording",
        )
    from voicelab.engines import stt

    heard = stt.transcribe(y, sr, language=primary_language(language)).text.strip()
    error = phrase_error(phrase, heard, language)
    if error > MAX_PHRASE_ERROR:
        raise ProtocolError(
            "invalid_value",
            f"Invalid 'recording': it must read only OpenAI's consent phrase for {language!r}: \"{phrase}\". "
            f"The emulator heard \"{heard[:200]}\" (normalised character error {error:.2f}, at most "
            f"{MAX_PHRASE_ERROR} passes).",
            "recording",
        )
    return ConsentHeard(heard, round(error, 3))
