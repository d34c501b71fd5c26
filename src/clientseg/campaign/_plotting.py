"""Drawing of a campaign plan: profit and ROI against depth, bands and chosen depths.

matplotlib is imported inside the functions (through ``_plotting_common.new_axes``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from clientseg._core.plot_style import (
    CUT_LINE,
    HIGHLIGHT_COLOR,
    NEUTRAL_COLOR,
    PRIMARY_COLOR,
    SECONDARY_COLOR,
    new_axes,
    percent,
    thousands,
)

__all__ = ["plot_campaign"]

#: Largest number of depths drawn; curves of longer lists are sampled (chosen depths kept).
MAX_POINTS = 2_000


def plot_campaign(plan: Any, *, ax: Any = None, roi: bool = True, realised: Any = None,
                  **kwargs: Any) -> Any:
    """Draw expected profit against depth with its bands, and ROI on a second axis.

    The x axis is the share of the contacts reached, best contacts first. The shaded band
    is the realised-profit band; the hatched one, when calibration data were given, the
    calibration band. The best depth is a red dot, the chosen one (within budget and
    capacity) a black diamond, and the deepest depth allowed a dashed line.

    Parameters
    ----------
    plan : CampaignPlan
        A :func:`~clientseg.campaign.plan_campaign` result.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    roi : bool, default True
        Also draw ROI (profit / cost) on a twin y axis on the right.
    realised : CampaignEvaluation, optional
        Also draw the realised profit of a past campaign (``plan.evaluate(converted)``).
    **kwargs
        Passed to ``ax.plot`` for the expected-profit line.

    Returns
    -------
    matplotlib.axes.Axes
        The profit axes (the ROI axes is ``ax.right_ax`` when drawn).

    Examples
    --------
    >>> import numpy as np
    >>> from clientseg.campaign import plan_campaign, plot_campaign
    >>> p = np.random.default_rng(0).beta(1, 9, 2_000)
    >>> plan = plan_campaign(p, cost_per_contact=2.0, value_per_conversion=60.0)
    >>> ax = plot_campaign(plan)
    >>> ax.get_ylabel()
    'expected profit'
    """
    ax = new_axes(ax)
    n = plan.n_contacts
    marks = [plan.best_n_contacts, plan.chosen_n_contacts, plan.max_n_contacts]
    depths = np.union1d(np.linspace(0, n, min(n, MAX_POINTS) + 1).round().astype(np.int64),
                        marks)
    frame = plan.at(depths) if realised is None else realised._rows(depths)
    x = depths / n
    ax.fill_between(x, frame["profit_low"], frame["profit_high"], color=PRIMARY_COLOR,
                    alpha=0.2, linewidth=0, label=f"realised-profit band ({plan.level:.0%})")
    if frame["calibration_low"].notna().any():
        ax.fill_between(x, frame["calibration_low"], frame["calibration_high"],
                        facecolor="none", edgecolor=SECONDARY_COLOR, hatch="///",
                        linewidth=0.0, label=f"calibration band ({plan.level:.0%})")
    style = {"color": PRIMARY_COLOR, "linewidth": 1.8, "label": "expected profit", **kwargs}
    ax.plot(x, frame["expected_profit"], **style)
    if realised is not None:
        ax.plot(x, frame["realised_profit"], color="black", linewidth=1.0,
                label="realised profit")
    ax.axhline(0.0, color=NEUTRAL_COLOR, linewidth=0.8)
    ax.scatter([plan.best_n_contacts / n], [plan.best_profit], color=HIGHLIGHT_COLOR,
               zorder=5, label=f"best: {plan.best_n_contacts:,} contacts")
    if plan.chosen_n_contacts != plan.best_n_contacts:
        ax.scatter([plan.chosen_n_contacts / n], [plan.chosen_profit], color="black",
                   marker="D", zorder=5, label=f"chosen: {plan.chosen_n_contacts:,} contacts")
    if plan.max_n_contacts < n:
        ax.axvline(plan.max_n_contacts / n, **CUT_LINE, label="budget / capacity limit")
    ax.set_xlabel("contacts reached, best first (share of the list)")
    ax.set_ylabel("expected profit")
    ax.set_title(f"Profit by depth: best {plan.best_n_contacts:,} of {n:,} contacts "
                 f"({plan.best_profit:,.0f} expected)")
    percent(ax.xaxis)
    thousands(ax.yaxis)
    ax.set_xlim(0, 1)
    handles, labels = ax.get_legend_handles_labels()
    if roi:
        right = ax.twinx()
        ok = frame["roi"].notna().to_numpy()
        right.plot(x[ok], frame["roi"].to_numpy()[ok], color=SECONDARY_COLOR,
                   linestyle="--", linewidth=1.2, label="ROI (right axis)")
        right.set_ylabel("ROI (profit / cost)")
        percent(right.yaxis)
        h2, l2 = right.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
        ax.right_ax = right
    ax.legend(handles, labels, loc="best", fontsize="small")
    return ax
