"""Compute functions behind :func:`clientseg.segment_quality` (no input checks here).

Every function works on validated arrays: ``codes`` are segment codes ``0..k-1`` (every
code used), ``Z`` is the numeric matrix (float64, finite). Loops run over segments or
variables, never over customers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse, special, stats

__all__: list[str] = []


def indicator(codes: np.ndarray, k: int) -> sparse.csr_matrix:
    """Return the sparse ``k x n`` segment-membership matrix (``M @ Z`` sums by segment)."""
    n = codes.shape[0]
    return sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(k, n))


# ======================================================================================
# Geometry: homogeneity and separation
# ======================================================================================


@dataclass(frozen=True)
class Geometry:
    """Centres, inertias and distances of a partition of the numeric matrix."""

    codes: np.ndarray  # (n,) segment code of each customer
    counts: np.ndarray  # (k,) customers per segment
    centres: np.ndarray  # (k, d) segment means
    covariances: np.ndarray  # (k, d, d) population covariance matrix of each segment
    grand_mean: np.ndarray  # (d,)
    within: np.ndarray  # (k, d) within-segment sums of squares per variable
    between: np.ndarray  # (d,) between-segment sums of squares per variable
    total: np.ndarray  # (d,) total sums of squares per variable
    distance: np.ndarray  # (n,) Euclidean distance of each customer to its centre

    @property
    def k(self) -> int:
        """Number of segments."""
        return int(self.counts.shape[0])

    @property
    def n(self) -> int:
        """Number of customers."""
        return int(self.codes.shape[0])


def geometry(Z: np.ndarray, codes: np.ndarray, k: int) -> Geometry:
    """Segment centres, covariances and the exact decomposition total = within + between.

    Within sums of squares come from residuals (not from sums of squares minus squared
    sums), so they stay accurate when means are large relative to the spread.
    """
    M = indicator(codes, k)
    counts = np.bincount(codes, minlength=k).astype(float)
    centres = np.asarray(M @ Z) / counts[:, None]
    resid = Z - centres[codes]
    order = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts.astype(np.int64))])
    covariances = np.empty((k, Z.shape[1], Z.shape[1]))
    for s in range(k):  # one product per segment: n x d^2 flops in all
        block = resid[order[starts[s]:starts[s + 1]]]
        covariances[s] = block.T @ block / counts[s]
    sq = np.square(resid, out=resid)
    within = np.asarray(M @ sq)
    distance = np.sqrt(sq.sum(axis=1))
    grand_mean = counts @ centres / counts.sum()
    between = counts @ np.square(centres - grand_mean)
    total = within.sum(axis=0) + between
    return Geometry(codes, counts, centres, covariances, grand_mean, within, between, total,
                    distance)


def homogeneity(g: Geometry) -> dict[str, np.ndarray]:
    """Per-segment inertia ratio, mean distance to the centre, and per-variable ratios.

    ``inertia_ratio[s] = (W_s / n_s) / (T / n)``: the segment's mean squared distance to
    its centre over the base's mean squared distance to the grand mean (1 = as spread as
    the whole base). ``variance_ratio[s, j] = var_sj / var_j`` (population variances);
    ``eta2[j] = B_j / T_j`` (share of variable j's variance explained by the segments).
    """
    n = g.n
    total = g.total.sum()
    w_s = g.within.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        inertia_ratio = (w_s / g.counts) / (total / n) if total > 0 else np.full(g.k, np.nan)
        variance_ratio = (g.within / g.counts[:, None]) / (g.total / n)[None, :]
        eta2 = g.between / g.total
    variance_ratio[:, g.total == 0] = np.nan
    eta2[g.total == 0] = np.nan
    mean_distance = np.bincount(g.codes, weights=g.distance, minlength=g.k) / g.counts
    return {"inertia_ratio": inertia_ratio, "mean_distance": mean_distance,
            "variance_ratio": variance_ratio, "eta2": eta2}


def separation(g: Geometry, mean_distance: np.ndarray) -> dict[str, Any]:
    """Separation of each segment from its nearest neighbour, and the global indices.

    For segments s and t with centres ``c_s``, ``c_t`` at distance ``D`` and unit direction
    ``u = (c_t - c_s) / D``, the spread of each along that line is ``sd_s(u) =
    sqrt(u' Cov_s u)``; their separation is ``D / ((sd_s(u) + sd_t(u)) / 2)``: how many
    (average) standard deviations apart the centres are along the line that joins them, a
    two-group Cohen's d that does not grow with the number of variables. A segment's
    ``separation`` is the smallest over the other segments (``nearest``).

    Calinski-Harabasz ``(B / (k - 1)) / (W / (n - k))`` and Davies-Bouldin
    ``mean_s max_{t != s} (S_s + S_t) / D_st`` (``S``: mean distance to the centre) follow
    scikit-learn's definitions.
    """
    diff = g.centres[None, :, :] - g.centres[:, None, :]  # [s, t] = c_t - c_s
    centre_dist = np.sqrt(np.square(diff).sum(axis=2))
    with np.errstate(divide="ignore", invalid="ignore"):
        u = diff / centre_dist[:, :, None]
        u[centre_dist == 0] = 0.0
        var_s = np.einsum("std,sde,ste->st", u, g.covariances, u)  # spread of s towards t
        sd = np.sqrt(np.maximum(var_s, 0.0))
        spread = (sd + sd.T) / 2.0
        ratio = centre_dist / spread
    ratio[(spread == 0) & (centre_dist > 0)] = np.inf  # two point-like segments
    ratio[centre_dist == 0] = 0.0
    np.fill_diagonal(ratio, np.inf)
    nearest = np.argmin(ratio, axis=1)
    sep = ratio[np.arange(g.k), nearest]
    combined = mean_distance[:, None] + mean_distance[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        db = combined / centre_dist
    db[centre_dist == 0] = np.inf
    np.fill_diagonal(db, -np.inf)
    within_total = g.within.sum()
    between_total = g.between.sum()
    total = g.total.sum()
    if within_total > 0:
        ch = (between_total / (g.k - 1)) / (within_total / (g.n - g.k))
    else:
        ch = np.inf
    return {
        "nearest": nearest,
        "separation": sep,
        "centre_distance": centre_dist,
        "r2": between_total / total if total > 0 else np.nan,
        "calinski_harabasz": float(ch),
        "davies_bouldin": float(np.mean(db.max(axis=1))),
        "inertia_within": float(within_total),
        "inertia_total": float(total),
    }


#: Memory (MiB) of one block of pairwise distances in the silhouette.
_SILHOUETTE_BLOCK_MIB = 64


def silhouette(
    Z: np.ndarray, codes: np.ndarray, k: int, *, sample_size: int | None,
    rng: np.random.RandomState,
) -> dict[str, Any]:
    """Per-segment and overall mean silhouette, on a uniform sample past ``sample_size``.

    As ``sklearn.metrics.silhouette_score(sample_size=...)``: the sample is drawn without
    replacement and silhouettes are computed within it. ``n_sampled`` counts each segment's
    customers in the sample. The distances are formed in blocks of ``_SILHOUETTE_BLOCK_MIB``
    (scikit-learn's default working memory, 1 GiB, holds a 10,000-row sample's whole
    distance matrix at once: 760 MiB, and slower, as the blocks no longer fit in cache).
    """
    from sklearn import config_context
    from sklearn.metrics import silhouette_samples

    n = codes.shape[0]
    if sample_size is not None and sample_size < n:
        idx = np.sort(rng.choice(n, size=sample_size, replace=False))
        Zs, cs = Z[idx], codes[idx]
    else:
        Zs, cs = Z, codes
    n_sampled = np.bincount(cs, minlength=k)
    n_labels = np.count_nonzero(n_sampled)
    if n_labels < 2 or n_labels == cs.shape[0]:  # undefined (scikit-learn refuses both)
        return {"per_segment": np.full(k, np.nan), "overall": np.nan,
                "n_sampled": n_sampled, "sample_size": int(cs.shape[0])}
    with config_context(working_memory=_SILHOUETTE_BLOCK_MIB):
        s = silhouette_samples(Zs, cs)
    sums = np.bincount(cs, weights=s, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_segment = sums / n_sampled
    return {"per_segment": per_segment, "overall": float(s.mean()),
            "n_sampled": n_sampled, "sample_size": int(cs.shape[0])}


def typical_rows(g: Geometry, n_typical: int) -> list[np.ndarray]:
    """Positions of each segment's ``n_typical`` customers closest to its centre (sorted)."""
    out = []
    order = np.lexsort((np.arange(g.n), g.distance, g.codes))  # by segment, distance, row
    starts = np.concatenate([[0], np.cumsum(g.counts.astype(np.int64))])
    for s in range(g.k):
        stop = min(starts[s] + n_typical, starts[s + 1])
        out.append(order[starts[s]:stop])
    return out


# ======================================================================================
# Value, conversion, reach
# ======================================================================================


def value_metrics(value: np.ndarray, codes: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Total, share, mean, median, index (100 = base average) and Gini of value per segment.

    ``value_index = 100 * value_share / share``: the concentration of value against size
    (equivalently the segment's mean over the base mean). The Gini coefficient of value
    inside a segment is ``2 sum_i i v_(i) / (m sum v) - (m + 1) / m`` over sorted values.
    """
    counts = np.bincount(codes, minlength=k).astype(float)
    total = np.bincount(codes, weights=value, minlength=k)
    grand = value.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        share = total / grand if grand > 0 else np.full(k, np.nan)
        mean = total / counts
        index = 100.0 * mean / (grand / codes.shape[0]) if grand > 0 else np.full(k, np.nan)
    median = pd.Series(value).groupby(codes).median().reindex(range(k)).to_numpy(dtype=float)
    order = np.lexsort((value, codes))
    starts = np.concatenate([[0], np.cumsum(counts.astype(np.int64))])
    rank = np.arange(codes.shape[0]) - starts[codes[order]] + 1.0
    weighted = np.bincount(codes[order], weights=rank * value[order], minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        gini = 2.0 * weighted / (counts * total) - (counts + 1.0) / counts
    gini[total == 0] = np.nan
    return {"value_total": total, "value_share": share, "value_mean": mean,
            "value_median": median, "value_index": index, "value_gini": gini}


def rate_metrics(flags: np.ndarray, codes: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """Share of 1s per segment, and overall."""
    counts = np.bincount(codes, minlength=k).astype(float)
    ones = np.bincount(codes, weights=flags.astype(float), minlength=k)
    return ones / counts, float(flags.mean())


# ======================================================================================
# Profile: v-tests (FactoMineR catdes)
# ======================================================================================

PROFILE_COLUMNS = ("segment", "variable", "level", "kind", "segment_value", "overall_value",
                   "v_test", "p_value")


def numeric_vtests(Z: np.ndarray, g: Geometry) -> tuple[np.ndarray, np.ndarray]:
    """V-tests of numeric variables: the finite-population-corrected z of a segment mean.

    ``v = (m_sj - m_j) / sqrt(s_j^2 / n_s * (n - n_s) / (n - 1))`` with ``s_j^2`` the
    population variance (divided by n), as FactoMineR's catdes. Constant variables give NaN.
    Returns ``(v, p)``, both ``(k, d)``; ``p`` is two-sided.
    """
    n = g.n
    var = g.total / n
    n_s = g.counts[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.sqrt(var[None, :] / n_s * (n - n_s) / (n - 1))
        v = (g.centres - g.grand_mean[None, :]) / sd
    v[:, var == 0] = np.nan
    v[np.broadcast_to(n_s == n, v.shape)] = np.nan
    p = 2.0 * stats.norm.sf(np.abs(v))
    return v, p


def categorical_vtests(
    level_codes: np.ndarray, n_levels: int, codes: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """V-tests of the levels of one categorical variable, as FactoMineR's catdes.

    With ``X ~ Hypergeometric(n, n_l, n_s)`` the count of level l among the n_s customers
    of segment s, observed ``x = n_sl``: ``p = min(2 P(X < x) + P(X = x), 2 P(X > x) +
    P(X = x))`` (capped at 1) and ``v = sign * Phi^-1(1 - p / 2)``, positive when the level
    is over-represented (``x / n_s > n_l / n``). Computed in log space, so extreme
    over-representation on millions of customers gives a large finite v, never inf.
    Returns ``(v, p, share_in_segment)``, each ``(k, n_levels)``.
    """
    n = codes.shape[0]
    table = np.bincount(codes * n_levels + level_codes, minlength=k * n_levels).reshape(
        k, n_levels).astype(float)
    n_s = table.sum(axis=1, keepdims=True)
    n_l = table.sum(axis=0, keepdims=True)
    x = table
    dist = stats.hypergeom(n, np.broadcast_to(n_l, x.shape), np.broadcast_to(n_s, x.shape))
    log_lower = dist.logcdf(x - 1)  # log P(X < x)
    log_upper = dist.logsf(x)  # log P(X > x)
    log_eq = dist.logpmf(x)
    log_p = np.logaddexp(np.log(2.0) + np.minimum(log_lower, log_upper), log_eq)
    log_p = np.minimum(log_p, 0.0)
    magnitude = -special.ndtri_exp(log_p - np.log(2.0))  # Phi^-1(1 - p/2), from log p
    over = x / n_s > n_l / n
    v = np.where(over, magnitude, -magnitude)
    v[np.broadcast_to((n_l == 0) | (n_l == n), v.shape)] = np.nan
    return v, np.exp(log_p), x / n_s


def profile_table(
    Z: np.ndarray,
    numeric_names: Sequence[Any],
    categorical: Sequence[tuple[Any, np.ndarray, list[Any]]],
    g: Geometry,
    segments: pd.Index,
) -> pd.DataFrame:
    """Long table of v-tests: one row per segment x numeric variable or categorical level."""
    k = g.k
    frames = []
    if len(numeric_names):
        v, p = numeric_vtests(Z, g)
        d = len(numeric_names)
        frames.append(pd.DataFrame({
            "segment": np.repeat(np.arange(k), d),
            "variable": np.tile(np.asarray(numeric_names, dtype=object), k),
            "level": pd.Series([None] * (k * d), dtype=object),
            "kind": "numeric",
            "segment_value": g.centres.ravel(),
            "overall_value": np.tile(g.grand_mean, k),
            "v_test": v.ravel(),
            "p_value": p.ravel(),
        }))
    for name, level_codes, levels in categorical:
        L = len(levels)
        v, p, share = categorical_vtests(level_codes, L, g.codes, k)
        overall = np.bincount(level_codes, minlength=L) / g.n
        frames.append(pd.DataFrame({
            "segment": np.repeat(np.arange(k), L),
            "variable": pd.Series([name] * (k * L), dtype=object),
            "level": pd.Series(list(levels) * k, dtype=object),
            "kind": "categorical",
            "segment_value": share.ravel(),
            "overall_value": np.tile(overall, k),
            "v_test": v.ravel(),
            "p_value": p.ravel(),
        }))
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["segment", "v_test"], ascending=[True, False], kind="stable",
                          na_position="last")
    out["segment"] = segments.take(out["segment"].to_numpy())
    return out.reset_index(drop=True)


def feature_label(variable: Any, level: Any) -> str:
    """Name of a profile row: ``variable`` for numeric, ``variable=level`` for a level."""
    return str(variable) if level is None or (isinstance(level, float) and np.isnan(level)) \
        else f"{variable}={level}"
