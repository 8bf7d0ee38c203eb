"""voicelab — a Jupyter workbench for OpenAI's audio APIs.

With ``OPENAI_API_KEY`` set, :func:`client` returns an SDK client for OpenAI; without it,
voicelab starts its local emulator (offline speech engines) and points the client there.

Examples
--------
>>> import voicelab
>>> client = voicelab.client()            # doctest: +SKIP
>>> client.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input="Hi")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

from voicelab.errors import ModelShutdownWarning, ParameterError, VoicelabError

__version__ = "0.1.0"

__all__ = [
    "Audio",
    "ParameterError",
    "VoicelabError",
    "__version__",
    "async_client",
    "audio",
    "backend_info",
    "client",
    "errors",
    "plots",
    "pricing",
    "realtime",
    "samples",
    "vad",
    "widgets",
]

# DeprecationWarning is hidden outside __main__ (so when raised from voicelab inside a notebook); a model's
# shutdown notice must be seen. voicelab emits it once per model per process (models.check_lifecycle);
# filters set later (pytest's ``filterwarnings``, a user's ``warnings.simplefilter``) still take precedence.
warnings.filterwarnings("default", category=ModelShutdownWarning)

# Heavy modules load on first use so that ``import voicelab`` stays fast.
_LAZY_ATTRIBUTES = {
    "Audio": ("voicelab.audio", "Audio"),
    "client": ("voicelab.backend", "client"),
    "async_client": ("voicelab.backend", "async_client"),
    "backend_info": ("voicelab.backend", "backend_info"),
}
_LAZY_MODULES = {"audio", "errors", "plots", "pricing", "realtime", "samples", "vad", "widgets"}

if TYPE_CHECKING:  # pragma: no cover
    import voicelab.audio as audio
    import voicelab.errors as errors
    import voicelab.plots as plots
    import voicelab.pricing as pricing
    import voicelab.realtime as realtime
    import voicelab.samples as samples
    import voicelab.vad as vad
    import voicelab.widgets as widgets
    from voicelab.audio import Audio
    from voicelab.backend import async_client, backend_info, client


def __getattr__(name: str) -> Any:
    if name in _LAZY_ATTRIBUTES:
        module_name, attribute = _LAZY_ATTRIBUTES[name]
        value = getattr(importlib.import_module(module_name), attribute)
    elif name in _LAZY_MODULES:
        value = importlib.import_module(f"voicelab.{name}")
    else:
        raise AttributeError(f"module 'voicelab' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
