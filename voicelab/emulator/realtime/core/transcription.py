"""Input audio transcription results: ``conversation.item.input_audio_transcription.*`` events and usage.

When the session configures ``audio.input.transcription``, each committed user audio item yields a
:class:`~voicelab.emulator.realtime.effects.Transcribe` effect; the I/O layer answers with
:meth:`InputTranscription.ready` (deltas, then ``completed`` with usage: seconds for ``whisper-1``, tokens for
the ``gpt-4o-*-transcribe`` models) or :meth:`InputTranscription.failed`.

Examples
--------
>>> from voicelab.emulator.realtime.core import ServerCore
>>> core = ServerCore(seed=1, vad_factory=None)
>>> out = core.transcription_ready("item_1", "Hello there.", duration_s=1.5)
>>> [e["type"].rsplit(".", 1)[-1] for e in out], out[-1]["usage"]
(['delta', 'completed'], {'type': 'duration', 'seconds': 1.5})
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..usage import count_text_tokens, user_audio_tokens
from .text import split_words

if TYPE_CHECKING:
    from .dispatcher import Output, ServerCore

__all__ = ["InputTranscription"]


class InputTranscription:
    """Turns transcription results of user audio items into server events.

    Parameters
    ----------
    core : ServerCore
        The connection (session's transcription config, conversation).
    """

    def __init__(self, core: ServerCore) -> None:
        self.core = core

    def ready(
        self, item_id: str, text: str, *, duration_s: float | None = None, deltas: list[str] | None = None
    ) -> list[Output]:
        """The input transcription of a committed item: deltas, then ``completed`` with usage.

        ``deltas``: the pieces still to send when earlier ones were streamed (default: the whole text, one
        piece for ``whisper-1``, word by word for the other models).
        """
        core = self.core
        conversation = core.conversation
        conversation.note_heard(item_id, text)
        index = conversation.find(item_id)
        item = conversation.items[index] if index is not None else None
        if item is not None:
            for part in item.data.get("content", []):
                if part.get("type") == "input_audio":
                    part["transcript"] = text
        transcription = core.session["audio"]["input"].get("transcription") or {}
        model = transcription.get("model") or "whisper-1"
        seconds = (
            duration_s if duration_s is not None else (item.audio_ms / 1000 if item is not None else 0.0)
        )
        out: list[Output] = []
        pieces = deltas if deltas is not None else [text] if model == "whisper-1" else split_words(text)
        for piece in pieces:
            out.append(
                core.event(
                    "conversation.item.input_audio_transcription.delta",
                    item_id=item_id,
                    content_index=0,
                    delta=piece,
                )
            )
        if model == "whisper-1":
            usage: dict[str, Any] = {"type": "duration", "seconds": round(float(seconds), 3)}
        else:
            audio_tokens = user_audio_tokens(seconds * 1000)
            prompt_tokens = count_text_tokens(transcription.get("prompt"))
            output_tokens = count_text_tokens(text)
            usage = {
                "type": "tokens",
                "input_tokens": audio_tokens + prompt_tokens,
                "output_tokens": output_tokens,
                "total_tokens": audio_tokens + prompt_tokens + output_tokens,
                "input_token_details": {"text_tokens": prompt_tokens, "audio_tokens": audio_tokens},
            }
        out.append(
            core.event(
                "conversation.item.input_audio_transcription.completed",
                item_id=item_id,
                content_index=0,
                transcript=text,
                usage=usage,
            )
        )
        return out

    def failed(self, item_id: str, message: str) -> list[Output]:
        """The input transcription failed; the session goes on."""
        return [
            self.core.event(
                "conversation.item.input_audio_transcription.failed",
                item_id=item_id,
                content_index=0,
                error={
                    "type": "transcription_error",
                    "code": "transcription_failed",
                    "message": message,
                    "param": None,
                },
            )
        ]
