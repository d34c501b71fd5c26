"""Banding of scorecard criteria: numeric bands, rare-level pooling, missing and unseen values.

A criterion is cut into *levels* (called bands for numeric criteria). Everything here works
on whole columns (vectorised); loops run over bands or levels, never over rows.

Conventions
-----------
* Numeric bands are right-open intervals ``[a, b)``; the first band starts at ``-inf`` and
  the last ends at ``+inf``, so every finite value falls in exactly one band. A value ``x``
  goes to band ``i`` = number of edges ``<= x`` (``numpy.searchsorted(edges, x, "right")``).
* Missing values form their own level ``"(missing)"`` when they reach ``min_share`` of the
  rows; rarer missing values join the criterion's most frequent level.
* Categorical levels under ``min_share`` are pooled into ``"(other)"``; if the pool itself
  stays under ``min_share`` it joins the most frequent level, so no level with a handful of
  rows can take the weights hostage.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from clientseg._core.validation import check_distinct_labels

__all__: list[str] = []

MISSING_LABEL = "(missing)"
OTHER_LABEL = "(other)"
#: Number of fine quantile bands that supervised monotone banding starts from.
N_PREBINS = 20
#: ``binning="auto"``: monotone bands unless a likelihood-ratio test rejects a monotone
#: conversion rate at this level (then quantile bands).
MONOTONE_ALPHA = 0.05


def code_dtype(n_levels: int) -> type[np.signedinteger[Any]]:
    """Smallest signed integer type for level codes (-1 marks unseen): memory on big bases."""
    return np.int8 if n_levels < 127 else np.int16 if n_levels < 32_767 else np.int32


@dataclass
class Criterion:
    """How one criterion is cut into levels, learned on the training data.

    Attributes
    ----------
    name : str
        The column name.
    kind : {"numeric", "categorical"}
        Numeric criteria are banded by ``edges``; categorical ones by ``values``.
    labels : list of str
        One label per level, in display order.
    edges : ndarray
        Interior cut points of the numeric bands (right-open), empty for categoricals.
    band_to_level : ndarray of int
        Numeric only: level index of each band (``len(edges) + 1`` bands).
    values : list of list
        Categorical only: the raw training values that each level holds.
    missing_level : int or None
        Level that missing values go to (None: no missing value at fit time).
    missing_own : bool
        Whether missing values form their own level.
    other_level : int or None
        Categorical only: the ``"(other)"`` pool, when there is one.
    counts, events : ndarray of int
        Training contacts and conversions per level.
    method : str
        How the levels were made: "quantile", "monotone", "edges" or "categorical".
    """

    name: str
    kind: str
    labels: list[str]
    edges: np.ndarray = field(default_factory=lambda: np.empty(0))
    band_to_level: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    values: list[list[Any]] = field(default_factory=list)
    missing_level: int | None = None
    missing_own: bool = False
    other_level: int | None = None
    counts: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    events: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    method: str = "quantile"

    @property
    def n_levels(self) -> int:
        """Number of levels."""
        return len(self.labels)

    def encode(self, column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Return (level codes, unseen mask); unseen rows get code -1.

        Unseen means: a categorical value not met at fit time, or a missing value when no
        missing value was met at fit time.
        """
        missing = column.isna().to_numpy()
        if self.kind == "numeric":
            x = column.to_numpy(dtype=float, na_value=np.nan)
            band = np.searchsorted(self.edges, np.where(missing, 0.0, x), side="right")
            codes = self.band_to_level[band]
            unseen = np.zeros(len(x), dtype=bool)
        else:
            flat = [v for vals in self.values for v in vals]
            owner = np.repeat(
                np.arange(len(self.values), dtype=np.intp), [len(v) for v in self.values]
            )
            known = pd.Index(flat, dtype=object)
            if isinstance(column.dtype, pd.CategoricalDtype):  # look up categories, not rows
                lookup = np.append(known.get_indexer(column.cat.categories), -1)
                raw = lookup[np.asarray(column.cat.codes, dtype=np.intp)]
            else:  # factorize first: lookups run over distinct values, not rows
                row_codes, uniques = pd.factorize(column)
                lookup = np.append(known.get_indexer(pd.Index(uniques, dtype=object)), -1)
                raw = lookup[np.asarray(row_codes, dtype=np.intp)]
            raw = np.asarray(raw, dtype=np.intp)
            codes = np.where(raw >= 0, owner[np.maximum(raw, 0)], -1)
            unseen = (raw < 0) & ~missing
        if self.missing_level is None:
            unseen = unseen | missing
            codes = np.where(missing, -1, codes)
        else:
            codes = np.where(missing, self.missing_level, codes)
        return codes.astype(code_dtype(self.n_levels)), unseen


# ----------------------------------------------------------------------------- helpers


def _fmt(v: float) -> str:
    return f"{v:g}"


def band_labels(edges: np.ndarray) -> list[str]:
    """Label the bands cut by ``edges``: ``"<30"``, ``"[30, 40)"``, ``">=40"``."""
    if len(edges) == 0:
        return ["all"]
    out = [f"<{_fmt(edges[0])}"]
    out += [f"[{_fmt(a)}, {_fmt(b)})" for a, b in itertools.pairwise(edges)]
    out.append(f">={_fmt(edges[-1])}")
    return out


def _band_stats(band: np.ndarray, y: np.ndarray, n_bands: int) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(band, minlength=n_bands)
    events = np.bincount(band, weights=y, minlength=n_bands)
    return counts, events


def quantile_edges(x: np.ndarray, n_bins: int) -> np.ndarray:
    """Interior edges cutting ``x`` into ``n_bins`` bands of near-equal counts.

    Cuts fall between distinct values (ties are never split): for each target share
    ``k / n_bins`` the cut is the gap between consecutive distinct values whose cumulative
    share is closest to it. A mass point therefore gets a band of its own instead of
    swallowing every quantile (``pdays = 999`` on the bank data, ``previous = 0``).
    """
    if x.size == 0 or n_bins < 2:
        return np.empty(0)
    values, counts = np.unique(x, return_counts=True)
    if len(values) < 2:
        return np.empty(0)
    cum = np.cumsum(counts)[:-1] / x.size  # share at or below each value (last gap excluded)
    targets = np.arange(1, n_bins) / n_bins
    right = np.clip(np.searchsorted(cum, targets), 0, len(cum) - 1)
    left = np.maximum(right - 1, 0)
    gap = np.where(np.abs(cum[left] - targets) <= np.abs(cum[right] - targets), left, right)
    return values[np.unique(gap) + 1]  # an edge starts the band above the gap


def merge_small_bands(
    edges: np.ndarray, x: np.ndarray, y: np.ndarray, min_count: float
) -> np.ndarray:
    """Remove edges until every band holds at least ``min_count`` rows.

    The smallest band is merged with its smaller neighbour, repeatedly (few bands: the loop
    runs over bands, not rows).
    """
    edges = np.asarray(edges, dtype=float)
    while len(edges) > 0:
        band = np.searchsorted(edges, x, side="right")
        counts = np.bincount(band, minlength=len(edges) + 1)
        small = int(np.argmin(counts))
        if counts[small] >= min_count:
            break
        if small == 0:
            drop = 0
        elif small == len(counts) - 1:
            drop = len(edges) - 1
        else:  # merge with the smaller neighbour
            drop = small - 1 if counts[small - 1] <= counts[small + 1] else small
        edges = np.delete(edges, drop)
    del y
    return edges


def _pava(rates: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return block ids of the weighted increasing isotonic fit (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [value, weight, n_bins]
    for r, w in zip(rates, weights, strict=True):
        blocks.append([float(r), float(w), 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2, n2 = blocks.pop()
            v1, w1, n1 = blocks.pop()
            tot = w1 + w2
            blocks.append([(v1 * w1 + v2 * w2) / tot if tot > 0 else v1, tot, n1 + n2])
    return np.repeat(np.arange(len(blocks)), [int(b[2]) for b in blocks])


def _bernoulli_loglik(events: np.ndarray, counts: np.ndarray, rates: np.ndarray) -> float:
    r = np.clip(rates, 1e-12, 1 - 1e-12)
    return float(np.sum(events * np.log(r) + (counts - events) * np.log1p(-r)))


def _isotonic(edges: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Best monotone pooling of the bands cut by ``edges``, and its likelihood-ratio p-value.

    Pool adjacent violators runs in both directions; the direction with the higher
    likelihood wins. The p-value compares the monotone fit with one free rate per band
    (``G = 2 (l_free - l_mono)``, chi-squared with ``bands - blocks`` degrees of freedom;
    an approximation, the exact law being chi-bar-squared): a small value says the
    conversion rate is not monotone in this criterion.
    """
    band = np.searchsorted(edges, x, side="right")
    counts, events = _band_stats(band, y, len(edges) + 1)
    rates = events / np.maximum(counts, 1)
    best: tuple[float, np.ndarray] | None = None
    for sign in (1.0, -1.0):
        ids = _pava(sign * rates, counts.astype(float))
        fitted = np.bincount(ids, weights=events) / np.maximum(np.bincount(ids, weights=counts),
                                                              1)
        loglik = _bernoulli_loglik(events, counts, fitted[ids])
        if best is None or loglik > best[0] + 1e-9:
            best = (loglik, ids)
    assert best is not None
    ids = best[1]
    g = max(2 * (_bernoulli_loglik(events, counts, rates) - best[0]), 0.0)
    dof = len(rates) - (int(ids[-1]) + 1)
    p_value = float(stats.chi2.sf(g, dof)) if dof > 0 else 1.0
    return ids, p_value


def monotone_edges(x: np.ndarray, y: np.ndarray, n_bins: int, min_count: float,
                   *, alpha: float | None = None) -> np.ndarray | None:
    """Supervised bands whose conversion rate is monotone (increasing or decreasing).

    Start from :data:`N_PREBINS` quantile bands, pool adjacent violators in the direction
    that fits best, then merge the adjacent pair with the closest rates until ``n_bins``
    remain, then enforce ``min_count``. Merging neighbours of a monotone sequence keeps it
    monotone. With ``alpha``, return None when the likelihood-ratio test rejects a
    monotone rate at that level (``binning="auto"`` then uses quantile bands).
    """
    edges = merge_small_bands(quantile_edges(x, N_PREBINS), x, y, min_count)
    if len(edges) == 0:
        return edges
    ids, p_value = _isotonic(edges, x, y)
    if alpha is not None and p_value < alpha:
        return None
    keep = np.flatnonzero(np.diff(ids) != 0)  # edge i separates band i and i+1
    edges = edges[keep]
    while len(edges) + 1 > n_bins:
        band = np.searchsorted(edges, x, side="right")
        counts, events = _band_stats(band, y, len(edges) + 1)
        rates = events / np.maximum(counts, 1)
        edges = np.delete(edges, int(np.argmin(np.abs(np.diff(rates)))))
    return merge_small_bands(edges, x, y, min_count)


# ----------------------------------------------------------------------------- learning


def _most_frequent(counts: np.ndarray) -> int:
    return int(np.argmax(counts))


def learn_numeric(
    name: str,
    x: np.ndarray,
    y: np.ndarray,
    *,
    method: str,
    n_bins: int,
    min_share: float,
    edges: Any = None,
) -> Criterion:
    """Learn the bands of a numeric criterion (``x`` may hold NaN: missing values)."""
    missing = np.isnan(x)
    xs, ys = x[~missing], y[~missing]
    n = len(x)
    min_count = min_share * n
    if edges is not None:
        cut = np.unique(np.asarray(edges, dtype=float))
        cut = cut[np.isfinite(cut)]
        method = "edges"
    elif method in ("monotone", "auto"):
        found = monotone_edges(xs, ys, n_bins, min_count,
                               alpha=MONOTONE_ALPHA if method == "auto" else None)
        if found is None:  # "auto" and the rate is not monotone: quantile bands
            method = "quantile"
            cut = merge_small_bands(quantile_edges(xs, n_bins), xs, ys, min_count)
        else:
            method = "monotone"
            cut = found
    else:
        cut = merge_small_bands(quantile_edges(xs, n_bins), xs, ys, min_count)
    labels = band_labels(cut)
    band = np.searchsorted(cut, xs, side="right")
    counts, events = _band_stats(band, ys, len(labels))
    band_to_level = np.arange(len(labels), dtype=np.intp)
    crit = Criterion(name=name, kind="numeric", labels=labels, edges=cut,
                     band_to_level=band_to_level, method=method)
    n_missing = int(missing.sum())
    if n_missing:
        if n_missing >= min_count or xs.size == 0:
            crit.labels = [*labels, MISSING_LABEL]
            crit.missing_level = len(labels)
            crit.missing_own = True
            counts = np.append(counts, n_missing)
            events = np.append(events, y[missing].sum())
        else:
            crit.missing_level = _most_frequent(counts)
            counts[crit.missing_level] += n_missing
            events[crit.missing_level] += y[missing].sum()
    crit.counts = counts.astype(np.int64)
    crit.events = np.rint(events).astype(np.int64)
    return crit


def learn_categorical(
    name: str, column: pd.Series, y: np.ndarray, *, min_share: float
) -> tuple[Criterion, np.ndarray]:
    """Learn the levels of a categorical criterion, pooling rare levels into ``"(other)"``.

    Returns the criterion and the level code of every training row (the factorisation is
    done once).
    """
    n = len(column)
    min_count = min_share * n
    missing = column.isna().to_numpy()
    if isinstance(column.dtype, pd.CategoricalDtype):
        order = list(column.dtype.categories)  # the user's order (ordered bands stay ordered)
        codes = np.asarray(column.cat.codes, dtype=np.intp)
    else:
        check_distinct_labels(column, name=name, param="categorical criterion")
        try:
            codes, uniques = pd.factorize(column, sort=True)
        except TypeError:  # values of mixed types cannot be sorted: first-seen order
            codes, uniques = pd.factorize(column)
        order = list(uniques)
        codes = np.asarray(codes, dtype=np.intp)
    counts = np.bincount(codes[codes >= 0], minlength=len(order))
    events = np.bincount(codes[codes >= 0], weights=y[codes >= 0], minlength=len(order))
    present = counts > 0
    kept = [i for i in range(len(order)) if present[i] and counts[i] >= min_count]
    rare = [i for i in range(len(order)) if present[i] and counts[i] < min_count]
    level_of = np.full(len(order) + 1, -1, dtype=np.intp)  # raw code -> level (-1: missing)
    level_of[kept] = np.arange(len(kept))
    values = [[order[i]] for i in kept]
    labels = [str(order[i]) for i in kept]
    lev_counts = [int(counts[i]) for i in kept]
    lev_events = [float(events[i]) for i in kept]
    other_level: int | None = None
    if rare:
        pool_n = int(counts[rare].sum())
        pool_e = float(events[rare].sum())
        if pool_n >= min_count or not kept:
            other_level = len(values)
            level_of[rare] = other_level
            values.append([order[i] for i in rare])
            labels.append(OTHER_LABEL)
            lev_counts.append(pool_n)
            lev_events.append(pool_e)
        else:  # the pool is still rare: it joins the most frequent level
            top = _most_frequent(np.asarray(lev_counts))
            level_of[rare] = top
            values[top] = values[top] + [order[i] for i in rare]
            lev_counts[top] += pool_n
            lev_events[top] += pool_e
    crit = Criterion(name=name, kind="categorical", labels=labels, values=values,
                     other_level=other_level, method="categorical")
    n_missing = int(missing.sum())
    if n_missing:
        if n_missing >= min_count or not values:
            crit.labels = [*labels, MISSING_LABEL]
            crit.values = [*values, []]
            crit.missing_level = len(labels)
            crit.missing_own = True
            lev_counts.append(n_missing)
            lev_events.append(float(y[missing].sum()))
        else:
            top = _most_frequent(np.asarray(lev_counts))
            crit.missing_level = top
            lev_counts[top] += n_missing
            lev_events[top] += float(y[missing].sum())
    crit.counts = np.asarray(lev_counts, dtype=np.int64)
    crit.events = np.rint(np.asarray(lev_events)).astype(np.int64)
    level_of[-1] = -1 if crit.missing_level is None else crit.missing_level
    return crit, level_of[codes].astype(code_dtype(crit.n_levels))
