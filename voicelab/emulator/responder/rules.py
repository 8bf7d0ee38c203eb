"""The scripted responder's rules table: regex → reply template pairs from TOML (``responder_rules.toml``).

Examples
--------
>>> [rule.name for rule in load_rules()][:1]
['greeting']
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from voicelab.errors import ParameterError

__all__ = ["DEFAULT_RULES_PATH", "Rule", "load_rules"]


DEFAULT_RULES_PATH = Path(str(resources.files("voicelab.emulator.responder") / "responder_rules.toml"))


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
            fix="copy voicelab/emulator/responder/responder_rules.toml and edit it",
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
