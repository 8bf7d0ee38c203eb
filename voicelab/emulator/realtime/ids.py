"""OpenAI-style identifiers (``event_…``, ``item_…``, ``resp_…``), reproducible when seeded."""

from __future__ import annotations

import random
import string

__all__ = ["IdFactory"]

_ALPHABET = string.ascii_letters + string.digits


class IdFactory:
    """Makes ids such as ``item_Cx3…`` (prefix + 21 base62 characters, like OpenAI's).

    Parameters
    ----------
    seed : int, optional
        Seed for reproducible ids in tests; ``None`` draws from the system's entropy.

    Examples
    --------
    >>> ids = IdFactory(seed=1)
    >>> ids.new("item").startswith("item_"), len(ids.new("resp"))
    (True, 26)
    """

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed) if seed is not None else random.SystemRandom()

    def new(self, prefix: str) -> str:
        """A fresh id with ``prefix`` (``"event"``, ``"item"``, ``"resp"``, ``"sess"``, ``"conv"``, …)."""
        return prefix + "_" + "".join(self._random.choices(_ALPHABET, k=21))
