"""The outbox bound and the fair core scheduler, unit by unit (the live checks are in test_limits)."""

from __future__ import annotations

import asyncio
import threading
import time

from voicelab.emulator.realtime.outbox import Outbox
from voicelab.emulator.realtime.scheduler import CoreScheduler


async def test_outbox_overflow_drops_everything_and_signals():
    outbox = Outbox(max_bytes=100)
    assert outbox.put({"type": "a"}, "x" * 60)
    assert not outbox.overflow.is_set()
    assert not outbox.put({"type": "b"}, "y" * 60)  # 120 > 100
    assert outbox.overflow.is_set() and outbox.overflowed
    assert outbox.bytes == 0 and outbox._queue.empty()  # the memory is let go at once
    assert not outbox.put({"type": "c"}, "z")


async def test_outbox_accounts_sent_bytes():
    outbox = Outbox(max_bytes=100)
    outbox.put({"type": "a"}, "x" * 60)
    _, _, size = await outbox.get()
    outbox.sent(size)
    assert outbox.bytes == 0
    assert outbox.put({"type": "b"}, "y" * 90)  # room again
    big = Outbox(max_bytes=10)
    assert big.put({"type": "big"}, "z" * 1000)  # one event over the limit passes when nothing waits


async def test_heavy_calls_leave_a_worker_for_light_ones():
    scheduler = CoreScheduler(workers=2)
    loop = asyncio.get_running_loop()
    heavy_lanes = [scheduler.lane(loop), scheduler.lane(loop)]
    victim = scheduler.lane(loop)
    release = threading.Event()
    finished: list[str] = []

    def heavy() -> None:
        release.wait(5)

    for lane in heavy_lanes:
        for _ in range(3):
            lane.submit(heavy, lambda f: finished.append("heavy"), heavy=True)
    await asyncio.sleep(0.05)
    started = time.monotonic()
    answered = asyncio.Event()
    victim.submit(lambda: "answer", lambda f: (finished.append(f.result()), answered.set()))
    await asyncio.wait_for(answered.wait(), 2)
    assert finished == ["answer"]  # while both heavy lanes still wait: only one heavy call runs at a time
    assert time.monotonic() - started < 2
    release.set()
    for lane in heavy_lanes:
        await asyncio.wait_for(lane.drained(), 5)
    assert finished.count("heavy") == 6
    scheduler.shutdown()


async def test_lanes_take_turns_and_keep_their_order():
    scheduler = CoreScheduler(workers=1)
    loop = asyncio.get_running_loop()
    a, b = scheduler.lane(loop), scheduler.lane(loop)
    order: list[str] = []
    for n in range(3):
        a.submit(lambda n=n: f"a{n}", lambda f: order.append(f.result()))
        b.submit(lambda n=n: f"b{n}", lambda f: order.append(f.result()))
    await a.drained()
    await b.drained()
    assert [x for x in order if x[0] == "a"] == ["a0", "a1", "a2"]
    assert order[:2] in (["a0", "b0"], ["b0", "a0"])  # round-robin: b does not wait for all of a
    assert order.index("b0") < order.index("a2")
    scheduler.shutdown()
