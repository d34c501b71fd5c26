"""Where to cut: a registered study of every criterion, the default rule and peers; speed.

Registered study (issue "automatic number of segments", items 1-2)
=====================================================================

Registered before any change to the rule: the families, their parameters and the seeds
below are fixed; a new rule is designed on the **tuning half** only, and the
**confirmation half** is run once, on the final code, and its table published whatever it
says.

Seeds. Realisation ``r`` of a family draws from
``numpy.random.default_rng([REGISTRATION_SEED, family.data_id, r])`` with
``REGISTRATION_SEED = 20260521`` and ``r = 0..39`` (``N_REALISATIONS = 40`` per family).
**Tuning half: even r (0, 2, ..., 38). Confirmation half: odd r (1, 3, ..., 39).**
Families that share ``data_id`` see the same draws (the heavy-tailed data under three
transforms; the customer base under its two encodings), so they are paired comparisons.

Families (``FAMILIES``; each ``make`` is a generator ``(rng) -> (X, true_k)``):

- ``twh_a`` .. ``twh_e``: Tibshirani, Walther & Hastie (2001), section 6: (a) 200 rows
  uniform on the unit 10-cube, k = 1; (b) 3 standard-normal clusters in 2-d of 25, 25, 50
  rows at (0, 0), (0, 5), (5, -3); (c) 4 clusters in 3-d, 25 or 50 rows each, centres
  from N(0, 5 I); (d) 4 clusters in 10-d, 25 or 50 rows, centres from N(0, 1.9 I) — in
  (c) and (d) a draw whose closest rows of two different clusters are less than 1.0
  apart is redrawn; (e) two elongated clusters in 3-d (100 rows each on the diagonal,
  noise sd 0.1, the second shifted by 10 on every axis).
- ``blobs_d{2,5,10,20}_sep{6,4,2.5}``: k uniform in 2..8 per realisation, 80 rows per
  cluster, N(0, I) clusters in d dimensions; centres uniform in a cube, then scaled so
  that the **closest pair of centres is exactly sep sd apart** (6: separated, 4: close,
  2.5: touching). 12 families.
- ``unequal_3``: 3 clusters of 5%, 35%, 60% of 600 rows, d = 4, closest centres 6 sd.
  ``unequal_4``: 4 clusters of 5%, 10%, 25%, 60% of 800 rows, d = 6, closest centres 5 sd.
- ``elongated_4d``: 3 clusters of 150 rows in 4-d, sd 3 along a random direction and 0.5
  across, closest centres 10 apart.
- ``heavy_{raw,log1p,ranks}``: spend-like data: 4 segments of 10/20/30/40% of 800 rows;
  log of 3 variables (frequency, spend, basket) are N(0, 0.5²) blobs whose closest centres
  are 4 sd (2 log-units) apart, offset by (1, 4, 3); the variables are exp() of that
  (log-normal). The same draws are then standardised raw, after log1p, or after ranks.
- ``outliers_1pct``: 4 clusters of 150 rows in 5-d, closest centres 6 sd, plus 1% (6 rows)
  uniform in the data's bounding box widened 3 times about its centre; true k = 4
  (outliers are not segments).
- ``mixed_famd``: 4 clusters of 150 rows: 3 numeric N(0, I) variables, closest centres
  4 sd, and 3 categorical variables of 4 levels (level j has probability 0.55 in cluster
  j, 0.15 otherwise); encoded with ``MixedDataEncoder()`` (all FAMD columns).
- ``noise_d{2,5,10,20}``: 500 rows of one Gaussian with a random covariance (random
  rotation, variances uniform in 0.5..2); k = 1.
- ``wine`` (k = 3), ``breast_cancer`` (k = 2), ``iris`` (k = 3, **reported, not scored**:
  versicolor and virginica touch, 2 is defensible): a random 90% of the rows, standardised.
- ``customer_{20k,100k,1m}_{customers,rfm}``: ``make_customer_base(n, n_segments=6)``
  encoded by ``MixedDataEncoder(n_components=10)`` as the user guide shows, either of the
  customers' criteria (``cut.md``, ``hierarchy.md``, ``quality.md``) or of the criteria
  joined with recency, frequency and monetary from ``rfm_table`` (``getting_started.md``,
  ``report.md``); true k = 6; tree from ``HierarchicalSegmenter(strategy="two_stage")``.
  **The 1M families are registered but skipped by the regular profile** (they run in the
  large profile only).
- ``online_retail_rfm``: **reported, not scored** (no truth): standardised recency,
  frequency and monetary of the bundled UCI Online Retail customers (a random 90%).

What is evaluated on every realisation (same data, same run): every criterion of
``select_cut``'s table (its own pick over k = 1..10), the current default rule, and the
peers (``PEERS``); see the runner below. Scored: a method is right when its k equals the
true k.

Legacy situations (``SITUATIONS``, ``study``) are the previous, smaller study whose table
is in ``docs/user_guide/cut.md`` (``python benchmarks/bench_cut.py 100``).

Speed: ``select_cut`` over k = 1..15 on a two-stage tree of a synthetic base (1M customers
at the regular profile).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial
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


# --------------------------------------------------------------------------------------
# The registered study: seeds, families (fixed before the rule is redesigned)
# --------------------------------------------------------------------------------------

REGISTRATION_SEED = 20260521
N_REALISATIONS = 40  # per family: r = 0..39
HALVES = ("tuning", "confirmation")


def realisation_ids(half: str, n_realisations: int = N_REALISATIONS) -> list[int]:
    """Realisations of a half: even r for tuning, odd r for confirmation."""
    if half not in HALVES:
        raise ValueError(f"half must be one of {HALVES}; got {half!r}")
    return list(range(0 if half == "tuning" else 1, n_realisations, 2))


def half_of(r: int) -> str:
    """The half a realisation belongs to."""
    return HALVES[r % 2]


@dataclass(frozen=True)
class Family:
    """One registered family of data sets with a known (or reported-only) number of groups."""

    name: str
    make: Generator  # (rng) -> (X, true_k)
    data_id: int  # families with the same data_id draw the same data
    description: str
    scored: bool = True  # False: reported only (no or ambiguous truth)
    profiles: tuple[str, ...] = ("regular", "large")
    labelled: Callable[[np.random.Generator], tuple[np.ndarray, int, np.ndarray]] | None = None
    tree: str = "exact"  # "exact": ward_tree(X); "two_stage": HierarchicalSegmenter


def family_rng(family: Family, r: int) -> np.random.Generator:
    """The registered generator of realisation r of a family."""
    return np.random.default_rng([REGISTRATION_SEED, family.data_id, r])


def _standardise(X: np.ndarray) -> np.ndarray:
    sd = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def _centres_min_sep(rng: np.random.Generator, k: int, d: int, sep: float) -> np.ndarray:
    """k centres uniform in a cube, scaled so that the closest pair is exactly sep apart."""
    while True:
        c = rng.uniform(0.0, 1.0, size=(k, d))
        dist = np.sqrt(((c[:, None, :] - c[None, :, :]) ** 2).sum(axis=2))
        closest = dist[np.triu_indices(k, 1)].min()
        if closest > 1e-6:
            return c * (sep / closest)


def _gaussian_groups(rng: np.random.Generator, centres: np.ndarray, sizes: list[int],
                     sd: float = 1.0) -> np.ndarray:
    return np.vstack([c + sd * rng.normal(size=(m, centres.shape[1]))
                      for c, m in zip(centres, sizes, strict=True)])


def _min_cross_distance(X: np.ndarray, labels: np.ndarray) -> float:
    from scipy.spatial.distance import cdist

    ks = np.unique(labels)
    return min(float(cdist(X[labels == a], X[labels == b]).min())
               for i, a in enumerate(ks) for b in ks[i + 1:])


def twh_a(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """TWH (a): 200 rows uniform on the unit 10-cube (no structure)."""
    return rng.uniform(size=(200, 10)), 1


def twh_b(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """TWH (b): 3 clusters in 2-d, 25/25/50 rows at (0, 0), (0, 5), (5, -3)."""
    centres = np.array([[0.0, 0.0], [0.0, 5.0], [5.0, -3.0]])
    return _gaussian_groups(rng, centres, [25, 25, 50]), 3


def _twh_four(rng: np.random.Generator, d: int, var: float) -> tuple[np.ndarray, int]:
    for _ in range(1000):
        centres = rng.normal(0.0, np.sqrt(var), size=(4, d))
        sizes = [int(m) for m in rng.choice([25, 50], size=4)]
        X = _gaussian_groups(rng, centres, sizes)
        if _min_cross_distance(X, np.repeat(np.arange(4), sizes)) >= 1.0:
            return X, 4
    raise RuntimeError("no admissible TWH draw in 1000 tries")


def twh_c(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """TWH (c): 4 clusters in 3-d, 25 or 50 rows, centres from N(0, 5 I)."""
    return _twh_four(rng, 3, 5.0)


def twh_d(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """TWH (d): 4 clusters in 10-d, 25 or 50 rows, centres from N(0, 1.9 I)."""
    return _twh_four(rng, 10, 1.9)


def twh_e(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """TWH (e): two elongated clusters in 3-d (Tibshirani et al. 2001, simulation 5)."""
    t = np.linspace(-0.5, 0.5, 100)
    line = np.repeat(t[:, None], 3, axis=1)
    a = line + rng.normal(0, 0.1, size=line.shape)
    b = line + 10.0 + rng.normal(0, 0.1, size=line.shape)
    return np.vstack([a, b]), 2


def blobs(rng: np.random.Generator, d: int, sep: float) -> tuple[np.ndarray, int]:
    """k uniform in 2..8 N(0, I) clusters of 80 rows in d dims; closest centres sep apart."""
    k = int(rng.integers(2, 9))
    return _gaussian_groups(rng, _centres_min_sep(rng, k, d, sep), [80] * k), k


def unequal(rng: np.random.Generator, shares: tuple[float, ...], n: int, d: int,
            sep: float) -> tuple[np.ndarray, int]:
    """Clusters of the given shares of n rows in d dims; closest centres sep apart."""
    sizes = [round(s * n) for s in shares]
    k = len(sizes)
    return _gaussian_groups(rng, _centres_min_sep(rng, k, d, sep), sizes), k


def elongated(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """3 clusters of 150 rows in 4-d, sd 3 along a random direction, 0.5 across."""
    k, d, m = 3, 4, 150
    centres = _centres_min_sep(rng, k, d, 10.0)
    parts = []
    for c in centres:
        u = rng.normal(size=d)
        u /= np.linalg.norm(u)
        parts.append(c + 0.5 * rng.normal(size=(m, d)) + 3.0 * rng.normal(size=(m, 1)) * u)
    return np.vstack(parts), k


def heavy_tailed(rng: np.random.Generator, transform: str) -> tuple[np.ndarray, int]:
    """4 log-normal spend-like segments (10/20/30/40% of 800 rows), then a transform."""
    sizes = [80, 160, 240, 320]
    logs = _gaussian_groups(rng, _centres_min_sep(rng, 4, 3, 4.0), sizes)  # sd units
    X = np.exp(0.5 * logs + np.array([1.0, 4.0, 3.0]))
    if transform == "log1p":
        X = np.log1p(X)
    elif transform == "ranks":
        from scipy.stats import rankdata

        X = rankdata(X, axis=0) / X.shape[0]
    return _standardise(X), 4


def outliers(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """4 clusters of 150 rows in 5-d (closest centres 6 sd) plus 1% uniform outliers."""
    X = _gaussian_groups(rng, _centres_min_sep(rng, 4, 5, 6.0), [150] * 4)
    lo, hi = X.min(axis=0), X.max(axis=0)
    mid, half = (lo + hi) / 2, 1.5 * (hi - lo)
    out = rng.uniform(mid - half, mid + half, size=(6, 5))
    return np.vstack([X, out]), 4


def mixed_famd(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """4 clusters: 3 numeric (closest centres 4 sd) + 3 categorical columns, FAMD-encoded."""
    from clientseg import MixedDataEncoder

    k, m = 4, 150
    num = _gaussian_groups(rng, _centres_min_sep(rng, k, 3, 4.0), [m] * k)
    labels = np.repeat(np.arange(k), m)
    frame = pd.DataFrame(num, columns=["x1", "x2", "x3"])
    for j in range(3):
        p = np.full((k, 4), 0.15)
        p[np.arange(k), np.arange(k)] = 0.55
        u = rng.random(labels.size)[:, None]
        level = (u > np.cumsum(p[labels], axis=1)).sum(axis=1)
        frame[f"c{j}"] = pd.Series([f"L{v}" for v in level], dtype=object)
    return MixedDataEncoder().fit_transform(frame), k


def gaussian_noise(rng: np.random.Generator, d: int) -> tuple[np.ndarray, int]:
    """500 rows of one Gaussian with a random covariance in d dims (no structure)."""
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    scale = np.sqrt(rng.uniform(0.5, 2.0, size=d))
    return (rng.normal(size=(500, d)) * scale) @ q.T, 1


@cache
def _sklearn_data(name: str) -> tuple[np.ndarray, int]:
    from sklearn import datasets

    loader = {"wine": datasets.load_wine, "breast_cancer": datasets.load_breast_cancer,
              "iris": datasets.load_iris}[name]
    data = loader()
    return np.asarray(data.data, dtype=float), int(np.unique(data.target).size)


def labelled_data(rng: np.random.Generator, name: str) -> tuple[np.ndarray, int]:
    """A random 90% of the rows of a scikit-learn data set, standardised."""
    X, k = _sklearn_data(name)
    keep = rng.choice(X.shape[0], size=int(0.9 * X.shape[0]), replace=False)
    return _standardise(X[np.sort(keep)]), k


def customer_base_labelled(rng: np.random.Generator, n: int,
                           encoding: str) -> tuple[np.ndarray, int, np.ndarray]:
    """The synthetic customer base, encoded as the user guide shows; with the true labels."""
    import clientseg as cs

    base = cs.synth.make_customer_base(n, n_segments=6, n_contacts=0,
                                       random_state=int(rng.integers(2**31)))
    customers = base.customers
    if encoding == "rfm":
        table = cs.rfm_table(base.transactions, customer_id_col="customer_id",
                             datetime_col="date", monetary_value_col="amount",
                             invoice_col="invoice_id", observation_period_end=base.truth.as_of,
                             returns="net", duplicates="drop")
        customers = customers.join(table[["recency_days", "frequency", "monetary"]],
                                   how="inner")
    X = cs.MixedDataEncoder(n_components=10).fit_transform(customers)
    truth = base.truth.segment.reindex(customers.index)
    return X, base.truth.n_segments, np.asarray(pd.Categorical(truth).codes)


def customer_base(rng: np.random.Generator, n: int, encoding: str) -> tuple[np.ndarray, int]:
    """The synthetic customer base through one documented encoding (6 true segments)."""
    X, k, _ = customer_base_labelled(rng, n, encoding)
    return X, k


@cache
def _online_retail_rfm() -> np.ndarray:
    import clientseg as cs

    tx = cs.datasets.load_online_retail()
    tx = tx[(tx["Quantity"] > 0) & tx["CustomerID"].notna()]
    table = cs.rfm_table(tx, customer_id_col="CustomerID", datetime_col="InvoiceDate",
                         monetary_value_col="Amount", invoice_col="InvoiceNo",
                         observation_period_end=tx["InvoiceDate"].max().normalize()
                         + pd.Timedelta(days=1), returns="drop")
    return table[["recency_days", "frequency", "monetary"]].to_numpy(float)


def online_retail(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Standardised recency, frequency, monetary of a random 90% of Online Retail (no truth)."""
    X = _online_retail_rfm()
    keep = rng.choice(X.shape[0], size=int(0.9 * X.shape[0]), replace=False)
    return _standardise(X[np.sort(keep)]), 0


def _families() -> dict[str, Family]:
    fams = [
        Family("twh_a", twh_a, 1, "TWH (a): uniform 10-cube, k = 1"),
        Family("twh_b", twh_b, 2, "TWH (b): 3 clusters in 2-d"),
        Family("twh_c", twh_c, 3, "TWH (c): 4 clusters in 3-d"),
        Family("twh_d", twh_d, 4, "TWH (d): 4 clusters in 10-d"),
        Family("twh_e", twh_e, 5, "TWH (e): 2 elongated clusters in 3-d"),
    ]
    data_id = 10
    for d in (2, 5, 10, 20):
        for sep in (6.0, 4.0, 2.5):
            fams.append(Family(f"blobs_d{d}_sep{sep:g}", partial(blobs, d=d, sep=sep),
                               data_id, f"2-8 blobs of 80 in {d}-d, closest centres "
                                        f"{sep:g} sd"))
            data_id += 1
    fams += [
        Family("unequal_3", partial(unequal, shares=(0.05, 0.35, 0.60), n=600, d=4,
                                    sep=6.0), 30, "5/35/60% of 600, 4-d, 6 sd"),
        Family("unequal_4", partial(unequal, shares=(0.05, 0.10, 0.25, 0.60), n=800, d=6,
                                    sep=5.0), 31, "5/10/25/60% of 800, 6-d, 5 sd"),
        Family("elongated_4d", elongated, 32, "3 elongated clusters (sd 3 / 0.5) in 4-d"),
    ]
    for t in ("raw", "log1p", "ranks"):
        fams.append(Family(f"heavy_{t}", partial(heavy_tailed, transform=t), 33,
                           f"4 log-normal spend segments, {t}, standardised"))
    fams += [
        Family("outliers_1pct", outliers, 34, "4 clusters in 5-d + 1% uniform outliers"),
        Family("mixed_famd", mixed_famd, 35, "4 clusters, 3 numeric + 3 categorical, FAMD"),
    ]
    for i, d in enumerate((2, 5, 10, 20)):
        fams.append(Family(f"noise_d{d}", partial(gaussian_noise, d=d), 40 + i,
                           f"one Gaussian in {d}-d, k = 1"))
    fams += [
        Family("wine", partial(labelled_data, name="wine"), 50, "wine, 90%, standardised"),
        Family("breast_cancer", partial(labelled_data, name="breast_cancer"), 51,
               "breast cancer, 90%, standardised"),
        Family("iris", partial(labelled_data, name="iris"), 52,
               "iris, 90%, standardised (ambiguous: reported)", scored=False),
    ]
    for i, (size, n) in enumerate((("20k", 20_000), ("100k", 100_000), ("1m", 1_000_000))):
        for enc in ("customers", "rfm"):
            fams.append(Family(
                f"customer_{size}_{enc}", partial(customer_base, n=n, encoding=enc), 60 + i,
                f"synthetic base, {n:,}, FAMD(10) of "
                f"{'criteria' if enc == 'customers' else 'criteria + RFM'}",
                profiles=("large",) if n >= 1_000_000 else ("regular", "large"),
                labelled=partial(customer_base_labelled, n=n, encoding=enc),
                tree="two_stage"))
    fams.append(Family("online_retail_rfm", online_retail, 70,
                       "Online Retail RFM, 90%, standardised (no truth: reported)",
                       scored=False))
    return {f.name: f for f in fams}


#: The registered families (see the module docstring).
FAMILIES: dict[str, Family] = _families()


# --------------------------------------------------------------------------------------
# Peers: each a function (X, k_range, rng) -> k, built on a curve over k
# --------------------------------------------------------------------------------------

PEER_MAX_ROWS = 1_000  # peers see a uniform sample of at most this many rows
PS_THRESHOLD = 0.8  # Tibshirani & Walther (2005) suggest 0.8-0.9; fpc's default is 0.8
PS_SPLITS = 5
STABILITY_B = 10  # bootstrap pairs (fpc::nselectboot uses B = 50)
GAP_BOX_REFERENCES = 10


def _ward_cuts(X: np.ndarray, ks: list[int]) -> dict[int, np.ndarray]:
    """Labels 0..k-1 of scipy's Ward tree of X cut at every k of ks."""
    from scipy.cluster.hierarchy import cut_tree, linkage

    Z = linkage(X, method="ward")
    cuts = cut_tree(Z, n_clusters=ks)
    return {k: cuts[:, i].astype(np.int64) for i, k in enumerate(ks)}


def _centres(X: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    counts = np.bincount(labels, minlength=k).astype(float)
    sums = np.zeros((k, X.shape[1]))
    np.add.at(sums, labels, X)
    return sums / np.maximum(counts, 1.0)[:, None]


def _nearest(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    d2 = (X**2).sum(axis=1)[:, None] - 2 * X @ centres.T + (centres**2).sum(axis=1)[None, :]
    return np.argmin(d2, axis=1)


def _same_pairs(a: np.ndarray, b: np.ndarray | None = None) -> float:
    """Number of pairs in the same group of a (and of b, if given)."""
    if b is None:
        c = np.bincount(a).astype(float)
    else:
        _, c = np.unique(a * (b.max() + 1) + b, return_counts=True)
        c = c.astype(float)
    return float((c * (c - 1) / 2).sum())


def bic_curve(X: np.ndarray, k_range: tuple[int, int], rng: np.random.Generator) -> pd.Series:
    """Lowest BIC (scikit-learn sign: smaller is better) over full and diagonal mixtures."""
    from sklearn.mixture import GaussianMixture

    seed = int(rng.integers(2**31))
    out = {}
    for k in range(k_range[0], k_range[1] + 1):
        best = np.inf
        for cov in ("full", "diag"):
            try:
                gm = GaussianMixture(k, covariance_type=cov, random_state=seed).fit(X)
                best = min(best, float(gm.bic(X)))
            except (ValueError, np.linalg.LinAlgError):
                continue
        out[k] = best
    return pd.Series(out, dtype=float)


def prediction_strength_curve(X: np.ndarray, k_range: tuple[int, int],
                              rng: np.random.Generator) -> pd.Series:
    """Tibshirani & Walther (2005) prediction strength of Ward, mean over random halvings."""
    ks = list(range(max(k_range[0], 2), k_range[1] + 1))
    n = X.shape[0]
    ps = {k: [] for k in ks}
    for _ in range(PS_SPLITS):
        perm = rng.permutation(n)
        train, test = X[perm[: n // 2]], X[perm[n // 2:]]
        cut_train, cut_test = _ward_cuts(train, ks), _ward_cuts(test, ks)
        for k in ks:
            pred = _nearest(test, _centres(train, cut_train[k], k))
            strengths = []
            for j in range(k):
                members = pred[cut_test[k] == j]
                m = members.size
                if m >= 2:
                    strengths.append(_same_pairs(members) / (m * (m - 1) / 2))
            ps[k].append(min(strengths) if strengths else 0.0)
    out = pd.Series({k: float(np.mean(v)) for k, v in ps.items()}, dtype=float)
    if k_range[0] <= 1:
        out.loc[1] = 1.0
    return out.sort_index()


def instability_curve(X: np.ndarray, k_range: tuple[int, int],
                      rng: np.random.Generator) -> pd.Series:
    """Fang & Wang (2012) bootstrap instability of Ward (as fpc::nselectboot), k >= 2."""
    ks = list(range(max(k_range[0], 2), k_range[1] + 1))
    n = X.shape[0]
    pairs = n * (n - 1) / 2
    inst = {k: [] for k in ks}
    for _ in range(STABILITY_B):
        fits = []
        for _ in range(2):
            boot = X[rng.integers(0, n, size=n)]
            cuts = _ward_cuts(boot, ks)
            fits.append({k: _nearest(X, _centres(boot, cuts[k], k)) for k in ks})
        for k in ks:
            a, b = fits[0][k], fits[1][k]
            disagree = _same_pairs(a) + _same_pairs(b) - 2 * _same_pairs(a, b)
            inst[k].append(disagree / pairs)
    return pd.Series({k: float(np.mean(v)) for k, v in inst.items()}, dtype=float)


def gap_box_curve(X: np.ndarray, k_range: tuple[int, int],
                  rng: np.random.Generator) -> pd.DataFrame:
    """Gap statistic with TWH's reference (a), uniform on each feature's range; Ward."""
    from scipy.cluster.hierarchy import linkage

    k_max = k_range[1] + 1

    def log_w(data: np.ndarray) -> np.ndarray:
        h = np.sort(linkage(data, method="ward")[:, 2])
        cum = np.concatenate([[0.0], np.cumsum(h**2 / 2.0)])
        return np.log(np.maximum(cum[::-1][:k_max], 1e-300))

    lo, hi = X.min(axis=0), X.max(axis=0)
    refs = np.array([log_w(rng.uniform(lo, hi, size=X.shape))
                     for _ in range(GAP_BOX_REFERENCES)])
    gap = refs.mean(axis=0) - log_w(X)
    se = refs.std(axis=0) * np.sqrt(1 + 1 / GAP_BOX_REFERENCES)
    return pd.DataFrame({"gap": gap, "se": se}, index=np.arange(1, k_max + 1))


def hcpc_curve(X: np.ndarray, k_range: tuple[int, int], rng: np.random.Generator) -> pd.Series:
    """FactoMineR HCPC's quotient W_k / W_{k-1} on the Ward tree of X (smaller is better)."""
    from scipy.cluster.hierarchy import linkage

    h = np.sort(linkage(X, method="ward")[:, 2])
    within = np.concatenate([[0.0], np.cumsum(h**2 / 2.0)])[::-1]  # W_k at index k - 1
    ks = np.arange(max(k_range[0], 2), k_range[1] + 1)
    return pd.Series(within[ks - 1] / within[ks - 2], index=ks)


def _one_se(gap: pd.Series, se: pd.Series, ks: np.ndarray) -> int:
    for k in ks:
        if k + 1 in gap.index and gap[k] >= gap[k + 1] - se[k + 1]:
            return int(k)
    return int(ks.max())


def peer_gap_box(X: np.ndarray, k_range: tuple[int, int], rng: np.random.Generator) -> int:
    """Gap statistic, reference (a), Tibshirani's 1-SE rule."""
    g = gap_box_curve(X, k_range, rng)
    return _one_se(g["gap"], g["se"], np.arange(k_range[0], k_range[1] + 1))


def peer_bic(X: np.ndarray, k_range: tuple[int, int], rng: np.random.Generator) -> int:
    """Gaussian mixtures (full or diagonal), lowest BIC (as mclust)."""
    return int(bic_curve(X, k_range, rng).idxmin())


def peer_prediction_strength(X: np.ndarray, k_range: tuple[int, int],
                             rng: np.random.Generator) -> int:
    """Largest k whose prediction strength is at least 0.8 (1 if none)."""
    ps = prediction_strength_curve(X, k_range, rng)
    ok = ps.index[ps.to_numpy() >= PS_THRESHOLD]
    return int(ok.max()) if len(ok) else 1


def peer_stability(X: np.ndarray, k_range: tuple[int, int], rng: np.random.Generator) -> int:
    """Smallest bootstrap instability over k >= 2 (as fpc::nselectboot)."""
    return int(instability_curve(X, k_range, rng).idxmin())


def peer_hcpc(X: np.ndarray, k_range: tuple[int, int], rng: np.random.Generator) -> int:
    """FactoMineR HCPC's automatic level: smallest W_k / W_{k-1} over k >= 3 (its min=3)."""
    q = hcpc_curve(X, k_range, rng)
    return int(q[q.index >= 3].idxmin()) if (q.index >= 3).any() else int(q.idxmin())


#: The peers, each (X, k_range, rng) -> k; "gap alone" is select_cut's own gap_pc pick.
PEERS: dict[str, Callable[..., int]] = {
    "peer_bic_gmm": peer_bic,
    "peer_prediction_strength": peer_prediction_strength,
    "peer_stability": peer_stability,
    "peer_hcpc": peer_hcpc,
    "peer_gap_box": peer_gap_box,
}


def _peer_curves(X: np.ndarray, k_range: tuple[int, int],
                 rng: np.random.Generator) -> tuple[dict[str, int], pd.DataFrame]:
    """Every peer's pick and its curve (one row per k), computed once."""
    ks = np.arange(k_range[0], k_range[1] + 1)
    bic = bic_curve(X, k_range, rng)
    ps = prediction_strength_curve(X, k_range, rng)
    inst = instability_curve(X, k_range, rng)
    hcpc = hcpc_curve(X, k_range, rng)
    gbox = gap_box_curve(X, k_range, rng)
    ok = ps.index[ps.to_numpy() >= PS_THRESHOLD]
    picks = {
        "peer_bic_gmm": int(bic.idxmin()),
        "peer_prediction_strength": int(ok.max()) if len(ok) else 1,
        "peer_stability": int(inst.idxmin()),
        "peer_hcpc": int(hcpc[hcpc.index >= 3].idxmin()),
        "peer_gap_box": _one_se(gbox["gap"], gbox["se"], ks),
    }
    curves = pd.DataFrame({"bic": bic, "prediction_strength": ps, "instability": inst,
                           "hcpc_quotient": hcpc, "gap_box": gbox["gap"],
                           "gap_box_se": gbox["se"]}).reindex(ks)
    return picks, curves


# --------------------------------------------------------------------------------------
# Candidate rules, computed from one realisation's curves (see the analysis in the docs)
# --------------------------------------------------------------------------------------

MIN_SHARE = 0.01  # outliers are not segments: groups below 1% of the rows


def _gap_series(c: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Gap and its standard error for k = 1..k_max + 1 (the table plus ``gap_next``)."""
    k_next = int(c.index.max()) + 1
    gap, se = c["gap_pc"].astype(float).copy(), c["gap_se"].astype(float).copy()
    gap.loc[k_next] = float(c["gap_next"].iloc[0])
    se.loc[k_next] = float(c["gap_next_se"].iloc[0])
    return gap, se


def _admissible(c: pd.DataFrame, min_share: float = MIN_SHARE) -> np.ndarray:
    """k = 1 and every k whose smallest group holds at least ``min_share`` of the rows."""
    return c.index[(c["min_share"] >= min_share) | (c.index == 1)].to_numpy()


def _gap_global_se(gap: pd.Series, se: pd.Series, ks: np.ndarray) -> int:
    """Smallest k of ks whose gap is within one SE of the best gap over ks (globalSEmax)."""
    best = int(gap.reindex(ks).idxmax())
    return int(min(k for k in ks if gap[k] >= gap[best] - se[best]))


def cand_gap_tibs_min_share(c: pd.DataFrame) -> int:
    """Gap, Tibshirani's 1-SE rule, among k = 1 and k whose groups all hold >= 1%."""
    gap, se = _gap_series(c)
    ks = _admissible(c)
    for k in ks:
        later = ks[ks > k]
        k2 = int(later[0]) if later.size else int(k) + 1
        if k2 not in gap.index or gap[k] >= gap[k2] - se[k2]:
            return int(k)
    return int(ks.max())


def cand_gap_global_se(c: pd.DataFrame) -> int:
    """Gap, global-max 1-SE rule (cluster::maxSE "globalSEmax"), admissible k only."""
    gap, se = _gap_series(c)
    return _gap_global_se(gap, se, _admissible(c))


def cand_bic_min_share(c: pd.DataFrame) -> int:
    """Gaussian-mixture BIC (the peer's curve) among admissible k."""
    return int(c["bic"].reindex(_admissible(c)).idxmin())


def cand_gap_test_knee(c: pd.DataFrame) -> int:
    """A gap test for structure, then the tree's knee (steps 1-3 of ``cand_proposed``)."""
    gap, se = _gap_series(c)
    ks = _admissible(c)
    if _gap_global_se(gap, se, ks) == 1:
        return 1
    multi = ks[ks >= 2]
    return int(c["gain_ratio"].reindex(multi).idxmax())


#: Step 4 of the proposed rule: climb past the knee while the gap still rises by more than
#: this many standard errors per step (tuning half: 2 splits elongated clusters, 8 misses
#: small clusters next to large ones; 4 keeps both).
CLIMB_SE = 4.0


def cand_proposed(c: pd.DataFrame) -> int:
    """The proposed default rule (tuned on the tuning half only).

    1. Admissible k: k = 1, and every k whose smallest group holds >= 1% of the rows.
    2. No structure (k = 1) when the gap statistic's global-max 1-SE rule over the
       admissible k answers 1: Gap(1) >= Gap(k*) - s(k*), k* the admissible k of largest gap.
    3. Otherwise k = the admissible k >= 2 of largest gain ratio Delta_k / Delta_{k+1}.
    4. While k + 1 is admissible and Gap(k + 1) - Gap(k) > 4 s(k + 1): k = k + 1.
    """
    k = cand_gap_test_knee(c)
    if k == 1:
        return 1
    gap, se = _gap_series(c)
    ks = set(_admissible(c).tolist())
    while k + 1 in ks and gap[k + 1] - gap[k] > CLIMB_SE * se[k + 1]:
        k += 1
    return int(k)


def cand_proposed_vote(c: pd.DataFrame) -> int:
    """Alternative: the same gap test, then a vote of gain ratio, Krzanowski-Lai,
    gap (global SE), BIC and Calinski-Harabasz among admissible k >= 2 (ties: larger gap)."""
    gap, se = _gap_series(c)
    ks = _admissible(c)
    if _gap_global_se(gap, se, ks) == 1:
        return 1
    multi = ks[ks >= 2]
    votes = pd.Series([int(c["gain_ratio"].reindex(multi).idxmax()),
                       int(c["krzanowski_lai"].reindex(multi).idxmax()),
                       _gap_global_se(gap, se, multi),
                       int(c["bic"].reindex(multi).idxmin()),
                       int(c["calinski_harabasz"].reindex(multi).idxmax())]).value_counts()
    top = votes.index[votes == votes.max()]
    return int(max(top, key=lambda k: gap[k]))


#: Candidate rules: name -> function of one realisation's curve frame (index k; columns of
#: select_cut's table, ``min_share``, ``gap_next``/``gap_next_se`` and the peers' curves).
CANDIDATES: dict[str, Callable[[pd.DataFrame], int]] = {
    "cand_gap_tibs_min_share": cand_gap_tibs_min_share,
    "cand_gap_global_se": cand_gap_global_se,
    "cand_bic_min_share": cand_bic_min_share,
    "cand_proposed_vote": cand_proposed_vote,
    "cand_gap_test_knee": cand_gap_test_knee,
    "cand_proposed": cand_proposed,
}


def candidate_rows(curves: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Every candidate's pick on every realisation of a curves frame (no recomputation).

    ``truth`` has one row per (family, r) with ``true_k``, ``scored``, ``half``, ``n``, ``d``.
    """
    rows = []
    for (fam, r), c in curves.groupby(["family", "r"], sort=False):
        c = c.set_index("k")
        info = truth.loc[(fam, r)]
        for name, rule in CANDIDATES.items():
            k = int(rule(c))
            rows.append({"family": fam, "r": r, "half": info["half"],
                         "true_k": info["true_k"], "scored": bool(info["scored"]),
                         "n": info["n"], "d": info["d"], "method": name, "k": k,
                         "right": bool(k == info["true_k"]) if info["scored"] else None})
    return pd.DataFrame(rows)


def replay(picks: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """Recompute the candidates' rows of a saved run from its curves (same data, same run)."""
    kept = picks[~picks["method"].str.startswith("cand_")]
    truth = kept.drop_duplicates(["family", "r"]).set_index(["family", "r"])
    return pd.concat([kept, candidate_rows(curves, truth)], ignore_index=True)


def consolidation_table(curves: pd.DataFrame, picks: pd.DataFrame,
                        methods: tuple[str, ...] = ("default", "cand_proposed")) -> pd.DataFrame:
    """Mean ARI of the tree's cut and of the consolidated cut (k-means from the cut's
    centroids), at the true k and at each method's k, per labelled family."""
    lab = curves.dropna(subset=["ari_cut"])
    if lab.empty:
        return pd.DataFrame()
    out = []
    for fam, c in lab.groupby("family", sort=False):
        p = picks[picks["family"] == fam]
        true_k = int(p["true_k"].iloc[0])
        row: dict[str, Any] = {"family": fam}
        at = c[c["k"] == true_k]
        row[f"cut@{true_k}"] = at["ari_cut"].mean()
        row[f"consolidated@{true_k}"] = at["ari_consolidated"].mean()
        for m in methods:
            chosen = p[p["method"] == m].set_index("r")["k"]
            sel = c[c["k"] == c["r"].map(chosen)]
            row[f"cut@{m}"] = sel["ari_cut"].mean()
            row[f"consolidated@{m}"] = sel["ari_consolidated"].mean()
        out.append(row)
    return pd.DataFrame(out).set_index("family").round(3)


# --------------------------------------------------------------------------------------
# The runner
# --------------------------------------------------------------------------------------

K_RANGE = (1, 10)
SMOKE_FAMILIES = ("twh_b", "noise_d5", "blobs_d5_sep6")


def evaluate(family: Family, r: int, *, peers: bool = True,
             ari: bool = True) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """One realisation: every criterion's pick, the default rule, the peers, the candidates.

    Returns the pick rows (method, k) and the curve frame (one row per k: select_cut's
    table, the peers' curves, the number of groups of at least 1%, and on labelled
    families the adjusted Rand index of the cut and of the consolidated cut).
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    rng = family_rng(family, r)
    if family.labelled is not None:
        X, true_k, truth = family.labelled(rng)
    else:
        (X, true_k), truth = family.make(rng), None
    n = X.shape[0]
    if family.tree == "exact":
        tree_arg: Any = ward_tree(X)
        tree, leaves = tree_arg, None
    else:
        tree_arg = HierarchicalSegmenter(2, strategy="two_stage", random_state=r).fit(X)
        tree, leaves = tree_arg.tree_, tree_arg.micro_labels_
    result = select_cut(tree_arg, X, k_range=K_RANGE, random_state=r)
    curves = result.table.copy()
    n_large, share = [], []
    ari_cut, ari_consol = [], []
    for k in curves.index:
        lab = tree.labels(int(k))
        lab = lab if leaves is None else lab[leaves]
        counts = np.bincount(lab, minlength=k)
        n_large.append(int((counts >= MIN_SHARE * n).sum()))
        share.append(counts.min() / n)
        if ari and truth is not None:
            ari_cut.append(adjusted_rand_score(truth, lab))
            if k == 1:
                ari_consol.append(0.0)
            else:
                km = KMeans(int(k), init=_centres(X, lab, int(k)), n_init=1,
                            random_state=0).fit(X)
                ari_consol.append(adjusted_rand_score(truth, km.labels_))
    curves["min_share"] = share
    curves["n_large"] = n_large
    if ari_cut:
        curves["ari_cut"] = ari_cut
        curves["ari_consolidated"] = ari_consol
    picks: dict[str, int] = {"default": int(result.k)}
    picks.update({name: int(k) for name, k in result.picks.items()})
    if peers:
        prng = np.random.default_rng([REGISTRATION_SEED, family.data_id, r, 1])
        Xp = X if n <= PEER_MAX_ROWS else X[np.sort(prng.choice(n, PEER_MAX_ROWS,
                                                                replace=False))]
        peer_picks, peer_curves = _peer_curves(Xp, K_RANGE, prng)
        picks.update(peer_picks)
        curves = curves.join(peer_curves)
    curves["gap_next"], curves["gap_next_se"] = result.table.attrs["gap_next"]
    for name, rule in CANDIDATES.items():
        try:
            picks[name] = int(rule(curves))
        except KeyError:  # a candidate that needs the peers' curves
            continue
    base = {"family": family.name, "r": r, "half": half_of(r), "true_k": true_k,
            "scored": family.scored, "n": n, "d": X.shape[1]}
    rows = [{**base, "method": m, "k": k,
             "right": bool(k == true_k) if family.scored else None}
            for m, k in picks.items()]
    curves = curves.reset_index().assign(family=family.name, r=r)
    return rows, curves


def registered_study(half: str = "tuning", *, profile: str = "regular",
                     families: list[str] | None = None, n_realisations: int | None = None,
                     peers: bool = True, confirm: bool = False,
                     progress: Callable[[int, pd.DataFrame, pd.DataFrame], None] | None = None,
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the registered study on one half: the tidy picks and the curves.

    ``progress(r, picks, curves)`` is called after each realisation (every family),
    so a long run can save as it goes. ``profile`` selects families ("smoke": three small
    ones, one realisation; "regular": every family but the 1M customer bases; "large":
    all). The confirmation half refuses
    to run unless ``confirm=True`` (once, on the final code).
    """
    from threadpoolctl import threadpool_limits

    if half == "confirmation" and not confirm:
        raise ValueError("the confirmation half runs once, on the final code: pass "
                         "confirm=True (--confirm on the command line)")
    ids = realisation_ids(half)
    if profile == "smoke":
        names = list(families or SMOKE_FAMILIES)
        ids = ids[:1]
    else:
        names = families or [f for f, fam in FAMILIES.items() if profile in fam.profiles]
    if n_realisations is not None:
        ids = ids[:n_realisations]
    rows: list[dict[str, Any]] = []
    curves = []
    with threadpool_limits(1):
        for r in ids:  # realisation-major: a run stopped early stays balanced
            new_rows, new_curves = [], []
            for name in names:
                pr, cu = evaluate(FAMILIES[name], r, peers=peers)
                new_rows += pr
                new_curves.append(cu)
            rows += new_rows
            curves += new_curves
            if progress is not None:
                progress(r, pd.DataFrame(new_rows), pd.concat(new_curves, ignore_index=True))
    return pd.DataFrame(rows), pd.concat(curves, ignore_index=True)


def accuracy(picks: pd.DataFrame) -> pd.DataFrame:
    """% of realisations where each method finds the true k: families x methods."""
    scored = picks[picks["scored"].astype(bool)]
    table = (scored.assign(right=scored["right"].astype(float))
             .pivot_table(index="family", columns="method", values="right", aggfunc="mean",
                          sort=False) * 100)
    order = list(dict.fromkeys(picks["method"]))
    table = table[[m for m in order if m in table.columns]]
    table.loc["worst"] = table.min(axis=0)
    table.loc["mean"] = table.drop(index="worst").mean(axis=0)
    return table.round(0)


def reported(picks: pd.DataFrame) -> pd.DataFrame:
    """Reported-only families: the distribution of each method's k ("k:count" strings)."""
    rep = picks[~picks["scored"].astype(bool)]
    return (rep.groupby(["family", "method"], sort=False)["k"]
            .agg(lambda s: " ".join(f"{k}:{c}" for k, c in s.value_counts().sort_index()
                                    .items())).unstack("family"))


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
    """The registered study's tuning half at the profile, then the speed on a large tree.

    The smoke profile runs one tuning realisation of three small families (the peers only
    with ``peers=True``); regular and large run every family of the profile.
    """
    m = measure(registered_study, "tuning", profile=profile, peers=peers)
    picks, _ = m.result
    table = accuracy(picks)
    rows = [record("cut", "registered study (tuning half): default rule", "clientseg",
                   {"n_realisations": int(picks.groupby(["family", "r"]).ngroups)}, m,
                   worst_family_accuracy=float(table.loc["worst", "default"]))]
    n_customers = {"smoke": 20_000, "regular": 1_000_000, "large": 1_000_000}[profile]
    rows += _speed_rows(n_customers)
    return rows


def _markdown(frame: pd.DataFrame) -> str:
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join([str(frame.index.name or ""), *cols]) + " |",
             "|" + "---|" * (len(cols) + 1)]
    for idx, row in frame.iterrows():
        cells = ["" if pd.isna(v) else f"{v:g}" if isinstance(v, float) else str(v)
                 for v in row]
        lines.append("| " + " | ".join([str(idx), *cells]) + " |")
    return "\n".join(lines)


def _write(picks: pd.DataFrame, curves: pd.DataFrame, out: Any, stem: str) -> str:
    from pathlib import Path

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    picks.to_csv(out / f"{stem}-picks.csv", index=False)
    curves.to_csv(out / f"{stem}-curves.csv", index=False)
    text = (f"# Cut study, {stem}\n\n% right per family (rows) and method (columns)\n\n"
            f"{_markdown(accuracy(picks).T)}\n\nReported-only families (k:count)\n\n"
            f"{_markdown(reported(picks))}\n\nARI of the cut and of the consolidated cut "
            f"(labelled families)\n\n{_markdown(consolidation_table(curves, picks))}\n")
    (out / f"{stem}-accuracy.md").write_text(text)
    return text


def main(argv: list[str] | None = None) -> int:
    """Command line: the registered study on one half, or the legacy study (an integer)."""
    import argparse
    import sys
    import time
    from pathlib import Path

    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0].isdigit():  # legacy: python benchmarks/bench_cut.py 100
        print(accuracy_table(study(int(argv[0]))).round(2).to_string())
        return 0
    parser = argparse.ArgumentParser(description="The registered cut-selection study.")
    parser.add_argument("--half", choices=HALVES, default="tuning")
    parser.add_argument("--profile", choices=("smoke", "regular", "large"), default="regular")
    parser.add_argument("--families", nargs="*", default=None)
    parser.add_argument("--realisations", type=int, default=None,
                        help="only the first N realisations of the half")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--confirm", action="store_true",
                        help="required for the confirmation half (run once, final code)")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parent / "results")
    parser.add_argument("--tag", default="")
    parser.add_argument("--replay", nargs="*", default=None, metavar="STEM",
                        help="recompute the candidate rules from saved runs "
                             "(<out>/<STEM>-picks.csv and -curves.csv, or .partial.csv)")
    args = parser.parse_args(argv)
    if args.replay is not None:
        def load(stem: str, part: str) -> pd.DataFrame:
            full = args.out / f"{stem}-{part}.csv"
            return pd.read_csv(full if full.exists() else args.out / f"{stem}-{part}.partial.csv")

        picks = pd.concat([load(st, "picks") for st in args.replay], ignore_index=True)
        curves = pd.concat([load(st, "curves") for st in args.replay], ignore_index=True)
        done = curves.groupby("family")["r"].nunique()
        print(f"replayed {len(done)} families, {done.min()}-{done.max()} realisations each")
        print(_write(replay(picks, curves), curves, args.out,
                     f"cut-replay{'-' + args.tag if args.tag else ''}"))
        return 0

    stem = f"cut-{args.half}{'-' + args.tag if args.tag else ''}"
    args.out.mkdir(parents=True, exist_ok=True)
    partial_files = [args.out / f"{stem}-{part}.partial.csv" for part in ("picks", "curves")]
    for f in partial_files:
        f.unlink(missing_ok=True)

    def progress(r: int, picks: pd.DataFrame, curves: pd.DataFrame) -> None:
        for f, frame in zip(partial_files, (picks, curves), strict=True):
            frame.to_csv(f, mode="a", header=not f.exists(), index=False)
        print(f"[{time.strftime('%H:%M:%S')}] realisation {r} done", file=sys.stderr,
              flush=True)

    picks, curves = registered_study(args.half, profile=args.profile,
                                     families=args.families, n_realisations=args.realisations,
                                     peers=not args.no_peers, confirm=args.confirm,
                                     progress=progress)
    print(_write(picks, curves, args.out, stem))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
