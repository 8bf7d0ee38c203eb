"""The scripted responder's built-in answers: who it is, the time and date, and arithmetic.

Examples
--------
>>> from datetime import UTC, datetime
>>> builtin_answer("What time is it?", lambda: datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
'It is 03:04 UTC.'
>>> builtin_answer("what is 6 times 7", lambda: datetime(2026, 1, 2, tzinfo=UTC))
'6 times 7 is 42.'
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .spoken_numbers import words_to_numbers

__all__ = [
    "SELF_DESCRIPTION",
    "arithmetic",
    "arithmetic_value",
    "builtin_answer",
    "builtin_intent",
    "evaluate_arithmetic",
    "format_number",
    "parse_time",
]


SELF_DESCRIPTION = (
    "I am voicelab's offline emulator: a scripted stand-in for an OpenAI model, running on this machine "
    "with no network. I answer from a table of rules, tell the time, do arithmetic, call your tools, "
    "and otherwise repeat what you said."
)


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


def format_number(value: float) -> str:
    """``84``, ``0.333333``: an integer without decimals, else six significant digits."""
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}".replace(",", "")
    return f"{value:.6g}"


def evaluate_arithmetic(expression: str) -> float:
    """The value of an arithmetic ``expression`` (numbers, ``+ - * / ** %`` and parentheses; no names).

    Raises ``ValueError`` (not arithmetic), ``SyntaxError``, ``ZeroDivisionError`` or ``OverflowError``.

    Examples
    --------
    >>> evaluate_arithmetic(" 3 + 4 * 2 ")
    11
    """
    return _evaluate(ast.parse(expression.strip(), mode="eval"))


def _phrase(text: str) -> tuple[str, str, bool] | None:
    """(the phrase as said, its expression, square root?) of an English arithmetic question, or None."""
    spoken = words_to_numbers(text)
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
    return phrase, expression, sqrt


_NO_VALUE = (SyntaxError, ValueError, OverflowError, TypeError)


def _value(expression: str, sqrt: bool) -> float:
    value = evaluate_arithmetic(expression)
    return math.sqrt(value) if sqrt else value


def arithmetic_value(text: str) -> float | None:
    """The value of an English arithmetic question; ``None`` when there is none or it has no value.

    Examples
    --------
    >>> arithmetic_value("what is six times seven"), arithmetic_value("what is 1 over 0")
    (42, None)
    """
    parsed = _phrase(text)
    try:
        return None if parsed is None else _value(*parsed[1:])
    except (*_NO_VALUE, ZeroDivisionError):
        return None


def arithmetic(text: str) -> str | None:
    """Answer "what is 12 times 7" style questions; None when the text holds no arithmetic.

    Examples
    --------
    >>> arithmetic("What is twelve times seven?"), arithmetic("what's 2 to the power of 10"), arithmetic("hi")
    ('12 times 7 is 84.', '2 to the power of 10 is 1024.', None)
    """
    parsed = _phrase(text)
    if parsed is None:
        return None
    phrase, expression, sqrt = parsed
    try:
        value = _value(expression, sqrt)
    except ZeroDivisionError:
        return "Dividing by zero has no answer."
    except _NO_VALUE:
        return None
    shown = re.sub(r"\s+", " ", phrase.strip())
    if sqrt:
        shown = "The square root of " + shown[5:].strip()
    return f"{shown} is {format_number(value)}."


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def builtin_intent(text: str) -> str | None:
    """What an English question asks of the built-ins: ``"self"``, ``"time"``, ``"date"``, ``"arithmetic"``.

    Examples
    --------
    >>> [builtin_intent(text) for text in ("Who are you?", "what's the time", "2 plus 2", "hm")]
    ['self', 'time', 'arithmetic', None]
    """
    lowered = text.lower()
    if re.search(
        r"\b(who|what) are you\b|\bintroduce yourself\b|\bare you (a |an )?(real|ai|bot|human|robot)"
        r"|\bwhat can you do\b",
        lowered,
    ):
        return "self"
    if re.search(r"\bwhat time is it\b|\bwhat(?:'s| is) the time\b|\btell me the time\b", lowered):
        return "time"
    if re.search(r"\bwhat(?:'s| is) (?:the |today's )?date\b|\bwhat day is (?:it|today)\b", lowered):
        return "date"
    return "arithmetic" if _phrase(text) is not None else None


def builtin_answer(text: str, clock: Callable[[], datetime]) -> str | None:
    """The self-description, the time or date (``clock``), or an arithmetic result; ``None`` otherwise."""
    intent = builtin_intent(text)
    if intent == "self":
        return SELF_DESCRIPTION
    if intent == "time":
        now = clock()
        return f"It is {now:%H:%M} {now.tzname() or 'UTC'}."
    if intent == "date":
        now = clock()
        return f"Today is {now:%A}, {now.day} {now:%B %Y}."
    return arithmetic(text)
