"""Large WebSocket frames read off the event loop: header parsing, unmasking, inflating, refusing."""

from __future__ import annotations

import os

import pytest
from websockets.exceptions import PayloadTooBig
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode

from voicelab.emulator.large_frames import read_header, read_large_frame


@pytest.mark.parametrize("size", [0, 1, 7, 125, 126, 65_535, 65_536, 300_001])
def test_a_masked_frame_is_read_back_exactly(size):
    text = os.urandom(size).hex()[:size]
    wire = Frame(Opcode.TEXT, text.encode()).serialize(mask=True, extensions=[])
    header = read_header(wire)
    assert (header.length, header.total, header.fin, header.rsv) == (size, len(wire), True, 0)
    assert read_header(wire[: header.header_bytes - 1]) is None  # an incomplete header waits
    assert read_large_frame(bytearray(wire), header, [], 1 << 20) == text


def deflate() -> PerMessageDeflate:
    return PerMessageDeflate(False, False, 15, 15)


def test_a_compressed_frame_is_inflated_and_one_over_the_limit_refused():
    text = ("0123456789abcdef" * 40_000) + os.urandom(1000).hex()
    wire = Frame(Opcode.TEXT, text.encode()).serialize(mask=True, extensions=[deflate()])
    header = read_header(wire)
    assert header.rsv == 4 and header.length < len(text) // 10
    assert read_large_frame(bytearray(wire), header, [deflate()], 1 << 20) == text
    with pytest.raises(PayloadTooBig):
        read_large_frame(bytearray(wire), header, [deflate()], 64 * 1024)


def test_text_that_is_not_utf8_is_an_error():
    wire = Frame(Opcode.TEXT, b"\xff" * 1000).serialize(mask=True, extensions=[])
    with pytest.raises(UnicodeDecodeError):
        read_large_frame(bytearray(wire), read_header(wire), [], 1 << 20)
