"""The notebooks' language-dependent examples: one code, an English and a Japanese edition.

Every notebook starts with a parameters cell, ``LANG = "en"`` (``"ja"`` in ``notebooks/ja/``), and takes
what it says, plays or labels from :func:`for_language` instead of writing it in the cell: the example
sentences it synthesises, the recorded sample it loads, the questions it asks an agent, the titles of its
figures. So the two editions run the same code cells (``tests/test_ja_notebooks.py`` checks it), and the
Japanese edition speaks, transcribes and draws Japanese. Translation keeps English as its target language:
the Japanese edition sends Japanese speech and gets English text back.

The examples are data, in ``voicelab/lessons.toml``: each ``[<topic>.<what>]`` table keeps its languages
side by side, and the file is checked when it is first read (``_parse_examples``), so none can be added
without its translation.

Examples
--------
>>> lesson = for_language("ja")
>>> lesson["tts.greeting"]
'おはようございます。お元気ですか?'
>>> for_language("en")["tts.greeting"]
'Good morning, how are you?'
>>> lesson.normalize("東京駅まで。") == lesson.normalize("とうきょうえきまで")
True
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from voicelab.engines import scoring
from voicelab.errors import ParameterError, VoicelabError

__all__ = ["LANGUAGES", "Lesson", "for_language"]

#: The languages the notebooks come in (ISO-639-1, as the speech APIs' ``language`` parameter takes them).
LANGUAGES: tuple[str, ...] = ("en", "ja")

#: Where the examples live: one ``[<topic>.<what>]`` table per example, its languages side by side.
_EXAMPLES_FILE = "lessons.toml"


def _parse_examples(
    data: Mapping[str, Any], *, origin: str = f"voicelab/{_EXAMPLES_FILE}"
) -> dict[str, dict[str, str]]:
    """``key → {language → text}`` from the parsed examples file, checked: every example in every language.

    Keys are ``"<topic>.<what>"``; the topic is the notebook that uses them.

    Raises
    ------
    voicelab.errors.VoicelabError
        An example misses a language of :data:`LANGUAGES`, has another one, or a text that is not a
        non-empty string (a broken data file is a bug in voicelab: the message names the table to fix).

    Examples
    --------
    >>> _parse_examples({"tts": {"hello": {"en": "Hello.", "ja": "こんにちは。"}}})
    {'tts.hello': {'en': 'Hello.', 'ja': 'こんにちは。'}}
    >>> _parse_examples({"tts": {"hello": {"en": "Hello."}}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    voicelab.errors.VoicelabError: voicelab/lessons.toml: [tts.hello] lacks ja; ... add "ja = …" to it
    """

    def broken(where: str, problem: str, fix: str) -> VoicelabError:
        return VoicelabError(f"{origin}: [{where}] {problem}; every example needs a text in each of "
                             f"{', '.join(LANGUAGES)} — {fix}")

    examples: dict[str, dict[str, str]] = {}
    for topic, entries in data.items():
        if not isinstance(entries, Mapping) or not entries:
            raise broken(topic, f"is {type(entries).__name__}, not a table of examples",
                         f"write its examples as [{topic}.<what>] tables")
        for what, texts in entries.items():
            key = f"{topic}.{what}"
            if not isinstance(texts, Mapping):
                each = " and ".join(f"{language} = …" for language in LANGUAGES)
                raise broken(key, f"is {type(texts).__name__}, not a table of languages",
                             f"write it as a [{key}] table with {each}")
            for language in LANGUAGES:
                if language not in texts:
                    raise broken(key, f"lacks {language}", f'add "{language} = …" to it')
            for language, text in texts.items():
                if language not in LANGUAGES:
                    raise broken(key, f"has {language!r}, not one of {', '.join(LANGUAGES)}",
                                 "remove it, or add the language to voicelab.lessons.LANGUAGES")
                if not isinstance(text, str) or not text.strip():
                    raise broken(key, f"has {language} = {text!r}, not a non-empty string",
                                 f'write {language} = "…"')
            examples[key] = {language: texts[language] for language in LANGUAGES}
    if not examples:
        raise VoicelabError(f"{origin}: no examples; the notebooks need them")
    return examples


@cache
def _examples() -> dict[str, dict[str, str]]:
    """The examples file, read and checked once per process."""
    text = resources.files(__package__).joinpath(_EXAMPLES_FILE).read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise VoicelabError(f"voicelab/{_EXAMPLES_FILE} is not valid TOML ({exc}) — fix its syntax") from exc
    return _parse_examples(data)


@dataclass(frozen=True)
class Lesson(Mapping[str, str]):
    """The examples of one language: ``lesson["tts.greeting"]`` is that language's text.

    Parameters
    ----------
    language : {"en", "ja"}

    Examples
    --------
    >>> lesson = Lesson("en")
    >>> lesson["stt.sample"], len(lesson) == len(Lesson("ja"))
    ('en_directions', True)
    >>> lesson["no.such"]  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    voicelab.errors.ParameterError: key: expected an example of voicelab.lessons ...; got 'no.such'
    """

    language: str

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ParameterError("LANG", expected=f"one of {', '.join(map(repr, LANGUAGES))}",
                                 got=repr(self.language), fix="set LANG in the notebook's parameters cell")

    def __getitem__(self, key: str) -> str:
        try:
            return _examples()[key][self.language]
        except KeyError:
            topics = ", ".join(dict.fromkeys(k.split(".")[0] + "." for k in _examples()))
            raise ParameterError("key", expected=f"an example of voicelab.lessons (keys start with {topics})",
                                 got=repr(key)) from None

    def __iter__(self) -> Iterator[str]:
        return iter(_examples())

    def __len__(self) -> int:
        return len(_examples())

    def normalize(self, text: str) -> str:
        """What "heard word for word" compares: lower-case words for English, the kana reading for Japanese.

        Whisper may write a Japanese word in kanji or in kana (公園 or こうえん), so Japanese text is compared
        by how it is read (:func:`voicelab.engines.scoring.kana_reading`), punctuation and spaces dropped.

        Examples
        --------
        >>> Lesson("en").normalize("Turn LEFT, now!")
        'turn left now'
        >>> ja = Lesson("ja")
        >>> ja.normalize("公園へ散歩に、行きましょう。") == ja.normalize("こうえんへさんぽにいきましょう")
        True
        """
        if self.language == "ja":
            return scoring.kana_reading(text)
        return " ".join(scoring.words(text))


def for_language(language: str) -> Lesson:
    """The examples for a notebook whose parameters cell says ``LANG = language``.

    Raises
    ------
    voicelab.errors.ParameterError
        ``language`` is not one of :data:`LANGUAGES`.

    Examples
    --------
    >>> for_language("ja")["widgets.sample"]
    'ja_weather'
    >>> for_language("fr")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    voicelab.errors.ParameterError: LANG: expected one of 'en', 'ja'; got 'fr' — set LANG in the ...
    """
    return Lesson(language)
