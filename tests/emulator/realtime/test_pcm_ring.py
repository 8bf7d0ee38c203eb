"""The translation core's PCM ring buffer: its edges (wrap-around, exactly full, growth) and a model check."""

from __future__ import annotations

import numpy as np
import pytest

from voicelab.emulator.realtime.pcm_ring import PcmRing


def pcm(start: int, n: int) -> np.ndarray:
    """Samples whose values are their stream positions (so any misplaced sample shows)."""
    return np.arange(start, start + n, dtype=np.int16)


def test_exactly_full_does_not_grow_and_one_more_sample_does():
    ring = PcmRing(8)
    ring.append(pcm(0, 5))
    ring.append(pcm(5, 3))  # exactly the capacity
    assert ring.capacity == 8 and len(ring) == 8
    assert ring.slice(0, 8).tolist() == list(range(8))
    ring.append(pcm(8, 1))
    assert ring.capacity == 16 and ring.slice(0, 9).tolist() == list(range(9))


def test_appends_wrap_around_the_end_and_slices_read_across_it():
    ring = PcmRing(8)
    ring.append(pcm(0, 6))
    ring.forget_before(5)
    ring.append(pcm(6, 7))  # positions 6..12 land at indices 6, 7, 0..4: across the end
    assert ring.capacity == 8 and (ring.start, ring.end) == (5, 13)
    assert ring.slice(5, 13).tolist() == list(range(5, 13))
    assert ring.slice(7, 10).tolist() == [7, 8, 9]  # the run that crosses the end
    assert ring.slice(0, 6).tolist() == [5]  # forgotten audio is not returned


def test_growing_after_a_wrap_keeps_the_order():
    ring = PcmRing(4)
    ring.append(pcm(0, 3))
    ring.forget_before(2)
    ring.append(pcm(3, 3))  # wrapped: positions 2..5 fill the ring exactly
    assert len(ring) == 4 and ring.capacity == 4
    ring.append(pcm(6, 10))  # one append larger than double: grows to what it needs
    assert ring.capacity == 14 and ring.slice(0, 100).tolist() == list(range(2, 16))


def test_forget_never_passes_the_end_nor_goes_back():
    ring = PcmRing(4)
    ring.append(pcm(0, 3))
    ring.forget_before(10)
    assert (ring.start, ring.end, len(ring)) == (3, 3, 0)
    ring.forget_before(1)
    assert ring.start == 3
    assert ring.slice(0, 10).size == 0 and ring.slice(0, 10).dtype == np.int16
    ring.append(pcm(3, 2))
    assert ring.slice(0, 10).tolist() == [3, 4]


def test_empty_appends_and_bad_capacity():
    ring = PcmRing(2)
    ring.append(np.zeros(0, np.int16))
    assert (ring.start, ring.end) == (0, 0)
    with pytest.raises(ValueError):
        PcmRing(0)


def test_matches_a_plain_array_on_random_operations():
    rng = np.random.default_rng(7)
    ring, kept, kept_start, total = PcmRing(16), np.zeros(0, np.int16), 0, 0
    for _ in range(2000):
        op = rng.integers(3)
        if op == 0:
            n = int(rng.integers(0, 12))
            ring.append(pcm(total % 30000, n))
            kept = np.concatenate([kept, pcm(total % 30000, n)])
            total += n
        elif op == 1:
            position = int(rng.integers(kept_start - 5, total + 5))
            ring.forget_before(position)
            drop = max(0, min(position, total) - kept_start)
            kept, kept_start = kept[drop:], kept_start + drop
        else:
            lo = int(rng.integers(kept_start - 5, total + 5))
            hi = int(rng.integers(lo - 2, total + 8))
            want = kept[max(0, lo - kept_start) : max(0, hi - kept_start)] if hi > lo else kept[:0]
            assert ring.slice(lo, hi).tolist() == want.tolist()
        assert (ring.start, ring.end) == (kept_start, total)
    assert ring.capacity < 200  # forgetting keeps it small: it never grew with the whole stream
