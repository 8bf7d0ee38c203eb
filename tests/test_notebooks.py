"""The committed notebooks, English and Japanese (``notebooks/ja/``): executed, small, error-free, and every
output check has something to compare.

nbval (``pytest --nbval-lax notebooks``) re-runs each notebook and compares the cells marked
``# NBVAL_CHECK_OUTPUT`` with their *stored* outputs — a check cell committed without outputs checks
nothing. These tests read the files as committed (re-execute them with ``scripts/execute_notebooks.py``).
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb")) + sorted(NOTEBOOKS.glob("ja/*.ipynb"))  # the editions too
SIZE_BUDGET = 1_500_000  # bytes per notebook
IMAGE_BUDGET = 200_000  # bytes per PNG figure
AUDIO_BUDGET = 200_000  # bytes of embedded audio per output
SANITIZER = NOTEBOOKS / "nbval_sanitize.cfg"
STRAY_REPR = r"\[?<(Axes|matplotlib|Figure|function)\b"  # a cell that ends with a plot call's return value


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _code_cells(nb: dict) -> list[tuple[int, dict]]:
    return [(i, c) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _text(value: object) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _outputs(path: Path) -> list[tuple[int, dict]]:
    """(cell index, output) for every stored output of the notebook's code cells."""
    return [(i, output) for i, cell in _code_cells(_load(path)) for output in cell.get("outputs", [])]


def test_there_are_notebooks():
    assert len([p for p in PATHS if p.parent == NOTEBOOKS]) >= 12
    assert len([p for p in PATHS if p.parent.name == "ja"]) >= 12


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.relative_to(NOTEBOOKS).with_suffix("").as_posix())
def test_notebook_is_within_the_size_budget(path):
    assert path.stat().st_size <= SIZE_BUDGET, f"{path.name}: {path.stat().st_size / 1e6:.2f} MB > 1.5 MB"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.relative_to(NOTEBOOKS).with_suffix("").as_posix())
def test_notebook_is_committed_executed(path):
    missing = [i for i, cell in _code_cells(_load(path)) if cell.get("execution_count") is None]
    assert not missing, f"{path.name}: code cells {missing} were never run — run scripts/execute_notebooks.py"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.relative_to(NOTEBOOKS).with_suffix("").as_posix())
def test_every_output_check_has_a_stored_output(path):
    empty = [i for i, cell in _code_cells(_load(path))
             if "# NBVAL_CHECK_OUTPUT" in _source(cell) and not cell.get("outputs")]
    assert not empty, f"{path.name}: NBVAL_CHECK_OUTPUT cells {empty} have no stored output"


#: voicelab's one-per-model notice that OpenAI announced a shutdown date (issue 13): the warning line and the
#: source line Python prints under it. It is the one stderr output a notebook is meant to show.
SHUTDOWN_NOTICE = re.compile(r"^.*ModelShutdownWarning: .*\n(?:[ \t]+.*\n?)?", re.MULTILINE)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.relative_to(NOTEBOOKS).with_suffix("").as_posix())
def test_no_stored_output_is_an_error(path):
    errors = []
    for i, output in _outputs(path):
        if output["output_type"] == "error":
            errors.append(f"cell {i}: {output['ename']}: {output['evalue']}")
        elif output["output_type"] == "stream" and output["name"] == "stderr":
            rest = SHUTDOWN_NOTICE.sub("", _text(output["text"])).strip()  # the notice is meant to be seen
            if rest:
                errors.append(f"cell {i}: stderr: {rest[:80]!r}")  # other warnings, tracebacks
        elif "WidgetError" in _text(output.get("data", {}).get("text/plain", "")):
            errors.append(f"cell {i}: WidgetError")
    assert not errors, f"{path.name}: " + "; ".join(errors)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.relative_to(NOTEBOOKS).with_suffix("").as_posix())
def test_no_stray_reprs_above_plots(path):
    stray = []
    for i, output in _outputs(path):
        text = _text(output.get("data", {}).get("text/plain", ""))
        if output["output_type"] == "execute_result" and re.match(STRAY_REPR, text):
            stray.append(f"cell {i}: {text[:40]}")
    assert not stray, f"{path.name}: end the cell with ';' or assign the result: " + "; ".join(stray)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.relative_to(NOTEBOOKS).with_suffix("").as_posix())
def test_figures_and_embedded_audio_stay_small(path):
    big = []
    for i, output in _outputs(path):
        data = output.get("data", {})
        if "image/png" in data and len(base64.b64decode(_text(data["image/png"]))) > IMAGE_BUDGET:
            big.append(f"cell {i}: a figure over {IMAGE_BUDGET // 1000} kB")
        audio = re.findall(r"data:audio/[a-z0-9]+;base64,([A-Za-z0-9+/=]+)", _text(data.get("text/html", "")))
        if sum(len(a) * 3 // 4 for a in audio) > AUDIO_BUDGET:
            big.append(f"cell {i}: more than {AUDIO_BUDGET // 1000} kB of embedded audio")
    assert not big, f"{path.name}: " + "; ".join(big)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.relative_to(NOTEBOOKS).with_suffix("").as_posix())
def test_markdown_money_is_not_typeset_as_math(path):
    bad = [i for i, cell in enumerate(_load(path)["cells"])
           if cell["cell_type"] == "markdown" and re.search(r"\$\s?\d", _source(cell))]
    assert not bad, f"{path.name}: markdown cells {bad} use '$' for money (LaTeX): write USD"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.relative_to(NOTEBOOKS).with_suffix("").as_posix())
def test_notebooks_cite_public_sources_not_private_seeds(path):
    text = "\n".join(_source(c) for c in _load(path)["cells"])
    assert not re.search(r"\bseeds?\b", text, flags=re.IGNORECASE), f"{path.name} refers to 'seed' documents"


def test_the_sanitizer_file_parses_and_its_patterns_compile():
    from nbval.plugin import get_sanitize_patterns

    patterns = get_sanitize_patterns(SANITIZER.read_text(encoding="utf-8"))
    assert len(patterns) >= 5
    for regex, _replace in patterns:
        re.compile(regex)
    # it hides a random item id but keeps the checked figures
    sample = "item_a1b2c3d4e5f6 cost $0.0576000 on 2025-08-28"
    for regex, replace in patterns:
        sample = re.sub(regex, replace, sample)
    assert sample == "item_ID cost $0.0576000 on 2025-08-28"


_MODEL_LITERAL = re.compile(r"""["']([a-z][a-z0-9.-]*[a-z0-9])["']""")
_LEGACY_MARKER = "# legacy:"  # a cell that compares retired models on purpose says so, and why


def _allowed_with_shutdown(name: str) -> bool:
    """A model with a shutdown date is taught only where no current model does its job."""
    from voicelab.protocol import models as catalogue

    info = catalogue.model_info(name)
    assert info is not None
    current = [m for m in catalogue.CATALOGUE if catalogue._is_current(m)]
    no_current_of_a_kind = any(not [m for m in current if kind in m.kinds] for kind in info.kinds)
    recommended_with_reason = any(
        catalogue.recommended(p) == name and catalogue.recommendation_note(p)
        for p in catalogue.Purpose.__args__  # type: ignore[attr-defined]
    )
    return no_current_of_a_kind or recommended_with_reason


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebooks_teach_models_that_are_not_being_shut_down(path):
    from voicelab.protocol import models as catalogue

    retiring = []
    for index, cell in _code_cells(_load(path)):
        source = _source(cell)
        if _LEGACY_MARKER in source:
            continue
        for name in _MODEL_LITERAL.findall(source):
            info = catalogue.model_info(name)
            if info is not None and info.shutdown is not None and not _allowed_with_shutdown(name):
                retiring.append((index, name, info.shutdown.isoformat()))
    assert not retiring, f"cells teaching a model with an announced shutdown (use a current one): {retiring}"
