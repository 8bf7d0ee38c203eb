"""The scripted responder's answers about images: what the sign says, the colours, the size.

The images of the user's last message (chat-completions ``image_url`` parts, or Realtime ``input_image``
parts, as data URLs) are measured by :func:`voicelab.engines.vision.look` — size, dominant colours, the text
the OCR engine reads — and the question picks what to say: the text ("What does the sign say?",
「何と書いてありますか」), the colours, the size, or all three. Japanese questions get Japanese answers.

Examples
--------
>>> from voicelab.engines.vision import ImageFacts
>>> sign = ImageFacts(640, 240, ("red", "white"), ("STOP",))
>>> image_answer("What does the sign say?", [sign])
'The sign says: "STOP".'
>>> image_answer("What colour is it?", [sign])
'The image is mostly red and white.'
>>> image_answer("この看板には何と書いてありますか？", [sign])
'看板には「STOP」と書いてあります。'
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from voicelab.engines.vision import ImageFacts, look
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.images import parse_image_url

__all__ = ["MAX_IMAGES_LOOKED_AT", "image_answer", "image_urls", "look_at_images"]

MAX_IMAGES_LOOKED_AT = 4
"""At most this many images of one message are measured (OCR costs ~0.3 s each)."""

_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_ASKS_TEXT = re.compile(
    r"\b(say|says|said|read|written|write|text|words?|sign|label|caption)\b|書|読|文字|何と", re.I
)
_ASKS_COLOUR = re.compile(r"\bcolou?rs?\b|色", re.I)
_ASKS_SIZE = re.compile(
    r"\b(size|big|large|small|pixels?|wide|tall|dimensions?)\b|大きさ|サイズ|ピクセル", re.I
)


def image_urls(message: dict[str, Any]) -> list[str]:
    """The image URLs of a chat message's content parts (``image_url`` or ``input_image`` parts).

    Examples
    --------
    >>> image_urls({"role": "user", "content": [{"type": "text", "text": "hi"},
    ...             {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]})
    ['data:image/png;base64,AAAA']
    """
    content = message.get("content")
    if not isinstance(content, list):
        return []
    urls = []
    for part in content:
        if not isinstance(part, dict):
            continue
        value = part.get("image_url")
        url = value.get("url") if isinstance(value, dict) else value
        if part.get("type") in ("image_url", "input_image") and isinstance(url, str):
            urls.append(url)
    return urls


async def look_at_images(messages: list[dict[str, Any]]) -> list[ImageFacts]:
    """Measure the images of the last user message, in a thread (OCR blocks); unreadable ones are skipped."""
    last_user = next((m for m in reversed(messages) if m.get("role") == "user"), None)
    urls = image_urls(last_user)[:MAX_IMAGES_LOOKED_AT] if last_user else []
    if not urls:
        return []

    def measure() -> list[ImageFacts]:
        facts = []
        for url in urls:
            try:
                image = parse_image_url(url, "image_url")
            except ProtocolError:
                continue
            facts.append(look(image.data))
        return facts

    return await asyncio.to_thread(measure)


def _quoted(lines: tuple[str, ...], japanese: bool) -> str:
    if japanese:
        return "".join(f"「{line}」" for line in lines)
    return ", ".join(f'"{line}"' for line in lines)


def _and(words: tuple[str, ...], japanese: bool) -> str:
    if japanese:
        return "と".join(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def image_answer(question: str, facts: list[ImageFacts]) -> str:
    """What the scripted responder says about ``facts`` (one per image) given the user's ``question``."""
    japanese = bool(_JAPANESE.search(question))
    lines = tuple(line for f in facts for line in f.text)
    first = facts[0]
    colours = first.colour_names("ja" if japanese else "en")
    if _ASKS_TEXT.search(question):
        where = (
            ("看板" if "看板" in question else "画像")
            if japanese
            else ("sign" if re.search(r"\bsign\b", question, re.I) else "image")
        )
        if not lines:
            return (
                f"{where}には文字が見つかりません。" if japanese else f"I can't find any text in the {where}."
            )
        if japanese:
            return f"{where}には{_quoted(lines, True)}と書いてあります。"
        return f"The {where} says: {_quoted(lines, False)}."
    if _ASKS_COLOUR.search(question) and colours:
        return (
            f"画像は主に{_and(colours, True)}です。"
            if japanese
            else f"The image is mostly {_and(colours, False)}."
        )
    if _ASKS_SIZE.search(question):
        if japanese:
            return f"画像は{first.width}×{first.height}ピクセルです。"
        return f"The image is {first.width} by {first.height} pixels."
    if japanese:
        text = f"、{_quoted(lines, True)}という文字があります" if lines else "、文字はありません"
        return f"{first.width}×{first.height}ピクセルの画像で、主に{_and(colours, True)}{text}。"
    text = f", with the text {_quoted(lines, False)}" if lines else ", with no text I can read"
    return f"I see a {first.width} by {first.height} pixel image, mostly {_and(colours, False)}{text}."
