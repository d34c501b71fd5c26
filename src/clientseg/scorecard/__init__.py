"""Logistic scorecards: criteria -> points on 100, grades A/B/C, evaluation, JSON and SQL export.

The seeds' customer scoring, done with statistics: start from the contacts who went from
prospect to customer, learn which attributes converted contacts share (a logistic regression
on banded criteria), give every level of every criterion points so that the worst profile
scores 0 and the best 100, and grade contacts A/B/C. See ``docs/user_guide/scorecard.md``.

Private modules hold the internals: ``_scorecard_banding`` (bands and levels),
``_scorecard_fit`` (Newton / IRLS), ``_scorecard_points`` (scaling, rounding, grades),
``_scorecard_tables`` (coefficient, points, band and grade tables; fit warnings),
``_scorecard_report`` (evaluation, drift) and ``_scorecard_export`` (JSON, SQL).
"""

from clientseg.scorecard._card import (
    LogisticScorecard,
    ScorecardReport,
    ScoreDrift,
    psi,
)
from clientseg.scorecard._grid import GridError, GridRule, GridScaleWarning, PointsGrid
from clientseg.scorecard._grid_eval import GridDrift, GridReport, GridRevision

__all__ = [
    "GridDrift",
    "GridError",
    "GridReport",
    "GridRevision",
    "GridRule",
    "GridScaleWarning",
    "LogisticScorecard",
    "PointsGrid",
    "ScoreDrift",
    "ScorecardReport",
    "psi",
]
