"""A ``tool_choice`` naming an MCP server (``{"type": "mcp", "server_label", "name"?}``), sans-I/O.

Both ``POST /v1/responses`` and Realtime sessions force the model's first step this way: once the server's
tools are listed, the choice must name a tool it lists (or, without ``name``, the server must list one), and
the responder is offered only that server's tools (the named one) with a forced first step
(:attr:`McpPick.first`). The catalogue is the response's listed MCP tools by name, each with its server.

Examples
--------
>>> from voicelab.emulator.mcp.servers import McpEndpoint
>>> server = McpServer(McpEndpoint("weather", "http://127.0.0.1:9/mcp"), {}, "mcpl_1")
>>> catalogue = {"get_forecast": (server, {"name": "get_forecast"})}
>>> pick = McpPick("weather", "get_forecast", "tool_choice")
>>> tools = [{"name": "get_forecast"}, {"name": "f"}]
>>> pick.first, [t["name"] for t in offered_tools(tools, catalogue, (pick,))]
({'type': 'function', 'name': 'get_forecast'}, ['get_forecast'])
>>> try:
...     McpPick("weather", "get_tide", "session.tool_choice").check_listed(catalogue)
... except ProtocolError as exc:
...     print(exc.param)
session.tool_choice.name
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from voicelab.protocol.errors import ProtocolError

from .servers import McpServer

__all__ = ["Catalogue", "McpPick", "offered_tools"]

Catalogue = Mapping[str, tuple[McpServer, dict[str, Any]]]
"""A response's listed MCP tools by name, each with its server."""


@dataclass(frozen=True)
class McpPick:
    """An MCP server a choice names (``name``: one of its tools, or any of them), and where it named it."""

    server_label: str
    name: str | None
    param: str

    @property
    def first(self) -> str | dict[str, Any]:
        """The responder's choice for the forced first step: the named tool, or ``"required"``."""
        return {"type": "function", "name": self.name} if self.name else "required"

    def allows(self, name: Any, catalogue: Catalogue) -> bool:
        """Whether the MCP tool ``name`` (in ``catalogue``) is one this pick lets the model call."""
        listed = name in catalogue and catalogue[name][0].label == self.server_label
        return listed and self.name in (None, name)

    def check_listed(self, catalogue: Catalogue) -> None:
        """The server lists the tool the pick names (or, with no name, some tool the model may call).

        Raises
        ------
        ProtocolError
            ``invalid_value`` naming ``…name`` (or ``…server_label``).
        """
        listed = sorted(name for name, (server, _) in catalogue.items() if server.label == self.server_label)
        if self.name is None:
            if not listed:
                raise ProtocolError(
                    "invalid_value",
                    f"MCP server {self.server_label!r} lists no tool the model may call (check its "
                    "allowed_tools, and that its tool names are not taken by another tool).",
                    f"{self.param}.server_label",
                )
            return
        if self.name not in listed:
            raise ProtocolError(
                "invalid_value",
                f"Tool choice {self.name!r} not found on MCP server {self.server_label!r} (tools it lists "
                f"that the model may call: {', '.join(listed) or 'none'}).",
                f"{self.param}.name",
            )


def offered_tools(
    tools: list[dict[str, Any]],
    catalogue: Catalogue,
    picks: Iterable[McpPick],
    functions: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """The function tools of ``tools`` (functions and listed MCP tools) the picks and ``functions`` allow."""
    chosen = tuple(picks)

    def allowed(name: Any) -> bool:
        if name not in catalogue:
            return name in functions
        return any(p.allows(name, catalogue) for p in chosen)

    return [t for t in tools if allowed(t.get("name"))]
