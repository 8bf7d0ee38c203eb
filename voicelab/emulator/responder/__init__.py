"""What the emulator's "model" says: scripted rules (default, deterministic) or any chat-completions server.

Shared by chat completions and the Realtime emulator. A responder takes chat-completions-style messages and
returns a :class:`Reply`: text, or tool calls whose ``arguments`` are JSON valid against the tool's schema.

=================  ===========================================================================
``reply``          :class:`Reply`, :class:`ToolCall`, the :class:`Responder` protocol
``scripted``       :class:`ScriptedResponder` (the default; deterministic)
``upstream``       :class:`OpenAICompatibleResponder` (llama.cpp, Ollama, vLLM, OpenAI)
``rules``          :class:`Rule`, :func:`load_rules` and the bundled ``responder_rules.toml``
``builtins``       self-description, time and date, :func:`~.builtins.arithmetic`
``arguments``      :func:`fill_arguments`: a tool's JSON schema → arguments from the user's words
``tools``          :func:`normalize_tools` and word matching of requests to tools
``spoken_numbers`` "twelve" → "12"
``japanese``       answers in Japanese when the words or the instructions are Japanese
``kansuji``        「三百二十一」, 「３２１」 → 321
=================  ===========================================================================

Examples
--------
>>> import asyncio
>>> responder = ScriptedResponder()
>>> asyncio.run(responder.respond([{"role": "user", "content": "What is 12 times 7?"}])).text
'12 times 7 is 84.'
>>> tools = [{"type": "function", "name": "get_weather", "description": "Current weather for a city",
...           "parameters": {"type": "object", "required": ["city"],
...                          "properties": {"city": {"type": "string"}}}}]
>>> reply = asyncio.run(responder.respond([{"role": "user", "content": "Weather in Paris?"}], tools=tools))
>>> reply.tool_calls[0].name, reply.tool_calls[0].arguments
('get_weather', '{"city": "Paris"}')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .arguments import fill_arguments
from .builtins import parse_time
from .reply import Reply, Responder, ToolCall
from .rules import DEFAULT_RULES_PATH, Rule, load_rules
from .scripted import ScriptedResponder
from .tools import normalize_tools
from .upstream import OpenAICompatibleResponder

if TYPE_CHECKING:
    from voicelab.emulator.settings import EmulatorSettings

__all__ = [
    "DEFAULT_RULES_PATH",
    "OpenAICompatibleResponder",
    "Reply",
    "Responder",
    "Rule",
    "ScriptedResponder",
    "ToolCall",
    "fill_arguments",
    "load_rules",
    "make_responder",
    "normalize_tools",
]


def make_responder(settings: EmulatorSettings) -> ScriptedResponder | OpenAICompatibleResponder:
    """The responder ``settings.responder`` names (``EmulatorSettings``).

    ``fixed_time`` (ISO-8601; ``VOICELAB_FIXED_TIME`` in the environment sets it) fixes the scripted clock.

    Examples
    --------
    >>> from voicelab.emulator.settings import EmulatorSettings
    >>> make_responder(EmulatorSettings(fixed_time="2026-01-02T03:04:05Z")).clock().isoformat()
    '2026-01-02T03:04:05+00:00'
    """
    if settings.responder == "openai-compatible" and settings.llm_base_url:  # the settings require the URL
        return OpenAICompatibleResponder(settings.llm_base_url, settings.llm_api_key, settings.llm_model)
    fixed = parse_time(settings.fixed_time)
    clock = (lambda: fixed) if fixed is not None else None
    return ScriptedResponder(rules_path=settings.rules_path, clock=clock)
