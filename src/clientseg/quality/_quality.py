"""Segment quality measures (private home of :mod:`clientseg.quality`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from clientseg._core.validation import (
    _fmt_list,
    check_binary,
    check_labels,
    check_nonnegative,
    check_options,
    check_scalar,
    split_mixed_frame,
)
from clientseg.exceptions import InvalidDataError, InvalidParameterError
from clientseg.quality import _metrics as qm
from clientseg.quality._report import (
    QUALITY_CHECK_COLUMNS,
    QUALITY_THRESHOLDS,
    QualityReport,
    build_checks,
)
from clientseg.quality._stability import (
    DISSOLVED_JACCARD,
    STABILITY_METHODS,
    STABLE_JACCARD,
    RetentionResult,
    StabilityResult,
    retention,
)
from clientseg.quality._stability import stability as _refit

__all__ = [
    "DISSOLVED_JACCARD",
    "QUALITY_CHECK_COLUMNS",
    "QUALITY_THRESHOLDS",
    "STABLE_JACCARD",
    "QualityReport",
    "RetentionResult",
    "StabilityResult",
    "segment_quality",
    "segment_retention",
    "segment_stability",
]


def _resolve_thresholds(thresholds: Mapping[str, Any] | None) -> dict[str, Any]:
    merged = dict(QUALITY_THRESHOLDS)
    if thresholds is None:
        return merged
    if not isinstance(thresholds, Mapping):
        raise InvalidParameterError(
            f"Parameter 'thresholds' must be a dict such as {{'min_share': 0.02}}; got "
            f"{type(thresholds).__name__}."
        )
    unknown = [key for key in thresholds if key not in merged]
    if unknown:
        raise InvalidParameterError(
            f"Parameter 'thresholds' has {len(unknown)} unknown key(s): {_fmt_list(unknown)}. "
            f"Accepted keys: {_fmt_list(merged)}."
        )
    for key, value in thresholds.items():
        if value is not None:
            check_scalar(f"thresholds[{key!r}]", value, low=0.0)
        merged[key] = value
    return merged


def _default_estimator(random_state: Any, n_customers: int) -> Any:
    """HierarchicalSegmenter with the strategy its ``"auto"`` mode used on the whole base.

    A base past ``EXACT_MAX_SAMPLES`` rows was segmented by the two-stage tree; refits on a
    smaller reference sample keep that strategy rather than switching to the exact tree.
    """
    from clientseg.hierarchy import EXACT_MAX_SAMPLES, HierarchicalSegmenter

    strategy = "two_stage" if n_customers > EXACT_MAX_SAMPLES else "auto"
    return HierarchicalSegmenter(n_segments=2, strategy=strategy, random_state=random_state)


def _numeric_view(X: Any, Z: np.ndarray, numeric_names: list[Any]) -> Any:
    """Return what the refits see: the numeric columns (a frame keeps their names)."""
    if isinstance(X, pd.DataFrame):
        return pd.DataFrame(Z, columns=list(numeric_names), index=X.index)
    return Z


def _check_estimator(estimator: Any) -> None:
    if not hasattr(estimator, "fit") or not hasattr(estimator, "get_params"):
        raise InvalidParameterError(
            f"Parameter 'estimator' must be a scikit-learn style segmenter with fit and "
            f"get_params (and fit_predict, labels_ or predict); got "
            f"{type(estimator).__name__}. Pass e.g. clientseg.HierarchicalSegmenter() or "
            f"sklearn.cluster.KMeans()."
        )


def _stability_args(n_boot: Any, sample_size: Any, fraction: Any, method: Any) -> None:
    check_options("stability", method, STABILITY_METHODS)
    check_scalar("n_boot", n_boot, kind=int, low=2)
    if sample_size is not None:
        check_scalar("stability_sample", sample_size, kind=int, low=10)
    check_scalar("fraction", fraction, kind=float, low=0.0, high=1.0, low_inclusive=False,
                 high_inclusive=False)


def segment_stability(
    X: Any,
    labels: Any,
    *,
    estimator: Any = None,
    method: str = "bootstrap",
    n_boot: int = 20,
    sample_size: int | None = 20_000,
    fraction: float = 0.5,
    n_jobs: int | None = None,
    random_state: Any = None,
) -> StabilityResult:
    """Refit the segmenter on resamples and measure how well each segment is found again.

    Hennig's clusterboot: each replicate refits a clone of ``estimator`` (with the number
    of segments of ``labels``) on a resample, and each segment gets the best Jaccard index
    ``|A & B| / |A | B|`` between it and a refit segment, on the resample's customers. A
    mean Jaccard of at least 0.75 marks a stable segment, at most 0.5 a dissolved one.

    Parameters
    ----------
    X : DataFrame or array of shape (n_customers, n_variables)
        The data the segmenter was fitted on. Its numeric columns (the whole array) are
        passed to each refit, rows selected, as a DataFrame when X is one; boolean,
        categorical and text columns are left out, as in :func:`segment_quality`'s
        geometry (encode them first if the segmenter used them). Never modified.
    labels : array-like of shape (n_customers,)
        Segment of each customer (in the order of X).
    estimator : estimator, optional
        Any object with ``fit`` and ``get_params`` that labels the rows it is fitted on
        (``fit_predict``, ``labels_`` or ``predict``); cloned for every replicate and given
        the number of segments through its ``n_segments`` or ``n_clusters`` parameter (left
        as is if it has neither) and a fresh ``random_state`` if it has one. Default
        :class:`clientseg.HierarchicalSegmenter`, with ``strategy="two_stage"`` for a base
        of more than 20,000 customers (what its ``"auto"`` strategy used on the whole base)
        and ``"auto"`` otherwise.
    method : {"bootstrap", "subsample"}, default "bootstrap"
        ``"bootstrap"``: draw as many customers as the reference sample with replacement,
        use each drawn customer once (fpc's ``multipleboot=FALSE``); ``"subsample"``: draw
        ``fraction`` of them without replacement.
    n_boot : int, default 20
        Number of replicates (clusterboot's ``B``).
    sample_size : int or None, default 20000
        Replicates are drawn from a reference sample of this many customers (all when None
        or larger than the base), so a base of millions costs B fits of this size.
    fraction : float, default 0.5
        Share of the reference sample in each subsample.
    n_jobs : int or None, default None
        Refits run in this many joblib processes (-1: all cores; None: one after the other,
        in this process). Each refit uses one BLAS/OpenMP thread: small fits gain nothing
        from more and lose several times their time when cores are shared. The draws are
        made beforehand, so the result does not depend on ``n_jobs``.
    random_state : int, RandomState or None
        Seeds the samples and the estimator clones.

    Returns
    -------
    StabilityResult
        ``jaccard`` (replicates x segments), ``to_frame()`` (mean Jaccard, dissolved and
        recovered shares, status), ``ari_runs`` (agreement between refits) and
        ``ari_labels`` (agreement of refits with ``labels``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.cluster import KMeans
    >>> from clientseg.quality import segment_stability
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 0.3, size=(100, 2)) for c in (0, 4, 8)])
    >>> labels = np.repeat([0, 1, 2], 100)
    >>> res = segment_stability(X, labels, estimator=KMeans(n_init=3), n_boot=5,
    ...                         random_state=0)
    >>> res.to_frame()["status"].tolist()
    ['stable', 'stable', 'stable']
    """
    Z, numeric_names, _ = split_mixed_frame(X)
    arr = _numeric_view(X, Z, numeric_names)
    codes, segments = check_labels(labels, n_expected=Z.shape[0])
    _stability_args(n_boot, sample_size, fraction, method)
    rng = check_random_state(random_state)
    if estimator is None:
        estimator = _default_estimator(int(rng.randint(0, 2**31 - 1)), Z.shape[0])
    _check_estimator(estimator)
    return _refit(arr, codes, segments, estimator=estimator, method=method, n_boot=n_boot,
                  sample_size=sample_size, fraction=fraction, rng=rng, n_jobs=n_jobs)


def segment_retention(labels_t0: Any, labels_t1: Any, *, match: bool = False) -> RetentionResult:
    """Share of customers who kept their segment from one snapshot to the next.

    Parameters
    ----------
    labels_t0, labels_t1 : Series or array-like
        Segments at the two snapshots. Two Series are matched on their index (customer id;
        customers in only one snapshot are left out); otherwise the two must have the same
        length and are matched by position. Never modified.
    match : bool, default False
        False: a customer kept their segment when its name is the same (RFM segments,
        labels predicted by one fitted segmenter). True: segments of ``labels_t1`` are first
        paired one-to-one with those of ``labels_t0`` to keep the most customers (Hungarian
        algorithm), for two separate fits whose segment numbers mean nothing.

    Returns
    -------
    RetentionResult
        ``table`` per segment of ``labels_t0`` (customers, kept, retention, main
        destination), overall ``retention``, ``ari`` and ``n_customers``.

    Examples
    --------
    >>> from clientseg.quality import segment_retention
    >>> res = segment_retention(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    >>> res.retention
    0.75
    >>> res.table["retention"].tolist()
    [0.5, 1.0]
    """
    if isinstance(labels_t0, pd.Series) and isinstance(labels_t1, pd.Series):
        for name, s in (("labels_t0", labels_t0), ("labels_t1", labels_t1)):
            dup = s.index.duplicated()
            if dup.any():
                raise InvalidDataError(
                    f"Parameter {name!r} has {int(dup.sum()):,} duplicated customer id(s) in its"
                    f" index (first: {s.index[dup][0]!r}); customers are matched by index, so "
                    f"each must appear once."
                )
        common = labels_t0.index.intersection(labels_t1.index, sort=False)
        if len(common) == 0:
            raise InvalidDataError(
                "Parameters 'labels_t0' and 'labels_t1' share no customer id in their index; "
                "index both by customer id, or pass arrays in the same customer order."
            )
        a, b = labels_t0.loc[common], labels_t1.loc[common]
    else:
        a = labels_t0
        b = labels_t1
    n = len(a)
    codes0, names0 = check_labels(a, n_expected=n, param="labels_t0", min_segments=1)
    codes1, names1 = check_labels(b, n_expected=n, param="labels_t1", against="labels_t0",
                                  min_segments=1)
    return retention(codes0, names0, codes1, names1, match=bool(match))


def segment_quality(
    X: Any,
    labels: Any,
    *,
    value: Any = None,
    converted: Any = None,
    reachable: Any = None,
    previous_labels: Any = None,
    stability: str | None = None,
    estimator: Any = None,
    n_boot: int = 20,
    stability_sample: int | None = 20_000,
    n_jobs: int | None = None,
    thresholds: Mapping[str, Any] | None = None,
    silhouette_sample: int | None = 10_000,
    n_top: int = 5,
    n_typical: int = 5,
    alpha: float = 0.05,
    random_state: Any = None,
) -> QualityReport:
    """Measure and check every segment: size, homogeneity, separation, value, stability.

    Parameters
    ----------
    X : DataFrame or array of shape (n_customers, n_variables)
        The customers' criteria. Numeric columns (the whole array) form the geometry:
        distances, inertias, silhouettes are computed on them as given, so pass the matrix
        the segmenter saw. Boolean, categorical and text columns of a DataFrame only enter
        the profile (level v-tests; missing values form the level ``"(missing)"``). Numeric
        columns must be finite. Never modified.
    labels : array-like of shape (n_customers,)
        Segment of each customer, by position (a Series' index is not used). At least two
        segments; no missing label. Segments are listed in the order of a categorical's
        categories, else sorted.
    value : array-like of shape (n_customers,), optional
        Value of each customer (spend, margin, CLV): non-negative, no NaN.
    converted : array-like of shape (n_customers,), optional
        0/1 (or bool) outcome per customer: conversion rate per segment.
    reachable : array-like of shape (n_customers,), optional
        0/1 (or bool): whether each customer can be contacted (consent, valid address).
    previous_labels : array-like of shape (n_customers,), optional
        Segment of the same customers (same order) at the previous snapshot, with the same
        segment names: per segment, the share of its customers who were already in it.
    stability : {"bootstrap", "subsample"} or None, default None
        Refit the segmenter on resamples (see :func:`segment_stability`). None skips it,
        unless ``estimator`` is given (then "bootstrap").
    estimator : estimator, optional
        The segmenter that produced ``labels``, refit for stability. Default
        :class:`clientseg.HierarchicalSegmenter` (two-stage past 20,000 customers, see
        :func:`segment_stability`).
    n_boot : int, default 20
        Stability replicates.
    stability_sample : int or None, default 20000
        Stability replicates are drawn from a sample of this many customers.
    n_jobs : int or None, default None
        Processes for the stability refits (-1: all cores); the result does not depend on
        it.
    thresholds : dict, optional
        Overrides of :data:`QUALITY_THRESHOLDS` (``None`` switches a check off).
    silhouette_sample : int or None, default 10000
        Silhouettes are quadratic in n: past this many customers they are computed on a
        uniform sample of this size (reported as ``overall["silhouette_sample_size"]`` and,
        per segment, ``silhouette_n``). None: always on every customer.
    n_top : int, default 5
        Features listed per segment in ``top_variables``.
    n_typical : int, default 5
        Customers listed per segment in ``typical``.
    alpha : float, default 0.05
        Significance level of the v-tests listed in ``top_variables``.
    random_state : int, RandomState or None
        Seeds the silhouette sample and the stability replicates.

    Returns
    -------
    QualityReport
        Per segment (``segments``, ``to_frame()``) and overall (``overall``) figures, the
        profile (``profile``, ``vtests``, ``top_variables``, ``typical``), the ``checks``
        with their ``failures``, ``summary()`` and ``plot()``.

    Raises
    ------
    InvalidDataError
        Labels of the wrong length, missing or with one segment only; NaN, inf or negative
        values; non-binary ``converted`` / ``reachable``; NaN or inf in numeric columns.
    InvalidParameterError
        Unknown threshold names, bad options.

    See Also
    --------
    segment_stability, segment_retention

    Examples
    --------
    >>> import numpy as np
    >>> import clientseg as cs
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 1.0, size=(300, 3)) for c in (0, 5)])
    >>> labels = np.repeat(["low", "high"], 300)
    >>> value = np.r_[rng.gamma(2, 10, 300), rng.gamma(2, 50, 300)]
    >>> report = cs.segment_quality(X, labels, value=value, random_state=0)
    >>> report.segments[["count", "share"]]  # doctest: +NORMALIZE_WHITESPACE
             count  share
    segment
    high       300    0.5
    low        300    0.5
    >>> print(round(report.overall["r2"], 2))
    0.86
    >>> report.passed
    True
    """
    Z, numeric_names, categorical = split_mixed_frame(X)
    if not isinstance(X, pd.DataFrame):
        numeric_names = [f"x{j}" for j in range(Z.shape[1])]
    n = Z.shape[0]
    codes, segments = check_labels(labels, n_expected=n)
    segments = segments.rename("segment")
    k = len(segments)
    th = _resolve_thresholds(thresholds)
    if silhouette_sample is not None:
        check_scalar("silhouette_sample", silhouette_sample, kind=int, low=2)
    check_scalar("n_top", n_top, kind=int, low=1)
    check_scalar("n_typical", n_typical, kind=int, low=1)
    check_scalar("alpha", alpha, kind=float, low=0.0, high=1.0)
    if stability is None and estimator is not None:
        stability = "bootstrap"
    if stability is not None:
        _stability_args(n_boot, stability_sample, 0.5, stability)
        if estimator is not None:
            _check_estimator(estimator)
    value_arr = None if value is None else check_nonnegative(value, param="value", n_expected=n)
    conv = None if converted is None else check_binary(converted, param="converted",
                                                       n_expected=n)
    reach = None if reachable is None else check_binary(reachable, param="reachable",
                                                        n_expected=n)
    prev = None
    if previous_labels is not None:
        prev = check_labels(previous_labels, n_expected=n, param="previous_labels",
                            min_segments=1)
    rng = check_random_state(random_state)

    # geometry: homogeneity and separation
    g = qm.geometry(Z, codes, k)
    hom = qm.homogeneity(g)
    sep = qm.separation(g, hom["mean_distance"])
    sil = qm.silhouette(Z, codes, k, sample_size=silhouette_sample, rng=rng)
    seg = pd.DataFrame({
        "count": g.counts.astype(np.int64),
        "share": g.counts / n,
        "inertia_ratio": hom["inertia_ratio"],
        "mean_distance": hom["mean_distance"],
        "nearest_segment": segments.take(sep["nearest"]).to_numpy(),
        "separation": sep["separation"],
        "silhouette": sil["per_segment"],
        "silhouette_n": sil["n_sampled"].astype(np.int64),
    }, index=segments)
    overall: dict[str, Any] = {
        "n_customers": n, "n_segments": k, "n_numeric": len(numeric_names),
        "n_categorical": len(categorical),
        "inertia_total": sep["inertia_total"], "inertia_within": sep["inertia_within"],
        "r2": sep["r2"], "calinski_harabasz": sep["calinski_harabasz"],
        "davies_bouldin": sep["davies_bouldin"], "silhouette": sil["overall"],
        "silhouette_sample_size": sil["sample_size"],
    }

    # value, conversion, reach, retention
    if value_arr is not None:
        for key, vals in qm.value_metrics(value_arr, codes, k).items():
            seg[key] = vals
        overall["value_total"] = float(value_arr.sum())
        overall["value_mean"] = float(value_arr.mean())
    if conv is not None:
        rate, base = qm.rate_metrics(conv, codes, k)
        seg["conversion_rate"] = rate
        seg["conversion_index"] = 100.0 * rate / base if base > 0 else np.nan
        overall["conversion_rate"] = base
    if reach is not None:
        rate, base = qm.rate_metrics(reach, codes, k)
        seg["reachable_share"] = rate
        overall["reachable_share"] = base
    if prev is not None:
        ret = retention(codes, segments, prev[0], prev[1], match=False)
        seg["retention"] = ret.table["retention"].to_numpy()
        overall["retention"] = ret.retention

    # stability
    stab: StabilityResult | None = None
    if stability is not None:
        est = estimator if estimator is not None else _default_estimator(
            int(rng.randint(0, 2**31 - 1)), n)
        _check_estimator(est)
        stab = _refit(_numeric_view(X, Z, numeric_names), codes, segments, estimator=est,
                      method=stability, n_boot=n_boot, sample_size=stability_sample,
                      fraction=0.5, rng=rng, n_jobs=n_jobs)
        st = stab.to_frame()
        for col in ("jaccard_mean", "jaccard_min", "dissolved_share", "recovered_share"):
            seg[col] = st[col].to_numpy()
        seg["stability_status"] = st["status"].to_numpy()
        overall["stability_ari_runs"] = stab.ari_runs
        overall["stability_ari_labels"] = stab.ari_labels
        overall["stability_n_boot"] = stab.n_boot
        overall["stability_sample_size"] = stab.sample_size

    profile, vtests, top = _profile_tables(Z, numeric_names, categorical, g, segments,
                                           alpha=alpha, n_top=n_top)
    typical = _typical_table(g, segments, X, n_typical)
    variables = pd.DataFrame({"eta2": hom["eta2"]},
                             index=pd.Index(numeric_names, name="variable"))
    variance_ratio = pd.DataFrame(hom["variance_ratio"], index=segments,
                                  columns=pd.Index(numeric_names, name="variable"))
    seg.index.name = "segment"
    checks = build_checks(seg, top, th, stab)
    return QualityReport(
        segments=seg, overall=pd.Series(overall, dtype=float), variables=variables,
        variance_ratio=variance_ratio, profile=profile, vtests=vtests, top_variables=top,
        typical=typical, stability=stab, thresholds=th, checks=checks,
    )



def _profile_tables(
    Z: np.ndarray, numeric_names: list[Any], categorical: list[tuple[Any, np.ndarray, list[Any]]],
    g: qm.Geometry, segments: pd.Index, *, alpha: float, n_top: int,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return the long v-test table, its segments x features matrix, and the top features."""
    profile = qm.profile_table(Z, numeric_names, categorical, g, segments)
    features = [qm.feature_label(v, lv)
                for v, lv in zip(profile["variable"], profile["level"], strict=True)]
    profile.insert(2, "feature", features)
    order = [str(c) for c in numeric_names] + [
        qm.feature_label(name, lv) for name, _, levels in categorical for lv in levels]
    vtests = (profile.pivot(index="segment", columns="feature", values="v_test")
              .reindex(index=segments, columns=order))
    vtests.columns.name = "feature"
    significant = profile[(profile["p_value"] < alpha) & profile["v_test"].notna()]
    significant = significant.assign(_abs=significant["v_test"].abs(),
                                     _code=segments.get_indexer(significant["segment"]))
    top = (significant.sort_values(["_code", "_abs"], ascending=[True, False], kind="stable")
           .groupby("_code", sort=False).head(n_top)
           .drop(columns=["_abs", "_code"]).reset_index(drop=True))
    top.insert(1, "rank", top.groupby("segment", sort=False, observed=True).cumcount() + 1)
    return profile, vtests, top


def _typical_table(g: qm.Geometry, segments: pd.Index, X: Any, n_typical: int) -> pd.DataFrame:
    """Return each segment's customers closest to its centre (paragons), nearest first."""
    per_segment = qm.typical_rows(g, n_typical)
    pos = np.concatenate(per_segment)
    return pd.DataFrame({
        "segment": segments.take(np.repeat(np.arange(g.k), [len(p) for p in per_segment])),
        "rank": np.concatenate([np.arange(1, len(p) + 1) for p in per_segment]),
        "row": pos,
        "customer": X.index.to_numpy()[pos] if isinstance(X, pd.DataFrame) else pos,
        "distance": g.distance[pos],
    })
