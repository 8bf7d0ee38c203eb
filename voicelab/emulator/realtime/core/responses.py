"""The responses of one connection: create/cancel, the reply's output items, audio, and the final usage.

:class:`ServerResponses` owns the table of :class:`~.items.ServerResponse` objects and the connection's usage
meter and rate limiter. ``response.create`` answers ``response.created`` plus a
:class:`~voicelab.emulator.realtime.effects.GenerateReply` effect; the I/O layer feeds the responder's answer
back through ``reply_ready``, the synthesised speech through ``audio_ready`` and ``synthesis_finished``, and
:meth:`ServerResponses.finish` closes the response with ``response.done`` (usage included) and
``rate_limits.updated``.

Examples
--------
>>> from voicelab.emulator.realtime.core import ServerCore
>>> core = ServerCore(seed=1, vad_factory=None)
>>> _ = core.start()
>>> out = core.handle({"type": "response.create", "response": {"output_modalities": ["text"]}})
>>> rid = out[0]["response"]["id"]
>>> core.default_response == rid
True
>>> done = core.handle({"type": "response.cancel"})
>>> [e["type"] if isinstance(e, dict) else type(e).__name__ for e in done]
['response.done', 'rate_limits.updated', 'StopResponse']
>>> done[0]["response"]["status"], core.default_response
('cancelled', None)
"""

from __future__ import annotations

import base64
import copy
from typing import TYPE_CHECKING, Any

import numpy as np

from voicelab.emulator.custom_voices import resolve
from voicelab.emulator.responder.reasoning import thinking_budget
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.formats import realtime_format
from voicelab.protocol.models import check_reasoning_params
from voicelab.protocol.voices import voice_name

from .. import codecs
from ..effects import GenerateReply, StopResponse, Synthesize
from ..usage import (
    RateLimiter,
    UsageMeter,
    assistant_audio_tokens,
    count_text_tokens,
    instructions_segment,
    tools_segment,
)
from .items import SR, ServerItem, ServerResponse, ServerResponseState
from .mcp import check_mcp_choice, check_mcp_tools, mcp_messages
from .text import field_of, first_tokens, split_words, text_chunks

if TYPE_CHECKING:
    from .dispatcher import Output, ServerCore

__all__ = ["KEEP_FINISHED", "ServerResponses", "speech_pieces"]

KEEP_FINISHED = 8  # finished responses remembered (for late effects); older ones are forgotten


def speech_pieces(pcm: np.ndarray, text: str, chunk_samples: int) -> list[tuple[np.ndarray, str]]:
    """Cut synthesised audio into chunks of ``chunk_samples``, each with the words spoken in it.

    The words are spread evenly over the chunks (word ``j`` goes with chunk ``floor(j * chunks / words)``).
    ``audio_ready`` sends one ``response.output_audio.delta`` per chunk; the I/O layer uses the same cut to
    feed paced audio to the core one chunk at a time.

    Examples
    --------
    >>> pieces = speech_pieces(np.zeros(250, np.int16), "one two three", 100)
    >>> [(chunk.size, words) for chunk, words in pieces]
    [(100, 'one '), (100, 'two '), (50, 'three')]
    """
    step = max(int(chunk_samples), 1)
    chunks = [pcm[i : i + step] for i in range(0, pcm.size, step)] or [pcm[:0]]
    words = split_words(text)
    owner = [j * len(chunks) // len(words) for j in range(len(words))] if words else []
    return [
        (chunk, "".join(w for w, o in zip(words, owner, strict=True) if o == index))
        for index, chunk in enumerate(chunks)
    ]


def _added_tokens(transcript: str, text: str) -> int:
    """Tokens ``text`` adds to ``transcript``: the whole transcript is counted, not its pieces (a word split
    from its neighbours tokenises differently), so the response's text tokens equal its transcript's."""
    return count_text_tokens(transcript + text) - count_text_tokens(transcript)


class ServerResponses:
    """The responses of a connection, the one writing to the conversation, and their usage.

    Parameters
    ----------
    core : ServerCore
        The connection (session, ids, conversation, input buffer).
    """

    def __init__(self, core: ServerCore) -> None:
        self.core = core
        self.by_id: dict[str, ServerResponse] = {}
        self.default: str | None = None  # the active response writing to the conversation
        self.meter = UsageMeter()
        self.limiter = RateLimiter()

    def live(self, response_id: str) -> ServerResponse | None:
        """The response if it is still running (``None`` once done, cancelled or forgotten)."""
        response = self.by_id.get(response_id)
        return response if response is not None and response.state is not ServerResponseState.DONE else None

    def streaming(self, item: ServerItem) -> ServerResponse | None:
        """The running response writing ``item``, if any."""
        return next(
            (r for r in self.by_id.values() if r.item is item and r.state is not ServerResponseState.DONE),
            None,
        )

    # ------------------------------------------------------------------ client events
    def on_create(self, event: dict[str, Any]) -> list[Output]:
        """``response.create`` (refused in a transcription session)."""
        if self.core.kind == "transcription":
            raise ProtocolError(
                "invalid_value", "response.create is not supported in a transcription session.", "type"
            )
        return self.create(event.get("response") or {}, trigger="client")

    def on_cancel(self, event: dict[str, Any]) -> list[Output]:
        """``response.cancel``: the named response, or the one writing to the conversation."""
        wanted = event.get("response_id")
        active = [r for r in self.by_id.values() if r.state is not ServerResponseState.DONE]
        if wanted:
            active = [r for r in active if r.id == wanted]
        elif self.default:
            active = [self.by_id[self.default]]
        if not active:
            raise ProtocolError(
                "response_cancel_not_active", "Cancellation failed: no active response found."
            )
        return self.finish(active[0], status="cancelled", reason="client_cancelled")

    def create(self, request: dict[str, Any], *, trigger: str) -> list[Output]:
        """Start a response: ``response.created`` and the :class:`GenerateReply` effect."""
        core = self.core
        in_conversation = request.get("conversation", "auto") == "auto"
        if in_conversation and self.default:
            raise ProtocolError(
                "conversation_already_has_active_response",
                "Conversation already has an active response in progress: "
                f"{self.default}. Wait until the response is finished before creating a "
                "new one.",
            )
        session = core.session
        conversation = core.conversation
        input_items = (
            conversation.resolve_input(request["input"]) if "input" in request else list(conversation.items)
        )
        instructions = request.get("instructions", session.get("instructions"))
        tools = request.get("tools", session.get("tools") or [])
        tool_choice = request.get("tool_choice", session.get("tool_choice", "auto"))
        modalities = list(request.get("output_modalities") or session.get("output_modalities") or ["audio"])
        if trigger == "client" and in_conversation and "audio" in modalities:  # its audio would be kept
            conversation.check_audio_room(1, "response.output_modalities")
        audio_out = (request.get("audio") or {}).get("output") or {}
        voice = audio_out.get("voice", session["audio"]["output"]["voice"])
        where = "response" if "voice" in audio_out else "session"
        spoken_by, semitones, tempo = resolve(core.voices, voice, param=f"{where}.audio.output.voice")
        fmt = realtime_format(audio_out.get("format", session["audio"]["output"]["format"]))
        max_tokens = request.get("max_output_tokens", session.get("max_output_tokens", "inf"))
        model = str(session.get("model"))
        check_reasoning_params(request, model, "response")
        parallel = request.get("parallel_tool_calls", session.get("parallel_tool_calls"))
        effort = (request.get("reasoning") or session.get("reasoning") or {}).get("effort")
        thinking = thinking_budget(model, effort)
        check_mcp_tools(request.get("tools"), "response.tools")
        choice_param = "response.tool_choice" if "tool_choice" in request else "session.tool_choice"
        check_mcp_choice(tool_choice, tools, choice_param)
        response_id = core.ids.new("resp")
        data = {
            "object": "realtime.response",
            "id": response_id,
            "status": "in_progress",
            "status_details": None,
            "output": [],
            "conversation_id": conversation.id if in_conversation else None,
            "output_modalities": modalities,
            "max_output_tokens": max_tokens,
            "audio": {"output": {"format": fmt, "voice": voice_name(voice)}},
            "usage": None,
            "metadata": request.get("metadata"),
        }
        segments = [instructions_segment(instructions), tools_segment(tools)] + [
            i.segment() for i in input_items
        ]
        response = ServerResponse(
            id=response_id,
            data=data,
            in_conversation=in_conversation,
            modalities=modalities,
            voice=spoken_by,
            speed=min(4.0, max(0.25, float(session["audio"]["output"].get("speed") or 1.0) * tempo)),
            semitones=semitones,
            output_format=fmt,
            input_items=input_items,
            segments=segments,
            max_tokens=None if max_tokens == "inf" else int(max_tokens),
            trigger=trigger,
            reasoning_tokens=thinking.tokens,
        )
        self.by_id[response_id] = response
        if in_conversation:
            self.default = response_id
            core.input_buffer.disarm_idle_timeout()
        unheard = tuple(
            (i.id, i.audio)
            for i in input_items
            if i.audio is not None and i.audio_role == "user" and i.heard is None
        )
        generate = GenerateReply(
            response_id,
            instructions,
            copy.deepcopy(tools),
            tool_choice,
            unheard,
            parallel_tool_calls=parallel,
            thinking_s=thinking.delay_s,
        )
        created = core.event("response.created", response=copy.deepcopy(data))
        return [created, *core.mcp.begin(response, generate, choice_param)]

    def messages_for(self, response_id: str) -> list[dict[str, Any]]:
        """The response's input as chat-completions messages for the responder."""
        response = self.by_id[response_id]
        messages: list[dict[str, Any]] = []
        for item in response.input_items + [i for i in response.output_items if i.data["type"] == "mcp_call"]:
            data = item.data
            if data["type"] == "message":
                texts, images = [], []
                for part in data["content"]:
                    if part.get("type") in ("input_text", "output_text"):
                        texts.append(part.get("text") or "")
                    elif part.get("type") in ("input_audio", "output_audio"):
                        texts.append(part.get("transcript") or item.heard or "")
                    elif part.get("type") == "input_image":  # as chat completions carry images
                        images.append({"type": "image_url", "image_url": {"url": part["image_url"]}})
                text = " ".join(t for t in texts if t)
                content: Any = [{"type": "text", "text": text}, *images] if images else text
                messages.append({"role": data["role"], "content": content})
            elif data["type"] == "function_call":
                messages.append(
                    {
                        "role": "assistant",
                        "content": "",
                        "tool_calls": [
                            {
                                "id": data.get("call_id"),
                                "type": "function",
                                "function": {"name": data["name"], "arguments": data["arguments"]},
                            }
                        ],
                    }
                )
            elif data["type"] == "function_call_output":
                messages.append({"role": "tool", "tool_call_id": data["call_id"], "content": data["output"]})
            else:
                messages.extend(mcp_messages(data))
        return messages

    # ------------------------------------------------------------------ output items
    def _add_output_item(self, response: ServerResponse, item: ServerItem) -> list[Output]:
        core = self.core
        response.output_items.append(item)
        response.output_index = len(response.output_items) - 1
        out: list[Output] = [
            core.event(
                "response.output_item.added",
                response_id=response.id,
                output_index=response.output_index,
                item=core.conversation.public_item(item),
            )
        ]
        if response.in_conversation:
            conversation = core.conversation
            previous = conversation.last_id()
            conversation.items.append(item)
            out.append(
                core.event(
                    "conversation.item.added", previous_item_id=previous, item=conversation.public_item(item)
                )
            )
        return out

    add_output_item = _add_output_item  # for the other parts of the core (MCP items)

    def _close_output_item(
        self, response: ServerResponse, item: ServerItem, status: str | None
    ) -> list[Output]:
        """``conversation.item.done`` and ``response.output_item.done`` (``status=None``: an item without
        one, as MCP items are)."""
        core = self.core
        conversation = core.conversation
        if status is not None:
            item.data["status"] = status
        out: list[Output] = []
        index = conversation.find(item.id) if response.in_conversation else None
        if index is not None:
            out.append(
                core.event(
                    "conversation.item.done",
                    previous_item_id=conversation.previous_id(index),
                    item=conversation.public_item(item),
                )
            )
        out.append(
            core.event(
                "response.output_item.done",
                response_id=response.id,
                output_index=response.output_items.index(item),
                item=conversation.public_item(item),
            )
        )
        return out

    close_output_item = _close_output_item

    # ------------------------------------------------------------------ results of the effects
    def reply_ready(self, response_id: str, text: str, tool_calls: list[Any]) -> list[Output]:
        """The responder's reply: start the output items (function calls, or a message)."""
        response = self.live(response_id)
        if response is None:
            return []
        response.state = ServerResponseState.STREAMING
        response.text_tokens += response.reasoning_tokens  # the thinking came first: output text tokens
        if tool_calls and self.core.mcp.owns(response_id, tool_calls):
            return self.core.mcp.calls(response, tool_calls)
        if tool_calls and not text.strip():
            return self._function_calls(response, tool_calls)
        response.calls_after_message = list(tool_calls)  # said first, then called (async function calling)
        core = self.core
        audio = "audio" in response.modalities
        part: dict[str, Any] = (
            {"type": "output_audio", "transcript": ""} if audio else {"type": "output_text", "text": ""}
        )
        item = ServerItem(
            {
                "id": core.ids.new("item"),
                "type": "message",
                "object": "realtime.item",
                "status": "in_progress",
                "role": "assistant",
                "content": [],
            },
            audio_role="assistant",
        )
        response.item = item
        out = self._add_output_item(response, item)
        item.data["content"].append(part)
        out.append(
            core.event(
                "response.content_part.added",
                response_id=response.id,
                item_id=item.id,
                output_index=response.output_index,
                content_index=0,
                part={"type": "audio", "transcript": ""} if audio else {"type": "text", "text": ""},
            )
        )
        if audio and text.strip():
            core.voice_locked = True
            out.append(Synthesize(response.id, text, response.voice, response.speed, response.semitones))
            return out
        if response.max_tokens is not None and count_text_tokens(text) > response.max_tokens:
            text = first_tokens(text, response.max_tokens)
            out.extend(self._text_deltas(response, text))
            out.extend(self.finish(response, status="incomplete", reason="max_output_tokens"))
            return out
        out.extend(self._text_deltas(response, text))
        out.extend(self._message_said(response))
        return out

    def _function_calls(self, response: ServerResponse, tool_calls: list[Any]) -> list[Output]:
        core = self.core
        out: list[Output] = []
        for call in tool_calls:
            name, arguments = field_of(call, "name"), field_of(call, "arguments")
            call_id = field_of(call, "call_id") or core.ids.new("call")
            item = ServerItem(
                {
                    "id": core.ids.new("item"),
                    "type": "function_call",
                    "object": "realtime.item",
                    "status": "in_progress",
                    "name": name,
                    "call_id": call_id,
                    "arguments": "",
                }
            )
            out.extend(self._add_output_item(response, item))
            common = {"response_id": response.id, "item_id": item.id, "output_index": response.output_index}
            for piece in text_chunks(arguments, 16):
                out.append(
                    core.event(
                        "response.function_call_arguments.delta", **common, call_id=call_id, delta=piece
                    )
                )
            item.data["arguments"] = arguments
            response.text_tokens += count_text_tokens(name) + count_text_tokens(arguments)
            out.append(
                core.event(
                    "response.function_call_arguments.done",
                    **common,
                    call_id=call_id,
                    name=name,
                    arguments=arguments,
                )
            )
            out.extend(self._close_output_item(response, item, "completed"))
        out.extend(self.finish(response, status="completed"))
        return out

    def _text_deltas(self, response: ServerResponse, text: str) -> list[Output]:
        assert response.item is not None
        kind = (
            "response.output_audio_transcript.delta"
            if "audio" in response.modalities
            else "response.output_text.delta"
        )
        out: list[Output] = [
            self.core.event(
                kind,
                response_id=response.id,
                item_id=response.item.id,
                output_index=response.output_index,
                content_index=0,
                delta=piece,
            )
            for piece in split_words(text)
        ]
        response.text_tokens += _added_tokens(response.transcript, text)
        response.transcript += text
        return out

    def audio_ready(self, response_id: str, pcm: np.ndarray, text: str = "") -> list[Output]:
        """One synthesised piece (24 kHz int16) and the text it speaks: transcript and audio deltas."""
        response = self.live(response_id)
        if response is None or response.item is None:
            return []
        pcm = np.asarray(pcm, dtype=np.int16).reshape(-1)
        out: list[Output] = []
        limit_hit = False
        if response.max_tokens is not None:
            added = _added_tokens(response.transcript, text)
            used = (
                response.text_tokens
                + added
                + assistant_audio_tokens((response.audio_samples + pcm.size) * 1000 / SR)
            )
            if used > response.max_tokens:
                limit_hit = True
                room_ms = max(response.max_tokens - response.text_tokens - added, 0) * 50
                pcm = pcm[: max(room_ms * SR // 1000 - response.audio_samples, 0)]
        for chunk, piece in speech_pieces(pcm, text, self.core.audio_chunk_ms * SR // 1000):
            if piece:
                out.extend(self._text_deltas(response, piece))
            if chunk.size:
                encoded = codecs.encode_output(chunk, response.output_format)
                out.append(
                    self.core.event(
                        "response.output_audio.delta",
                        response_id=response.id,
                        item_id=response.item.id,
                        output_index=response.output_index,
                        content_index=0,
                        delta=base64.b64encode(encoded).decode("ascii"),
                    )
                )
                response.audio_parts.append(chunk)
                response.audio_samples += chunk.size
        if limit_hit:
            out.extend(self.finish(response, status="incomplete", reason="max_output_tokens"))
            out.append(StopResponse(response.id))
        return out

    def synthesis_finished(self, response_id: str) -> list[Output]:
        """All audio of the response was sent: close the item and the response."""
        response = self.live(response_id)
        if response is None:
            return []
        return self._message_said(response)

    def _message_said(self, response: ServerResponse) -> list[Output]:
        """The message is complete: the function calls it announced, else the end of the response."""
        if not response.calls_after_message:
            return self.finish(response, status="completed")
        out = self._close_message(response, "completed")
        return out + self._function_calls(response, response.calls_after_message)

    def failed(self, response_id: str, message: str) -> list[Output]:
        """The responder or an engine failed: the response ends ``failed``, the session stays open."""
        response = self.live(response_id)
        if response is None:
            return []
        return self.finish(
            response,
            status="failed",
            error={"type": "server_error", "code": "engine_error", "message": message},
        )

    # ------------------------------------------------------------------ the end of a response
    def finish(
        self,
        response: ServerResponse,
        *,
        status: str,
        reason: str | None = None,
        error: dict[str, Any] | None = None,
    ) -> list[Output]:
        """Close the open content part and item, then ``response.done`` and ``rate_limits.updated``."""
        core = self.core
        out: list[Output] = self._close_message(response, status)
        response.state = ServerResponseState.DONE
        core.mcp.forget(response.id)
        if self.default == response.id:
            self.default = None
            # OpenAI: idle time counts from the end of the answer's playback
            core.input_buffer.arm_idle_timeout(response.audio_samples * 1000 // SR)
        output_audio = assistant_audio_tokens(response.audio_samples * 1000 / SR)
        usage = self.meter.usage(
            response.segments,
            output_text=response.text_tokens,
            output_audio=output_audio,
            remember=response.in_conversation,
        )
        data = response.data
        data["status"] = status
        data["output"] = [core.conversation.public_item(i) for i in response.output_items]
        data["usage"] = usage
        if status != "completed" or error:
            details: dict[str, Any] = {"type": status}
            if reason:
                details["reason"] = reason
            if error:
                details["error"] = error
            data["status_details"] = details
        out.append(core.event("response.done", response=copy.deepcopy(data)))
        out.append(core.event("rate_limits.updated", rate_limits=self.limiter.spend(usage["total_tokens"])))
        if status != "completed":
            out.append(StopResponse(response.id))
        # forget finished responses, keeping the table small on long sessions
        finished = [r for r, resp in self.by_id.items() if resp.state is ServerResponseState.DONE]
        for rid in finished[:-KEEP_FINISHED]:
            del self.by_id[rid]
        return out

    def _close_message(self, response: ServerResponse, status: str) -> list[Output]:
        """The ``.done`` events of the message being written (its text or audio and transcript)."""
        item = response.item
        if item is None or item.data["status"] != "in_progress":
            return []
        event = self.core.event
        out: list[Output] = []
        content = item.data["content"]
        if content:
            part = content[0]
            common = {
                "response_id": response.id,
                "item_id": item.id,
                "output_index": response.output_index,
                "content_index": 0,
            }
            if "audio" in response.modalities and part["type"] == "output_audio":
                part["transcript"] = response.transcript
                item.audio = (
                    np.concatenate(response.audio_parts) if response.audio_parts else np.zeros(0, np.int16)
                )
                item.version += 1
                out.append(event("response.output_audio.done", **common))
                out.append(
                    event("response.output_audio_transcript.done", transcript=response.transcript, **common)
                )
                wire_part = {"type": "audio", "transcript": response.transcript}
            else:
                part["text"] = response.transcript
                out.append(event("response.output_text.done", text=response.transcript, **common))
                wire_part = {"type": "text", "text": response.transcript}
            out.append(event("response.content_part.done", part=wire_part, **common))
        out.extend(
            self._close_output_item(response, item, "completed" if status == "completed" else "incomplete")
        )
        return out
