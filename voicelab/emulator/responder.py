"""What the emulator's "model" says: scripted rules (default, deterministic) or any chat-completions server.

Shared by chat completions and the Realtime emulator. A responder takes chat-completions-style messages and
returns a :class:`Reply`: text, or tool calls whose ``arguments`` are JSON valid against the tool's schema.

The scripted responder answers, in order:

1. after a tool result (last message ``role: "tool"``): a sentence built from the result;
2. a tool call, when ``tool_choice`` is ``"required"`` or names a function, or is ``"auto"`` and the request
   matches a tool's name or description words;
3. the first matching rule of the rules table (``responder_rules.toml``, or ``EmulatorSettings.rules_path``);
4. built-ins: the emulator's self-description, the time and date (``fixed_time`` makes them deterministic),
   arithmetic ("what is 12 times 7");
5. an echo of the user's words.

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

import ast
import hashlib
import json
import math
import operator
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from voicelab.errors import ParameterError, ResponderError

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

DEFAULT_RULES_PATH = Path(str(resources.files("voicelab.emulator") / "responder_rules.toml"))

SELF_DESCRIPTION = (
    "I am voicelab's offline emulator: a scripted stand-in for an OpenAI model, running on this machine "
    "with no network. I answer from a table of rules, tell the time, do arithmetic, call your tools, "
    "and otherwise repeat what you said."
)


@dataclass(frozen=True)
class ToolCall:
    """A function call decided by the responder; ``arguments`` is JSON text."""

    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Reply:
    """What the responder says: text, or tool calls (then ``text`` is usually empty)."""

    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)


class Responder(Protocol):
    async def respond(
        self,
        messages: list[dict[str, Any]],
        *,
        instructions: str | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | dict[str, Any] | None = "auto",
    ) -> Reply: ...


# --------------------------------------------------------------------------- messages and tools


def _content_text(content: Any) -> str:
    """Text of a message's content: a string, or the text of its parts (text, input_text, transcripts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict):
                value = part.get("text") or part.get("transcript")
                if isinstance(value, str):
                    texts.append(value)
        return " ".join(t.strip() for t in texts if t.strip())
    return str(content)


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


def _forced_name(tool_choice: str | dict[str, Any] | None) -> str | None:
    if isinstance(tool_choice, dict):
        if isinstance(tool_choice.get("function"), dict):
            return tool_choice["function"].get("name")
        return tool_choice.get("name")
    return None


_STOPWORDS = frozenset(
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


def _words(text: str) -> set[str]:
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)  # camelCase → camel Case
    return {_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOPWORDS and len(w) > 2}


def _tool_score(tool: dict[str, Any], text_words: set[str]) -> int:
    name_hits = len(_words(tool["name"].replace("_", " ").replace("-", " ")) & text_words)
    description_hits = len(_words(tool["description"]) & text_words)
    return 2 * name_hits + description_hits


# --------------------------------------------------------------------------- argument filling


_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS = {
    w: 10 * i
    for i, w in enumerate(
        ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    )
    if i > 1
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}


def _words_to_numbers(text: str) -> str:
    """Replace spelled-out numbers ("twenty one", "three hundred") with digits."""
    tokens = re.split(r"(\s+|-)", text)
    out: list[str] = []
    current: int | None = None
    total = 0
    pending_space = ""

    def flush() -> None:
        nonlocal current, total
        if current is not None:
            out.append(str(total + current))
            current, total = None, 0

    for token in tokens:
        word = token.lower().strip(",.?!;:")
        if not token.strip() or token == "-":
            if current is None:
                out.append(token)
            else:
                pending_space = token
            continue
        if word in _NUMBER_WORDS or word in _TENS:
            value = _NUMBER_WORDS.get(word, _TENS.get(word, 0))
            current = (current or 0) + value
            trailing = token[len(token.rstrip(",.?!;:")) :]
            if trailing:
                flush()
                out.append(trailing)
            pending_space = ""
            continue
        if word in _SCALES and current is not None:
            scale = _SCALES[word]
            if scale >= 1000:
                total, current = (total + current) * scale, 0
            else:
                current *= scale
            continue
        if word == "and" and current is not None:
            continue
        flush()
        out.append(pending_space)
        pending_space = ""
        out.append(token)
    flush()
    return "".join(out)


@dataclass
class _Evidence:
    """What the user's words offer to fill arguments, consumed as it is used."""

    text: str
    numbers: list[float]
    quoted: list[str]
    places: list[str]
    clock: Callable[[], datetime]

    @classmethod
    def from_text(cls, text: str, clock: Callable[[], datetime]) -> _Evidence:
        digits = _words_to_numbers(text)
        numbers = [float(n) for n in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?", digits.replace(",", ""))]
        quoted = [
            a or b or c for a, b, c in re.findall(r"\"([^\"]+)\"|“([^”]+)”|(?<!\w)'([^']+)'(?!\w)", text)
        ]
        places = [
            m.strip()
            for m in re.findall(
                r"\b(?:in|at|for|from|to|near|of)\s+((?:[A-Z][\w'-]*)(?:\s+[A-Z][\w'-]*)*)", text
            )
        ]
        if not places:  # capitalised words that do not start a sentence
            places = [
                m.strip() for m in re.findall(r"(?<=[a-z,]\s)((?:[A-Z][\w'-]*)(?:\s+[A-Z][\w'-]*)*)", text)
            ]
        if not places:  # lower-case speech transcripts: "weather in paris"
            places = [
                m.title()
                for m in re.findall(r"\b(?:in|at|near)\s+([a-z][a-z'-]+)", text.lower())
                if m not in _STOPWORDS and m not in ("the", "a", "an")
            ]
        return cls(text, numbers, quoted, places, clock)


_LOCATION_NAMES = (
    "city",
    "location",
    "place",
    "town",
    "country",
    "destination",
    "origin",
    "where",
    "address",
    "region",
    "state",
)
_NAME_NAMES = ("name", "person", "user", "contact", "recipient")
_FREE_TEXT_NAMES = (
    "query",
    "text",
    "message",
    "question",
    "prompt",
    "search",
    "input",
    "content",
    "topic",
    "q",
    "body",
    "note",
    "subject",
    "description",
)


def _first_type(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None:
        if "properties" in schema:
            return "object"
        if "items" in schema:
            return "array"
        if schema.get("enum"):
            value = schema["enum"][0]
            return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(
                type(value), "string"
            )
    return kind if isinstance(kind, str) else None


def _mentioned_enum(schema: dict[str, Any], text: str) -> Any:
    lowered = text.lower()
    for value in schema.get("enum") or []:
        if isinstance(value, str) and re.search(rf"\b{re.escape(value.lower())}\b", lowered):
            return value
    return None


def _number(schema: dict[str, Any], found: float | None, *, integer: bool) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    step = 1 if integer else 1e-6
    if found is None:
        found = schema.get("default", low if low is not None else 0)
        if low is not None and "exclusiveMinimum" in schema and "minimum" not in schema:
            found = low + step
    assert found is not None
    value: float = float(found)
    if low is not None:
        value = max(value, low + (step if "exclusiveMinimum" in schema and "minimum" not in schema else 0))
    if high is not None:
        value = min(value, high - (step if "exclusiveMaximum" in schema and "maximum" not in schema else 0))
    return round(value) if integer else value


def _string(name: str, schema: dict[str, Any], ev: _Evidence, *, required: bool) -> str | None:
    lowered = name.lower()
    fmt = schema.get("format")
    value: str | None = None
    if fmt == "date" or lowered.endswith("date"):
        match = re.search(r"\d{4}-\d{2}-\d{2}", ev.text)
        value = match.group(0) if match else (ev.clock().date().isoformat() if required else None)
    elif fmt == "date-time":
        value = ev.clock().replace(microsecond=0).isoformat() if required else None
    elif fmt == "email":
        match = re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", ev.text)
        value = match.group(0) if match else ("user@example.com" if required else None)
    elif any(key in lowered for key in _LOCATION_NAMES + _NAME_NAMES) and ev.places:
        value = ev.places.pop(0)
    elif ev.quoted:
        value = ev.quoted.pop(0)
    elif any(lowered == key or lowered.endswith("_" + key) for key in _FREE_TEXT_NAMES):
        value = ev.text.strip() or None
    if value is None and required:
        value = (
            schema.get("default")
            if isinstance(schema.get("default"), str)
            else (ev.places.pop(0) if ev.places else (ev.text.strip() or name))
        )
    if value is None:
        return None
    max_length = schema.get("maxLength")
    if isinstance(max_length, int):
        value = value[:max_length]
    min_length = schema.get("minLength")
    if isinstance(min_length, int) and len(value) < min_length:
        value = value.ljust(min_length, "_")
    return value


def _value(name: str, schema: dict[str, Any], ev: _Evidence, *, required: bool) -> Any:
    """A value for one property, or ``_MISSING`` when an optional one has no evidence."""
    if not isinstance(schema, dict):
        return _MISSING
    for key in ("anyOf", "oneOf"):
        options = [o for o in schema.get(key) or [] if isinstance(o, dict) and o.get("type") != "null"]
        if options:
            return _value(
                name, {**{k: v for k, v in schema.items() if k != key}, **options[0]}, ev, required=required
            )
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(part)
        return _value(name, merged, ev, required=required)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        mentioned = _mentioned_enum(schema, ev.text)
        if mentioned is not None:
            return mentioned
        if not required:
            return _MISSING
        return schema.get("default", schema["enum"][0])
    kind = _first_type(schema)
    if kind in ("integer", "number"):
        found = ev.numbers.pop(0) if ev.numbers else None
        if found is None and not required:
            return _MISSING
        return _number(schema, found, integer=kind == "integer")
    if kind == "boolean":
        if not required:
            return _MISSING
        return bool(schema.get("default", False))
    if kind == "array":
        items: dict[str, Any] = schema["items"] if isinstance(schema.get("items"), dict) else {}
        values: list[Any] = []
        if items.get("enum"):
            values = [
                v
                for v in items["enum"]
                if isinstance(v, str) and re.search(rf"\b{re.escape(v.lower())}\b", ev.text.lower())
            ]
        elif _first_type(items) == "string":
            values, ev.quoted = list(ev.quoted), []
        elif _first_type(items) in ("integer", "number"):
            integer = _first_type(items) == "integer"
            values, ev.numbers = [_number(items, n, integer=integer) for n in ev.numbers], []
        while len(values) < int(schema.get("minItems", 0)):
            values.append(_value(name, items, ev, required=True))
        max_items = schema.get("maxItems")
        if isinstance(max_items, int):
            values = values[:max_items]
        if not values and not required:
            return _MISSING
        return values
    if kind == "object":
        return _object(schema, ev)
    if kind == "null":
        return None
    return _MISSING if (value := _string(name, schema, ev, required=required)) is None else value


_MISSING = object()


def _object(schema: dict[str, Any], ev: _Evidence) -> dict[str, Any]:
    properties = schema.get("properties") or {}
    required = [p for p in schema.get("required") or [] if p in properties]
    result: dict[str, Any] = {}
    for name in required + [p for p in properties if p not in required]:
        value = _value(name, properties[name], ev, required=name in required)
        if value is not _MISSING:
            result[name] = value
    return result


def fill_arguments(
    parameters: dict[str, Any] | None, text: str, *, clock: Callable[[], datetime] | None = None
) -> dict[str, Any]:
    """Arguments valid against a tool's JSON schema, filled from the user's words where possible.

    Numbers, quoted strings, enum values mentioned and capitalised place-like words are used; required
    properties with no evidence get the schema's default (or a schema-valid placeholder); optional ones are
    left out unless the words mention them.

    Examples
    --------
    >>> schema = {"type": "object", "required": ["city", "unit"], "properties": {
    ...     "city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    ...     "days": {"type": "integer", "minimum": 1, "maximum": 7}}}
    >>> fill_arguments(schema, "Forecast for Lyon in fahrenheit for 3 days")
    {'city': 'Lyon', 'unit': 'fahrenheit', 'days': 3}
    """
    ev = _Evidence.from_text(text, clock or (lambda: datetime.now(UTC)))
    return _object(parameters or {"type": "object", "properties": {}}, ev)


# --------------------------------------------------------------------------- rules and built-ins


@dataclass(frozen=True)
class Rule:
    """One scripted rule: a case-insensitive regex searched in the user's last message, and a reply template.

    The template may use ``{text}`` (the whole message), ``{0}`` (the match), ``{1}``… (groups) and named
    groups.

    Examples
    --------
    >>> Rule("greeting", r"\\bhello\\b", "Hi there!").answer("well hello")
    'Hi there!'
    """

    name: str
    pattern: str
    reply: str

    def answer(self, text: str) -> str | None:
        match = re.search(self.pattern, text, flags=re.IGNORECASE)
        if match is None:
            return None
        groups = [g or "" for g in match.groups()]
        named = {k: v or "" for k, v in match.groupdict().items()}
        return self.reply.format(match.group(0), *groups, text=text.strip(), **named)


def load_rules(path: str | Path | None = None) -> list[Rule]:
    """Rules from a TOML file with ``[[rules]]`` tables of ``name``, ``pattern``, ``reply``.

    Examples
    --------
    >>> rules = load_rules()
    >>> rules[0].name
    'greeting'
    """
    path = Path(path) if path is not None else DEFAULT_RULES_PATH
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ParameterError(
            "rules_path",
            expected="a TOML rules file",
            got=f"no file at {str(path)!r}",
            fix="copy voicelab/emulator/responder_rules.toml and edit it",
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(
            "rules_path", expected="valid TOML", got=str(exc), fix="fix the file's syntax"
        ) from exc
    rules = []
    for index, entry in enumerate(table.get("rules", [])):
        try:
            rule = Rule(str(entry.get("name", f"rule{index}")), entry["pattern"], entry["reply"])
            re.compile(rule.pattern)
        except (KeyError, TypeError) as exc:
            raise ParameterError(
                f"rules[{index}]", expected="a table with pattern and reply", got=repr(entry)
            ) from exc
        except re.error as exc:
            raise ParameterError(
                f"rules[{index}].pattern",
                expected="a valid regular expression",
                got=f"{entry['pattern']!r} ({exc})",
            ) from exc
        rules.append(rule)
    return rules


_OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.Mod: operator.mod,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
_SPOKEN_OPERATORS = [
    (r"\bmultiplied by\b|\btimes\b|×|\bx\b", "*"),
    (r"\bdivided by\b|\bover\b|÷", "/"),
    (r"\bplus\b", "+"),
    (r"\bminus\b|−", "-"),
    (r"\bto the power of\b|\braised to\b", "**"),
    (r"\bmod(?:ulo)?\b", "%"),
    (r"\bsquared\b", "**2"),
    (r"\bcubed\b", "**3"),
]


def _evaluate(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
    ):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise OverflowError("exponent too large")
        return _OPERATORS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_evaluate(node.operand))
    raise ValueError("not arithmetic")


def _format_number(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}".replace(",", "")
    return f"{value:.6g}"


def arithmetic(text: str) -> str | None:
    """Answer "what is 12 times 7" style questions; None when the text holds no arithmetic.

    Examples
    --------
    >>> arithmetic("What is twelve times seven?"), arithmetic("what's 2 to the power of 10"), arithmetic("hi")
    ('12 times 7 is 84.', '2 to the power of 10 is 1024.', None)
    """
    spoken = _words_to_numbers(text)
    match = re.search(
        r"(?:what(?:'s| is)|calculate|compute|how much is)\s+(.+?)\s*[?.!]*$", spoken, flags=re.IGNORECASE
    )
    phrase = match.group(1) if match else spoken.strip().rstrip("?.!")
    phrase = re.sub(r"^the square root of\s+|^square root of\s+", "sqrt ", phrase, flags=re.IGNORECASE)
    expression = phrase.lower()
    for pattern, symbol in _SPOKEN_OPERATORS:
        expression = re.sub(pattern, f" {symbol} ", expression)
    expression = expression.replace("=", " ").strip()
    sqrt = expression.startswith("sqrt ")
    if sqrt:
        expression = expression[5:]
    if not re.fullmatch(r"[\d\s.+\-*/%()]+", expression) or not re.search(r"\d", expression):
        return None
    if not sqrt and not re.search(r"\d\s*(\*\*|[+\-*/%])\s*[\d(]", expression):
        return None
    try:
        value = _evaluate(ast.parse(expression, mode="eval"))
        if sqrt:
            value = math.sqrt(value)
    except ZeroDivisionError:
        return "Dividing by zero has no answer."
    except (SyntaxError, ValueError, OverflowError, TypeError):
        return None
    shown = re.sub(r"\s+", " ", phrase.strip())
    if sqrt:
        shown = "The square root of " + shown[5:].strip()
    return f"{shown} is {_format_number(value)}."


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- the responders


def _call_id(messages: list[dict[str, Any]], name: str, index: int) -> str:
    seed = json.dumps(
        [len(messages), _content_text(messages[-1].get("content")) if messages else "", name, index]
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
    ) -> Reply:
        """Decide the reply to the conversation (see the module docstring for the order)."""
        return self.respond_sync(messages, instructions=instructions, tools=tools, tool_choice=tool_choice)

    def respond_sync(
        self,
        messages: list[dict[str, Any]],
        *,
        instructions: str | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | dict[str, Any] | None = "auto",
    ) -> Reply:
        flat = normalize_tools(tools)
        forced = _forced_name(tool_choice)
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
        last = messages[-1] if messages else {}
        if last.get("role") == "tool" and forced is None and tool_choice != "required":
            return Reply(self._answer_tool_result(messages))
        user_text = next(
            (_content_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), ""
        )
        call = self._choose_tool(flat, user_text, tool_choice, forced)
        if call is not None:
            arguments = fill_arguments(call["parameters"], user_text, clock=self.clock)
            return Reply(
                "",
                [
                    ToolCall(
                        _call_id(messages, call["name"], 0),
                        call["name"],
                        json.dumps(arguments, ensure_ascii=False),
                    )
                ],
            )
        return Reply(self._answer_text(user_text))

    def _choose_tool(
        self, tools: list[dict[str, Any]], text: str, tool_choice: Any, forced: str | None
    ) -> dict[str, Any] | None:
        if not tools or tool_choice == "none":
            return None
        if forced is not None:
            return next(t for t in tools if t["name"] == forced)
        words = _words(text)
        scored = [(_tool_score(t, words), -i, t) for i, t in enumerate(tools)]
        best_score, _, best = max(scored, key=lambda s: (s[0], s[1]))
        if tool_choice == "required":
            return best
        return best if best_score >= 2 else None

    def _answer_tool_result(self, messages: list[dict[str, Any]]) -> str:
        last = messages[-1]
        name = "the tool"
        for message in reversed(messages[:-1]):
            for call in message.get("tool_calls") or []:
                if call.get("id") == last.get("tool_call_id"):
                    name = (call.get("function") or {}).get("name") or call.get("name") or name
        content = _content_text(last.get("content")).strip()
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
        return f"Here is what {name} returned: {_plain(result)}."

    def _answer_text(self, text: str) -> str:
        for rule in self.rules:
            answer = rule.answer(text)
            if answer is not None:
                return answer
        lowered = text.lower()
        if re.search(
            r"\b(who|what) are you\b|\bintroduce yourself\b|\bare you (a |an )?(real|ai|bot|human|robot)"
            r"|\bwhat can you do\b",
            lowered,
        ):
            return SELF_DESCRIPTION
        if re.search(r"\bwhat time is it\b|\bwhat(?:'s| is) the time\b|\btell me the time\b", lowered):
            now = self.clock()
            return f"It is {now:%H:%M} {now.tzname() or 'UTC'}."
        if re.search(r"\bwhat(?:'s| is) (?:the |today's )?date\b|\bwhat day is (?:it|today)\b", lowered):
            now = self.clock()
            return f"Today is {now:%A}, {now.day} {now:%B %Y}."
        answer = arithmetic(text)
        if answer is not None:
            return answer
        spoken = text.strip()
        if not spoken:
            return "I didn't catch anything. Could you say that again?"
        return f"You said: {spoken}"


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _chat_tools(tools: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [{"type": "function", "function": t} for t in normalize_tools(tools)]


def _chat_tool_choice(tool_choice: str | dict[str, Any] | None) -> Any:
    name = _forced_name(tool_choice)
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
        model: str = "gpt-4o-mini",
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
        "content": _content_text(message.get("content")),
    }
    if message.get("tool_calls"):
        out["tool_calls"] = message["tool_calls"]
        out["content"] = out["content"] or None
    if message.get("tool_call_id"):
        out["tool_call_id"] = message["tool_call_id"]
    return out


def make_responder(settings: Any) -> ScriptedResponder | OpenAICompatibleResponder:
    """The responder ``settings.responder`` names (``EmulatorSettings``).

    ``fixed_time`` (or the environment variable ``VOICELAB_FIXED_TIME``, ISO-8601) fixes the scripted clock.

    Examples
    --------
    >>> from voicelab.emulator.settings import EmulatorSettings
    >>> make_responder(EmulatorSettings(fixed_time="2026-01-02T03:04:05Z")).clock().isoformat()
    '2026-01-02T03:04:05+00:00'
    """
    if settings.responder == "openai-compatible":
        return OpenAICompatibleResponder(settings.llm_base_url, settings.llm_api_key, settings.llm_model)
    fixed = _parse_time(getattr(settings, "fixed_time", None) or os.environ.get("VOICELAB_FIXED_TIME"))
    clock = (lambda: fixed) if fixed is not None else None
    return ScriptedResponder(rules_path=getattr(settings, "rules_path", None), clock=clock)
