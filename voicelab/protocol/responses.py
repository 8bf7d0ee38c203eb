"""The Responses API (``POST /v1/responses``) as the installed SDK types it: the request, the usage object.

The request is checked with a strict ``TypeAdapter`` over the SDK's own pydantic models for the fields the
emulator acts on (``input`` items, ``tools``, ``tool_choice``, ``reasoning``, ``text``…); the other
parameters of ``ResponseCreateParams`` are accepted as sent, and a top-level key the SDK does not know is
OpenAI's ``unknown_parameter``. Errors are :class:`~voicelab.protocol.errors.ProtocolError` naming the
dotted parameter (``input[0].content[0].type``).

Usage (``ResponseUsage``): input tokens with their cached part, output tokens with their reasoning part —
reasoning tokens are output text tokens, billed at the output text rate.

Examples
--------
>>> request = validate_request({"model": "gpt-4.1", "input": "Hello"})
>>> request.input, request.stream
('Hello', None)
>>> try:
...     validate_request({"model": "gpt-4.1", "input": "Hi", "tool_choise": "auto"})
... except ProtocolError as exc:
...     print(exc.code, exc.param)
unknown_parameter tool_choise
>>> usage(input_tokens=12, output_tokens=30, reasoning_tokens=24)["output_tokens_details"]
{'reasoning_tokens': 24}
"""

from __future__ import annotations

import functools
import typing
from typing import Any, Literal

from openai.types.responses import Response, ResponseInputItem, ResponseTextConfig, Tool, ToolChoiceOptions
from openai.types.responses.response_create_params import ResponseCreateParamsBase
from openai.types.shared import Reasoning
from pydantic import BaseModel, ConfigDict

from ._literals import literal_values
from .errors import ProtocolError, invalid_type, invalid_value, missing_parameter, unknown_parameter
from .validate import validate_model

__all__ = ["REQUEST_PARAMS", "ResponsesRequest", "mcp_call_error", "usage", "validate_request"]

REQUEST_PARAMS: frozenset[str] = frozenset(ResponseCreateParamsBase.__annotations__) | {"stream"}
"""Every top-level parameter of ``responses.create`` in the installed SDK (``stream`` included)."""

_ToolChoice = Response.model_fields["tool_choice"].annotation
_TOOL_CHOICE_MODES = literal_values(ToolChoiceOptions)


@functools.cache
def _tool_choice_models() -> dict[str, type[BaseModel]]:
    """The SDK's object ``tool_choice`` models by their ``type`` (``mcp`` → ``ToolChoiceMcp``…)."""
    models: dict[str, type[BaseModel]] = {}
    for member in typing.get_args(_ToolChoice):
        if isinstance(member, type) and issubclass(member, BaseModel):
            for kind in literal_values(member.model_fields["type"].annotation):
                models[kind] = member
    return models


class ResponsesRequest(BaseModel):
    """The body of ``POST /v1/responses``: the fields the emulator acts on, typed with the SDK's models.

    The other parameters of the SDK's ``ResponseCreateParams`` (``temperature``, ``store``, ``include``…)
    stay in ``model_extra`` as sent.
    """

    model_config = ConfigDict(extra="allow")

    model: str
    input: str | list[ResponseInputItem]
    instructions: str | None = None
    tools: list[Tool] | None = None
    tool_choice: _ToolChoice | None = None  # type: ignore[valid-type]
    parallel_tool_calls: bool | None = None
    previous_response_id: str | None = None
    reasoning: Reasoning | None = None
    text: ResponseTextConfig | None = None
    max_output_tokens: int | None = None
    store: bool | None = None
    stream: bool | None = None
    metadata: dict[str, str] | None = None
    temperature: float | None = None
    top_p: float | None = None
    truncation: Literal["auto", "disabled"] | None = None
    user: str | None = None


@functools.cache
def _known_fields() -> frozenset[str]:
    return frozenset(ResponsesRequest.model_fields)


def validate_request(body: Any) -> ResponsesRequest:
    """Check a ``POST /v1/responses`` body; return it parsed.

    Raises
    ------
    ProtocolError
        ``unknown_parameter`` for a key the SDK does not know, ``missing_required_parameter`` for ``model``
        or ``input``, and the SDK types' own errors for the fields the emulator acts on.
    """
    if not isinstance(body, dict):
        raise invalid_type("body", "a JSON object", body)
    for key in body:
        if key not in REQUEST_PARAMS:
            raise unknown_parameter(key)
    for key in ("model", "input"):
        if body.get(key) is None:
            raise missing_parameter(key)
    if isinstance(body["input"], list):  # the items' own errors, not the string branch's
        validate_model(list[ResponseInputItem], body["input"], "input")
    choice = body.get("tool_choice")
    if isinstance(choice, str) and choice not in _TOOL_CHOICE_MODES:
        raise invalid_value("tool_choice", choice, _TOOL_CHOICE_MODES)
    if isinstance(choice, dict):  # the error of the form its type names, not the whole union's
        models = _tool_choice_models()
        if choice.get("type") not in models:
            raise invalid_value("tool_choice.type", choice.get("type"), models)
        validate_model(models[choice["type"]], choice, "tool_choice")
    acted_on = {k: v for k, v in body.items() if k in _known_fields()}
    parsed: ResponsesRequest = validate_model(ResponsesRequest, acted_on)
    extra = {k: v for k, v in body.items() if k not in _known_fields()}
    return parsed.model_copy(update=extra) if extra else parsed


def usage(
    *, input_tokens: int, output_tokens: int, reasoning_tokens: int = 0, cached_tokens: int = 0
) -> dict[str, Any]:
    """The ``ResponseUsage`` object: ``output_tokens`` include the ``reasoning_tokens``, ``input_tokens``
    the ``cached_tokens``.

    Examples
    --------
    >>> usage(input_tokens=10, output_tokens=5)["total_tokens"]
    15
    """
    if reasoning_tokens > output_tokens or cached_tokens > input_tokens:
        raise ProtocolError(
            None, "reasoning ⊂ output and cached ⊂ input tokens", "usage", type="server_error"
        )
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached_tokens, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
    }


_MCP_ERROR_TYPES = {
    "protocol_error": "mcp_protocol_error",
    "tool_execution_error": "mcp_tool_execution_error",
}


def mcp_call_error(error: dict[str, Any]) -> dict[str, Any]:
    """An MCP call's error object (the Realtime API's shape: ``http_error``, ``protocol_error``,
    ``tool_execution_error`` with a ``message``) as the Responses API types it (``McpToolCallError``:
    ``http_error``, ``mcp_protocol_error``, ``mcp_tool_execution_error`` with the tool's ``content``).

    Examples
    --------
    >>> mcp_call_error({"type": "tool_execution_error", "message": "boom"})
    {'type': 'mcp_tool_execution_error', 'content': [{'type': 'text', 'text': 'boom'}]}
    >>> mcp_call_error({"type": "http_error", "code": 502, "message": "unreachable"})["type"]
    'http_error'
    """
    kind = _MCP_ERROR_TYPES.get(error["type"], error["type"])
    if kind == "mcp_tool_execution_error":
        return {"type": kind, "content": [{"type": "text", "text": error["message"]}]}
    return {"type": kind, "code": int(error["code"]), "message": error["message"]}
