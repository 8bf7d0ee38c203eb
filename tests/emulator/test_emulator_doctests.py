"""The Examples in the docstrings of the emulator's security modules run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "voicelab.emulator.auth",
    "voicelab.emulator.origins",
    "voicelab.emulator.settings",
    "voicelab.emulator.logging_redaction",
    "voicelab.emulator.cli",
    "voicelab.emulator.routes.token_backend",
    "voicelab.errors",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
