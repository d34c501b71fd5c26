"""Benchmark of clientseg.quality against scikit-learn's global indices, in one process.

Stages (same matrix and labels for every tool, timed one after the other):

* ``global_indices``: Calinski-Harabasz and Davies-Bouldin on every customer, silhouette
  on a uniform sample of 10,000 customers (1,000 in smoke) (silhouettes are quadratic in n).
  clientseg: its geometry, separation and silhouette compute functions; scikit-learn:
  ``calinski_harabasz_score`` + ``davies_bouldin_score`` + ``silhouette_score(sample_size=)``.
* ``segment_quality``: the whole report (size, homogeneity, separation, value, profile,
  checks) without stability. No peer computes all of it.
* ``segment_quality+stability``: the same with Hennig's clusterboot, ``n_boot`` refits of
  the default :class:`HierarchicalSegmenter` (two-stage: 500 k-means micro-clusters, then
  Ward) on resamples of a ``n_stability_sample`` reference sample, one refit after the
  other on one thread each (``n_jobs=None``). The issue's target: 1M customers x 10
  variables, k = 8, B = 20 on a 20k sample, in at most 30 s.
* ``segment_quality+stability(KMeans)``: the same with k-means (k = 8) refits, which shows
  what the stability machinery itself costs.

Quality figures: ``r2`` and ``silhouette`` (must agree across tools), the number of failed
checks, and for stability the smallest mean Jaccard and the ARI between refits (the
segments are well separated, so both should be near 1).

Data: a seeded Gaussian mixture of ``N_SEGMENTS`` segments in ``N_VARIABLES`` dimensions,
with a non-negative value per customer.

Run: ``python benchmarks/run.py --profile regular --suite quality --peers``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.cluster import KMeans

from benchmarks._harness import measure, record

N_VARIABLES = 10
N_SEGMENTS = 8
TARGET_S = 30.0
# Refits in this process, one after the other: the harness's cpu_s then counts all the work
# (worker processes' CPU would be missed), and a 2-core machine gains little from workers.
N_JOBS: dict[str, int | None] = {"smoke": None, "regular": None, "large": None}
SIZES = {  # n_customers, n_boot, stability sample, silhouette sample
    "smoke": (5_000, 3, 1_000, 1_000),
    "regular": (1_000_000, 20, 20_000, 10_000),
    "large": (5_000_000, 20, 20_000, 10_000),
}


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A Gaussian mixture with well-separated segments and a gamma-distributed value."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 3.0, size=(N_SEGMENTS, N_VARIABLES))
    labels = rng.integers(0, N_SEGMENTS, n)
    X = centres[labels] + rng.normal(size=(n, N_VARIABLES))
    value = rng.gamma(2.0, 50.0, n) * (1.0 + labels)
    return X, labels, value


def _clientseg_indices(X: np.ndarray, labels: np.ndarray, n_sil: int) -> dict[str, float]:
    from clientseg.quality import _metrics as qm
    g = qm.geometry(X, labels, N_SEGMENTS)
    hom = qm.homogeneity(g)
    sep = qm.separation(g, hom["mean_distance"])
    sil = qm.silhouette(X, labels, N_SEGMENTS, sample_size=n_sil,
                        rng=np.random.RandomState(0))
    return {"ch": sep["calinski_harabasz"], "db": sep["davies_bouldin"],
            "silhouette": sil["overall"]}


def _sklearn_indices(X: np.ndarray, labels: np.ndarray, n_sil: int) -> dict[str, float]:
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

    return {"ch": calinski_harabasz_score(X, labels), "db": davies_bouldin_score(X, labels),
            "silhouette": silhouette_score(X, labels, sample_size=n_sil,
                                           random_state=0)}


def run(profile: str, peers: bool = False) -> list[dict[str, Any]]:
    """Time the global indices, the report, and the report with stability."""
    import clientseg as cs

    n, n_boot, n_sample, n_sil = SIZES[profile]
    X, labels, value = make_data(n)
    size = {"n_customers": n, "n_variables": N_VARIABLES, "n_segments": N_SEGMENTS}
    rows = []

    m = measure(_clientseg_indices, X, labels, n_sil)
    rows.append(record("quality", "global_indices", "clientseg", size, m,
                       calinski_harabasz=round(m.result["ch"], 1),
                       davies_bouldin=round(m.result["db"], 4),
                       silhouette=round(m.result["silhouette"], 4)))
    if peers:
        m = measure(_sklearn_indices, X, labels, n_sil)
        rows.append(record("quality", "global_indices", "scikit-learn", size, m,
                           calinski_harabasz=round(m.result["ch"], 1),
                           davies_bouldin=round(m.result["db"], 4),
                           silhouette=round(m.result["silhouette"], 4)))

    m = measure(cs.segment_quality, X, labels, value=value, silhouette_sample=n_sil,
                random_state=0)
    report = m.result
    rows.append(record("quality", "segment_quality", "clientseg", size, m,
                       r2=round(float(report.overall["r2"]), 4),
                       silhouette=round(float(report.overall["silhouette"]), 4),
                       failed_checks=len(report.failures)))
    del report, m

    stab_size = {**size, "n_boot": n_boot, "n_stability_sample": n_sample}
    for stage, estimator in (("segment_quality+stability", None),
                             ("segment_quality+stability(KMeans)",
                              KMeans(n_clusters=N_SEGMENTS, n_init=1))):
        m = measure(cs.segment_quality, X, labels, value=value, stability="bootstrap",
                    estimator=estimator, n_boot=n_boot, stability_sample=n_sample,
                    silhouette_sample=n_sil, n_jobs=N_JOBS[profile], random_state=0)
        report = m.result
        rows.append(record("quality", stage, "clientseg", stab_size, m,
                           estimator=report.stability.estimator, n_jobs=N_JOBS[profile],
                           min_jaccard=round(float(report.segments["jaccard_mean"].min()), 4),
                           ari_runs=round(float(report.overall["stability_ari_runs"]), 4),
                           within_30s=bool(m.wall_s <= TARGET_S)))
        del report, m
    return rows
