"""Remote MCP servers for the emulator, shared by Realtime sessions and ``POST /v1/responses``.

:mod:`.servers` is the sans-I/O configuration (endpoints, ``allowed_tools``, ``require_approval``, checks);
:mod:`.choice` a ``tool_choice`` naming an MCP server (the forced first step, the listed-name check);
:mod:`.client` lists and calls tools over streamable HTTP with the official ``mcp`` package.
"""

__all__: list[str] = []
