"""Remote MCP servers in a Realtime session, sans-I/O: tool lists, calls and approvals.

A tool ``{"type": "mcp", "server_label", "server_url", …}`` in ``session.tools`` (or in one
``response.create``'s ``tools``) makes the session list that server's tools, then lets the model call them.
This module owns that state; the I/O layer does the HTTP (effects :class:`~..effects.ListMcpTools` and
:class:`~..effects.CallMcpTool`) and feeds the results back through ``mcp_tools_listed`` /
``mcp_tools_failed`` / ``mcp_call_finished``. The flow, as OpenAI's Realtime MCP guide describes it:

1. **Listing** — ``conversation.item.added`` (an ``mcp_list_tools`` item, no tools yet),
   ``mcp_list_tools.in_progress``, then ``conversation.item.done`` (the tools) and
   ``mcp_list_tools.completed``; or ``mcp_list_tools.failed`` plus an ``error`` event saying why. A response
   created while a listing runs waits for it (its ``GenerateReply`` is held back): the model sees the tools.
2. **Calling** — the responder chooses among the function tools and the listed MCP tools (filtered by
   ``allowed_tools``) with the same decision logic. An MCP call is an ``mcp_call`` output item:
   ``response.mcp_call_arguments.delta/done``, ``response.mcp_call.in_progress``, the call,
   ``response.mcp_call.completed`` (item ``output``) or ``.failed`` (item ``error``); then the same response
   goes on and speaks the result. A ``tool_choice`` ``{"type": "mcp", "server_label", "name"?}`` (session or
   response) offers only that server's tools (the named one) and forces the first step
   (:mod:`voicelab.emulator.mcp.choice`, shared with ``/v1/responses``); a ``name`` the server does not list
   is an ``error`` naming ``….tool_choice.name`` and the response ends ``failed``.
3. **Approval** — when ``require_approval`` asks for it (``"always"``; a filter
   ``{"always": {"tool_names": […]}, "never": {…}}``; and when it is left out, as OpenAI's default is to ask),
   the response ends with an ``mcp_approval_request`` item. The client adds an ``mcp_approval_response`` item
   (``approve``, ``approval_request_id``) and requests a response: approved → the ``mcp_call`` (with
   ``approval_request_id``) and the spoken result; declined → no call, and the reply says so.

Offline there are no connectors or tunnels: ``connector_id``/``tunnel_id`` are refused, ``server_url`` must be
an ``http(s)`` URL.

Examples
--------
>>> from voicelab.emulator.realtime.core import ServerCore
>>> core = ServerCore(seed=1, vad_factory=None)
>>> _ = core.start()
>>> out = core.handle({"type": "session.update", "session": {"type": "realtime", "tools": [
...     {"type": "mcp", "server_label": "notes", "server_url": "http://127.0.0.1:9/mcp",
...      "require_approval": "never"}]}})
>>> [e["type"] if isinstance(e, dict) else type(e).__name__ for e in out]
['session.updated', 'conversation.item.added', 'mcp_list_tools.in_progress', 'ListMcpTools']
>>> item_id = out[-1].item_id
>>> tools = [{"name": "add_note", "description": "Add a note", "input_schema": {"type": "object"}}]
>>> [e["type"] for e in core.mcp_tools_listed(item_id, tools)]
['conversation.item.done', 'mcp_list_tools.completed']
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from voicelab.emulator.mcp.choice import McpPick, offered_tools
from voicelab.emulator.mcp.servers import (
    McpServer,
    McpServerState,
    check_mcp_choice,
    check_mcp_tools,
    declined_text,
    endpoint_of,
    mcp_messages,
    server_key,
)
from voicelab.protocol.errors import ProtocolError

from ..effects import CallMcpTool, GenerateReply, ListMcpTools
from .items import ServerItem, ServerResponse, ServerResponseState
from .text import field_of, text_chunks

if TYPE_CHECKING:
    from .dispatcher import Output, ServerCore

__all__ = [
    "MCP_ITEM_TYPES",
    "McpServer",
    "McpServerState",
    "ServerMcp",
    "check_mcp_choice",
    "check_mcp_tools",
    "mcp_messages",
]

MCP_ITEM_TYPES = ("mcp_list_tools", "mcp_call", "mcp_approval_request", "mcp_approval_response")


@dataclass
class _Approval:
    server: McpServer
    name: str
    arguments: str
    used: bool = False


class ServerMcp:
    """The MCP servers of one connection, their listings, calls and approvals.

    Parameters
    ----------
    core : ServerCore
        The connection (ids, conversation, responses).
    """

    def __init__(self, core: ServerCore) -> None:
        self.core = core
        self.servers: dict[str, McpServer] = {}  # by configuration (label, url, headers)
        self.by_item: dict[str, McpServer] = {}  # by mcp_list_tools item id
        self.held: list[tuple[ServerResponse, GenerateReply, list[McpServer]]] = []
        self.catalogues: dict[str, dict[str, tuple[McpServer, dict[str, Any]]]] = {}  # response id → tools
        self.followups: dict[str, GenerateReply] = {}  # response id → the reply after its MCP call
        self.approvals: dict[str, _Approval] = {}  # approval request item id → what it asks for
        self.picks: dict[str, McpPick] = {}  # response id → the MCP server its tool_choice forces

    # ------------------------------------------------------------------ configuration and listing
    def configure(self, tools: list[dict[str, Any]] | None, *, retry_failed: bool = False) -> list[Output]:
        """Start listing every MCP server of ``tools`` not listed yet (same label, URL and headers); one whose
        listing failed is tried again only with ``retry_failed`` (a ``session.update`` naming it), not on
        every response."""
        out: list[Output] = []
        for tool in tools or []:
            if tool.get("type") != "mcp":
                continue
            known = self.servers.get(server_key(tool))
            if known is not None and not (retry_failed and known.state is McpServerState.FAILED):
                continue
            core = self.core
            item = ServerItem(
                {
                    "id": core.ids.new("item"),
                    "type": "mcp_list_tools",
                    "server_label": tool["server_label"],
                    "tools": [],
                }
            )
            server = McpServer(endpoint_of(tool), copy.deepcopy(tool), item.id)
            self.servers[server_key(tool)] = server
            self.by_item[item.id] = server
            conversation = core.conversation
            previous = conversation.last_id()
            conversation.items.append(item)
            out += [
                core.event(
                    "conversation.item.added", previous_item_id=previous, item=conversation.public_item(item)
                ),
                core.event("mcp_list_tools.in_progress", item_id=item.id),
                ListMcpTools(item.id, server.endpoint),
            ]
        return out

    def listed(self, item_id: str, tools: list[dict[str, Any]]) -> list[Output]:
        """The server's tools arrived (``name``, ``description``, ``input_schema``, ``annotations``)."""
        server = self.by_item.get(item_id)
        if server is None:
            return []
        server.tools = [
            {k: v for k, v in t.items() if k in ("name", "description", "input_schema", "annotations")}
            for t in tools
        ]
        server.state = McpServerState.READY
        out = self._item_done(server)
        out.append(self.core.event("mcp_list_tools.completed", item_id=item_id))
        return out + self._release()

    def list_failed(self, item_id: str, message: str) -> list[Output]:
        """The server could not be listed: ``mcp_list_tools.failed`` and an ``error`` saying why."""
        server = self.by_item.get(item_id)
        if server is None:
            return []
        server.state = McpServerState.FAILED  # a later session.update naming this server tries again
        out = self._item_done(server)
        out.append(self.core.event("mcp_list_tools.failed", item_id=item_id))
        out.append(
            self.core.error(
                "mcp_list_tools_failed",
                f"Error retrieving tool list from MCP server: '{server.label}'. {message}",
                None,
                type="invalid_request_error",
            )
        )
        return out + self._release()

    def _item_done(self, server: McpServer) -> list[Output]:
        conversation = self.core.conversation
        index = conversation.find(server.item_id)
        if index is None:  # the client deleted it meanwhile
            return []
        item = conversation.items[index]
        item.data["tools"] = copy.deepcopy(server.allowed())  # only what allowed_tools imports
        item.version += 1
        return [
            self.core.event(
                "conversation.item.done",
                previous_item_id=conversation.previous_id(index),
                item=conversation.public_item(item),
            )
        ]

    def _release(self) -> list[Output]:
        """Replies held back for listings that have all finished now."""
        out: list[Output] = []
        still: list[tuple[ServerResponse, GenerateReply, list[McpServer]]] = []
        for response, generate, servers in self.held:
            if any(s.state is McpServerState.LISTING for s in servers):
                still.append((response, generate, servers))
            elif self.core.responses.live(response.id) is not None:
                out += self._expand(response, generate, servers)
        self.held = still
        return out

    def _expand(
        self, response: ServerResponse, generate: GenerateReply, servers: list[McpServer]
    ) -> list[Output]:
        """``generate`` with the listed MCP tools as function tools the responder can choose from; under a
        ``tool_choice`` naming an MCP server, only its tools (the named one) with the first step forced, or
        an ``error`` and the response ``failed`` when the server does not list the named tool."""
        functions = [t for t in generate.tools if t.get("type", "function") == "function"]
        names = {t.get("name") for t in functions}
        catalogue: dict[str, tuple[McpServer, dict[str, Any]]] = {}
        for server in servers:
            if server.state is not McpServerState.READY:
                continue
            for tool in server.allowed():
                if tool["name"] in names or tool["name"] in catalogue:
                    continue
                catalogue[tool["name"]] = (server, tool)
                functions.append(
                    {
                        "type": "function",
                        "name": tool["name"],
                        "description": tool.get("description") or "",
                        "parameters": tool.get("input_schema") or {"type": "object", "properties": {}},
                    }
                )
        self.catalogues[response.id] = catalogue
        self.followups[response.id] = replace(generate, tools=functions, tool_choice="auto", unheard=())
        pick = self.picks.pop(response.id, None)
        if pick is None:
            return [replace(generate, tools=functions)]
        try:
            pick.check_listed(catalogue)
        except ProtocolError as exc:
            out: list[Output] = [self.core.error(exc.code, exc.message, exc.param)]
            failure = {"type": exc.type, "code": exc.code, "message": exc.message}
            return out + self.core.responses.finish(response, status="failed", error=failure)
        return [replace(generate, tools=offered_tools(functions, catalogue, (pick,)), tool_choice=pick.first)]

    # ------------------------------------------------------------------ a response starts
    def begin(self, response: ServerResponse, generate: GenerateReply, choice_param: str) -> list[Output]:
        """What starts a response instead of a plain ``GenerateReply``: an answered approval, a reply held
        back until the tool listings finish, or the reply with the MCP tools added. ``choice_param`` is
        where ``generate.tool_choice`` came from (``response.tool_choice`` or ``session.tool_choice``)."""
        approval = self._answered_approval(response)
        if approval is not None:
            return approval
        choice = generate.tool_choice
        if isinstance(choice, dict) and choice.get("type") == "mcp":
            self.picks[response.id] = McpPick(choice["server_label"], choice.get("name"), choice_param)
        out = self.configure(generate.tools)
        servers = [self.servers[server_key(t)] for t in generate.tools if t.get("type") == "mcp"]
        if any(s.state is McpServerState.LISTING for s in servers):
            self.held.append((response, generate, servers))
            return out
        return out + (self._expand(response, generate, servers) if servers else [generate])

    def _answered_approval(self, response: ServerResponse) -> list[Output] | None:
        for item in reversed(response.input_items):
            data = item.data
            if data["type"] != "mcp_approval_response":
                continue
            approval = self.approvals.get(data["approval_request_id"])
            if approval is None or approval.used:
                continue
            approval.used = True
            if not data["approve"]:
                text = declined_text(approval.name, approval.server.label, data.get("reason"))
                return self.core.responses.reply_ready(response.id, text, [])
            tools = [approval.server.config]
            self._expand(response, GenerateReply(response.id, None, tools, "auto"), [approval.server])
            response.state = ServerResponseState.STREAMING
            return self._start_call(
                response, approval.server, approval.name, approval.arguments, data["approval_request_id"]
            )
        return None

    # ------------------------------------------------------------------ the model calls a tool
    def owns(self, response_id: str, tool_calls: list[Any]) -> bool:
        """Whether the responder's calls name MCP tools of this response."""
        catalogue = self.catalogues.get(response_id) or {}
        return any(field_of(call, "name") in catalogue for call in tool_calls)

    def calls(self, response: ServerResponse, tool_calls: list[Any]) -> list[Output]:
        """The first MCP call of the reply: an approval request, or the call itself."""
        catalogue = self.catalogues[response.id]
        call = next(c for c in tool_calls if field_of(c, "name") in catalogue)
        name, arguments = field_of(call, "name"), field_of(call, "arguments") or "{}"
        server, tool = catalogue[name]
        if not server.needs_approval(tool):
            return self._start_call(response, server, name, arguments, None)
        core = self.core
        item = ServerItem(
            {
                "id": core.ids.new("item"),
                "type": "mcp_approval_request",
                "server_label": server.label,
                "name": name,
                "arguments": arguments,
            }
        )
        self.approvals[item.id] = _Approval(server, name, arguments)
        out = core.responses.add_output_item(response, item)
        out += self.core.responses.close_output_item(response, item, None)
        return out + core.responses.finish(response, status="completed")

    def _start_call(
        self, response: ServerResponse, server: McpServer, name: str, arguments: str, approval_id: str | None
    ) -> list[Output]:
        core = self.core
        item = ServerItem(
            {
                "id": core.ids.new("item"),
                "type": "mcp_call",
                "server_label": server.label,
                "name": name,
                "arguments": "",
                "approval_request_id": approval_id,
                "output": None,
                "error": None,
            }
        )
        out = core.responses.add_output_item(response, item)
        common = {"response_id": response.id, "item_id": item.id, "output_index": response.output_index}
        for piece in text_chunks(arguments, 16):
            out.append(core.event("response.mcp_call_arguments.delta", **common, delta=piece))
        item.data["arguments"] = arguments
        out.append(core.event("response.mcp_call_arguments.done", **common, arguments=arguments))
        out.append(
            core.event("response.mcp_call.in_progress", item_id=item.id, output_index=response.output_index)
        )
        out.append(CallMcpTool(response.id, item.id, server.endpoint, name, arguments))
        return out

    def call_finished(
        self, response_id: str, item_id: str, output: str | None, error: dict[str, Any] | None
    ) -> list[Output]:
        """The call's result (``output``) or failure (``error``); then the response speaks about it."""
        response = self.core.responses.live(response_id)
        item = next((i for i in response.output_items if i.id == item_id), None) if response else None
        if response is None or item is None:
            return []
        item.data["output"], item.data["error"] = (None, error) if error else (output or "", None)
        item.version += 1
        kind = "response.mcp_call.failed" if error else "response.mcp_call.completed"
        out: list[Output] = [
            self.core.event(kind, item_id=item_id, output_index=response.output_items.index(item))
        ]
        out += self.core.responses.close_output_item(response, item, None)
        followup = self.followups.pop(response_id, None)
        if followup is not None:
            out.append(followup)
        return out

    # ------------------------------------------------------------------ the client's items
    def check_client_item(self, data: dict[str, Any]) -> None:
        """An ``mcp_approval_response`` must answer an approval request of this session."""
        if data["type"] != "mcp_approval_response":
            return
        wanted = data["approval_request_id"]
        if wanted not in self.approvals:
            known = list(self.approvals)
            raise ProtocolError(
                "invalid_value",
                "Invalid 'item.approval_request_id': no mcp_approval_request item with id "
                f"{wanted!r} in this session (known: {', '.join(known) or 'none'}).",
                "item.approval_request_id",
            )

    def forget(self, response_id: str) -> None:
        """A response ended: drop what was kept for it."""
        self.catalogues.pop(response_id, None)
        self.followups.pop(response_id, None)
        self.picks.pop(response_id, None)
