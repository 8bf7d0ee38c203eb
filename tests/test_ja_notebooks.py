"""The Japanese editions (``notebooks/ja/``): one per English notebook, the same code, Japanese prose.

An edition's code cells are the English notebook's, character for character, except the parameters cell
(``LANG = "ja"``): what differs between the languages lives in :mod:`voicelab.lessons`. Its Markdown is
Japanese. ``scripts/sync_ja_notebooks.py`` rebuilds the editions; its behaviour on new, edited and
untranslated notebooks is tested here on small notebooks in a temporary folder.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
EDITIONS = NOTEBOOKS / "ja"
ENGLISH = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if re.match(r"\d\d_", p.name))
PARAMETERS = ('# parameters: the language of the examples, "en" here and "ja" in notebooks/ja/ '
              "(voicelab.lessons)\n")

# Kana (hiragana, katakana, the prolonged sound mark) and kanji; Latin letters.
KANA = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc]")
JAPANESE = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc\u4e00-\u9fff\u3005]")
LATIN = re.compile(r"[A-Za-z]")
#: what a translation keeps in English: code (spans and blocks), link targets, bare URLs
NOT_PROSE = re.compile(r"```.*?```|`[^`]*`|\]\([^)]*\)|https?://\S+", re.DOTALL)
MIN_JAPANESE_SHARE = 0.4  # of the letters in a cell's prose: a translated cell is well above, English is 0


def _load_script():
    script = ROOT / "scripts" / "sync_ja_notebooks.py"
    spec = importlib.util.spec_from_file_location("sync_ja_notebooks", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while the class is created
    spec.loader.exec_module(module)
    return module


sync_script = _load_script()


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def japanese_share(markdown: str) -> float:
    """Kana and kanji over all letters of the prose (code and URLs left out); 1.0 when there are no letters.

    >>> japanese_share("## 6 · Errors"), japanese_share("## 6 · エラー `BadRequestError`")
    (0.0, 1.0)
    """
    prose = NOT_PROSE.sub(" ", markdown)
    japanese, latin = len(JAPANESE.findall(prose)), len(LATIN.findall(prose))
    return japanese / (japanese + latin) if japanese + latin else 1.0


def test_the_japanese_share_tells_english_from_japanese():
    assert japanese_share("The player creates its audio context only after a user gesture.") == 0.0
    assert japanese_share("プレーヤーは音声コンテキストを作ります（`AudioContext`）。") == 1.0
    assert japanese_share("这是中文，不是日语。") > MIN_JAPANESE_SHARE  # kanji alone pass the share …
    assert not KANA.search("这是中文，不是日语。")  # … so a cell must also have kana


def test_every_english_notebook_has_a_japanese_edition_and_no_edition_is_orphaned():
    english = {p.name for p in ENGLISH}
    editions = {p.name for p in EDITIONS.glob("*.ipynb")}
    assert len(english) >= 12
    missing = sorted(english - editions)
    assert not missing, f"no Japanese edition: {missing} — run scripts/sync_ja_notebooks.py"
    assert not editions - english, f"editions without an English notebook: {sorted(editions - english)}"


@pytest.mark.parametrize("path", ENGLISH, ids=lambda p: p.stem)
def test_english_notebook_starts_with_a_parameters_cell(path):
    nb = _read(path)
    params = sync_script.parameters_cell(nb)
    assert params is not None, f'{path.name}: no code cell tagged "parameters"'
    assert params.source == PARAMETERS + 'LANG = "en"', f"{path.name}: parameters cell is {params.source!r}"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code is params, f"{path.name}: the parameters cell must be the first code cell"


@pytest.mark.parametrize("path", ENGLISH, ids=lambda p: p.stem)
def test_edition_runs_the_english_code(path):
    english, edition = _read(path), _read(EDITIONS / path.name)
    layout = [(c.get("id"), c.cell_type) for c in english.cells]
    assert [(c.get("id"), c.cell_type) for c in edition.cells] == layout, (
        f"ja/{path.name}: cells (ids, kinds, order) differ from English — run scripts/sync_ja_notebooks.py")
    for en, ja in zip(english.cells, edition.cells, strict=True):
        if en.cell_type != "code":
            continue
        if "parameters" in en.metadata.get("tags", []):
            assert "parameters" in ja.metadata.get("tags", []), f"ja/{path.name}: the parameters tag is gone"
            assert ja.source == PARAMETERS + 'LANG = "ja"', f"ja/{path.name}: parameters are {ja.source!r}"
        else:
            assert ja.source == en.source, (
                f"ja/{path.name}: code cell {en.id} differs from English — put language-dependent text in "
                "voicelab.lessons and run scripts/sync_ja_notebooks.py")


@pytest.mark.parametrize("path", ENGLISH, ids=lambda p: p.stem)
def test_edition_markdown_is_japanese(path):
    english = {c.id: c.source for c in _read(path).cells if c.cell_type == "markdown"}
    not_japanese = []
    for index, cell in enumerate(_read(EDITIONS / path.name).cells):
        if cell.cell_type != "markdown":
            continue
        share = japanese_share(cell.source)
        if cell.source == english.get(cell.id) or share < MIN_JAPANESE_SHARE or not KANA.search(cell.source):
            not_japanese.append(f"cell {index} ({cell.id}, {share:.0%} Japanese): {cell.source[:60]!r}")
    assert not not_japanese, f"ja/{path.name}: Markdown not in Japanese:\n" + "\n".join(not_japanese)


def test_editions_are_in_sync_with_the_english_notebooks(capsys):
    """What ``scripts/sync_ja_notebooks.py --check`` checks: nothing to rebuild, nothing left to translate."""
    assert sync_script.main(["--check"]) == 0, capsys.readouterr().out


# --- the sync script, on notebooks made here ------------------------------------------------------------


IMPORTS = "from voicelab import lessons\n\nlesson = lessons.for_language(LANG)"


def _english(folder: Path, name: str = "12_new_topic.ipynb", *, extra_code: str = "print(lesson)") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 12 · A new topic\n\nSome English prose.", id="title"),
        nbformat.v4.new_code_cell(PARAMETERS + 'LANG = "en"', id="parameters",
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(IMPORTS, id="imports"),
        nbformat.v4.new_markdown_cell("## 1 · A section", id="section"),
        nbformat.v4.new_code_cell(extra_code, id="work"),
    ]
    path = folder / name
    nbformat.write(nb, path)
    return path


def test_sync_makes_a_new_edition_and_lists_every_cell_to_translate(tmp_path, capsys):
    _english(tmp_path)
    assert sync_script.main(["--notebooks", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    edition = _read(tmp_path / "ja" / "12_new_topic.ipynb")
    assert [c.source for c in edition.cells if c.cell_type == "code"] == [
        PARAMETERS + 'LANG = "ja"', IMPORTS, "print(lesson)"]
    assert "new edition" in out
    assert "untranslated  cell 0 id=title: '# 12 · A new topic'" in out
    assert "untranslated  cell 3 id=section: '## 1 · A section'" in out
    assert "0 of 1 Japanese editions complete" in out


def test_sync_keeps_translations_by_id_copies_code_and_reports_what_changed(tmp_path, capsys):
    english_path = _english(tmp_path)
    sync_script.main(["--notebooks", str(tmp_path)])
    edition_path = tmp_path / "ja" / english_path.name
    edition = _read(edition_path)
    edition.cells[0].source = "# 12 · 新しいトピック\n\n日本語の説明です。"
    edition.cells[3].source = "## 1 · 最初の節"
    edition.cells[4].outputs = [nbformat.v4.new_output("stream", text="ran\n")]
    edition.cells[4].execution_count = 3
    nbformat.write(edition, edition_path)
    sync_script.main(["--notebooks", str(tmp_path), "--mark-translated", str(edition_path)])
    assert "1 of 1 Japanese editions complete" in capsys.readouterr().out
    assert sync_script.main(["--notebooks", str(tmp_path), "--check"]) == 0
    assert _read(edition_path).cells[4].outputs[0].text == "ran\n"  # unchanged code keeps its outputs

    english = _read(english_path)
    english.cells[3].source = "## 1 · A section, reworded"
    english.cells[4].source = "print(lesson, 2)"
    english.cells.insert(5, nbformat.v4.new_markdown_cell("A new paragraph.", id="added"))
    nbformat.write(english, english_path)
    capsys.readouterr()
    assert sync_script.main(["--notebooks", str(tmp_path), "--check"]) == 1  # out of date, nothing written
    assert _read(edition_path).cells[4].source == "print(lesson)"
    assert sync_script.main(["--notebooks", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "English changed since translated  cell 3 id=section" in out
    assert "untranslated  cell 5 id=added: 'A new paragraph.'" in out
    assert "title" not in out  # the unchanged translation is not reported
    rebuilt = _read(edition_path)
    assert rebuilt.cells[0].source.startswith("# 12 · 新しいトピック")
    assert rebuilt.cells[3].source == "## 1 · 最初の節"  # kept until someone updates it
    assert rebuilt.cells[4].source == "print(lesson, 2)"
    assert rebuilt.cells[4].outputs == []  # new code: not executed yet
    assert rebuilt.cells[5].source == "A new paragraph."  # English stands in, so the edition still runs


def test_sync_reports_a_notebook_without_parameters_cell_and_an_orphaned_edition(tmp_path, capsys):
    path = _english(tmp_path)
    nb = _read(path)
    del nb.cells[1]
    nbformat.write(nb, path)
    (tmp_path / "ja").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "ja" / "99_gone.ipynb")
    assert sync_script.main(["--notebooks", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert 'no code cell tagged "parameters"' in out
    assert "99_gone.ipynb: no English notebook of this name" in out

    (tmp_path / "ja" / "99_gone.ipynb").unlink()
    # the cell is added; the new edition is still untranslated
    assert sync_script.main(["--notebooks", str(tmp_path), "--add-parameters-cell"]) == 1
    assert "parameters cell added" in capsys.readouterr().out
    added = _read(path).cells[1]
    assert added.source == PARAMETERS + 'LANG = "en"' and added.metadata.tags == ["parameters"]
    assert _read(tmp_path / "ja" / path.name).cells[1].source == PARAMETERS + 'LANG = "ja"'


def test_sync_reports_an_unreadable_notebook_and_rebuilds_the_others(tmp_path, capsys):
    _english(tmp_path)
    (tmp_path / "13_conflicted.ipynb").write_text('{"cells": [\n<<<<<<< HEAD\n', encoding="utf-8")
    assert sync_script.main(["--notebooks", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "13_conflicted.ipynb: cannot read it or its edition" in out
    assert (tmp_path / "ja" / "12_new_topic.ipynb").exists()
    assert not (tmp_path / "ja" / "13_conflicted.ipynb").exists()
