"""Speakers remembered across clips: one label per voice for a whole session.

Each clip is diarized on its own (:func:`voicelab.engines.speakers.diarize`), so its labels (``A``, ``B``, …)
only say who is who *within* that clip. A :class:`SpeakerRegistry` keeps every voice heard so far as a
centroid (the normalised sum of the unit embeddings it was matched with) and renames a new clip's speakers
to the session's labels: a clip's voice takes the label of the remembered voice it scores best with, if that
cosine similarity reaches :data:`~.clustering.KNOWN_SPEAKER_SIMILARITY` (best pairs first, one-to-one, as
REST known speakers are matched, :func:`~.clustering.match_known`); a voice that matches none gets the next
free letter. The registry is plain state: it does no I/O and costs a few dot products per clip.

Examples
--------
>>> import numpy as np
>>> registry = SpeakerRegistry()
>>> registry.assign({"A": np.array([1.0, 0.0])})
{'A': 'A'}
>>> registry.assign({"A": np.array([0.1, 0.995]), "B": np.array([0.99, 0.14])})  # the first voice is B here
{'A': 'B', 'B': 'A'}
>>> registry.labels
['A', 'B']
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .clustering import KNOWN_SPEAKER_SIMILARITY, match_known, next_letter

__all__ = ["SpeakerRegistry"]


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / max(float(np.linalg.norm(v)), 1e-12)


class SpeakerRegistry:
    """The voices of one session, by label (``A``, ``B``, … in order of first appearance).

    Parameters
    ----------
    threshold : float
        Cosine similarity a clip's voice needs with a remembered voice to take its label.
    """

    def __init__(self, *, threshold: float = KNOWN_SPEAKER_SIMILARITY) -> None:
        self.threshold = threshold
        self._sums: dict[str, np.ndarray] = {}

    @property
    def labels(self) -> list[str]:
        """The labels given so far, in order."""
        return list(self._sums)

    def centroids(self) -> dict[str, np.ndarray]:
        """Each remembered voice's unit-length centroid.

        Examples
        --------
        >>> r = SpeakerRegistry()
        >>> _ = r.assign({"A": np.array([1.0, 0.0])}), r.assign({"A": np.array([0.8, 0.6])})
        >>> r.centroids()["A"].round(3).tolist()
        [0.949, 0.316]
        """
        return {label: _unit(total) for label, total in self._sums.items()}

    def assign(self, voices: Mapping[str, np.ndarray]) -> dict[str, str]:
        """Rename one clip's speakers to the session's labels, and remember their voices.

        Parameters
        ----------
        voices : mapping of str to ndarray
            The clip's label → its voice embedding (:attr:`Diarization.voices
            <voicelab.engines.speakers.pipeline.Diarization.voices>`), in order of first appearance.

        Returns
        -------
        dict of str to str
            The clip's label → the session's label.
        """
        if not voices:
            return {}
        local = list(voices)
        matrix = np.stack([_unit(voices[label]) for label in local])
        matched = match_known(matrix, self.centroids(), threshold=self.threshold) if self._sums else {}
        names: dict[str, str] = {}
        for index, label in enumerate(local):
            name = matched.get(index) or next_letter(self._sums)
            self._sums[name] = self._sums.get(name, 0.0) + matrix[index]
            names[label] = name
        return names
