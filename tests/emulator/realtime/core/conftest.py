"""Helpers shared by the tests of the server core's parts."""

from __future__ import annotations

__all__ = ["SR", "VOICE_TURN", "VOICE_TURN_END", "last", "user_text"]

SR = 24000
VOICE_TURN = [
    "input_audio_buffer.speech_started",
    "input_audio_buffer.speech_stopped",
    "input_audio_buffer.committed",
    "conversation.item.added",
    "conversation.item.done",
    "response.created",
    "response.output_item.added",
    "conversation.item.added",
    "response.content_part.added",
]
VOICE_TURN_END = [
    "response.output_audio.done",
    "response.output_audio_transcript.done",
    "response.content_part.done",
    "conversation.item.done",
    "response.output_item.done",
    "response.done",
    "rate_limits.updated",
]


def user_text(text):
    return {
        "type": "conversation.item.create",
        "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
    }


def last(events, kind):
    return [e for e in events if e["type"] == kind][-1]
