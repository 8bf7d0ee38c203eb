"""Rebuild the Japanese editions ``notebooks/ja/NN_*.ipynb`` from the English ones; list what to translate.

Usage (from the repository root)::

    .venv/bin/python scripts/sync_ja_notebooks.py          # rebuild every edition, list what is untranslated
    .venv/bin/python scripts/sync_ja_notebooks.py --check  # change nothing; exit 1 if one is out of date

An edition is the English notebook with
- every code cell copied from English, the parameters cell (tagged ``parameters``) set to ``LANG = "ja"``;
  a code cell keeps the outputs of the previous edition while its code is unchanged, otherwise it is left
  unexecuted (``make notebooks`` runs it);
- every Markdown cell taken from the previous edition's cell with the same id (editions keep the English
  cell ids). Each translated cell records a hash of the English text it translates
  (``metadata.voicelab.translated_from``), so an English cell edited since is reported as *changed*.

What needs a translator is listed per notebook and cell: Markdown cells with no Japanese cell (the English
text is put in their place, so the edition still runs), Markdown cells whose English changed since they were
translated, and Japanese cells whose English cell is gone (dropped). Then the script exits 1. An English
notebook without the parameters cell is reported; ``--add-parameters-cell`` adds it after the title.
Translate by editing the Markdown cell in ``notebooks/ja/`` (keep its id) and run
``scripts/sync_ja_notebooks.py --mark-translated notebooks/ja/NN_….ipynb`` to record that each of its cells
now translates the current English. Exit 0 means every edition is complete and up to date.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
EDITION = "ja"
PARAMETERS_TAG = "parameters"
#: the parameters cell every English notebook has right after its title (``--add-parameters-cell`` adds it)
PARAMETERS_SOURCE = ('# parameters: the language of the examples, "en" here and "ja" in notebooks/ja/ '
                     '(voicelab.lessons)\nLANG = "en"')
LANG_LINE = re.compile(r"""^LANG\s*=\s*["'](\w+)["']\s*$""", re.MULTILINE)


def english_hash(source: str) -> str:
    """A short hash of an English Markdown cell's text, stored in the translation that follows it."""
    return hashlib.sha256(source.strip().encode("utf-8")).hexdigest()[:16]


def parameters_cell(nb: Any) -> Any | None:
    """The code cell tagged ``parameters`` that sets ``LANG``, or None."""
    for cell in nb.cells:
        if cell.cell_type == "code" and PARAMETERS_TAG in cell.metadata.get("tags", []):
            return cell
    return None


def with_language(source: str, language: str) -> str:
    """The parameters cell's source with ``LANG = "<language>"``."""
    return LANG_LINE.sub(f'LANG = "{language}"', source, count=1)


@dataclass
class Report:
    """What one edition needs, cell by cell."""

    english: Path
    edition: Path
    problems: list[str] = field(default_factory=list)  # not a translation matter: the notebook itself
    untranslated: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    new_edition: bool = False

    @property
    def complete(self) -> bool:
        return not (self.problems or self.untranslated or self.changed or self.dropped)

    def lines(self) -> list[str]:
        name = self.edition.relative_to(ROOT) if self.edition.is_relative_to(ROOT) else self.edition
        out = [f"{name}: {p}" for p in self.problems]
        if self.new_edition:
            out.append(f"{name}: new edition (no Japanese notebook yet): translate all its Markdown cells")
        out += [f"{name}: untranslated  {c}" for c in self.untranslated]
        out += [f"{name}: English changed since translated  {c}" for c in self.changed]
        out += [f"{name}: dropped (its English cell is gone)  {c}" for c in self.dropped]
        return out


def _describe(index: int, cell: Any) -> str:
    first = next((line for line in cell.source.splitlines() if line.strip()), "")
    return f"cell {index} id={cell.get('id')}: {first[:70]!r}"


def build_edition(english: Any, previous: Any | None, report: Report) -> Any:
    """The Japanese edition of ``english``, reusing ``previous`` (the current edition) where it still fits."""
    edition = copy.deepcopy(english)
    old_cells = {cell.get("id"): cell for cell in previous.cells} if previous is not None else {}
    used: set[str] = set()
    params = parameters_cell(english)
    if params is None:
        report.problems.append('the English notebook has no code cell tagged "parameters" with LANG = "en": '
                               "add it with --add-parameters-cell")
    elif not LANG_LINE.search(params.source):
        report.problems.append('its parameters cell does not set LANG = "..."')
    ids = [cell.get("id") for cell in english.cells]
    if None in ids or len(set(ids)) != len(ids):
        report.problems.append("cell ids are missing or repeated: save it with nbformat ≥ 4.5")
    for index, cell in enumerate(edition.cells):
        old = old_cells.get(cell.get("id"))
        if cell.cell_type == "code":
            if params is not None and cell.get("id") == params.get("id"):
                cell.source = with_language(cell.source, EDITION)
            if old is not None and old.cell_type == "code" and old.source == cell.source:
                cell.outputs, cell.execution_count = old.get("outputs", []), old.get("execution_count")
                used.add(cell.id)
            else:
                cell.outputs, cell.execution_count = [], None
        elif cell.cell_type == "markdown":
            translated_from = english_hash(cell.source)
            placeholder = old is not None and old.metadata.get("voicelab", {}).get("untranslated")
            if old is None or old.cell_type != "markdown" or placeholder:
                report.untranslated.append(_describe(index, cell))
                cell.metadata.setdefault("voicelab", {})["untranslated"] = True
                continue
            used.add(cell.id)
            recorded = old.metadata.get("voicelab", {}).get("translated_from")
            if recorded != translated_from:
                report.changed.append(_describe(index, cell))
            cell.source = old.source
            cell.metadata = copy.deepcopy(old.metadata)
            if "attachments" in old:
                cell.attachments = copy.deepcopy(old.attachments)
    if previous is not None:
        for index, old in enumerate(previous.cells):
            if old.cell_type == "markdown" and old.get("id") not in used and old.get("id") not in ids:
                report.dropped.append(_describe(index, old))
    edition.metadata = copy.deepcopy(previous.metadata if previous is not None else english.metadata)
    edition.metadata.pop("widgets", None)
    return edition


def mark_translated(edition_path: Path, english_dir: Path = NOTEBOOKS) -> int:
    """Record, in each Markdown cell of an edition, the hash of the English cell it now translates."""
    english = nbformat.read(english_dir / edition_path.name, as_version=4)
    edition = nbformat.read(edition_path, as_version=4)
    by_id = {cell.get("id"): cell for cell in english.cells}
    marked = 0
    for cell in edition.cells:
        source = by_id.get(cell.get("id"))
        if (cell.cell_type == "markdown" and source is not None and source.cell_type == "markdown"
                and cell.source != source.source):  # identical text is still untranslated
            meta = cell.metadata.setdefault("voicelab", {})
            meta.pop("untranslated", None)
            meta["translated_from"] = english_hash(source.source)
            marked += 1
    nbformat.write(edition, edition_path)
    return marked


def add_parameters_cell(path: Path) -> bool:
    """Give an English notebook the parameters cell after its title, unless it has one; True if added."""
    nb = nbformat.read(path, as_version=4)
    if parameters_cell(nb) is not None:
        return False
    cell = nbformat.v4.new_code_cell(PARAMETERS_SOURCE, id="parameters", metadata={"tags": [PARAMETERS_TAG]})
    position = 1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0
    nb.cells.insert(position, cell)
    nbformat.write(nb, path)
    return True


def english_notebooks(english_dir: Path) -> list[Path]:
    """The English notebooks: ``NN_*.ipynb`` directly in ``english_dir``."""
    return sorted(p for p in english_dir.glob("*.ipynb") if re.match(r"\d\d_", p.name))


def sync(english_dir: Path = NOTEBOOKS, *, write: bool = True) -> tuple[list[Report], list[str]]:
    """Rebuild (or, with ``write=False``, only compare) every edition; returns the reports and stale editions.

    A stale edition is one whose file differs from what it would be rebuilt to (``--check`` fails on it).
    """
    edition_dir = english_dir / EDITION
    reports, stale = [], []
    sources = english_notebooks(english_dir)
    for path in sources:
        target = edition_dir / path.name
        report = Report(path, target, new_edition=not target.exists())
        reports.append(report)
        try:
            english = nbformat.read(path, as_version=4)
            previous = nbformat.read(target, as_version=4) if target.exists() else None
        except (OSError, ValueError) as exc:  # a merge conflict in the JSON, a truncated file
            report.problems.append(f"cannot read it or its edition, nothing rebuilt: {exc}"[:300])
            continue
        edition = build_edition(english, previous, report)
        text = nbformat.writes(edition) + "\n"
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            stale.append(str(target))
            if write:
                edition_dir.mkdir(exist_ok=True)
                target.write_text(text, encoding="utf-8")
    names = {p.name for p in sources}
    for orphan in sorted(edition_dir.glob("*.ipynb")):
        if orphan.name not in names:
            report = Report(english_dir / orphan.name, orphan)
            report.problems.append("no English notebook of this name: rename or delete the edition")
            reports.append(report)
    return reports, stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if an edition is out of date")
    parser.add_argument("--mark-translated", nargs="+", type=Path, metavar="EDITION",
                        help="record that these editions' Markdown cells translate the current English text")
    parser.add_argument("--add-parameters-cell", action="store_true",
                        help='first give English notebooks without one the parameters cell (LANG = "en")')
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="folder of the English notebooks")
    args = parser.parse_args(argv)
    if args.add_parameters_cell:
        for path in english_notebooks(args.notebooks):
            if add_parameters_cell(path):
                print(f"{path}: parameters cell added")
    if args.mark_translated:
        for path in args.mark_translated:
            print(f"{path}: {mark_translated(path, args.notebooks)} Markdown cells marked as translated")
    reports, stale = sync(args.notebooks, write=not args.check)
    for line in (line for report in reports for line in report.lines()):
        print(line)
    if args.check and stale:
        print("out of date (run scripts/sync_ja_notebooks.py):", ", ".join(stale))
    done = [r.edition.name for r in reports if r.complete]
    print(f"{len(done)} of {len(reports)} Japanese editions complete"
          + ("" if args.check else f"; {len(stale)} rewritten"))
    return 0 if len(done) == len(reports) and not (args.check and stale) else 1


if __name__ == "__main__":
    sys.exit(main())
