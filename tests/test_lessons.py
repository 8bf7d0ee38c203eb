"""The notebooks' examples come from voicelab/lessons.toml, checked when read (voicelab/lessons.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from voicelab import lessons
from voicelab.errors import ParameterError, VoicelabError


def test_every_example_has_a_text_in_every_language() -> None:
    en, ja = lessons.for_language("en"), lessons.for_language("ja")
    assert list(en) == list(ja) and len(en) >= 34  # every key the notebooks use (34 on 2026-11-30)
    assert all(en[key].strip() and ja[key].strip() for key in en)
    assert en["tts.greeting"] == "Good morning, how are you?"
    assert ja["tts.greeting"] == "おはようございます。お元気ですか?"
    # a text split over several words keeps its spaces and its Japanese whole
    assert en["tts.story"].startswith(
        "Once upon a time there was a small robot. It loved to read books aloud. "
    )
    assert ja["chat.arithmetic"] == "12かける7は何ですか?"
    assert en["translate.language"] == "es" and ja["translate.language"] == "ja"


#: ``lesson["tts.hello"]`` in a code cell's JSON source (its quotes escaped)
LESSON_KEY = re.compile(r"""lesson\[\\?["']([a-z_]+\.[a-z_0-9]+)\\?["']\]""")


def test_every_key_a_notebook_uses_exists_in_both_languages() -> None:
    root = Path(__file__).resolve().parents[1] / "notebooks"
    used: set[str] = set()
    for path in [*root.glob("*.ipynb"), *root.glob("ja/*.ipynb")]:
        used |= set(LESSON_KEY.findall(path.read_text(encoding="utf-8")))
    assert len(used) >= 30, used
    for language in lessons.LANGUAGES:
        lesson = lessons.for_language(language)
        assert {key: bool(lesson[key]) for key in used} == dict.fromkeys(used, True)


GOOD = {"en": "Hello.", "ja": "こんにちは。"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"tts": {"hello": {"en": "Hello."}}},
            "[tts.hello] lacks ja; every example needs a text in each of en, ja",
        ),
        ({"tts": {"hello": {**GOOD, "fr": "Bonjour."}}}, "[tts.hello] has 'fr', not one of en, ja"),
        ({"tts": {"hello": {**GOOD, "ja": ""}}}, "[tts.hello] has ja = '', not a non-empty string"),
        ({"tts": {"hello": {**GOOD, "en": 3}}}, "[tts.hello] has en = 3, not a non-empty string"),
        ({"tts": {"hello": "Hello."}}, "[tts.hello] is str, not a table of languages"),
        ({"tts": "Hello."}, "[tts] is str, not a table of examples"),
        ({}, "no examples"),
    ],
    ids=[
        "missing-language",
        "extra-language",
        "empty-text",
        "not-text",
        "not-a-table",
        "topic-not-a-table",
        "empty",
    ],
)
def test_a_broken_examples_file_names_the_table_to_fix(data: dict[str, Any], message: str) -> None:
    with pytest.raises(VoicelabError) as excinfo:
        lessons._parse_examples(data)
    assert str(excinfo.value).startswith("voicelab/lessons.toml: ")
    assert message in str(excinfo.value)
    assert not isinstance(excinfo.value, ParameterError)  # a bug in voicelab's data, not the caller's input


def test_the_examples_file_is_read_once() -> None:
    assert lessons._examples() is lessons._examples()
