"""Where to cut a Ward tree: the public path of :mod:`clientseg.hierarchy.cut`.

The cut lives beside the tree it cuts, in :mod:`clientseg.hierarchy.cut`; this module
keeps ``clientseg.cut`` importable for code written against the flat layout.
"""

from clientseg.hierarchy.cut import (  # noqa: F401  (constants kept on the public path)
    CUT_CRITERIA,
    DEFAULT_CUT_CRITERIA,
    GAP_OVERRIDE_SE,
    SILHOUETTE_NONE,
    SILHOUETTE_REASONABLE,
    CutResult,
    select_cut,
)

__all__ = ["CUT_CRITERIA", "DEFAULT_CUT_CRITERIA", "CutResult", "select_cut"]
