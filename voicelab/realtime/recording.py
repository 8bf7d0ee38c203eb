"""Session recordings: input and output audio as WAV, the event log as JSONL; and :func:`replay`.

Everything is written incrementally and kept consistent after every write, so a kernel interrupted (or killed)
mid-conversation leaves valid files holding everything written so far:

- ``input.wav`` / ``output.wav``: 24 kHz mono PCM16, written by libsndfile (:mod:`soundfile`). Samples are
  appended and the RIFF/data sizes in the header are rewritten after each append, so the header never
  disagrees with the data on disk.
- ``events.jsonl``: one JSON object per line, written whole and flushed; a line is never left half-written on
  purpose (a torn last line from a power cut is skipped by :func:`replay`). Base64 audio is not repeated
  in the
  log: audio events carry ``audio_bytes`` and the ``offset_ms`` of their audio in the WAV file instead.
- ``meta.json``: written atomically (temporary file + rename) when the recording starts and when it ends.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "rec"
>>> with RecordingWriter(folder) as rec:
...     _ = rec.input(b"\\x00\\x01" * 2400)
...     rec.log({"type": "session.created"}, t=0.5, direction="server")
>>> r = replay(folder)
>>> r.input.duration, r.events[0]["type"], r.events[0]["t"]
(0.1, 'session.created', 0.5)
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import soundfile

from voicelab.audio import Audio, from_pcm16
from voicelab.errors import ParameterError
from voicelab.protocol.formats import PCM_RATE

__all__ = ["Recording", "RecordingWriter", "WavAppender", "replay", "strip_audio"]

RATE = PCM_RATE
_AUDIO_FIELDS = {"input_audio_buffer.append": "audio", "response.output_audio.delta": "delta"}


#: libsndfile's ``SFC_SET_UPDATE_HEADER_AUTO`` (sndfile.h): rewrite the header after every write.
_SFC_SET_UPDATE_HEADER_AUTO = 0x1061


class WavAppender:
    """A mono PCM16 WAV file that grows by appends and is valid after every one.

    Written by libsndfile through :mod:`soundfile`, told to rewrite the RIFF/data sizes after each write
    (``SFC_SET_UPDATE_HEADER_AUTO``), so a reader that trusts the header sees every sample appended so far.

    Examples
    --------
    >>> import tempfile, soundfile
    >>> path = tempfile.mktemp(suffix=".wav")
    >>> wav = WavAppender(path, rate=24000)
    >>> wav.append(b"\\x10\\x00" * 480)
    >>> soundfile.info(path).frames  # readable before close
    480
    >>> wav.close()
    """

    def __init__(self, path: str | os.PathLike[str], *, rate: int = RATE) -> None:
        self.path = Path(path)
        self.rate = int(rate)
        self.n_bytes = 0
        self._file: soundfile.SoundFile | None = soundfile.SoundFile(
            self.path, "w", samplerate=self.rate, channels=1, subtype="PCM_16", format="WAV"
        )
        # soundfile has no wrapper for this libsndfile command; its own cffi handle calls it
        soundfile._snd.sf_command(self._file._file, _SFC_SET_UPDATE_HEADER_AUTO, soundfile._ffi.NULL, 1)
        self._file.flush()

    @property
    def duration_ms(self) -> float:
        return self.n_bytes / 2 / self.rate * 1000.0

    def append(self, pcm16: bytes) -> None:
        if self._file is None:
            raise ParameterError("wav", expected="an open recording", got="a closed one")
        if len(pcm16) % 2:
            raise ParameterError("pcm16", expected="an even number of bytes", got=f"{len(pcm16)} bytes")
        if not pcm16:
            return
        self._file.buffer_write(pcm16, dtype="int16")
        self._file.flush()
        self.n_bytes += len(pcm16)

    def pad_to(self, ms: float) -> None:
        """Append silence until the file lasts ``ms`` (nothing if it is already longer)."""
        missing = round(ms * self.rate / 1000.0) - self.n_bytes // 2
        if missing > 0:
            self.append(b"\x00\x00" * missing)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _atomic_write_json(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def strip_audio(event: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A copy of ``event`` without its base64 audio, and the number of audio bytes it carried."""
    key = _AUDIO_FIELDS.get(event.get("type", ""))
    if key is None or not isinstance(event.get(key), str):
        return event, 0
    text = event[key]
    n_bytes = len(text) * 3 // 4 - text[-2:].count("=")
    slim = {k: v for k, v in event.items() if k != key}
    return slim, n_bytes


class RecordingWriter:
    """Writes one session's ``input.wav``, ``output.wav``, ``events.jsonl`` and ``meta.json`` into a folder.

    Parameters
    ----------
    folder : path
        Created if missing; existing recording files in it are replaced.
    rate : int
        Sample rate of both WAV files (the Realtime API's 24 kHz).
    meta : dict, optional
        Extra facts for ``meta.json`` (model, voice, backend).
    """

    def __init__(
        self, folder: str | os.PathLike[str], *, rate: int = RATE, meta: dict[str, Any] | None = None
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rate = rate
        self._input = WavAppender(self.folder / "input.wav", rate=rate)
        self._output = WavAppender(self.folder / "output.wav", rate=rate)
        self._events = open(self.folder / "events.jsonl", "w", encoding="utf-8")  # noqa: SIM115
        self._meta = {
            "rate": rate,
            "started_unix": time.time(),
            "format": "voicelab-recording/1",
            **(meta or {}),
        }
        _atomic_write_json(self.folder / "meta.json", self._meta)
        self.closed = False

    def input(self, pcm16: bytes) -> float:
        """Append input audio; returns its offset in ``input.wav`` in ms."""
        offset = self._input.duration_ms
        self._input.append(pcm16)
        return offset

    def output(self, pcm16: bytes) -> float:
        """Append output audio; returns its offset in ``output.wav`` in ms."""
        offset = self._output.duration_ms
        self._output.append(pcm16)
        return offset

    def log(self, event: dict[str, Any], *, t: float, direction: str, **extra: Any) -> None:
        """Write one event-log line: ``{"t", "dir", "type", ..., "event"}`` (audio already stripped)."""
        if self.closed:
            return
        record = {"t": round(t, 6), "dir": direction, "type": event.get("type"), **extra, "event": event}
        self._events.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")
        self._events.flush()

    def close(self, **summary: Any) -> None:
        """Close the files and write the final ``meta.json`` (with ``summary`` facts)."""
        if self.closed:
            return
        self.closed = True
        self._input.close()
        self._output.close()
        self._events.close()
        self._meta.update(
            summary, input_ms=self._input.duration_ms, output_ms=self._output.duration_ms, complete=True
        )
        _atomic_write_json(self.folder / "meta.json", self._meta)

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Recording:
    """A recording loaded back: audio, the event log (one dict per line) and the meta facts."""

    folder: Path
    input: Audio | None
    output: Audio | None
    events: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        """Log records of one event type, in order."""
        return [e for e in self.events if e.get("type") == kind]

    def __repr__(self) -> str:
        dur = lambda a: f"{a.duration:.2f} s" if a is not None else "none"  # noqa: E731
        return (
            f"Recording({self.folder.name!r}, events={len(self.events)}, input={dur(self.input)}, "
            f"output={dur(self.output)})"
        )


def _read_wav(path: Path) -> Audio | None:
    if not path.exists():
        return None
    try:
        pcm, rate = soundfile.read(path, dtype="int16", always_2d=False)
    except soundfile.LibsndfileError as exc:
        raise ParameterError(
            "path", expected="a WAV file written by voicelab", got=f"{path.name}: {exc}"
        ) from exc
    if not len(pcm):
        return None
    return Audio(from_pcm16(pcm), int(rate))


def replay(folder: str | os.PathLike[str]) -> Recording:
    """Load a recording written by ``RealtimeSession.record`` (or :class:`RecordingWriter`).

    Works on a recording whose session was interrupted: whatever reached the disk is returned, and a torn
    last line of the event log is skipped.

    Examples
    --------
    >>> rec = replay("recordings/demo")  # doctest: +SKIP
    >>> voicelab.plots.timeline(rec)     # doctest: +SKIP
    """
    path = Path(folder)
    if not (path / "events.jsonl").exists():
        raise ParameterError(
            "folder",
            expected="a recording folder with events.jsonl",
            got=str(path),
            fix="pass the folder given to session.record(...)",
        )
    events = []
    with open(path / "events.jsonl", encoding="utf-8") as f:
        for line in f:
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    meta = json.loads((path / "meta.json").read_text()) if (path / "meta.json").exists() else {}
    return Recording(path, _read_wav(path / "input.wav"), _read_wav(path / "output.wav"), events, meta)
