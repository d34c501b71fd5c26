"""Campaign planning: profit and ROI of contacting the best-scored contacts first.

:func:`plan_campaign` turns conversion probabilities (e.g. a scorecard's
``predict_proba(X)[:, 1]``) and the economics of a campaign into a :class:`CampaignPlan`:
expected conversions, revenue, cost, profit and ROI at every depth, the most profitable
depth with and without a budget or capacity, a realised-profit band (conversions are
random) and a calibration band (the probabilities are estimates), and, with segments, how
deep to go into each. :meth:`CampaignPlan.evaluate` judges a past campaign against its plan.
Guide: ``docs/user_guide/campaign.md``.
"""

from __future__ import annotations

from clientseg.campaign._curves import ALLOCATION_COLUMNS, DEPTH_COLUMNS
from clientseg.campaign._evaluation import EVALUATION_COLUMNS, CampaignEvaluation
from clientseg.campaign._plan import CampaignPlan, plan_campaign
from clientseg.campaign._plotting import plot_campaign  # noqa: F401  (clientseg.plotting)
from clientseg.campaign._report import campaign_section  # noqa: F401  (the HTML report)

__all__ = [
    "ALLOCATION_COLUMNS",
    "DEPTH_COLUMNS",
    "EVALUATION_COLUMNS",
    "CampaignEvaluation",
    "CampaignPlan",
    "plan_campaign",
]
