"""One error vocabulary for the Realtime WebSocket and the REST endpoints: OpenAI's codes, types and wording.

A bad client event and a bad request body get the same code, ``param`` (the dotted path,
``session.audio.output.speed``) and message; only the envelope differs (a server ``error`` event on the
WebSocket, an HTTP 4xx body on REST). Every message here is worded as OpenAI words it.

Examples
--------
>>> err = out_of_range("session.audio.output.speed", 2.0, minimum=0.25, maximum=1.5)
>>> err.code, err.param
('decimal_above_max_value', 'session.audio.output.speed')
>>> err.message.startswith("Invalid 'session.audio.output.speed': decimal above maximum value.")
True
>>> err.message.endswith("Expected a value <= 1.5, but got 2.0 instead.")
True
>>> err.event_body(client_event_id="evt_1")["code"]
'decimal_above_max_value'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from voicelab.errors import ParameterError

__all__ = [
    "ProtocolError",
    "describe_type",
    "invalid_type",
    "invalid_value",
    "missing_parameter",
    "out_of_range",
    "quote_list",
    "too_long",
    "too_short",
    "unknown_parameter",
]


class ProtocolError(ParameterError):
    """A client event, request body or session config broke the protocol; becomes an OpenAI ``error``.

    A :class:`~voicelab.errors.ParameterError` (so a ``ValueError``) whose message is OpenAI's, word for word:
    the client raises it before sending what the server would refuse, with the text the server would send.

    Parameters
    ----------
    code : str or None
        OpenAI's error code, e.g. ``"invalid_value"`` (a few server errors have none).
    message : str
        The message in OpenAI's wording.
    param : str or None
        Dotted path of the offending parameter (``"session.audio.output.voice"``).
    type : str
        ``"invalid_request_error"`` for client mistakes, ``"server_error"`` for ours.

    Examples
    --------
    >>> error = ProtocolError("invalid_value", "Invalid value: 'x'.", "voice")
    >>> error.event_body()  # doctest: +NORMALIZE_WHITESPACE
    {'type': 'invalid_request_error', 'code': 'invalid_value', 'message': "Invalid value: 'x'.",
     'param': 'voice', 'event_id': None}
    """

    def __init__(
        self, code: str | None, message: str, param: str | None = None, *, type: str = "invalid_request_error"
    ) -> None:
        Exception.__init__(self, message)  # OpenAI's message, not ParameterError's "expected/got" layout
        self.code = code
        self.message = message
        self.param = param  # type: ignore[assignment]  # a protocol error may concern no single parameter
        self.type = type
        self.expected, self.got, self.fix = message, "", None

    def event_body(self, *, client_event_id: str | None = None) -> dict[str, Any]:
        """The ``error`` object of a server ``error`` event (``event_id`` is the client event's id)."""
        return {
            "type": self.type,
            "code": self.code,
            "message": self.message,
            "param": self.param,
            "event_id": client_event_id,
        }

    def http_body(self) -> dict[str, Any]:
        """The JSON body of an HTTP 4xx/5xx answer."""
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    @property
    def http_status(self) -> int:
        """The HTTP status OpenAI answers this error with on REST (404 for an unknown model, else 400; 500 for
        ``server_error``)."""
        if self.type == "server_error":
            return 500
        return _HTTP_STATUS.get(self.code or "", 400)

    def __repr__(self) -> str:
        return f"ProtocolError({self.code!r}, {self.message!r}, {self.param!r})"


_HTTP_STATUS = {"model_not_found": 404}

_TYPE_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a decimal",
    str: "a string",
    list: "an array",
    dict: "an object",
    type(None): "null",
}


def describe_type(value: Any) -> str:
    """OpenAI's name for a JSON value's type.

    Examples
    --------
    >>> describe_type(5), describe_type("x"), describe_type(None)
    ('an integer', 'a string', 'null')
    """
    for kind, name in _TYPE_NAMES.items():
        if type(value) is kind:
            return name
    return "an unsupported value"


def quote_list(values: Iterable[Any]) -> str:
    """``'a', 'b', and 'c'`` — how OpenAI lists supported values.

    Examples
    --------
    >>> quote_list(["server_vad", "semantic_vad"]), quote_list("abc")
    ("'server_vad' and 'semantic_vad'", "'a', 'b', and 'c'")
    """
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 1:
        return "".join(quoted)
    if len(quoted) == 2:
        return f"{quoted[0]} and {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def unknown_parameter(param: str) -> ProtocolError:
    """``Unknown parameter: 'session.voice'.``"""
    return ProtocolError("unknown_parameter", f"Unknown parameter: '{param}'.", param)


def missing_parameter(param: str) -> ProtocolError:
    """``Missing required parameter: 'item.call_id'.``"""
    return ProtocolError("missing_required_parameter", f"Missing required parameter: '{param}'.", param)


def invalid_type(param: str, expected: str, value: Any) -> ProtocolError:
    """``Invalid type for 'audio': expected a string, but got an integer instead.``

    Examples
    --------
    >>> invalid_type("audio", "a string", 12).message
    "Invalid type for 'audio': expected a string, but got an integer instead."
    """
    return ProtocolError(
        "invalid_type",
        f"Invalid type for '{param}': expected {expected}, but got {describe_type(value)} instead.",
        param,
    )


def invalid_value(param: str | None, value: Any, supported: Iterable[Any]) -> ProtocolError:
    """``Invalid value: 'robot'. Supported values are: 'alloy', 'ash', … and 'cedar'.``

    Examples
    --------
    >>> invalid_value("item.role", "robot", ["user", "assistant"]).message
    "Invalid value: 'robot'. Supported values are: 'user' and 'assistant'."
    """
    return ProtocolError(
        "invalid_value", f"Invalid value: '{value}'. Supported values are: {quote_list(supported)}.", param
    )


def out_of_range(
    param: str,
    value: float,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    integer: bool | None = None,
) -> ProtocolError:
    """OpenAI's ``{integer|decimal}_{below_min|above_max}_value`` error for ``value`` outside the range.

    ``integer`` says whether the parameter is an integer one; by default, integers (not booleans) are
    ``integer_…`` and other numbers ``decimal_…`` (a decimal parameter shows its value as a decimal).

    Examples
    --------
    >>> out_of_range("audio_end_ms", -5, minimum=0).code
    'integer_below_min_value'
    """
    if integer is None:
        integer = isinstance(value, int) and not isinstance(value, bool)
    kind = "integer" if integer else "decimal"
    if not integer:
        value = float(value)
    if minimum is not None and value < minimum:
        return ProtocolError(
            f"{kind}_below_min_value",
            f"Invalid '{param}': {kind} below minimum value. Expected a value >= {minimum}, "
            f"but got {value} instead.",
            param,
        )
    return ProtocolError(
        f"{kind}_above_max_value",
        f"Invalid '{param}': {kind} above maximum value. Expected a value <= {maximum}, "
        f"but got {value} instead.",
        param,
    )


def too_long(param: str, value: str | list[Any], maximum: int) -> ProtocolError:
    """OpenAI's ``string_above_max_length`` / ``array_above_max_length`` error.

    Examples
    --------
    >>> too_long("session.output_modalities", ["text", "audio"], 1).code
    'array_above_max_length'
    """
    return _length_error(param, value, maximum, "above_max", "too long", "maximum")


def too_short(param: str, value: str | list[Any], minimum: int) -> ProtocolError:
    """OpenAI's ``string_below_min_length`` / ``array_below_min_length`` error.

    Examples
    --------
    >>> too_short("messages", [], 1).message.split(". ")[1]
    'Expected an array with minimum length 1, but got an array with length 0 instead.'
    """
    return _length_error(param, value, minimum, "below_min", "too short", "minimum")


def _length_error(
    param: str, value: str | list[Any], bound: int, code: str, what: str, side: str
) -> ProtocolError:
    kind, article = ("string", "a") if isinstance(value, str) else ("array", "an")
    return ProtocolError(
        f"{kind}_{code}_length",
        f"Invalid '{param}': {kind} {what}. Expected {article} {kind} with {side} length {bound}, "
        f"but got {article} {kind} with length {len(value)} instead.",
        param,
    )
