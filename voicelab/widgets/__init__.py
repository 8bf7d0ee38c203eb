"""Browser audio widgets for JupyterLab (anywidget): microphone capture, playback, live conversation.

Mic and speaker live in the browser, not on the kernel host, so remote kernels work.
"""

from __future__ import annotations

from voicelab.widgets.live import BrowserLiveSession, LiveSession, TranscriptView
from voicelab.widgets.player import Player, PlayerState
from voicelab.widgets.recorder import Recorder, RecorderState

__all__ = [
    "BrowserLiveSession",
    "LiveSession",
    "Player",
    "PlayerState",
    "Recorder",
    "RecorderState",
    "TranscriptView",
]
