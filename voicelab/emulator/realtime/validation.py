"""A small schema language for client events, producing OpenAI-shaped error codes and messages.

The Realtime API rejects a bad client event with an ``error`` event naming the parameter by its dotted path
(``session.audio.output.speed``) and a code (``unknown_parameter``, ``missing_required_parameter``,
``invalid_type``, ``invalid_value``, ``decimal_above_max_value``, …). Every client event schema in
:mod:`voicelab.emulator.realtime.schemas` is built from the validators here, so every bad field gets the same
treatment.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = [
    "AnyValue",
    "Bool",
    "Enum",
    "EventError",
    "Int",
    "List",
    "Nullable",
    "Number",
    "Object",
    "OneOf",
    "Str",
    "Tagged",
    "Validator",
]


class EventError(Exception):
    """A client event was rejected; becomes a server ``error`` event.

    Parameters
    ----------
    code : str
        OpenAI's error code, e.g. ``"invalid_value"``.
    message : str
        Human-readable message in OpenAI's wording.
    param : str or None
        Dotted path of the offending parameter.
    type : str
        Error type; ``"invalid_request_error"`` for client mistakes.
    """

    def __init__(
        self, code: str, message: str, param: str | None = None, *, type: str = "invalid_request_error"
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param
        self.type = type


_TYPE_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a decimal",
    str: "a string",
    list: "an array",
    dict: "an object",
    type(None): "null",
}


def _describe(value: Any) -> str:
    for kind, name in _TYPE_NAMES.items():
        if type(value) is kind:
            return name
    return "an unsupported value"


def _type_error(path: str, expected: str, value: Any) -> EventError:
    return EventError(
        "invalid_type",
        f"Invalid type for '{path}': expected {expected}, but got {_describe(value)} instead.",
        path,
    )


def _quote_list(values: Iterable[Any]) -> str:
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 1:
        return "".join(quoted)
    return (
        ", ".join(quoted[:-1]) + f", and {quoted[-1]}" if len(quoted) > 2 else f"{quoted[0]} and {quoted[1]}"
    )


Validator = Callable[[Any, str], Any]


@dataclass(frozen=True)
class Str:
    """A string, optionally with a maximum length."""

    max_length: int | None = None

    def __call__(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise _type_error(path, "a string", value)
        if self.max_length is not None and len(value) > self.max_length:
            raise EventError(
                "string_above_max_length",
                f"Invalid '{path}': string too long. Expected a string with maximum length "
                f"{self.max_length}, but got a string with length {len(value)} instead.",
                path,
            )
        return value


@dataclass(frozen=True)
class Bool:
    """A JSON boolean."""

    def __call__(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise _type_error(path, "a boolean", value)
        return value


_N = TypeVar("_N", int, float)


def _in_range(value: _N, path: str, kind: str, minimum: float | None, maximum: float | None) -> _N:
    """``value`` if it lies in ``[minimum, maximum]``, else OpenAI's ``{kind}_below_min_value`` or
    ``{kind}_above_max_value`` error (``kind`` is "integer" or "decimal")."""
    if minimum is not None and value < minimum:
        raise EventError(
            f"{kind}_below_min_value",
            f"Invalid '{path}': {kind} below minimum value. Expected a value >= {minimum}, "
            f"but got {value} instead.",
            path,
        )
    if maximum is not None and value > maximum:
        raise EventError(
            f"{kind}_above_max_value",
            f"Invalid '{path}': {kind} above maximum value. Expected a value <= {maximum}, "
            f"but got {value} instead.",
            path,
        )
    return value


@dataclass(frozen=True)
class Int:
    """An integer within ``[minimum, maximum]`` (a float with an integral value is accepted and converted)."""

    minimum: int | None = None
    maximum: int | None = None

    def __call__(self, value: Any, path: str) -> int:
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(path, "an integer", value)
        return _in_range(value, path, "integer", self.minimum, self.maximum)


@dataclass(frozen=True)
class Number:
    """A finite number within ``[minimum, maximum]``, returned as a float."""

    minimum: float | None = None
    maximum: float | None = None

    def __call__(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _type_error(path, "a decimal", value)
        if not math.isfinite(value):
            raise EventError(
                "invalid_value", f"Invalid '{path}': expected a finite number, but got {value}.", path
            )
        value = float(value)
        return _in_range(value, path, "decimal", self.minimum, self.maximum)


@dataclass(frozen=True)
class Enum:
    """One of a fixed set of values (strings usually)."""

    values: tuple[Any, ...]

    def __call__(self, value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            expected = "a string" if all(isinstance(v, str) for v in self.values) else "a number"
            raise _type_error(path, expected, value)
        if value not in self.values:
            raise EventError(
                "invalid_value",
                f"Invalid value: '{value}'. Supported values are: {_quote_list(self.values)}.",
                path,
            )
        return value


@dataclass(frozen=True)
class AnyValue:
    """Anything JSON (used for free-form schemas such as a tool's ``parameters``)."""

    kind: type | None = None
    expected: str = "a value"

    def __call__(self, value: Any, path: str) -> Any:
        if self.kind is not None and (not isinstance(value, self.kind) or isinstance(value, bool)):
            raise _type_error(path, self.expected, value)
        return value


@dataclass(frozen=True)
class Nullable:
    """``null`` or the inner validator."""

    inner: Validator

    def __call__(self, value: Any, path: str) -> Any:
        return None if value is None else self.inner(value, path)


@dataclass(frozen=True)
class List:
    """An array of items each checked by ``item``."""

    item: Validator
    max_items: int | None = None

    def __call__(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise _type_error(path, "an array", value)
        if self.max_items is not None and len(value) > self.max_items:
            raise EventError(
                "array_above_max_length",
                f"Invalid '{path}': array too long. Expected an array with maximum length "
                f"{self.max_items}, but got an array with length {len(value)} instead.",
                path,
            )
        return [self.item(v, f"{path}[{i}]") for i, v in enumerate(value)]


@dataclass(frozen=True)
class Object:
    """A JSON object with known fields; unknown fields are ``unknown_parameter`` errors."""

    fields: Mapping[str, Validator]
    required: frozenset[str] = field(default_factory=frozenset)
    open: bool = False  # accept unknown keys (for free-form objects such as metadata)

    def __call__(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _type_error(path, "an object", value)
        out: dict[str, Any] = {}
        for key, item in value.items():
            sub = f"{path}.{key}" if path else str(key)
            checker = self.fields.get(key)
            if checker is None:
                if not self.open:
                    raise EventError("unknown_parameter", f"Unknown parameter: '{sub}'.", sub)
                out[key] = item
                continue
            out[key] = checker(item, sub)
        for key in sorted(self.required):
            if key not in value:
                sub = f"{path}.{key}" if path else key
                raise EventError("missing_required_parameter", f"Missing required parameter: '{sub}'.", sub)
        return out


@dataclass(frozen=True)
class Tagged:
    """An object whose ``tag`` field (usually ``type``) picks the schema; ``default`` applies when it is
    absent."""

    variants: Mapping[str, Object]
    tag: str = "type"
    default: str | None = None

    def __call__(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _type_error(path, "an object", value)
        kind = value.get(self.tag, self.default)
        tag_path = f"{path}.{self.tag}" if path else self.tag
        if self.tag not in value and self.default is None:
            raise EventError(
                "missing_required_parameter", f"Missing required parameter: '{tag_path}'.", tag_path
            )
        if not isinstance(kind, str):
            raise _type_error(tag_path, "a string", kind)
        if kind not in self.variants:
            raise EventError(
                "invalid_value",
                f"Invalid value: '{kind}'. Supported values are: {_quote_list(self.variants)}.",
                tag_path,
            )
        return self.variants[kind](value, path)


@dataclass(frozen=True)
class OneOf:
    """The first of several validators that accepts the value; otherwise the first one's error."""

    options: tuple[Validator, ...]

    def __call__(self, value: Any, path: str) -> Any:
        first: EventError | None = None
        for option in self.options:
            try:
                return option(value, path)
            except EventError as exc:
                first = first or exc
        assert first is not None
        raise first
