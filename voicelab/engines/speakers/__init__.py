"""Offline speaker diarization: speaker embeddings (Resemblyzer's GE2E encoder run in numpy), clustering with
a documented threshold, known-speaker matching, and turns with Whisper's words.

Modules: :mod:`.weights` (the SHA-256-checked checkpoint), :mod:`.checkpoint` (reading it without torch),
:mod:`.encoder` (embeddings), :mod:`.clustering` (who is who), :mod:`.pipeline` (diarize: the pipeline),
:mod:`.registry` (the same labels for the same voices across the clips of a session).
"""

from __future__ import annotations

from .clustering import KNOWN_SPEAKER_SIMILARITY, SAME_SPEAKER_SIMILARITY
from .encoder import embed
from .pipeline import Diarization, SpeakerSegment, diarize
from .registry import SpeakerRegistry

__all__ = [
    "KNOWN_SPEAKER_SIMILARITY",
    "SAME_SPEAKER_SIMILARITY",
    "Diarization",
    "SpeakerRegistry",
    "SpeakerSegment",
    "diarize",
    "embed",
]
