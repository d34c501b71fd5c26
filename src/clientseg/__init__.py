"""clientseg: statistical customer segmentation and scoring.

RFM scoring, Ward hierarchical clustering with dendrogram cut selection, logistic
scorecards on 100 points, and segment quality checks, for pandas users in notebooks and
for benchmark runs on very large synthetic customer bases.

``import clientseg`` never imports ``matplotlib.pyplot``: plotting functions import it
when they are called.
"""

from clientseg import datasets, exceptions, synth
from clientseg._version import __version__
from clientseg.hierarchy import (
    HierarchicalSegmenter,
    MixedDataEncoder,
    WardTree,
    ward_linkage,
    ward_tree,
)
from clientseg.rfm import (
    RFMScorer,
    SegmentMap,
    rfm_exclusions,
    rfm_migration,
    rfm_table,
    to_clv_summary,
)
from clientseg.scorecard import LogisticScorecard, ScoreDrift, ScorecardReport, psi

__all__ = [
    "HierarchicalSegmenter",
    "LogisticScorecard",
    "MixedDataEncoder",
    "RFMScorer",
    "ScoreDrift",
    "ScorecardReport",
    "SegmentMap",
    "WardTree",
    "__version__",
    "datasets",
    "exceptions",
    "psi",
    "rfm_exclusions",
    "rfm_migration",
    "rfm_table",
    "synth",
    "to_clv_summary",
    "ward_linkage",
    "ward_tree",
]
