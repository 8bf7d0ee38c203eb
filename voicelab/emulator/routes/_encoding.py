"""Incremental audio encoding for streamed responses: bytes leave as soon as each piece is encoded.

``wav`` (streamed header with 0xFFFFFFFF sizes) and ``pcm`` are written directly; ``mp3``, ``aac`` (ADTS) and
``opus`` (Ogg, small pages) go through an FFmpeg muxer writing into a non-seekable sink that is drained
after every
piece; ``flac`` needs its total length in the header, so it is encoded once at the end.

Examples
--------
>>> import numpy as np
>>> enc = StreamEncoder("pcm")
>>> len(enc.encode(np.zeros(240, dtype=np.float32))), enc.finish()
(480, b'')
"""

from __future__ import annotations

import contextlib
from fractions import Fraction
from typing import Any

import av
import numpy as np

from voicelab import audio
from voicelab.protocol.formats import PCM_RATE

__all__ = ["RATE", "StreamEncoder"]

RATE = PCM_RATE  # every speech output is made at 24 kHz, as OpenAI's

# format -> (muxer, codec, encoder rate, muxer options)
_FFMPEG = {
    "mp3": ("mp3", "libmp3lame", RATE, {}),
    "aac": ("adts", "aac", RATE, {}),
    "opus": ("ogg", "libopus", 48000, {"page_duration": "100000", "flush_packets": "1"}),
}


class _Sink:
    """A write-only file object FFmpeg muxes into; ``drain()`` hands over what was written since last time."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def write(self, data: Any) -> int:
        self._buffer += bytes(data)
        return len(data)

    def drain(self) -> bytes:
        out = bytes(self._buffer)
        self._buffer.clear()
        return out


class StreamEncoder:
    """Encode 24 kHz mono float32 pieces into one file, returning the bytes ready after each piece.

    Parameters
    ----------
    format : {"mp3", "opus", "aac", "flac", "wav", "pcm", "pcm16"}
    """

    def __init__(self, format: str) -> None:
        self.format = "pcm" if format == "pcm16" else format
        self.samples = 0
        self._pending: list[np.ndarray] = []
        self._container: Any = None
        self._started = False
        if self.format in _FFMPEG:
            muxer, codec, rate, options = _FFMPEG[self.format]
            self._sink = _Sink()
            self._container = av.open(self._sink, mode="w", format=muxer, options=options)
            self._stream = self._container.add_stream(codec, rate=rate, layout="mono")
            self._resampler = audio.ResampleStream(RATE, rate) if rate != RATE else None

    @property
    def duration(self) -> float:
        """Seconds of audio encoded so far."""
        return self.samples / RATE

    def encode(self, y: np.ndarray) -> bytes:
        """Add a piece; return the encoded bytes now available (may be empty)."""
        y = np.asarray(y, dtype=np.float32).reshape(-1)
        self.samples += y.shape[0]
        if self.format == "pcm":
            return audio.to_pcm16(y).astype("<i2").tobytes() if y.size else b""
        if self.format == "wav":
            head = b"" if self._started else audio.wav_stream_header(RATE)
            self._started = True
            return head + (audio.to_pcm16(y).astype("<i2").tobytes() if y.size else b"")
        if self.format == "flac":
            self._pending.append(y)
            return b""
        return self._encode_ffmpeg(y, last=False)

    def finish(self) -> bytes:
        """Flush the encoder; return the last bytes of the file."""
        if self.format == "pcm":
            return b""
        if self.format == "wav":
            return b"" if self._started else audio.wav_stream_header(RATE)
        if self.format == "flac":
            y = np.concatenate(self._pending) if self._pending else np.zeros(0, dtype=np.float32)
            if y.size == 0:
                y = np.zeros(1, dtype=np.float32)
            return audio.encode(y, RATE, "flac")
        return self._encode_ffmpeg(np.zeros(0, dtype=np.float32), last=True)

    def _encode_ffmpeg(self, y: np.ndarray, *, last: bool) -> bytes:
        stream = self._stream
        if self._resampler is not None:
            parts = [self._resampler.process(y)] if y.size else []
            if last:
                parts.append(self._resampler.flush())
            y = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
        if y.size:
            pcm = audio.to_pcm16(y).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
            frame.sample_rate = stream.rate
            frame.time_base = Fraction(1, stream.rate)
            frame.pts = None
            for packet in stream.encode(frame):
                self._container.mux(packet)
        if last:
            for packet in stream.encode(None):
                self._container.mux(packet)
            self._container.close()
        return self._sink.drain()

    def close(self) -> None:
        """Release the encoder without finishing (the client went away)."""
        if self._container is not None:
            with contextlib.suppress(av.FFmpegError):
                self._container.close()
            self._container = None
