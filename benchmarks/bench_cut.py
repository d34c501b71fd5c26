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
