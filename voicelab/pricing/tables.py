"""Dated, sourced price tables: loading, validation, model resolution.

A table is a TOML (or JSON) file with ``[[model]]`` entries (name, category, aliases, audio token rates),
``[[price]]`` rows (one per model and effective date; USD per 1M tokens, per minute or per 1M characters; a
``source`` for every figure) and optional ``[[adjustment]]`` multipliers (a negotiated discount, a regional
uplift). The package's tables live in ``data/pricing/``; users add their own without editing the package:

* a directory named by ``$VOICELAB_PRICING_DIR`` (every ``*.toml`` / ``*.json`` in it), and/or
* :func:`register_table` with a path, a mapping or a :class:`PriceTable`.

Later tables win: a row with the same model and effective date replaces the earlier one; adjustments add up.
:func:`quote` resolves a model name (aliases, dated snapshots such as ``gpt-realtime-2025-08-28``) and a
date to the price row in force on that date.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import json
import os
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

from voicelab.errors import ParameterError, PricingError, UnknownModelError

__all__ = [
    "CACHED_RATE",
    "INPUT_RATE",
    "OUTPUT_RATE",
    "RATE_FIELDS",
    "Adjustment",
    "Category",
    "ModelInfo",
    "PriceRow",
    "PriceTable",
    "Quote",
    "active_tables",
    "builtin_dir",
    "clear_registered_tables",
    "load_table",
    "model_names",
    "not_published",
    "parse_date",
    "quote",
    "register_table",
    "unregister_table",
]

#: Per-1M-token rates, per modality.
INPUT_RATE = {"text": "text_input", "audio": "audio_input", "image": "image_input"}
CACHED_RATE = {"text": "text_cached_input", "audio": "audio_cached_input", "image": "image_cached_input"}
OUTPUT_RATE = {"text": "text_output", "audio": "audio_output"}

#: Every rate a price row may carry and its unit.
RATE_FIELDS: dict[str, str] = {
    **{
        name: "per 1M tokens" for name in (*INPUT_RATE.values(), *CACHED_RATE.values(), *OUTPUT_RATE.values())
    },
    "per_minute": "per minute of audio",
    "estimated_per_minute": "per minute of audio (OpenAI's estimate, not a billing rate)",
    "per_million_characters": "per 1M characters",
}

_ENV_DIR = "VOICELAB_PRICING_DIR"
_SNAPSHOT = re.compile(r"^(?P<base>.+)-(?P<date>\d{4}-\d{2}-\d{2})$")


class Category(StrEnum):
    """What kind of API a model is priced for; decides how a bare token usage is read."""

    REALTIME = "realtime"
    AUDIO_CHAT = "audio-chat"
    TRANSCRIPTION = "transcription"
    TRANSLATION = "translation"
    SPEECH = "speech"
    CHAT = "chat"


@dataclass(frozen=True)
class ModelInfo:
    """A priced model: its canonical name, category, other names and audio token rates."""

    name: str
    category: Category
    aliases: tuple[str, ...] = ()
    snapshots: tuple[str, ...] = ()
    input_audio_tokens_per_second: Decimal | None = None
    output_audio_tokens_per_second: Decimal | None = None
    token_rate_source: str = ""
    not_published: str = ""
    """Which of its prices OpenAI has not published (and when that was checked); empty if all are."""
    table: str = ""


@dataclass(frozen=True)
class PriceRow:
    """The prices of one model from one effective date on, with the source of each figure.

    Examples
    --------
    >>> row = quote("gpt-realtime").row
    >>> row.rate("audio_output")
    Decimal('64.0')
    >>> row.cached_rate("audio")
    Decimal('0.4')
    """

    model: str
    effective: date
    source: str
    rates: tuple[tuple[str, Decimal], ...]
    sources: tuple[tuple[str, str], ...] = ()
    note: str = ""
    table: str = ""

    def rate(self, name: str) -> Decimal | None:
        """The rate called ``name`` (see :data:`RATE_FIELDS`), or None if the model has no such price."""
        return dict(self.rates).get(name)

    def cached_rate(self, modality: str) -> Decimal | None:
        """Cached-input rate of a modality; the full input rate when the model gives no caching discount."""
        cached = self.rate(CACHED_RATE[modality])
        return cached if cached is not None else self.rate(INPUT_RATE[modality])

    def source_of(self, name: str) -> str:
        """Where the figure ``name`` comes from."""
        return dict(self.sources).get(name, self.source)

    def with_rates(self, **changes: Decimal | float | str) -> PriceRow:
        """A copy with some rates replaced (source marked as user-supplied), e.g. for what-if estimates."""
        rates = dict(self.rates)
        sources = dict(self.sources)
        for name, value in changes.items():
            if name not in RATE_FIELDS:
                raise ParameterError(name, expected=f"one of {', '.join(RATE_FIELDS)}", got="an unknown rate")
            rates[name] = _rate(value, name)
            sources[name] = "user-supplied"
        return PriceRow(
            self.model,
            self.effective,
            self.source,
            tuple(sorted(rates.items())),
            tuple(sorted(sources.items())),
            self.note,
            self.table,
        )


@dataclass(frozen=True)
class Adjustment:
    """A multiplier on the cost of matching models while it is in force (discount < 1, uplift > 1)."""

    name: str
    multiplier: Decimal
    models: tuple[str, ...]
    effective: date
    until: date | None
    source: str
    table: str = ""

    def applies(self, names: Iterable[str], on: date) -> bool:
        """True if one of ``names`` matches a pattern of :attr:`models` and ``on`` is in the window."""
        if on < self.effective or (self.until is not None and on > self.until):
            return False
        return any(fnmatch.fnmatchcase(name, pattern) for name in names for pattern in self.models)


@dataclass(frozen=True)
class Quote:
    """The answer to "what did ``requested`` cost on ``at``": the model, its row and adjustments in force."""

    requested: str
    model: ModelInfo
    row: PriceRow
    adjustments: tuple[Adjustment, ...]
    at: date


@dataclass
class PriceTable:
    """One validated price table (one file, or one mapping).

    Use :func:`load_table` to read one, :func:`register_table` to make it count.
    """

    name: str
    origin: str
    models: dict[str, ModelInfo] = field(default_factory=dict)
    rows: list[PriceRow] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)

    def __repr__(self) -> str:
        return (
            f"PriceTable({self.name!r}, models={len(self.models)}, rows={len(self.rows)}, "
            f"adjustments={len(self.adjustments)})"
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, origin: str = "<mapping>") -> PriceTable:
        """Validate a parsed table (the TOML/JSON structure) and build it.

        Raises
        ------
        ParameterError
            Naming the offending entry and field, e.g. ``openai.toml: price[3].text_cached_input``.

        Examples
        --------
        >>> t = PriceTable.from_mapping({"name": "acme", "price": [{"model": "gpt-realtime",
        ...     "effective": "2026-01-01", "source": "contract 42", "audio_output": 50}]})
        >>> t.rows[0].rate("audio_output")
        Decimal('50')
        """
        if not isinstance(data, Mapping):
            raise ParameterError(
                origin,
                expected="a table (mapping with model/price/adjustment lists)",
                got=type(data).__name__,
            )
        known = {"schema_version", "name", "description", "model", "price", "adjustment"}
        _no_unknown_keys(data, known, origin)
        version = data.get("schema_version", 1)
        if version != 1:
            raise ParameterError(f"{origin}: schema_version", expected="1", got=repr(version))
        name = data.get("name") or Path(origin).stem
        table = cls(name=str(name), origin=origin)
        for i, entry in enumerate(_list(data, "model", origin)):
            info = _model_info(entry, f"{origin}: model[{i}]", table.name)
            if info.name in table.models:
                raise ParameterError(
                    f"{origin}: model[{i}].name",
                    expected="each model listed once",
                    got=f"{info.name!r} again",
                )
            table.models[info.name] = info
        seen: set[tuple[str, date]] = set()
        for i, entry in enumerate(_list(data, "price", origin)):
            row = _price_row(entry, f"{origin}: price[{i}]", table.name)
            key = (row.model, row.effective)
            if key in seen:
                raise ParameterError(
                    f"{origin}: price[{i}]",
                    expected="one row per model and effective date",
                    got=f"{row.model} {row.effective} twice",
                )
            seen.add(key)
            table.rows.append(row)
        for i, entry in enumerate(_list(data, "adjustment", origin)):
            table.adjustments.append(_adjustment(entry, f"{origin}: adjustment[{i}]", table.name))
        return table


# ---------------------------------------------------------------------------------------------- validation


def _no_unknown_keys(entry: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(entry) - known)
    if unknown:
        close = difflib.get_close_matches(unknown[0], sorted(known), n=1)
        raise ParameterError(
            f"{where}.{unknown[0]}",
            expected=f"one of {', '.join(sorted(known))}",
            got="an unknown key",
            fix=f"did you mean {close[0]!r}?" if close else None,
        )


def _list(data: Mapping[str, Any], key: str, origin: str) -> list[Mapping[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ParameterError(
            f"{origin}: {key}", expected=f"a list of tables ([[{key}]])", got=type(value).__name__
        )
    return value


def _text(entry: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = entry.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise ParameterError(
            f"{where}.{key}", expected="a non-empty string", got="missing" if value is None else repr(value)
        )
    return value.strip()


def _rate(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ParameterError(where, expected="a non-negative number", got=type(value).__name__)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ParameterError(where, expected="a non-negative number", got=repr(value)) from None
    if not number.is_finite() or number < 0:
        raise ParameterError(where, expected="a non-negative number", got=str(value))
    return number


def parse_date(value: Any, param: str = "at") -> date:
    """A :class:`datetime.date` from a date, a datetime or an ISO ``YYYY-MM-DD`` string.

    Examples
    --------
    >>> parse_date("2024-12-17")
    datetime.date(2024, 12, 17)
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ParameterError(param, expected="a date (datetime.date or 'YYYY-MM-DD')", got=repr(value)[:40])


def _model_info(entry: Mapping[str, Any], where: str, table: str) -> ModelInfo:
    known = {
        "name",
        "category",
        "aliases",
        "snapshots",
        "input_audio_tokens_per_second",
        "output_audio_tokens_per_second",
        "token_rate_source",
        "not_published",
        "note",
    }
    _no_unknown_keys(entry, known, where)
    name = _text(entry, "name", where)
    try:
        category = Category(str(entry.get("category")))
    except ValueError:
        raise ParameterError(
            f"{where}.category",
            expected=f"one of {', '.join(c.value for c in Category)}",
            got=repr(entry.get("category")),
        ) from None
    names: dict[str, tuple[str, ...]] = {}
    for key in ("aliases", "snapshots"):
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ParameterError(f"{where}.{key}", expected="a list of model names", got=repr(value)[:60])
        names[key] = tuple(value)
    rates = {}
    for key in ("input_audio_tokens_per_second", "output_audio_tokens_per_second"):
        rates[key] = _rate(entry[key], f"{where}.{key}") if key in entry else None
    if any(r is not None for r in rates.values()):
        _text(entry, "token_rate_source", where)
    if "not_published" in entry:
        _text(entry, "not_published", where)
    return ModelInfo(
        name=name,
        category=category,
        aliases=names["aliases"],
        snapshots=names["snapshots"],
        input_audio_tokens_per_second=rates["input_audio_tokens_per_second"],
        output_audio_tokens_per_second=rates["output_audio_tokens_per_second"],
        token_rate_source=str(entry.get("token_rate_source", "")),
        not_published=str(entry.get("not_published", "")),
        table=table,
    )


def _price_row(entry: Mapping[str, Any], where: str, table: str) -> PriceRow:
    known = {"model", "effective", "source", "sources", "note", *RATE_FIELDS}
    _no_unknown_keys(entry, known, where)
    model = _text(entry, "model", where)
    if "effective" not in entry:
        raise ParameterError(
            f"{where}.effective", expected="the date these prices took effect", got="missing"
        )
    effective = parse_date(entry["effective"], f"{where}.effective")
    source = _text(entry, "source", where)
    rates = {key: _rate(entry[key], f"{where}.{key}") for key in RATE_FIELDS if key in entry}
    if not rates:
        raise ParameterError(where, expected=f"at least one rate ({', '.join(RATE_FIELDS)})", got="none")
    for modality, cached_key in CACHED_RATE.items():
        input_key = INPUT_RATE[modality]
        if cached_key in rates:
            if input_key not in rates:
                raise ParameterError(
                    f"{where}.{cached_key}", expected=f"{input_key} beside it", got="no input rate"
                )
            if rates[cached_key] > rates[input_key]:
                raise ParameterError(
                    f"{where}.{cached_key}",
                    expected=f"≤ {input_key} ({rates[input_key]})",
                    got=str(rates[cached_key]),
                    fix="cached input is a discount on input",
                )
    sources = entry.get("sources", {})
    if not isinstance(sources, Mapping):
        raise ParameterError(
            f"{where}.sources", expected="a table of figure → source", got=type(sources).__name__
        )
    for key in sources:
        if key not in rates:
            raise ParameterError(
                f"{where}.sources.{key}", expected="the name of a rate in this row", got=repr(key)
            )
        _text(sources, key, f"{where}.sources")
    return PriceRow(
        model=model,
        effective=effective,
        source=source,
        rates=tuple(sorted(rates.items())),
        sources=tuple(sorted((k, str(v)) for k, v in sources.items())),
        note=str(entry.get("note", "")),
        table=table,
    )


def _adjustment(entry: Mapping[str, Any], where: str, table: str) -> Adjustment:
    _no_unknown_keys(entry, {"name", "multiplier", "models", "effective", "until", "source", "note"}, where)
    name = _text(entry, "name", where)
    if "multiplier" not in entry:
        raise ParameterError(f"{where}.multiplier", expected="a number (0.8 = 20 % discount)", got="missing")
    multiplier = _rate(entry["multiplier"], f"{where}.multiplier")
    models = entry.get("models", ["*"])
    if isinstance(models, str):
        models = [models]
    if not isinstance(models, list) or not models or not all(isinstance(m, str) and m for m in models):
        raise ParameterError(
            f"{where}.models", expected="a list of model names or glob patterns", got=repr(models)[:60]
        )
    if "effective" not in entry:
        raise ParameterError(f"{where}.effective", expected="the date the adjustment starts", got="missing")
    effective = parse_date(entry["effective"], f"{where}.effective")
    until = parse_date(entry["until"], f"{where}.until") if entry.get("until") is not None else None
    if until is not None and until < effective:
        raise ParameterError(
            f"{where}.until", expected=f"on or after effective ({effective})", got=str(until)
        )
    return Adjustment(
        name=name,
        multiplier=multiplier,
        models=tuple(models),
        effective=effective,
        until=until,
        source=_text(entry, "source", where),
        table=table,
    )


# ---------------------------------------------------------------------------------------------- loading


def builtin_dir() -> Path:
    """The directory holding the package's own tables (``data/pricing`` in the source tree).

    An installed (non-editable) copy looks in ``<prefix>/share/voicelab/pricing`` instead.
    """
    source_tree = Path(__file__).resolve().parents[2] / "data" / "pricing"
    if source_tree.is_dir():
        return source_tree
    installed = Path(sys.prefix) / "share" / "voicelab" / "pricing"
    if installed.is_dir():
        return installed
    raise PricingError(
        f"the built-in price tables are missing (looked in {source_tree} and {installed}); "
        "reinstall voicelab, or point $VOICELAB_PRICING_DIR at a copy of data/pricing"
    )


def _table_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(
            p
            for p in path.iterdir()
            if p.suffix in {".toml", ".json"} and p.name != "schema.json" and not p.name.startswith(".")
        )
    return [path]


@functools.lru_cache(maxsize=64)
def _load_file(path: str, _mtime_ns: int) -> PriceTable:
    file = Path(path)
    try:
        if file.suffix == ".json":
            data = json.loads(file.read_text(encoding="utf-8"))
        else:
            with file.open("rb") as handle:
                data = tomllib.load(handle)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ParameterError(
            str(file), expected="a valid TOML/JSON price table", got=str(exc)[:120]
        ) from None
    return PriceTable.from_mapping(data, origin=file.name)


def load_table(path: str | os.PathLike[str]) -> list[PriceTable]:
    """Read and validate a price table file, or every ``*.toml``/``*.json`` in a directory.

    The result is not registered: pass it to :func:`register_table` (or use it with ``tables=``).

    Examples
    --------
    >>> [t.name for t in load_table(builtin_dir())]
    ['openai']
    """
    root = Path(path)
    if not root.exists():
        raise ParameterError("path", expected="an existing price table file or directory", got=str(root))
    return [_load_file(str(f), f.stat().st_mtime_ns) for f in _table_files(root)]


_registered: list[PriceTable] = []


def register_table(table: PriceTable | Mapping[str, Any] | str | os.PathLike[str]) -> list[PriceTable]:
    """Add a table (object, parsed mapping, file or directory) on top of the built-in ones.

    Returns the registered tables, so they can be removed with :func:`unregister_table`.

    Examples
    --------
    >>> [discount] = register_table({"name": "acme", "adjustment": [{"name": "negotiated discount",
    ...     "multiplier": 0.8, "models": ["gpt-realtime*"], "effective": "2026-01-01",
    ...     "source": "contract"}]})
    >>> quote("gpt-realtime", at="2026-06-01").adjustments[0].multiplier
    Decimal('0.8')
    >>> unregister_table(discount)
    """
    if isinstance(table, PriceTable):
        added = [table]
    elif isinstance(table, Mapping):
        added = [PriceTable.from_mapping(table, origin=str(table.get("name", "<mapping>")))]
    else:
        added = load_table(table)
    _registered.extend(added)
    return added


def unregister_table(table: PriceTable) -> None:
    """Remove a table added with :func:`register_table`."""
    for i, candidate in enumerate(_registered):
        if candidate is table:
            del _registered[i]
            return
    raise ParameterError("table", expected="a table returned by register_table", got=repr(table))


def clear_registered_tables() -> None:
    """Forget every table added with :func:`register_table` (built-in and env-dir tables stay)."""
    _registered.clear()


def active_tables() -> list[PriceTable]:
    """The tables in force, lowest precedence first: built-in, ``$VOICELAB_PRICING_DIR``, registered."""
    result = load_table(builtin_dir())
    env_dir = os.environ.get(_ENV_DIR)
    if env_dir:
        result += load_table(env_dir)
    return result + list(_registered)


# ---------------------------------------------------------------------------------------------- resolution


@dataclass
class _Merged:
    models: dict[str, ModelInfo]
    rows: dict[str, list[PriceRow]]
    adjustments: list[Adjustment]
    names: dict[str, tuple[str, date | None]]  # alias/snapshot -> (model, available from)


def _merge(sources: Iterable[PriceTable]) -> _Merged:
    models: dict[str, ModelInfo] = {}
    keyed: dict[tuple[str, date], PriceRow] = {}
    adjustments: list[Adjustment] = []
    for table in sources:
        models.update(table.models)
        keyed.update({(row.model, row.effective): row for row in table.rows})
        adjustments.extend(table.adjustments)
    rows: dict[str, list[PriceRow]] = {}
    for (model, _), row in sorted(keyed.items(), key=lambda item: (item[0][0], item[0][1])):
        if model not in models:
            raise ParameterError(
                f"{row.table}: price for {model!r}",
                expected="a [[model]] entry for it in some table",
                got="no such model",
                fix="add [[model]] name = ..., category = ...",
            )
        rows.setdefault(model, []).append(row)
    names: dict[str, tuple[str, date | None]] = {}
    for info in models.values():
        for other in (*info.aliases, *info.snapshots):
            match = _SNAPSHOT.match(other)
            names[other] = (info.name, date.fromisoformat(match["date"]) if match else None)
    return _Merged(models, rows, adjustments, names)


def model_names(*, price_tables: Iterable[PriceTable] | None = None) -> list[str]:
    """Every priced model name, canonical names first (sorted), then aliases and snapshots.

    Examples
    --------
    >>> "gpt-realtime" in model_names()
    True
    """
    merged = _merge(active_tables() if price_tables is None else price_tables)
    return sorted(merged.rows) + sorted(set(merged.names) - set(merged.rows))


def not_published(*, price_tables: Iterable[PriceTable] | None = None) -> dict[str, str]:
    """Model → which of its prices OpenAI has not published (``[[model]] not_published``), for every model
    that says so, priced or not.

    Examples
    --------
    >>> not_published()["gpt-transcribe"]
    'no price found for gpt-transcribe (checked 2026-11-30)'
    """
    merged = _merge(active_tables() if price_tables is None else price_tables)
    return {name: info.not_published for name, info in sorted(merged.models.items()) if info.not_published}


def quote(
    model: str, at: date | datetime | str | None = None, *, price_tables: Iterable[PriceTable] | None = None
) -> Quote:
    """Resolve ``model`` (name, alias or dated snapshot) to the price row in force on ``at`` (default: today).

    Raises
    ------
    UnknownModelError
        No such model (the message lists close names), or no prices yet on that date.

    Examples
    --------
    >>> quote("gpt-4o-realtime-preview", at="2024-11-01").row.rate("audio_input")
    Decimal('100.0')
    >>> quote("gpt-4o-realtime-preview-2024-12-17").row.rate("audio_input")
    Decimal('40.0')
    >>> quote("gpt-realtime-2025-08-28").model.name
    'gpt-realtime'
    """
    if not isinstance(model, str) or not model.strip():
        raise ParameterError("model", expected="a model name such as 'gpt-realtime'", got=repr(model)[:40])
    when = date.today() if at is None else parse_date(at)
    merged = _merge(active_tables() if price_tables is None else price_tables)
    requested = model.strip()
    name = requested.lower()
    available_from: date | None = None
    if name not in merged.rows and name not in merged.models:
        if name in merged.names:
            name, available_from = merged.names[name]
        elif (match := _SNAPSHOT.match(name)) and match["base"] in merged.rows:
            name, available_from = match["base"], date.fromisoformat(match["date"])
        elif (match := _SNAPSHOT.match(name)) and match["base"] in merged.names:
            name, available_from = merged.names[match["base"]][0], date.fromisoformat(match["date"])
        else:
            candidates = sorted(merged.rows) + sorted(merged.names)
            raise UnknownModelError(
                requested, close=difflib.get_close_matches(name, candidates, n=4, cutoff=0.6)
            )
    if name not in merged.rows:  # a known model (or a name of one) without any price row
        raise UnknownModelError(requested, not_published=merged.models[name].not_published or "no price row")
    if available_from is not None and when < available_from:
        raise UnknownModelError(
            requested,
            at=when.isoformat(),
            close=[f"{name} (snapshot {requested} appeared on {available_from})"],
        )
    in_force = [row for row in merged.rows[name] if row.effective <= when]
    if not in_force:
        first = merged.rows[name][0].effective
        raise UnknownModelError(requested, at=when.isoformat(), close=[f"{name} from {first}"])
    row = in_force[-1]
    adjustments = tuple(a for a in merged.adjustments if a.applies({name, requested.lower()}, when))
    return Quote(requested=requested, model=merged.models[name], row=row, adjustments=adjustments, at=when)
