"""Plain-text tables for reprs and the CLI (stable, aligned, no third-party formatter)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

__all__ = ["format_table", "money"]


def money(value: Decimal | float, places: int = 7) -> str:
    """``$`` and a fixed number of decimals, e.g. ``$0.0069656``; negative amounts as ``-$0.10``."""
    amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    text = f"{abs(amount):,.{places}f}"
    return f"-${text}" if amount < 0 else f"${text}"


def format_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[Any, ...]], *, indent: str = ""
) -> str:
    """Render ``rows`` as an aligned text table.

    ``columns`` are ``(key, header, formatter)`` or ``(key, header, formatter, align)`` with align ``"<"`` or
    ``">"``; by default text columns are left-aligned and the rest right-aligned.
    """
    cells = [[str(column[1]) for column in columns]]
    for row in rows:
        cells.append([column[2](row.get(column[0])) for column in columns])
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    aligns = []
    for column in columns:
        if len(column) > 3:
            aligns.append(column[3])
        else:
            aligns.append("<" if all(isinstance(row.get(column[0]), str) for row in rows) else ">")
    lines = []
    for line in cells:
        parts = [
            cell.ljust(w) if align == "<" else cell.rjust(w)
            for cell, w, align in zip(line, widths, aligns, strict=True)
        ]
        lines.append(indent + "  ".join(parts).rstrip())
    return "\n".join(lines)
