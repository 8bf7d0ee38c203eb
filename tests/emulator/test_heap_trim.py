"""voicelab.emulator.heap_trim: memory freed after a burst goes back to the OS (issue 14: RSS bounded)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from voicelab.emulator.heap_trim import HeapTrimmer

pytestmark = pytest.mark.skipif(not HeapTrimmer().available, reason="this C library has no malloc_trim")

# A burst of ~300 MiB in 1 KB heap chunks, of which every 64th survives: the survivors pin the heap, so glibc
# gives nothing back by itself. Prints the resident MiB at the start, after the burst, and once it fell back
# near the start (or after the seconds given).
BURST = """
import sys, time
from voicelab.emulator.heap_trim import HeapTrimmer, resident_mib
trimmer = HeapTrimmer(interval_s=0.05, min_growth_mib=64.0)
if sys.argv[1] == "trim":
    trimmer.start()
start = resident_mib()
blocks = [bytes(1000) + bytes([i % 256]) for i in range(300_000)]
kept = blocks[::64]
del blocks
held = resident_mib()
deadline = time.monotonic() + float(sys.argv[2])
while resident_mib() > start + 64 and time.monotonic() < deadline:
    time.sleep(0.05)
trimmer.stop()
print(start, held, resident_mib())
"""


def burst(mode: str, wait_s: float) -> tuple[float, float, float]:
    done = subprocess.run(
        [sys.executable, "-c", BURST, mode, str(wait_s)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    start, held, after = map(float, done.stdout.split())
    return start, held, after


def test_a_freed_burst_is_given_back_to_the_os():
    start, held, after = burst("trim", wait_s=10)
    assert held - start > 250  # the burst was resident
    assert after - start < 64  # and went back


def test_without_the_trimmer_the_freed_burst_stays_resident():
    """The control: what the emulator did before (the burst above would not prove the trimmer otherwise)."""
    start, _, after = burst("none", wait_s=1)
    assert after - start > 250
