"""Function tools as the responders see them: one flat shape, the forced name, and word-matching a request.

Examples
--------
>>> tools = normalize_tools([{"type": "function", "name": "get_weather", "description": "Weather in a city"}])
>>> tool_score(tools[0], keywords("What's the weather in Paris?"))
3
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["STOPWORDS", "forced_name", "keywords", "normalize_tools", "tool_score"]


def normalize_tools(tools: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Realtime flat and chat nested function tools → ``{"name", "description", "parameters"}``.

    Examples
    --------
    >>> normalize_tools([{"type": "function", "function": {"name": "f"}}])
    [{'name': 'f', 'description': '', 'parameters': {'type': 'object', 'properties': {}}}]
    """
    flat = []
    for tool in tools or []:
        if not isinstance(tool, dict) or tool.get("type", "function") != "function":
            continue
        spec: dict[str, Any] = tool["function"] if isinstance(tool.get("function"), dict) else tool
        name = spec.get("name")
        if not isinstance(name, str) or not name:
            continue
        parameters = spec.get("parameters") or {"type": "object", "properties": {}}
        flat.append({"name": name, "description": spec.get("description") or "", "parameters": parameters})
    return flat


def forced_name(tool_choice: str | dict[str, Any] | None) -> str | None:
    if isinstance(tool_choice, dict):
        if isinstance(tool_choice.get("function"), dict):
            return tool_choice["function"].get("name")
        return tool_choice.get("name")
    return None


STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "for",
        "to",
        "in",
        "on",
        "at",
        "by",
        "with",
        "from",
        "and",
        "or",
        "is",
        "are",
        "be",
        "it",
        "this",
        "that",
        "what",
        "whats",
        "which",
        "who",
        "how",
        "do",
        "does",
        "me",
        "my",
        "i",
        "you",
        "your",
        "please",
        "can",
        "could",
        "would",
        "will",
        "get",
        "gets",
        "set",
        "current",
        "given",
        "returns",
        "return",
        "use",
        "uses",
        "call",
        "function",
        "tool",
        "value",
        "values",
        "some",
        "any",
        "about",
        "into",
    ]
)


def _stem(word: str) -> str:
    for suffix in ("ing", "es", "s", "ed"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def keywords(text: str) -> set[str]:
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)  # camelCase → camel Case
    return {_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS and len(w) > 2}


def tool_score(tool: dict[str, Any], text_words: set[str]) -> int:
    name_hits = len(keywords(tool["name"].replace("_", " ").replace("-", " ")) & text_words)
    description_hits = len(keywords(tool["description"]) & text_words)
    return 2 * name_hits + description_hits
