"""Segment quality: size, homogeneity, separation, value, reach, stability and profile.

The marketing checklist says a usable segment is *measurable* (size and value known),
*recognisable* (clearly different from the others), *homogeneous*, *worth it* (large
enough, enough revenue), *reachable* and *durable*. :func:`segment_quality` measures each
of these for every segment of a segmentation, checks them against documented thresholds
and returns a :class:`QualityReport` whose ``checks`` table says, in words, what passed and
what failed.

* Geometry (homogeneity, separation, silhouette, Calinski-Harabasz, Davies-Bouldin, the
  most typical customers) uses the **numeric columns of X as given**: pass the matrix your
  segmenter saw (standardised, FAMD-encoded...), so that the distances are the ones that
  made the segments. Boolean, categorical and text columns are left out of the geometry.
* The profile (v-tests, as FactoMineR's ``catdes``) uses **every column**: numeric ones
  through a z-test of the segment mean, categorical (and boolean) ones level by level
  through the hypergeometric test.
* :func:`segment_stability` refits the segmenter on resamples (Hennig's clusterboot), and
  :func:`segment_retention` compares two snapshots.

Formulas, thresholds and why: ``docs/user_guide/quality.md``.
"""

from clientseg.quality._quality import (
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

__all__ = [
    "DISSOLVED_JACCARD",
    "QUALITY_CHECK_COLUMNS",
    "QUALITY_THRESHOLDS",
    "STABLE_JACCARD",
    "QualityReport",
    "RetentionResult",
    "StabilityResult",
    "segment_quality",
    "segment_retention",
    "segment_stability",
]
