"""Input audio transcription results: ``conversation.item.input_audio_transcription.*`` events and usage.

When the session configures ``audio.input.transcription``, each committed user audio item yields a
:class:`~voicelab.emulator.realtime.effects.Transcribe` effect; the I/O layer answers with
:meth:`InputTranscription.ready` (deltas, then ``completed`` with usage: seconds for ``whisper-1``, tokens for
the ``gpt-4o-*-transcribe`` models) or :meth:`InputTranscription.failed`.

With ``gpt-4o-transcribe-diarize`` the engine diarizes the item
(:func:`voicelab.engines.speakers.diarize`, in the STT thread like any transcription) and the result's speaker
segments become ``conversation.item.input_audio_transcription.segment`` events, after the deltas and before
``completed`` (:data:`voicelab.protocol.diarization.REALTIME_EVENT_ORDER`). Each item is diarized on its own;
the session's :class:`~voicelab.engines.speakers.SpeakerRegistry` renames its speakers so that one voice
keeps one label (``A``, ``B``, …) across the session's items.

Examples
--------
>>> from voicelab.emulator.realtime.core import ServerCore
>>> core = ServerCore(seed=1, vad_factory=None)
>>> out = core.transcription_ready("item_1", "Hello there.", duration_s=1.5)
>>> [e["type"].rsplit(".", 1)[-1] for e in out], out[-1]["usage"]
(['delta', 'completed'], {'type': 'duration', 'seconds': 1.5})
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from voicelab.engines.speakers import Diarization, SpeakerRegistry, SpeakerSegment
from voicelab.engines.stt import logprob_dicts, token_pieces
from voicelab.protocol.diarization import REALTIME_SEGMENT_EVENT, is_diarize_model, segment_fields
from voicelab.protocol.transcription import reports_languages

from ..usage import count_text_tokens, user_audio_tokens
from .text import split_words

if TYPE_CHECKING:
    from .dispatcher import Output, ServerCore

__all__ = ["InputTranscription", "TranscriptionDetails"]


@dataclass(frozen=True)
class TranscriptionDetails:
    """What a transcription gives besides its text, when the session asks for it.

    ``pieces``: the text as delta pieces, each with its tokens' ``logprobs`` entries (the session's
    ``include`` has ``item.input_audio_transcription.logprobs``); ``languages``: the detected language codes
    (reported by ``gpt-transcribe``); ``segments``: the speaker segments of a diarized item, labelled within
    the item, with ``voices`` (each of those labels' voice embedding).
    """

    pieces: tuple[tuple[str, tuple[dict[str, Any], ...]], ...] | None = None
    languages: tuple[str, ...] | None = None
    segments: tuple[SpeakerSegment, ...] | None = None
    voices: dict[str, Any] | None = field(default=None, repr=False)

    @classmethod
    def from_transcript(cls, transcript: Any, *, model: str, logprobs: bool) -> TranscriptionDetails:
        """The details of an engine :class:`~voicelab.engines.stt.Transcript` (its ``tokens``, ``language``)
        for a session transcribing with ``model`` (``logprobs``: the session's ``include`` asks for them).

        Examples
        --------
        >>> from voicelab.engines.stt import TokenLogprob, Transcript
        >>> t = Transcript(" Hi.", "en", 1.0, tokens=[TokenLogprob(" Hi", (32, 72, 105), -0.1),
        ...                                          TokenLogprob(".", (46,), -0.2)])
        >>> d = TranscriptionDetails.from_transcript(t, model="gpt-transcribe", logprobs=True)
        >>> [piece for piece, _ in d.pieces], d.languages
        (['Hi', '.'], ('en',))
        """
        if isinstance(transcript, Diarization):
            return cls(segments=tuple(transcript.segments), voices=dict(transcript.voices))
        pieces = None
        tokens = list(getattr(transcript, "tokens", None) or [])
        if logprobs and tokens:
            grouped = token_pieces(tokens)
            if "".join(text for text, _ in grouped).strip() == transcript.text.strip():
                pieces = tuple(
                    (text.lstrip() if i == 0 else text, tuple(logprob_dicts(group)))
                    for i, (text, group) in enumerate(grouped)
                )
        languages = None
        if reports_languages(model):
            languages = (transcript.language,) if transcript.text.strip() else ()
        return cls(pieces=pieces, languages=languages)


class InputTranscription:
    """Turns transcription results of user audio items into server events.

    Parameters
    ----------
    core : ServerCore
        The connection (session's transcription config, conversation).
    """

    def __init__(self, core: ServerCore) -> None:
        self.core = core
        self.speakers = SpeakerRegistry()  # the session's voices, for labels that hold across items

    def ready(
        self,
        item_id: str,
        text: str,
        details: TranscriptionDetails | None = None,
        *,
        duration_s: float | None = None,
        deltas: list[str] | None = None,
    ) -> list[Output]:
        """The input transcription of a committed item: deltas, then ``completed`` with usage (and
        ``logprobs`` / ``languages`` from ``details``).

        ``deltas``: the pieces still to send when earlier ones were streamed (default: the whole text, one
        piece for ``whisper-1``, word by word for the other models; ``details`` with per-token pieces wins).
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
        details = details or TranscriptionDetails()
        pieces: list[tuple[str, tuple[dict[str, Any], ...] | None]] = (
            [(piece, logprobs) for piece, logprobs in details.pieces]
            if details.pieces is not None
            else [(piece, None) for piece in deltas]
            if deltas is not None
            else [(piece, None) for piece in ([text] if model == "whisper-1" else split_words(text))]
        )
        for piece, logprobs in pieces:
            delta = core.event(
                "conversation.item.input_audio_transcription.delta",
                item_id=item_id,
                content_index=0,
                delta=piece,
            )
            if logprobs is not None:
                delta["logprobs"] = list(logprobs)
            out.append(delta)
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
        completed = core.event(
            "conversation.item.input_audio_transcription.completed",
            item_id=item_id,
            content_index=0,
            transcript=text,
            usage=usage,
        )
        if details.segments is not None and is_diarize_model(model):  # (the model may have changed since)
            out.extend(self._segments(item_id, details.segments, details.voices or {}))
        if details.pieces is not None:
            completed["logprobs"] = [entry for _, logprobs in details.pieces for entry in logprobs]
        if details.languages is not None:
            completed["languages"] = [{"code": code} for code in details.languages]
        out.append(completed)
        return out

    def _segments(
        self, item_id: str, segments: tuple[SpeakerSegment, ...], voices: dict[str, Any]
    ) -> list[Output]:
        """One ``segment`` event per speaker segment, its speaker renamed to the session's label."""
        heard = dict.fromkeys(s.speaker for s in segments)  # the item's labels, in order of appearance
        names = self.speakers.assign({label: voices[label] for label in heard if label in voices})
        return [
            self.core.event(
                REALTIME_SEGMENT_EVENT,
                item_id=item_id,
                content_index=0,
                **segment_fields(index, speaker=names.get(s.speaker, s.speaker), start=s.start, end=s.end,
                                 text=s.text),
            )
            for index, s in enumerate(segments)
        ]

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
