"""The HTTP side of remote MCP tools: list a server's tools and call one, over streamable HTTP.

Realtime sessions (the core's ``ListMcpTools`` and ``CallMcpTool`` effects, run by the pump) and
``POST /v1/responses`` ask for this work; :class:`McpClient` does it with the official ``mcp`` package
(``streamable_http_client`` + ``ClientSession``), on the event loop (it is all async I/O), bounded by a
timeout, and turns every failure into what the callers expect: a message for ``mcp_tools_failed``, or the
``error`` object of an ``mcp_call`` item — ``{"type": "http_error", "code", "message"}`` when the server could
not be reached or answered with an HTTP error (502 unreachable, 504 timed out, the server's status
otherwise), ``{"type": "protocol_error", "code", "message"}`` for a JSON-RPC error,
``{"type": "tool_execution_error", "message"}`` when the tool itself reported an error (``isError``). One
connection per operation: simple and robust, and a session can use several servers. Headers (they carry
credentials) are never logged.

Examples
--------
>>> client = McpClient(timeout_s=5)
>>> client
McpClient(timeout_s=5)
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from .servers import McpEndpoint

__all__ = ["McpCallResult", "McpClient", "McpFailure"]

log = logging.getLogger(__name__)


class McpFailure(Exception):
    """An MCP operation failed; ``error`` is the ``mcp_call`` error object (``type``, ``message``, …)."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error["message"])
        self.error = error


@dataclass(frozen=True)
class McpCallResult:
    """A tool call's ``output`` text, or its ``error`` object (see the module docs)."""

    output: str | None
    error: dict[str, Any] | None = None


def _result_text(result: Any) -> str:
    """A ``CallToolResult`` as the text the model reads: text parts joined, structured content as JSON."""
    texts = [getattr(part, "text", None) for part in result.content]
    joined = "\n".join(t for t in texts if t)
    if joined:
        return joined
    structured = getattr(result, "structuredContent", None)
    return json.dumps(structured, ensure_ascii=False) if structured is not None else ""


def _failure(exc: BaseException, endpoint: McpEndpoint, timeout_s: float) -> dict[str, Any]:
    """Any exception of an MCP operation as an ``mcp_call`` error object."""
    from mcp.shared.exceptions import McpError

    if isinstance(exc, McpFailure):
        return exc.error
    if isinstance(exc, BaseExceptionGroup):  # anyio task groups wrap what went wrong
        inner = exc.exceptions[0] if exc.exceptions else exc
        return _failure(inner, endpoint, timeout_s)
    if isinstance(exc, TimeoutError | asyncio.TimeoutError | httpx.TimeoutException):
        return {
            "type": "http_error",
            "code": 504,
            "message": f"The MCP server at {endpoint.url} did not answer within {timeout_s:g} s.",
        }
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        return {
            "type": "http_error",
            "code": status,
            "message": f"The MCP server at {endpoint.url} answered HTTP {status} "
            f"{exc.response.reason_phrase}.",
        }
    if isinstance(exc, McpError):
        return {"type": "protocol_error", "code": int(exc.error.code), "message": exc.error.message}
    return {
        "type": "http_error",
        "code": 502,
        "message": f"Could not reach the MCP server at {endpoint.url}: {type(exc).__name__}"
        + (f": {exc}" if str(exc) else "")
        + ".",
    }


@dataclass
class McpClient:
    """Lists and calls the tools of streamable-HTTP MCP servers (Realtime sessions and ``/v1/responses``).

    Parameters
    ----------
    timeout_s : float
        Bound on one whole operation (connect, initialise, list or call).
    """

    timeout_s: float = 30.0

    def __repr__(self) -> str:
        return f"McpClient(timeout_s={self.timeout_s:g})"

    async def _run(self, endpoint: McpEndpoint, work: Any) -> Any:
        """Open a session to the server, run ``await work(session)``, close; all within the timeout."""
        from mcp import ClientSession
        from mcp.client.streamable_http import streamable_http_client

        async def operation() -> Any:
            http = httpx.AsyncClient(
                headers=endpoint.headers or None, timeout=httpx.Timeout(self.timeout_s), follow_redirects=True
            )
            async with (
                http,
                streamable_http_client(endpoint.url, http_client=http) as (read, write, _session_id),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                return await work(session)

        try:
            return await asyncio.wait_for(operation(), self.timeout_s)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # anyio raises groups; every failure becomes an error object
            if not isinstance(exc, Exception | BaseExceptionGroup):
                raise
            error = _failure(exc, endpoint, self.timeout_s)
            log.info("MCP server %r: %s", endpoint.server_label, error["message"])
            raise McpFailure(error) from None

    async def list_tools(self, endpoint: McpEndpoint) -> list[dict[str, Any]]:
        """The server's tools as ``{"name", "description", "input_schema", "annotations"}`` dicts.

        Raises
        ------
        McpFailure
            Unreachable, refused, timed out or a protocol error.
        """

        async def work(session: Any) -> list[dict[str, Any]]:
            tools: list[dict[str, Any]] = []
            cursor = None
            while True:
                page = await session.list_tools(cursor=cursor) if cursor else await session.list_tools()
                for tool in page.tools:
                    annotations = tool.annotations.model_dump(exclude_none=True) if tool.annotations else None
                    tools.append(
                        {
                            "name": tool.name,
                            "description": tool.description or "",
                            "input_schema": tool.inputSchema,
                            "annotations": annotations,
                        }
                    )
                cursor = page.nextCursor
                if not cursor:
                    return tools

        result: list[dict[str, Any]] = await self._run(endpoint, work)
        return result

    async def call_tool(self, endpoint: McpEndpoint, name: str, arguments: str) -> McpCallResult:
        """Call ``name`` with the JSON ``arguments``; failures come back as the result's ``error``."""
        try:
            parsed = json.loads(arguments or "{}")
        except json.JSONDecodeError as exc:
            return McpCallResult(
                None, {"type": "tool_execution_error", "message": f"Invalid arguments: {exc}"}
            )

        async def work(session: Any) -> Any:
            return await session.call_tool(name, parsed)

        try:
            result = await self._run(endpoint, work)
        except McpFailure as failure:
            return McpCallResult(None, failure.error)
        text = _result_text(result)
        if result.isError:
            return McpCallResult(
                None, {"type": "tool_execution_error", "message": text or "The tool failed."}
            )
        return McpCallResult(text)
