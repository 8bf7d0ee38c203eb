"""The conversation of one connection: its items, and ``conversation.item.create/retrieve/delete/truncate``.

:class:`ServerConversation` owns the ordered list of :class:`~.items.ServerItem` and renders them as the wire
items events carry (audio bytes only in ``conversation.item.retrieved``, in the session's formats).

Examples
--------
>>> from voicelab.emulator.realtime.core import ServerCore
>>> core = ServerCore(seed=1, vad_factory=None)
>>> _ = core.start()
>>> out = core.handle({"type": "conversation.item.create", "item": {"type": "message", "role": "user",
...                    "content": [{"type": "input_text", "text": "Hi"}]}})
>>> item_id = out[0]["item"]["id"]
>>> [i.id for i in core.conversation.items] == [item_id]
True
>>> [e["type"] for e in core.handle({"type": "conversation.item.delete", "item_id": item_id})]
['conversation.item.deleted']
"""

from __future__ import annotations

import base64
import binascii
import copy
from typing import TYPE_CHECKING, Any

import numpy as np

from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.images import image_tokens, parse_image_url
from voicelab.protocol.limits import MAX_CONVERSATION_AUDIO_SECONDS, conversation_audio_full

from .. import codecs
from .items import SR, ServerItem

if TYPE_CHECKING:
    from .dispatcher import Output, ServerCore

__all__ = ["ServerConversation"]

_ALLOWED_PARTS = {
    "user": ("input_text", "input_audio", "input_image"),
    "system": ("input_text",),
    "assistant": ("output_text", "output_audio"),
}


class ServerConversation:
    """The items of the connection's default conversation, in order.

    Parameters
    ----------
    core : ServerCore
        The connection (ids, session formats, responses).
    """

    def __init__(self, core: ServerCore) -> None:
        self.core = core
        self.id = core.ids.new("conv")
        self.items: list[ServerItem] = []
        self.max_audio_samples = int(MAX_CONVERSATION_AUDIO_SECONDS * SR)  # the items' audio, all together

    # ------------------------------------------------------------------ the audio limit
    def audio_samples(self) -> int:
        """Samples of audio the items hold (user and assistant)."""
        return sum(item.audio.size for item in self.items if item.audio is not None)

    def check_audio_room(self, samples: int, param: str | None) -> None:
        """Raise ``conversation_audio_full`` (naming ``param``) if ``samples`` more would pass the limit."""
        total = self.audio_samples() + samples
        if samples and total > self.max_audio_samples:
            raise conversation_audio_full(total / SR, self.max_audio_samples / SR, param)

    # ------------------------------------------------------------------ lookup and rendering
    def find(self, item_id: str) -> int | None:
        """The index of the item with ``item_id``, or ``None``."""
        for index, item in enumerate(self.items):
            if item.id == item_id:
                return index
        return None

    def previous_id(self, index: int) -> str | None:
        """The id of the item before position ``index`` (``None`` at the start)."""
        return self.items[index - 1].id if index > 0 else None

    def last_id(self) -> str | None:
        """The id of the last item (``None`` for an empty conversation)."""
        return self.items[-1].id if self.items else None

    def public_item(self, item: ServerItem, *, with_audio: bool = False) -> dict[str, Any]:
        """The item as sent in events (audio bytes only in ``conversation.item.retrieved``)."""
        data = copy.deepcopy(item.data)
        if with_audio and item.audio is not None:
            session = self.core.session
            fmt = (
                self.core.input_format
                if item.audio_role == "user"
                else session["audio"].get("output", {}).get("format", {"type": "audio/pcm"})
            )
            encoded = codecs.encode_output(item.audio, fmt)
            for part in data.get("content", []):
                if part.get("type") in ("input_audio", "output_audio"):
                    part["audio"] = base64.b64encode(encoded).decode("ascii")
                    break
        return data

    def append(self, item: ServerItem) -> list[Output]:
        """Add a complete item at the end: ``conversation.item.added`` and ``conversation.item.done``."""
        previous = self.last_id()
        self.items.append(item)
        return self._added_and_done(item, previous)

    def _added_and_done(self, item: ServerItem, previous: str | None) -> list[Output]:
        event = self.core.event
        return [
            event("conversation.item.added", previous_item_id=previous, item=self.public_item(item)),
            event("conversation.item.done", previous_item_id=previous, item=self.public_item(item)),
        ]

    def _existing(self, item_id: str, action: str) -> int:
        index = self.find(item_id)
        if index is None:
            raise ProtocolError(
                "invalid_value",
                f"Error {action} item: the item with id '{item_id}' does not exist.",
                "item_id",
            )
        return index

    def note_heard(self, item_id: str, text: str) -> None:
        """Record what user audio said (for the responder) without sending anything."""
        for item in self.items:
            if item.id == item_id and item.heard is None:
                item.heard = text
        for response in self.core.responses.by_id.values():
            for item in response.input_items:
                if item.id == item_id and item.heard is None:
                    item.heard = text

    def resolve_input(self, entries: list[dict[str, Any]]) -> list[ServerItem]:
        """A ``response.create`` ``input``: item references looked up here, inline items built fresh."""
        items: list[ServerItem] = []
        for i, entry in enumerate(entries):
            if entry["type"] == "item_reference":
                index = self.find(entry["id"])
                if index is None:
                    raise ProtocolError(
                        "invalid_value",
                        f"Item with id '{entry['id']}' does not exist.",
                        f"response.input[{i}].id",
                    )
                items.append(self.items[index])
            else:
                data = copy.deepcopy(entry)
                data.setdefault("id", self.core.ids.new("item"))
                data["object"], data["status"] = "realtime.item", "completed"
                item = ServerItem(data)
                for j, part in enumerate(data.get("content", [])):
                    if part.get("type") == "input_image":
                        self._take_image(item, part, f"response.input[{i}].content[{j}]")
                    if part.get("type") in ("input_audio", "output_audio"):
                        part.pop("audio", None)
                        part.setdefault("transcript", None)
                        item.heard = part.get("transcript")
                items.append(item)
        return items

    # ------------------------------------------------------------------ client events
    def on_create(self, event: dict[str, Any]) -> list[Output]:
        """``conversation.item.create``: insert after ``previous_item_id`` (at the end by default)."""
        data = copy.deepcopy(event["item"])
        previous = event.get("previous_item_id")
        if previous is None or previous == "":
            index = len(self.items)
        elif previous == "root":
            index = 0
        else:
            found = self.find(previous)
            if found is None:
                raise ProtocolError(
                    "invalid_value", f"Previous item with id '{previous}' does not exist.", "previous_item_id"
                )
            index = found + 1
        if "id" in data and self.find(data["id"]) is not None:
            raise ProtocolError("invalid_value", f"Item with id '{data['id']}' already exists.", "item.id")
        data.setdefault("id", self.core.ids.new("item"))
        data["object"] = "realtime.item"
        data["status"] = "completed"
        item = ServerItem(data)
        if data["type"] == "message":
            self._take_content(item)
        elif data["type"] == "function_call":
            data.setdefault("call_id", self.core.ids.new("call"))
        elif data["type"].startswith("mcp_"):
            self.core.mcp.check_client_item(data)
            del data["object"], data["status"]  # MCP items carry neither
        self.items.insert(index, item)
        return self._added_and_done(item, self.previous_id(index))

    def _take_content(self, item: ServerItem) -> None:
        """Check a message's content parts against its role and keep its audio as samples."""
        data = item.data
        allowed = _ALLOWED_PARTS[data["role"]]
        for i, part in enumerate(data["content"]):
            if part["type"] not in allowed:
                raise ProtocolError(
                    "invalid_value",
                    f"Invalid value: '{part['type']}'. Supported values for "
                    f"role '{data['role']}' are: {', '.join(repr(a) for a in allowed)}.",
                    f"item.content[{i}].type",
                )
            if part["type"] == "input_image":
                self._take_image(item, part, f"item.content[{i}]")
            if part["type"] in ("input_audio", "output_audio"):
                item.audio_role = "assistant" if data["role"] == "assistant" else "user"
                if part.get("audio"):
                    try:
                        raw = base64.b64decode(part["audio"], validate=True)
                    except (binascii.Error, ValueError) as exc:
                        raise ProtocolError(
                            "invalid_value", "Invalid 'audio': not valid base64.", f"item.content[{i}].audio"
                        ) from exc
                    item.audio = codecs.decode_input(raw, self.core.input_format)
                    self.check_audio_room(item.audio.size, f"item.content[{i}].audio")
                    del part["audio"]
                part.setdefault("transcript", None)
                if part["transcript"]:
                    item.heard = part["transcript"]

    def _take_image(self, item: ServerItem, part: dict[str, Any], where: str) -> None:
        """Check an ``input_image`` part (a bounded data URL of a supported image) and bill its tokens."""
        image = parse_image_url(part.get("image_url"), f"{where}.image_url")
        item.image_tokens += image_tokens(
            image.width, image.height, part.get("detail") or "auto", self.core.session.get("model")
        )

    def on_retrieve(self, event: dict[str, Any]) -> list[Output]:
        """``conversation.item.retrieve``: the item with its audio."""
        index = self._existing(event["item_id"], "retrieving")
        item = self.public_item(self.items[index], with_audio=True)
        return [self.core.event("conversation.item.retrieved", item=item)]

    def on_delete(self, event: dict[str, Any]) -> list[Output]:
        """``conversation.item.delete``."""
        index = self._existing(event["item_id"], "deleting")
        del self.items[index]
        return [self.core.event("conversation.item.deleted", item_id=event["item_id"])]

    def on_truncate(self, event: dict[str, Any]) -> list[Output]:
        """``conversation.item.truncate``: cut an assistant item's audio where playback stopped.

        If that answer is still being spoken, it ends there (``response.done`` ``cancelled``).
        """
        item_id, content_index, end_ms = event["item_id"], event["content_index"], event["audio_end_ms"]
        item = self.items[self._existing(item_id, "truncating")]
        content = item.data.get("content", [])
        if item.data["type"] != "message" or item.data["role"] != "assistant":
            raise ProtocolError("invalid_value", "Only assistant message items can be truncated.", "item_id")
        if content_index >= len(content) or content[content_index].get("type") != "output_audio":
            raise ProtocolError(
                "invalid_value",
                f"Invalid 'content_index': content part {content_index} of item '{item_id}' is not audio.",
                "content_index",
            )
        responses = self.core.responses
        streaming = responses.streaming(item)
        sent_ms = streaming.audio_samples * 1000 // SR if streaming is not None else int(item.audio_ms)
        if end_ms > sent_ms:
            raise ProtocolError(
                "invalid_value",
                f"Audio content of {sent_ms}ms is already shorter than {end_ms}ms",
                "audio_end_ms",
            )
        out: list[Output] = []
        if streaming is not None:  # the user stopped listening: the answer being spoken ends here
            out = responses.finish(streaming, status="cancelled", reason="client_cancelled")
        keep = end_ms * SR // 1000
        item.audio = (item.audio if item.audio is not None else np.zeros(0, np.int16))[:keep]
        content[content_index]["transcript"] = ""
        item.version += 1
        truncated = self.core.event(
            "conversation.item.truncated", item_id=item_id, content_index=content_index, audio_end_ms=end_ms
        )
        return [*out, truncated]
