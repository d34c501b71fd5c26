"""Dendrogram with its cut and inertia-gain bars (private; public in ``clientseg.plotting``).

matplotlib and scipy's dendrogram are imported inside the function.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from clientseg._plotting_common import SEGMENT_COLORS, new_axes
from clientseg._validation import check_scalar
from clientseg.exceptions import InvalidDataError, InvalidParameterError

__all__ = ["plot_dendrogram"]


def _tree_parts(obj: Any) -> tuple[np.ndarray, np.ndarray, int | None]:
    """(linkage, gains, default cut) from a segmenter, a WardTree or a linkage matrix."""
    from clientseg.hierarchy import HierarchicalSegmenter, WardTree

    if isinstance(obj, HierarchicalSegmenter):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(obj)
        return np.asarray(obj.linkage_), np.asarray(obj.tree_.gains), obj.n_segments_
    if isinstance(obj, WardTree):
        return np.asarray(obj.linkage), np.asarray(obj.gains), None
    from scipy.cluster.hierarchy import is_valid_linkage

    Z = np.asarray(obj, dtype=np.float64) if isinstance(obj, np.ndarray | list) else None
    if Z is None or not is_valid_linkage(Z):
        raise InvalidDataError(
            f"plot_dendrogram needs a fitted HierarchicalSegmenter, a WardTree or a scipy "
            f"linkage matrix of shape (n - 1, 4); got {type(obj).__name__}"
            + (f" of shape {Z.shape}" if Z is not None else "")
            + ". Fit the segmenter or build the matrix with ward_linkage(X)."
        )
    # scipy's Ward height is sqrt(2 * gain).
    return Z, Z[:, 2] ** 2 / 2.0, None


def plot_dendrogram(
    tree: Any,
    *,
    ax: Any = None,
    truncate: int = 30,
    cut: int | None = None,
    n_gains: int = 15,
) -> Any:
    """Draw a Ward dendrogram with the cut line and the inertia-gain bars beside it.

    Parameters
    ----------
    tree : HierarchicalSegmenter, WardTree or ndarray
        A fitted segmenter (its cut is drawn by default), a :class:`WardTree`, or a scipy
        linkage matrix (Ward heights: gain = height² / 2).
    ax : matplotlib Axes, optional
        Where to draw the dendrogram; a new figure when None. The gain bars go in an
        inset Axes on its right.
    truncate : int, default 30
        Show at most this many leaves (scipy's ``truncate_mode="lastp"``); a leaf then
        stands for a whole subtree and is labelled with its number of leaves in brackets.
        Large trees are truncated, never refused.
    cut : int, optional
        Number of segments to mark: a horizontal line between the heights of the merges
        that make and unmake k segments, and the subtrees below it coloured by segment.
        Defaults to the segmenter's ``n_segments_``; none for a bare tree.
    n_gains : int, default 15
        Number of bars: the inertia gain of going from k to k - 1 segments, k = 2..n_gains+1.
        0 draws no bars.

    Returns
    -------
    matplotlib Axes
        The dendrogram's Axes.

    Examples
    --------
    >>> import numpy as np
    >>> from clientseg import ward_linkage
    >>> from clientseg.plotting import plot_dendrogram
    >>> Z = ward_linkage(np.random.default_rng(0).normal(size=(50, 2)))
    >>> ax = plot_dendrogram(Z, cut=3)
    >>> ax.get_ylabel()
    'Height (sqrt(2 x inertia gain))'
    """
    Z, gains, default_cut = _tree_parts(tree)
    n = Z.shape[0] + 1
    check_scalar("truncate", truncate, kind=int, low=2)
    check_scalar("n_gains", n_gains, kind=int, low=0)
    k = default_cut if cut is None else cut
    if k is not None:
        check_scalar("cut", k, kind=int, low=1)
        if k > n:
            raise InvalidParameterError(
                f"Parameter 'cut' is {k} but the tree has only {n:,} leaves. Pass cut <= {n:,}."
            )
    from scipy.cluster.hierarchy import dendrogram

    from clientseg.hierarchy import _cut_roots

    ax = new_axes(ax, figsize=(9.0, 4.8))
    heights = Z[:, 2]
    colour_of: dict[int, str] = {}
    cut_y = None
    if k is not None and 1 < k <= n:
        above = heights[n - k] if k > 1 else heights[-1]
        below = heights[n - k - 1] if n - k - 1 >= 0 else 0.0
        cut_y = (above + below) / 2.0
        roots = _cut_roots(Z, k)
        segments = {int(r): i for i, r in enumerate(dict.fromkeys(roots[:n].tolist()))}
        colour_of = {
            node: SEGMENT_COLORS[segments[int(roots[node])] % len(SEGMENT_COLORS)]
            for node in range(2 * n - 1)
            if int(roots[node]) in segments and node < n + (n - k)
        }

    def link_colour(node: int) -> str:
        return colour_of.get(node, "#555555")

    p = min(truncate, n)
    dendrogram(
        Z,
        ax=ax,
        truncate_mode="lastp" if p < n else None,
        p=p,
        link_color_func=link_colour,
        no_labels=n > 60 and p == n,
        leaf_rotation=90.0,
        show_contracted=False,
    )
    ax.set_ylabel("Height (sqrt(2 x inertia gain))")
    ax.set_xlabel(f"Leaves ({n:,} in all, {p} shown)" if p < n else "Leaves")
    if cut_y is not None:
        ax.axhline(cut_y, color="#EE6677", linestyle="--", linewidth=1.2, label=f"cut: k = {k}")
        ax.legend(loc="upper left", frameon=False)
    n_bars = min(n_gains, n - 1)
    if n_bars > 0:
        inset = ax.inset_axes((1.04, 0.0, 0.3, 1.0))
        ks = np.arange(2, n_bars + 2)
        bar_gain = gains[n - ks]
        colours = ["#EE6677" if kk == k else "#4477AA" for kk in ks]
        inset.bar(ks, bar_gain, color=colours)
        inset.set_xlabel("k (segments before the merge)")
        inset.set_title("Inertia gain", fontsize="medium")
        inset.tick_params(labelsize="small")
    return ax
