"""From coefficients to points: range (0-100) and PDO scaling, largest-remainder rounding.

Notation (the user guide, ``docs/user_guide/scorecard.md``, has the derivation): criterion
``c`` has level coefficients ``b[c, l]`` (0 for its reference level), ``lo[c] = min_l b``,
``hi[c] = max_l b`` and range ``r[c] = hi[c] - lo[c]``. The log-odds of a contact are
``eta = b0 + sum_c b[c, l(c)]``.

* ``"range"`` scaling: ``points[c, l] = 100 * (b[c, l] - lo[c]) / R`` with ``R = sum_c r[c]``,
  base points 0: the worst profile scores 0 and the best 100, and ``weight[c] = 100 r[c] / R``.
* ``"pdo"`` scaling: ``factor = pdo / ln 2``, ``points[c, l] = factor (b[c, l] - lo[c])`` and
  ``base = offset + factor (b0 + sum_c lo[c])`` with ``offset = base_score - factor ln(base_odds)``,
  so ``score = offset + factor * eta``: doubling the odds adds ``pdo`` points.

In both, ``eta = eta_min + (score - base) / factor`` maps a score back to log-odds.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from clientseg.exceptions import UnreachableTargetWarning

__all__: list[str] = []


@dataclass(frozen=True)
class PointsScale:
    """The linear map between log-odds and score: ``score = base + factor * (eta - eta_min)``."""

    factor: float
    base: float
    eta_min: float

    def log_odds(self, score: np.ndarray) -> np.ndarray:
        """Log-odds of conversion for a score."""
        return self.eta_min + (np.asarray(score, dtype=float) - self.base) / self.factor


def largest_remainder(values: np.ndarray, total: int) -> np.ndarray:
    """Round non-negative ``values`` (summing to ``total``) to integers with the same sum.

    Each value is floored, then the units still missing go to the largest remainders (ties
    to the earlier value), the Hamilton method.
    """
    values = np.asarray(values, dtype=float)
    floors = np.floor(values + 1e-9)
    missing = round(total - float(floors.sum()))
    if missing > 0:
        order = np.argsort(-(values - floors), kind="stable")
        floors[order[:missing]] += 1
    return floors.astype(np.int64)


def compute_points(
    level_coefs: Sequence[np.ndarray],
    intercept: float,
    *,
    scaling: str,
    round_points: bool,
    pdo: float = 20.0,
    base_score: float = 600.0,
    base_odds: float = 50.0,
) -> tuple[list[np.ndarray], float, PointsScale, np.ndarray]:
    """Return (points per level per criterion, base points, scale, weights in %).

    With ``round_points`` and ``"range"`` scaling, criterion maxima are first rounded by
    largest remainder so they sum to exactly 100; each level then gets
    ``round(points * W[c] / w[c])``: the worst level stays 0, the best ``W[c]``, so the
    minimum total is exactly 0 and the maximum exactly 100.
    """
    lo = np.array([float(b.min()) for b in level_coefs])
    hi = np.array([float(b.max()) for b in level_coefs])
    rng = hi - lo
    total_range = float(rng.sum())
    eta_min = float(intercept + lo.sum())
    if scaling == "range":
        factor = 100.0 / total_range if total_range > 0 else 0.0
        base = 0.0
    else:
        factor = pdo / np.log(2.0)
        offset = base_score - factor * np.log(base_odds)
        base = float(offset + factor * eta_min)
    raw = [factor * (b - lo_c) for b, lo_c in zip(level_coefs, lo, strict=True)]
    weights = 100.0 * rng / total_range if total_range > 0 else np.zeros_like(rng)
    if round_points:
        if scaling == "range":
            caps = largest_remainder(weights, 100)
            points = []
            for pts, w, cap in zip(raw, weights, caps, strict=True):
                scaled = pts * (cap / w) if w > 0 else np.zeros_like(pts)
                points.append(np.rint(scaled))
        else:
            points = [np.rint(p) for p in raw]
            base = float(np.rint(base))
    else:
        points = [np.asarray(p, dtype=float) for p in raw]
    if factor == 0.0:  # every criterion is flat: keep the map invertible
        factor = 1.0
    return points, base, PointsScale(factor=factor, base=base, eta_min=eta_min), weights


def effective_cutoffs(cutoffs: Any) -> np.ndarray:
    """Return the thresholds grading applies: the running minimum of the cut-offs.

    A contact gets the first grade whose threshold its score reaches (``score >= t[k]``),
    the last grade when it reaches none. For strictly decreasing cut-offs that is the usual
    ``t[k] <= score < t[k-1]``; for any other vector (ties, an infinite threshold left by an
    unreachable rate target, a threshold above the previous one) the first match still
    decides, and grade k holds ``m[k] <= score < m[k-1]`` with ``m`` the running minimum
    (a grade whose threshold is not below the previous one's is empty). Every path (numpy,
    narwhals engines, SQL) grades from these values, so all of them agree.
    """
    return np.minimum.accumulate(np.asarray(cutoffs, dtype=float))


def grade_index(scores: Any, cutoffs: Any) -> np.ndarray:
    """Grade number (0 = best) of every score: how many effective thresholds lie above it."""
    m = effective_cutoffs(cutoffs)
    s = np.asarray(scores, dtype=float)
    # m is non-increasing, so -m is sorted: count m[j] > s as the -m[j] below -s
    return np.searchsorted(-m, -s, side="left").astype(np.int64)


def grade_cutoffs(
    scores: np.ndarray,
    y: np.ndarray,
    *,
    method: str,
    cuts: Sequence[float] | None,
    labels: Sequence[str] = ("A", "B", "C"),
) -> np.ndarray:
    """Score thresholds (descending) separating grades: grade k holds ``t[k] <= s < t[k-1]``.

    * ``"score"``: ``cuts`` are the thresholds themselves (default 70, 40);
    * ``"quantile"``: ``cuts`` are cumulative shares from the top (default 0.2, 0.5: the
      best 20% are A, the next 30% B); ties stay in one grade, so shares are approximate;
    * ``"rate"``: ``cuts`` are target conversion rates (default 2x and 1x the base rate);
      each threshold is the lowest score at which the contacts between it and the previous
      threshold still convert at the target rate. A target that no group of contacts
      from the top of those left reaches leaves its grade empty (threshold +inf) and warns
      with :class:`~clientseg.exceptions.UnreachableTargetWarning`, naming the grade, its
      target and the best rate reachable.
    """
    scores = np.asarray(scores, dtype=float)
    if method == "score":
        return np.asarray(cuts if cuts is not None else (70.0, 40.0), dtype=float)
    if method == "quantile":
        shares = np.asarray(cuts if cuts is not None else (0.2, 0.5), dtype=float)
        return np.quantile(scores, 1.0 - shares, method="inverted_cdf")
    base_rate = float(np.mean(y))
    targets = np.asarray(cuts if cuts is not None else (2 * base_rate, base_rate), dtype=float)
    levels, inverse = np.unique(-scores, return_inverse=True)  # descending distinct scores
    n_at = np.bincount(inverse, minlength=len(levels)).astype(float)
    e_at = np.bincount(inverse, weights=y, minlength=len(levels))
    out = []
    start = 0  # index into distinct scores where the current grade begins
    for label, target in zip(labels, targets, strict=False):
        cum_n = np.cumsum(n_at[start:])
        cum_e = np.cumsum(e_at[start:])
        rates = cum_e / cum_n
        ok = np.flatnonzero(rates >= target - 1e-12)
        if ok.size == 0:
            out.append(np.inf)  # no contact reaches the target: the grade is empty
            warnings.warn(
                f"Grade {label!r} cannot reach its target conversion rate {target:.2%} "
                f"(grade_by='rate'): the best rate any group of the top-scored contacts "
                f"left reaches is {float(rates.max()):.2%}, so grade {label!r} is empty. "
                f"Lower its target in grade_cutoffs (below {float(rates.max()):.2%}) or "
                f"pass grade_by='quantile'.",
                UnreachableTargetWarning, stacklevel=4,
            )
            continue
        last = start + int(ok[-1])
        out.append(float(-levels[last]))
        start = last + 1
        if start >= len(levels):
            start = len(levels) - 1
    return np.asarray(out, dtype=float)
