"""Benchmark of clientseg.hierarchy: exact Ward tree vs fastcluster and scipy, two-stage scale.

Stages (peers run in the same process, one after the other, on the same data):

* ``exact tree``: Gaussian blobs, ``d = 8``. clientseg :func:`ward_linkage` (O(n·d) memory);
  ``fastcluster.linkage_vector(X, "ward")`` (O(n·d) memory, C++ nearest-neighbour chain);
  ``scipy.cluster.hierarchy.linkage(X, "ward")`` (n² condensed matrix; only up to 20k);
  scikit-learn ``AgglomerativeClustering(6, linkage="ward")`` (scipy's tree underneath; only
  up to 20k). clientseg and fastcluster run ``REPEATS`` times, alternately, through
  :func:`benchmarks._harness.paired` (scipy and scikit-learn in the first round only); each
  row keeps the tool's median run, every run (``runs``), and for peers the median of the
  paired ratios (``ratio``, with ``ratio_min`` and ``ratio_max``). Quality:
  ``max_rel_height_diff`` against clientseg's heights (0 up to rounding); for scikit-learn,
  which returns labels, ``ari_vs_clientseg`` of its 6 segments against clientseg's cut at 6
  (1.0: the same partition).
* ``two-stage segmenter``: a synthetic customer base (``clientseg.synth``) encoded with
  :class:`MixedDataEncoder` (FAMD, first 10 components, as HCPC's ``ncp``; encoding not
  timed), then ``HierarchicalSegmenter(6, strategy="two_stage", consolidate=True)``.
  Quality: ``ari`` against the base's true segments, ``n_micro``.
* ``two-stage vs exact``: on a 20,000-customer base where both run, the within-inertia at
  the true k of the two-stage tree (no consolidation) and consolidated, divided by the exact
  tree's (``within_ratio``; the issue asks <= 1.02), and each one's ARI.

Run: ``python benchmarks/run.py --profile regular --suite hierarchy --peers``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from benchmarks._harness import measure, paired, record, wanted
from clientseg import HierarchicalSegmenter, MixedDataEncoder, ward_linkage, ward_tree
from clientseg.synth import make_customer_base

SUITE = "hierarchy"
EXACT = {"smoke": [2_000], "regular": [5_000, 20_000], "large": [20_000, 50_000]}
TWO_STAGE = {"smoke": [5_000], "regular": [100_000, 1_000_000], "large": [1_000_000, 3_000_000]}
COMPARE = {"smoke": 3_000, "regular": 20_000, "large": 20_000}
SCIPY_MAX = 20_000  # scipy's condensed matrix: 1.6 GB at 20k, 20 GB at 70k
N_SEGMENTS = 6
N_MICRO = 200
REPEATS = {"smoke": 2, "regular": 5, "large": 5}  # paired rounds of clientseg and its peers


def _encoded_base(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    base = make_customer_base(n, n_segments=N_SEGMENTS, random_state=seed)
    X = MixedDataEncoder(n_components=10).fit(base.customers).transform(base.customers)
    return X, base.truth.segment.to_numpy()


def _rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def _sklearn_ward(X: np.ndarray) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(N_SEGMENTS, linkage="ward").fit_predict(X)


def _exact_rows(profile: str, peers: bool) -> list[dict[str, Any]]:
    rows = []
    for n in EXACT[profile]:
        X, _ = make_blobs(n, n_features=8, centers=6, random_state=0)
        size = {"n_customers": n, "n_features": 8}
        fns: dict[str, Any] = {}
        if peers:
            try:
                import fastcluster
            except ImportError:  # the bench extra is not installed: no fastcluster
                pass
            else:
                fns["fastcluster.linkage_vector"] = partial(fastcluster.linkage_vector, X,
                                                            "ward")
            if n <= SCIPY_MAX:
                from scipy.cluster.hierarchy import linkage

                fns["scipy.linkage"] = partial(linkage, X, "ward")
                fns["sklearn.AgglomerativeClustering"] = partial(_sklearn_ward, X)
        # Paired rounds (clientseg, fastcluster, clientseg, fastcluster, ...): single timings
        # move by +-30% on a shared machine, so rows keep each tool's median run and the
        # median of the paired ratios. scipy and scikit-learn (n² memory, minutes at 20k)
        # run in the first round only.
        result = paired(partial(ward_linkage, X), fns, repeats=REPEATS[profile],
                        peer_repeats={"scipy.linkage": 1,
                                      "sklearn.AgglomerativeClustering": 1})
        heights = result.results["clientseg"][:, 2]
        rows.append(result.row("clientseg", SUITE, "exact tree", size,
                               max_rel_height_diff=0.0))
        for tool in fns:
            out = result.results[tool]
            if tool.startswith("sklearn"):
                from scipy.cluster.hierarchy import fcluster

                ours6 = fcluster(result.results["clientseg"], N_SEGMENTS, criterion="maxclust")
                quality = {"ari_vs_clientseg": round(float(adjusted_rand_score(ours6, out)), 4)}
            else:
                quality = {"max_rel_height_diff": _rel_diff(out[:, 2], heights)}
            rows.append(result.row(tool, SUITE, "exact tree", size, **quality))
        del X, result
    return rows


def _two_stage_rows(profile: str) -> list[dict[str, Any]]:
    rows = []
    for n in TWO_STAGE[profile]:
        X, truth = _encoded_base(n)
        seg = HierarchicalSegmenter(N_SEGMENTS, strategy="two_stage", n_micro=N_MICRO,
                                    consolidate=True, random_state=0)
        m = measure(seg.fit, X)
        rows.append(record(
            SUITE, "two-stage segmenter", "clientseg",
            {"n_customers": n, "n_features": X.shape[1]}, m,
            ari=round(float(adjusted_rand_score(truth, seg.labels_)), 4),
            n_micro=seg.tree_.n_leaves,
        ))
        del X, truth, seg, m
    return rows


def _compare_rows(profile: str) -> list[dict[str, Any]]:
    n = COMPARE[profile]
    X, truth = _encoded_base(n, seed=1)
    size = {"n_customers": n, "n_features": X.shape[1]}
    exact = measure(ward_tree, X)
    w_exact = exact.result.within_inertia(N_SEGMENTS)
    ari_exact = adjusted_rand_score(truth, exact.result.labels(N_SEGMENTS))
    rows = [record(SUITE, "two-stage vs exact", "clientseg exact", size, exact,
                   within_ratio=1.0, ari=round(float(ari_exact), 4))]
    for consolidate in (False, True):
        seg = HierarchicalSegmenter(N_SEGMENTS, strategy="two_stage", n_micro=N_MICRO,
                                    consolidate=consolidate, random_state=0)
        m = measure(seg.fit, X)
        tool = "clientseg two-stage" + (" + consolidation" if consolidate else "")
        rows.append(record(SUITE, "two-stage vs exact", tool, size, m,
                           within_ratio=round(seg.inertia_ / w_exact, 4),
                           ari=round(float(adjusted_rand_score(truth, seg.labels_)), 4)))
    # the ratio column compares with the exact clientseg row of the same stage
    rows[0]["tool"] = "clientseg"
    return rows


def run(profile: str, peers: bool = False) -> list[dict[str, Any]]:
    """Time the exact tree (with peers), the two-stage segmenter and their agreement."""
    rows = _exact_rows(profile, peers) if wanted("exact tree") else []
    if wanted("two-stage segmenter"):
        rows += _two_stage_rows(profile)
    if wanted("two-stage vs exact"):
        rows += _compare_rows(profile)
    return rows


#: Stages whose paired ratios are headline numbers (``run.py --record``), with their labels;
#: recorded from the ``regular`` profile only.
HEADLINE_PROFILE = "regular"
HEADLINE_STAGES = {"exact tree": "exact Ward tree, 8 features"}
