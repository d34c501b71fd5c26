"""Ward hierarchies: exact and weighted trees, two-stage trees for millions of customers.

The "classification ascendante hiérarchique" of the marketing literature: every customer
starts as its own class, the two classes whose merge raises the within-class inertia the
least are merged, and so on until one class is left; the analyst then cuts the tree.

* :func:`ward_linkage` / :func:`ward_tree`: the exact (optionally weighted) Ward tree in
  O(n·d) memory, as a scipy linkage matrix or as a :class:`WardTree` that also keeps the
  inertia gain of every merge, the node centroids and masses, and cuts at any k.
* :class:`HierarchicalSegmenter`: the scikit-learn estimator; exact tree for small bases,
  two-stage (k-means micro-clusters, then the weighted tree on their centroids) for large
  ones, optional k-means consolidation after the cut.
* :class:`MixedDataEncoder`: numeric and categorical criteria to a Euclidean space in which
  distances are those of factor analysis of mixed data (FAMD).

Ward's merge cost of clusters A and B (centroids c, masses w) is
``Δ = w_A w_B / (w_A + w_B) · ||c_A − c_B||²``. Linkage heights follow scipy's convention
``sqrt(2 Δ)`` (for two points: their distance), so scipy's ``dendrogram``, ``fcluster``
and ``is_valid_linkage`` accept the matrices, and on the same data the heights equal
``scipy.cluster.hierarchy.linkage(X, "ward")``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances_argmin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from clientseg._hierarchy_encoding import MixedDataEncoder
from clientseg._hierarchy_stream import StreamingMixin, forget_stream
from clientseg._hierarchy_ward import ward_merges
from clientseg._validation import check_array, check_length, check_options, check_scalar
from clientseg.exceptions import (
    DataQualityWarning,
    EmptyDataError,
    InvalidDataError,
    InvalidParameterError,
)

__all__ = [
    "HierarchicalSegmenter",
    "MixedDataEncoder",
    "WardTree",
    "ward_linkage",
    "ward_tree",
]

#: ``strategy="auto"`` builds the exact tree up to this many rows, the two-stage one above.
EXACT_MAX_SAMPLES = 20_000

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
        return _cut_roots(self.linkage, k)[: self.n_leaves]

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
        from clientseg._plotting_hierarchy import plot_dendrogram

        return plot_dendrogram(self, ax=ax, **kwargs)


def _cut_roots(Z: np.ndarray, k: int) -> np.ndarray:
    """Segment (node id) of every node, leaves then merges, at the k cut of linkage ``Z``.

    Nodes above the cut map to themselves. Pointer jumping: O(n log depth), vectorised.
    """
    n = Z.shape[0] + 1
    n_merges = n - k
    parent = np.arange(2 * n - 1)
    children = Z[:n_merges, :2].astype(np.int64)
    made = n + np.arange(n_merges)
    parent[children[:, 0]] = made
    parent[children[:, 1]] = made
    while True:
        up = parent[parent]
        if np.array_equal(up, parent):
            return parent
        parent = up


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
    heights = np.maximum.accumulate(np.sqrt(2.0 * np.maximum(gains, 0.0)))
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


@dataclass(frozen=True)
class _Micro:
    centroids: np.ndarray
    weights: np.ndarray
    labels: np.ndarray  # micro-cluster of every row
    within: float


def _assign_stats(
    X: np.ndarray, w: np.ndarray, labels: np.ndarray, m: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Exact weighted centroids of each label, dropping empty ones; within-inertia."""
    mass = np.bincount(labels, weights=w, minlength=m)
    used = mass > 0
    remap = np.cumsum(used) - 1
    labels = remap[labels]
    mass = mass[used]
    m = mass.size
    sums = np.empty((m, X.shape[1]))
    for col in range(X.shape[1]):  # one O(n) bincount per feature
        sums[:, col] = np.bincount(labels, weights=w * X[:, col], minlength=m)
    centroids = sums / mass[:, None]
    within = 0.0
    chunk = 65_536
    for start in range(0, X.shape[0], chunk):
        sl = slice(start, start + chunk)
        diff = X[sl] - centroids[labels[sl]]
        within += float(w[sl] @ np.einsum("ij,ij->i", diff, diff))
    return centroids, mass, labels, within


def _micro_clusters(X: np.ndarray, w: np.ndarray, n_micro: int, random_state: Any) -> _Micro:
    """k-means micro-clusters: fit on a sample, assign every row, exact centroids."""
    n = X.shape[0]
    rng = check_random_state(random_state)
    n_micro = min(n_micro, n)
    n_fit = min(n, max(30 * n_micro, 20_000))
    if n_fit < n:
        idx = rng.choice(n, size=n_fit, replace=False)
        sample, sample_w = X[idx], w[idx]
    else:
        sample, sample_w = X, w
    with warnings.catch_warnings():
        # Fewer distinct points than micro-clusters: the empty ones are dropped below.
        warnings.filterwarnings("ignore", message="Number of distinct clusters")
        # Micro-clusters only need to be small and compact: Lloyd from random rows of the
        # sample gets there; k-means++ seeding (a Python loop over the k centres) would
        # cost more than all the rest of the fit.
        init = sample[rng.choice(sample.shape[0], size=n_micro, replace=False)]
        km = KMeans(n_clusters=n_micro, init=init, n_init=1, max_iter=50, tol=1e-4)
        km.fit(sample, sample_weight=sample_w)
    labels = km.labels_ if n_fit == n else km.predict(X)
    centroids, mass, labels, within = _assign_stats(X, w, labels, n_micro)
    return _Micro(centroids, mass, labels, within)


class HierarchicalSegmenter(StreamingMixin, ClusterMixin, BaseEstimator):
    """Ward hierarchical segmentation, exact or two-stage, with optional consolidation.

    Parameters
    ----------
    n_segments : int or "auto", default 2
        Where to cut the tree: the number of segments, or ``"auto"`` to let
        :func:`clientseg.select_cut` choose it in ``k_range`` on the tree just built
        (its default rule; the result is kept in :attr:`cut_`).
    strategy : {"auto", "exact", "two_stage"}, default "auto"
        ``"exact"``: the Ward tree of every row (time grows as n²; memory O(n·d)).
        ``"two_stage"``: k-means into ``n_micro`` micro-clusters, then the weighted Ward tree
        of their centroids (as FactoMineR's HCPC with ``kk``). ``"auto"``: exact up to
        ``EXACT_MAX_SAMPLES`` (20,000) rows, two-stage above.
    n_micro : int, default 500
        Number of micro-clusters of the two-stage strategy (at least ``n_segments``).
    consolidate : bool, default False
        After the cut, run k-means started from the cut's centroids (HCPC's
        ``consol``); :attr:`consolidation_` reports the between-inertia before and after.
    k_range : (int, int), default (2, 10)
        With ``n_segments="auto"``: the smallest and largest k considered (clipped to the
        tree's leaves). Start it at 1 to allow the answer "no structure".
    cut_options : dict, optional
        With ``n_segments="auto"``: more arguments of :func:`clientseg.select_cut`
        (``rule``, ``criteria``, ``min_segment_share``, ``sample_size``, ...).
    random_state : int, RandomState or None, default None
        Seeds the micro-clusters' k-means and, with ``"auto"``, the cut criteria's samples
        (the exact tree is deterministic).
    progress : bool, default False
        Show a progress bar over the merges (needs ``tqdm``).

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Segment of every row, 0..n_segments_-1, numbered by decreasing mass (the largest
        segment is 0).
    n_segments_ : int
    cut_ : CutResult or None
        With ``n_segments="auto"``: every cut criterion for every k, each one's pick and the
        reason for the chosen k; None otherwise.
    linkage_ : ndarray of shape (n_leaves - 1, 4)
        scipy linkage of the tree (leaves: rows, or micro-clusters in two-stage).
    tree_ : WardTree
        The tree with its inertia bookkeeping: ``tree_.to_frame()`` gives the within-inertia
        of every k in O(n).
    micro_labels_ : ndarray of shape (n_samples,)
        Leaf of the tree holding every row (the row's own leaf in the exact strategy;
        -1 for rows of zero weight, which are not in the tree).
    cluster_centers_ : ndarray of shape (n_segments_, n_features)
    inertia_ : float
        Within-segment inertia (weighted sum of squared distances to the centres).
    strategy_ : str
        The strategy used (``"exact"`` or ``"two_stage"``).
    consolidation_ : dict or None
        With ``consolidate=True``: ``between_before``, ``between_after``, ``n_iter`` and
        ``n_moved`` (rows whose segment changed).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when fitted on a DataFrame with string column names.
    micro_centers_, micro_segments_, encoder_, n_rows_, sample_, sample_index_ :
        Only after :meth:`fit_stream` (bases beyond memory, read chunk by chunk): the
        micro-cluster centres rows are assigned to, the segment of each micro-cluster, the
        encoder learned from the chunks (or None), the number of rows read, and the
        reservoir sample (encoded) with its places in the stream. ``labels_`` and
        ``micro_labels_`` then hold the sample's rows only; :meth:`labels_stream` labels
        every row. See ``docs/user_guide/scale.md``.

    Notes
    -----
    Rows with a zero ``sample_weight`` do not enter the tree; they are assigned to the
    nearest segment centre, as :meth:`predict` would.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from clientseg import HierarchicalSegmenter
    >>> X, y = make_blobs(300, centers=3, random_state=0)
    >>> seg = HierarchicalSegmenter(n_segments=3).fit(X)
    >>> seg.n_segments_, seg.linkage_.shape
    (3, (299, 4))
    >>> bool(np.isclose(seg.inertia_, seg.tree_.within_inertia(3)))
    True
    """

    def __init__(
        self,
        n_segments: int | str = 2,
        *,
        strategy: str = "auto",
        n_micro: int = 500,
        consolidate: bool = False,
        k_range: tuple[int, int] = (2, 10),
        cut_options: dict[str, Any] | None = None,
        random_state: Any = None,
        progress: bool = False,
    ) -> None:
        self.n_segments = n_segments
        self.strategy = strategy
        self.n_micro = n_micro
        self.consolidate = consolidate
        self.k_range = k_range
        self.cut_options = cut_options
        self.random_state = random_state
        self.progress = progress

    def _check_params(self) -> None:
        if self.n_segments != "auto":
            if isinstance(self.n_segments, str):
                raise InvalidParameterError(
                    f"Parameter 'n_segments' must be an int >= 1 or 'auto'; got "
                    f"{self.n_segments!r}."
                )
            check_scalar("n_segments", self.n_segments, kind=int, low=1)
        if self.cut_options is not None and not isinstance(self.cut_options, dict):
            raise InvalidParameterError(
                f"Parameter 'cut_options' must be a dict of select_cut arguments; got "
                f"{type(self.cut_options).__name__}."
            )
        check_options("strategy", self.strategy, ("auto", "exact", "two_stage"))
        check_scalar("n_micro", self.n_micro, kind=int, low=2)
        check_options("consolidate", self.consolidate, (True, False))
        check_options("progress", self.progress, (True, False))
        if (self.strategy == "two_stage" and isinstance(self.n_segments, int)
                and self.n_micro < self.n_segments):
            raise InvalidParameterError(
                f"Parameter 'n_micro' ({self.n_micro}) is smaller than n_segments "
                f"({self.n_segments}): the tree on the micro-clusters cannot be cut there. "
                f"Pass n_micro >= n_segments (a few hundred or more is usual)."
            )

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> HierarchicalSegmenter:
        """Build the tree and cut it into ``n_segments`` segments.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric data (encode categorical criteria with :class:`MixedDataEncoder`).
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative masses (a row of weight 3 counts as 3 identical rows).

        Returns
        -------
        self
        """
        self._check_params()
        forget_stream(self)
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        n = X.shape[0]
        w = _check_weights(sample_weight, n, allow_zero=True)
        auto = self.n_segments == "auto"
        k = 1 if auto else int(self.n_segments)
        in_tree = np.flatnonzero(w > 0)
        n_tree = in_tree.size
        if n_tree < 2:
            raise EmptyDataError(
                f"X has {n_tree} row with a positive weight; at least 2 are needed to build "
                f"a tree. Give more rows a positive sample_weight."
            )
        if k > n_tree:
            raise InvalidParameterError(
                f"Parameter 'n_segments' is {k} but X has only {n_tree:,} rows with a "
                f"positive weight. Pass n_segments <= {n_tree:,}."
            )
        strategy = self.strategy
        if strategy == "auto":
            strategy = "exact" if n_tree <= EXACT_MAX_SAMPLES else "two_stage"
        Xt, wt = X[in_tree], w[in_tree]
        total = _total_inertia(Xt, wt)
        if strategy == "exact":
            tree = _build_tree(
                Xt, wt, leaf_inertia=0.0, total_inertia=total, progress=self.progress
            )
            micro = np.arange(n_tree)
        else:
            mc = _micro_clusters(Xt, wt, self.n_micro, self.random_state)
            if mc.weights.size < k:
                raise InvalidParameterError(
                    f"Only {mc.weights.size:,} non-empty micro-clusters were found, fewer "
                    f"than n_segments={k}. Pass a larger n_micro or fewer segments."
                )
            if mc.weights.size < 2:
                raise InvalidDataError(
                    f"All rows of X fall into one micro-cluster (identical rows?); "
                    f"there is nothing to segment: the {n_tree:,} rows have "
                    f"{_n_distinct_rows(Xt):,} distinct value(s). Check the encoding of X, or "
                    f"pass strategy='exact', which keeps every row as a leaf."
                )
            tree = _build_tree(
                mc.centroids,
                mc.weights,
                leaf_inertia=mc.within,
                total_inertia=total,
                progress=self.progress,
            )
            micro = mc.labels
        cut = None
        if auto:
            cut = self._auto_cut(tree, None if strategy == "exact" else micro, Xt)
            k = cut.k
        n_distinct = _n_distinct_rows(tree.leaf_centroids)
        if n_distinct < k:
            warnings.warn(
                f"X has only {n_distinct:,} distinct rows but n_segments={k}: "
                f"{k - n_distinct} segment(s) will share a centre. Pass n_segments <= "
                f"{n_distinct:,}.",
                DataQualityWarning,
                stacklevel=2,
            )
        labels_tree = tree.labels(k)[micro]
        centers = tree.centroids(k)
        consolidation = None
        if self.consolidate and k > 1:
            km = KMeans(n_clusters=k, init=centers, n_init=1, random_state=0)
            km.fit(Xt, sample_weight=wt)
            new_labels = km.labels_.astype(np.int64)
            between_before = total - tree.within_inertia(k)
            centers_after = np.asarray(km.cluster_centers_)
            consolidation = {
                "between_before": float(between_before),
                "between_after": float(total - km.inertia_),
                "n_iter": int(km.n_iter_),
                "n_moved": int((new_labels != labels_tree).sum()),
            }
            labels_tree, centers = new_labels, centers_after
        labels = np.empty(n, dtype=np.int64)
        labels[in_tree] = labels_tree
        if n_tree < n:
            out = np.setdiff1d(np.arange(n), in_tree)
            labels[out] = pairwise_distances_argmin(X[out], centers)
        diff = Xt - centers[labels_tree]
        self.inertia_ = float(wt @ np.einsum("ij,ij->i", diff, diff))
        self.labels_ = labels
        self.n_segments_ = int(k)
        self.cut_ = cut
        self.tree_ = tree
        self.linkage_ = np.array(tree.linkage)
        self.micro_labels_ = np.full(n, -1, dtype=np.int64)
        self.micro_labels_[in_tree] = micro
        self.cluster_centers_ = centers
        self.strategy_ = strategy
        self.consolidation_ = consolidation
        return self

    def _auto_cut(self, tree: WardTree, leaves: np.ndarray | None, X: np.ndarray) -> Any:
        """Choose k on the tree just built with select_cut's engine (k_range clipped)."""
        from clientseg.cut import _select  # cut imports this module: import here

        if (not isinstance(self.k_range, tuple | list) or len(self.k_range) != 2):
            raise InvalidParameterError(
                f"Parameter 'k_range' must be a pair (k_min, k_max); got {self.k_range!r}."
            )
        for k in self.k_range:
            check_scalar("k_range", k, kind=int, low=1)
        if self.k_range[0] > self.k_range[1]:
            raise InvalidParameterError(
                f"Parameter 'k_range' is {tuple(self.k_range)}: k_min is above k_max. Swap "
                f"them."
            )
        k_hi = min(int(self.k_range[1]), max(tree.n_leaves - 1, 1))
        k_lo = min(int(self.k_range[0]), k_hi)
        options: dict[str, Any] = {
            "criteria": None, "rule": "default", "min_segment_share": None,
            "min_segment_value": None, "value": None, "sample_size": 2_000,
            "gap_sample_size": 1_000, "n_references": 20,
        }
        unknown = sorted(set(self.cut_options or {}) - set(options))
        if unknown:
            raise InvalidParameterError(
                f"Parameter 'cut_options' has {len(unknown)} unknown key(s): {unknown}. "
                f"Known: {sorted(options)}."
            )
        options.update(self.cut_options or {})
        return _select(tree, leaves, X, k_range=(k_lo, k_hi),
                       random_state=self.random_state, **options)

    def predict(self, X: Any) -> np.ndarray:
        """Assign rows to the nearest segment centre (Euclidean).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New customers, encoded as the data the segmenter was fitted on.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return pairwise_distances_argmin(X, self.cluster_centers_).astype(np.int64)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the dendrogram with the cut and the inertia gains (``plot_dendrogram``)."""
        check_is_fitted(self)
        from clientseg._plotting_hierarchy import plot_dendrogram

        return plot_dendrogram(self, ax=ax, **kwargs)
