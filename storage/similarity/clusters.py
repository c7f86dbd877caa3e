"""Needs nobody grouped yet, gathered into clusters the staff can turn into proposals.

Average-linkage agglomerative clustering over cosine distance, cut at a
distance rather than at a number of clusters: nobody knows in advance how
many topics hundreds of needs hold, and a need that resembles nothing should
stay alone rather than be forced into the nearest group. Average linkage (not
single) keeps a chain of loosely related needs from merging two topics
through one two-topic need. scikit-learn's AgglomerativeClustering does it on
the precomputed matrix; 1,000 needs take well under a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storage.similarity.index import SimilarityIndex


def clusters(
    index: SimilarityIndex, need_ids: Sequence[int], *, threshold: float | None = None
) -> list[list[int]]:
    """Clusters of two or more needs, largest first; each list in the given order of ids.

    ``threshold`` is the average similarity a cluster keeps (default: the
    index's). Needs that resemble no other are left out.
    """
    return [group for group in partition(index, need_ids, threshold=threshold) if len(group) > 1]


def partition(
    index: SimilarityIndex, need_ids: Sequence[int], *, threshold: float | None = None
) -> list[list[int]]:
    """Every need in exactly one group (singletons included), largest group first."""
    ids = list(dict.fromkeys(need_ids))
    if len(ids) < 2:
        return [ids] if ids else []
    cut = index.thresholds.cluster if threshold is None else threshold
    labels = _labels(index.pairwise(ids), 1.0 - cut)
    groups: dict[int, list[int]] = {}
    for need_id, label in zip(ids, labels, strict=True):
        groups.setdefault(int(label), []).append(need_id)
    ordered = sorted(groups.values(), key=lambda group: (-len(group), ids.index(group[0])))
    return ordered


def _labels(similarity: Any, distance: float) -> Any:
    import numpy
    from sklearn.cluster import AgglomerativeClustering

    distances = numpy.clip(1.0 - similarity, 0.0, 2.0)
    numpy.fill_diagonal(distances, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=distance,
    )
    return model.fit_predict(distances)


def duplicate_pairs(
    index: SimilarityIndex, need_ids: Sequence[int], *, threshold: float | None = None
) -> list[tuple[int, int, float]]:
    """Pairs of needs so alike they are likely one need written twice, most alike first."""
    ids = list(dict.fromkeys(need_ids))
    if len(ids) < 2:
        return []
    cut = index.thresholds.duplicate if threshold is None else threshold
    import numpy

    similarity = index.pairwise(ids)
    rows, cols = numpy.nonzero(numpy.triu(similarity >= cut, k=1))
    pairs = [(ids[i], ids[j], float(similarity[i, j])) for i, j in zip(rows, cols, strict=True)]
    pairs.sort(key=lambda pair: -pair[2])
    return pairs
