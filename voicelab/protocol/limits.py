"""Size limits of what a client sends: the 15 MiB event, and JSON nesting depth bounded before any recursion.

OpenAI documents a maximum of 15 MiB per client event (``input_audio_buffer.append``: "up to a maximum of
15 MiB"): :data:`MAX_EVENT_BYTES`, refused by :func:`event_too_large` (the wording is voicelab's; OpenAI's is
not published).

Validation, copies and the responder walk a client's JSON recursively; a value nested a few hundred levels
deep would end that work with a ``RecursionError`` half-way (after a response was registered, say). So a
client event or request body is parsed by :func:`loads_bounded` (or checked by :func:`check_depth` right
after parsing): deeper than :data:`MAX_JSON_DEPTH` is an ``invalid_request_error`` naming the parameter, and
nothing else happens.

OpenAI documents no general depth limit; it documents 10 levels of nesting for a strict JSON schema
(Structured Outputs, "Supported schemas"), which is about 25 JSON levels inside a ``session.update`` event.
:data:`MAX_JSON_DEPTH` (64) leaves room for non-strict schemas and stays far from Python's recursion limit.

Examples
--------
>>> loads_bounded('{"type": "response.create", "response": {"metadata": {"a": "b"}}}')["response"]
{'metadata': {'a': 'b'}}
>>> deep = '{"response": {"metadata": ' + '{"a": ' * 100 + '1' + '}' * 102
>>> try:
...     loads_bounded(deep)
... except ProtocolError as error:
...     print(error.code, error.param)
...     print(error.message)
invalid_value response.metadata.a
Invalid 'response.metadata.a': nested more than 64 levels deep.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import ProtocolError

__all__ = [
    "MAX_CONVERSATION_AUDIO_SECONDS",
    "MAX_EVENT_BYTES",
    "MAX_JSON_DEPTH",
    "check_depth",
    "conversation_audio_full",
    "event_too_large",
    "loads_bounded",
    "too_deep",
]

MAX_EVENT_BYTES = 15 * 1024 * 1024
"""The largest client event OpenAI accepts (15 MiB, documented for ``input_audio_buffer.append``)."""

MAX_JSON_DEPTH = 64
"""Deepest nesting of objects and arrays accepted in a client event or a request body (a documented choice:
OpenAI publishes none beyond 10 levels for strict schemas)."""

MAX_CONVERSATION_AUDIO_SECONDS = 1800.0
"""Audio a Realtime conversation's items may hold, user and assistant together (30 minutes, 82 MiB of 24 kHz
PCM: a documented choice; OpenAI publishes no limit, its context truncation drops old items instead)."""

_PARAM_PARTS = 3  # the error names the path down to 3 parts: "session.tools[0]", "response.metadata.a"


def _dotted(path: tuple[str | int, ...]) -> str | None:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or None


def too_deep(path: tuple[str | int, ...] = (), max_depth: int = MAX_JSON_DEPTH) -> ProtocolError:
    """The error for JSON nested deeper than ``max_depth`` at ``path`` (its first parts name the param).

    Examples
    --------
    >>> too_deep(("session", "tools", 0, "parameters", "properties")).param
    'session.tools[0]'
    """
    param = _dotted(path[:_PARAM_PARTS])
    what = f"Invalid '{param}':" if param else "The JSON value is"
    return ProtocolError("invalid_value", f"{what} nested more than {max_depth} levels deep.", param)


def event_too_large(size: int | None, maximum: int = MAX_EVENT_BYTES) -> ProtocolError:
    """The error for a client event of ``size`` bytes over ``maximum`` (``None``: of unknown size, e.g. a
    compressed message that inflates past it).

    Examples
    --------
    >>> error = event_too_large(33 * 1024 * 1024)
    >>> error.code, error.param
    ('event_too_large', None)
    >>> error.message.split(". ")[0]
    'The client event is too large: 34603008 bytes, but the maximum is 15728640 bytes (15 MiB)'
    >>> event_too_large(None).message.split(". ")[0]
    'The client event is too large: the maximum is 15728640 bytes (15 MiB)'
    """
    mib = f" ({maximum / 1024 / 1024:g} MiB)"
    what = f"{size} bytes, but the maximum" if size is not None else "the maximum"
    return ProtocolError(
        "event_too_large",
        f"The client event is too large: {what} is {maximum} bytes{mib}. Send audio in several smaller "
        "input_audio_buffer.append events.",
    )


def conversation_audio_full(total_s: float, limit_s: float, param: str | None) -> ProtocolError:
    """The error for audio that would make a conversation's items hold ``total_s`` seconds, over ``limit_s``.

    Examples
    --------
    >>> error = conversation_audio_full(1801.5, 1800, "item.content[0].audio")
    >>> error.code, error.param
    ('conversation_audio_full', 'item.content[0].audio')
    >>> error.message  # doctest: +NORMALIZE_WHITESPACE
    "Invalid 'item.content[0].audio': the conversation's items would hold 1801.5 s of audio, but the limit is
    1800 s. Delete items with audio (conversation.item.delete) before adding more."
    """
    what = f"Invalid '{param}': the" if param else "The"
    return ProtocolError(
        "conversation_audio_full",
        f"{what} conversation's items would hold {total_s:.1f} s of audio, but the limit is {limit_s:g} s. "
        "Delete items with audio (conversation.item.delete) before adding more.",
        param,
    )


def check_depth(value: Any, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise :func:`too_deep` if ``value`` nests objects/arrays deeper than ``max_depth`` (iteratively: no
    recursion, so any depth is safe to check).

    Examples
    --------
    >>> check_depth({"a": [1, {"b": 2}]}, max_depth=3)
    >>> check_depth({"a": [1, {"b": {}}]}, max_depth=3)
    Traceback (most recent call last):
    ...
    voicelab.protocol.errors.ProtocolError: Invalid 'a[1].b': nested more than 3 levels deep.
    """
    stack: list[tuple[Any, int, tuple[str | int, ...]]] = [(value, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, dict):
            children: Any = node.items()
        elif isinstance(node, list):
            children = enumerate(node)
        else:
            continue
        if depth > max_depth:
            raise too_deep(path, max_depth)
        short = len(path) < _PARAM_PARTS
        for key, child in children:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1, (*path, key) if short else path))


def loads_bounded(text: str | bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses nesting deeper than ``max_depth`` (:func:`too_deep`).

    Raises
    ------
    ProtocolError
        Nested too deep (also when the parser itself gives up on the depth).
    ValueError
        Not JSON (``json.JSONDecodeError``), as ``json.loads``.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise too_deep((), max_depth) from None
    check_depth(value, max_depth)
    return value
