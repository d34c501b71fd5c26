"""The scikit-learn estimator :class:`HierarchicalSegmenter`: tree, cut, consolidation."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances_argmin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from clientseg._core.validation import check_estimator_input, check_options, check_scalar
from clientseg.exceptions import (
    DataQualityWarning,
    EmptyDataError,
    InvalidDataError,
    InvalidParameterError,
)
from clientseg.hierarchy._stream import StreamingMixin, forget_stream
from clientseg.hierarchy._tree import (
    WardTree,
    _build_tree,
    _check_weights,
    _n_distinct_rows,
    _total_inertia,
)

__all__ = ["EXACT_MAX_SAMPLES", "HierarchicalSegmenter"]

#: ``strategy="auto"`` builds the exact tree up to this many rows, the two-stage one above.
EXACT_MAX_SAMPLES = 20_000


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
        check_estimator_input(X, param="X")
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
        from clientseg.hierarchy.cut._select import _select  # cut imports this module: import here

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
        check_estimator_input(X, param="X")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return pairwise_distances_argmin(X, self.cluster_centers_).astype(np.int64)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the dendrogram with the cut and the inertia gains (``plot_dendrogram``)."""
        check_is_fitted(self)
        from clientseg.hierarchy._plotting import plot_dendrogram

        return plot_dendrogram(self, ax=ax, **kwargs)
