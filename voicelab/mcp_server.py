"""A local MCP server for notebooks and tests: a FastMCP app on streamable HTTP in a background thread.

:class:`LocalMcpServer` runs any ``mcp.server.fastmcp.FastMCP`` with uvicorn on 127.0.0.1 and a free port, so
a Realtime session can name it as a remote MCP server (``server_url``). :func:`example_mcp_server` builds a
small server to teach with: a weather forecast (read-only), notes (a tool that changes data, the kind one asks
approval for) and a tool that fails.

Examples
--------
>>> with LocalMcpServer(example_mcp_server()) as server:  # doctest: +SKIP
...     server.url
'http://127.0.0.1:53124/mcp'
"""

from __future__ import annotations

from typing import Any

from voicelab.errors import BackendError

__all__ = ["FORECASTS", "LocalMcpServer", "example_mcp_server"]

FORECASTS = {
    "tokyo": "sunny, 21 degrees",
    "paris": "light rain, 14 degrees",
    "osaka": "cloudy, 19 degrees",
    "london": "fog, 11 degrees",
}
"""What the example server's ``get_forecast`` answers (anything else: "clear skies, 18 degrees")."""


def example_mcp_server(name: str = "voicelab-demo") -> Any:
    """A FastMCP server with three tools: ``get_forecast`` (read-only), ``add_note`` and ``fail_always``.

    Examples
    --------
    >>> import asyncio
    >>> server = example_mcp_server()
    >>> sorted(t.name for t in asyncio.run(server.list_tools()))
    ['add_note', 'fail_always', 'get_forecast']
    """
    from mcp.server.fastmcp import FastMCP
    from mcp.types import ToolAnnotations

    # stateless JSON answers: no long-lived SSE stream per client, so nothing to tear down after each call
    mcp = FastMCP(name, stateless_http=True, json_response=True, log_level="WARNING")
    notes: list[str] = []

    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def get_forecast(city: str) -> str:
        """Weather forecast for a city."""
        return f"{city}: {FORECASTS.get(city.strip().lower(), 'clear skies, 18 degrees')}"

    @mcp.tool()
    def add_note(text: str) -> str:
        """Save a note (changes data: the kind of call to approve first)."""
        notes.append(text)
        return f"Saved note number {len(notes)}."

    @mcp.tool()
    def fail_always(reason: str = "") -> str:
        """A broken tool that always fails (to see a failed MCP call)."""
        raise RuntimeError("this tool always fails")

    return mcp


class LocalMcpServer:
    """Serve a FastMCP app over streamable HTTP (``/mcp``) in a daemon thread on 127.0.0.1 and a free port.

    Parameters
    ----------
    mcp : FastMCP
        The server (its tools, resources, prompts).
    port : int
        0 (the default) picks a free port.
    """

    def __init__(self, mcp: Any, *, port: int = 0) -> None:
        self.mcp = mcp
        self._requested_port = port
        self._server: Any = None

    def __repr__(self) -> str:
        return f"LocalMcpServer({self.url if self.running else 'stopped'})"

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.running

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/mcp``: the ``server_url`` of the session's MCP tool."""
        if self._server is None or self._server.port is None:
            raise BackendError("the MCP server is not started; call .start() first")
        return f"http://127.0.0.1:{self._server.port}{self.mcp.settings.streamable_http_path}"

    def start(self, *, timeout: float = 10.0) -> LocalMcpServer:
        """Bind a port, serve in the background, return once the server accepts connections."""
        if self.running:
            return self
        from voicelab.emulator.server import EmbeddedServer
        from voicelab.emulator.settings import EmulatorSettings

        self._server = EmbeddedServer(
            EmulatorSettings(port=0),
            app=self.mcp.streamable_http_app(),
            port=self._requested_port,
            lifespan="on",
        ).start(timeout=timeout)
        return self

    def stop(self, *, timeout: float = 5.0) -> None:
        """Stop serving and wait for the thread. Safe to call twice."""
        if self._server is not None:
            self._server.stop(timeout=timeout)
        self._server = None

    def __enter__(self) -> LocalMcpServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
