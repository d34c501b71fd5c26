"""Drawing of segment quality: segment map, v-test heatmap, stability bars.

Re-exported by :mod:`clientseg.plotting`; matplotlib is imported inside the functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from clientseg._core.plot_style import (
    ANNOTATION_SIZE,
    DIVERGING_CMAP,
    HIGHLIGHT_COLOR,
    NEUTRAL_COLOR,
    new_axes,
    percent,
    segment_colors,
)
from clientseg.exceptions import InvalidParameterError
from clientseg.quality._stability import plot_segment_stability

__all__ = ["plot_segment_map", "plot_segment_profile", "plot_segment_stability"]


def plot_segment_map(report: Any, *, ax: Any = None, annotate: bool = True,
                     **kwargs: Any) -> Any:
    """Map the segments by size (x) and value (y); bubble area is the customer count.

    Parameters
    ----------
    report : QualityReport
        A :func:`clientseg.segment_quality` result. The y axis is the value index (100 =
        base average) when ``value`` was given, else the mean silhouette.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    annotate : bool, default True
        Write each segment's name beside its bubble. Segments with a failed check get a
        red edge.
    **kwargs
        Passed to ``Axes.scatter``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np, clientseg as cs
    >>> X = np.r_[np.zeros((50, 1)), np.ones((50, 1))] + np.linspace(0, .1, 100)[:, None]
    >>> report = cs.segment_quality(X, np.repeat(["a", "b"], 50), value=np.arange(100.0))
    >>> ax = cs.plotting.plot_segment_map(report)
    >>> ax.get_xlabel()
    'share of customers'
    """
    ax = new_axes(ax)
    seg = report.segments
    failed = set(report.failures["segment"])
    x = seg["share"].to_numpy(dtype=float)
    if "value_index" in seg:
        y = seg["value_index"].to_numpy(dtype=float)
        ylabel = "value index (100 = base average)"
        ax.axhline(100.0, color=NEUTRAL_COLOR, lw=0.8, ls="--")
    else:
        y = seg["silhouette"].to_numpy(dtype=float)
        ylabel = "mean silhouette"
        ax.axhline(0.0, color=NEUTRAL_COLOR, lw=0.8, ls="--")
    counts = seg["count"].to_numpy(dtype=float)
    sizes = 2000.0 * counts / counts.max()
    colors = segment_colors(seg.index)
    edges = [HIGHLIGHT_COLOR if name in failed else "white" for name in seg.index]
    kwargs.setdefault("alpha", 0.75)
    ax.scatter(x, y, s=sizes, c=colors, edgecolors=edges, linewidths=2, **kwargs)
    if annotate:
        from matplotlib import patheffects

        halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
        for name, xi, yi in zip(seg.index, x, y, strict=True):
            ax.annotate(str(name), (xi, yi), ha="center", va="center",
                        fontsize=ANNOTATION_SIZE + 1, path_effects=halo)
    ax.set_xlabel("share of customers")
    ax.set_ylabel(ylabel)
    ax.set_title("Segment map (bubble area: customers; red edge: a check failed)")
    ax.margins(0.15)
    percent(ax.xaxis)
    return ax


def plot_segment_profile(report: Any, *, ax: Any = None, max_features: int = 25,
                         vmax: float = 10.0, cmap: str = DIVERGING_CMAP, **kwargs: Any) -> Any:
    """Heatmap of v-tests: features (rows) x segments (columns), red over-, blue under-.

    Parameters
    ----------
    report : QualityReport
        A :func:`clientseg.segment_quality` result.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    max_features : int, default 25
        Keep the features with the largest ``|v-test|`` in any segment (large profiles
        are truncated, never refused).
    vmax : float, default 10
        Colour scale clipped to ``[-vmax, vmax]`` (|v| > 2 is significant at 5%).
    cmap : str, default "RdBu_r"
        Diverging colormap.
    **kwargs
        Passed to ``Axes.imshow``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np, clientseg as cs
    >>> X = np.r_[np.zeros((50, 1)), np.ones((50, 1))] + np.linspace(0, .1, 100)[:, None]
    >>> report = cs.segment_quality(X, np.repeat(["a", "b"], 50))
    >>> ax = cs.plotting.plot_segment_profile(report)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['a', 'b']
    """
    if max_features < 1:
        raise InvalidParameterError(
            f"Parameter 'max_features' must be at least 1; got {max_features!r}.")
    ax = new_axes(ax, figsize=(6.4, 6.0))
    v = report.vtests.T  # features x segments
    strength = v.abs().max(axis=1).fillna(0.0)
    keep = strength.sort_values(ascending=False, kind="stable").index[:max_features]
    v = v.loc[[f for f in v.index if f in set(keep)]]
    image = ax.imshow(np.clip(v.to_numpy(dtype=float), -vmax, vmax), cmap=cmap, vmin=-vmax,
                      vmax=vmax, aspect="auto", **kwargs)
    names = [str(c) for c in v.columns]
    if max((len(nm) for nm in names), default=0) > 3:  # long names slant, numbers do not
        ax.set_xticks(range(v.shape[1]), names, rotation=45, ha="right")
    else:
        ax.set_xticks(range(v.shape[1]), names)
    ax.set_yticks(range(v.shape[0]), [str(f) for f in v.index])
    ax.set_xlabel("segment")
    ax.set_ylabel("feature")
    ax.set_title("Segment profile: v-test of each feature (|v| > 2: significant)")
    ax.figure.colorbar(image, ax=ax, label="v-test")
    return ax


