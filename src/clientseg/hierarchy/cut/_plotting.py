"""Drawing of cut selection: criteria against k, inertia gains (re-exported by plotting)."""

from __future__ import annotations

from typing import Any

import numpy as np

from clientseg._core.plot_style import (
    CATEGORY_COLORS,
    CUT_LINE,
    HIGHLIGHT_COLOR,
    PRIMARY_COLOR,
    new_axes,
    thousands,
)

__all__ = ["plot_cut_criteria", "plot_inertia_gains"]

_MINIMISED = ("davies_bouldin",)


def plot_cut_criteria(result: Any, *, ax: Any = None, criteria: Any = None) -> Any:
    """Plot every criterion of a :class:`~clientseg.cut.CutResult` against k.

    Each criterion is rescaled to [0, 1] over ``k_range`` (1 = its best value, so
    Davies–Bouldin is flipped) and its own pick is marked with a dot; the chosen k is a
    vertical line. Criteria undefined everywhere (e.g. not computed) are left out.

    Parameters
    ----------
    result : CutResult
        The output of :func:`clientseg.select_cut`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    criteria : list of str, optional
        Criteria to draw (default: every criterion of ``result.picks``).

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax, figsize=(9.0, 4.5))
    table = result.table
    names = list(result.picks.index if criteria is None else criteria)
    ks = table.index.to_numpy()
    for i, name in enumerate(names):
        values = table[name].to_numpy(dtype=float)
        ok = np.isfinite(values)
        if not ok.any():
            continue
        lo, hi = np.nanmin(values), np.nanmax(values)
        scaled = (values - lo) / (hi - lo) if hi > lo else np.where(ok, 1.0, np.nan)
        if name in _MINIMISED:
            scaled = 1.0 - scaled
        color = CATEGORY_COLORS[i % len(CATEGORY_COLORS)]  # criteria are not segments
        ax.plot(ks, scaled, marker=".", lw=1.2, color=color, label=name.replace("_", " "))
        pick = int(result.picks[name])
        if pick in table.index and np.isfinite(table.loc[pick, name]):
            ax.plot([pick], [scaled[list(ks).index(pick)]], "o", ms=9, mfc="none",
                    mec=color, mew=1.8)
    ax.axvline(result.k, label=f"chosen k = {result.k}", **CUT_LINE)
    ax.set_xticks(ks)
    ax.set_xlabel("number of segments k")
    ax.set_ylabel("criterion, rescaled (1 = best)")
    ax.set_title("Where to cut: every criterion against k (circles: each one's pick)")
    # Outside the plot: ten criteria over ten k leave no empty corner for a legend.
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0),
              frameon=False, borderaxespad=0.0)
    return ax


def plot_inertia_gains(result: Any, *, ax: Any = None) -> Any:
    """Bar chart of the within-inertia gained by going from k − 1 to k segments.

    A tall bar followed by short ones is the "knee" that the inertia-gain criteria look
    for; the chosen k is highlighted.

    Parameters
    ----------
    result : CutResult
        The output of :func:`clientseg.select_cut`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax, figsize=(6.4, 4.0))
    within = result.table["within_inertia"]
    gains = -within.diff()  # gain of the step k-1 -> k, at k
    ks = gains.index.to_numpy()[1:]
    heights = gains.to_numpy()[1:]
    colors = [HIGHLIGHT_COLOR if k == result.k else PRIMARY_COLOR for k in ks]
    ax.bar(ks, heights, color=colors)
    ax.set_xticks(ks)
    ax.set_xlabel("number of segments k")
    ax.set_ylabel("within-inertia gained from k − 1 to k")
    ax.set_title(f"Inertia gained by each extra segment (chosen k = {result.k} highlighted)")
    thousands(ax.yaxis)
    return ax
