"""The tiny tidy table behind sweeps: filtering, sorting, stable text."""

from __future__ import annotations

import numpy as np

from voicelab.vad.table import Table


def test_table_helpers():
    t = Table([{"k": "a", "v": 1.0, "n": None}, {"k": "b", "v": 0.5, "n": 2}], digits=2)
    assert t.sorted("v").column("k").tolist() == ["b", "a"]
    assert np.isnan(t.column("n")[0])
    assert str(t.select("k", "v")) == "k     v\na  1.00\nb  0.50"
    assert t.to_markdown().splitlines()[0] == "| k | v | n |"
    assert "<table>" in t._repr_html_()


def test_empty_table_prints():
    assert str(Table([])) == "(empty table)"
    assert len(Table([])) == 0
