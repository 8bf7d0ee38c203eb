"""Tool-call arguments from the user's words: a JSON schema in, arguments valid against it out.

Bounded whatever the schema says (issue 14): at most :data:`MAX_ITEMS` array items and
:data:`MAX_STRING_CHARS` characters per string are built, however large ``minItems``/``minLength`` are,
and :data:`MAX_ARGUMENT_CHARS` in all (a model's output is bounded too, by its output tokens), and
:data:`MAX_ENUM_SCAN` enum values are looked for in the words. Keywords of the wrong JSON type
(``"minItems": "5"``, ``"properties": []``) are ignored, as if absent; ``pattern`` is not used.

Examples
--------
>>> fill_arguments({"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}},
...                "Weather in Paris?")
{'city': 'Paris'}
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .spoken_numbers import words_to_numbers
from .tools import STOPWORDS

__all__ = ["MAX_ARGUMENT_CHARS", "MAX_ENUM_SCAN", "MAX_ITEMS", "MAX_STRING_CHARS", "fill_arguments"]

MAX_ARGUMENT_CHARS = 64 * 1024
"""Budget of one call's arguments: characters of strings plus array items built to meet minimum sizes
(nested arrays of padded strings multiply otherwise)."""
MAX_ITEMS = 100
"""Most items built for one array, whatever its ``minItems``."""
MAX_STRING_CHARS = 4096
"""Longest string built (padding to ``minLength`` stops there)."""
MAX_ENUM_SCAN = 1000
"""Enum values looked for in the user's words (the first ones)."""

_SIZE_KEYS = ("minItems", "maxItems", "minLength", "maxLength")
_BOUND_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_LIST_KEYS = ("required", "enum", "anyOf", "oneOf", "allOf")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _clean(schema: Any) -> dict[str, Any]:
    """The keywords the builder reads, each only if it has the JSON type JSON Schema gives it.

    Examples
    --------
    >>> _clean({"type": "array", "minItems": "5", "items": [], "properties": {"a": {}}})
    {'type': 'array', 'properties': {'a': {}}}
    """
    if not isinstance(schema, dict):
        return {}
    clean: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("properties", "items"):
            keep = isinstance(value, dict)
        elif key in _LIST_KEYS:
            keep = isinstance(value, list)
        elif key in _SIZE_KEYS:
            keep = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        elif key in _BOUND_KEYS:
            keep = _is_number(value)
        elif key == "type":
            names = value if isinstance(value, list) else [value]
            keep = all(isinstance(v, str) for v in names)
        elif key == "format":
            keep = isinstance(value, str)
        else:
            keep = key in ("default", "const")
        if keep:
            clean[key] = value
    return clean


@dataclass
class _Evidence:
    """What the user's words offer to fill arguments, consumed as it is used."""

    text: str
    numbers: list[float]
    quoted: list[str]
    places: list[str]
    clock: Callable[[], datetime]
    budget: int = MAX_ARGUMENT_CHARS  # what may still be built to meet minItems/minLength

    @classmethod
    def from_text(cls, text: str, clock: Callable[[], datetime]) -> _Evidence:
        digits = words_to_numbers(text)
        numbers = [float(n) for n in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?", digits.replace(",", ""))]
        quoted = [
            a or b or c for a, b, c in re.findall(r"\"([^\"]+)\"|“([^”]+)”|(?<!\w)'([^']+)'(?!\w)", text)
        ]
        places = [
            m.strip()
            for m in re.findall(
                r"\b(?:in|at|for|from|to|near|of)\s+((?:[A-Z][\w'-]*)(?:\s+[A-Z][\w'-]*)*)", text
            )
        ]
        if not places:  # capitalised words that do not start a sentence
            places = [
                m.strip() for m in re.findall(r"(?<=[a-z,]\s)((?:[A-Z][\w'-]*)(?:\s+[A-Z][\w'-]*)*)", text)
            ]
        if not places:  # lower-case speech transcripts: "weather in paris"
            places = [
                m.title()
                for m in re.findall(r"\b(?:in|at|near)\s+([a-z][a-z'-]+)", text.lower())
                if m not in STOPWORDS and m not in ("the", "a", "an")
            ]
        return cls(text, numbers, quoted, places, clock)


_LOCATION_NAMES = (
    "city",
    "location",
    "place",
    "town",
    "country",
    "destination",
    "origin",
    "where",
    "address",
    "region",
    "state",
)
_NAME_NAMES = ("name", "person", "user", "contact", "recipient")
_FREE_TEXT_NAMES = (
    "query",
    "text",
    "message",
    "question",
    "prompt",
    "search",
    "input",
    "content",
    "topic",
    "q",
    "body",
    "note",
    "subject",
    "description",
)


def _first_type(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None:
        if "properties" in schema:
            return "object"
        if "items" in schema:
            return "array"
        if schema.get("enum"):
            value = schema["enum"][0]
            return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(
                type(value), "string"
            )
    return kind if isinstance(kind, str) else None


def _mentioned_enum(schema: dict[str, Any], text: str) -> Any:
    lowered = text.lower()
    for value in (schema.get("enum") or [])[:MAX_ENUM_SCAN]:
        if isinstance(value, str) and re.search(rf"\b{re.escape(value.lower())}\b", lowered):
            return value
    return None


def _number(schema: dict[str, Any], found: float | None, *, integer: bool) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    step = 1 if integer else 1e-6
    if found is None:
        default = schema.get("default")
        found = default if _is_number(default) else (low if low is not None else 0)
        if low is not None and "exclusiveMinimum" in schema and "minimum" not in schema:
            found = low + step
    assert found is not None
    value: float = float(found)
    if low is not None:
        value = max(value, low + (step if "exclusiveMinimum" in schema and "minimum" not in schema else 0))
    if high is not None:
        value = min(value, high - (step if "exclusiveMaximum" in schema and "maximum" not in schema else 0))
    return round(value) if integer else value


def _string(name: str, schema: dict[str, Any], ev: _Evidence, *, required: bool) -> str | None:
    lowered = name.lower()
    fmt = schema.get("format")
    value: str | None = None
    if fmt == "date" or lowered.endswith("date"):
        match = re.search(r"\d{4}-\d{2}-\d{2}", ev.text)
        value = match.group(0) if match else (ev.clock().date().isoformat() if required else None)
    elif fmt == "date-time":
        value = ev.clock().replace(microsecond=0).isoformat() if required else None
    elif fmt == "email":
        match = re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", ev.text)
        value = match.group(0) if match else ("user@example.com" if required else None)
    elif any(key in lowered for key in _LOCATION_NAMES + _NAME_NAMES) and ev.places:
        value = ev.places.pop(0)
    elif ev.quoted:
        value = ev.quoted.pop(0)
    elif any(lowered == key or lowered.endswith("_" + key) for key in _FREE_TEXT_NAMES):
        value = ev.text.strip() or None
    if value is None and required:
        value = (
            schema.get("default")
            if isinstance(schema.get("default"), str)
            else (ev.places.pop(0) if ev.places else (ev.text.strip() or name))
        )
    if value is None:
        return None
    max_length = schema.get("maxLength")
    if isinstance(max_length, int):
        value = value[:max_length]
    min_length = schema.get("minLength")
    if isinstance(min_length, int) and len(value) < min_length:
        value = value.ljust(min(min_length, MAX_STRING_CHARS, len(value) + max(ev.budget, 0)), "_")
    value = value[:MAX_STRING_CHARS]
    ev.budget -= len(value)
    return value


def _value(name: str, schema: dict[str, Any], ev: _Evidence, *, required: bool) -> Any:
    """A value for one property, or ``_MISSING`` when an optional one has no evidence."""
    if not isinstance(schema, dict):
        return _MISSING
    schema = _clean(schema)
    for key in ("anyOf", "oneOf"):
        options = [o for o in schema.get(key) or [] if isinstance(o, dict) and o.get("type") != "null"]
        if options:
            return _value(
                name, {**{k: v for k, v in schema.items() if k != key}, **options[0]}, ev, required=required
            )
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(_clean(part))
        return _value(name, merged, ev, required=required)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        mentioned = _mentioned_enum(schema, ev.text)
        if mentioned is not None:
            return mentioned
        if not required:
            return _MISSING
        return schema.get("default", schema["enum"][0])
    kind = _first_type(schema)
    if kind in ("integer", "number"):
        found = ev.numbers.pop(0) if ev.numbers else None
        if found is None and not required:
            return _MISSING
        return _number(schema, found, integer=kind == "integer")
    if kind == "boolean":
        if not required:
            return _MISSING
        return bool(schema.get("default", False))
    if kind == "array":
        items = _clean(schema.get("items"))
        values: list[Any] = []
        if items.get("enum"):
            values = [
                v
                for v in items["enum"][:MAX_ENUM_SCAN]
                if isinstance(v, str) and re.search(rf"\b{re.escape(v.lower())}\b", ev.text.lower())
            ]
        elif _first_type(items) == "string":
            values, ev.quoted = list(ev.quoted), []
        elif _first_type(items) in ("integer", "number"):
            integer = _first_type(items) == "integer"
            values, ev.numbers = [_number(items, n, integer=integer) for n in ev.numbers], []
        while len(values) < min(schema.get("minItems", 0), MAX_ITEMS) and ev.budget > 0:
            values.append(_value(name, items, ev, required=True))
            ev.budget -= 1
        values = values[: min(schema.get("maxItems", MAX_ITEMS), MAX_ITEMS)]
        if not values and not required:
            return _MISSING
        return values
    if kind == "object":
        return _object(schema, ev)
    if kind == "null":
        return None
    return _MISSING if (value := _string(name, schema, ev, required=required)) is None else value


_MISSING = object()


def _object(schema: dict[str, Any], ev: _Evidence) -> dict[str, Any]:
    schema = _clean(schema)
    properties = schema.get("properties") or {}
    required = [p for p in schema.get("required") or [] if isinstance(p, str) and p in properties]
    result: dict[str, Any] = {}
    for name in required + [p for p in properties if p not in required]:
        value = _value(name, properties[name], ev, required=name in required)
        if value is not _MISSING:
            result[name] = value
    return result


def fill_arguments(
    parameters: dict[str, Any] | None, text: str, *, clock: Callable[[], datetime] | None = None
) -> dict[str, Any]:
    """Arguments valid against a tool's JSON schema, filled from the user's words where possible.

    Numbers, quoted strings, enum values mentioned and capitalised place-like words are used; required
    properties with no evidence get the schema's default (or a schema-valid placeholder); optional ones are
    left out unless the words mention them.

    Examples
    --------
    >>> schema = {"type": "object", "required": ["city", "unit"], "properties": {
    ...     "city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    ...     "days": {"type": "integer", "minimum": 1, "maximum": 7}}}
    >>> fill_arguments(schema, "Forecast for Lyon in fahrenheit for 3 days")
    {'city': 'Lyon', 'unit': 'fahrenheit', 'days': 3}
    """
    ev = _Evidence.from_text(text, clock or (lambda: datetime.now(UTC)))
    return _object(parameters or {"type": "object", "properties": {}}, ev)
