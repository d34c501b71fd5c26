"""Where to cut a Ward tree: criteria side by side, an automatic k, business constraints.

Every criterion is computed for every k of ``k_range`` at once. The inertia criteria are
read off the tree (the within-inertia of every k-partition is the leaves' inertia plus
the first ``n - k`` merge gains), so they cost O(1) per k whatever the number of
customers; the label criteria (Davies–Bouldin, silhouette) and the gap statistic work on
the rows, sampled for large bases with the sample size reported.

:func:`select_cut` returns a :class:`CutResult`: the table of every criterion per k, each
criterion's own pick, the chosen k and a one-line reason. The default rule and the study
that justifies it are in ``docs/user_guide/cut.md``.
"""

from clientseg.hierarchy.cut._select import (  # noqa: F401  (constants kept on the public path)
    CUT_CRITERIA,
    DEFAULT_CUT_CRITERIA,
    GAP_OVERRIDE_SE,
    SILHOUETTE_NONE,
    SILHOUETTE_REASONABLE,
    CutResult,
    select_cut,
)

__all__ = [
    "CUT_CRITERIA",
    "DEFAULT_CUT_CRITERIA",
    "CutResult",
    "select_cut",
]
