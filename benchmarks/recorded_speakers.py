"""Recordings of real people for the diarization benchmark, read from the ``pocketsphinx==5.1.1`` sdist.

The sdist on PyPI ships CMU Sphinx's test recordings (``test/data``; BSD-2-Clause, Carnegie Mellon University;
the LibriVox excerpts are public domain). Three speakers are used, each in several utterances:

- ``reader``: five sentences of *Sense and Sensibility*, chapter 1, read for LibriVox;
- ``cards``: five spoken card names ("ten of clubs", …);
- ``commands``: "go forward ten meters" and two other short commands/numbers (16 kHz raw PCM).

The speakers' names are not documented; that they are three different people follows from the sources and
from the encoder (same-source utterances 0.74–0.92 cosine, cross-source 0.44–0.74; docs/diarization.md).
The wheel does not contain these files, so ``make bench-data`` fetches the sdist once with pip (an install
step; nothing downloads at run time). It also fetches the ``pyannote.audio==4.0.7`` wheel (MIT; never
installed: it needs torch) for the two-person call it ships with reference turns (:func:`load_conversation`).
Each archive and every file are checked by SHA-256 before use.

Examples
--------
>>> sorted(RECORDINGS)
['cards', 'commands', 'reader']
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf

__all__ = ["ARCHIVE_SHA256", "CONVERSATION_FILES", "RECORDINGS", "WHEEL_SHA256", "archive_path",
           "load_conversation", "load_recordings"]

ARCHIVE = "pocketsphinx-5.1.1.tar.gz"
ARCHIVE_SHA256 = "675778b309a22dfc9b7d37f7621976bba491d2a5f8c59696bd77fd6d07271355"
_LIBRIVOX = "test/data/librivox/sense_and_sensibility_01_austen_64kb-"
RECORDINGS: dict[str, tuple[tuple[str, str], ...]] = {
    "reader": (
        (_LIBRIVOX + "0870.wav", "b0557cf95c974d930577e58e46b7f068c432a6e3afcc286563d88922b2a5315c"),
        (_LIBRIVOX + "0880.wav", "fbec491ef00ee734a67f0ee318e98c51c157b479e1629ff4f4426861ecac0414"),
        (_LIBRIVOX + "0890.wav", "5793ffbdee55fb8bfd284943a6866864c832d9d4accf2661cabd39915c84ee10"),
        (_LIBRIVOX + "0920.wav", "40882414ef4cc51f3ff7a63bad0c8c87e7f595ffeb8209fbf756c8ebc5c28a59"),
    ),
    "cards": (
        ("test/data/cards/001.wav", "899951e768666f27c8f8b1d4090b96fe7909cae9cec01bec0a5d5d1b8a8d566e"),
        ("test/data/cards/002.wav", "a3f9eae6fdb69a1231989e39a14d62388a6f52fb59666c76d95005318fadafec"),
        ("test/data/cards/003.wav", "00d283e46bc257ae479e4aa86593cadb541656eba1d19fc8abeece37f6a5a18b"),
        ("test/data/cards/005.wav", "090f18f5f76cf8b2b43cd9e6b07823f4685a4742d9a36cd98b174a6586c18cf9"),
    ),
    "commands": (
        ("test/data/goforward.raw", "f15c60ec54059d8b66e410d0064945a0b0a04ea56e1ddca1958e493c0cf70e71"),
        ("test/data/numbers.raw", "45b5f6d3f88e36dd55b025cc9e8f1cae567583ea93f554ecdff6d09e6dd4577d"),
        ("test/data/something.raw", "eb95b74ce3f3037487e49dcfd935bbcf8c158b5f4083dd19451729c3ee694f5f"),
    ),
}
RAW_RATE = 16000
WHEEL = "pyannote_audio-4.0.7-py3-none-any.whl"
WHEEL_SHA256 = "852ea15c4d85bc34773e618267603ffca6a521669a74d33742692cc67fc700d6"
CONVERSATION_FILES = {
    "pyannote/audio/sample/sample.wav": "c319b4abca767b124e41432d364fd7df006cb26bb79d09326c487d606a134e6e",
    "pyannote/audio/sample/sample.rttm": "d78fe62c69d8e6dcbb42c26adfce83faccb374c5a1e6d987fe37f85f1c173c87",
}


def archive_path(name: str = ARCHIVE) -> Path:
    """Where ``make bench-data`` puts ``name`` (in ``$VOICELAB_BENCH_DATA`` or ``.cache/bench-data``).

    Examples
    --------
    >>> archive_path().name
    'pocketsphinx-5.1.1.tar.gz'
    """
    default = Path(__file__).resolve().parent.parent / ".cache" / "bench-data"
    return Path(os.environ.get("VOICELAB_BENCH_DATA") or default) / name


def _checked(path: Path, digest: str) -> bytes:
    blob = path.read_bytes()
    if _sha256(blob) != digest:
        raise ValueError(f"{path}: SHA-256 differs from the pinned digest")
    return blob


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decode(name: str, data: bytes) -> tuple[np.ndarray, int]:
    if name.endswith(".raw"):
        return np.frombuffer(data, "<i2").astype(np.float32) / 32768.0, RAW_RATE
    y, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return y[:, 0], int(sr)


def load_recordings(path: Path | None = None) -> dict[str, list[tuple[np.ndarray, int]]]:
    """Each speaker's utterances as ``(samples, rate)``, after checking every SHA-256.

    Raises ``FileNotFoundError`` when the sdist is absent and ``ValueError`` when a digest differs.
    """
    path = path or archive_path()
    blob = _checked(path, ARCHIVE_SHA256)
    out: dict[str, list[tuple[np.ndarray, int]]] = {}
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as archive:
        for speaker, files in RECORDINGS.items():
            for name, digest in files:
                member = archive.extractfile(f"pocketsphinx-5.1.1/{name}")
                if member is None:
                    raise ValueError(f"{name}: not a file in {path.name}")
                data = member.read()
                if _sha256(data) != digest:
                    raise ValueError(f"{name}: SHA-256 differs from the pinned digest")
                out.setdefault(speaker, []).append(_decode(name, data))
    return out


def load_conversation(path: Path | None = None) -> tuple[np.ndarray, int, list[tuple[float, float, str]]]:
    """The 30 s two-person telephone call in the ``pyannote.audio==4.0.7`` wheel, with its reference turns.

    Returns ``(samples, rate, turns)``, turns as ``(start_s, end_s, speaker)`` from the wheel's RTTM file.
    """
    path = path or archive_path(WHEEL)
    with zipfile.ZipFile(io.BytesIO(_checked(path, WHEEL_SHA256))) as wheel:
        data = {}
        for name, digest in CONVERSATION_FILES.items():
            data[name] = wheel.read(name)
            if _sha256(data[name]) != digest:
                raise ValueError(f"{name}: SHA-256 differs from the pinned digest")
    wav, rttm = data.values()
    y, sr = _decode("sample.wav", wav)
    turns = []
    for line in rttm.decode().splitlines():
        fields = line.split()
        start, length = float(fields[3]), float(fields[4])
        turns.append((start, start + length, fields[7]))
    return y, sr, turns
