"""Text-to-speech for the emulator: Piper (English), OpenJTalk (Japanese), eSpeak NG (other languages).

Output is always 24 kHz mono float32 (:class:`voicelab.audio.Audio`), the rate OpenAI's PCM output uses.

Engines
    :func:`engine_for` picks one per language: ``"piper"`` (en_US-joe-medium) for English,
    ``"openjtalk"`` (:mod:`voicelab.engines.tts_openjtalk`, the HTS voice "mei") for Japanese, ``"espeak"``
    (eSpeak NG) for every other language. ``engine=`` overrides the choice (e.g. eSpeak NG's Japanese,
    for comparison).
Voices
    The 13 OpenAI voice names map to :class:`VoiceSpec` renderings (:data:`VOICES`). With Piper each voice
    shifts pitch (and formants) by a number of semitones: the 22.05 kHz output is re-labelled as
    ``22050·2^(st/12)`` Hz and resampled to 24 kHz, while Piper's ``length_scale`` is multiplied by the same
    factor so the tempo stays put, and a small tempo bias. By default Piper runs without its sampling noise
    (``noise_scale = noise_w = 0``), so the same text and voice always give the same audio — the emulator is
    deterministic and Whisper hears it the same way every time. With ``seed=`` the voice's own
    ``noise_scale`` / ``noise_w`` (how varied the intonation and phoneme durations are) are used, seeded.
    With OpenJTalk each voice is a half-tone, formant and tempo setting of "mei"
    (:data:`voicelab.engines.tts_openjtalk.JAPANESE_VOICES`). With eSpeak NG each voice picks a voice
    variant (``+m1`` … ``+f5``) and pitch/range settings.
Speed
    ``speed`` (0.25–4.0). Piper: below 1 it divides Piper's ``length_scale`` (natural slow speech; 0.5 gives
    about 1.8× the duration); above 1 the audio is time-stretched at constant pitch with FFmpeg's ``atempo``
    (Piper cannot make phonemes shorter than one frame, so ``length_scale`` alone reaches only ~2× at 4.0).
    OpenJTalk: the HTS engine's own frame rate, over the whole range.
    eSpeak NG: its rate, 80–450 words/min (175 = 1×); the part outside that range is time-stretched.
Instructions
    A few keywords in ``instructions`` have a measurable effect (see :data:`INSTRUCTION_KEYWORDS`): slow/fast,
    high/deep, quiet/soft/whisper. Everything else is accepted and ignored (OpenAI's gpt-4o-mini-tts
    steers tone with it; these engines cannot).
Japanese
    OpenJTalk reads kanji with its dictionary (and pyopenjtalk-plus's Sudachi-based corrections), speaks the
    particles は/へ as "wa"/"e" and phrases the sentence with Japanese accent: Whisper base transcribes it
    back almost exactly (see ``benchmarks/japanese.py``). eSpeak NG (``engine="espeak"``) is kept for
    comparison: it reads kana but speaks each kanji as "Chinese letter", so kanji are first converted to
    hiragana with ``pykakasi`` and the particles は/へ become わ/え; its voice stays robotic and Whisper base
    recovers only part of it.

Engines load lazily, once per process, under a lock; synthesis is thread-safe.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from voicelab.audio import Audio, resample
from voicelab.errors import EngineError, ParameterError

from .espeak import MAX_RATE, MIN_RATE, EspeakParams, espeak
from .stretch import time_stretch
from .tts_openjtalk import JAPANESE_VOICES
from .tts_openjtalk import render as openjtalk_render

__all__ = [
    "ENGINES",
    "INSTRUCTION_KEYWORDS",
    "LANGUAGES",
    "OUTPUT_RATE",
    "VOICES",
    "VoiceSpec",
    "detect_language",
    "engine_for",
    "synthesize",
    "synthesize_stream",
]

OUTPUT_RATE = 24_000
#: The engines :func:`synthesize` can use (``engine=``).
ENGINES = ("piper", "openjtalk", "espeak")
MIN_SPEED, MAX_SPEED = 0.25, 4.0
_PEAK = 0.89  # −1 dBFS, leaves room for resampler overshoot
_ESPEAK_BASE_RATE = 175  # words per minute at speed 1.0


@dataclass(frozen=True)
class VoiceSpec:
    """How one OpenAI voice name is rendered.

    Attributes
    ----------
    name : str
        The OpenAI voice name.
    semitones : float
        Piper pitch/formant shift (resampling with tempo compensation).
    tempo : float
        Tempo bias (1.0 = Piper's default pace; > 1 faster).
    noise_scale, noise_w : float
        Piper generator noise and phoneme-duration noise (intonation/rhythm variety).
    espeak_variant : str
        eSpeak NG voice variant appended as ``lang+variant`` ("" = the language's default voice).
    espeak_pitch, espeak_range : int
        eSpeak NG base pitch and pitch range, 0–100.
    character : str
        A few words on how it sounds.
    """

    name: str
    semitones: float
    tempo: float
    noise_scale: float
    noise_w: float
    espeak_variant: str
    espeak_pitch: int
    espeak_range: int
    character: str


def _v(name: str, st: float, tempo: float, ns: float, nw: float, variant: str, pitch: int, rng: int,
       character: str) -> VoiceSpec:
    return VoiceSpec(name, st, tempo, ns, nw, variant, pitch, rng, character)


#: OpenAI voice name → rendering. Ordered from deepest to highest.
VOICES: dict[str, VoiceSpec] = {
    v.name: v
    for v in (
        _v("onyx", -4.0, 0.95, 0.50, 0.60, "m6", 25, 40, "deepest, slow, steady"),
        _v("cedar", -3.2, 1.00, 0.60, 0.70, "m8", 30, 45, "deep, even"),
        _v("echo", -2.4, 1.00, 0.667, 0.80, "m1", 35, 50, "low, neutral"),
        _v("ash", -1.6, 1.05, 0.75, 0.90, "m3", 40, 60, "low-mid, brisk"),
        _v("ballad", -0.8, 0.90, 0.80, 1.00, "m7", 45, 80, "low-mid, slow, lilting"),
        _v("alloy", 0.0, 1.00, 0.667, 0.80, "", 50, 50, "Piper joe as trained"),
        _v("verse", 0.8, 1.00, 0.85, 1.10, "m4", 50, 75, "mid, most varied rhythm"),
        _v("fable", 1.6, 1.05, 0.70, 0.90, "m5", 55, 60, "mid-high, lively"),
        _v("sage", 2.4, 0.95, 0.55, 0.60, "f3", 45, 40, "mid-high, calm, flat"),
        _v("coral", 3.2, 1.00, 0.70, 0.85, "f2", 50, 60, "high, warm"),
        _v("marin", 4.0, 1.00, 0.667, 0.80, "f5", 55, 50, "high, clear"),
        _v("nova", 4.8, 1.05, 0.75, 0.90, "f1", 60, 60, "higher, bright"),
        _v("shimmer", 5.6, 1.00, 0.80, 0.90, "f4", 65, 70, "highest, airy"),
    )
}

#: ISO 639-1 code → eSpeak NG voice. "en" is spoken by Piper and "ja" by OpenJTalk unless ``engine="espeak"``.
LANGUAGES: dict[str, str] = {
    "en": "en-us", "ja": "ja", "zh": "cmn", "ko": "ko", "es": "es", "fr": "fr", "de": "de", "it": "it",
    "pt": "pt", "nl": "nl", "ru": "ru", "uk": "uk", "pl": "pl", "cs": "cs", "sv": "sv", "da": "da",
    "nb": "nb", "no": "nb", "fi": "fi", "el": "el", "tr": "tr", "ar": "ar", "he": "he", "hi": "hi",
    "th": "th", "vi": "vi", "id": "id", "ms": "ms", "hu": "hu", "ro": "ro", "bg": "bg", "hr": "hr",
    "sk": "sk", "sl": "sl", "sr": "sr", "ca": "ca", "fa": "fa", "ur": "ur", "bn": "bn", "ta": "ta",
    "et": "et", "lv": "lv", "lt": "lt", "af": "af", "sw": "sw", "cy": "cy", "ga": "ga", "is": "is",
}


@dataclass(frozen=True)
class _Tweak:
    tempo: float = 1.0
    semitones: float = 0.0
    gain_db: float = 0.0


#: Keyword in ``instructions`` (case-insensitive; a whole word, optionally + ly/er/est/ed/ing/s) → effect.
INSTRUCTION_KEYWORDS: dict[str, dict[str, float]] = {
    "slow": {"tempo": 0.75}, "calm": {"tempo": 0.9}, "relaxed": {"tempo": 0.9},
    "fast": {"tempo": 1.25}, "quick": {"tempo": 1.25}, "rapid": {"tempo": 1.25}, "urgent": {"tempo": 1.15},
    "excited": {"tempo": 1.1, "semitones": 1.0},
    "high": {"semitones": 2.0}, "deep": {"semitones": -2.0}, "low-pitch": {"semitones": -2.0},
    "lower pitch": {"semitones": -2.0},
    "whisper": {"gain_db": -12.0}, "quiet": {"gain_db": -9.0}, "soft": {"gain_db": -6.0},
}


def _instruction_tweak(instructions: str | None) -> _Tweak:
    if not instructions:
        return _Tweak()
    text = instructions.lower()
    tempo, semitones, gain_db = 1.0, 0.0, 0.0
    for word, effect in INSTRUCTION_KEYWORDS.items():
        if re.search(rf"\b{re.escape(word)}(?:ly|er|est|ed|ing|s)?\b", text):
            tempo *= effect.get("tempo", 1.0)
            semitones += effect.get("semitones", 0.0)
            gain_db = min(gain_db, effect.get("gain_db", 0.0))
    return _Tweak(tempo=tempo, semitones=semitones, gain_db=gain_db)


# --------------------------------------------------------------------------------------------------------
# language detection


_SCRIPT_LANG = (
    (re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]"), "ja"),  # kana
    (re.compile(r"[\uac00-\ud7af\u1100-\u11ff]"), "ko"),
    (re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]"), "zh"),  # Han without kana
    (re.compile(r"[\u0400-\u04ff]"), "ru"),
    (re.compile(r"[\u0370-\u03ff]"), "el"),
    (re.compile(r"[\u0590-\u05ff]"), "he"),
    (re.compile(r"[\u0600-\u06ff]"), "ar"),
    (re.compile(r"[\u0900-\u097f]"), "hi"),
    (re.compile(r"[\u0e00-\u0e7f]"), "th"),
)

def _words(text: str) -> list[str]:
    return text.split()


_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(_words("the and is are you of to in it that this with for on was what how")),
    "es": frozenset(_words("el la los las es son de que y en un una por para con cómo qué está hola")),
    "fr": frozenset(_words("le la les est sont de des et en un une pour avec que qui je vous bonjour merci")),
    "de": frozenset(_words("der die das ist sind und zu ein eine nicht mit ich sie wie guten danke auf")),
    "it": frozenset(_words("il lo la gli le è sono di che e un una per con non ciao grazie come")),
    "pt": frozenset(_words("o a os as é são de que e um uma para com não olá obrigado como você")),
    "nl": frozenset(_words("de het een is zijn en van dat niet met ik je hoe dank goedemorgen")),
}
_ACCENT_HINTS = {"ñ": "es", "¿": "es", "¡": "es", "ß": "de", "ä": "de", "ö": "de", "ü": "de",
                 "ç": "fr", "è": "fr", "ê": "fr", "à": "fr", "ã": "pt", "õ": "pt", "ì": "it", "ò": "it"}


def detect_language(text: str) -> str:
    """Guess the ISO 639-1 language of ``text`` (script first, then common words).

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        ``"ja"`` if it has kana, ``"zh"`` for Han without kana, ``"ko"``, ``"ru"``, … by script; for Latin
        text the language whose common words (and accents) occur most among en es fr de it pt nl;
        ``"en"`` when nothing decides.

    Examples
    --------
    >>> detect_language("今日はいい天気です")
    'ja'
    >>> detect_language("¿Dónde está la estación?")
    'es'
    >>> detect_language("The weather is nice today.")
    'en'
    """
    for pattern, lang in _SCRIPT_LANG:
        if pattern.search(text):
            return lang
    lowered = text.lower()
    words = re.findall(r"[^\W\d_]+", lowered)
    scores = {lang: sum(word in stop for word in words) for lang, stop in _STOPWORDS.items()}
    for char, lang in _ACCENT_HINTS.items():
        if char in lowered:
            scores[lang] += 1
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] > scores["en"] else "en"


def engine_for(language: str) -> str:
    """Which engine speaks ``language``: ``"piper"`` (en), ``"openjtalk"`` (ja), else ``"espeak"``.

    Examples
    --------
    >>> engine_for("en"), engine_for("ja"), engine_for("es")
    ('piper', 'openjtalk', 'espeak')
    """
    return {"en": "piper", "ja": "openjtalk"}.get(language, "espeak")


# --------------------------------------------------------------------------------------------------------
# text handling

_SENTENCE_END = re.compile(r"(?<=[.!?。！？…])[\"'”’」』)\]]*\s+|(?<=[。！？])|\n+")


def _sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE_END.split(text)]
    return [p for p in parts if p and re.search(r"\w", p)]


_kakasi: Any = None
_kakasi_lock = threading.Lock()
_HAS_KANJI = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf々]")


_PARTICLE = re.compile(r"([はへ])(?=[\s、。，,.!?！？]|$)")


def _particles(text: str) -> str:
    """Word-final は/へ are the particles "wa"/"e" (eSpeak NG reads the letters: "ha"/"he")."""
    return _PARTICLE.sub(lambda m: "わ" if m.group(1) == "は" else "え", text)


def _to_kana(text: str) -> str:
    """Japanese text → what eSpeak NG reads best: kanji → hiragana (pykakasi), particles は/へ → わ/え."""
    global _kakasi
    if not _HAS_KANJI.search(text):
        return _particles(text)
    with _kakasi_lock:
        if _kakasi is None:
            try:
                import pykakasi
            except ImportError:
                _kakasi = False
            else:
                _kakasi = pykakasi.kakasi()
        if _kakasi is False:
            return _particles(text)
        items = _kakasi.convert(text)
    out = []
    for item in items:
        orig, hira = item["orig"], item["hira"]
        if orig in ("は", "へ"):  # pykakasi splits most particles off
            out.append("わ" if orig == "は" else "え")
        elif _HAS_KANJI.search(orig):
            reading = hira
            if orig.endswith("は") and reading.endswith("は"):
                reading = reading[:-1] + "わ"
            out.append(reading)
        else:
            out.append(orig)
    return _particles("".join(out))


# --------------------------------------------------------------------------------------------------------
# Piper

_piper_voice: Any = None
_piper_lock = threading.Lock()


def _load_piper(seed: int | None = None) -> Any:
    try:
        import onnxruntime
        from piper import PiperVoice
    except ImportError as exc:
        raise EngineError("Piper is not installed — pip install piper-tts") from exc
    from .models import piper_voice_files

    files = piper_voice_files()
    if seed is not None:
        # onnxruntime seeds the random kernels (the VITS noise) when the session is created. Every kernel
        # gets the same seed, so their noise is correlated; some seeds give slightly worse speech (see
        # docs/engines.md). Kept as is: the committed sample set was built this way.
        onnxruntime.set_seed(int(seed))
    return PiperVoice.load(files.model, config_path=files.config)


def _piper(seed: int | None = None) -> Any:
    global _piper_voice
    if seed is not None:
        with _piper_lock:
            return _load_piper(seed)
    if _piper_voice is None:
        with _piper_lock:
            if _piper_voice is None:
                _piper_voice = _load_piper()
    return _piper_voice


def _piper_sentences(text: str, spec: VoiceSpec, speed: float, tweak: _Tweak,
                     seed: int | None) -> Iterator[np.ndarray]:
    from piper import SynthesisConfig

    voice = _piper(seed)
    native_sr = voice.config.sample_rate
    factor = 2.0 ** ((spec.semitones + tweak.semitones) / 12.0)
    tempo = speed * tweak.tempo
    # slower: Piper lengthens phonemes itself (natural); faster: Piper cannot shorten phonemes below one
    # frame, so the rest is done by a pitch-preserving time stretch (exact durations)
    slower, stretch = min(tempo, 1.0), max(tempo, 1.0)
    length_scale = voice.config.length_scale * factor / (slower * spec.tempo)
    # unseeded: no sampling noise at all, so the output is the same on every call (deterministic emulator);
    # seeded: the voice's own noise, reproducible through onnxruntime's seed
    noise_scale, noise_w = (spec.noise_scale, spec.noise_w) if seed is not None else (0.0, 0.0)
    config = SynthesisConfig(length_scale=length_scale, noise_scale=noise_scale,
                             noise_w_scale=noise_w, normalize_audio=False)
    labelled_sr = round(native_sr * factor)
    for phonemes in voice.phonemize(text):
        if not phonemes:
            continue
        audio = np.asarray(voice.phoneme_ids_to_audio(voice.phonemes_to_ids(phonemes), config),
                           dtype=np.float32).reshape(-1)
        if audio.size == 0:
            continue
        yield _finish(audio, labelled_sr, tweak, stretch)


# --------------------------------------------------------------------------------------------------------
# OpenJTalk


def _openjtalk_sentences(text: str, spec: VoiceSpec, speed: float, tweak: _Tweak) -> Iterator[np.ndarray]:
    voice = JAPANESE_VOICES[spec.name]
    for sentence in _sentences(text):
        y, labelled_sr = openjtalk_render(sentence, voice, speed=speed * tweak.tempo,
                                          semitones=tweak.semitones)
        if y.size:
            yield _finish(y, labelled_sr, tweak)


# --------------------------------------------------------------------------------------------------------
# eSpeak NG


def _espeak_sentences(text: str, language: str, spec: VoiceSpec, speed: float,
                      tweak: _Tweak) -> Iterator[np.ndarray]:
    base = LANGUAGES.get(language, language)
    voice = f"{base}+{spec.espeak_variant}" if spec.espeak_variant else base
    wanted_rate = _ESPEAK_BASE_RATE * speed * spec.tempo * tweak.tempo
    rate = min(max(round(wanted_rate), MIN_RATE), MAX_RATE)
    residual = wanted_rate / rate  # outside 80–450 words/min: pitch-preserving time stretch
    pitch = int(np.clip(spec.espeak_pitch + 5 * tweak.semitones, 0, 100))
    params = EspeakParams(voice=voice, rate=rate, pitch=pitch, pitch_range=spec.espeak_range)
    if language == "ja":
        text = _to_kana(text)
    for sentence in _sentences(text):
        pcm, sr = espeak.synthesize(sentence, params)
        if pcm.size == 0:
            continue
        y = pcm.astype(np.float32) / 32768.0
        yield _finish(y, sr, tweak, residual)


def _finish(y: np.ndarray, labelled_sr: int, tweak: _Tweak, stretch: float = 1.0) -> np.ndarray:
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak > 1e-6:
        y = y * (_PEAK / peak)
    y = resample(y.astype(np.float32), labelled_sr, OUTPUT_RATE)
    if abs(stretch - 1.0) > 1e-3:
        y = time_stretch(y, OUTPUT_RATE, stretch)
    if tweak.gain_db:
        y = y * np.float32(10.0 ** (tweak.gain_db / 20.0))
    return np.clip(y, -1.0, 1.0).astype(np.float32)


# --------------------------------------------------------------------------------------------------------
# public API


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _check(text: str, voice: str, speed: float, language: str | None,
           engine: str | None = None) -> tuple[VoiceSpec, float, str, str]:
    if not isinstance(text, str) or not re.search(r"\w", text):
        raise ParameterError("text", expected="text with at least one word",
                             got=repr(text)[:40] if isinstance(text, str) else type(text).__name__)
    name = voice.lower() if isinstance(voice, str) else voice
    if name not in VOICES:
        raise ParameterError("voice", expected=f"one of {', '.join(VOICES)}", got=repr(voice),
                             fix="pass voice='alloy'")
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not MIN_SPEED <= speed <= MAX_SPEED:
        raise ParameterError("speed", expected=f"a number from {MIN_SPEED} to {MAX_SPEED}", got=repr(speed),
                             fix="pass speed=1.0")
    if language is not None and not isinstance(language, str):
        raise ParameterError("language", expected="an ISO 639-1 code such as 'en' or 'ja'",
                             got=type(language).__name__)
    lang = (language or detect_language(text)).lower().split("-")[0].split("_")[0]
    if lang not in LANGUAGES and not espeak.has_voice(lang):
        raise ParameterError("language",
                             expected="an ISO 639-1 code eSpeak NG speaks (en, ja, es, fr, de, …)",
                             got=repr(language), fix="pass language=None to detect it from the text")
    chosen = engine_for(lang) if engine is None else engine
    if chosen not in (engine_for(lang), "espeak"):
        fits = dict.fromkeys((engine_for(lang), "espeak"))
        raise ParameterError("engine", expected=f"None or one of {', '.join(fits)} for language {lang!r}",
                             got=repr(engine), fix="pass engine=None (the best engine for the language)")
    return VOICES[name], float(speed), lang, chosen


def synthesize_stream(text: str, *, voice: str = "alloy", speed: float = 1.0, language: str | None = None,
                      instructions: str | None = None, seed: int | None = None,
                      engine: str | None = None, semitones: float = 0.0) -> Iterator[Audio]:
    """Speak ``text`` sentence by sentence, yielding 24 kHz mono pieces as soon as each is ready.

    Parameters
    ----------
    text : str
        What to say.
    voice : str
        One of the 13 OpenAI voice names (:data:`VOICES`).
    speed : float
        0.25–4.0; 2.0 takes about half as long.
    language : str, optional
        ISO 639-1 code; ``None`` detects it (:func:`detect_language`: any kana means Japanese). ``"en"`` uses
        Piper, ``"ja"`` OpenJTalk, others eSpeak NG.
    instructions : str, optional
        Keywords from :data:`INSTRUCTION_KEYWORDS` change tempo, pitch or level; the rest is ignored.
    seed : int, optional
        ``None`` (the default): Piper without sampling noise — the same audio on every call, the flattest
        intonation. An int: the voice's VITS noise (livelier intonation and rhythm), reproducible: the text is
        spoken by a fresh ONNX session created after ``onnxruntime.set_seed(seed)`` (about 0.5 s extra).
        eSpeak NG ignores it (its wave
        generator keeps some state, so its output may vary by a few milliseconds from call to call).
        OpenJTalk is deterministic and ignores it.
    engine : {None, "piper", "openjtalk", "espeak"}
        ``None`` (the default) picks :func:`engine_for` the language; ``"espeak"`` forces eSpeak NG (any
        language, e.g. to compare its Japanese with OpenJTalk's).
    semitones : float
        An extra pitch shift on top of the voice's own (a custom voice's rendering,
        :mod:`voicelab.engines.voice_profile`), −12…12.

    Yields
    ------
    voicelab.audio.Audio
        One piece per sentence, ``sr == 24000``.

    Raises
    ------
    voicelab.errors.ParameterError
        Empty text, unknown voice, speed out of range, unknown language, an engine that does not speak the
        language (raised before any audio).

    Examples
    --------
    >>> pieces = list(synthesize_stream("Hello there. How are you?"))  # doctest: +SKIP
    >>> len(pieces), pieces[0].sr  # doctest: +SKIP
    (2, 24000)
    """
    spec, speed, lang, chosen = _check(text, voice, speed, language, engine)
    if not -12.0 <= float(semitones) <= 12.0:
        raise ParameterError("semitones", expected="a shift between -12 and 12", got=repr(semitones))
    tweak = _instruction_tweak(instructions)
    if semitones:
        tweak = _Tweak(tempo=tweak.tempo, semitones=tweak.semitones + float(semitones), gain_db=tweak.gain_db)
    return _stream(text, spec, speed, lang, chosen, tweak, seed)


def _stream(text: str, spec: VoiceSpec, speed: float, lang: str, engine: str, tweak: _Tweak,
            seed: int | None) -> Iterator[Audio]:
    text = unicodedata.normalize("NFKC", text) if lang != "ja" else text
    text = _CONTROL_CHARS.sub(" ", text)  # a NUL would end the engines' C strings (ValueError): not speech
    pieces: Iterator[np.ndarray]
    if engine == "piper":
        text = text.replace("[[", "[ [").replace("]]", "] ]")  # Piper reads [[ … ]] as raw phonemes
        pieces = _piper_sentences(text, spec, speed, tweak, seed)
    elif engine == "openjtalk":
        pieces = _openjtalk_sentences(text, spec, speed, tweak)
    else:
        pieces = _espeak_sentences(text, lang, spec, speed, tweak)
    for y in pieces:
        yield Audio(y, OUTPUT_RATE)


def synthesize(text: str, *, voice: str = "alloy", speed: float = 1.0, language: str | None = None,
               instructions: str | None = None, seed: int | None = None, engine: str | None = None,
               semitones: float = 0.0) -> Audio:
    """Speak ``text``; returns the whole utterance as 24 kHz mono :class:`~voicelab.audio.Audio`.

    Same parameters as :func:`synthesize_stream` (whose pieces this concatenates).

    Examples
    --------
    >>> audio = synthesize("Hello from the offline emulator.", voice="nova")  # doctest: +SKIP
    >>> audio.sr, round(audio.duration, 1)  # doctest: +SKIP
    (24000, 2.1)
    >>> synthesize("こんにちは。今日はいい天気ですね。", voice="marin").sr  # OpenJTalk  # doctest: +SKIP
    24000
    """
    pieces = [piece.y for piece in synthesize_stream(text, voice=voice, speed=speed, language=language,
                                                       instructions=instructions, seed=seed, engine=engine,
                                                       semitones=semitones)]
    if not pieces:
        raise EngineError(f"the TTS engine produced no audio for {text[:40]!r}")
    return Audio(np.concatenate(pieces), OUTPUT_RATE)
