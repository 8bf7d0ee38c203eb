"""The event timeline of a session is a plot: it lives in :mod:`voicelab.timeline` (below the client, so
``voicelab.plots`` can offer it without importing the client); re-exported here for the client's modules.

Examples
--------
>>> from voicelab.timeline import TimelineData as Data
>>> TimelineData is Data
True
"""

from voicelab.timeline import TimelineData, timeline

__all__ = ["TimelineData", "timeline"]
