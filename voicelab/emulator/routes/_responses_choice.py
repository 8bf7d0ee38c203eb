"""``tool_choice`` on ``POST /v1/responses``: which tools the model may call, and whether it must call one.

The forms the emulator serves (the SDK's ``ToolChoiceOptions``, ``ToolChoiceFunction``, ``ToolChoiceMcp`` and
``ToolChoiceAllowed``):

- ``"auto"``, ``"none"``, ``"required"``;
- ``{"type": "function", "name": N}``: call the function ``N``;
- ``{"type": "mcp", "server_label": L, "name"?: N}``: call a tool of the MCP server ``L`` (``N`` when given),
  after its tools are listed; ``require_approval`` still applies to the call;
- ``{"type": "allowed_tools", "mode": "auto"|"required", "tools": [...]}``: the model may call only the
  listed tools (``{"type": "function", "name"}``, ``{"type": "mcp", "server_label", "name"?}``) in every
  round of the response; ``required`` makes it call one of them first. The whole ``tools`` list is still
  read (and billed) as input, as OpenAI keeps it for prompt caching.

A forced choice (a function, an MCP server, ``required``) decides the model's first step; after an MCP call
the model answers (``auto``) with every tool, or only the allowed ones under ``allowed_tools``. What can be
checked before the MCP servers are listed is checked by :meth:`ToolChoice.of` (a 400 before the response
starts); the tool names of an MCP server by :meth:`ToolChoice.offered` once it is listed (a 400, or the
stream's ``error`` and ``response.failed``).

Examples
--------
>>> weather = {"type": "function", "name": "get_weather"}
>>> time = {"type": "function", "name": "get_time"}
>>> only_time = [{"type": "function", "name": "get_time"}]
>>> choice = ToolChoice.of({"type": "allowed_tools", "mode": "required", "tools": only_time}, [weather, time])
>>> choice.first, [t["name"] for t in choice.offered([weather, time], {})]
('required', ['get_time'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voicelab.emulator.mcp.choice import Catalogue, McpPick, offered_tools
from voicelab.emulator.mcp.servers import check_mcp_choice
from voicelab.emulator.responder.tools import normalize_tools
from voicelab.protocol.errors import ProtocolError, invalid_type, missing_parameter, too_short

from ..errors import OpenAIHTTPError

__all__ = ["SUPPORTED_FORMS", "ToolChoice"]

SUPPORTED_FORMS = (
    "'auto', 'none', 'required', {'type': 'function', 'name': …}, {'type': 'mcp', 'server_label': …, "
    "'name'?: …} or {'type': 'allowed_tools', 'mode': 'auto'|'required', 'tools': [function and mcp tools]}"
)
"""The ``tool_choice`` forms the emulator serves, as its errors say them."""


def _bad(param: str, message: str, code: str = "invalid_value") -> OpenAIHTTPError:
    return OpenAIHTTPError(400, message, param=param, code=code)


def _unsupported(param: str, kind: Any, what: str) -> OpenAIHTTPError:
    return _bad(
        param,
        f"{what} type {kind!r} is not supported by the offline emulator (hosted tools do not run offline); "
        f"use {SUPPORTED_FORMS}.",
        "unsupported_value",
    )


def _http(error: ProtocolError) -> OpenAIHTTPError:
    return OpenAIHTTPError.from_protocol(error)


def _check_server(entry: dict[str, Any], tools: list[dict[str, Any]], param: str) -> None:
    """The MCP server an entry names is one of ``tools`` (the check Realtime sessions make too)."""
    try:
        check_mcp_choice(entry, tools, param)
    except ProtocolError as exc:
        raise _http(exc) from exc


@dataclass(frozen=True)
class ToolChoice:
    """A request's ``tool_choice``, checked, in the responder's terms.

    Attributes
    ----------
    echoed : str or dict
        What the response's ``tool_choice`` says (the request's choice).
    first : str or dict
        The responder's choice for the model's first step: ``"auto"``, ``"none"``, ``"required"`` or
        ``{"type": "function", "name": …}``.
    functions : frozenset of str or None
        The function tools the model may call (None: every tool, no restriction).
    servers : tuple of McpPick
        The MCP servers (and tools) the model may call, when ``functions`` is not None.
    every_round : bool
        Whether ``functions`` and ``servers`` narrow every round of the response (``allowed_tools``), or
        only the first step (an MCP server's choice: the model answers its result with every tool).
    """

    echoed: str | dict[str, Any]
    first: str | dict[str, Any]
    functions: frozenset[str] | None = None
    servers: tuple[McpPick, ...] = field(default_factory=tuple)
    every_round: bool = True

    @classmethod
    def of(cls, choice: str | dict[str, Any] | None, tools: list[dict[str, Any]]) -> ToolChoice:
        """The request's ``tool_choice`` (JSON; None when it is not given) checked against its ``tools``.

        Raises
        ------
        OpenAIHTTPError
            400 naming the parameter: an unknown function or ``server_label``, ``required`` without tools,
            a form the emulator does not serve (``unsupported_value`` on ``tool_choice.type``).
        """
        if choice is None:
            return cls("auto", "auto")
        if isinstance(choice, str):
            if choice == "required" and not _callable(tools):
                raise _bad("tool_choice", "Tool choice 'required' must be specified with 'tools' parameter.")
            return cls(choice, choice)
        kind = choice.get("type")
        if kind == "function":
            _check_function(choice.get("name"), tools, "tool_choice")
            return cls(choice, choice)
        if kind == "mcp":
            _check_server(choice, tools, "tool_choice")
            pick = McpPick(choice["server_label"], choice.get("name"), "tool_choice")
            return cls(choice, pick.first, frozenset(), (pick,), every_round=False)
        if kind == "allowed_tools":
            return cls._allowed(choice, tools)
        raise _unsupported("tool_choice.type", kind, "Tool choice")

    @classmethod
    def _allowed(cls, data: dict[str, Any], tools: list[dict[str, Any]]) -> ToolChoice:
        entries = data["tools"]
        if not entries:
            raise _http(too_short("tool_choice.tools", entries, 1))
        functions: set[str] = set()
        servers: list[McpPick] = []
        for index, entry in enumerate(entries):
            where = f"tool_choice.tools[{index}]"
            kind = entry.get("type")
            if kind == "function":
                name = _required_text(entry, "name", where)
                _check_function(name, tools, f"{where}.name")
                functions.add(name)
            elif kind == "mcp":
                _required_text(entry, "server_label", where)
                tool_name = entry.get("name")
                if tool_name is not None and not isinstance(tool_name, str):
                    raise _http(invalid_type(f"{where}.name", "a string", tool_name))
                _check_server(entry, tools, where)
                servers.append(McpPick(entry["server_label"], tool_name, where))
            elif kind is None:
                raise _http(missing_parameter(f"{where}.type"))
            else:
                raise _unsupported(f"{where}.type", kind, "Allowed tool")
        return cls(data, data["mode"], frozenset(functions), tuple(servers))

    def offered(self, tools: list[dict[str, Any]], catalogue: Catalogue) -> list[dict[str, Any]]:
        """The function tools the responder may choose from: ``tools`` (the request's functions and the
        listed MCP tools, :meth:`RequestMcp.function_tools`) as the choice restricts them.

        Raises
        ------
        OpenAIHTTPError
            400 naming ``…name`` (or ``…server_label``): the choice names a tool its MCP server does not
            list (or ``allowed_tools`` leaves out), or a server that lists no tool the model may call.
        """
        if self.functions is None:
            return tools
        for pick in self.servers:
            try:
                pick.check_listed(catalogue)
            except ProtocolError as exc:
                raise _http(exc) from exc
        return offered_tools(tools, catalogue, self.servers, self.functions)


def _callable(tools: list[dict[str, Any]]) -> bool:
    """Whether the request gives the model tools it can call (functions, or MCP servers)."""
    return bool(normalize_tools(tools)) or any(t.get("type") == "mcp" for t in tools)


def _check_function(name: Any, tools: list[dict[str, Any]], param: str) -> None:
    names = [t["name"] for t in normalize_tools(tools)]
    if name not in names:
        raise _bad(
            param,
            f"Tool choice '{name}' not found in 'tools' parameter (tools: {', '.join(names) or 'none'}).",
        )


def _required_text(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if value is None:
        raise _http(missing_parameter(f"{where}.{key}"))
    if not isinstance(value, str):
        raise _http(invalid_type(f"{where}.{key}", "a string", value))
    return str(value)
