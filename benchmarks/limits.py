"""Abuse against a live ``voicelab serve``: the server's memory stays bounded, its event loop responsive,
and an unrelated session keeps answering (issue 14).

Run: ``.venv/bin/python benchmarks/limits.py`` (about 2 minutes; ``--quick`` for a shorter run,
``--only WORD`` for the abuses whose name contains WORD).

The server runs as ``voicelab serve`` in its own process with its default limits (the header timeout
shortened to 2 s by ``VOICELAB_HEADER_TIMEOUT_S``, so the slowloris phase is short). For each abuse the
benchmark reports:

- what the attacker got (the error codes, or whether it was disconnected);
- the server's resident memory (``VmRSS`` of the server process) before, at its peak and after;
- the latency of ``GET /health``, probed every 50 ms throughout (goal: max < 100 ms: the loop never stalls);
- the time an unrelated victim session takes to answer a text question (``response.create`` →
  ``response.done``), measured while the abuse runs.

The abuses: a client that stops reading (``conversation.item.retrieve`` of a 50 KB item, 2 000 times);
appends of 14.7 MB with ``turn_detection: null`` beyond the input-buffer limit; events of 16 and 33 MiB (over
the 15 MiB limit); ``response.create`` with
``metadata`` nested 500 levels; two clients appending 14 MB events with server VAD (the shared core pool);
opening more sessions than ``max_sessions``; a 60 MB JSON body; a chat tool schema with ``minItems: 10**6``;
50 concurrent transcriptions (with a speech request among them); minting more keys than ``max_minted_keys``;
slowloris connections. The client side shares the machine's cores with the server: figures measured on a
loaded machine are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import io
import json
import multiprocessing
import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import soundfile
import websockets

__all__ = ["main"]

SR = 24_000
KEY = "bench-limits-key"
HEADERS = {"Authorization": f"Bearer {KEY}"}


# ------------------------------------------------------------------------------------------------- server
class Server:
    """``voicelab serve`` in a child process, on a free port."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = {**os.environ, "VOICELAB_API_KEY": KEY, "VOICELAB_HEADER_TIMEOUT_S": "2", "HF_HUB_OFFLINE": "1"}
        voicelab = Path(sys.executable).with_name("voicelab")
        self.process = subprocess.Popen(
            [
                str(voicelab),
                "serve",
                "--port",
                str(self.port),
                "--log-level",
                "error",
                "--no-realtime-pacing",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.http = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}/v1/realtime?model=gpt-realtime"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.http + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("voicelab serve did not start")

    def rss_mib(self) -> float:
        return _rss_mib(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:  # open connections hold uvicorn's graceful shutdown
            self.process.kill()
            self.process.wait(10)


def _probe(http: str, pid: int, stop, ready, results) -> None:  # a child process: not under the client's GIL
    latencies, rss, failures = [], [], 0
    with httpx.Client(base_url=http, timeout=5) as client:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                client.get("/health")
                latencies.append((time.perf_counter() - started) * 1000)
                ready.set()
            except httpx.HTTPError:
                failures += 1
            with contextlib.suppress(OSError):
                rss.append(_rss_mib(pid))
            stop.wait(0.05)
    results.put((latencies, rss, failures))


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Probe:
    """``GET /health`` every 50 ms and the server's RSS, from a process of its own."""

    def __init__(self, server: Server) -> None:
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._ready = context.Event()
        self._results = context.Queue()
        self._process = context.Process(
            target=_probe,
            args=(server.http, server.process.pid, self._stop, self._ready, self._results),
            daemon=True,
        )
        self.latencies: list[float] = []
        self.rss: list[float] = []
        self.failures = 0

    def start(self) -> None:
        self._process.start()
        self._ready.wait(60)  # probing before the abuse starts

    def stop(self) -> None:
        self._stop.set()
        self.latencies, self.rss, self.failures = self._results.get(timeout=30)
        self._process.join(10)


# ------------------------------------------------------------------------------------------------- clients
async def connect() -> websockets.ClientConnection:
    return await websockets.connect(SERVER.ws, additional_headers=HEADERS, max_size=None, open_timeout=30)


async def until(ws: websockets.ClientConnection, kind: str, timeout: float = 60) -> list[dict]:
    events: list[dict] = []
    while not events or events[-1]["type"] != kind:
        events.append(json.loads(await asyncio.wait_for(ws.recv(), timeout)))
    return events


TEXT_RESPONSE = {"type": "response.create", "response": {"output_modalities": ["text"]}}
MANUAL_TURNS = {
    "type": "session.update",
    "session": {"type": "realtime", "audio": {"input": {"turn_detection": None}}},
}


def user_text(text: str, item_id: str | None = None) -> dict:
    """A ``conversation.item.create`` of a user message with one ``input_text`` part."""
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    return {"type": "conversation.item.create", "item": item if item_id is None else {"id": item_id, **item}}


async def victim_answer_ms() -> float:
    """An unrelated session's text answer, from ``response.create`` to ``response.done`` (ms); NaN when the
    session is refused (the session flood fills ``max_sessions``)."""
    try:
        ws = await connect()
    except websockets.InvalidStatus:
        return float("nan")
    async with ws:
        await until(ws, "session.created")
        await ws.send(json.dumps(user_text("What is 2 + 3?")))
        await until(ws, "conversation.item.done")
        started = time.perf_counter()
        await ws.send(json.dumps(TEXT_RESPONSE))
        await until(ws, "response.done")
        return (time.perf_counter() - started) * 1000


class RawClient:
    """A WebSocket client on a plain socket with a small receive buffer that never reads."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        self.sock.connect(("127.0.0.1", SERVER.port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET /v1/realtime?model=gpt-realtime HTTP/1.1\r\nHost: 127.0.0.1:{SERVER.port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {KEY}\r\n\r\n".encode()
        )
        assert self.sock.recv(4096).startswith(b"HTTP/1.1 101")

    def send(self, event: dict) -> None:
        payload = json.dumps(event).encode()
        n, mask = len(payload), os.urandom(4)
        length = (
            bytes([0x80 | n])
            if n < 126
            else (
                bytes([0x80 | 126]) + struct.pack("!H", n)
                if n < 65536
                else bytes([0x80 | 127]) + struct.pack("!Q", n)
            )
        )
        masked = (np.frombuffer(payload, np.uint8) ^ np.resize(np.frombuffer(mask, np.uint8), n)).tobytes()
        self.sock.sendall(b"\x81" + length + mask + masked)


def pcm_b64(seconds: float) -> str:
    t = np.arange(int(seconds * SR)) / SR
    return base64.b64encode((0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2").tobytes()).decode()


# ------------------------------------------------------------------------------------------------- abuses
async def slow_reader(quick: bool) -> str:
    def attack() -> str:
        client = RawClient()
        client.send(user_text("word " * 10_000, item_id="item_bench_slow"))
        for n in range(1000 if quick else 2000):
            try:
                client.send({"type": "conversation.item.retrieve", "item_id": "item_bench_slow"})
            except OSError:
                client.sock.close()
                return f"disconnected after {n} retrieves (~{n * 50 // 1024} MiB asked)"
            time.sleep(0.002)
        client.sock.close()
        return "NOT disconnected"

    return await asyncio.to_thread(attack)


async def input_buffer(quick: bool) -> str:
    codes = []
    async with await connect() as ws:
        await until(ws, "session.created")
        await ws.send(json.dumps(MANUAL_TURNS))
        await until(ws, "session.updated")
        chunk = pcm_b64(230)  # 11 MB of PCM, 14.7 MB as base64: under the 15 MiB event limit
        for _ in range(5 if quick else 8):  # 19-31 minutes of audio; the limit is 15
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": chunk}))
        await ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
        for event in await until(ws, "input_audio_buffer.cleared", timeout=120):
            if event["type"] == "error":
                codes.append(event["error"]["code"])
    return f"{len(codes)} × {set(codes) or '-'}"


async def oversized_event(quick: bool) -> str:
    outcomes = []
    for mib in (16, 33):  # just over the 15 MiB limit, and the 33 MiB frame of the issue
        async with await connect() as ws:
            await until(ws, "session.created")
            await ws.send('{"type": "input_audio_buffer.append", "audio": "' + "A" * (mib << 20) + '"}')
            error = (await until(ws, "error"))[-1]["error"]["code"]
            try:
                await asyncio.wait_for(ws.recv(), 10)
                closed = "not closed"
            except websockets.ConnectionClosed as exc:
                closed = f"close {exc.rcvd.code if exc.rcvd else '-'} {exc.rcvd.reason if exc.rcvd else ''}"
            outcomes.append(f"{mib} MiB → {error}, {closed}")
    return "; ".join(outcomes)


async def deep_json(quick: bool) -> str:
    deep = '{"a": ' * 500 + '"x"' + "}" * 500
    codes = set()
    async with await connect() as ws:
        await until(ws, "session.created")
        for _ in range(20 if quick else 100):
            await ws.send('{"type": "response.create", "response": {"metadata": ' + deep + "}}")
            codes.add((await until(ws, "error"))[-1]["error"]["code"])
        await ws.send(json.dumps(TEXT_RESPONSE))
        done = (await until(ws, "response.done"))[-1]
    return f"errors {codes}; a later response.create → {done['response']['status']}"


async def heavy_appenders(quick: bool) -> str:
    chunk = pcm_b64(230)
    sent = [0, 0]
    stop = asyncio.Event()

    async def append(index: int) -> None:
        async with await connect() as ws:
            await until(ws, "session.created")
            while not stop.is_set():
                await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": chunk}))
                await ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
                await until(ws, "input_audio_buffer.cleared", timeout=120)
                sent[index] += 1

    tasks = [asyncio.create_task(append(i)) for i in range(2)]
    await asyncio.sleep(6 if quick else 12)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return f"{sum(sent)} appends of 14.7 MB (230 s of audio, server VAD) by two clients"


async def session_flood(quick: bool) -> str:
    opened, refused = [], 0
    for _ in range(110 if quick else 150):
        try:
            opened.append(await connect())
        except websockets.InvalidStatus as exc:
            refused += exc.response.status_code == 429
    for ws in opened:
        await ws.close()
    return f"{len(opened)} opened, {refused} refused with 429"


async def rest_abuse(quick: bool) -> str:
    out = []
    async with httpx.AsyncClient(base_url=SERVER.http, headers=HEADERS, timeout=120) as http:
        big = await http.post(
            "/v1/chat/completions",
            content=b"{" + b" " * (60 * 1024 * 1024) + b"}",
            headers={"Content-Type": "application/json"},
        )
        out.append(f"60 MB JSON → {big.status_code}")
        tools = [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "parameters": {
                        "type": "object",
                        "properties": {"city": {"type": "array", "minItems": 10**6}},
                        "required": ["city"],
                    },
                },
            }
        ]
        started = time.perf_counter()
        chat = await http.post(
            "/v1/chat/completions",
            json={
                "model": "gpt-4o-mini",
                "tools": tools,
                "messages": [{"role": "user", "content": "weather in Paris"}],
            },
        )
        out.append(f"minItems 10**6 → {chat.status_code} in {(time.perf_counter() - started) * 1000:.0f} ms")
    return "; ".join(out)


async def engine_flood(quick: bool) -> str:
    wav = io.BytesIO()
    soundfile.write(wav, np.zeros(SR, np.float32), SR, format="WAV")
    async with httpx.AsyncClient(base_url=SERVER.http, headers=HEADERS, timeout=300) as http:

        async def transcribe() -> int:
            files = {"file": ("a.wav", wav.getvalue(), "audio/wav")}
            return (
                await http.post("/v1/audio/transcriptions", data={"model": "whisper-1"}, files=files)
            ).status_code

        flood = [asyncio.create_task(transcribe()) for _ in range(20 if quick else 50)]
        await asyncio.sleep(0.2)
        started = time.perf_counter()
        speech = await http.post(
            "/v1/audio/speech", json={"model": "tts-1", "voice": "alloy", "input": "Hello."}
        )
        speech_ms = (time.perf_counter() - started) * 1000
        statuses = await asyncio.gather(*flood)
    return (
        f"transcriptions: {statuses.count(200)} × 200, {statuses.count(429)} × 429; "
        f"speech meanwhile {speech.status_code} in {speech_ms:.0f} ms"
    )


async def key_flood(quick: bool) -> str:
    statuses = []
    async with httpx.AsyncClient(base_url=SERVER.http, headers=HEADERS, timeout=30) as http:
        for _ in range(1100 if quick else 1500):
            statuses.append((await http.post("/v1/realtime/client_secrets", json={})).status_code)
    return f"{statuses.count(200)} minted, {statuses.count(429)} refused with 429"


async def slowloris(quick: bool) -> str:
    def attack() -> str:
        socks = []
        for _ in range(50 if quick else 200):
            s = socket.create_connection(("127.0.0.1", SERVER.port))
            s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            socks.append(s)
        time.sleep(3)  # the header deadline is 2 s here
        closed = 0
        for s in socks:
            s.settimeout(0.5)
            with contextlib.suppress(OSError):
                closed += s.recv(1) == b""
            s.close()
        return f"{closed}/{len(socks)} half-sent requests closed by the server"

    return await asyncio.to_thread(attack)


@dataclass
class Row:
    name: str
    outcome: str = ""
    rss_before: float = 0.0
    rss_peak: float = 0.0
    rss_after: float = 0.0
    health_p99: float = 0.0
    health_max: float = 0.0
    victim_ms: list[float] = field(default_factory=list)


async def measure(name: str, abuse: Callable[[bool], Awaitable[str]], quick: bool) -> Row:
    row = Row(name, rss_before=SERVER.rss_mib())
    probe = Probe(SERVER)
    probe.start()
    attack = asyncio.create_task(abuse(quick))
    await asyncio.sleep(0.5)
    while not attack.done():
        row.victim_ms.append(await victim_answer_ms())
        await asyncio.sleep(0.2)
    try:
        row.outcome = attack.result()
    except Exception as exc:  # the benchmark reports, it does not stop
        row.outcome = f"client error {type(exc).__name__}: {exc}"[:120]
    await asyncio.sleep(1.0)
    probe.stop()
    row.rss_after = SERVER.rss_mib()
    row.rss_peak = max(probe.rss or [row.rss_after])
    latencies = sorted(probe.latencies) or [float("nan")]
    row.health_p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    row.health_max = latencies[-1]
    return row


ABUSES: list[tuple[str, Callable[[bool], Awaitable[str]]]] = [
    ("slow reader", slow_reader),
    ("input buffer, turn_detection null", input_buffer),
    ("16 and 33 MiB events", oversized_event),
    ("deep JSON (metadata 500 levels)", deep_json),
    ("two heavy appenders", heavy_appenders),
    ("session flood", session_flood),
    ("60 MB body, minItems 10**6", rest_abuse),
    ("transcription flood", engine_flood),
    ("client-secret flood", key_flood),
    ("slowloris", slowloris),
]

SERVER: Server


async def warm_up() -> None:
    """Load the speech engines once (Whisper, Piper), so no abuse measures a model load."""
    wav = io.BytesIO()
    soundfile.write(wav, np.zeros(SR, np.float32), SR, format="WAV")
    async with httpx.AsyncClient(base_url=SERVER.http, headers=HEADERS, timeout=300) as http:
        files = {"file": ("a.wav", wav.getvalue(), "audio/wav")}
        await http.post("/v1/audio/transcriptions", data={"model": "whisper-1"}, files=files)
        await http.post("/v1/audio/speech", json={"model": "tts-1", "voice": "alloy", "input": "Hello."})


async def run(quick: bool, only: list[str]) -> list[Row]:
    await warm_up()
    print(f"server RSS with the engines loaded: {SERVER.rss_mib():.0f} MiB", flush=True)
    baseline = [await victim_answer_ms() for _ in range(5)]
    print(f"victim answer with no abuse: median {np.median(baseline):.0f} ms", flush=True)
    rows = []
    for name, abuse in ABUSES:
        if only and not any(word in name for word in only):
            continue
        row = await measure(name, abuse, quick)
        answered = [ms for ms in row.victim_ms if ms == ms]
        refused = len(row.victim_ms) - len(answered)
        victim = f"{np.median(answered):.0f}/{max(answered):.0f}" if answered else "-"
        victim += f" ({refused} refused)" if refused else ""
        print(
            f"{name:36} | RSS {row.rss_before:5.0f} → peak {row.rss_peak:5.0f} → {row.rss_after:5.0f} MiB | "
            f"health p99 {row.health_p99:5.1f} max {row.health_max:5.1f} ms | victim median/max {victim} ms"
            " | "
            f"{row.outcome}",
            flush=True,
        )
        rows.append(row)
    print(f"server RSS at the end: {SERVER.rss_mib():.0f} MiB", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    global SERVER
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer events per abuse")
    parser.add_argument(
        "--only", action="append", default=[], metavar="WORD", help="run the abuses whose name contains WORD"
    )
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}", flush=True)
    SERVER = Server()
    try:
        rows = asyncio.run(run(args.quick, args.only))
    finally:
        SERVER.stop()
    worst = max(r.health_max for r in rows)
    print(f"worst /health latency over all abuses: {worst:.1f} ms (goal < 100 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
