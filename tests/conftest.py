"""Shared test settings: every test runs offline against the embedded emulator."""

from __future__ import annotations

import os

import pytest

# Tests never talk to OpenAI, whatever the developer's shell holds.
os.environ.pop("OPENAI_API_KEY", None)
os.environ["VOICELAB_BACKEND"] = "local"
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture
def rng():
    """A seeded generator, so random inputs are the same on every run."""
    import numpy as np

    return np.random.default_rng(20261121)


@pytest.fixture
def ax():
    """Fresh matplotlib axes (Agg backend: no window), closed after the test."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots()
    yield axes
    plt.close(fig)
