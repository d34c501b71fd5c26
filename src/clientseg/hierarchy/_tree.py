"""The Ward tree: :class:`WardTree`, :func:`ward_tree`, :func:`ward_linkage` (exact or weighted)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clientseg._core.validation import check_array, check_length, check_options, check_scalar
from clientseg.exceptions import (
    InvalidDataError,
    InvalidParameterError,
)
from clientseg.hierarchy._ward import MAX_WEIGHT_RATIO, cut_roots, ward_merges

__all__ = ["TREE_COLUMNS", "WardTree", "ward_linkage", "ward_tree"]

#: Column names of :meth:`WardTree.to_frame`.
TREE_COLUMNS = ("within_inertia", "between_inertia", "r_squared", "gain", "height")


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class WardTree:
    """A fitted Ward tree: scipy linkage plus the inertia bookkeeping that cuts need.

    Leaves are the rows of the data (exact tree) or the micro-clusters (two-stage tree).
    Inertia is the weighted sum of squared distances to centroids (not divided by the
    total mass), as scikit-learn's ``KMeans.inertia_``.

    Attributes
    ----------
    linkage : ndarray of shape (n_leaves - 1, 4)
        scipy linkage matrix: merged ids, height ``sqrt(2 · gain)`` and number of leaves.
    gains : ndarray of shape (n_leaves - 1,)
        Inertia added by each merge (Ward's cost), in merge order (non-decreasing).
    leaf_weights : ndarray of shape (n_leaves,)
        Mass of each leaf (1 per row unweighted; the micro-cluster's mass in two-stage).
    leaf_centroids : ndarray of shape (n_leaves, n_features)
        Centroid of each leaf.
    node_weights : ndarray of shape (n_leaves - 1,)
        Mass of the cluster made by each merge.
    node_centroids : ndarray of shape (n_leaves - 1, n_features)
        Centroid of the cluster made by each merge.
    leaf_inertia : float
        Within-inertia of the leaves themselves: 0 for rows, the micro-clusters'
        within-inertia in two-stage (so that ``leaf_inertia + gains.sum() ==
        total_inertia``).
    total_inertia : float
        Inertia of the whole data about their mean.
    """

    linkage: np.ndarray
    gains: np.ndarray
    leaf_weights: np.ndarray
    leaf_centroids: np.ndarray
    node_weights: np.ndarray
    node_centroids: np.ndarray
    leaf_inertia: float
    total_inertia: float

    @property
    def n_leaves(self) -> int:
        """Number of leaves of the tree."""
        return int(self.leaf_weights.shape[0])

    def _check_k(self, k: Any) -> int:
        check_scalar("k", k, kind=int, low=1)
        if k > self.n_leaves:
            raise InvalidParameterError(
                f"Parameter 'k' is {k} but the tree has only {self.n_leaves:,} leaves. "
                f"Pass k <= {self.n_leaves:,}."
            )
        return int(k)

    def within_inertia(self, k: int) -> float:
        """Within-segment inertia of the k-segment cut, read off the tree.

        Parameters
        ----------
        k : int
            Number of segments, 1..n_leaves.

        Returns
        -------
        float
            Inertia of the leaves plus the gains of the first ``n_leaves - k`` merges.

        Examples
        --------
        >>> import numpy as np
        >>> from clientseg import ward_tree
        >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
        >>> ward_tree(X).within_inertia(2)
        1.0
        """
        k = self._check_k(k)
        n_merges = self.n_leaves - k
        return float(self.leaf_inertia + self.gains[:n_merges].sum())

    def to_frame(self) -> pd.DataFrame:
        """One row per number of segments k (1..n_leaves): the inertia of every cut in O(n).

        Columns: ``within_inertia``, ``between_inertia`` (total − within), ``r_squared``
        (between / total), ``gain`` (inertia added by the merge that goes from k to k − 1
        segments, NaN at k = 1) and ``height`` (that merge's linkage height).

        Examples
        --------
        >>> import numpy as np
        >>> from clientseg import ward_tree
        >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
        >>> ward_tree(X).to_frame()["within_inertia"].tolist()
        [101.0, 1.0, 0.5, 0.0]
        """
        n = self.n_leaves
        k = np.arange(1, n + 1)
        # After t merges there are n - t segments: within = leaf + cumsum(gains)[t - 1].
        cum = np.concatenate([[0.0], np.cumsum(self.gains)])
        within = self.leaf_inertia + cum[n - k]
        gain = np.full(n, np.nan)
        height = np.full(n, np.nan)
        # The merge going from k to k - 1 segments is merge number n - k (0-based).
        gain[1:] = self.gains[n - k[1:]]
        height[1:] = self.linkage[n - k[1:], 2]
        total = self.total_inertia
        between = total - within
        r2 = between / total if total > 0 else np.zeros(n)
        return pd.DataFrame(
            dict(zip(TREE_COLUMNS, (within, between, r2, gain, height), strict=True)),
            index=pd.Index(k, name="k"),
        )

    def _roots(self, k: int) -> np.ndarray:
        """Node id of every leaf's segment at the k cut."""
        return cut_roots(self.linkage, k)[: self.n_leaves]

    def labels(self, k: int) -> np.ndarray:
        """Segment of every leaf at the k cut, numbered 0..k-1 by decreasing mass.

        Segments of equal mass are ordered by their centroids (lexicographically), so the
        numbering depends neither on row order nor on whether a weight or repeated rows
        carry a mass.

        Parameters
        ----------
        k : int
            Number of segments, 1..n_leaves.

        Returns
        -------
        ndarray of shape (n_leaves,)
            int64 segment numbers.

        Examples
        --------
        >>> import numpy as np
        >>> from clientseg import ward_tree
        >>> X = np.array([[0.0], [10.0], [1.0], [11.0], [10.5]])
        >>> ward_tree(X).labels(2).tolist()
        [1, 0, 1, 0, 0]
        """
        k = self._check_k(k)
        roots, nodes = self._segments(k)
        rank = np.empty(2 * self.n_leaves - 1, dtype=np.int64)
        rank[nodes] = np.arange(nodes.size)
        return rank[roots]

    def _node_stats(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = self.n_leaves
        leaf = nodes < n
        mass = np.where(
            leaf,
            self.leaf_weights[np.minimum(nodes, n - 1)],
            self.node_weights[np.maximum(nodes - n, 0)],
        )
        cent = np.where(
            leaf[:, None],
            self.leaf_centroids[np.minimum(nodes, n - 1)],
            self.node_centroids[np.maximum(nodes - n, 0)],
        )
        return mass, cent

    def _segments(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(segment node of every leaf, segment nodes in label order) at the k cut."""
        roots = self._roots(k)
        nodes = np.unique(roots)
        mass, cent = self._node_stats(nodes)
        # lexsort: the last key is primary -> mass descending, then centroid coordinates.
        order = np.lexsort((*cent.T[::-1], -mass))
        return roots, nodes[order]

    def centroids(self, k: int) -> np.ndarray:
        """Centroids of the k segments (rows in the order of :meth:`labels`).

        Parameters
        ----------
        k : int
            Number of segments, 1..n_leaves.

        Returns
        -------
        ndarray of shape (k, n_features)
        """
        k = self._check_k(k)
        return self._node_stats(self._segments(k)[1])[1]

    def weights(self, k: int) -> np.ndarray:
        """Masses of the k segments (in the order of :meth:`labels`).

        Parameters
        ----------
        k : int
            Number of segments, 1..n_leaves.

        Returns
        -------
        ndarray of shape (k,)
        """
        k = self._check_k(k)
        return self._node_stats(self._segments(k)[1])[0]

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the dendrogram with the inertia gains (see ``plotting.plot_dendrogram``)."""
        from clientseg.hierarchy._plotting import plot_dendrogram

        return plot_dendrogram(self, ax=ax, **kwargs)


def _is_number(v: Any) -> bool:
    """Tell whether one weight converts to a float (numeric strings do, as in numpy)."""
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def _n_distinct_rows(X: np.ndarray) -> int:
    """Return the number of distinct rows of ``X``."""
    return int(np.unique(X, axis=0).shape[0])


def _check_weights(sample_weight: Any, n: int, *, allow_zero: bool = False) -> np.ndarray:
    """Return sample weights as a float array: finite, >= 0 (> 0 unless allowed)."""
    if sample_weight is None:
        return np.ones(n)
    w = check_length(sample_weight, param="sample_weight", n_expected=n)
    try:
        w = w.astype(np.float64)
    except (TypeError, ValueError) as exc:
        bad_rows = [i for i, v in enumerate(w.tolist()) if not _is_number(v)]
        first = f" (first at row {bad_rows[0]}: {str(w[bad_rows[0]])!r})" if bad_rows else ""
        raise InvalidDataError(
            f"sample_weight must be numeric ({exc}); {len(bad_rows):,} value(s) are not "
            f"numbers{first}. Pass one positive number per row, e.g. "
            f"pd.to_numeric(weights)."
        ) from exc
    bad = ~np.isfinite(w)
    if bad.any():
        raise InvalidDataError(
            f"sample_weight has {int(bad.sum()):,} values that are NaN or inf (first at row "
            f"{int(np.flatnonzero(bad)[0])}). Pass finite weights."
        )
    bad = w < 0 if allow_zero else w <= 0
    if bad.any():
        what = "negative" if allow_zero else "zero or negative"
        fix = "" if allow_zero else " Drop the rows with no weight before the call."
        raise InvalidDataError(
            f"sample_weight has {int(bad.sum()):,} values that are {what} (first at row "
            f"{int(np.flatnonzero(bad)[0])}). Weights are masses: pass positive weights.{fix}"
        )
    if allow_zero and not (w > 0).any():
        raise InvalidDataError(
            f"sample_weight is zero for all {n:,} rows; at least one positive weight is needed."
        )
    positive = w[w > 0]
    ratio = float(positive.max() / positive.min())
    if ratio > MAX_WEIGHT_RATIO:
        raise InvalidDataError(
            f"sample_weight spans a ratio of {ratio:.3g} between its largest (row "
            f"{int(np.argmax(w))}) and smallest positive weights; the Ward engine supports "
            f"ratios up to {MAX_WEIGHT_RATIO:.0e}. Rescale or cap the weights, e.g. "
            f"np.clip(w, w.max() / {MAX_WEIGHT_RATIO:.0e}, None)."
        )
    return w


def _total_inertia(X: np.ndarray, w: np.ndarray, chunk: int = 65_536) -> float:
    mean = (w @ X) / w.sum()
    total = 0.0
    for start in range(0, X.shape[0], chunk):
        diff = X[start : start + chunk] - mean
        total += float(w[start : start + chunk] @ np.einsum("ij,ij->i", diff, diff))
    return total


def _build_tree(
    centroids: np.ndarray,
    weights: np.ndarray,
    *,
    leaf_inertia: float,
    total_inertia: float,
    progress: bool,
) -> WardTree:
    merges = ward_merges(centroids, weights, progress=progress)
    gains = merges.gains
    # Heights are sqrt(2 gain); the heap gives non-decreasing gains up to rounding, and a
    # running maximum keeps the heights monotone for scipy's tools.
    heights = np.maximum.accumulate(merges.heights)
    Z = np.column_stack([merges.children.astype(np.float64), heights, merges.sizes])
    return WardTree(
        linkage=_readonly(Z),
        gains=_readonly(gains),
        leaf_weights=_readonly(np.array(weights, dtype=np.float64)),
        leaf_centroids=_readonly(np.array(centroids, dtype=np.float64)),
        node_weights=_readonly(merges.weights),
        node_centroids=_readonly(merges.centroids),
        leaf_inertia=float(leaf_inertia),
        total_inertia=float(total_inertia),
    )


def ward_tree(X: Any, sample_weight: Any = None, *, progress: bool = False) -> WardTree:
    """Build the exact Ward tree of the rows of ``X`` (weighted if ``sample_weight`` given).

    Nearest-neighbour search on centroids and masses (O(n·d) memory, no n² distance
    matrix); see ``docs/user_guide/hierarchy.md`` for the algorithm and its cost.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Numeric data (encode categorical criteria first with :class:`MixedDataEncoder`).
        At least 2 rows; NaN and inf are refused.
    sample_weight : array-like of shape (n_samples,), optional
        Positive masses. A row of weight 3 counts exactly as 3 identical rows.
    progress : bool, default False
        Show a progress bar over the merges (needs ``tqdm``).

    Returns
    -------
    WardTree

    Examples
    --------
    >>> import numpy as np
    >>> from clientseg import ward_tree
    >>> tree = ward_tree(np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 0.0], [5.0, 1.0]]))
    >>> tree.labels(2).tolist()
    [0, 0, 1, 1]
    >>> round(tree.within_inertia(2), 6), round(tree.total_inertia, 6)
    (1.0, 26.0)
    """
    arr = check_array(X, param="X", min_samples=2)
    w = _check_weights(sample_weight, arr.shape[0])
    check_options("progress", progress, (True, False))
    return _build_tree(
        arr, w, leaf_inertia=0.0, total_inertia=_total_inertia(arr, w), progress=progress
    )


def ward_linkage(X: Any, sample_weight: Any = None) -> np.ndarray:
    """Return the Ward linkage matrix of the rows of ``X`` in scipy's format.

    Same tree and heights as ``scipy.cluster.hierarchy.linkage(X, "ward")`` (height of a
    merge = ``sqrt(2 Δ)``, Δ its inertia gain), without scipy's n² distance matrix, and
    with optional weights. Column 3 counts the leaves (rows) under each merge, as scipy
    requires; the masses are in :attr:`WardTree.node_weights`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Numeric data, at least 2 rows, no NaN or inf.
    sample_weight : array-like of shape (n_samples,), optional
        Positive masses (a row of weight 3 counts as 3 identical rows).

    Returns
    -------
    ndarray of shape (n_samples - 1, 4)

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.cluster.hierarchy import fcluster, linkage
    >>> from clientseg import ward_linkage
    >>> X = np.random.default_rng(0).normal(size=(30, 3))
    >>> Z = ward_linkage(X)
    >>> bool(np.allclose(Z, linkage(X, "ward")))
    True
    >>> fcluster(Z, 3, criterion="maxclust").max()
    np.int32(3)
    """
    return np.array(ward_tree(X, sample_weight).linkage)


# --------------------------------------------------------------------------------------
# Two-stage: micro-clusters then the weighted tree on their centroids
# --------------------------------------------------------------------------------------

