"""Dendrogram with its cut and inertia-gain bars (private; public in ``clientseg.plotting``).

matplotlib and scipy's dendrogram are imported inside the function.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from clientseg._core.plot_style import (
    ANNOTATION_SIZE,
    CUT_LINE,
    HIGHLIGHT_COLOR,
    NEUTRAL_COLOR,
    PRIMARY_COLOR,
    new_axes,
    segment_color,
    thousands,
)
from clientseg._core.validation import check_scalar
from clientseg.exceptions import InvalidDataError, InvalidParameterError

__all__ = ["plot_dendrogram"]


class _Parts:
    """What the dendrogram needs from a segmenter, a WardTree or a linkage matrix."""

    def __init__(self, Z: np.ndarray, gains: np.ndarray, default_cut: int | None,
                 tree: Any = None, n_rows: int | None = None) -> None:
        self.Z, self.gains, self.default_cut, self.tree, self.n_rows = (
            Z, gains, default_cut, tree, n_rows)

    def node_mass(self) -> np.ndarray:
        """Mass of every node (leaves then merges): customers for a weighted tree."""
        n = self.Z.shape[0] + 1
        if self.tree is not None:
            return np.concatenate([np.asarray(self.tree.leaf_weights, dtype=float),
                                   np.asarray(self.tree.node_weights, dtype=float)])
        return np.concatenate([np.ones(n), self.Z[:, 3]])

    def leaf_segments(self, k: int) -> np.ndarray:
        """Segment number (0..k-1) of every leaf at the k cut, as the segmenter numbers it.

        A segmenter's and a WardTree's own numbering (by decreasing mass), so the colour
        of segment ``i`` here is its colour in every other plot of ``labels_``; a bare
        linkage matrix is numbered the same way from its leaf counts.
        """
        if self.tree is not None:
            return np.asarray(self.tree.labels(k), dtype=np.int64)
        from clientseg.hierarchy._ward import cut_roots

        n = self.Z.shape[0] + 1
        roots = cut_roots(self.Z, k)[:n]
        uniq, first, inverse = np.unique(roots, return_index=True, return_inverse=True)
        mass = np.bincount(inverse, minlength=uniq.size)
        order = np.lexsort((first, -mass))  # by decreasing size, then leftmost leaf id
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        return rank[inverse].astype(np.int64)


def _tree_parts(obj: Any) -> _Parts:
    """Return the linkage, gains, default cut and tree of a segmenter, WardTree or matrix."""
    # Told apart by what they hold, not by class: the segmenter and the tree draw
    # themselves through this module, which therefore cannot import them.
    if hasattr(obj, "n_segments") and hasattr(obj, "fit"):  # a HierarchicalSegmenter
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(obj)
        return _Parts(np.asarray(obj.linkage_), np.asarray(obj.tree_.gains), obj.n_segments_,
                      obj.tree_, len(obj.labels_))
    if all(hasattr(obj, a) for a in ("linkage", "gains", "labels", "leaf_weights")):  # WardTree
        return _Parts(np.asarray(obj.linkage), np.asarray(obj.gains), None, obj)
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
    return _Parts(Z, Z[:, 2] ** 2 / 2.0, None)


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
    parts = _tree_parts(tree)
    Z, gains = parts.Z, parts.gains
    n = Z.shape[0] + 1
    check_scalar("truncate", truncate, kind=int, low=2)
    check_scalar("n_gains", n_gains, kind=int, low=0)
    k = parts.default_cut if cut is None else cut
    if k is not None:
        check_scalar("cut", k, kind=int, low=1)
        if k > n:
            raise InvalidParameterError(
                f"Parameter 'cut' is {k} but the tree has only {n:,} leaves. Pass cut <= {n:,}."
            )
    from scipy.cluster.hierarchy import dendrogram

    from clientseg.hierarchy._ward import cut_roots

    made_figure = ax is None
    ax = new_axes(ax, figsize=(9.0, 4.8))
    heights = Z[:, 2]
    colour_of: dict[int, str] = {}
    cut_y = None
    if k is not None and 1 < k <= n:
        above = heights[n - k] if k > 1 else heights[-1]
        below = heights[n - k - 1] if n - k - 1 >= 0 else 0.0
        cut_y = (above + below) / 2.0
        roots = cut_roots(Z, k)
        # Each cut subtree takes the colour of its segment number, the number labels_ uses.
        leaf_segment = parts.leaf_segments(k)
        segment_of_root = dict(zip(roots[:n].tolist(), leaf_segment.tolist(), strict=True))
        colour_of = {
            node: segment_color(segment_of_root[int(roots[node])], 0)
            for node in range(n, n + (n - k))
        }

    def link_colour(node: int) -> str:
        return colour_of.get(node, NEUTRAL_COLOR)

    mass = parts.node_mass()
    weighted = parts.tree is not None and parts.n_rows is not None and parts.n_rows != n

    def leaf_label(node: int) -> str:
        if node < n and not weighted:
            return str(node)
        return f"({mass[node]:,.0f})"

    p = min(truncate, n)
    dendrogram(
        Z,
        ax=ax,
        truncate_mode="lastp" if p < n else None,
        p=p,
        link_color_func=link_colour,
        leaf_label_func=leaf_label,
        no_labels=n > 60 and p == n,
        leaf_rotation=90.0,
        leaf_font_size=ANNOTATION_SIZE,
        show_contracted=False,
    )
    ax.set_ylabel("Height (sqrt(2 x inertia gain))")
    xlabel = f"Leaves ({n:,} in all, {p} shown)" if p < n else f"Leaves ({n:,})"
    if weighted:
        xlabel += (f"\nmicro-clusters of the {parts.n_rows:,} customers; "
                   f"(n): customers under a leaf")
    elif p < n:
        if parts.n_rows is not None:
            unit = "customers"  # a segmenter's exact tree: one leaf per customer
        else:
            unit = "leaves" if np.all(mass[:n] == 1.0) else "weight"
        xlabel += f"; (n): {unit} under a truncated leaf"
    ax.set_xlabel(xlabel)
    title = "Ward tree"
    if k is not None:
        title += f" and its cut into {k} segments"
    ax.set_title(title)
    thousands(ax.yaxis)
    if cut_y is not None:
        ax.axhline(cut_y, label=f"cut: k = {k}", **CUT_LINE)
        # Named on the line itself (a legend box would sit on some link of the tree).
        from matplotlib import patheffects

        ax.annotate(f"cut: k = {k}", xy=(1.0, cut_y), xycoords=("axes fraction", "data"),
                    xytext=(-4, 3), textcoords="offset points", ha="right", va="bottom",
                    fontsize="small",
                    path_effects=[patheffects.withStroke(linewidth=3, foreground="white")])
    n_bars = min(n_gains, n - 1)
    if n_bars > 0:
        # Left of the inset, its tick labels sit in the gap and never leave the figure.
        inset = ax.inset_axes((1.12, 0.0, 0.3, 1.0))
        ks = np.arange(2, n_bars + 2)
        bar_gain = gains[n - ks]
        colours = [HIGHLIGHT_COLOR if kk == k else PRIMARY_COLOR for kk in ks]
        inset.bar(ks, bar_gain, color=colours)
        inset.set_xlabel("segments k")
        inset.set_title("Inertia gain", fontsize="medium")
        inset.tick_params(labelsize="small")
        inset.xaxis.set_major_locator(_integer_locator())
        thousands(inset.yaxis)
        engine = ax.figure.get_layout_engine() if made_figure else None
        if engine is not None and hasattr(engine, "set"):
            # The layout does not see all of the inset: keep room for it on the right.
            engine.set(rect=(0.0, 0.0, 0.84, 1.0))
    return ax


def _integer_locator() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(nbins=5, integer=True)
