"""Re-execute the notebooks in place, offline, and shrink their outputs for the repository.

Usage (from the repository root)::

    .venv/bin/python scripts/execute_notebooks.py          # notebooks/*.ipynb, then notebooks/ja/*.ipynb
    .venv/bin/python scripts/execute_notebooks.py notebooks/09_cost_estimation.ipynb notebooks/ja/09_*.ipynb

``make notebooks`` first rebuilds the Japanese editions from the English notebooks
(``scripts/sync_ja_notebooks.py``), then runs this.

Each notebook runs top to bottom in a fresh kernel (``VOICELAB_BACKEND=local``, ``HF_HUB_OFFLINE=1``),
with its folder as the working directory, exactly as nbval runs it. Then its outputs are made small and
stable:
PNG figures are re-encoded as 256-colour palette PNGs, execution counts are renumbered, widget state and
metadata that change on every run (timings, kernel versions) are dropped. ``tests/test_notebooks.py`` checks
the result (no error outputs, every ``# NBVAL_CHECK_OUTPUT`` cell has a stored output, size ≤ 1.5 MB).
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CELL_TIMEOUT_S = 900


def shrink_png(data: str) -> str:
    """A base64 PNG re-encoded with a 256-colour adaptive palette (figures have few colours)."""
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    palette = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                            dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    smaller = out.getvalue() if out.tell() < len(base64.b64decode(data)) else base64.b64decode(data)
    return base64.b64encode(smaller).decode("ascii")


def tidy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Shrink figures, drop run-specific metadata, number the code cells 1, 2, 3…"""
    nb.metadata.pop("widgets", None)
    count = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        count += 1
        cell.execution_count = count
        for output in cell.get("outputs", []):
            if output.get("output_type") == "execute_result":
                output["execution_count"] = count
            data = output.get("data", {})
            if "image/png" in data:
                data["image/png"] = shrink_png(data["image/png"])
    return nb


def execute(path: Path) -> float:
    """Run ``path`` in place; returns the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    env_backup = dict(os.environ)
    os.environ.update(VOICELAB_BACKEND="local", HF_HUB_OFFLINE="1", PYTHONDONTWRITEBYTECODE="1")
    os.environ.pop("OPENAI_API_KEY", None)  # offline, whatever the shell has
    try:
        start = time.perf_counter()
        NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        seconds = time.perf_counter() - start
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    nbformat.write(tidy(nb), path)
    return seconds


def _shown(path: Path) -> str:
    """``ja/01_text_to_speech.ipynb`` for an edition, ``01_text_to_speech.ipynb`` for an English notebook."""
    path = path.resolve()
    return path.relative_to(NOTEBOOKS).as_posix() if path.is_relative_to(NOTEBOOKS) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to run (default: notebooks/*.ipynb, then notebooks/ja/*.ipynb)")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb")) + sorted(NOTEBOOKS.glob("ja/*.ipynb"))
    failed = []
    for path in paths:
        try:
            seconds = execute(path)
        except CellExecutionError as error:  # report every notebook that fails; leave it unchanged
            failed.append(_shown(path))
            print(f"{_shown(path):<35} FAILED\n{str(error)[-3000:]}", flush=True)
            continue
        print(f"{_shown(path):<35} {seconds:6.1f} s  {path.stat().st_size / 1000:7.1f} kB", flush=True)
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
