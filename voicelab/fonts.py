"""Fonts for figures: Japanese text without system fonts.

Importing this module registers IPAexGothic, shipped inside the PyPI package ``matplotlib-fontja``
(IPA Font License v1.0), and appends it to ``rcParams["font.family"]`` as a fallback: Latin text keeps
matplotlib's default font (DejaVu Sans), and each character DejaVu Sans lacks (kana, kanji, full-width
punctuation) is drawn with IPAexGothic instead of □ with a "Glyph missing" warning. Every plotting module
of voicelab (:mod:`voicelab.plots`, :mod:`voicelab.timeline`, :mod:`voicelab.vad.plots`,
:mod:`voicelab.pricing.plots`) imports it; :func:`use_japanese_font` applies it again after a style change.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from voicelab.errors import EngineError

__all__ = ["JAPANESE_FONT", "japanese_font_file", "use_japanese_font"]

#: The family name of the Japanese font registered by :func:`use_japanese_font`.
JAPANESE_FONT = "IPAexGothic"


def japanese_font_file() -> Path:
    """The IPAexGothic file inside ``matplotlib-fontja`` (also for drawing text with Pillow).

    Examples
    --------
    >>> japanese_font_file().name
    'ipaexg.ttf'
    """
    # located without importing matplotlib_fontja, whose import switches every text to IPAexGothic
    spec = find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        raise EngineError("the Japanese plot font is not installed — pip install matplotlib-fontja")
    return Path(next(iter(spec.submodule_search_locations))) / "fonts" / "ipaexg.ttf"


def use_japanese_font() -> Path:
    """Register IPAexGothic from ``matplotlib-fontja`` and add it as the fallback font (idempotent).

    Returns
    -------
    pathlib.Path
        The font file (inside the installed package).

    Raises
    ------
    voicelab.errors.EngineError
        ``matplotlib-fontja`` is not installed.

    Examples
    --------
    >>> import matplotlib
    >>> use_japanese_font().name, matplotlib.rcParams["font.family"][-1]
    ('ipaexg.ttf', 'IPAexGothic')
    """
    import matplotlib
    from matplotlib import font_manager

    path = japanese_font_file()
    if not any(entry.name == JAPANESE_FONT for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(path))
    families = [f for f in matplotlib.rcParams["font.family"] if f != JAPANESE_FONT]
    matplotlib.rcParams["font.family"] = [*families, JAPANESE_FONT]
    return path


use_japanese_font()
