"""The arithmetic of a campaign plan: ordering, cumulative curves, bands and allocation.

No user input is inspected here (see ``_validation.py``); everything is vectorised and
O(n) after one sort.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

__all__: list[str] = []

#: Columns of the depth tables (``CampaignPlan.to_frame``), in order. One meaning each.
DEPTH_COLUMNS = (
    "percentile", "n_contacts", "min_probability", "expected_conversions",
    "expected_revenue", "cost", "expected_profit", "roi", "profit_low", "profit_high",
    "calibration_low", "calibration_high", "within_limits",
)
#: Columns of the allocation table (``CampaignPlan.allocation``), in order.
ALLOCATION_COLUMNS = (
    "segment", "contacts", "chosen", "share_chosen", "value_per_conversion",
    "expected_conversions", "expected_revenue", "cost", "expected_profit", "roi",
    "last_probability", "next_marginal_profit",
)


def plan_order(q: np.ndarray, v: np.ndarray | float) -> np.ndarray:
    """Positions of the contacts by decreasing expected revenue ``q * v``.

    With one value for all, that is the probability order. With a value per contact, ties
    in ``q * v`` are broken by the larger probability, then the larger value, so the curves
    (means, variances, bounds) do not depend on the input order.
    """
    if np.ndim(v) == 0:
        return np.argsort(-q)  # ties have the same q and v: any order gives the same curves
    return np.lexsort((-np.asarray(v), -q, -(q * v)))


@dataclass(frozen=True)
class Curves:
    """Cumulative sums over the first k contacts of the plan order, k = 0..n."""

    conversions: np.ndarray   # sum q
    revenue: np.ndarray       # sum q v
    variance: np.ndarray      # sum q (1 - q) v^2 (variance of the realised revenue)
    max_revenue: np.ndarray   # sum v (every contact converts)
    cost: np.ndarray          # 0 at k = 0, else fixed + k c
    min_probability: np.ndarray  # q of the k-th contact (NaN at k = 0)

    @property
    def profit(self) -> np.ndarray:
        return self.revenue - self.cost

    @property
    def n(self) -> int:
        return self.revenue.size - 1


def _cum(x: np.ndarray) -> np.ndarray:
    out = np.empty(x.size + 1)
    out[0] = 0.0
    np.cumsum(x, out=out[1:])
    return out


def build_curves(q: np.ndarray, v: np.ndarray | float, *, cost: float,
                 fixed: float) -> Curves:
    """Curves of the contacts already in plan order (``q``, ``v`` sorted)."""
    n = q.size
    vv = np.broadcast_to(np.asarray(v, dtype=float), (n,))
    rev = q * vv
    k = np.arange(n + 1, dtype=float)
    total_cost = np.where(k > 0, fixed + k * cost, 0.0)
    min_p = np.empty(n + 1)
    min_p[0] = np.nan
    min_p[1:] = q if np.ndim(v) == 0 else np.minimum.accumulate(q)  # q sorted when v is one
    return Curves(_cum(q), _cum(rev), _cum(rev * vv * (1 - q)), _cum(vv), total_cost, min_p)


def z_of(level: float) -> float:
    """Two-sided normal quantile of a ``level`` band (1.96 for 0.95)."""
    return float(norm.ppf(0.5 + level / 2))


def realised_band(c: Curves, depths: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the normal band of the realised profit at ``depths``, clipped to what can happen.

    The realised revenue lies between 0 (nobody converts) and ``max_revenue`` (everybody
    does), so the band is clipped there; the mean lies inside, so the band keeps it.
    """
    half = z_of(level) * np.sqrt(c.variance[depths])
    mean = c.revenue[depths]
    low = np.maximum(mean - half, 0.0) - c.cost[depths]
    high = np.minimum(mean + half, c.max_revenue[depths]) - c.cost[depths]
    return low, high


def best_depth(profit: np.ndarray, limit: int) -> int:
    """Return the smallest depth in 0..limit with the largest expected profit."""
    return int(np.argmax(profit[: limit + 1]))


def percentile_depths(n: int) -> np.ndarray:
    """Depths of the top 1%, 2%, ..., 100% of ``n`` contacts (rounded up)."""
    return np.ceil(n * np.arange(1, 101) / 100).astype(np.int64)


def allocation_table(order: np.ndarray, q_sorted: np.ndarray, v_sorted: np.ndarray,
                     codes: np.ndarray, labels: pd.Index, seg_value: np.ndarray,
                     chosen: int, cost: float) -> pd.DataFrame:
    """Per segment: how deep the chosen depth goes into it, and what it is expected to bring.

    ``codes`` are in input order; the rest in plan order. Fixed cost is not shared out.
    """
    k = labels.size
    code_s = codes[order]
    taken = np.arange(code_s.size) < chosen
    contacts = np.bincount(code_s, minlength=k)
    n_chosen = np.bincount(code_s, weights=taken, minlength=k).astype(np.int64)
    conv = np.bincount(code_s, weights=q_sorted * taken, minlength=k)
    rev = np.bincount(code_s, weights=q_sorted * v_sorted * taken, minlength=k)
    seg_cost = n_chosen * cost
    # lowest chosen probability per segment; and the marginal profit of the next contact
    # in each segment (the first not chosen: the plan order is the order inside segments)
    last_p = np.full(k, np.nan)
    nxt = np.full(k, np.nan)
    pos = np.arange(code_s.size)
    if chosen:
        last_pos = np.full(k, -1)
        np.maximum.at(last_pos, code_s[:chosen], pos[:chosen])
        ok = last_pos >= 0
        last_p[ok] = q_sorted[last_pos[ok]]
    rest = code_s[chosen:]
    if rest.size:
        first = np.full(k, code_s.size)
        np.minimum.at(first, rest, pos[chosen:])
        ok = first < code_s.size
        nxt[ok] = q_sorted[first[ok]] * v_sorted[first[ok]] - cost
    mean_value = np.bincount(code_s, weights=v_sorted, minlength=k) / np.maximum(contacts, 1)
    value = np.where(np.isnan(seg_value), mean_value, seg_value)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        roi = np.where(seg_cost > 0, (rev - seg_cost) / seg_cost, np.nan)
    return pd.DataFrame({
        "segment": labels, "contacts": contacts, "chosen": n_chosen,
        "share_chosen": n_chosen / contacts, "value_per_conversion": value,
        "expected_conversions": conv, "expected_revenue": rev, "cost": seg_cost,
        "expected_profit": rev - seg_cost, "roi": roi, "last_probability": last_p,
        "next_marginal_profit": nxt,
    }, columns=list(ALLOCATION_COLUMNS))
