"""A small labelled speech set: English (Piper) and Japanese (OpenJTalk) utterances with known timing.

Each utterance is built from phrases spoken one by one, trimmed to their voiced extent and laid out with a
leading silence, pauses of known length between phrases (300, 600, 900 ms, …) and a trailing silence, so the
speech segments are known to the sample. Every clean utterance also comes as three noisy variants at
20, 10 and 5 dB SNR (seeded white or pink noise, mixed when loaded; SNR = speech-segment power over noise
power).

The clean audio (24 kHz mono 16-bit FLAC) and ``manifest.json`` live in ``data/samples/`` in the repository
and are rebuilt by ``python scripts/make_samples.py``. Outside a checkout (an installed wheel) the set is
built on first use into ``<voicelab cache>/samples``
(see :func:`voicelab.engines.models.cache_root`).
``$VOICELAB_SAMPLES_DIR`` points elsewhere.

Examples
--------
>>> from voicelab import samples
>>> info = samples.manifest()[0]
>>> info.name, info.language, info.sr
('en_weather', 'en', 24000)
>>> audio = samples.load("en_weather_snr10")
>>> audio.sr == 24000 and abs(audio.duration - info.duration) < 1e-3
True
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path

import numpy as np

from voicelab.audio import Audio
from voicelab.errors import ParameterError

__all__ = [
    "SNR_LEVELS",
    "SPECS",
    "SampleInfo",
    "build",
    "frame_labels",
    "labels",
    "load",
    "manifest",
    "samples_dir",
]

SR = 24_000
SNR_LEVELS: tuple[float, ...] = (20.0, 10.0, 5.0)
_TRIM_DB = -40.0  # a phrase's voiced extent: 10 ms frames within 40 dB of its loudest frame
_MANIFEST = "manifest.json"
_REPO_DIR = Path(__file__).resolve().parent.parent / "data" / "samples"
_build_lock = threading.Lock()


@dataclass(frozen=True)
class _Spec:
    name: str
    language: str
    voice: str
    phrases: tuple[str, ...]
    pauses: tuple[float, ...]  # seconds between consecutive phrases
    lead: float
    trail: float
    noise: str  # colour of the noisy variants
    seed: int


#: The utterances (phrases, pauses, silences). Edit and re-run scripts/make_samples.py to change the set.
SPECS: tuple[_Spec, ...] = (
    _Spec("en_weather", "en", "alloy", ("The weather is nice today.", "Let's go for a walk in the park."),
          (0.6,), 0.5, 0.6, "white", 101),
    _Spec("en_directions", "en", "onyx",
          ("Turn left at the next corner.", "Walk two blocks.", "The station is on your right."),
          (0.3, 0.9), 0.8, 0.5, "pink", 102),
    _Spec("en_order", "en", "nova",
          ("I would like a cup of coffee, please.", "Make it a large one.", "Thank you very much."),
          (0.9, 0.3), 0.4, 0.7, "white", 103),
    _Spec("ja_greeting", "ja", "alloy", ("こんにちは。", "今日はいい天気ですね。"),
          (0.6,), 0.6, 0.6, "pink", 104),
    _Spec("ja_station", "ja", "nova",
          ("すみません。", "駅はどこですか。", "まっすぐ行ってください。"),
          (0.3, 0.9), 0.5, 0.8, "white", 105),
    # the English utterances' Japanese counterparts (same pauses), for English/Japanese comparisons
    _Spec("ja_weather", "ja", "marin", ("今日はいい天気ですね。", "公園へ散歩に行きましょう。"),
          (0.6,), 0.5, 0.6, "white", 106),
    _Spec("ja_directions", "ja", "verse",
          ("次の角を左に曲がってください。", "二ブロック歩きます。", "駅は右側にあります。"),
          (0.3, 0.9), 0.8, 0.5, "pink", 107),
    _Spec("ja_order", "ja", "coral",
          ("コーヒーを一杯お願いします。", "大きいサイズでお願いします。", "どうもありがとうございます。"),
          (0.9, 0.3), 0.4, 0.7, "white", 108),
    # sentence-final particles (ね, よ, か) before pauses of 0.5 and 1.2 s, a deep voice
    _Spec("ja_particles", "ja", "onyx",
          ("そうですね。", "明日は雨が降るかもしれませんよ。", "傘を持っていきましょうか。"),
          (0.5, 1.2), 0.5, 0.6, "pink", 109),
    # natural sentences paused at their 読点 (、): 200–400 ms inside a sentence, longer between sentences —
    # where a short silence_duration_ms splits one Japanese sentence into two turns
    _Spec("ja_meeting", "ja", "verse",
          ("明日の会議は、", "午後三時からですよ。", "資料を忘れないでくださいね。"),
          (0.3, 0.8), 0.5, 0.6, "white", 110),
    _Spec("ja_route", "ja", "marin",
          ("この道をまっすぐ行って、", "二つ目の信号を右に曲がると、", "駅が見えますよ。"),
          (0.25, 0.4), 0.6, 0.6, "pink", 111),
    _Spec("ja_reservation", "ja", "alloy", ("すみません、", "今夜七時に、", "二人で予約できますか。"),
          (0.35, 0.2), 0.4, 0.7, "white", 112),
)


@dataclass(frozen=True)
class SampleInfo:
    """One labelled sample (a manifest entry).

    Attributes
    ----------
    name : str
        Unique name, e.g. ``"en_weather"`` or ``"en_weather_snr10"``.
    file : str
        The FLAC file (clean speech) inside :func:`samples_dir`.
    text : str
        What is said (phrases joined by spaces; without them in Japanese).
    language : str
        ISO 639-1 code.
    sr : int
        Sample rate (24000).
    duration : float
        Length in seconds.
    segments : tuple of (float, float)
        Speech segments ``(start, end)`` in seconds, one per phrase.
    pauses : tuple of (float, float)
        The silences between segments ``(start, end)``.
    snr_db : float or None
        Speech-to-noise ratio of the mixture; ``None`` for clean audio.
    noise : str or None
        ``"white"`` or ``"pink"``; ``None`` for clean audio.
    noise_seed : int or None
        Seed of the noise generator.
    engine : str
        The engine that spoke it (:func:`voicelab.engines.tts.engine_for`): ``"piper"``, ``"openjtalk"``.
    voice : str
        The OpenAI voice name used with :func:`voicelab.engines.tts.synthesize`.
    phrases : tuple of str
        The phrase spoken in each segment.
    """

    name: str
    file: str
    text: str
    language: str
    sr: int
    duration: float
    segments: tuple[tuple[float, float], ...]
    pauses: tuple[tuple[float, float], ...]
    snr_db: float | None
    noise: str | None
    noise_seed: int | None
    engine: str
    voice: str
    phrases: tuple[str, ...]

    @staticmethod
    def from_dict(data: dict) -> SampleInfo:
        """Build from a manifest entry (unknown keys are ignored)."""
        known = {f.name for f in fields(SampleInfo)}
        data = {key: value for key, value in data.items() if key in known}
        return SampleInfo(
            **{**data,
               "segments": tuple((float(s), float(e)) for s, e in data["segments"]),
               "pauses": tuple((float(s), float(e)) for s, e in data["pauses"]),
               "phrases": tuple(data["phrases"])})


# --------------------------------------------------------------------------------------------------------
# locating and reading


def samples_dir() -> Path:
    """Directory holding ``manifest.json`` and the FLAC files (built on first use if none exists).

    Returns
    -------
    pathlib.Path
        ``$VOICELAB_SAMPLES_DIR``, else the repository's ``data/samples`` when it has a manifest, else
        ``<voicelab cache>/samples`` (built there on first call).

    Examples
    --------
    >>> (samples_dir() / "manifest.json").is_file()
    True
    """
    explicit = os.environ.get("VOICELAB_SAMPLES_DIR")
    if explicit:
        return Path(explicit).expanduser()
    if (_REPO_DIR / _MANIFEST).is_file():
        return _REPO_DIR
    from voicelab.engines.models import cache_root

    cached = cache_root() / "samples"
    with _build_lock:
        if not (cached / _MANIFEST).is_file():
            build(cached)
    return cached


@lru_cache(maxsize=4)
def _read_manifest(path: Path, mtime_ns: int) -> tuple[SampleInfo, ...]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple(SampleInfo.from_dict(entry) for entry in data["samples"])


def manifest() -> list[SampleInfo]:
    """All samples, clean ones first in each group.

    Returns
    -------
    list of SampleInfo

    Examples
    --------
    >>> names = [s.name for s in manifest()]
    >>> names[:4]
    ['en_weather', 'en_weather_snr20', 'en_weather_snr10', 'en_weather_snr5']
    >>> sorted({s.language for s in manifest()})
    ['en', 'ja']
    """
    path = samples_dir() / _MANIFEST
    return list(_read_manifest(path, path.stat().st_mtime_ns))


def _info(name: str) -> SampleInfo:
    for info in manifest():
        if info.name == name:
            return info
    names = [s.name for s in manifest()]
    raise ParameterError("name", expected=f"a sample name such as {names[0]!r}", got=repr(name),
                         fix=f"pick one of: {', '.join(names)}")


@lru_cache(maxsize=16)
def _read_clean(path: Path) -> np.ndarray:
    import soundfile as sf

    y, sr = sf.read(str(path), dtype="float32", always_2d=False)
    if sr != SR:
        raise ParameterError("file", expected=f"{SR} Hz audio", got=f"{sr} Hz in {path.name}",
                             fix="rebuild with scripts/make_samples.py")
    y.setflags(write=False)
    return y


def load(name: str) -> Audio:
    """The audio of a sample (noise mixed in for the ``_snrNN`` variants).

    Parameters
    ----------
    name : str
        A name from :func:`manifest`.

    Returns
    -------
    voicelab.audio.Audio
        24 kHz mono float32.

    Raises
    ------
    voicelab.errors.ParameterError
        Unknown name (the message lists the known ones).

    Examples
    --------
    >>> y, sr = load("ja_greeting")
    >>> sr, y.dtype.name
    (24000, 'float32')
    """
    info = _info(name)
    clean = _read_clean(samples_dir() / info.file)
    if info.snr_db is None:
        return Audio(clean.copy(), info.sr)
    return Audio(_mix(clean, info), info.sr)


def labels(name: str) -> list[tuple[float, float]]:
    """Speech segments ``(start, end)`` in seconds.

    Examples
    --------
    >>> segments = labels("en_weather")
    >>> len(segments), segments[0][0]
    (2, 0.5)
    """
    return list(_info(name).segments)


def frame_labels(name: str, *, frame_ms: float = 32.0) -> np.ndarray:
    """Per-frame ground truth: True where more than half of a frame lies inside a speech segment.

    Parameters
    ----------
    name : str
        A name from :func:`manifest`.
    frame_ms : float
        Frame length (32 ms = Silero's 512 samples at 16 kHz); frames tile the audio without overlap and a
        last partial frame is dropped.

    Returns
    -------
    ndarray of bool, shape (n_frames,)

    Examples
    --------
    >>> truth = frame_labels("en_weather", frame_ms=20)
    >>> bool(truth[0]), bool(truth[40])  # 0–20 ms is leading silence; 800–820 ms is speech
    (False, True)
    """
    info = _info(name)
    frame = frame_ms / 1000.0
    n_frames = int(info.duration // frame)
    starts = np.arange(n_frames) * frame
    overlap = np.zeros(n_frames)
    for s, e in info.segments:
        overlap += np.clip(np.minimum(starts + frame, e) - np.maximum(starts, s), 0.0, None)
    return overlap > frame / 2


# --------------------------------------------------------------------------------------------------------
# noise


def _noise(kind: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(n)
    if kind == "white":
        return white
    spectrum = np.fft.rfft(white)
    freqs = np.fft.rfftfreq(n)
    freqs[0] = freqs[1]
    pink = np.fft.irfft(spectrum / np.sqrt(freqs), n)  # power ∝ 1/f
    return pink / np.std(pink)


def _speech_power(y: np.ndarray, segments: Sequence[tuple[float, float]], sr: int) -> float:
    parts = [y[round(s * sr):round(e * sr)] for s, e in segments]
    return float(np.mean(np.concatenate(parts).astype(np.float64) ** 2))


def _mix(clean: np.ndarray, info: SampleInfo) -> np.ndarray:
    assert info.snr_db is not None and info.noise is not None and info.noise_seed is not None
    noise = _noise(info.noise, clean.size, info.noise_seed)
    power = _speech_power(clean, info.segments, info.sr)
    noise *= np.sqrt(power / 10.0 ** (info.snr_db / 10.0) / np.mean(noise**2))
    mixed = clean.astype(np.float64) + noise
    peak = np.max(np.abs(mixed))
    if peak > 0.99:  # scale both: the SNR is unchanged
        mixed *= 0.99 / peak
    return mixed.astype(np.float32)


# --------------------------------------------------------------------------------------------------------
# building


def _trim(y: np.ndarray, sr: int) -> np.ndarray:
    hop = sr // 100
    n = len(y) // hop
    if n == 0:
        return y
    rms = np.sqrt(np.mean(y[: n * hop].reshape(n, hop).astype(np.float64) ** 2, axis=1))
    loud = np.nonzero(rms > rms.max() * 10.0 ** (_TRIM_DB / 20.0))[0]
    return y[loud[0] * hop:(loud[-1] + 1) * hop]


def _phrases_audio(spec: _Spec) -> list[np.ndarray]:
    from voicelab.engines import tts

    if spec.language == "en":
        # one seeded Piper session per utterance, one piece per sentence (= phrase)
        pieces = list(tts.synthesize_stream(" ".join(spec.phrases), voice=spec.voice, language="en",
                                            seed=spec.seed))
        if len(pieces) != len(spec.phrases):
            raise RuntimeError(f"{spec.name}: expected {len(spec.phrases)} sentences, "
                               f"Piper made {len(pieces)}")
        return [piece.y for piece in pieces]
    return [tts.synthesize(phrase, voice=spec.voice, language=spec.language).y for phrase in spec.phrases]


def _entry(spec: _Spec, duration: float, segments: list[tuple[float, float]],
           snr_db: float | None) -> dict:
    from voicelab.engines.tts import engine_for

    pauses = [(segments[i][1], segments[i + 1][0]) for i in range(len(segments) - 1)]
    info = SampleInfo(
        name=spec.name if snr_db is None else f"{spec.name}_snr{snr_db:g}",
        file=f"{spec.name}.flac",
        text=("" if spec.language == "ja" else " ").join(spec.phrases),
        language=spec.language,
        sr=SR,
        duration=duration,
        segments=tuple(segments),
        pauses=tuple(pauses),
        snr_db=snr_db,
        noise=None if snr_db is None else spec.noise,
        noise_seed=None if snr_db is None else spec.seed * 100 + int(snr_db),
        engine=engine_for(spec.language),
        voice=spec.voice,
        phrases=spec.phrases,
    )
    return asdict(info)


def _dumps(document: dict) -> str:
    """JSON with one sample per block and each [start, end] pair on one line."""
    text = json.dumps(document, indent=1, ensure_ascii=False)
    text = re.sub(r"\[\s+(-?[\d.]+),\s+(-?[\d.]+)\s+\]", r"[\1, \2]", text)
    return text + "\n"


def build(out_dir: str | os.PathLike[str], *, specs: Sequence[_Spec] = SPECS) -> Path:
    """Synthesise the sample set into ``out_dir`` (FLAC files + ``manifest.json``).

    Parameters
    ----------
    out_dir : path
        Target directory (created).
    specs : sequence
        Utterance specifications; default :data:`SPECS`.

    Returns
    -------
    pathlib.Path
        The manifest's path.

    Examples
    --------
    >>> import tempfile
    >>> path = build(tempfile.mkdtemp())  # doctest: +SKIP
    >>> path.name  # doctest: +SKIP
    'manifest.json'
    """
    import soundfile as sf

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    entries: list[dict] = []
    for spec in specs:
        phrases = [_trim(y, SR) for y in _phrases_audio(spec)]
        gaps = [spec.lead, *spec.pauses, spec.trail]
        if len(gaps) != len(phrases) + 1:
            raise ValueError(f"{spec.name}: {len(phrases)} phrases need {len(phrases) - 1} pauses")
        parts: list[np.ndarray] = []
        segments: list[tuple[float, float]] = []
        position = 0
        for i, phrase in enumerate(phrases):
            silence = np.zeros(round(gaps[i] * SR), dtype=np.float32)
            parts.append(silence)
            position += silence.size
            segments.append((round(position / SR, 6), round((position + phrase.size) / SR, 6)))
            parts.append(phrase)
            position += phrase.size
        parts.append(np.zeros(round(gaps[-1] * SR), dtype=np.float32))
        y = np.concatenate(parts)
        sf.write(str(out / f"{spec.name}.flac"), y, SR, subtype="PCM_16")
        duration = round(y.size / SR, 6)
        for snr in (None, *SNR_LEVELS):
            entries.append(_entry(spec, duration, segments, snr))
    manifest_path = out / _MANIFEST
    document = {
        "description": "voicelab labelled speech set; rebuild with: python scripts/make_samples.py",
        "sr": SR,
        "snr_definition": "10*log10(mean power over speech segments / mean noise power)",
        "samples": entries,
    }
    tmp = manifest_path.with_suffix(".json.tmp")
    tmp.write_text(_dumps(document), encoding="utf-8")
    os.replace(tmp, manifest_path)
    _read_manifest.cache_clear()
    _read_clean.cache_clear()
    return manifest_path
