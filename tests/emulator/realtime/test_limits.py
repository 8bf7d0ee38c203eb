"""Realtime limits (issue 14 findings 4, 5, 8) over a real loopback port: each abuse gets OpenAI's answer (or
the documented limit) and the session, or at least every other session, keeps working."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import struct
import threading
from collections.abc import AsyncIterator

import numpy as np
import pytest
import websockets

from voicelab.emulator.large_frames import read_large_frame
from voicelab.emulator.realtime.route import Engines
from voicelab.emulator.server import EmbeddedServer
from voicelab.protocol.limits import MAX_EVENT_BYTES

from .conftest import (
    ask,
    manual_turns,
    raw_connect,
    recv_json,
    recv_until,
    start_server,
    user_message,
    user_text,
)
from .test_route import fake_synthesize, fake_transcribe

SR = 24000
CHUNK = base64.b64encode(np.zeros(int(0.6 * SR), np.int16).tobytes()).decode()
"""0.6 s of silence to append (base64 PCM16): one fits the ``limited`` server's 1 s limits, two do not."""


def fake_engine_server(**limits) -> EmbeddedServer:
    """A started server with these limits (others default) and fake engines (nothing loads meanwhile)."""
    return start_server(
        Engines(synthesize=fake_synthesize, transcribe=fake_transcribe, vad_factory=None), **limits
    )


@pytest.fixture(scope="module")
def limited():
    server = fake_engine_server(
        max_sessions=3,
        max_input_buffer_seconds=1.0,
        max_conversation_audio_seconds=1.0,
        max_outbox_bytes=512 * 1024,
    )
    yield server
    server.stop()


@pytest.fixture
def plain():
    """A server with the default limits."""
    server = fake_engine_server()
    yield server
    server.stop()


async def opened(server) -> websockets.ClientConnection:
    ws = await raw_connect(server, query="model=gpt-realtime")
    return ws


@contextlib.asynccontextmanager
async def manual_session(server, validate) -> AsyncIterator[websockets.ClientConnection]:
    """A session with turn detection off (its ``session.created`` and ``session.updated`` read)."""
    async with await opened(server) as ws:
        await recv_json(ws, validate)
        await ws.send(json.dumps(manual_turns()))
        await recv_until(ws, validate, "session.updated")
        yield ws


async def text_turn(ws, validate, text: str = "What is 2 + 3?") -> str:
    """A text answer: the session works."""
    events = await ask(ws, validate, text, modalities=["text"])
    return next(e for e in events if e["type"] == "response.output_text.done")["text"]


def deep(depth: int) -> str:
    return '{"a": ' * depth + '"x"' + "}" * depth


@pytest.mark.parametrize(
    "raw, param",
    [
        (
            '{"type": "response.create", "event_id": "evt_deep", "response": {"metadata": '
            + deep(500)
            + "}}",
            "response.metadata.a",
        ),
        (
            '{"type": "session.update", "event_id": "evt_deep", "session": {"type": "realtime", '
            '"tools": [{"type": "function", "name": "f", "parameters": ' + deep(500) + "}]}}",
            "session.tools[0]",
        ),
    ],
)
async def test_deep_json_is_an_error_and_the_session_answers_after(limited, validate, raw, param):
    async with await opened(limited) as ws:
        assert (await recv_json(ws, validate))["type"] == "session.created"
        await ws.send(raw)
        error = await recv_json(ws, validate)
        assert error["type"] == "error"
        assert error["error"]["type"] == "invalid_request_error"
        assert error["error"]["code"] == "invalid_value"
        assert error["error"]["param"] == param
        assert "nested more than 64 levels deep" in error["error"]["message"]
        assert error["error"]["event_id"] == "evt_deep"
        text = await text_turn(ws, validate)  # no response was registered: response.create works
        assert "5" in text


@pytest.mark.parametrize("compression", ["deflate", None])
@pytest.mark.parametrize("size", [MAX_EVENT_BYTES + 1, 33 * 1024 * 1024])
async def test_an_event_over_15_mib_gets_an_error_event_then_a_1009_close(
    limited, validate, size, compression
):
    """Refused from its frame header (never buffered; compressed: once inflating passes the limit): OpenAI's
    ``event_too_large`` error event, then close 1009 ``event_too_large``; the server goes on."""
    padding = size - len('{"type": "input_audio_buffer.append", "audio": ""}')
    async with await raw_connect(limited, compression=compression) as ws:
        await recv_json(ws, validate)
        await ws.send('{"type": "input_audio_buffer.append", "audio": "' + "A" * padding + '"}')  # all of it
        error = await recv_json(ws, validate, timeout=30)
        assert error["type"] == "error"
        assert error["error"]["code"] == "event_too_large"
        assert error["error"]["type"] == "invalid_request_error"
        assert f"the maximum is {MAX_EVENT_BYTES} bytes (15 MiB)" in error["error"]["message"]
        if compression is None:  # the size is known from the header
            assert f"too large: {size} bytes, but" in error["error"]["message"]
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1009, "event_too_large")
    async with await opened(limited) as other:  # the server and a new session work
        await recv_json(other, validate)
        assert "5" in await text_turn(other, validate)


async def test_an_event_of_exactly_15_mib_is_read(limited, validate):
    """At the limit the event is accepted and handled (here: the 1 s input-buffer limit answers it)."""
    room = MAX_EVENT_BYTES - len('{"type": "input_audio_buffer.append", "audio": ""}')
    event = (
        '{"type": "input_audio_buffer.append", "audio": "'
        + "A" * (room // 8 * 8)
        + '"'
        + " " * (room % 8)
        + "}"
    )
    assert len(event) == MAX_EVENT_BYTES
    async with await opened(limited) as ws:
        await recv_json(ws, validate)
        await ws.send(event)
        error = await recv_json(ws, validate, timeout=30)
        assert (error["error"]["code"], error["error"]["param"]) == ("input_audio_buffer_full", "audio")
        assert "5" in await text_turn(ws, validate)


async def test_input_buffer_over_the_limit_is_an_error_naming_audio(limited, validate):
    async with manual_session(limited, validate) as ws:
        await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": CHUNK}))
        await ws.send(
            json.dumps({"type": "input_audio_buffer.append", "audio": CHUNK, "event_id": "evt_full"})
        )
        error = await recv_json(ws, validate)
        assert error["error"]["code"] == "input_audio_buffer_full"
        assert error["error"]["param"] == "audio"
        assert error["error"]["event_id"] == "evt_full"
        await ws.send(json.dumps({"type": "input_audio_buffer.commit"}))  # the first 0.6 s is still there
        committed = await recv_json(ws, validate)
        assert committed["type"] == "input_audio_buffer.committed"


async def test_committing_audio_beyond_the_conversation_limit_is_refused_and_the_session_goes_on(
    limited, validate
):
    async with manual_session(limited, validate) as ws:
        for _ in range(2):  # 0.6 s is kept; 1.2 s would pass the 1 s limit
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": CHUNK}))
            await ws.send(json.dumps({"type": "input_audio_buffer.commit", "event_id": "evt_commit"}))
        first = (await recv_until(ws, validate, "conversation.item.done"))[0]
        assert first["type"] == "input_audio_buffer.committed"
        error = await recv_json(ws, validate)
        assert error["type"] == "error"
        assert (error["error"]["code"], error["error"]["param"]) == ("conversation_audio_full", None)
        assert error["error"]["event_id"] == "evt_commit"
        assert "the limit is 1 s" in error["error"]["message"]
        item = user_message("hi")
        item["content"].append({"type": "input_audio", "audio": CHUNK})
        await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
        error = await recv_json(ws, validate)
        assert (error["error"]["code"], error["error"]["param"]) == (
            "conversation_audio_full",
            "item.content[1].audio",
        )
        assert "5" in await text_turn(ws, validate)  # the session goes on


async def test_sessions_over_the_limit_are_refused_at_connect(limited, validate):
    sockets = [await opened(limited) for _ in range(3)]
    try:
        with pytest.raises(websockets.InvalidStatus) as refused:
            await opened(limited)
        response = refused.value.response
        assert response.status_code == 429
        assert response.headers["retry-after"] == "1"
        error = json.loads(response.body)["error"]
        assert error["code"] == "rate_limit_exceeded" and error["type"] == "requests"
        await sockets.pop().close()
        await asyncio.sleep(0.2)
        async with await opened(limited) as ws:  # a slot is free again
            await recv_json(ws, validate)
            assert "5" in await text_turn(ws, validate)
    finally:
        for ws in sockets:
            await ws.close()


class NonReadingClient:
    """A WebSocket client over a plain socket with a small receive buffer, that sends and never reads."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET /v1/realtime?model=gpt-realtime HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Authorization: Bearer fake-realtime-test\r\n\r\n".encode()
        )
        self.received = b""  # bytes read past the handshake response, not yet consumed
        response = self.read_until(b"\r\n\r\n")
        assert response.startswith(b"HTTP/1.1 101")

    def read_until(self, end: bytes) -> bytes:
        """The bytes up to and including ``end``; what one read brought after it stays in :attr:`received`.

        The server sends ``session.created`` right after its 101 response: both can come in one read.
        """
        while end not in self.received:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"closed before {end!r}")
            self.received += chunk
        head, _, self.received = self.received.partition(end)
        return head + end

    def recv(self, size: int) -> bytes:
        """Received bytes, those already read past the handshake first (``b""``: the server closed)."""
        if self.received:
            chunk, self.received = self.received[:size], self.received[size:]
            return chunk
        return self.sock.recv(size)

    def send(self, event: dict) -> None:
        self.send_text_frame(json.dumps(event).encode())

    def send_text_frame(self, payload: bytes) -> None:
        self.sock.sendall(self.text_frame(payload))

    def server_events(self, count: int) -> list[dict]:
        """Read ``count`` server text frames (unmasked, unfragmented) as JSON."""
        events, buffer = [], b""
        while len(events) < count:
            while len(buffer) < 10 or len(buffer) < self._frame_end(buffer):
                chunk = self.recv(1 << 20)
                if not chunk:
                    raise ConnectionError(f"closed after {len(events)} of {count} events")
                buffer += chunk
            end = self._frame_end(buffer)
            events.append(json.loads(buffer[end - self._length(buffer) : end]))
            buffer = buffer[end:]
        self.received = buffer + self.received
        return events

    @staticmethod
    def _length(buffer: bytes) -> int:
        size = buffer[1] & 0x7F
        return (
            struct.unpack("!H", buffer[2:4])[0]
            if size == 126
            else (struct.unpack("!Q", buffer[2:10])[0] if size == 127 else size)
        )

    @classmethod
    def _frame_end(cls, buffer: bytes) -> int:
        size = buffer[1] & 0x7F
        return (2 if size < 126 else 4 if size == 126 else 10) + cls._length(buffer)

    @staticmethod
    def text_frame(payload: bytes) -> bytes:
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x81]) + (
            bytes([0x80 | n])
            if n < 126
            else bytes([0x80 | 126]) + struct.pack("!H", n)
            if n < 65536
            else bytes([0x80 | 127]) + struct.pack("!Q", n)
        )
        masked = (np.frombuffer(payload, np.uint8) ^ np.resize(np.frombuffer(mask, np.uint8), n)).tobytes()
        return header + mask + masked


def test_an_event_read_together_with_the_handshake_response_is_kept():
    """The 101 response and ``session.created`` can arrive in one read (a busy machine): the event stays."""
    event = {"type": "session.created", "event_id": "event_together"}
    payload = json.dumps(event).encode()
    frame = bytes([0x81, len(payload)]) + payload  # a server's frame: unmasked, 7-bit length

    def answer(listener: socket.socket) -> None:
        conn, _ = listener.accept()
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(65536)
            conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\n\r\n" + frame)  # one write, one read
            conn.recv(1)  # until the client closes

    with socket.create_server(("127.0.0.1", 0)) as listener:
        server = threading.Thread(target=answer, args=(listener,))
        server.start()
        client = NonReadingClient(listener.getsockname()[1])
        try:
            assert client.server_events(1) == [event]
        finally:
            client.sock.close()
            server.join()


async def test_a_client_that_stops_reading_is_disconnected_and_others_keep_working(limited, validate):
    slow = NonReadingClient(limited.port)
    slow.send(manual_turns())
    item_id = "item_slowreader01"
    slow.send(user_text("word " * 10_000, item_id=item_id))
    disconnected = False
    try:
        for _ in range(2000):  # each answer carries the 50 KB item: 100 MB asked, never read
            slow.send({"type": "conversation.item.retrieve", "item_id": item_id})
            await asyncio.sleep(0.002)
    except OSError:  # reset by the server
        disconnected = True
    finally:
        slow.sock.close()
    assert disconnected
    async with await opened(limited) as ws:  # the server and other sessions are fine
        await recv_json(ws, validate)
        assert "5" in await text_turn(ws, validate)


def broken_synthesize(text, *, voice, speed):
    raise ValueError("embedded null character in /srv/internal/engine.py")


async def test_an_engine_failure_never_sends_its_exception_text(validate):
    server = start_server(Engines(synthesize=broken_synthesize, transcribe=fake_transcribe, vad_factory=None))
    try:
        async with await opened(server) as ws:
            await recv_json(ws, validate)
            done = (await ask(ws, validate, "say a\x00b"))[-1]  # audio: the engine fails
            assert done["response"]["status"] == "failed"
            wire = json.dumps(done)
            assert "Speech synthesis failed" in wire
            assert "null character" not in wire and "/srv/internal" not in wire
            assert "5" in await text_turn(ws, validate)  # the session goes on
    finally:
        server.stop()


async def test_a_frame_over_the_socket_limit_gets_an_error_event_before_the_1009_close(validate):
    # messages over 64 KiB are refused from their frame header
    server = start_server(max_event_bytes=64 * 1024)
    try:
        ws = await raw_connect(server)
        await recv_json(ws, validate)
        await ws.send('{"type": "input_audio_buffer.append", "audio": "' + "A" * (1024 * 1024) + '"}')
        error = await recv_json(ws, validate)
        assert error["error"]["code"] == "event_too_large"
        assert "the maximum is 65536 bytes" in error["error"]["message"]
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1009, "event_too_large")
        async with await opened(server) as other:  # the server goes on
            await recv_json(other, validate)
    finally:
        server.stop()


@pytest.mark.parametrize("compression", ["deflate", None])
async def test_large_events_are_read_off_the_event_loop_in_order(plain, validate, monkeypatch, compression):
    """Text frames from 256 KiB are unmasked and decoded in a worker thread; small ones go the usual way; the
    connection's events are handled in the order they were sent."""
    from voicelab.emulator import transports

    threads = []

    def recorded(*args):
        threads.append(threading.current_thread().name)
        return read_large_frame(*args)

    monkeypatch.setattr(transports, "read_large_frame", recorded)
    async with await raw_connect(plain, compression=compression) as ws:
        await recv_json(ws, validate)
        sizes = {"item_a": 10, "item_b": 400_000, "item_c": 10, "item_d": 900_000, "item_e": 10}
        for item_id, size in sizes.items():  # random text: about as large compressed
            text = base64.b64encode(os.urandom(size))[:size].decode()
            await ws.send(json.dumps(user_text(text, item_id=item_id)))
        added = []
        while len(added) < len(sizes):
            event = await recv_json(ws, validate, timeout=30)
            if event["type"] == "conversation.item.added":
                added.append(event["item"]["id"])
        assert added == list(sizes)
        assert threads and all(name.startswith("ws-large-frame") for name in threads)
        assert len(threads) == 2  # the two large ones
        assert "5" in await text_turn(ws, validate)


async def test_a_large_frame_that_is_not_utf8_is_closed_1007_and_the_server_goes_on(plain, validate):
    client = NonReadingClient(plain.port)
    client.send_text_frame(b'{"type": "x", "text": "' + b"\xff" * 300_000 + b'"}')
    received = b""
    while True:  # session.created, then the close frame
        chunk = await asyncio.to_thread(client.recv, 65536)
        if not chunk:
            break
        received += chunk
    close = received[received.rindex(b"\x88") :]
    assert struct.unpack("!H", close[2:4])[0] == 1007
    client.sock.close()
    async with await opened(plain) as other:
        await recv_json(other, validate)
        assert "5" in await text_turn(other, validate)


async def test_frames_sent_together_with_a_large_one_are_all_read_in_order(plain, validate):
    """One write holding a small frame, a large one and small ones after it (the same TCP reads)."""
    client = NonReadingClient(plain.port)
    sizes = {"item_a": 10, "item_b": 300_000, "item_c": 300_000, "item_d": 300_000, "item_e": 10}
    wire = b""
    for item_id, size in sizes.items():
        wire += client.text_frame(json.dumps(user_text("y" * size, item_id=item_id)).encode())
    try:
        client.sock.sendall(wire)
        events = await asyncio.to_thread(client.server_events, 1 + 2 * len(sizes))
    finally:
        client.sock.close()
    for event in events:
        validate(event)
    assert events[0]["type"] == "session.created"
    added = [e["item"]["id"] for e in events if e["type"] == "conversation.item.added"]
    assert added == list(sizes)


async def test_a_compressed_event_inflating_past_the_limit_gets_the_error_event_and_1009(validate):
    """permessage-deflate: a large compressed frame is inflated in a worker, never past the event limit."""
    server = fake_engine_server(max_event_bytes=1 << 20)
    try:
        async with await raw_connect(server) as ws:  # the client compresses (deflate)
            await recv_json(ws, validate)
            noise = base64.b64encode(os.urandom(400_000)).decode()  # ~300 KB compressed: a large frame
            await ws.send('{"type": "input_audio_buffer.append", "audio": "' + noise + "A" * (3 << 19) + '"}')
            error = await recv_json(ws, validate)
            assert (error["error"]["code"], error["error"]["type"]) == (
                "event_too_large",
                "invalid_request_error",
            )
            assert "the maximum is 1048576 bytes (1 MiB)" in error["error"]["message"]
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1009, "event_too_large")
        async with await opened(server) as other:
            await recv_json(other, validate)
            assert "5" in await text_turn(other, validate)
    finally:
        server.stop()
