"""RFM: from transaction lines to recency, frequency and monetary scores and named segments.

* :func:`rfm_table` turns transaction lines into one row per customer under documented
  policies (returns, missing ids, zero amounts, duplicates, time zones); every excluded row
  is counted, see :func:`rfm_exclusions`.
* :class:`RFMScorer` learns bin edges on one snapshot (quantiles or business thresholds)
  and scores any later snapshot with the same edges, so scores compare over time; tied
  values always share a score.
* :class:`SegmentMap` names score cells with ordered rules (built-in: ``"rf_grid"``, 10
  names on R×F, and ``"r_fm"``, 11 names on R×FM) and checks them for gaps and overlaps.
* :func:`rfm_migration` tabulates segment changes between two snapshots.
* :func:`to_clv_summary` exports the lifetimes / PyMC-Marketing summary (frequency =
  repeat periods, recency = first to last purchase, T = first purchase to the end).

Definitions, policies and pitfalls are written out in ``docs/user_guide/rfm.md``.
"""

from clientseg.rfm._clv import CLV_COLUMNS, to_clv_summary
from clientseg.rfm._maps import MapCheck, SegmentMap
from clientseg.rfm._migration import (  # noqa: F401  (labels of rfm_migration)
    LEFT,
    NEW,
    MigrationResult,
    rfm_migration,
)
from clientseg.rfm._scorer import RFMScorer
from clientseg.rfm._table import RFM_COLUMNS, SCORE_COLUMNS, rfm_exclusions, rfm_table

__all__ = [
    "CLV_COLUMNS",
    "RFM_COLUMNS",
    "SCORE_COLUMNS",
    "MapCheck",
    "MigrationResult",
    "RFMScorer",
    "SegmentMap",
    "rfm_exclusions",
    "rfm_migration",
    "rfm_table",
    "to_clv_summary",
]
