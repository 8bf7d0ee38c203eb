"""Rebuild the labelled speech set in this directory: clean FLACs + manifest.json.

Usage::

    .venv/bin/python scripts/make_samples.py [OUT_DIR]   (default: data/samples/)

The utterances are defined in ``voicelab.samples.SPECS``. English: Piper with a seeded ONNX session, so the
audio is reproducible bit for bit with the same onnxruntime build. Japanese: OpenJTalk with the HTS voice
"mei" (pyopenjtalk-plus, pinned), which is deterministic: a rebuild gives the same samples.
Noisy variants are not stored: ``voicelab.samples.load`` mixes seeded noise in on load.
"""

from __future__ import annotations

import sys
from pathlib import Path

from voicelab import samples


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "data" / "samples"
    path = samples.build(out)
    total = sum(f.stat().st_size for f in out.glob("*.flac"))
    print(f"wrote {path} ({len(samples.SPECS)} utterances, {total / 1e6:.2f} MB of FLAC)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
