"""clientseg: statistical customer segmentation and scoring.

RFM scoring, Ward hierarchical clustering with dendrogram cut selection, logistic
scorecards on 100 points, and segment quality checks, for pandas users in notebooks and
for benchmark runs on very large synthetic customer bases.

``import clientseg`` never imports ``matplotlib.pyplot``: plotting functions import it
when they are called.
"""

from clientseg import (
    cut,
    datasets,
    exceptions,
    hierarchy,
    plotting,
    quality,
    report,
    rfm,
    scorecard,
    synth,
)
from clientseg._core.version import __version__
from clientseg.campaign import (
    ALLOCATION_COLUMNS,
    DEPTH_COLUMNS,
    EVALUATION_COLUMNS,
    CampaignEvaluation,
    CampaignPlan,
    plan_campaign,
)
from clientseg.hierarchy import (
    HierarchicalSegmenter,
    MixedDataEncoder,
    WardTree,
    ward_linkage,
    ward_tree,
)
from clientseg.hierarchy.cut import CUT_CRITERIA, DEFAULT_CUT_CRITERIA, CutResult, select_cut
from clientseg.quality import (
    DISSOLVED_JACCARD,
    QUALITY_CHECK_COLUMNS,
    QUALITY_THRESHOLDS,
    STABLE_JACCARD,
    QualityReport,
    RetentionResult,
    StabilityResult,
    segment_quality,
    segment_retention,
    segment_stability,
)
from clientseg.report import build_report
from clientseg.rfm import (
    CLV_COLUMNS,
    RFM_COLUMNS,
    SCORE_COLUMNS,
    MapCheck,
    MigrationResult,
    RFMScorer,
    SegmentMap,
    rfm_exclusions,
    rfm_migration,
    rfm_table,
    to_clv_summary,
)
from clientseg.scorecard import (
    GridDrift,
    GridError,
    GridReport,
    GridRevision,
    GridRule,
    GridScaleWarning,
    LogisticScorecard,
    PointsGrid,
    ScorecardReport,
    ScoreDrift,
    psi,
)

__all__ = [
    "ALLOCATION_COLUMNS",
    "CLV_COLUMNS",
    "CUT_CRITERIA",
    "DEFAULT_CUT_CRITERIA",
    "DEPTH_COLUMNS",
    "DISSOLVED_JACCARD",
    "EVALUATION_COLUMNS",
    "QUALITY_CHECK_COLUMNS",
    "QUALITY_THRESHOLDS",
    "RFM_COLUMNS",
    "SCORE_COLUMNS",
    "STABLE_JACCARD",
    "CampaignEvaluation",
    "CampaignPlan",
    "CutResult",
    "GridDrift",
    "GridError",
    "GridReport",
    "GridRevision",
    "GridRule",
    "GridScaleWarning",
    "HierarchicalSegmenter",
    "LogisticScorecard",
    "MapCheck",
    "MigrationResult",
    "MixedDataEncoder",
    "PointsGrid",
    "QualityReport",
    "RFMScorer",
    "RetentionResult",
    "ScoreDrift",
    "ScorecardReport",
    "SegmentMap",
    "StabilityResult",
    "WardTree",
    "__version__",
    "build_report",
    "campaign",
    "cut",
    "datasets",
    "exceptions",
    "hierarchy",
    "plan_campaign",
    "plotting",
    "psi",
    "quality",
    "report",
    "rfm",
    "rfm_exclusions",
    "rfm_migration",
    "rfm_table",
    "scorecard",
    "segment_quality",
    "segment_retention",
    "segment_stability",
    "select_cut",
    "synth",
    "to_clv_summary",
    "ward_linkage",
    "ward_tree",
]

# Subpackages bind themselves as attributes of their parent when first imported; the shared
# plumbing is private, so it is unbound here (it stays importable as clientseg._core).
del _core  # type: ignore[name-defined]  # noqa: F821
