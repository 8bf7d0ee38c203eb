"""Remote MCP tools on ``POST /v1/responses``: list a server's tools, call them, ask for approval.

As OpenAI's remote-MCP guide describes the Responses API (https://platform.openai.com/docs/guides/tools-remote-mcp):

1. **Listing** — each ``{"type": "mcp", …}`` tool whose server the conversation has not listed yet is listed
   over streamable HTTP: an ``mcp_list_tools`` output item (``mcpl_…``) with the tools ``allowed_tools`` lets
   through. A conversation that already holds the list — a ``previous_response_id`` whose context listed that
   ``server_label``, or an ``mcp_list_tools`` item sent back as input — is not listed again ("as long as the
   ``mcp_list_tools`` item is present in the context … the API will not fetch a list of tools from the MCP
   server again"). A server that cannot be listed fails the request: HTTP 424 ``external_connector_error``
   (``Error retrieving tool list from MCP server: '<label>'. Http status code: 424 (Failed Dependency)``).
2. **Calling** — the listed tools join the function tools the responder chooses from; a call of an MCP tool
   is an ``mcp_call`` item (``mcp_…``) with the server's ``output`` or an ``error`` (``McpToolCallError``),
   and the same response goes on to answer with the result.
3. **Approval** — when ``require_approval`` asks (``"always"``, a ``{"always"/"never": {…}}`` filter, or
   unset: OpenAI's default is to ask) the response ends with an ``mcp_approval_request`` item (``mcpr_…``).
   The next request (``previous_response_id``, or the request item sent back) carries an
   ``mcp_approval_response``: approved → the call (``approval_request_id`` set) and the answer; declined → no
   call, and the text says so.

The sans-I/O server configuration is shared with Realtime sessions (:mod:`voicelab.emulator.mcp.servers`); the
HTTP work is :class:`voicelab.emulator.mcp.client.McpClient`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from voicelab.emulator.mcp.client import McpClient, McpFailure
from voicelab.emulator.mcp.servers import (
    McpServer,
    McpServerState,
    check_mcp_tools,
    declined_text,
    endpoint_of,
    mcp_messages,
)
from voicelab.errors import VoicelabError
from voicelab.protocol.errors import ProtocolError
from voicelab.protocol.responses import mcp_call_error

from ..errors import OpenAIHTTPError
from ._common import new_id

__all__ = ["MAX_MCP_ROUNDS", "McpContext", "McpListingFailed", "RequestMcp", "public_tools"]

MAX_MCP_ROUNDS = 4
"""At most this many rounds of MCP calls in one response (the responder answers after each round)."""


@dataclass
class McpContext:
    """What a conversation knows of its MCP servers: the tools listed by ``server_label``, and the approval
    requests by id (``answered`` once an ``mcp_approval_response`` answered them)."""

    listed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    approvals: dict[str, dict[str, Any]] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)

    def copy(self) -> McpContext:
        return McpContext(dict(self.listed), dict(self.approvals), set(self.answered))

    def absorb(self, item: dict[str, Any]) -> None:
        """An MCP item of the context (an output item, or one the client sent back as input)."""
        kind = item.get("type")
        if kind == "mcp_list_tools" and not item.get("error"):
            self.listed[item["server_label"]] = copy.deepcopy(item["tools"])
        elif kind == "mcp_approval_request":
            self.approvals[item["id"]] = dict(item)
        elif kind == "mcp_call" and item.get("approval_request_id"):
            self.answered.add(item["approval_request_id"])


class McpListingFailed(VoicelabError):
    """A server's tools could not be listed (OpenAI answers 424); ``item``: the failed ``mcp_list_tools``."""

    def __init__(self, item: dict[str, Any], message: str) -> None:
        super().__init__(message)
        self.item = item

    def http_error(self) -> OpenAIHTTPError:
        return OpenAIHTTPError(
            424, str(self), type="external_connector_error", param="tools", code="http_error"
        )


def public_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The request's tools as the response echoes them: MCP ``authorization`` and ``headers`` (credentials)
    are left out.

    Examples
    --------
    >>> public_tools([{"type": "mcp", "server_label": "a", "authorization": "secret", "headers": {"k": "v"}}])
    [{'type': 'mcp', 'server_label': 'a'}]
    """
    return [
        {k: v for k, v in t.items() if k not in ("authorization", "headers")} if t.get("type") == "mcp" else t
        for t in tools
    ]


class RequestMcp:
    """The MCP servers of one ``/v1/responses`` request and what the conversation knows of them.

    Parameters
    ----------
    tools : list of dict
        The request's ``tools`` (JSON); the ``mcp`` ones are checked (offline: http(s) ``server_url`` only).
    context : McpContext
        The conversation's listings and approvals (from ``previous_response_id`` and the input items).
    client : McpClient
    """

    def __init__(self, tools: list[dict[str, Any]], context: McpContext, client: McpClient) -> None:
        try:
            check_mcp_tools(tools, "tools")
        except ProtocolError as exc:
            raise OpenAIHTTPError.from_protocol(exc) from exc
        self.context = context
        self.client = client
        self.servers = {
            t["server_label"]: McpServer(endpoint_of(t), t, "") for t in tools if t.get("type") == "mcp"
        }
        self.catalogue: dict[str, tuple[McpServer, dict[str, Any]]] = {}

    def __bool__(self) -> bool:
        return bool(self.servers)

    # ------------------------------------------------------------------ listing
    def to_list(self) -> list[tuple[McpServer, dict[str, Any]]]:
        """The servers the conversation has not listed, each with its new ``mcp_list_tools`` item (no tools
        yet: :meth:`list_tools` fills it); the others reuse the conversation's list."""
        pending: list[tuple[McpServer, dict[str, Any]]] = []
        for label, server in self.servers.items():
            if label in self.context.listed:
                server.tools = copy.deepcopy(self.context.listed[label])
                server.state = McpServerState.READY
                continue
            item: dict[str, Any] = {"id": new_id("mcpl"), "type": "mcp_list_tools", "server_label": label}
            item["tools"] = []
            server.item_id = item["id"]
            pending.append((server, item))
        return pending

    async def list_tools(self, server: McpServer, item: dict[str, Any]) -> None:
        """List the server's tools into ``item`` (the ones ``allowed_tools`` lets through).

        Raises
        ------
        McpListingFailed
            The server could not be listed (``item["error"]`` says why).
        """
        try:
            server.tools = await self.client.list_tools(server.endpoint)
        except McpFailure as failure:
            server.state = McpServerState.FAILED
            item["error"] = (
                f"Error retrieving tool list from MCP server: '{server.label}'. Http status code: 424 "
                f"(Failed Dependency). {failure.error['message']}"
            )
            raise McpListingFailed(item, item["error"]) from None
        server.state = McpServerState.READY
        item["tools"] = copy.deepcopy(server.allowed())
        self.context.listed[server.label] = item["tools"]

    def function_tools(self, tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The function tools and every allowed MCP tool as a function tool, for the responder to choose."""
        functions = [t for t in tools if t.get("type", "function") == "function"]
        names = {t.get("name") for t in functions}
        self.catalogue = {}
        for server in self.servers.values():
            for tool in server.allowed():
                if tool["name"] in names or tool["name"] in self.catalogue:
                    continue
                self.catalogue[tool["name"]] = (server, tool)
                functions.append(
                    {
                        "type": "function",
                        "name": tool["name"],
                        "description": tool.get("description") or "",
                        "parameters": tool.get("input_schema") or {"type": "object", "properties": {}},
                    }
                )
        return functions

    # ------------------------------------------------------------------ calls and approvals
    def owns(self, name: str) -> bool:
        """Whether ``name`` is an MCP tool of this request."""
        return name in self.catalogue

    def needs_approval(self, name: str) -> bool:
        server, tool = self.catalogue[name]
        return server.needs_approval(tool)

    def approval_request(self, name: str, arguments: str) -> dict[str, Any]:
        """An ``mcp_approval_request`` item for a call the server's ``require_approval`` asks about."""
        server, _ = self.catalogue[name]
        item = {
            "id": new_id("mcpr"),
            "type": "mcp_approval_request",
            "server_label": server.label,
            "name": name,
            "arguments": arguments,
        }
        self.context.absorb(item)
        return item

    def call_item(
        self, server_label: str, name: str, arguments: str, approval_id: str | None = None
    ) -> dict[str, Any]:
        """A new ``mcp_call`` item, in progress (:meth:`call` runs it)."""
        return {
            "id": new_id("mcp"),
            "type": "mcp_call",
            "server_label": server_label,
            "name": name,
            "arguments": arguments,
            "approval_request_id": approval_id,
            "output": None,
            "error": None,
            "status": "in_progress",
        }

    async def call(self, item: dict[str, Any]) -> None:
        """Call the tool of an ``mcp_call`` item; the item gets the ``output``, or the ``error`` and
        ``status: failed``."""
        server = self.servers[item["server_label"]]
        result = await self.client.call_tool(server.endpoint, item["name"], item["arguments"])
        if result.error is None:
            item.update(output=result.output, status="completed")
        else:
            item.update(error=mcp_call_error(result.error), status="failed")
        self.context.absorb(item)

    def answer(self, response: dict[str, Any], where: str) -> dict[str, Any]:
        """The approval request an ``mcp_approval_response`` input item answers (checked).

        Raises
        ------
        OpenAIHTTPError
            400 naming ``<where>.approval_request_id``: unknown or already answered, or its server is not
            among this request's tools.
        """
        wanted = response["approval_request_id"]
        request = self.context.approvals.get(wanted)
        param = f"{where}.approval_request_id"
        if request is None or wanted in self.context.answered:
            known = [k for k in self.context.approvals if k not in self.context.answered]
            state = "already answered" if request is not None else "not found in this conversation"
            raise OpenAIHTTPError(
                400,
                f"Invalid '{param}': the mcp_approval_request {wanted!r} was {state} (open requests: "
                f"{', '.join(known) or 'none'}). Send previous_response_id of the response that asked.",
                param=param,
                code="invalid_value",
            )
        if request["server_label"] not in self.servers:
            raise OpenAIHTTPError(
                400,
                f"Invalid '{param}': the approval request is for MCP server {request['server_label']!r}, "
                "which is not among this request's tools; send the same mcp tool again.",
                param=param,
                code="invalid_value",
            )
        self.context.answered.add(wanted)
        return request

    @staticmethod
    def declined(request: dict[str, Any], reason: str | None) -> str:
        """What the reply says about a declined call."""
        return declined_text(request["name"], request["server_label"], reason)

    @staticmethod
    def as_messages(item: dict[str, Any]) -> list[dict[str, Any]]:
        """A finished ``mcp_call`` as the responder's tool call and result (other items: nothing)."""
        if item.get("type") != "mcp_call":
            return []
        error = item.get("error")
        if error is not None:  # the responder reads one message, whatever the error's shape
            text = error.get("message") or " ".join(p.get("text", "") for p in error.get("content") or [])
            item = {**item, "error": {"message": text}}
        return mcp_messages(item)
