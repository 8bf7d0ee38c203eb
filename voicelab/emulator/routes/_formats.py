"""Transcript → response bodies: json, text, srt, vtt, verbose_json (segments, words), as OpenAI shapes
them."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["LANGUAGE_NAMES", "WHISPER_LANGUAGES", "language_name", "srt", "text", "verbose", "vtt"]

# ISO 639-1 → the lower-case English names Whisper (and OpenAI's verbose_json) report.
LANGUAGE_NAMES = dict(
    pair.split(":")
    for pair in [
        "en:english",
        "zh:chinese",
        "de:german",
        "es:spanish",
        "ru:russian",
        "ko:korean",
        "fr:french",
        "ja:japanese",
        "pt:portuguese",
        "tr:turkish",
        "pl:polish",
        "ca:catalan",
        "nl:dutch",
        "ar:arabic",
        "sv:swedish",
        "it:italian",
        "id:indonesian",
        "hi:hindi",
        "fi:finnish",
        "vi:vietnamese",
        "he:hebrew",
        "uk:ukrainian",
        "el:greek",
        "ms:malay",
        "cs:czech",
        "ro:romanian",
        "da:danish",
        "hu:hungarian",
        "ta:tamil",
        "no:norwegian",
        "th:thai",
        "ur:urdu",
        "hr:croatian",
        "bg:bulgarian",
        "lt:lithuanian",
        "la:latin",
        "mi:maori",
        "ml:malayalam",
        "cy:welsh",
        "sk:slovak",
        "te:telugu",
        "fa:persian",
        "lv:latvian",
        "bn:bengali",
        "sr:serbian",
        "az:azerbaijani",
        "sl:slovenian",
        "kn:kannada",
        "et:estonian",
        "mk:macedonian",
        "br:breton",
        "eu:basque",
        "is:icelandic",
        "hy:armenian",
        "ne:nepali",
        "mn:mongolian",
        "bs:bosnian",
        "kk:kazakh",
        "sq:albanian",
        "sw:swahili",
        "gl:galician",
        "mr:marathi",
        "pa:punjabi",
        "si:sinhala",
        "km:khmer",
        "sn:shona",
        "yo:yoruba",
        "so:somali",
        "af:afrikaans",
        "oc:occitan",
        "ka:georgian",
        "be:belarusian",
        "tg:tajik",
        "sd:sindhi",
        "gu:gujarati",
        "am:amharic",
        "yi:yiddish",
        "lo:lao",
        "uz:uzbek",
        "fo:faroese",
        "ht:haitian_creole",
        "ps:pashto",
        "tk:turkmen",
        "nn:nynorsk",
        "mt:maltese",
        "sa:sanskrit",
        "lb:luxembourgish",
        "my:myanmar",
        "bo:tibetan",
        "tl:tagalog",
        "mg:malagasy",
        "as:assamese",
        "tt:tatar",
        "haw:hawaiian",
        "ln:lingala",
        "ha:hausa",
        "ba:bashkir",
        "jw:javanese",
        "su:sundanese",
        "yue:cantonese",
    ]
)
WHISPER_LANGUAGES = frozenset(LANGUAGE_NAMES)


def language_name(code: str | None) -> str:
    """``"en"`` → ``"english"`` (unknown codes pass through).

    Examples
    --------
    >>> language_name("ja")
    'japanese'
    """
    if not code:
        return "english"
    return LANGUAGE_NAMES.get(code, code).replace("_", " ")


def _clock(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def text(transcript: Any) -> str:
    """The ``text`` format: the transcript and a newline."""
    return transcript.text.strip() + "\n"


def srt(transcript: Any) -> str:
    """SubRip subtitles, one cue per segment.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> print(srt(NS(segments=[NS(start=0.0, end=1.5, text=" Hello.")])), end="")
    1
    00:00:00,000 --> 00:00:01,500
    Hello.
    """
    cues = [
        f"{i}\n{_clock(s.start, ',')} --> {_clock(s.end, ',')}\n{s.text.strip()}\n"
        for i, s in enumerate(transcript.segments, start=1)
    ]
    return "\n".join(cues)


def vtt(transcript: Any) -> str:
    """WebVTT subtitles, one cue per segment.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> print(vtt(NS(segments=[NS(start=0.0, end=1.5, text=" Hello.")])), end="")
    WEBVTT
    <BLANKLINE>
    00:00:00.000 --> 00:00:01.500
    Hello.
    """
    cues = [
        f"{_clock(s.start, '.')} --> {_clock(s.end, '.')}\n{s.text.strip()}\n" for s in transcript.segments
    ]
    return "WEBVTT\n\n" + "\n".join(cues)


def _segment(s: Any) -> dict[str, Any]:
    return {
        "id": int(s.id),
        "seek": round(s.start * 100),
        "start": round(float(s.start), 3),
        "end": round(float(s.end), 3),
        "text": s.text,
        "tokens": [int(t) for t in (s.tokens or [])],
        "temperature": float(s.temperature),
        "avg_logprob": float(s.avg_logprob),
        "compression_ratio": float(s.compression_ratio),
        "no_speech_prob": float(s.no_speech_prob),
    }


def words_of(transcript: Any) -> list[Any]:
    return [w for s in transcript.segments for w in (s.words or [])]


def verbose(
    transcript: Any, *, task: str, segments: bool = True, words: bool = False, language: str | None = None
) -> dict[str, Any]:
    """``verbose_json``: duration, language name, text, segments and (on request) words."""
    body: dict[str, Any] = {
        "task": task,
        "language": language or language_name(transcript.language),
        "duration": round(float(transcript.duration), 3),
        "text": transcript.text.strip(),
    }
    if segments:
        body["segments"] = [_segment(s) for s in transcript.segments]
    if words:
        body["words"] = [
            {"word": w.word.strip(), "start": round(float(w.start), 3), "end": round(float(w.end), 3)}
            for w in words_of(transcript)
        ]
    body["usage"] = {"type": "duration", "seconds": math.ceil(float(transcript.duration))}
    return body
