"""Large WebSocket frames read off the event loop: header parsing, unmasking, inflating, refusing."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Sequence
from typing import Any, NamedTuple

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState
from websockets.exceptions import PayloadTooBig
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode

from voicelab.emulator.large_frames import read_header, read_large_frame
from voicelab.emulator.transports import LARGE_FRAME_BYTES, AbortableWebSocketProtocol
from voicelab.protocol.limits import MAX_EVENT_BYTES


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


class RecordingTransport(asyncio.Transport):
    """A transport that keeps what the protocol writes and whether its reading is paused."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closing = False
        self.paused = False
        self.pauses = 0  # times reading was paused

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def write(self, data: Any) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        self.paused = True
        self.pauses += 1

    def resume_reading(self) -> None:
        self.paused = False


async def open_protocol(received: list[str]) -> tuple[AbortableWebSocketProtocol, RecordingTransport]:
    """The emulator's WebSocket protocol, handshake done, its ASGI app appending each text to ``received``."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        while (message := await receive())["type"] == "websocket.receive":
            received.append(message["text"])

    config = Config(app, ws_max_size=MAX_EVENT_BYTES, ws_per_message_deflate=False, lifespan="off")
    config.load()
    protocol = AbortableWebSocketProtocol(config, ServerState(), {})
    transport = RecordingTransport()
    protocol.connection_made(transport)
    key = base64.b64encode(os.urandom(16)).decode()
    protocol.data_received(
        f"GET /v1/realtime HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    for _ in range(200):
        if protocol.handshake_complete:
            break
        await asyncio.sleep(0.005)
    assert transport.written.startswith(b"HTTP/1.1 101")
    return protocol, transport


def masked_frames(sizes: Sequence[int]) -> tuple[list[str], bytes, list[int]]:
    """Texts of these sizes, their masked frames back to back, and where each frame starts."""
    texts = [f"{i}:" + "y" * size for i, size in enumerate(sizes)]
    frames = [Frame(Opcode.TEXT, text.encode()).serialize(mask=True, extensions=[]) for text in texts]
    starts = [sum(len(f) for f in frames[:i]) for i in range(len(frames))]
    return texts, b"".join(frames), starts


class Outcome(NamedTuple):
    paused: bool  # reading is still paused at the end
    closed: bool  # the protocol closed the connection
    pauses: int  # times reading was paused


async def feed(chunks: Sequence[bytes], received: list[str], count: int, *, wait_each: bool) -> Outcome:
    """Feed ``chunks`` to a fresh protocol as the event loop would: one read at a time, none while reading is
    paused (by websockets' flow control until the app takes a message, or by the bytes held behind a large
    frame), each after the previous large frame is decoded if ``wait_each``."""
    protocol, transport = await open_protocol(received)
    try:
        for chunk in chunks:
            for _ in range(2000):
                if not transport.paused and not (wait_each and protocol._decoding):
                    break
                await asyncio.sleep(0.001)
            assert not transport.paused, "reading paused for good"
            protocol.data_received(chunk)
            await asyncio.sleep(0)
        for _ in range(2000):
            if len(received) >= count:
                break
            await asyncio.sleep(0.002)
        return Outcome(transport.paused, transport.closing, transport.pauses)
    finally:
        protocol.connection_lost(None)
        await asyncio.sleep(0)


# Small, large, large, small, large, small: boundaries between every kind of neighbour.
SIZES = [10, 300_000, 300_000, 200, LARGE_FRAME_BYTES, 70_000]


async def test_every_split_of_the_reads_at_a_frame_boundary_or_header_keeps_every_message_in_order():
    """A TCP read ending anywhere in a frame's header, mask or first/last bytes loses nothing."""
    texts, wire, starts = masked_frames(SIZES)
    positions = sorted({p for start in starts[1:] for p in range(start - 3, start + 16)} | set(range(1, 16)))
    for position in positions:
        for wait_each in (False, True):
            received: list[str] = []
            chunks = [wire[:position], wire[position:]]
            outcome = await feed(chunks, received, len(texts), wait_each=wait_each)
            assert received == texts, (position, wait_each)
            assert not outcome.paused and not outcome.closed


async def test_reads_of_several_sizes_keep_every_message_in_order():
    """The whole stream in one read (1.9 MB held behind the first large frame), ~1 MB reads, odd sizes."""
    texts, wire, _ = masked_frames([5, 400_000, 5, 400_000, 400_000, 400_000, 5, 300_000, 5])
    for step in (len(wire), 1_000_003, 65_536, 4_093, 1_021):  # the whole of it: 1.9 MB held at once
        chunks = [wire[i : i + step] for i in range(0, len(wire), step)]
        for wait_each in (False, True):
            received: list[str] = []
            outcome = await feed(chunks, received, len(texts), wait_each=wait_each)
            assert received == texts, (step, wait_each)
            assert not outcome.paused and not outcome.closed


async def test_reading_paused_behind_large_frames_resumes_once_they_are_decoded():
    """Three large frames held behind a fourth (over 1 MiB, only this code's path): reading pauses, then
    resumes so the read after them (small frames, a large one) arrives."""
    texts, wire, starts = masked_frames([400_000, 400_000, 400_000, 400_000, 5, 300_000, 5])
    for wait_each in (False, True):
        received: list[str] = []
        outcome = await feed(
            [wire[: starts[4]], wire[starts[4] :]], received, len(texts), wait_each=wait_each
        )
        assert received == texts
        assert outcome.pauses and not outcome.paused and not outcome.closed
