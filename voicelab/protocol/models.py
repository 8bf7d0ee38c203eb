"""The model catalogue: every model voicelab knows, the kinds that serve it, its billing unit and lifecycle.

The facts live in ``models.toml`` beside this module (one dated, sourced row per model id), loaded once
and validated with pydantic. ``tests/protocol/test_model_catalogue.py`` checks the table against the
installed SDK's ``Literal`` types and their "Announced shutdown date" docstrings.

Only the listed ids are served: OpenAI answers an unlisted dated snapshot with ``model_not_found`` too.

Examples
--------
>>> lookup("whisper-1", "transcription").billing
'minutes'
>>> models("translation")
('whisper-1',)
>>> lookup("gpt-realtime-2025-08-28", "realtime").shutdown
datetime.date(2027, 1, 20)
>>> lookup("gpt-realtime-2099-01-01", "realtime") is None
True
"""

from __future__ import annotations

import re
import threading
import tomllib
import warnings
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from voicelab.errors import ModelShutdownWarning

from .errors import ProtocolError

__all__ = [
    "CATALOGUE",
    "DEPRECATIONS_URL",
    "KINDS",
    "REASONING_PARAMS",
    "SOURCES",
    "BillingUnit",
    "ModelInfo",
    "ModelKind",
    "Purpose",
    "check_lifecycle",
    "check_model",
    "check_reasoning",
    "check_reasoning_params",
    "is_reasoning_model",
    "lifecycle_message",
    "lookup",
    "model_info",
    "models",
    "recommendation_note",
    "recommended",
]

ModelKind = Literal[
    "speech",
    "transcription",
    "translation",
    "chat",
    "responses",
    "realtime",
    "realtime_transcription",
    "realtime_translation",
]
KINDS: tuple[ModelKind, ...] = ModelKind.__args__  # type: ignore[attr-defined]
"""Every kind, in the order of :data:`ModelKind`."""

Purpose = Literal[
    "speech",
    "transcription",
    "timestamps",
    "translation",
    "audio_chat",
    "text",
    "realtime",
    "realtime_transcription",
    "realtime_translation",
]
_PURPOSE_KIND: dict[str, ModelKind] = {
    "speech": "speech",
    "transcription": "transcription",
    "timestamps": "transcription",
    "translation": "translation",
    "audio_chat": "chat",
    "text": "chat",
    "realtime": "realtime",
    "realtime_transcription": "realtime_transcription",
    "realtime_translation": "realtime_translation",
}

BillingUnit = Literal["tokens", "characters", "minutes"]
DEPRECATIONS_URL = "https://developers.openai.com/api/docs/deprecations"


class ModelInfo(BaseModel):
    """One row of ``models.toml``: a model id and what OpenAI states about it.

    Parameters
    ----------
    name : str
        The model id as sent in ``model`` (``id`` in the table).
    kinds : tuple of str
        The endpoint kinds that serve it (:data:`ModelKind`).
    billing : {"tokens", "characters", "minutes"} or None
        What its usage is billed in; None when OpenAI has not published it.
    shutdown : datetime.date, optional
        OpenAI's announced shutdown date.
    replacement : str, optional
        The replacement OpenAI names, if a source we hold names one.
    reasoning : bool
        A reasoning model: it takes ``reasoning.effort`` (and, in Realtime, ``parallel_tool_calls``) and
        reports reasoning tokens (:func:`check_reasoning`).
    source : str
        A key of the table's ``[sources]`` (``"key: detail"``; several joined by ``"; "``).
    effective : datetime.date
        The date the source states these facts as of.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    name: str = Field(alias="id", min_length=1)
    kinds: tuple[ModelKind, ...] = Field(min_length=1)
    billing: BillingUnit | None = None
    shutdown: date | None = None
    replacement: str | None = None
    reasoning: bool = False
    source: str = Field(min_length=1)
    effective: date

    @model_validator(mode="after")
    def _replacement_needs_shutdown(self) -> ModelInfo:
        if self.replacement is not None and self.shutdown is None:
            raise ValueError("a replacement is named only for a model with a shutdown date")
        return self

    def source_keys(self) -> tuple[str, ...]:
        """The ``[sources]`` keys this row cites."""
        return tuple(part.split(":", 1)[0].strip() for part in self.source.split(";"))


class _Recommendation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    note: str | None = None


class _Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sources: dict[str, str]
    recommended: dict[Purpose, _Recommendation] = Field(default_factory=dict)
    model: tuple[ModelInfo, ...]

    @model_validator(mode="after")
    def _consistent(self) -> _Table:
        ids = [m.name for m in self.model]
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate model ids: {sorted({i for i in ids if ids.count(i) > 1})}")
        for row in self.model:
            unknown = [key for key in row.source_keys() if key not in self.sources]
            if unknown:
                raise ValueError(f"{row.name}: source {unknown} is not in [sources]")
            if row.replacement is not None and row.replacement not in ids:
                raise ValueError(f"{row.name}: replacement {row.replacement!r} is not in the table")
        by_id = {m.name: m for m in self.model}
        missing = sorted(set(_PURPOSE_KIND) - set(self.recommended))
        if missing:
            raise ValueError(f"[recommended] has no row for {missing}")
        for purpose, choice in self.recommended.items():
            info = by_id.get(choice.model)
            if info is None or _PURPOSE_KIND[purpose] not in info.kinds:
                kind = _PURPOSE_KIND[purpose]
                raise ValueError(f"recommended.{purpose}: {choice.model!r} is not a {kind} model")
            if info.shutdown is not None and not choice.note:
                raise ValueError(
                    f"recommended.{purpose}: {choice.model!r} has a shutdown date, so a note must say why"
                )
        return self


def _parse(data: dict[str, Any]) -> _Table:
    try:
        return _Table.model_validate(data)
    except ValidationError as exc:  # a broken package-data file is a bug in voicelab, not user input
        raise RuntimeError(f"voicelab/protocol/models.toml is invalid: {exc}") from exc


@cache
def _table() -> _Table:
    text = resources.files(__package__).joinpath("models.toml").read_text(encoding="utf-8")
    return _parse(tomllib.loads(text))


CATALOGUE: tuple[ModelInfo, ...] = _table().model
"""Every model, in table order."""
SOURCES: dict[str, str] = dict(_table().sources)
"""Source key → citation."""
_BY_ID = {m.name: m for m in CATALOGUE}


def model_info(name: str) -> ModelInfo | None:
    """The catalogue row for the id ``name`` on any kind, if any.

    Examples
    --------
    >>> model_info("tts-1").kinds
    ('speech',)
    """
    return _BY_ID.get(name)


def models(kind: ModelKind, *, billing: BillingUnit | None = None) -> tuple[str, ...]:
    """Ids of the models of ``kind`` (optionally only those billed in ``billing``), in catalogue order.

    Examples
    --------
    >>> models("transcription", billing="tokens")[0]
    'gpt-4o-transcribe'
    >>> models("realtime_translation")
    ('gpt-realtime-translate',)
    """
    return tuple(m.name for m in CATALOGUE if kind in m.kinds and (billing is None or m.billing == billing))


def recommended(purpose: Purpose) -> str:
    """The model voicelab's notebooks, README and client defaults use for ``purpose``.

    One with no announced shutdown wherever OpenAI offers one; otherwise :func:`recommendation_note` says
    why not.

    Examples
    --------
    >>> recommended("realtime")
    'gpt-realtime-2'
    >>> recommended("text")
    'gpt-5.4-mini'
    >>> model_info(recommended("speech")).shutdown   # no successor on /v1/audio/speech yet
    datetime.date(2027, 1, 6)
    """
    return _table().recommended[purpose].model


def recommendation_note(purpose: Purpose) -> str | None:
    """Why the recommended model for ``purpose`` has a shutdown date, or None when it has none.

    Examples
    --------
    >>> recommendation_note("realtime") is None
    True
    >>> recommendation_note("translation")  # doctest: +ELLIPSIS
    '/v1/audio/translations serves only whisper-1 ...'
    """
    return _table().recommended[purpose].note


def lookup(name: str, kind: ModelKind) -> ModelInfo | None:
    """The catalogue row for ``name`` if ``kind`` serves it."""
    info = _BY_ID.get(name)
    return info if info is not None and kind in info.kinds else None


def check_model(name: str, kind: ModelKind, *, param: str = "model") -> ModelInfo:
    """The catalogue row for ``name``, or OpenAI's ``model_not_found`` error (HTTP 404 on REST).

    Examples
    --------
    >>> try:
    ...     check_model("tts-2", "speech")
    ... except ProtocolError as exc:
    ...     print(exc.code, exc.http_status)
    model_not_found 404
    """
    info = lookup(name, kind)
    if info is None:
        raise ProtocolError(
            "model_not_found",
            f"The model `{name}` does not exist or you do not have access to it. This endpoint "
            f"serves: {', '.join(models(kind))}.",
            param,
        )
    return info


def is_reasoning_model(name: str) -> bool:
    """Whether the catalogue marks ``name`` as a reasoning model (``reasoning = true`` in ``models.toml``).

    Examples
    --------
    >>> is_reasoning_model("gpt-realtime-2"), is_reasoning_model("gpt-realtime"), is_reasoning_model("nope")
    (True, False, False)
    """
    info = _BY_ID.get(name)
    return info is not None and info.reasoning


def check_reasoning(model: str, param: str) -> None:
    """OpenAI's ``unsupported_parameter`` error when ``param`` (``reasoning.effort``, or Realtime's
    ``parallel_tool_calls``) is sent for a model that is not a reasoning model.

    The SDK documents both as "only supported by reasoning Realtime models such as gpt-realtime-2"; the
    wording is the one OpenAI answers a reasoning parameter sent to a non-reasoning model with.

    Examples
    --------
    >>> check_reasoning("gpt-realtime-2", "session.reasoning")
    >>> try:
    ...     check_reasoning("gpt-realtime", "session.reasoning")
    ... except ProtocolError as exc:
    ...     print(exc.code, exc.param)
    unsupported_parameter session.reasoning
    """
    if not is_reasoning_model(model):
        raise ProtocolError(
            "unsupported_parameter",
            f"Unsupported parameter: '{param}' is not supported with this model ({model}); reasoning "
            f"models: {', '.join(m.name for m in CATALOGUE if m.reasoning)}.",
            param,
        )


REASONING_PARAMS = ("reasoning", "parallel_tool_calls")
"""The Realtime session and ``response.create`` parameters only reasoning models take."""


def check_reasoning_params(body: Any, model: str, prefix: str) -> None:
    """:func:`check_reasoning` for each of :data:`REASONING_PARAMS` set (not null) in a Realtime session or
    ``response.create`` body; ``prefix`` is the body's path (``"session"``, ``"response"``).

    Examples
    --------
    >>> check_reasoning_params({"reasoning": {"effort": "high"}}, "gpt-realtime-2", "session")
    >>> try:
    ...     check_reasoning_params({"parallel_tool_calls": False}, "gpt-realtime-mini", "response")
    ... except ProtocolError as exc:
    ...     print(exc.param)
    response.parallel_tool_calls
    """
    if not isinstance(body, dict):
        return
    for key in REASONING_PARAMS:
        if body.get(key) is not None:
            check_reasoning(model, f"{prefix}.{key}")


def lifecycle_message(info: ModelInfo) -> str | None:
    """The shutdown notice for ``info``, or None if OpenAI announced no shutdown.

    Examples
    --------
    >>> print(lifecycle_message(model_info("tts-1")))  # doctest: +ELLIPSIS
    Model 'tts-1': OpenAI's announced shutdown date is 2027-01-06. ... shutdown — speech: none yet.
    >>> lifecycle_message(model_info("gpt-realtime-2")) is None
    True
    """
    if info.shutdown is None:
        return None
    head = f"Model {info.name!r}: OpenAI's announced shutdown date is {info.shutdown.isoformat()}."
    if info.replacement is not None:
        return f"{head} Recommended replacement: {info.replacement!r} ({DEPRECATIONS_URL})."
    per_kind = []
    for kind in info.kinds:
        current = [m.name for m in CATALOGUE if kind in m.kinds and _is_current(m)]
        per_kind.append(f"{kind}: {', '.join(current) if current else 'none yet'}")
    return (
        f"{head} OpenAI names replacements on {DEPRECATIONS_URL}. Models with no announced shutdown — "
        f"{'; '.join(per_kind)}."
    )


_SNAPSHOT = re.compile(r".+-\d{4}-\d{2}-\d{2}")


def _is_current(info: ModelInfo) -> bool:
    """No announced shutdown, not a dated snapshot, not a preview (OpenAI retires previews quickly)."""
    return info.shutdown is None and not _SNAPSHOT.fullmatch(info.name) and "preview" not in info.name


_warned: set[str] = set()
_warned_lock = threading.Lock()


def check_lifecycle(model: str, *, stacklevel: int = 2) -> ModelInfo | None:
    """Warn once per process if ``model`` has an announced shutdown date; return its row (None if unknown).

    The warning is a :class:`voicelab.errors.ModelShutdownWarning` (a ``DeprecationWarning``) naming the date
    and the replacement or the current alternatives; ``import voicelab`` makes it visible in notebooks.

    Parameters
    ----------
    model : str
        A model id.
    stacklevel : int
        As in :func:`warnings.warn`: 2 (default) is the line calling this function, 3 its caller.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = check_lifecycle("gpt-realtime-2")          # no shutdown announced
    >>> caught
    []
    """
    info = _BY_ID.get(model)
    message = lifecycle_message(info) if info is not None else None
    if message is None:
        return info
    with _warned_lock:
        if model in _warned:
            return info
        _warned.add(model)
    warnings.warn(ModelShutdownWarning(message), stacklevel=stacklevel)
    return info
