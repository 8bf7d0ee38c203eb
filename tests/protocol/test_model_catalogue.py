"""The model catalogue (voicelab/protocol/models.toml) against the installed openai SDK.

Every model in the SDK's audio, realtime and chat-audio ``Literal``s must be in the table under the right
kind, and every "Announced shutdown date" in those modules' docstrings must match the table's date — so an
SDK upgrade that adds a model or a date fails here until the table is updated.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import typing
from datetime import date

import pytest

from voicelab.protocol import models as catalogue

# module, attribute path of the Literal ("Alias" or "Class.field"), catalogue kind (None: dates only)
SDK_LITERALS = [
    ("openai.types.audio.speech_model", "SpeechModel", "speech"),
    ("openai.types.audio_model", "AudioModel", "transcription"),
    (
        "openai.types.realtime.realtime_session_create_request",
        "RealtimeSessionCreateRequest.model",
        "realtime",
    ),
    (
        "openai.types.realtime.realtime_session_create_response",
        "RealtimeSessionCreateResponse.model",
        "realtime",
    ),
    ("openai.types.realtime.audio_transcription", "AudioTranscription.model", "realtime_transcription"),
    ("openai.types.shared.chat_model", "ChatModel", "chat"),
]
DOCSTRING_MODULES = [
    *(module for module, _, _ in SDK_LITERALS),
    "openai.types.audio.speech_create_params",
    "openai.types.audio.transcription_create_params",
    "openai.types.audio.translation_create_params",
    "openai.types.realtime.call_accept_params",
]
_DATE = re.compile(r"Announced\s+shutdown\s+date:\s+(\d{4}-\d{2}-\d{2})")


def literal_values(module: str, path: str) -> set[str]:
    """The string values of the ``Literal`` at ``path`` (inside Unions/Optionals too)."""
    obj = importlib.import_module(module)
    name, _, field = path.partition(".")
    annotation = getattr(obj, name)
    if field:
        annotation = annotation.model_fields[field].annotation
    found: set[str] = set()
    stack = [annotation]
    while stack:
        item = stack.pop()
        if typing.get_origin(item) is typing.Literal:
            found.update(v for v in typing.get_args(item) if isinstance(v, str))
        else:
            stack.extend(typing.get_args(item))
    return found


def shutdown_dates(source: str) -> dict[str, date]:
    """``{model: date}`` from every "- "a", "b": Announced shutdown date: YYYY-MM-DD" bullet in the source's
    string literals (docstrings), read with ``ast``."""
    dates: dict[str, date] = {}
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        for bullet in re.split(r"\n\s*- ", node.value):
            match = _DATE.search(bullet)
            if match:
                names = re.findall(r'"([^"]+)"', bullet[: match.start()])
                dates.update(dict.fromkeys(names, date.fromisoformat(match[1])))
    return dates


def sdk_dates() -> dict[str, date]:
    dates: dict[str, date] = {}
    for module in DOCSTRING_MODULES:
        for name, when in shutdown_dates(inspect.getsource(importlib.import_module(module))).items():
            assert dates.setdefault(name, when) == when, f"{module} dates {name} differently"
    return dates


def _in_scope(module: str, name: str) -> bool:
    """ChatModel lists every chat model; the catalogue holds its audio models and the ones it serves."""
    return not module.endswith("chat_model") or "audio" in name or catalogue.model_info(name) is not None


def test_the_parser_reads_wrapped_bullets():
    source = '''X = 1
"""Deprecated values:

- "a-1", "a-2",
  "a-3": Announced
  shutdown date: 2027-02-26. See https://example.com.
- "b": Announced shutdown date: 2026-05-07.
"""
'''
    assert shutdown_dates(source) == {
        "a-1": date(2027, 2, 26),
        "a-2": date(2027, 2, 26),
        "a-3": date(2027, 2, 26),
        "b": date(2026, 5, 7),
    }


@pytest.mark.parametrize(("module", "path", "kind"), SDK_LITERALS)
def test_every_sdk_literal_model_is_in_the_catalogue(module, path, kind):
    values = {v for v in literal_values(module, path) if _in_scope(module, v)}
    assert values, f"{module}.{path}: no Literal found (the SDK moved it?)"
    missing = sorted(v for v in values if catalogue.lookup(v, kind) is None)
    assert not missing, f"add to voicelab/protocol/models.toml as kind {kind!r}: {missing}"


def test_every_sdk_shutdown_date_matches_the_catalogue():
    dates = {n: when for n, when in sdk_dates().items() if catalogue.model_info(n) or "audio" in n}
    assert dates["tts-1"] == date(2027, 1, 6)  # the parser found the dates at all
    wrong = {
        name: (when, getattr(catalogue.model_info(name), "shutdown", "missing"))
        for name, when in dates.items()
        if catalogue.model_info(name) is None or catalogue.model_info(name).shutdown != when
    }
    assert not wrong, f"SDK date vs table (update voicelab/protocol/models.toml): {wrong}"


def test_every_catalogue_shutdown_date_is_one_the_sdk_states():
    dates = sdk_dates()
    unsourced = {
        m.name: m.shutdown for m in catalogue.CATALOGUE if m.shutdown and dates.get(m.name) != m.shutdown
    }
    assert not unsourced


def test_every_row_is_sourced_and_dated():
    for row in catalogue.CATALOGUE:
        assert all(key in catalogue.SOURCES for key in row.source_keys()), row.name
        assert date(2023, 1, 1) <= row.effective <= date.today(), row.name


def test_table_validation_names_the_broken_row():
    data = {
        "sources": {"s": "somewhere"},
        "model": [{"id": "m", "kinds": ["speech"], "source": "elsewhere", "effective": date(2026, 1, 1)}],
    }
    with pytest.raises(RuntimeError, match=r"m: source \['elsewhere'\] is not in \[sources\]"):
        catalogue._parse(data)
    data["model"][0].update(source="s", kinds=["telepathy"])
    with pytest.raises(RuntimeError, match="kinds"):
        catalogue._parse(data)


@pytest.mark.parametrize("purpose", catalogue.Purpose.__args__)  # type: ignore[attr-defined]
def test_each_purpose_recommends_a_current_model_unless_none_exists(purpose):
    name = catalogue.recommended(purpose)
    info = catalogue.model_info(name)
    assert info is not None
    if info.shutdown is None:
        assert catalogue.recommendation_note(purpose) is None
        return
    # a recommendation with a shutdown date says why; no current model of its kind serves the purpose
    assert catalogue.recommendation_note(purpose)
    kind = catalogue._PURPOSE_KIND[purpose]
    if purpose in ("speech", "translation"):
        assert not [m for m in catalogue.CATALOGUE if kind in m.kinds and catalogue._is_current(m)], purpose


def test_a_recommendation_with_a_shutdown_date_needs_a_note():
    data = {
        "sources": {"s": "somewhere"},
        "recommended": {p: {"model": "m"} for p in catalogue.Purpose.__args__},  # type: ignore[attr-defined]
        "model": [
            {
                "id": "m",
                "kinds": list(catalogue.KINDS),
                "source": "s",
                "effective": date(2026, 1, 1),
                "shutdown": date(2027, 1, 1),
            }
        ],
    }
    with pytest.raises(RuntimeError, match=r"recommended\.speech: .m. has a shutdown date"):
        catalogue._parse(data)
    data["recommended"] = {"speech": {"model": "m", "note": "none"}}
    with pytest.raises(RuntimeError, match=r"\[recommended\] has no row for"):
        catalogue._parse(data)
