"""The deterministic responder: tool results, tool calls, rules, built-ins, then an echo.

The scripted responder answers, in order:

1. after a tool result (last message ``role: "tool"``, or a result that came in after the user's last turn
   while that turn was answered): a sentence built from the result;
2. with an image in the user's last message: what it shows (text, colours, size; :mod:`.vision`);
3. a tool call, when ``tool_choice`` is ``"required"`` or names a function, or is ``"auto"`` and the request
   matches a tool's name or description words; with ``parallel_tool_calls=True`` one call to every tool the
   request matches (best match first), otherwise at most one;
4. the first matching rule of the rules table (``responder_rules.toml``, or ``EmulatorSettings.rules_path``);
5. built-ins: the emulator's self-description, the time and date (``fixed_time`` makes them deterministic),
   arithmetic ("what is 12 times 7");
6. an echo of the user's words.

When the user's words or the instructions are Japanese, steps 3–5 speak Japanese (:mod:`.japanese`): the
rules table only for Japanese words (its bundled rules are English), then 「こんにちは」, 「今何時？」,
「3たす4は？」, who it is, and 『…』とおっしゃいましたね。

Examples
--------
>>> ScriptedResponder().respond_sync([{"role": "user", "content": "What is 12 times 7?"}]).text
'12 times 7 is 84.'
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voicelab.engines.vision import ImageFacts
from voicelab.errors import ParameterError

from .arguments import fill_arguments
from .builtins import builtin_answer
from .japanese import is_japanese, japanese_answer, japanese_echo, speaks_japanese
from .preamble import tool_preamble
from .reply import Reply, ToolCall, content_text
from .rules import Rule, load_rules
from .tools import forced_name, keywords, normalize_tools, tool_score
from .vision import image_answer, look_at_images

__all__ = ["ScriptedResponder"]


def _call_id(messages: list[dict[str, Any]], name: str, index: int) -> str:
    seed = json.dumps(
        [len(messages), content_text(messages[-1].get("content")) if messages else "", name, index]
    )
    return "call_" + hashlib.sha1(seed.encode()).hexdigest()[:24]


class ScriptedResponder:
    """Deterministic replies from rules, built-ins, tools and an echo.

    Parameters
    ----------
    rules : list of Rule, optional
        Defaults to :func:`load_rules` of ``rules_path`` (or the bundled table).
    rules_path : path, optional
    clock : callable returning an aware datetime, optional
        What "now" is for the time/date built-ins and date arguments; defaults to UTC now.
    """

    def __init__(
        self,
        rules: list[Rule] | None = None,
        *,
        rules_path: str | Path | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.rules = rules if rules is not None else load_rules(rules_path)
        self.clock = clock or (lambda: datetime.now(UTC))

    def __repr__(self) -> str:
        return f"ScriptedResponder({len(self.rules)} rules)"

    async def respond(
        self,
        messages: list[dict[str, Any]],
        *,
        instructions: str | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | dict[str, Any] | None = "auto",
        parallel_tool_calls: bool | None = None,
    ) -> Reply:
        """Decide the reply to the conversation (see the module docstring for the order), in a worker thread:
        filling a tool's arguments from a large schema is bounded, but not free, and never blocks the loop;
        the images of the last user message are looked at first, in a thread too (:mod:`.vision`)."""
        seen = await look_at_images(messages)
        return await asyncio.to_thread(
            self.respond_sync,
            messages,
            instructions=instructions,
            tools=tools,
            tool_choice=tool_choice,
            parallel_tool_calls=parallel_tool_calls,
            seen=seen,
        )

    def respond_sync(
        self,
        messages: list[dict[str, Any]],
        *,
        instructions: str | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | dict[str, Any] | None = "auto",
        parallel_tool_calls: bool | None = None,
        seen: list[ImageFacts] | None = None,
    ) -> Reply:
        flat = normalize_tools(tools)
        forced = forced_name(tool_choice)
        if forced is not None and forced not in {t["name"] for t in flat}:
            names = ", ".join(t["name"] for t in flat) or "none given"
            raise ParameterError(
                "tool_choice",
                expected=f"the name of one of the tools ({names})",
                got=repr(forced),
                fix="name a function listed in tools",
            )
        if tool_choice == "required" and not flat:
            raise ParameterError(
                "tool_choice",
                expected="tools to choose from when tool_choice is 'required'",
                got="no function tools",
                fix="pass tools=[...] or tool_choice='auto'",
            )
        result_at = _tool_result_to_say(messages)
        if result_at is not None and forced is None and tool_choice != "required":
            return Reply(self._answer_tool_result(messages[: result_at + 1]))
        user_text = next(
            (content_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), ""
        )
        if seen and forced is None and tool_choice != "required":
            return Reply(image_answer(user_text, seen))
        calls = self._choose_tools(flat, user_text, tool_choice, forced, bool(parallel_tool_calls))
        if calls:
            return Reply(
                "",
                [
                    ToolCall(
                        _call_id(messages, call["name"], index),
                        call["name"],
                        json.dumps(
                            fill_arguments(call["parameters"], user_text, clock=self.clock),
                            ensure_ascii=False,
                        ),
                    )
                    for index, call in enumerate(calls)
                ],
                preamble=tool_preamble(user_text),
            )
        return Reply(self._answer_text(user_text, instructions))

    def _choose_tools(
        self, tools: list[dict[str, Any]], text: str, tool_choice: Any, forced: str | None, parallel: bool
    ) -> list[dict[str, Any]]:
        if not tools or tool_choice == "none":
            return []
        if forced is not None:
            return [next(t for t in tools if t["name"] == forced)]
        words = keywords(text)
        ranked = sorted(
            ((tool_score(t, words), -i, t) for i, t in enumerate(tools)),
            key=lambda s: (s[0], s[1]),
            reverse=True,
        )
        matching = [t for score, _, t in ranked if score >= 2]
        if tool_choice == "required" and not matching:
            matching = [ranked[0][2]]
        return matching if parallel else matching[:1]

    def _answer_tool_result(self, messages: list[dict[str, Any]]) -> str:
        last = messages[-1]
        name = "the tool"
        for message in reversed(messages[:-1]):
            for call in message.get("tool_calls") or []:
                if call.get("id") == last.get("tool_call_id"):
                    name = (call.get("function") or {}).get("name") or call.get("name") or name
        content = content_text(last.get("content")).strip()
        try:
            result = json.loads(content)
        except (json.JSONDecodeError, TypeError):
            result = content
        if isinstance(result, dict) and result:
            facts = ", ".join(f"{str(k).replace('_', ' ')} {_plain(v)}" for k, v in result.items())
            return f"Here is what {name} returned: {facts}."
        if isinstance(result, list) and result:
            return f"Here is what {name} returned: {', '.join(_plain(v) for v in result)}."
        if result in ("", None, {}, []):
            return f"{name} returned nothing."
        return f"Here is what {name} returned: {_plain(result).rstrip('.')}."  # a sentence ends once

    def _answer_text(self, text: str, instructions: str | None = None) -> str:
        if speaks_japanese(text, instructions):
            rules = self.rules if is_japanese(text) else []
            answer = next((a for a in (r.answer(text) for r in rules) if a is not None), None)
            return answer or japanese_answer(text, self.clock) or japanese_echo(text)
        for rule in self.rules:
            answer = rule.answer(text)
            if answer is not None:
                return answer
        answer = builtin_answer(text, self.clock)
        if answer is not None:
            return answer
        spoken = text.strip()
        if not spoken:
            return "I didn't catch anything. Could you say that again?"
        return f"You said: {spoken}"


def _tool_result_to_say(messages: list[dict[str, Any]]) -> int | None:
    """The index of the tool result the reply is about: the last message, or — when a response is asked for
    after the assistant spoke — a result that arrived after the user's last message (an asynchronous call
    whose result came in while the user's next turn was being answered)."""
    if not messages:
        return None
    if messages[-1].get("role") == "tool":
        return len(messages) - 1
    if messages[-1].get("role") != "assistant":
        return None
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    return max((i for i, m in enumerate(messages) if m.get("role") == "tool" and i > last_user), default=None)


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
