"""The numpy docstring Examples of ``voicelab.protocol`` run, and pass."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import voicelab.protocol

MODULES = sorted(m.name for m in pkgutil.iter_modules(voicelab.protocol.__path__, "voicelab.protocol."))


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no Examples"
