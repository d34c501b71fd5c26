"""Where to cut: a simulation study of every criterion and the default rule, and speed.

Situations with a known number of segments (see ``SITUATIONS``): separated and touching
spherical blobs, unequal sizes (5% / 35% / 60%), elongated clusters, many dimensions, many
clusters in the plane, two with no structure at all (uniform noise, one Gaussian), and two
hold-out situations (blobs of different spreads; touching blobs of unequal sizes). See
``docs/user_guide/cut.md`` for how the rule was designed and which data it never saw.
Each realisation draws a data set, builds the exact Ward tree, and runs
``select_cut(k_range=(1, 10))``; the study counts how often each criterion's own pick and
the default rule's k equal the true k. The table goes in ``docs/user_guide/cut.md``.

Speed: ``select_cut`` over k = 1..15 on a two-stage tree of a synthetic base (1M customers
at the regular profile).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._harness import measure, record
from clientseg.cut import CUT_CRITERIA, select_cut
from clientseg.hierarchy import HierarchicalSegmenter, ward_tree

Generator = Callable[[np.random.Generator], tuple[np.ndarray, int]]


def _blobs(rng: np.random.Generator, sizes: list[int], d: int, min_sep: float,
           spread: float = 1.0) -> np.ndarray:
    """Spherical N(0, spread²) blobs whose centres are at least ``min_sep`` apart."""
    k = len(sizes)
    box = max(min_sep * k ** (1 / max(d, 1)) * 1.5, min_sep * 2)
    centres = np.empty((0, d))
    while centres.shape[0] < k:  # rejection sampling of well-spaced centres
        c = rng.uniform(0, box, size=d)
        if centres.shape[0] == 0 or np.min(np.linalg.norm(centres - c, axis=1)) >= min_sep:
            centres = np.vstack([centres, c])
    return np.vstack([c + spread * rng.normal(size=(m, d))
                      for c, m in zip(centres, sizes, strict=True)])


def separated(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Four blobs of 100 in 5 dimensions, centres at least 8 sd apart."""
    return _blobs(rng, [100] * 4, 5, 8.0), 4


def touching(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Four blobs of 100 in 5 dimensions, centres at least 5 sd apart: tails overlap."""
    return _blobs(rng, [100] * 4, 5, 5.0), 4


def unequal(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Three blobs of 5%, 35% and 60% of 600 rows in 4 dimensions, 7 sd apart."""
    return _blobs(rng, [30, 210, 360], 4, 7.0), 3


def elongated(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Two parallel elongated clusters in 3 dimensions (Tibshirani et al. 2001, sim. 5)."""
    t = np.linspace(-0.5, 0.5, 100)
    line = np.repeat(t[:, None], 3, axis=1)
    a = line + rng.normal(0, 0.1, size=line.shape)
    b = line + 10.0 + rng.normal(0, 0.1, size=line.shape)
    return np.vstack([a, b]), 2


def high_dimension(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Five blobs of 80 in 20 dimensions, centres at least 8 sd apart."""
    return _blobs(rng, [80] * 5, 20, 8.0), 5


def many_in_plane(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Six blobs of 60 in 2 dimensions, centres at least 7 sd apart."""
    return _blobs(rng, [60] * 6, 2, 7.0), 6


def uniform_noise(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """400 rows uniform on the unit cube in 5 dimensions: no structure."""
    return rng.uniform(size=(400, 5)), 1


def gaussian_noise(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """400 rows of one correlated Gaussian in 4 dimensions: no structure."""
    cov = np.array([[1.0, 0.6, 0.3, 0.0], [0.6, 1.0, 0.4, 0.1],
                    [0.3, 0.4, 1.0, 0.2], [0.0, 0.1, 0.2, 1.0]])
    return rng.multivariate_normal(np.zeros(4), cov, size=400), 1


def different_spreads(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Three blobs of 120 in 3 dimensions with sd 0.5, 1 and 2, centres 9 apart (hold-out)."""
    sizes, d = [120, 120, 120], 3
    X = _blobs(rng, sizes, d, 9.0)
    spread = np.repeat([0.5, 1.0, 2.0], sizes)[:, None]
    centres = np.repeat(X.reshape(3, 120, d).mean(axis=1), sizes, axis=0)
    return centres + (X - centres) * spread, 3


def touching_unequal(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Four blobs of 10/20/30/40% of 500 rows in 6 dimensions, >= 6 sd apart (hold-out)."""
    return _blobs(rng, [50, 100, 150, 200], 6, 6.0), 4


SITUATIONS: dict[str, Generator] = {
    "separated": separated,
    "touching": touching,
    "unequal sizes": unequal,
    "elongated": elongated,
    "20 dimensions": high_dimension,
    "6 in the plane": many_in_plane,
    "uniform noise": uniform_noise,
    "gaussian noise": gaussian_noise,
    "different spreads (hold-out)": different_spreads,
    "touching, unequal (hold-out 2)": touching_unequal,
}

REALISATIONS = {"smoke": 2, "regular": 20, "large": 100}  # the docs table: `bench_cut.py 100`


def study(n_realisations: int, seed: int = 1) -> pd.DataFrame:
    """One row per situation x realisation: the true k, each criterion's pick, the rule's k."""
    rows = []
    for s, (name, make) in enumerate(SITUATIONS.items()):
        for r in range(n_realisations):
            rng = np.random.default_rng([seed, s, r])
            X, true_k = make(rng)
            result = select_cut(ward_tree(X), X, k_range=(1, 10), random_state=r)
            rows.append({"situation": name, "realisation": r, "true_k": true_k,
                         "default": result.k, **result.picks.to_dict()})
    return pd.DataFrame(rows)


def accuracy_table(picks: pd.DataFrame) -> pd.DataFrame:
    """Share of realisations where each criterion (and the default rule) finds the true k."""
    methods = ["default", *CUT_CRITERIA]
    hit = picks[methods].eq(picks["true_k"], axis=0)
    table = hit.groupby(picks["situation"], sort=False).mean().T
    table["worst"] = table.min(axis=1)
    return table


def _speed_rows(n_customers: int) -> list[dict[str, Any]]:
    from clientseg.synth import make_customer_base

    base = make_customer_base(n_customers, random_state=0, n_contacts=0)
    tx = base.transactions
    per = tx.groupby("customer_id").agg(f=("invoice_id", "nunique"), m=("amount", "sum"),
                                        last=("date", "max"))
    X = np.column_stack([
        np.log1p(per["f"]), np.log1p(per["m"]),
        (base.truth.as_of - per["last"]).dt.days / 30.0,
        base.customers[["email_open_rate", "site_visits", "days_since_last_contact"]]
        .to_numpy(float),
    ])
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    seg = HierarchicalSegmenter(n_segments=6, strategy="two_stage", random_state=0).fit(X)
    m = measure(select_cut, seg, X, k_range=(1, 15), random_state=0)
    return [record("cut", "select_cut k=1..15 (two-stage tree)", "clientseg",
                   {"n_customers": n_customers}, m, chosen_k=m.result.k,
                   true_k=base.truth.n_segments,
                   silhouette_sample=m.result.sample_sizes.get("silhouette"),
                   gap_sample=m.result.sample_sizes.get("gap_pc"))]


def run(profile: str, peers: bool = False) -> list[dict[str, Any]]:
    """The study at the profile's number of realisations, then the speed on a large tree."""
    n_real = REALISATIONS[profile]
    m = measure(study, n_real)
    table = accuracy_table(m.result)
    rows = [record("cut", "study: default rule", "clientseg",
                   {"n_realisations": n_real * len(SITUATIONS)}, m,
                   worst_situation_accuracy=round(float(table.loc["default", "worst"]), 3))]
    n_customers = {"smoke": 20_000, "regular": 1_000_000, "large": 1_000_000}[profile]
    rows += _speed_rows(n_customers)
    return rows


if __name__ == "__main__":
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    picks = study(n)
    print(accuracy_table(picks).round(2).to_string())
