"""The pricing package's docstring examples run, and its exports resolve."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "tables",
        "usage",
        "breakdown",
        "estimate",
        "estimate.inputs",
        "estimate.results",
        "estimate.s2s",
        "estimate.chained",
        "estimate.compare",
        "estimate.translation",
        "plots",
        "cli",
        "_format",
    ],
)
def test_docstring_examples_run(module):
    mod = importlib.import_module(f"voicelab.pricing.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_package_exports_resolve():
    import voicelab.pricing as pricing

    for module in (
        pricing,
        *(
            importlib.import_module(f"voicelab.pricing.{m}")
            for m in ("tables", "usage", "breakdown", "estimate", "estimate.results", "plots", "cli")
        ),
    ):
        assert module.__all__
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"
