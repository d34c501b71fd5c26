"""Stability of segments: clusterboot-style refits, and retention between two snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clientseg._core.plot_style import (
    HIGHLIGHT_COLOR,
    NEUTRAL_COLOR,
    new_axes,
    segment_colors,
)
from clientseg.exceptions import InvalidParameterError

__all__: list[str] = []

#: Hennig's reading of a segment's mean Jaccard: at least 0.75 stable, at most 0.5 dissolved.
STABLE_JACCARD = 0.75
DISSOLVED_JACCARD = 0.5

STABILITY_METHODS = ("bootstrap", "subsample")


def jaccard_best_match(reference: np.ndarray, refit: np.ndarray, k: int) -> np.ndarray:
    """Per reference segment, the largest Jaccard index with any refit segment.

    ``J(A, B) = |A & B| / |A | B|`` on the customers present in both labelings (the arrays
    are aligned). A reference segment with no customer present gets NaN.
    """
    refit_codes, _ = pd.factorize(refit)
    m = int(refit_codes.max()) + 1 if refit_codes.size else 0
    table = np.bincount(reference * m + refit_codes, minlength=k * m).reshape(k, m)
    size_ref = table.sum(axis=1, keepdims=True)
    size_refit = table.sum(axis=0, keepdims=True)
    union = size_ref + size_refit - table
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = np.where(union > 0, table / union, 0.0)
    best = jac.max(axis=1) if m else np.zeros(k)
    best = best.astype(float)
    best[size_ref[:, 0] == 0] = np.nan
    return best


def _set_n_segments(estimator: Any, k: int) -> Any:
    """Clone ``estimator`` and give it k segments via ``n_segments`` or ``n_clusters``."""
    from sklearn.base import clone

    est = clone(estimator)
    params = est.get_params(deep=False)
    for name in ("n_segments", "n_clusters"):
        if name in params:
            est.set_params(**{name: k})
            break
    return est


def _fit_labels(est: Any, X: Any) -> np.ndarray:
    if hasattr(est, "fit_predict"):
        return np.asarray(est.fit_predict(X))
    est.fit(X)
    if hasattr(est, "labels_"):
        return np.asarray(est.labels_)
    return np.asarray(est.predict(X))


def _refit_one(estimator: Any, k: int, X: Any, seed: int | None) -> np.ndarray:
    """Fit a fresh clone with k segments (and ``seed``) on X; return its labels of X.

    The fit runs with one BLAS / OpenMP thread: a refit on a sample of thousands of rows
    gains nothing from more threads and loses several times its time when cores are
    shared (threads spin while waiting); replicates run side by side through ``n_jobs``.
    """
    from threadpoolctl import threadpool_limits

    est = _set_n_segments(estimator, k)
    if seed is not None:
        est.set_params(random_state=seed)
    with threadpool_limits(limits=1):
        return _fit_labels(est, X)


def _take_rows(X: Any, idx: np.ndarray) -> Any:
    return X.iloc[idx] if isinstance(X, pd.DataFrame) else X[idx]


@dataclass(frozen=True)
class StabilityResult:
    """Resampling stability of segments (see :func:`clientseg.segment_stability`).

    Attributes
    ----------
    jaccard : DataFrame
        One row per replicate, one column per segment: the segment's best Jaccard index
        with the refit segments of that replicate.
    method : str
        ``"bootstrap"`` or ``"subsample"``.
    n_boot : int
        Number of replicates.
    sample_size : int
        Customers in the reference sample the replicates were drawn from.
    ari_runs : float
        Mean adjusted Rand index between the refits of every pair of replicates, on the
        customers the two replicates share.
    ari_labels : float
        Mean adjusted Rand index between each refit and the given labels.
    estimator : str
        Description of the estimator that was refit.
    runs : ndarray of shape (n_boot, sample_size)
        Refit segment codes of each replicate for each customer of the reference sample
        (-1 where the customer was not in the replicate).
    """

    jaccard: pd.DataFrame
    method: str
    n_boot: int
    sample_size: int
    ari_runs: float
    ari_labels: float
    estimator: str
    runs: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """Per segment: mean Jaccard, share of replicates dissolved / recovered, status."""
        jac = self.jaccard
        mean = jac.mean(axis=0)
        out = pd.DataFrame({
            "jaccard_mean": mean,
            "jaccard_min": jac.min(axis=0),
            "dissolved_share": (jac <= DISSOLVED_JACCARD).mean(axis=0),
            "recovered_share": (jac > STABLE_JACCARD).mean(axis=0),
            "status": np.where(mean >= STABLE_JACCARD, "stable",
                               np.where(mean <= DISSOLVED_JACCARD, "dissolved", "doubtful")),
        })
        out.index.name = "segment"
        return out

    def plot(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the stability bars (see :func:`clientseg.plotting.plot_segment_stability`)."""
        return plot_segment_stability(self, ax=ax, **kwargs)


def stability(
    X: Any,
    codes: np.ndarray,
    segments: pd.Index,
    *,
    estimator: Any,
    method: str,
    n_boot: int,
    sample_size: int | None,
    fraction: float,
    rng: np.random.RandomState,
    n_jobs: int | None = None,
) -> StabilityResult:
    """Clusterboot (Hennig 2007) with a reference sample for large bases.

    A reference sample of ``sample_size`` customers (all when None or larger than n) is
    drawn once. Each replicate draws from it a bootstrap sample (with replacement; points
    drawn twice are used once, fpc's ``multipleboot=FALSE``) or a subsample without
    replacement of ``fraction`` of it, refits a clone of ``estimator`` with the same number
    of segments, and records, per segment, the best Jaccard index between the segment
    (restricted to the replicate's customers) and the refit segments. Refits run in
    ``n_jobs`` joblib workers; the draws are made beforehand, so the result is the same.
    """
    from joblib import Parallel, delayed
    from sklearn.metrics import adjusted_rand_score

    n = codes.shape[0]
    k = len(segments)
    if sample_size is not None and sample_size < n:
        ref = np.sort(rng.choice(n, size=sample_size, replace=False))
    else:
        ref = np.arange(n)
    m = ref.shape[0]
    ref_codes = codes[ref]
    est0 = _set_n_segments(estimator, k)
    has_seed = "random_state" in est0.get_params(deep=False)
    draws = []  # every random number is drawn here, so n_jobs never changes the result
    for _ in range(n_boot):
        if method == "bootstrap":
            pos = np.unique(rng.randint(0, m, size=m))
        else:
            pos = np.sort(rng.choice(m, size=max(round(fraction * m), 2), replace=False))
        seed = int(rng.randint(0, 2**31 - 1)) if has_seed else None
        draws.append((pos, seed))
    fitted = Parallel(n_jobs=n_jobs)(
        delayed(_refit_one)(estimator, k, _take_rows(X, ref[pos]), seed) for pos, seed in draws
    )
    runs = np.full((n_boot, m), -1, dtype=np.int32)
    jac = np.empty((n_boot, k))
    for b, ((pos, _), labels) in enumerate(zip(draws, fitted, strict=True)):
        if labels.shape[0] != pos.shape[0]:
            raise InvalidParameterError(
                f"Parameter 'estimator' returned {labels.shape[0]:,} labels for "
                f"{pos.shape[0]:,} rows; it must label every row it is fitted on."
            )
        refit_codes, _ = pd.factorize(labels)
        runs[b, pos] = refit_codes
        jac[b] = jaccard_best_match(ref_codes[pos], refit_codes, k)
    ari_labels = [adjusted_rand_score(ref_codes[r >= 0], r[r >= 0]) for r in runs]
    ari_runs = []
    for b in range(n_boot):
        for c in range(b + 1, n_boot):
            both = (runs[b] >= 0) & (runs[c] >= 0)
            if both.sum() > 1:
                ari_runs.append(adjusted_rand_score(runs[b, both], runs[c, both]))
    table = pd.DataFrame(jac, columns=segments.copy())
    table.index.name = "replicate"
    return StabilityResult(
        jaccard=table,
        method=method,
        n_boot=n_boot,
        sample_size=m,
        ari_runs=float(np.mean(ari_runs)) if ari_runs else float("nan"),
        ari_labels=float(np.mean(ari_labels)),
        estimator=type(estimator).__name__,
        runs=runs,
    )


# ======================================================================================
# Retention between two snapshots
# ======================================================================================


@dataclass(frozen=True)
class RetentionResult:
    """Who kept their segment between two snapshots (see :func:`clientseg.segment_retention`).

    Attributes
    ----------
    table : DataFrame
        Per segment of the first snapshot: ``customers``, ``kept``, ``retention``
        (kept / customers), ``main_destination`` (the segment most of them are in at the
        second snapshot) and ``matched_to`` (the second snapshot's segment compared with it).
    retention : float
        Share of all customers who kept their segment.
    ari : float
        Adjusted Rand index between the two labelings (1 = same partition, whatever the
        names; about 0 = unrelated).
    n_customers : int
        Customers in both snapshots.
    matched : bool
        Whether second-snapshot segments were matched to first-snapshot ones by overlap.
    """

    table: pd.DataFrame
    retention: float
    ari: float
    n_customers: int
    matched: bool

    def to_frame(self) -> pd.DataFrame:
        """Return the per-segment table (a copy)."""
        return self.table.copy()


def retention(codes0: np.ndarray, names0: pd.Index, codes1: np.ndarray, names1: pd.Index,
              *, match: bool) -> RetentionResult:
    """Share of customers keeping their segment; with ``match``, segments paired by overlap.

    Matching maximises the number of customers kept over one-to-one pairings of segments
    (Hungarian algorithm on the contingency table), so arbitrary cluster numbers of two
    separate fits can be compared. Without matching, segments are paired by name.
    """
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics import adjusted_rand_score

    k0, k1 = len(names0), len(names1)
    table = np.bincount(codes0 * k1 + codes1, minlength=k0 * k1).reshape(k0, k1)
    if match:
        rows, cols = linear_sum_assignment(-table)
        partner = np.full(k0, -1)
        partner[rows] = cols
    else:
        lookup = {name: j for j, name in enumerate(names1)}
        partner = np.array([lookup.get(name, -1) for name in names0])
    kept = np.where(partner >= 0, table[np.arange(k0), np.maximum(partner, 0)], 0)
    customers = table.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = kept / customers
    out = pd.DataFrame({
        "customers": customers,
        "kept": kept,
        "retention": rate,
        "main_destination": names1.take(table.argmax(axis=1)),
        "matched_to": pd.Series([names1[j] if j >= 0 else None for j in partner],
                                dtype=object).to_numpy(),
    }, index=names0.copy())
    out.index.name = "segment"
    return RetentionResult(
        table=out,
        retention=float(kept.sum() / codes0.shape[0]),
        ari=float(adjusted_rand_score(codes0, codes1)),
        n_customers=int(codes0.shape[0]),
        matched=match,
    )


def plot_segment_stability(result: Any, *, ax: Any = None, **kwargs: Any) -> Any:
    """Bars of each segment's mean Jaccard over refits, with min-max whiskers.

    Lines at 0.75 (stable at or above) and 0.5 (dissolved at or below), Hennig's reading.

    Parameters
    ----------
    result : StabilityResult or QualityReport
        A :func:`clientseg.segment_stability` result, or a report computed with
        ``stability=...``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    **kwargs
        Passed to ``Axes.barh``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np, clientseg as cs
    >>> from sklearn.cluster import KMeans
    >>> X = np.r_[np.zeros((40, 1)), np.ones((40, 1))] + np.linspace(0, .1, 80)[:, None]
    >>> res = cs.segment_stability(X, np.repeat([0, 1], 40), estimator=KMeans(n_init=2),
    ...                            n_boot=3, random_state=0)
    >>> cs.plotting.plot_segment_stability(res).get_xlabel()
    'mean Jaccard over refits'
    """
    if not isinstance(result, StabilityResult):
        stab = getattr(result, "stability", None)
        if stab is None:
            raise InvalidParameterError(
                "Parameter 'result' has no stability figures; compute them with "
                "segment_quality(..., stability='bootstrap') or segment_stability(...)."
            )
        result = stab
    ax = new_axes(ax)
    jac = result.jaccard
    mean = jac.mean(axis=0).to_numpy(dtype=float)
    low = mean - jac.min(axis=0).to_numpy(dtype=float)
    high = jac.max(axis=0).to_numpy(dtype=float) - mean
    colors = segment_colors(jac.columns)
    pos = np.arange(len(mean))
    ax.barh(pos, mean, xerr=np.vstack([low, high]), color=colors, capsize=3, **kwargs)
    ax.axvline(STABLE_JACCARD, color=NEUTRAL_COLOR, ls="--", lw=1.2,
               label=f"stable (>= {STABLE_JACCARD})")
    ax.axvline(DISSOLVED_JACCARD, color=HIGHLIGHT_COLOR, ls=":", lw=1.5,
               label=f"dissolved (<= {DISSOLVED_JACCARD})")
    ax.set_yticks(pos, [str(c) for c in jac.columns])
    ax.invert_yaxis()  # first segment on top, as in the other bar charts
    ax.set_xlim(0, 1.02)
    ax.set_xlabel("mean Jaccard over refits")
    ax.set_ylabel("segment")
    ax.set_title(f"Stability: {result.n_boot} {result.method} refits of "
                 f"{result.sample_size:,} customers")
    # Beside the bars, not on them: any bar or whisker can reach the right edge.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize="small",
              borderaxespad=0.0)
    return ax
