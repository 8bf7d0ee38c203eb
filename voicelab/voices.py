"""OpenAI's voice names, in one place for the emulator, the client and the engines.

Examples
--------
>>> len(SPEECH_VOICES), "marin" in REALTIME_VOICES, "nova" in REALTIME_VOICES
(13, True, False)
"""

from __future__ import annotations

__all__ = ["REALTIME_VOICES", "SPEECH_VOICES"]

#: Voices of ``audio.speech`` and of chat completions with audio output.
SPEECH_VOICES = (
    "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx",
    "nova", "sage", "shimmer", "verse", "marin", "cedar",
)

#: Voices a Realtime session accepts (the GA API has no fable, onyx or nova).
REALTIME_VOICES = ("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar")
