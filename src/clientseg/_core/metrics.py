"""Validity indices shared by the cut criteria and the quality report (one home each).

Both :func:`clientseg.select_cut` (one partition per k) and
:func:`clientseg.segment_quality` (the chosen partition) read the same definitions, so a
Davies–Bouldin or silhouette value means the same thing in both tables.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__: list[str] = []  # private module

#: Memory (MiB) of one block of pairwise distances in the silhouette.
SILHOUETTE_BLOCK_MIB = 64


def centres_and_scatter(X: np.ndarray, labels: np.ndarray,
                        k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each segment's centre and mean Euclidean distance to it (labels 0..k-1)."""
    counts = np.bincount(labels, minlength=k).astype(float)
    centres = np.zeros((k, X.shape[1]))
    np.add.at(centres, labels, X)
    with np.errstate(divide="ignore", invalid="ignore"):
        centres /= counts[:, None]
        dist = np.sqrt(((X - centres[labels]) ** 2).sum(axis=1))
        scatter = np.bincount(labels, weights=dist, minlength=k) / counts
    return centres, scatter


def davies_bouldin(centres: np.ndarray, scatter: np.ndarray) -> float:
    """Davies–Bouldin ``mean_s max_{t != s} (S_s + S_t) / D_st``, as scikit-learn defines it.

    ``S``: mean distance of a segment's rows to its centre; ``D``: distance between
    centres. Two segments with the same centre are infinitely badly separated (``inf``).
    """
    gaps = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (scatter[:, None] + scatter[None, :]) / gaps
    ratio[gaps == 0] = np.inf
    np.fill_diagonal(ratio, -np.inf)
    return float(np.mean(np.max(ratio, axis=1)))


def silhouette(Z: np.ndarray, codes: np.ndarray, k: int) -> dict[str, Any]:
    """Per-segment and overall mean silhouette of the rows given (sample them before).

    The distances are formed in blocks of :data:`SILHOUETTE_BLOCK_MIB` (scikit-learn's
    default working memory, 1 GiB, holds a 10,000-row sample's whole distance matrix at
    once: 760 MiB, and slower, as the blocks no longer fit in cache). With fewer than two
    segments present, or one row per segment, the silhouette is undefined: every value is
    NaN.
    """
    from sklearn import config_context
    from sklearn.metrics import silhouette_samples

    n_rows = np.bincount(codes, minlength=k)
    n_labels = np.count_nonzero(n_rows)
    if n_labels < 2 or n_labels == codes.shape[0]:  # undefined (scikit-learn refuses both)
        return {"per_segment": np.full(k, np.nan), "overall": np.nan, "n_rows": n_rows}
    with config_context(working_memory=SILHOUETTE_BLOCK_MIB):
        s = silhouette_samples(Z, codes)
    sums = np.bincount(codes, weights=s, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_segment = sums / n_rows
    return {"per_segment": per_segment, "overall": float(s.mean()), "n_rows": n_rows}
