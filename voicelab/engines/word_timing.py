"""True word and segment times: Whisper's timestamps snapped to the speech the VAD hears.

Whisper's cross-attention alignment lets the first word after silence absorb that silence: a clip with 1.0 s
of silence before "The quick brown fox…" reports "The" at 0.00–1.16 s, and a word after a pause may start in
the pause. Given where speech is (measured by the VAD: :func:`voicelab.vad.regions.speech_regions`, passed
to :func:`voicelab.engines.stt.transcribe` as ``speech=``, since the engines layer does not import the VAD),
:func:`snap_span` moves every start (of a word or segment) that lies in silence to the onset of the speech
region it runs into, and every end that lies in silence back to the end of the region it leaves. Times inside
speech are not touched.

Examples
--------
>>> regions = [(1.0, 2.5), (4.0, 5.0)]
>>> snap_span(0.0, 1.16, regions)        # leading silence absorbed by the first word
(1.0, 1.16)
>>> snap_span(2.3, 4.2, regions)         # a word starting in speech, ending after a pause: untouched start
(2.3, 4.2)
>>> snap_span(2.9, 4.3, regions)         # a word starting in the pause
(4.0, 4.3)
>>> snap_span(4.5, 5.6, regions)         # trailing silence absorbed by the last word
(4.5, 5.0)
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["SpeechRegions", "snap_span"]

SpeechRegions = Sequence[tuple[float, float]]
"""Where speech is, as ``(start_s, end_s)`` pairs in order (:func:`voicelab.vad.regions.speech_regions`)."""


def snap_span(start: float, end: float, regions: SpeechRegions) -> tuple[float, float]:
    """``(start, end)`` with a start in silence moved to the next speech onset and an end in silence moved
    back to the previous speech end — only where that keeps ``start < end``; a span with no speech in it,
    or no regions at all, is returned unchanged."""
    if not regions:
        return start, end
    new_start, new_end = start, end
    following = next((r for r in regions if r[1] > start), None)  # the first region not over at `start`
    if following is not None and following[0] > start and following[0] < end:
        new_start = following[0]
    preceding = next((r for r in reversed(regions) if r[0] < end), None)  # the last region begun by `end`
    if preceding is not None and preceding[1] < end and preceding[1] > new_start:
        new_end = preceding[1]
    return round(new_start, 3), round(new_end, 3)
