"""Who is who: agglomerative clustering of speaker embeddings, and matching clusters to known speakers.

Clustering is average-linkage agglomerative on cosine similarity (SciPy's ``linkage``): every window starts as
its own cluster and the two clusters whose members are most similar on average merge, until no pair reaches
:data:`SAME_SPEAKER_SIMILARITY`; O(n²) memory and time in the number of windows (500 windows for the longest
upload the emulator takes). The number of speakers is therefore not given in advance.

Threshold
    On the emulator's voices (Piper "joe" pitch-shifted per OpenAI voice name, see
    :data:`voicelab.engines.tts.VOICES`) two ~3 s utterances of the *same* voice score 0.90–0.95; voices
    three or more semitones apart score 0.45–0.70, and neighbours 0.8 semitone apart 0.75–0.90 (so those are
    not told apart). Windows of 1–3 s score lower than whole utterances, so the merge threshold sits at the
    top of the different-voice range: 0.70. ``benchmarks/diarization.py`` clips swept over 0.65–0.82 gave the
    lowest attribution error at 0.70 (0.65 merges alloy and fable; 0.78 splits one voice of the sample set
    into several speakers); the table is in ``docs/diarization.md``.

Known speakers
    A cluster takes the name of the known speaker whose reference embedding it resembles most (one name per
    cluster, best pairs first), if that similarity reaches :data:`KNOWN_SPEAKER_SIMILARITY`; the others are
    labelled ``A``, ``B``, … in order of first appearance, as OpenAI labels unknown speakers.

Examples
--------
>>> import numpy as np
>>> e = np.array([[1, 0], [0.99, 0.14], [0, 1], [0.1, 0.995]], np.float32)
>>> cluster(e, threshold=0.8).tolist()
[0, 0, 1, 1]
>>> label_clusters([1, 1, 0, 0, 2]).tolist()
['A', 'A', 'B', 'B', 'C']
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np

__all__ = [
    "KNOWN_SPEAKER_SIMILARITY",
    "SAME_SPEAKER_SIMILARITY",
    "centroids",
    "cluster",
    "label_clusters",
    "match_known",
    "next_letter",
]

SAME_SPEAKER_SIMILARITY = 0.70
"""Average cosine similarity at or above which two clusters are merged as one speaker."""
KNOWN_SPEAKER_SIMILARITY = 0.70
"""Cosine similarity a cluster's centroid needs with a known speaker's reference to take that name."""


def cluster(embeddings: np.ndarray, *, threshold: float = SAME_SPEAKER_SIMILARITY) -> np.ndarray:
    """Average-linkage agglomerative clustering on cosine similarity.

    Parameters
    ----------
    embeddings : ndarray, shape (n, d)
        Unit-length embeddings.
    threshold : float
        Stop merging when the best average similarity between two clusters is below this.

    Returns
    -------
    ndarray of int, shape (n,)
        Cluster index per embedding, numbered in order of first appearance (0, 1, …).

    Examples
    --------
    >>> cluster(np.eye(3, dtype=np.float32)).tolist()
    [0, 1, 2]
    >>> cluster(np.zeros((0, 4), np.float32)).tolist()
    []
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    n = len(embeddings)
    if n < 2:
        return np.zeros(n, dtype=int)
    distances = np.clip(pdist(np.asarray(embeddings, dtype=np.float64), "cosine"), 0.0, 2.0)
    tree = linkage(distances, method="average")  # average distance = 1 − average cosine similarity
    labels = fcluster(tree, t=1.0 - threshold, criterion="distance")
    return _renumber(np.asarray(labels, dtype=int))


def _renumber(labels: np.ndarray) -> np.ndarray:
    order: dict[int, int] = {}
    for label in labels.tolist():
        order.setdefault(label, len(order))
    return np.array([order[label] for label in labels.tolist()], dtype=int)


def centroids(embeddings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Unit-length mean embedding per cluster, shape (n_clusters, d).

    Examples
    --------
    >>> centroids(np.array([[1.0, 0], [0, 1]]), np.array([0, 0])).round(3).tolist()
    [[0.707, 0.707]]
    """
    count = int(labels.max()) + 1 if len(labels) else 0
    if not count:
        return np.asarray(embeddings)[:0]
    means = np.stack([embeddings[labels == k].mean(axis=0) for k in range(count)])
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    return means / np.maximum(norms, 1e-12)


def _letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA …"""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def next_letter(taken: Collection[str]) -> str:
    """The first of ``A``, ``B``, … ``Z``, ``AA`` … not in ``taken``.

    Examples
    --------
    >>> next_letter([]), next_letter(["A", "B", "agent"])
    ('A', 'C')
    """
    index = 0
    while _letters(index) in taken:
        index += 1
    return _letters(index)


def label_clusters(
    labels: Sequence[int] | np.ndarray,
    names: Mapping[int, str] | None = None,
    *,
    reserved: Collection[str] = (),
) -> np.ndarray:
    """Speaker label per window: a known name where ``names`` gives one, else ``A``, ``B``, … by first
    appearance among the unnamed clusters, skipping the names in ``reserved`` (all known speakers' names, so
    that an unknown speaker never takes one of them).

    Examples
    --------
    >>> label_clusters([0, 1, 2, 1], {1: "agent"}).tolist()
    ['A', 'agent', 'B', 'agent']
    >>> label_clusters([0, 1], {1: "A"}, reserved=["A", "B"]).tolist()
    ['C', 'A']
    """
    names = dict(names or {})
    taken = set(reserved) | set(names.values())
    letters: dict[int, str] = {}
    out = []
    for label in np.asarray(labels, dtype=int).tolist():
        if label in names:
            out.append(names[label])
            continue
        if label not in letters:
            letters[label] = next_letter(taken)
            taken.add(letters[label])
        out.append(letters[label])
    return np.array(out, dtype=object)


def match_known(
    cluster_centroids: np.ndarray,
    known: Mapping[str, np.ndarray],
    *,
    threshold: float = KNOWN_SPEAKER_SIMILARITY,
) -> dict[int, str]:
    """Give clusters the names of known speakers: best (cluster, name) pairs first, one name per cluster and
    one cluster per name, each at or above ``threshold``.

    Examples
    --------
    >>> c = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> match_known(c, {"agent": np.array([0.1, 0.995]), "customer": np.array([0.0, -1.0])})
    {1: 'agent'}
    """
    pairs = sorted(
        ((float(cluster_centroids[k] @ ref), k, name) for name, ref in known.items()
         for k in range(len(cluster_centroids))),
        reverse=True,
    )
    names: dict[int, str] = {}
    taken: set[str] = set()
    for score, k, name in pairs:
        if score < threshold or k in names or name in taken:
            continue
        names[k] = name
        taken.add(name)
    return names
