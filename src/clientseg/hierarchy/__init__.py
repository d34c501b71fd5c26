"""Ward hierarchies: exact and weighted trees, two-stage trees for millions of customers.

The "classification ascendante hiérarchique" of the marketing literature: every customer
starts as its own class, the two classes whose merge raises the within-class inertia the
least are merged, and so on until one class is left; the analyst then cuts the tree.

* :func:`ward_linkage` / :func:`ward_tree`: the exact (optionally weighted) Ward tree in
  O(n·d) memory, as a scipy linkage matrix or as a :class:`WardTree` that also keeps the
  inertia gain of every merge, the node centroids and masses, and cuts at any k.
* :class:`HierarchicalSegmenter`: the scikit-learn estimator; exact tree for small bases,
  two-stage (k-means micro-clusters, then the weighted tree on their centroids) for large
  ones, optional k-means consolidation after the cut.
* :class:`MixedDataEncoder`: numeric and categorical criteria to a Euclidean space in which
  distances are those of factor analysis of mixed data (FAMD).

Ward's merge cost of clusters A and B (centroids c, masses w) is
``Δ = w_A w_B / (w_A + w_B) · ||c_A − c_B||²``. Linkage heights follow scipy's convention
``sqrt(2 Δ)`` (for two points: their distance), so scipy's ``dendrogram``, ``fcluster``
and ``is_valid_linkage`` accept the matrices, and on the same data the heights equal
``scipy.cluster.hierarchy.linkage(X, "ward")``.
"""

from clientseg.hierarchy._encoding import MixedDataEncoder
from clientseg.hierarchy._segmenter import (  # noqa: F401  (constant kept on the public path)
    EXACT_MAX_SAMPLES,
    HierarchicalSegmenter,
)
from clientseg.hierarchy._tree import (  # noqa: F401  (constant kept on the public path)
    TREE_COLUMNS,
    WardTree,
    ward_linkage,
    ward_tree,
)

__all__ = [
    "HierarchicalSegmenter",
    "MixedDataEncoder",
    "WardTree",
    "ward_linkage",
    "ward_tree",
]
