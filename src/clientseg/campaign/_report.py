"""An HTML fragment on a campaign plan, for the HTML report (``clientseg.report``).

The report assembles sections; this one needs nothing from it, so the arrow keeps
pointing down (report -> campaign).
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

__all__ = ["campaign_section"]

_EXPLAIN = (
    "Contacts are ranked by expected revenue (probability x value). At each depth the "
    "expected profit is the expected revenue of the contacts reached minus their cost; the "
    "shaded band is where the profit of one campaign will land given the probabilities "
    "(conversions are random), the hatched one how much the probabilities themselves are "
    "uncertain (bootstrap of the calibration data). The plan does not estimate uplift: "
    "contacts who would have converted anyway count as gains."
)


def campaign_section(plan: Any, *, evaluation: Any = None, title: str = "Campaign plan",
                     dpi: int = 100) -> str:
    """Return an HTML ``<section>`` with the plan's summary and its profit figure.

    Parameters
    ----------
    plan : CampaignPlan
        A :func:`~clientseg.campaign.plan_campaign` result.
    evaluation : CampaignEvaluation, optional
        ``plan.evaluate(converted)``: adds its summary and the realised curve.
    title : str, default "Campaign plan"
    dpi : int, default 100
        Resolution of the embedded PNG.

    Returns
    -------
    str
        Self-contained HTML (the figure is an inline PNG); pyplot is not used.

    Examples
    --------
    >>> import numpy as np
    >>> from clientseg.campaign import campaign_section, plan_campaign
    >>> p = np.random.default_rng(0).beta(1, 9, 2_000)
    >>> html = campaign_section(plan_campaign(p, cost_per_contact=2, value_per_conversion=60))
    >>> html.startswith("<section id='campaign'>") and "data:image/png" in html
    True
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from clientseg.campaign._plotting import plot_campaign

    fig = Figure(figsize=(7.0, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    plot_campaign(plan, ax=fig.add_subplot(), realised=evaluation)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    caption = "Expected profit and ROI against the share of contacts reached"
    parts = [f"<section id='campaign'><h2>{html.escape(title)}</h2>",
             f"<p>{html.escape(_EXPLAIN)}</p>", plan.summary()._repr_html_()]
    if evaluation is not None:
        parts.append(evaluation.summary()._repr_html_())
    parts.append(f"<figure><img src='data:image/png;base64,{data}' alt='{caption}'>"
                 f"<figcaption>{caption}</figcaption></figure></section>")
    return "".join(parts)
