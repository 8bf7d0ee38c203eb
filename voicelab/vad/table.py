"""A tiny tidy table (list of dict rows) with stable text output — enough for sweeps, no pandas.

Examples
--------
>>> t = Table([{"a": 1, "b": 0.5}, {"a": 2, "b": 0.25}])
>>> t.where(a=2).column("b")
array([0.25])
>>> print(t)
a      b
1  0.500
2  0.250
"""

from __future__ import annotations

import html
import math
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["Table"]


def _fmt(value: Any, digits: int) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "nan"
        return f"{value:.{digits}f}"
    return str(value)


def _width(text: str) -> int:
    """Columns ``text`` takes in a monospaced font: wide (CJK) characters take two.

    Examples
    --------
    >>> _width("ね"), _width("ab")
    (2, 2)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, *, right: bool) -> str:
    fill = " " * max(width - _width(text), 0)
    return fill + text if right else text + fill


class Table:
    """Rows of dicts sharing the same keys (a "tidy" table: one row per observation).

    Parameters
    ----------
    rows : iterable of dict
        The rows; columns are the keys of the first row, in order.
    digits : int
        Decimals used to print floats (``str``, ``_repr_html_``, :meth:`to_markdown`).
    """

    def __init__(self, rows: Iterable[dict[str, Any]], *, digits: int = 3) -> None:
        self.rows: list[dict[str, Any]] = [dict(r) for r in rows]
        self.digits = digits
        self.columns: list[str] = list(self.rows[0]) if self.rows else []

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.rows[index]

    def column(self, name: str) -> np.ndarray:
        """One column as an array (``None`` becomes ``nan`` for numeric columns)."""
        values = [r[name] for r in self.rows]
        if all(v is None or isinstance(v, (int, float, np.number)) for v in values):
            return np.array([np.nan if v is None else v for v in values], dtype=float)
        return np.array(values, dtype=object)

    def where(self, predicate: Callable[[dict[str, Any]], bool] | None = None, **equals: Any) -> Table:
        """Rows matching ``predicate(row)`` and/or ``column=value`` equalities."""
        rows = [r for r in self.rows
                if all(r[k] == v for k, v in equals.items()) and (predicate is None or predicate(r))]
        return Table(rows, digits=self.digits)

    def select(self, *columns: str) -> Table:
        """Only these columns, in this order."""
        return Table(({c: r[c] for c in columns} for r in self.rows), digits=self.digits)

    def sorted(self, *by: str, reverse: bool = False) -> Table:
        """Rows sorted by the given columns."""
        return Table(sorted(self.rows, key=lambda r: tuple(r[c] for c in by), reverse=reverse),
                     digits=self.digits)

    def _cells(self, columns: Sequence[str]) -> list[list[str]]:
        return [[_fmt(r[c], self.digits) for c in columns] for r in self.rows]

    def __str__(self) -> str:
        if not self.rows:
            return "(empty table)"
        cells = self._cells(self.columns)
        widths = [max(_width(c), *(_width(row[i]) for row in cells)) for i, c in enumerate(self.columns)]
        numeric = [all((isinstance(r[c], (int, float, np.number)) and not isinstance(r[c], bool))
                       or r[c] is None for r in self.rows) for c in self.columns]
        lines = []
        header = [_pad(c, w, right=num) for c, w, num in zip(self.columns, widths, numeric, strict=True)]
        lines.append("  ".join(header).rstrip())
        for row in cells:
            lines.append("  ".join(_pad(v, w, right=num)
                                   for v, w, num in zip(row, widths, numeric, strict=True)).rstrip())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def to_markdown(self) -> str:
        """A GitHub-flavoured markdown table (for README sections)."""
        lines = ["| " + " | ".join(self.columns) + " |", "|" + "|".join("---" for _ in self.columns) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in self._cells(self.columns)]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>"
                       for row in self._cells(self.columns))
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
