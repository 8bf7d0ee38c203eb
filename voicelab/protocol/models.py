"""The models the emulator serves, by kind, with the unit each is billed in.

A data table (:data:`CATALOGUE`), so that adding a model, a kind or a shutdown date is a one-line change.
Dated snapshots of a listed model (``gpt-realtime-2025-08-28``) are accepted wherever the model is.

Examples
--------
>>> lookup("whisper-1", "transcription").billing
'seconds'
>>> models("translation")
('whisper-1',)
>>> lookup("gpt-realtime-2025-08-28", "realtime").name
'gpt-realtime'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from .errors import ProtocolError

__all__ = ["CATALOGUE", "BillingUnit", "ModelInfo", "ModelKind", "check_model", "lookup", "models"]

ModelKind = Literal["speech", "transcription", "translation", "chat", "realtime"]
BillingUnit = Literal["tokens", "characters", "seconds"]


@dataclass(frozen=True)
class ModelInfo:
    """One model on one endpoint kind.

    Parameters
    ----------
    name : str
        The model id as sent in ``model``.
    kind : {"speech", "transcription", "translation", "chat", "realtime"}
        The endpoint family that serves it.
    billing : {"tokens", "characters", "seconds"}
        What its usage counts (tts-1 bills characters, whisper-1 seconds, the others tokens).
    shutdown : datetime.date, optional
        OpenAI's announced shutdown date, if any.
    """

    name: str
    kind: ModelKind
    billing: BillingUnit
    shutdown: date | None = None


def _rows(kind: ModelKind, billing: BillingUnit, *names: str) -> tuple[ModelInfo, ...]:
    return tuple(ModelInfo(name, kind, billing) for name in names)


CATALOGUE: tuple[ModelInfo, ...] = (
    *_rows("speech", "tokens", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15", "gpt-4o-mini-tts-2025-03-20"),
    *_rows("speech", "characters", "tts-1", "tts-1-hd"),
    *_rows("transcription", "seconds", "whisper-1"),
    *_rows(
        "transcription",
        "tokens",
        "gpt-4o-transcribe",
        "gpt-4o-mini-transcribe",
        "gpt-4o-mini-transcribe-2025-12-15",
        "gpt-4o-mini-transcribe-2025-03-20",
        "gpt-transcribe",
    ),
    *_rows("translation", "seconds", "whisper-1"),
    *_rows(
        "chat",
        "tokens",
        "gpt-4o-audio-preview",
        "gpt-4o-mini-audio-preview",
        "gpt-audio",
        "gpt-audio-mini",
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1",
        "gpt-4.1-mini",
    ),
    *_rows(
        "realtime",
        "tokens",
        "gpt-realtime",
        "gpt-realtime-mini",
        "gpt-4o-realtime-preview",
        "gpt-4o-mini-realtime-preview",
    ),
)
"""Every (model, kind) the emulator serves."""

_SNAPSHOT = re.compile(r"(?P<base>.+)-\d{4}-\d{2}-\d{2}")


def models(kind: ModelKind, *, billing: BillingUnit | None = None) -> tuple[str, ...]:
    """Names of the models of ``kind`` (optionally only those billed in ``billing``), in catalogue order.

    Examples
    --------
    >>> models("transcription", billing="tokens")[0]
    'gpt-4o-transcribe'
    """
    return tuple(m.name for m in CATALOGUE if m.kind == kind and (billing is None or m.billing == billing))


def lookup(name: str, kind: ModelKind) -> ModelInfo | None:
    """The catalogue row for ``name`` (or the model it is a dated snapshot of) on ``kind``, if any."""
    rows = {m.name: m for m in CATALOGUE if m.kind == kind}
    if name in rows:
        return rows[name]
    match = _SNAPSHOT.fullmatch(name)
    return rows.get(match["base"]) if match else None


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
