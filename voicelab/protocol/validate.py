"""Validation of client events and request bodies with the installed ``openai`` SDK's own pydantic models.

As openai-agents does, a client event is parsed by a strict ``TypeAdapter`` over the SDK's model for its
``type`` (one of the members of ``openai.types.realtime.RealtimeClientEvent``). What the SDK's types do not
say is kept in small tables here:

* unknown keys — the SDK's models keep them in ``model_extra``; :func:`unknown_keys` walks it recursively;
* closed sets the SDK spells ``Union[str, Literal[…]]`` (voices, ``conversation``…): a string outside the
  ``Literal`` is ``invalid_value`` (model names excepted: the model catalogue checks those);
* numeric ranges and lengths OpenAI enforces (:data:`LIMITS`), and the few fields it requires that the SDK
  marks optional (:data:`REQUIRED`).

A failure raises :class:`~voicelab.protocol.errors.ProtocolError` with OpenAI's code, wording and the dotted
parameter path, the same for the WebSocket and REST.

Examples
--------
>>> validate_client_event({"type": "input_audio_buffer.commit"})
{'type': 'input_audio_buffer.commit'}
>>> try:
...     validate_client_event({"type": "session.update",
...                            "session": {"type": "realtime", "audio": {"output": {"speed": 9}}}})
... except ProtocolError as exc:
...     print(exc.code, exc.param)
decimal_above_max_value session.audio.output.speed
>>> try:
...     validate_client_event({"type": "input_audio_buffer.clear", "foo": 1})
... except ProtocolError as exc:
...     print(exc.message)
Unknown parameter: 'foo'.
"""

from __future__ import annotations

import contextlib
import functools
import re
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from openai.types.realtime import (
    ConversationItem,
    RealtimeClientEvent,
    RealtimeResponseCreateParams,
    ResponseCreateEvent,
    ResponseItemReference,
    SessionUpdateEvent,
)
from pydantic import BaseModel, TypeAdapter, ValidationError

from ._literals import literal_values
from .errors import (
    ProtocolError,
    invalid_type,
    invalid_value,
    missing_parameter,
    out_of_range,
    too_long,
    too_short,
    unknown_parameter,
)
from .models import ModelKind, check_model, check_reasoning_params
from .voices import Surface, check_voice

__all__ = [
    "LIMITS",
    "MODEL_FIELDS",
    "REQUIRED",
    "VOICE_FIELDS",
    "Limit",
    "check_body",
    "client_event_model",
    "client_event_types",
    "error_from_pydantic",
    "unknown_keys",
    "validate_client_event",
    "validate_model",
    "validate_session",
]


# ------------------------------------------------------------------------------------------------ the tables


@dataclass(frozen=True)
class Limit:
    """A range (``minimum``/``maximum`` for numbers) or a maximum length (strings and arrays); a range of
    integers is given as ints, a range of decimals as floats."""

    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None

    @property
    def integer(self) -> bool:
        return all(isinstance(v, int) for v in (self.minimum, self.maximum) if v is not None)


_VAD = "session.audio.input.turn_detection"
LIMITS: dict[str, Limit] = {
    "event_id": Limit(max_length=512),
    "session.audio.output.speed": Limit(0.25, 1.5),
    f"{_VAD}.threshold": Limit(0.0, 1.0),
    f"{_VAD}.prefix_padding_ms": Limit(0, 10_000),
    f"{_VAD}.silence_duration_ms": Limit(0, 10_000),
    f"{_VAD}.idle_timeout_ms": Limit(5_000, 30_000),
    "session.max_output_tokens": Limit(1, 4096),
    "session.output_modalities": Limit(max_length=1),
    "session.tools": Limit(max_length=128),
    "session.tools[].name": Limit(max_length=64),
    "session.truncation.retention_ratio": Limit(0.0, 1.0),
    "response.max_output_tokens": Limit(1, 4096),
    "response.output_modalities": Limit(max_length=1),
    "response.tools": Limit(max_length=128),
    "response.tools[].name": Limit(max_length=64),
    "item.id": Limit(max_length=32),
    "content_index": Limit(0),
    "audio_end_ms": Limit(0),
}
"""OpenAI's ranges and lengths, by parameter path (``[]`` stands for any array index). The same paths serve
the WebSocket (``session.update``) and REST (``POST /v1/realtime/client_secrets``)."""

REQUIRED: tuple[tuple[str, str, str | None], ...] = (
    ("session.tools[]", "name", "function"),
    ("response.tools[]", "name", "function"),
    ("item.content[]", "type", None),
    ("response.input[].content[]", "type", None),
)
"""Fields OpenAI requires though the SDK marks them optional, as ``(where, field, only for this "type")``: a
function tool's ``name`` (a tool without ``type`` is a function), a content part's ``type``."""

VOICE_FIELDS: dict[str, Surface] = {
    "session.audio.output.voice": "realtime",
    "response.audio.output.voice": "realtime",
}
"""Where a Realtime event or body names a voice, and whose voice list applies."""

MODEL_FIELDS: dict[str, ModelKind] = {
    "session.model": "realtime",
    "session.audio.input.transcription.model": "realtime_transcription",
}
"""Where a Realtime event or body names a model, and which catalogue kind must serve it
(:mod:`voicelab.protocol.models`; OpenAI's ``model_not_found`` otherwise)."""


# ------------------------------------------------------------------------------------ SDK models per event


class _ResponseParamsWithReferences(RealtimeResponseCreateParams):
    """``response.create``'s ``response`` whose ``input`` may also hold ``item_reference``s, as the SDK's
    ``ResponseCreateEventWithReferencesParam`` (a TypedDict) allows and its pydantic model does not yet."""

    input: list[ConversationItem | ResponseItemReference] | None = None  # type: ignore[assignment]


class _ResponseCreateWithReferences(ResponseCreateEvent):
    response: _ResponseParamsWithReferences | None = None


@functools.cache
def _event_models() -> dict[str, type[BaseModel]]:
    union = typing.get_args(RealtimeClientEvent)[0]  # Annotated[Union[...], PropertyInfo(...)]
    models = {literal_values(m.model_fields["type"].annotation)[0]: m for m in typing.get_args(union)}
    return {**models, "response.create": _ResponseCreateWithReferences}


def client_event_types() -> tuple[str, ...]:
    """The client event types of the installed SDK (11 in GA).

    Examples
    --------
    >>> "session.update" in client_event_types(), len(client_event_types())
    (True, 11)
    """
    return tuple(_event_models())


def client_event_model(event_type: str) -> type[BaseModel]:
    """The SDK's pydantic model for a client event type (``"session.update"`` → ``SessionUpdateEvent``)."""
    return _event_models()[event_type]


@functools.cache
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


# ------------------------------------------------------------------------------ pydantic errors → OpenAI's

_SCALAR_LABELS = frozenset({"str", "int", "float", "bool", "none", "list", "dict", "bytes"})
_TAG_FIELDS = ("type", "role")
_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a decimal",
    "bool_type": "a boolean",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "typed_dict_type": "an object",
    "none_required": "null",
}


def _is_label(part: Any) -> bool:
    """Whether a pydantic ``loc`` part names a union branch rather than a field."""
    return isinstance(part, str) and (
        part[:1].isupper()
        or ("[" in part and not part.endswith("[]"))  # "literal['a']", not a form array "include[]"
        or "-" in part
        or part in _SCALAR_LABELS
    )


def _param(loc: tuple[Any, ...], prefix: str = "") -> str:
    text = prefix
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _is_label(part):
            text += f".{part}" if text else str(part)
    return text


def _is_tag_error(error: dict[str, Any]) -> bool:
    loc = error["loc"]
    return (
        error["type"] == "literal_error" and len(loc) >= 2 and loc[-1] in _TAG_FIELDS and _is_label(loc[-2])
    )


def _under(loc: tuple[Any, ...], prefix: tuple[Any, ...]) -> bool:
    return loc[: len(prefix)] == prefix


def _expected_values(error: dict[str, Any]) -> list[Any]:
    text = str((error.get("ctx") or {}).get("expected", ""))
    return [q if q is not None and n == "" else int(n) for q, n in re.findall(r"'([^']*)'|(-?\d+)", text)]


_RANGE_BOUNDS = {
    "less_than_equal": ("le", "maximum"),
    "less_than": ("lt", "maximum"),
    "greater_than_equal": ("ge", "minimum"),
    "greater_than": ("gt", "minimum"),
}
_PARSING = {"float_parsing": "a decimal", "int_parsing": "an integer", "bool_parsing": "a boolean"}
_JSON_INVALID = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
    "library correctly. The OpenAI API expects a JSON payload.)"
)


def error_from_pydantic(exc: ValidationError | list[dict[str, Any]], prefix: str = "") -> ProtocolError:
    """The first meaningful error of a pydantic validation (or its ``errors()`` list) as OpenAI's error.

    Union branches that a ``type`` (or ``role``) tag rules out are dropped when another branch of the same
    union matches the tag, so the error is the one of the variant the client meant; when no branch matches,
    the tag itself is the invalid value.

    Examples
    --------
    >>> error_from_pydantic([{"type": "less_than_equal", "loc": ("speed",), "input": 9.5,
    ...                       "msg": "Input should be less than or equal to 4", "ctx": {"le": 4.0}}]).message
    "Invalid 'speed': decimal above maximum value. Expected a value <= 4.0, but got 9.5 instead."
    """
    raw = exc.errors(include_url=False) if isinstance(exc, ValidationError) else exc
    errors: list[dict[str, Any]] = [dict(e) for e in raw]
    if not errors:
        return ProtocolError("invalid_value", "Invalid request.", prefix or None)
    for error in errors:
        error["loc"] = tuple(error.get("loc", ()))
    rejected = {e["loc"][:-1] for e in errors if _is_tag_error(e)}
    dead = set()
    for branch in rejected:
        union = branch[:-1]
        siblings = {
            e["loc"][: len(branch)] for e in errors if _under(e["loc"], union) and len(e["loc"]) > len(union)
        }
        if siblings - rejected:
            dead.add(branch)
    survivors = [e for e in errors if not any(_under(e["loc"], b) for b in dead)] or errors
    first = survivors[0]
    param = _param(first["loc"], prefix)
    same = [e for e in survivors if _param(e["loc"], prefix) == param]
    kind, got, ctx = str(first.get("type")), first.get("input"), first.get("ctx") or {}
    if kind == "missing":
        return missing_parameter(param)
    if kind == "json_invalid":
        return ProtocolError("invalid_json", _JSON_INVALID)
    if kind == "extra_forbidden":
        return unknown_parameter(param)
    if all(e.get("type") == "literal_error" for e in same) or kind == "enum":
        values = list(dict.fromkeys(v for e in same for v in _expected_values(e)))
        return invalid_value(param, got, values)
    if kind in _EXPECTED or kind in _PARSING:
        return invalid_type(param, _EXPECTED.get(kind) or _PARSING[kind], got)
    if kind in _RANGE_BOUNDS and isinstance(got, str):  # a form field: the number as sent
        with contextlib.suppress(ValueError):
            got = float(got)
    if kind in _RANGE_BOUNDS and isinstance(got, int | float) and not isinstance(got, bool):
        key, side = _RANGE_BOUNDS[kind]
        bound = ctx.get(key)
        if bound is None:  # FastAPI sometimes drops ctx: read the bound from the message
            number = re.search(r"-?\d+(?:\.\d+)?", str(first.get("msg", "")))
            bound = float(number[0]) if number else got
        if side == "minimum":
            return out_of_range(param, got, minimum=bound)
        return out_of_range(param, got, maximum=bound)
    if kind in ("string_too_long", "too_long") and isinstance(got, str | list):
        return too_long(param, got, int(ctx.get("max_length", 0)))
    if kind in ("string_too_short", "too_short") and isinstance(got, str | list):
        return too_short(param, got, int(ctx.get("min_length", 0)))
    code = "invalid_type" if kind.endswith(("_type", "_parsing")) else "invalid_value"
    return ProtocolError(code, f"Invalid '{param}': {first.get('msg', 'invalid value')}.", param or None)


# ------------------------------------------------------------------------------------ walking the result


def _closed_literals(annotation: Any) -> tuple[str, ...]:
    """The ``Literal`` strings of a ``Union[str, Literal[…]]`` annotation (a set the SDK keeps open)."""
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return ()
    if str not in typing.get_args(annotation):
        return ()
    return tuple(v for v in literal_values(annotation) if isinstance(v, str))


def unknown_keys(value: Any, path: str = "") -> Iterator[ProtocolError]:
    """Errors for every key the SDK's models did not know (their ``model_extra``), and for strings outside the
    ``Literal`` of a ``Union[str, Literal[…]]`` field (but not model names or voices), depth first.

    Examples
    --------
    >>> from openai.types.realtime import InputAudioBufferClearEvent
    >>> event = InputAudioBufferClearEvent.model_validate({"type": "input_audio_buffer.clear", "x": {"y": 1}})
    >>> [e.param for e in unknown_keys(event)]
    ['x']
    """
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from unknown_keys(item, f"{path}[{index}]")
        return
    if not isinstance(value, BaseModel):
        return
    for name, key, closed in _field_plan(type(value)):
        sub = f"{path}.{key}" if path else key
        item = getattr(value, name)
        if closed and isinstance(item, str) and item not in closed:
            yield invalid_value(sub, item, closed)
        if isinstance(item, BaseModel | list):
            yield from unknown_keys(item, sub)
    for key in value.model_extra or {}:
        yield unknown_parameter(f"{path}.{key}" if path else key)


@functools.cache
def _field_plan(model: type[BaseModel]) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """``(attribute, wire name, closed set of strings)`` for each field of an SDK model (computed once)."""
    return tuple(
        (
            name,
            field.alias or name,
            () if (field.alias or name) in ("model", "voice") else _closed_literals(field.annotation),
        )
        for name, field in model.model_fields.items()
    )


# ------------------------------------------------------------------------------------------ the raw checks


def _at(data: Any, pattern: tuple[tuple[str, bool], ...]) -> list[tuple[str, Any]]:
    """``(path, value)`` for every value of ``data`` at a split pattern (``a.b[].c`` →
    ``(("a", False), ("b", True), ("c", False))``)."""
    items: list[tuple[str, Any]] = [("", data)]
    for name, each in pattern:
        nxt = []
        for path, node in items:
            if isinstance(node, dict) and name in node:
                sub = f"{path}.{name}" if path else name
                if not each:
                    nxt.append((sub, node[name]))
                elif isinstance(node[name], list):
                    nxt += [(f"{sub}[{i}]", v) for i, v in enumerate(node[name])]
        items = nxt
    return items


def _split(pattern: str) -> tuple[tuple[str, bool], ...]:
    return tuple((part.removesuffix("[]"), part.endswith("[]")) for part in pattern.split("."))


def _check_limit(path: str, value: Any, limit: Limit) -> None:
    if limit.max_length is not None and isinstance(value, str | list) and len(value) > limit.max_length:
        raise too_long(path, value, limit.max_length)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    low, high = limit.minimum, limit.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        raise out_of_range(path, value, minimum=low, maximum=high, integer=limit.integer)


def check_body(data: dict[str, Any], prefix: str = "") -> None:
    """Apply :data:`REQUIRED`, :data:`LIMITS`, :data:`VOICE_FIELDS` and :data:`MODEL_FIELDS` to an event or
    body that the SDK's types accepted (``prefix`` is prepended to the paths, e.g. ``"session"`` for a bare
    session)."""
    root: Any = data
    for part in reversed(prefix.split(".") if prefix else []):
        root = {part: root}
    present = root.keys()
    for head in present & _RULES_BY_HEAD.keys():
        for pattern, rule in _RULES_BY_HEAD[head]:
            for path, node in _at(root, pattern):
                rule(path, node)


def _required_rule(key: str, only_for: str | None) -> Callable[[str, Any], None]:
    def check(path: str, node: Any) -> None:
        if (
            isinstance(node, dict)
            and key not in node
            and (only_for is None or node.get("type", only_for) == only_for)
        ):
            raise missing_parameter(f"{path}.{key}")

    return check


def _limit_rule(limit: Limit) -> Callable[[str, Any], None]:
    return lambda path, value: _check_limit(path, value, limit)


def _voice_rule(surface: Surface) -> Callable[[str, Any], None]:
    def check(path: str, value: Any) -> None:
        check_voice(value, surface, param=path)

    return check


def _model_rule(kind: ModelKind) -> Callable[[str, Any], None]:
    def check(path: str, value: Any) -> None:
        if isinstance(value, str):
            check_model(value, kind, param=path)

    return check


def _rules_by_head() -> dict[str, list[tuple[tuple[tuple[str, bool], ...], Callable[[str, Any], None]]]]:
    rules: list[tuple[str, Callable[[str, Any], None]]] = [
        *((pattern, _required_rule(key, only_for)) for pattern, key, only_for in REQUIRED),
        *((pattern, _limit_rule(limit)) for pattern, limit in LIMITS.items()),
        *((pattern, _voice_rule(surface)) for pattern, surface in VOICE_FIELDS.items()),
        *((pattern, _model_rule(kind)) for pattern, kind in MODEL_FIELDS.items()),
    ]
    by_head: dict[str, list[tuple[tuple[tuple[str, bool], ...], Callable[[str, Any], None]]]] = {}
    for pattern, rule in rules:
        split = _split(pattern)
        by_head.setdefault(split[0][0], []).append((split, rule))
    return by_head


_RULES_BY_HEAD = _rules_by_head()


# ------------------------------------------------------------------------------------------- entry points


def validate_model(annotation: Any, data: Any, prefix: str = "") -> Any:
    """Parse ``data`` with a strict ``TypeAdapter`` over an SDK type; raise the first error as OpenAI's.

    Returns the parsed SDK object. Unknown keys and out-of-set strings are errors (:func:`unknown_keys`).
    """
    try:
        parsed = _adapter(annotation).validate_python(data, strict=True)
    except ValidationError as exc:
        raise error_from_pydantic(exc, prefix) from None
    for error in unknown_keys(parsed, prefix):
        raise error
    return parsed


def validate_client_event(event: Any) -> dict[str, Any]:
    """Check a Realtime client event against the installed SDK's types and OpenAI's limits.

    Returns the event unchanged (a dict) if it is valid.

    Raises
    ------
    ProtocolError
        With OpenAI's code, message and the parameter's dotted path.
    """
    if not isinstance(event, dict):
        raise ProtocolError("invalid_event", "The client event must be a JSON object with a 'type' field.")
    kind = event.get("type")
    if "type" not in event:
        raise missing_parameter("type")
    if not isinstance(kind, str):
        raise invalid_type("type", "a string", kind)
    if kind not in _event_models():
        raise invalid_value("type", kind, client_event_types())
    validate_model(_event_models()[kind], event)
    check_body(event)
    return event


_SESSION = SessionUpdateEvent.model_fields["session"].annotation


def validate_session(session: Any, prefix: str = "session") -> dict[str, Any]:
    """Check a GA session object (``realtime`` or ``transcription``), as ``session.update`` and
    ``POST /v1/realtime/client_secrets`` carry it. Returns it unchanged if valid.

    Examples
    --------
    >>> try:
    ...     validate_session({"type": "realtime", "audio": {"output": {"voice": "nova"}}})
    ... except ProtocolError as exc:
    ...     print(exc.code, exc.param)
    invalid_value session.audio.output.voice
    """
    validate_model(_SESSION, session, prefix)
    check_body(session, prefix)
    if isinstance(session.get("model"), str):  # reasoning parameters need a reasoning model
        check_reasoning_params(session, session["model"], prefix)
    return session
