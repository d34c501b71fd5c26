"""Internals of :mod:`clientseg.rfm`: segment migration between two snapshots.

:func:`rfm_migration` and :class:`MigrationResult` are public through :mod:`clientseg.rfm`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clientseg.exceptions import InvalidDataError

__all__ = ["LEFT", "NEW", "MigrationResult", "rfm_migration"]

#: Row and column labels of :func:`rfm_migration` for customers absent from one snapshot.
NEW = "(new)"
LEFT = "(left)"


@dataclass(frozen=True)
class MigrationResult:
    """Segment transitions between two snapshots (see :func:`rfm_migration`).

    Attributes
    ----------
    counts : DataFrame
        Customers by segment at t0 (rows, plus ``"(new)"`` for customers only in t1) and
        at t1 (columns, plus ``"(left)"`` for customers only in t0).
    rates : DataFrame
        ``counts`` divided by row totals: each row sums to 1 (empty rows are 0).
    n_common, n_new, n_left : int
        Customers in both snapshots, only in t1, only in t0.
    """

    counts: pd.DataFrame
    rates: pd.DataFrame
    n_common: int
    n_new: int
    n_left: int

    @property
    def stay_rate(self) -> float:
        """Share of the customers present in both snapshots who kept their segment."""
        segs = [s for s in self.counts.index if s != NEW and s in self.counts.columns]
        stayed = float(sum(self.counts.at[s, s] for s in segs))
        return stayed / self.n_common if self.n_common else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per (from, to) pair with ``customers`` and ``rate``."""
        counts = self.counts.stack()
        rates = self.rates.stack()
        out = pd.DataFrame({"customers": counts, "rate": rates})
        out.index = out.index.set_names(["from", "to"])
        return out.reset_index()

    def plot(self, *, ax: Any = None, normalize: bool = True, **kwargs: Any) -> Any:
        """Draw the migration heatmap (see :func:`clientseg.plotting.plot_rfm_migration`)."""
        from clientseg.rfm._plotting import plot_rfm_migration

        return plot_rfm_migration(self, ax=ax, normalize=normalize, **kwargs)


def _segment_series(scores: Any, *, param: str, segment_col: str) -> pd.Series:
    if isinstance(scores, pd.Series):
        series = scores
    elif isinstance(scores, pd.DataFrame):
        if segment_col not in scores.columns:
            raise InvalidDataError(
                f"Parameter {param!r} has no column {segment_col!r} (segment_col); columns "
                f"present: {list(scores.columns)[:12]}. Score with RFMScorer(segment_map=...) "
                f"or pass segment_col."
            )
        series = scores[segment_col]
    else:
        raise InvalidDataError(
            f"Parameter {param!r} must be a DataFrame of scores or a Series of segments "
            f"indexed by customer id; got {type(scores).__name__}."
        )
    dup = series.index.duplicated()
    if dup.any():
        raise InvalidDataError(
            f"Parameter {param!r} has {int(dup.sum()):,} duplicated customer id(s) in its "
            f"index (first: {series.index[dup][0]!r}); customers are matched by index, so "
            f"each must appear once."
        )
    if series.isna().any():
        raise InvalidDataError(
            f"Parameter {param!r} has {int(series.isna().sum()):,} customer(s) without a "
            f"segment; every customer must have one (use a SegmentMap with a fallback)."
        )
    return series


def rfm_migration(
    scores_t0: pd.DataFrame | pd.Series,
    scores_t1: pd.DataFrame | pd.Series,
    *,
    segment_col: str = "segment",
) -> MigrationResult:
    """Tabulate how customers moved between segments from one snapshot to the next.

    Parameters
    ----------
    scores_t0, scores_t1 : DataFrame or Series
        Scores of two snapshots (e.g. :meth:`RFMScorer.transform` outputs), indexed by
        customer id; or Series of segment names. Never modified.
    segment_col : str, default "segment"
        The segment column of the frames.

    Returns
    -------
    MigrationResult
        ``counts`` and ``rates`` (rows: t0 segment, and ``"(new)"``; columns: t1 segment,
        and ``"(left)"``), with ``n_common``, ``n_new``, ``n_left`` and ``stay_rate``.
        Segment order follows the categories of ``scores_t0`` (then new ones of t1).

    Examples
    --------
    >>> import pandas as pd
    >>> from clientseg.rfm import rfm_migration
    >>> t0 = pd.Series(["A", "A", "B"], index=[1, 2, 3])
    >>> t1 = pd.Series(["A", "B", "B"], index=[1, 2, 4])
    >>> res = rfm_migration(t0, t1)
    >>> res.counts  # doctest: +NORMALIZE_WHITESPACE
    t1     A  B  (left)
    t0
    A      1  1       0
    B      0  0       1
    (new)  0  1       0
    >>> res.stay_rate
    0.5
    """
    a = _segment_series(scores_t0, param="scores_t0", segment_col=segment_col)
    b = _segment_series(scores_t1, param="scores_t1", segment_col=segment_col)
    cats: list[Any] = []
    for s in (a, b):
        if isinstance(s.dtype, pd.CategoricalDtype):
            cats += [c for c in s.cat.categories if c not in cats]
        else:
            cats += [c for c in pd.unique(s.to_numpy()) if c not in cats]
    k = len(cats)
    codes_a = pd.Series(pd.Categorical(a, categories=cats).codes, index=a.index)
    codes_b = pd.Series(pd.Categorical(b, categories=cats).codes, index=b.index)
    joined = codes_a.to_frame("a").join(codes_b.to_frame("b"), how="outer")
    ca = joined["a"].fillna(k).to_numpy(dtype=np.int64)  # k = absent from t0 -> "(new)"
    cb = joined["b"].fillna(k).to_numpy(dtype=np.int64)  # k = absent from t1 -> "(left)"
    counts = np.bincount(ca * (k + 1) + cb, minlength=(k + 1) ** 2).reshape(k + 1, k + 1)
    rows = [*cats, NEW]
    cols = [*cats, LEFT]
    counts_df = pd.DataFrame(counts, index=pd.Index(rows, name="t0"),
                             columns=pd.Index(cols, name="t1"))
    totals = counts.sum(axis=1, keepdims=True)
    rates = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    rates_df = pd.DataFrame(rates, index=counts_df.index, columns=counts_df.columns)
    return MigrationResult(
        counts=counts_df,
        rates=rates_df,
        n_common=int(((ca < k) & (cb < k)).sum()),
        n_new=int((ca == k).sum()),
        n_left=int((cb == k).sum()),
    )
