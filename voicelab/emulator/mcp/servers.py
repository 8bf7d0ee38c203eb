"""Remote MCP servers, sans-I/O, as both the Realtime API and ``POST /v1/responses`` configure them.

A tool ``{"type": "mcp", "server_label", "server_url", "headers"/"authorization", "allowed_tools",
"require_approval"}`` names a streamable-HTTP MCP server. This module owns what does not depend on the API
that named it: where the server is (:class:`McpEndpoint`, credentials hidden from ``repr``), which listed
tools ``allowed_tools`` lets the model use, which calls ``require_approval`` asks about (unset: ask, OpenAI's
default), the checks that refuse what the offline emulator cannot serve, an MCP call as chat messages for the
responder, and what the reply says when the user declines a call. The I/O is :mod:`.client`.

Examples
--------
>>> tool = {"type": "mcp", "server_label": "notes", "server_url": "http://127.0.0.1:8000/mcp",
...         "authorization": "tok", "allowed_tools": ["add_note"], "require_approval": "never"}
>>> server = McpServer(endpoint_of(tool), tool, "mcpl_1")
>>> server.endpoint
McpEndpoint(server_label='notes', url='http://127.0.0.1:8000/mcp')
>>> server.tools = [{"name": "add_note"}, {"name": "get_forecast"}]
>>> [t["name"] for t in server.allowed()], server.needs_approval(server.tools[0])
(['add_note'], False)
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from voicelab.protocol.errors import ProtocolError, invalid_value, missing_parameter

__all__ = [
    "McpEndpoint",
    "McpServer",
    "McpServerState",
    "check_mcp_choice",
    "check_mcp_tools",
    "declined_text",
    "endpoint_of",
    "mcp_messages",
    "server_key",
]


@dataclass(frozen=True)
class McpEndpoint:
    """Where an MCP server is and what to send it: ``url`` (streamable HTTP) and the HTTP ``headers``
    (``authorization`` already folded in as ``Authorization: Bearer …``). ``repr`` hides the headers (they
    carry secrets)."""

    server_label: str
    url: str
    headers: dict[str, str] = field(default_factory=dict, repr=False)


class McpServerState(enum.Enum):
    """Where the tool list of a server is."""

    LISTING = "listing"
    READY = "ready"
    FAILED = "failed"


def _names_filter(spec: Any, tool: dict[str, Any]) -> bool:
    """Whether ``tool`` matches an ``allowed_tools``/``require_approval`` filter object."""
    if not isinstance(spec, dict):
        return False
    names = spec.get("tool_names")
    read_only = spec.get("read_only")
    if names is None and read_only is None:
        return False
    if names is not None and tool["name"] not in names:
        return False
    hint = bool((tool.get("annotations") or {}).get("readOnlyHint"))
    return read_only is None or hint == bool(read_only)


@dataclass
class McpServer:
    """One configured MCP server: where it is, how it was configured, its ``mcp_list_tools`` item."""

    endpoint: McpEndpoint
    config: dict[str, Any]
    item_id: str
    state: McpServerState = McpServerState.LISTING
    tools: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.endpoint.server_label

    def allowed(self) -> list[dict[str, Any]]:
        """The listed tools that ``allowed_tools`` lets the model use (all of them when it is not set)."""
        spec = self.config.get("allowed_tools")
        if spec is None:
            return list(self.tools)
        if isinstance(spec, list):
            return [t for t in self.tools if t["name"] in spec]
        return [t for t in self.tools if _names_filter(spec, t)]

    def needs_approval(self, tool: dict[str, Any]) -> bool:
        """``require_approval``: ``"never"``, ``"always"`` or a filter; unset means ask (OpenAI's default)."""
        spec = self.config.get("require_approval")
        if spec == "never":
            return False
        if isinstance(spec, dict):
            return not _names_filter(spec.get("never"), tool)
        return True


def endpoint_of(tool: dict[str, Any]) -> McpEndpoint:
    headers = dict(tool.get("headers") or {})
    if tool.get("authorization"):
        headers["Authorization"] = f"Bearer {tool['authorization']}"
    return McpEndpoint(tool["server_label"], tool["server_url"], headers)


def server_key(tool: dict[str, Any]) -> str:
    endpoint = endpoint_of(tool)
    return json.dumps([endpoint.server_label, endpoint.url, sorted(endpoint.headers.items())])


def check_mcp_tools(tools: Any, prefix: str) -> None:
    """Refuse MCP tools the emulator cannot serve, naming the parameter (``session.tools[0].server_url``).

    Examples
    --------
    >>> tool = {"type": "mcp", "server_label": "a", "server_url": "file:///x"}
    >>> try:
    ...     check_mcp_tools([tool], "session.tools")
    ... except ProtocolError as exc:
    ...     print(exc.param)
    session.tools[0].server_url
    """
    labels: set[str] = set()
    for index, tool in enumerate(tools or []):
        if not isinstance(tool, dict) or tool.get("type") != "mcp":
            continue
        where = f"{prefix}[{index}]"
        for offline in ("connector_id", "tunnel_id"):
            if tool.get(offline):
                raise ProtocolError(
                    "invalid_value",
                    f"Invalid '{where}.{offline}': connectors and Secure MCP Tunnels are not available in "
                    "the "
                    "offline emulator. Give the server_url of a streamable-HTTP MCP server instead.",
                    f"{where}.{offline}",
                )
        url = tool.get("server_url")
        if not url:
            raise missing_parameter(f"{where}.server_url")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ProtocolError(
                "invalid_value",
                f"Invalid '{where}.server_url': expected the http(s) URL of a streamable-HTTP MCP server "
                f"(e.g. 'http://127.0.0.1:8000/mcp'), got {url!r}.",
                f"{where}.server_url",
            )
        if tool["server_label"] in labels:
            raise ProtocolError(
                "invalid_value",
                f"Invalid '{where}.server_label': the label {tool['server_label']!r} is used by another MCP "
                "tool; each server needs its own label.",
                f"{where}.server_label",
            )
        labels.add(tool["server_label"])


def check_mcp_choice(tool_choice: Any, tools: Any, param: str) -> None:
    """A ``tool_choice`` of ``{"type": "mcp", "server_label": …}`` must name a configured server."""
    if not isinstance(tool_choice, dict) or tool_choice.get("type") != "mcp":
        return
    labels = [t["server_label"] for t in tools or [] if isinstance(t, dict) and t.get("type") == "mcp"]
    if tool_choice.get("server_label") not in labels:
        raise invalid_value(f"{param}.server_label", tool_choice.get("server_label"), labels)


def mcp_messages(data: dict[str, Any]) -> list[dict[str, Any]]:
    """An MCP item as chat messages for the responder: a finished ``mcp_call`` is a tool call and its result;
    the other MCP items say nothing to the model.

    Examples
    --------
    >>> call = {"type": "mcp_call", "id": "item_1", "name": "add", "arguments": "{}", "output": "3"}
    >>> [m["role"] for m in mcp_messages(call)]
    ['assistant', 'tool']
    """
    if data.get("type") != "mcp_call" or (data.get("output") is None and data.get("error") is None):
        return []
    result = (
        data["output"] if data.get("output") is not None else json.dumps({"error": data["error"]["message"]})
    )
    return [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": data["id"],
                    "type": "function",
                    "function": {"name": data["name"], "arguments": data["arguments"]},
                }
            ],
        },
        {"role": "tool", "tool_call_id": data["id"], "content": result},
    ]


def declined_text(name: str, server_label: str, reason: str | None) -> str:
    """What the reply says when the user declined an MCP call (no call is made).

    Examples
    --------
    >>> declined_text("add_note", "notes", "not now")
    'All right, I did not run add_note on notes: you declined the call (not now).'
    """
    why = f" ({reason})" if reason else ""
    return f"All right, I did not run {name} on {server_label}: you declined the call{why}."
