"""Large WebSocket frames read off the event loop: where each frame starts, and unmasking in a worker thread.

A client event of several MiB (a 15 MiB ``input_audio_buffer.append``) costs the event loop tens of
milliseconds if the WebSocket layer reads it: copying the payload out of the read buffer, unmasking it and
decoding it as UTF-8 each hold the GIL over the whole payload. :class:`FrameSplitter` follows the frame
boundaries of the byte stream instead (sans-I/O: it only reads headers), so the transport can hand the
small frames to the WebSocket library as before and collect a large, complete, uncompressed data frame
itself; :func:`read_large_frame` then unmasks it with numpy (which releases the GIL), inflates it if the
client compresses (permessage-deflate: zlib releases the GIL too) and decodes it, in a worker thread.

Examples
--------
>>> import os
>>> from websockets.frames import Frame, Opcode
>>> wire = Frame(Opcode.TEXT, b'{"type": "x"}').serialize(mask=True, extensions=[])
>>> header = read_header(wire)
>>> header.opcode, header.fin, header.total == len(wire)
(1, True, True)
>>> read_large_frame(bytearray(wire), header, [], 1024)
'{"type": "x"}'
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from websockets.frames import Frame, Opcode

__all__ = ["LARGE_EVENT_BYTES", "FrameHeader", "read_header", "read_large_frame"]

LARGE_EVENT_BYTES = 256 * 1024
"""From this size on (about 2.7 s of 24 kHz audio as base64) a client event is large: the transport decodes
its frame in a worker thread and the core scheduler runs it as a heavy call."""


@dataclass(frozen=True)
class FrameHeader:
    """The header of one WebSocket frame (RFC 6455 §5.2)."""

    fin: bool
    rsv: int  # the three RSV bits (non-zero: an extension such as permessage-deflate is in use)
    opcode: int
    mask: bytes | None  # the client's 4-byte masking key
    header_bytes: int
    length: int  # payload bytes

    @property
    def total(self) -> int:
        """Bytes of the whole frame, header included."""
        return self.header_bytes + self.length


def read_header(data: bytes | bytearray) -> FrameHeader | None:
    """The frame header at the start of ``data``, or ``None`` while it is incomplete.

    Examples
    --------
    >>> read_header(b"\\x81")  # one byte: not yet
    >>> read_header(b"\\x81\\xfe\\x01\\x00" + b"k" * 4).length  # 16-bit length, masked
    256
    """
    if len(data) < 2:
        return None
    first, second = data[0], data[1]
    size = second & 0x7F
    offset = 2
    if size == 126:
        if len(data) < 4:
            return None
        (size,) = struct.unpack_from("!H", data, 2)
        offset = 4
    elif size == 127:
        if len(data) < 10:
            return None
        (size,) = struct.unpack_from("!Q", data, 2)
        offset = 10
    mask = None
    if second & 0x80:
        if len(data) < offset + 4:
            return None
        mask = bytes(data[offset : offset + 4])
        offset += 4
    return FrameHeader(bool(first & 0x80), (first >> 4) & 0x7, first & 0x0F, mask, offset, size)


def _unmask(frame: bytearray, header: FrameHeader) -> np.ndarray:
    """The payload of the complete masked ``frame``, unmasked (XOR over 8-byte words: no GIL held)."""
    if header.mask is None:
        raise ValueError("a client frame must be masked")
    payload = np.frombuffer(frame, np.uint8, count=header.length, offset=header.header_bytes)
    key = np.frombuffer(header.mask * 2, np.uint64)[0]
    words = header.length // 8
    out = np.empty(header.length, np.uint8)
    np.bitwise_xor(payload[: words * 8].view(np.uint64), key, out=out[: words * 8].view(np.uint64))
    tail = header.length - words * 8
    if tail:
        out[words * 8 :] = payload[words * 8 :] ^ np.frombuffer(header.mask * 2, np.uint8)[:tail]
    return out


def read_large_frame(frame: bytearray, header: FrameHeader, extensions: Sequence[Any], max_size: int) -> str:
    """The text of the complete masked text ``frame``; meant for a worker thread.

    A compressed frame (RSV1) goes through the connection's negotiated ``extensions`` (websockets'
    permessage-deflate), which refuse more than ``max_size`` bytes inflated (``PayloadTooBig``).

    Raises
    ------
    UnicodeDecodeError
        The text is not UTF-8.
    websockets.exceptions.PayloadTooBig
        It inflates beyond ``max_size``.
    """
    payload = _unmask(frame, header)
    if not header.rsv:
        return str(payload.data, "utf-8")
    message = Frame(Opcode.TEXT, payload.tobytes(), fin=True, rsv1=bool(header.rsv & 0x4))
    for extension in reversed(extensions):
        message = extension.decode(message, max_size=max_size)
    return bytes(message.data).decode("utf-8")
