"""Scorecard plots: points per level, weights, gains, lift, calibration, score distribution.

Re-exported by :mod:`clientseg.plotting`. Each function takes a fitted
:class:`~clientseg.scorecard.LogisticScorecard` or a
:class:`~clientseg.scorecard.ScorecardReport`, draws on ``ax`` (a new figure when None) and
returns the Axes. matplotlib is imported only when a function is called.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from clientseg._core.plot_style import (
    NEUTRAL_COLOR,
    PRIMARY_COLOR,
    SECONDARY_COLOR,
    new_axes,
    percent,
)

__all__ = [
    "plot_calibration",
    "plot_gains",
    "plot_lift",
    "plot_score_distribution",
    "plot_scorecard_points",
    "plot_scorecard_weights",
]

_MAX_LEVELS = 60  # more levels than this are truncated (largest |points| kept)


def plot_scorecard_points(card: Any, *, ax: Any = None, relative: bool = False,
                          **kwargs: Any) -> Any:
    """Horizontal bars: the points of every level, grouped by criterion.

    Parameters
    ----------
    card : LogisticScorecard
        A fitted scorecard.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    relative : bool, default False
        Show points relative to the typical contact (the "negative points" view).
    **kwargs
        Passed to ``ax.barh``.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from clientseg import LogisticScorecard
    >>> from clientseg.plotting import plot_scorecard_points
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"visits": rng.poisson(3, 2000),
    ...                   "origin": rng.choice(["web", "fair"], 2000)})
    >>> y = rng.random(2000) < 0.05 + 0.04 * X["visits"].clip(0, 8)
    >>> ax = plot_scorecard_points(LogisticScorecard().fit(X, y))
    >>> ax.get_xlabel()
    'points'
    """
    table = card.points_
    col = "points_vs_typical" if relative else "points"
    if len(table) > _MAX_LEVELS:
        table = table.loc[table[col].abs().sort_values(ascending=False).index[:_MAX_LEVELS]]
        table = table.sort_index()
    ax = new_axes(ax, figsize=(7.0, max(3.0, 0.25 * len(table) + 1)))
    crits = list(dict.fromkeys(table["criterion"]))
    # Criteria alternate two tones (they are not segments): a group reads as one block.
    tones = (PRIMARY_COLOR, SECONDARY_COLOR)
    colors = [tones[crits.index(c) % 2] for c in table["criterion"]]
    pos = np.arange(len(table))[::-1]
    ax.barh(pos, table[col].to_numpy(), color=colors, **kwargs)
    ax.set_yticks(pos, [f"{c}: {lv}" for c, lv in zip(table["criterion"], table["level"],
                                                       strict=True)])
    ax.set_ylim(-0.6, len(table) - 0.4)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel("points relative to the typical contact" if relative else "points")
    ax.set_ylabel("criterion: level")
    ax.set_title("Points of each level" + (" vs the typical contact" if relative else ""))
    return ax


def plot_scorecard_weights(card: Any, *, ax: Any = None, **kwargs: Any) -> Any:
    """Horizontal bars: each criterion's share of the 100 points (%), largest on top."""
    weights = card.weights_.sort_values()
    ax = new_axes(ax)
    ax.barh(np.arange(len(weights)), weights.to_numpy(), color=PRIMARY_COLOR, **kwargs)
    ax.set_yticks(np.arange(len(weights)), [str(i) for i in weights.index])
    ax.set_ylim(-0.6, len(weights) - 0.4)
    ax.set_xlabel("weight (% of the points)")
    ax.set_ylabel("criterion")
    ax.set_title("Weight of each criterion (share of the 100 points)")
    return ax


def plot_gains(report: Any, *, ax: Any = None, **kwargs: Any) -> Any:
    """Cumulative gains: share of conversions captured against share of contacts targeted."""
    g = report.gains
    ax = new_axes(ax)
    x = np.concatenate([[0.0], g["cum_share"].to_numpy()])
    y = np.concatenate([[0.0], g["cum_capture"].to_numpy()])
    kwargs.setdefault("color", PRIMARY_COLOR)
    ax.plot(x, y, marker="o", label=f"scorecard (AUC {report.auc:.3f})", **kwargs)
    ax.plot([0, 1], [0, 1], linestyle="--", color=NEUTRAL_COLOR, label="random order")
    ax.set_xlabel("share of contacts (best scores first)")
    ax.set_ylabel("share of conversions captured")
    ax.set_title("Cumulative gains: conversions found, best scores first")
    percent(ax.xaxis)
    percent(ax.yaxis)
    ax.legend(loc="lower right")
    return ax


def plot_lift(report: Any, *, ax: Any = None, **kwargs: Any) -> Any:
    """Lift by decile (conversion rate of the decile over the base rate)."""
    g = report.gains
    ax = new_axes(ax)
    deciles = g["decile"].to_numpy()
    ax.bar(deciles, g["lift"].to_numpy(), color=PRIMARY_COLOR, **kwargs)
    ax.axhline(1.0, linestyle="--", color=NEUTRAL_COLOR, label="base rate (lift 1)")
    ax.set_xticks(deciles)
    ax.set_xlabel("decile (1 = best scores)")
    ax.set_ylabel("lift (decile's conversion rate / base rate)")
    ax.set_title("Lift by score decile")
    ax.legend(loc="upper right", frameon=False)
    return ax


def plot_calibration(report: Any, *, ax: Any = None, **kwargs: Any) -> Any:
    """Reliability diagram: observed conversion rate against mean predicted probability."""
    r = report.reliability
    ax = new_axes(ax)
    top = float(max(r["predicted"].max(), r["observed"].max()))
    ax.plot([0, top], [0, top], linestyle="--", color=NEUTRAL_COLOR, label="perfect calibration")
    kwargs.setdefault("color", PRIMARY_COLOR)
    ax.plot(r["predicted"], r["observed"], marker="o", label="scorecard", **kwargs)
    ax.set_xlabel("mean predicted conversion probability")
    ax.set_ylabel("observed conversion rate")
    ax.set_title(f"Calibration: observed against predicted (Brier {report.brier:.4f})")
    percent(ax.xaxis)
    percent(ax.yaxis)
    ax.legend(loc="upper left")
    return ax


def plot_score_distribution(report: Any, *, ax: Any = None, bins: int = 20,
                            **kwargs: Any) -> Any:
    """Histograms of the scores of converted and unconverted contacts (densities)."""
    scores = np.asarray(report.scores)
    y = np.asarray(report.y)
    ax = new_axes(ax)
    edges = np.histogram_bin_edges(scores, bins=bins)
    for value, label, color in ((0, "not converted", PRIMARY_COLOR),
                                (1, "converted", SECONDARY_COLOR)):
        ax.hist(scores[y == value], bins=edges, density=True, alpha=0.55, color=color,
                label=label, **kwargs)
    ax.set_xlabel("score (points out of 100)")
    ax.set_ylabel("density (share of the group per point)")
    ax.set_title(f"Scores of converted and unconverted contacts (KS {report.ks:.3f})")
    ax.legend(loc="best", frameon=False)
    return ax
