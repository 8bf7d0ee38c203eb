"""The upstream responder: forwards the conversation to any chat-completions server through the SDK.

Examples
--------
>>> OpenAICompatibleResponder("http://127.0.0.1:8080/v1", model="llama")
OpenAICompatibleResponder(base_url='http://127.0.0.1:8080/v1', model='llama')
"""

from __future__ import annotations

from typing import Any

from voicelab.errors import ResponderError
from voicelab.protocol.models import recommended

from .reply import Reply, ToolCall, content_text
from .tools import forced_name, normalize_tools

__all__ = ["OpenAICompatibleResponder"]


def _chat_tools(tools: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [{"type": "function", "function": t} for t in normalize_tools(tools)]


def _chat_tool_choice(tool_choice: str | dict[str, Any] | None) -> Any:
    name = forced_name(tool_choice)
    if name is not None:
        return {"type": "function", "function": {"name": name}}
    return tool_choice or "auto"


class OpenAICompatibleResponder:
    """Forwards the conversation to any chat-completions server (llama.cpp, Ollama, vLLM, OpenAI) via the SDK.

    Parameters
    ----------
    base_url : str
        The server's ``…/v1`` URL.
    api_key : str, optional
        Sent as the bearer key (a placeholder when the server needs none); never logged.
    model : str
        The model name the server expects.
    http_client : httpx.AsyncClient, optional
        For tests (an in-process transport).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        model: str = recommended("text"),
        *,
        http_client: Any = None,
    ) -> None:
        import openai

        self.base_url = base_url
        self.model = model
        self._client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key or "voicelab-local", http_client=http_client, max_retries=1
        )

    def __repr__(self) -> str:
        return f"OpenAICompatibleResponder(base_url={self.base_url!r}, model={self.model!r})"

    async def respond(
        self,
        messages: list[dict[str, Any]],
        *,
        instructions: str | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | dict[str, Any] | None = "auto",
        parallel_tool_calls: bool | None = None,
    ) -> Reply:
        import openai

        conversation = ([{"role": "system", "content": instructions}] if instructions else []) + [
            _forward_message(m) for m in messages
        ]
        extra: dict[str, Any] = {}
        chat_tools = _chat_tools(tools)
        if chat_tools:
            extra["tools"] = chat_tools
            extra["tool_choice"] = _chat_tool_choice(tool_choice)
            if parallel_tool_calls is not None:
                extra["parallel_tool_calls"] = parallel_tool_calls
        try:
            completion = await self._client.chat.completions.create(
                model=self.model, messages=conversation, **extra
            )
        except openai.OpenAIError as exc:
            raise ResponderError(
                f"the chat-completions server at {self.base_url} failed: {type(exc).__name__}: {exc}"
            ) from exc
        if not completion.choices:
            raise ResponderError(f"the chat-completions server at {self.base_url} returned no choices")
        message = completion.choices[0].message
        calls = [
            ToolCall(c.id, c.function.name, c.function.arguments)
            for c in message.tool_calls or []
            if getattr(c, "function", None) is not None
        ]
        text = message.content or (message.audio.transcript if message.audio else "") or ""
        return Reply(text, calls)


def _forward_message(message: dict[str, Any]) -> dict[str, Any]:
    """A message the upstream server accepts: text content (audio parts were transcribed before)."""
    out: dict[str, Any] = {
        "role": message.get("role", "user"),
        "content": content_text(message.get("content")),
    }
    if message.get("tool_calls"):
        out["tool_calls"] = message["tool_calls"]
        out["content"] = out["content"] or None
    if message.get("tool_call_id"):
        out["tool_call_id"] = message["tool_call_id"]
    return out
