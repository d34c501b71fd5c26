"""``plan_campaign``: profit and ROI of contacting the best-scored contacts first."""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clientseg._core.summary import Summary
from clientseg.campaign import _calibration as cal
from clientseg.campaign import _curves as cv
from clientseg.campaign import _validation as val
from clientseg.exceptions import InvalidDataError, InvalidParameterError

if TYPE_CHECKING:
    from clientseg.campaign._evaluation import CampaignEvaluation

__all__ = ["CampaignPlan", "plan_campaign"]

#: Depths at which the calibration band is computed exactly (plus every percentile, the
#: best and the chosen depth); between them it is interpolated linearly.
N_GRID = 1_000
_BY = ("percentile", "contact", "segment")


def _rng(random_state: Any) -> np.random.Generator:
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**32 - 1, dtype=np.int64))
    if random_state is None or isinstance(random_state, np.random.Generator):
        return np.random.default_rng(random_state)
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return np.random.default_rng(int(random_state))
    raise InvalidParameterError(
        f"Parameter 'random_state' must be None, an int, a numpy Generator or RandomState; "
        f"got {type(random_state).__name__}.")


def _money(x: float) -> str:
    return f"{x:,.2f}" if np.isfinite(x) else "n/a"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%" if np.isfinite(x) else "n/a"


def _rebuild(parts: dict[str, Any]) -> CampaignPlan:
    return CampaignPlan(**parts)


class CampaignPlan:
    """Expected profit, ROI and their bands at every depth of a campaign.

    Returned by :func:`plan_campaign`; immutable. Depth ``k`` means "contact the ``k``
    contacts with the highest expected revenue ``p * value``" (the probability order when
    the value is one number).

    Attributes
    ----------
    n_contacts : int
        Contacts that could be reached (the length of ``probabilities``).
    best_n_contacts : int
        The depth with the largest expected profit, ignoring budget and capacity (0 when no
        depth is profitable: then do not run the campaign).
    best_profit : float
        Its expected profit.
    best_roi : float
        Its expected profit over its cost (NaN at depth 0).
    max_n_contacts : int
        The deepest depth the budget and capacity allow (``n_contacts`` without limits).
    chosen_n_contacts : int
        The recommended depth: the most profitable one within ``max_n_contacts``.
    chosen_profit, chosen_roi : float
        Its expected profit and ROI.
    chosen_band : tuple of float
        The realised-profit band at the chosen depth: where the profit of this campaign will
        land with probability ``level`` if the probabilities are right.
    chosen_calibration_band : tuple of float or None
        The calibration band at the chosen depth (None without calibration data).
    best_depth_range : tuple of int or None
        The ``level`` range of the profit-maximising depth over the calibration resamples
        (on the grid of depths where the band is computed); None without calibration data.
    calibration_map : tuple of float or None
        ``(a, b)`` of the fitted map ``logit(p') = a + b logit(p)``; None without
        calibration data. ``(0, 1)`` is a calibrated model.
    allocation : DataFrame or None
        With ``segments``: per segment, its contacts, how many the chosen depth takes
        (``chosen``, ``share_chosen``), their expected conversions, revenue, cost, profit
        and ROI, the lowest probability taken and the next contact's marginal expected
        profit (``p * value - cost``).
    level : float
        Coverage of the bands.
    """

    __slots__ = ("_parts",)
    _parts: dict[str, Any]

    def __init__(self, **parts: Any) -> None:
        object.__setattr__(self, "_parts", dict(parts))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"CampaignPlan is immutable; cannot set {name!r}.")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self._parts,))

    # ----------------------------------------------------------------- figures

    @property
    def _curves(self) -> cv.Curves:
        return self._parts["curves"]

    @property
    def n_contacts(self) -> int:
        return self._curves.n

    @property
    def level(self) -> float:
        return float(self._parts["level"])

    @property
    def cost_per_contact(self) -> float:
        return float(self._parts["cost_per_contact"])

    @property
    def fixed_cost(self) -> float:
        return float(self._parts["fixed_cost"])

    @property
    def best_n_contacts(self) -> int:
        return int(self._parts["best"])

    @property
    def best_profit(self) -> float:
        return float(self._curves.profit[self.best_n_contacts])

    @property
    def best_roi(self) -> float:
        return self._roi(self.best_n_contacts)

    @property
    def max_n_contacts(self) -> int:
        return int(self._parts["limit"])

    @property
    def chosen_n_contacts(self) -> int:
        return int(self._parts["chosen"])

    @property
    def chosen_profit(self) -> float:
        return float(self._curves.profit[self.chosen_n_contacts])

    @property
    def chosen_roi(self) -> float:
        return self._roi(self.chosen_n_contacts)

    @property
    def chosen_band(self) -> tuple[float, float]:
        low, high = cv.realised_band(self._curves, np.array([self.chosen_n_contacts]),
                                     self.level)
        return float(low[0]), float(high[0])

    @property
    def chosen_calibration_band(self) -> tuple[float, float] | None:
        if self._parts["cal_depths"] is None:
            return None
        low, high = self._calibration_band(np.array([self.chosen_n_contacts]))
        return float(low[0]), float(high[0])

    @property
    def best_depth_range(self) -> tuple[int, int] | None:
        r = self._parts["best_range"]
        return None if r is None else (int(r[0]), int(r[1]))

    @property
    def calibration_map(self) -> tuple[float, float] | None:
        fit = self._parts["calibration"]
        return None if fit is None else (fit.a, fit.b)

    @property
    def allocation(self) -> pd.DataFrame | None:
        table = self._parts["allocation"]
        return None if table is None else table.copy()

    def _roi(self, k: int) -> float:
        c = self._curves
        if not c.cost[k] > 0:
            return float("nan")
        with np.errstate(over="ignore"):  # a cost of a few subnormals: ROI is inf
            return float(c.profit[k] / c.cost[k])

    def _calibration_band(self, depths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = self._parts["cal_depths"]
        cost = self._curves.cost[depths]
        low = np.interp(depths, d, self._parts["cal_low"]) - cost
        high = np.interp(depths, d, self._parts["cal_high"]) - cost
        return low, high

    def __repr__(self) -> str:
        return (f"CampaignPlan({self.n_contacts:,} contacts, best {self.best_n_contacts:,} "
                f"(expected profit {_money(self.best_profit)}), chosen "
                f"{self.chosen_n_contacts:,})")

    # ----------------------------------------------------------------- tables

    def at(self, n_contacts: Any) -> pd.DataFrame:
        """Return the depth table (columns of :meth:`to_frame`) at the given depths.

        Parameters
        ----------
        n_contacts : int or sequence of int
            Depths in ``0..n_contacts``.

        Returns
        -------
        DataFrame
        """
        depths = np.atleast_1d(np.asarray(n_contacts))
        if depths.dtype.kind not in "iu" or depths.size == 0 or depths.min() < 0 \
                or depths.max() > self.n_contacts:
            raise InvalidParameterError(
                f"Parameter 'n_contacts' must hold integer depths in 0..{self.n_contacts:,}; "
                f"got {n_contacts!r}.")
        return self._rows(depths.astype(np.int64))

    def _rows(self, depths: np.ndarray) -> pd.DataFrame:
        c = self._curves
        low, high = cv.realised_band(c, depths, self.level)
        if self._parts["cal_depths"] is None:
            cal_low = cal_high = np.full(depths.size, np.nan)
        else:
            cal_low, cal_high = self._calibration_band(depths)
        cost = c.cost[depths]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # tiny costs: inf
            roi = np.where(cost > 0, c.profit[depths] / cost, np.nan)
        return pd.DataFrame({
            "percentile": 100 * depths / self.n_contacts,
            "n_contacts": depths,
            "min_probability": c.min_probability[depths],
            "expected_conversions": c.conversions[depths],
            "expected_revenue": c.revenue[depths],
            "cost": cost,
            "expected_profit": c.profit[depths],
            "roi": roi,
            "profit_low": low,
            "profit_high": high,
            "calibration_low": cal_low,
            "calibration_high": cal_high,
            "within_limits": depths <= self.max_n_contacts,
        }, columns=list(cv.DEPTH_COLUMNS))

    def to_frame(self, by: str = "percentile") -> pd.DataFrame:
        """Return the plan as a tidy table.

        Parameters
        ----------
        by : {"percentile", "contact", "segment"}, default "percentile"
            ``"percentile"``: one row for the top 1%, 2%, ..., 100% of the contacts
            (depths rounded up). ``"contact"``: one row per depth ``0..n_contacts``.
            ``"segment"``: the :attr:`allocation` table (needs ``segments``).

        Returns
        -------
        DataFrame
            Depth tables: ``percentile`` (share of contacts reached, in %),
            ``n_contacts``, ``min_probability`` (lowest probability reached),
            ``expected_conversions``, ``expected_revenue``, ``cost`` (fixed cost included
            from the first contact on), ``expected_profit``, ``roi`` (profit / cost),
            ``profit_low`` / ``profit_high`` (realised-profit band), ``calibration_low`` /
            ``calibration_high`` (calibration band, NaN without calibration data;
            interpolated between the depths where it is computed) and ``within_limits``
            (the budget and capacity allow the depth).
        """
        val.check_options("by", by, _BY)
        if by == "segment":
            if self._parts["allocation"] is None:
                raise InvalidParameterError(
                    "to_frame(by='segment') needs segments: pass segments= (one label per "
                    "contact, e.g. card.grade(X) or a segmenter's labels_) to plan_campaign.")
            return self._parts["allocation"].copy()
        if by == "contact":
            return self._rows(np.arange(self.n_contacts + 1))
        return self._rows(cv.percentile_depths(self.n_contacts))

    def selection(self) -> Any:
        """Which contacts the chosen depth reaches, in the input order.

        Returns
        -------
        ndarray of bool, or Series of bool
            A Series with the index of ``probabilities`` when it was a Series.
        """
        mask = np.zeros(self.n_contacts, dtype=bool)
        mask[self._parts["order"][: self.chosen_n_contacts]] = True
        index = self._parts["index"]
        return mask if index is None else pd.Series(mask, index=index, name="contact")

    def summary(self) -> Summary:
        """Return a printable summary (``str()``; rendered as HTML in Jupyter).

        Returns
        -------
        object
            With ``__str__`` and ``_repr_html_``: the costs, the best and the chosen depth
            with their bands, the depth table every 10% and the allocation by segment.
        """
        n = self.n_contacts
        lo, hi = self.chosen_band
        metrics = [
            ("contacts", f"{n:,}"),
            ("cost per contact / fixed cost",
             f"{_money(self.cost_per_contact)} / {_money(self.fixed_cost)}"),
            ("best depth (expected profit)",
             f"{self.best_n_contacts:,} contacts ({_pct(self.best_n_contacts / n)}): "
             f"{_money(self.best_profit)}, ROI {_pct(self.best_roi)}"),
        ]
        if self.max_n_contacts < n:
            metrics.append(("deepest depth within budget / capacity",
                            f"{self.max_n_contacts:,} contacts"))
        metrics += [
            ("chosen depth", f"{self.chosen_n_contacts:,} contacts: expected profit "
                             f"{_money(self.chosen_profit)}, ROI {_pct(self.chosen_roi)}"),
            (f"realised-profit band ({self.level:.0%})", f"{_money(lo)} to {_money(hi)}"),
        ]
        if self.calibration_map is not None:
            a, b = self.calibration_map
            fit = self._parts["calibration"]
            metrics.append(("calibration map", f"logit p' = {a:.3f} + {b:.3f} logit p "
                                                f"(on {fit.n_contacts:,} contacts)"))
        band = self.chosen_calibration_band
        if band is not None:
            metrics.append((f"calibration band ({self.level:.0%}, {self._parts['n_boot']} "
                            f"resamples)", f"{_money(band[0])} to {_money(band[1])}"))
        rng = self.best_depth_range
        if rng is not None:
            metrics.append(("best depth over the resamples", f"{rng[0]:,} to {rng[1]:,}"))
        rows = self.to_frame().iloc[9::10]
        keep = ["percentile", "n_contacts", "min_probability", "expected_conversions",
                "expected_profit", "roi", "profit_low", "profit_high"]
        if band is not None:
            keep += ["calibration_low", "calibration_high"]
        tables = [("Depths (every 10% of the contacts)", rows[keep].round(3))]
        if self._parts["allocation"] is not None:
            alloc = self._parts["allocation"][["segment", "contacts", "chosen",
                                               "share_chosen", "expected_profit",
                                               "last_probability"]]
            tables.append(("Allocation by segment (fixed cost not shared out)",
                           alloc.round(3)))
        return Summary("Campaign plan", metrics, tables)

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def plot(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Draw expected profit and ROI against depth, with the bands and the chosen depths.

        See :func:`~clientseg.campaign.plot_campaign`.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from clientseg.campaign._plotting import plot_campaign

        return plot_campaign(self, ax=ax, **kwargs)

    # ----------------------------------------------------------------- past campaigns

    def evaluate(self, converted: Any, *, realised_value: Any = None) -> CampaignEvaluation:
        """Compare what a past campaign on these contacts made with what the plan expected.

        Every contact must have been reached and its outcome recorded (as in a campaign
        that called the whole list): the realised profit at depth ``k`` is then what
        contacting only the top ``k`` would have made.

        Parameters
        ----------
        converted : array-like of 0/1
            Outcome of each contact, in the order of ``probabilities``.
        realised_value : array-like, optional
            Revenue each contact actually brought (0 for non-converters); default the
            planned ``value_per_conversion`` of each converter.

        Returns
        -------
        CampaignEvaluation
        """
        from clientseg.campaign._evaluation import evaluate_plan

        return evaluate_plan(self, converted, realised_value)

    def simulate(self, n_draws: int = 1_000, *, n_contacts: Any = None,
                 random_state: Any = None) -> np.ndarray:
        """Draw realised profits (conversions drawn as Bernoulli(p)) at some depths.

        An exact check of the normal realised-profit band, at a cost of
        ``n_draws x depth`` random numbers.

        Parameters
        ----------
        n_draws : int, default 1000
        n_contacts : int or sequence of int, optional
            Depths; default the chosen depth.
        random_state : int, Generator, RandomState or None

        Returns
        -------
        ndarray of shape (n_draws, number of depths)
        """
        if isinstance(n_draws, bool) or not isinstance(n_draws, numbers.Integral) \
                or n_draws < 1:
            raise InvalidParameterError(f"Parameter 'n_draws' must be an integer >= 1; "
                                        f"got {n_draws!r}.")
        depths = self.at(self.chosen_n_contacts if n_contacts is None
                         else n_contacts)["n_contacts"].to_numpy()
        rng = _rng(random_state)
        q, v = self._parts["q_sorted"], self._parts["v_sorted"]
        top = int(depths.max())
        out = np.empty((int(n_draws), depths.size))
        step = max(1, 5_000_000 // max(top, 1))
        for s in range(0, int(n_draws), step):  # chunks of draws, never of contacts
            hit = rng.random((min(step, int(n_draws) - s), top)) < q[:top]
            cum = np.concatenate([np.zeros((hit.shape[0], 1)),
                                  np.cumsum(hit * v[:top], axis=1)], axis=1)
            out[s:s + hit.shape[0]] = cum[:, depths]
        return out - self._curves.cost[depths]


def plan_campaign(
    probabilities: Any,
    *,
    cost_per_contact: float,
    value_per_conversion: Any,
    fixed_cost: float = 0.0,
    budget: float | None = None,
    capacity: int | None = None,
    segments: Any = None,
    segment_value: Any = None,
    calibration: tuple[Any, Any] | None = None,
    n_boot: int = 200,
    level: float = 0.95,
    random_state: Any = None,
) -> CampaignPlan:
    r"""Plan a campaign: expected profit and ROI of contacting the best contacts first.

    Contacts are ranked by expected revenue ``p_i * value_i`` (by probability when the value
    is one number). At depth ``k`` (the top ``k`` contacts)::

        expected conversions  E_k = sum_{i<=k} p_i
        expected revenue      R_k = sum_{i<=k} p_i value_i
        cost                  C_k = fixed_cost + k * cost_per_contact   (0 at k = 0)
        expected profit       P_k = R_k - C_k,      ROI_k = P_k / C_k

    The best depth maximises ``P_k`` over ``k = 0..n`` (0: do not run); the chosen depth
    maximises it over the depths the budget (``C_k <= budget``) and capacity
    (``k <= capacity``) allow. Full guide: ``docs/user_guide/campaign.md``.

    **Realised-profit band.** Even with the right probabilities, the profit a campaign makes
    is random: contact ``i`` converts with probability ``p_i``, independently, so the
    realised revenue is ``sum B_i value_i`` with ``B_i ~ Bernoulli(p_i)`` (a weighted
    Poisson-binomial). Its mean ``R_k`` and variance ``V_k = sum p_i (1 - p_i) value_i^2``
    are exact and cumulative, so every depth costs O(1) after one sort. The band is
    ``P_k +/- z sqrt(V_k)`` (``z = 1.96`` at ``level=0.95``), clipped to what can happen
    (no one to everyone converting). Why normal: the terms are independent and bounded, so
    the Lindeberg central limit theorem applies as soon as ``V_k`` is large next to any
    one term; Berry-Esseen bounds the error of the coverage by
    ``0.56 sum E|X_i - EX_i|^3 / V_k^{3/2}``, which for equal values is about
    ``0.56 / sqrt(E_k (1 - pbar))``: under 3 points once ~400 conversions are expected,
    loose at the first few contacts. :meth:`CampaignPlan.simulate` draws the exact
    distribution when that matters.

    **Calibration band.** With ``calibration=(p_cal, converted_cal)`` -- the same model's
    probabilities on contacts whose outcome is known -- the map
    ``logit p' = a + b logit p`` is fitted (maximum likelihood, with a ridge of one
    pseudo-contact toward ``a = 0, b = 1``), the planned probabilities are recalibrated by
    it, and ``n_boot`` bootstrap resamples of the calibration contacts give ``n_boot`` maps,
    hence ``n_boot`` expected-profit curves for the same ranking. The band is their
    ``level`` percentile interval: the uncertainty of the probabilities themselves, which
    the realised band ignores. It is computed at ~1,000 depths (every percentile, the best
    and the chosen depth included) and interpolated between them.

    Parameters
    ----------
    probabilities : array-like of shape (n,)
        Conversion probability of each contact, in [0, 1]. Scores on another scale (points,
        log-odds) are refused: pass ``card.predict_proba(X)[:, 1]``.
    cost_per_contact : float
        Cost of reaching one contact (>= 0).
    value_per_conversion : float or array-like of shape (n,)
        Revenue (or margin) of one conversion: one number, or one per contact.
    fixed_cost : float, default 0
        Cost of running the campaign at all (creative, set-up), paid from the first contact.
    budget : float, optional
        Largest total cost allowed (fixed cost included); at least one contact's cost.
    capacity : int, optional
        Largest number of contacts (e.g. call-centre hours).
    segments : array-like of shape (n,), optional
        A segment label per contact (segments, grades A/B/C, regions). Adds
        :attr:`CampaignPlan.allocation`: how deep the chosen depth goes into each segment.
    segment_value : mapping, optional
        Value per conversion of some segments (e.g. the mean spend of each segment's
        converters); replaces ``value_per_conversion`` for their contacts.
    calibration : tuple of two array-likes, optional
        ``(probabilities, converted)`` on contacts with a known outcome, for the calibration
        map and its band.
    n_boot : int, default 200
        Bootstrap resamples of the calibration data (0: no calibration band).
    level : float, default 0.95
        Coverage of both bands.
    random_state : int, Generator, RandomState or None
        Seed of the bootstrap.

    Returns
    -------
    CampaignPlan

    Raises
    ------
    InvalidDataError
        Probabilities outside [0, 1] or NaN, values negative, segments of the wrong length,
        with missing labels or with no contacts.
    InvalidParameterError
        A negative cost, a budget below one contact's cost, a capacity below 1.

    Notes
    -----
    **Segments.** With a budget, which segments to contact and how deep into each is a
    knapsack: every contact costs the same, so picking the ``k`` contacts with the largest
    ``p * value`` maximises the expected revenue of any ``k`` contacts (swap any other
    contact in and the sum cannot rise), and the greedy rule -- take next the contact with
    the largest marginal expected profit per unit cost, ``(p value - c) / c`` -- is exactly
    optimal. Inside a segment the contacts are already in that order (its profit curve is
    concave), so the greedy merges the segments' ordered lists: the global ranking, read
    per segment. ``allocation`` reports it.

    The plan takes the probabilities as true conversion rates *if contacted*; it does not
    estimate uplift (contacts who would have converted anyway count as gains).

    Examples
    --------
    >>> import numpy as np
    >>> from clientseg.campaign import plan_campaign
    >>> p = np.random.default_rng(0).beta(1, 9, 10_000)
    >>> plan = plan_campaign(p, cost_per_contact=2.0, value_per_conversion=60.0)
    >>> bool((p > 2 / 60).sum() == plan.best_n_contacts)
    True
    >>> low, high = plan.chosen_band
    >>> bool(low < plan.best_profit < high)
    True
    >>> capped = plan_campaign(p, cost_per_contact=2.0, value_per_conversion=60.0,
    ...                        budget=5_000.0)
    >>> capped.chosen_n_contacts
    2500
    """
    p = val.check_probabilities("probabilities", probabilities)
    n = p.size
    c = val.check_cost("cost_per_contact", cost_per_contact)
    fixed = val.check_cost("fixed_cost", fixed_cost)
    value = val.check_values(value_per_conversion, n)
    budget = val.check_limit("budget", budget, integer=False)
    capacity_ = val.check_limit("capacity", capacity, integer=True)
    n_boot = val.check_n_boot(n_boot)
    level = val.check_level(level)
    rng = _rng(random_state)

    codes = labels = seg_value = None
    if segments is not None:
        codes, labels = val.check_segments(segments, n)
        if segment_value is not None:
            seg_value = val.check_segment_value(segment_value, labels)
            given = ~np.isnan(seg_value)
            per = seg_value[codes]
            value = np.where(given[codes], per, value)
        else:
            seg_value = np.full(labels.size, np.nan)
    elif segment_value is not None:
        raise InvalidParameterError(
            "Parameter 'segment_value' needs segments: pass segments= (one label per "
            "contact) so each contact's segment value can be found.")

    limit = n
    if budget is not None:
        one = fixed + c
        if budget < one:
            raise InvalidParameterError(
                f"Parameter 'budget' ({budget:,.2f}) is below the cost of one contact "
                f"(fixed_cost {fixed:,.2f} + cost_per_contact {c:,.2f} = {one:,.2f}): no "
                f"campaign fits. Raise budget to at least {one:,.2f} or pass budget=None.")
        if c > 0:
            limit = min(limit, int(np.floor((budget - fixed) / c * (1 + 1e-12))))
    if capacity_ is not None:
        limit = min(limit, int(capacity_))

    fit = None
    x = None
    if calibration is not None:
        if not isinstance(calibration, tuple | list) or len(calibration) != 2:
            raise InvalidParameterError(
                "Parameter 'calibration' must be a pair (probabilities, converted) on "
                "contacts whose outcome is known; got "
                f"{type(calibration).__name__}.")
        p_cal = val.check_probabilities("calibration", calibration[0])
        y_cal = val.check_outcome("calibration", calibration[1], p_cal.size)
        fit = cal.fit_calibration(p_cal, y_cal, n_boot=n_boot, rng=rng)
        x = cal.logit(p)
        q = cal.apply_map(fit.a, fit.b, x)
    else:
        q = p

    order = cv.plan_order(q, value)
    q_sorted = q[order]
    v_sorted = (np.full(n, float(value)) if np.ndim(value) == 0
                else np.asarray(value, dtype=float)[order])
    curves = cv.build_curves(q_sorted, value if np.ndim(value) == 0 else v_sorted,
                             cost=c, fixed=fixed)
    profit = curves.profit
    best = cv.best_depth(profit, n)
    chosen = cv.best_depth(profit, limit)

    cal_depths = cal_low = cal_high = best_range = None
    if fit is not None and n_boot:
        assert x is not None
        grid = np.linspace(0, n, min(n, N_GRID) + 1).round().astype(np.int64)
        cal_depths = np.union1d(np.union1d(grid, cv.percentile_depths(n)), [best, chosen])
        rev = cal.boot_revenue(x[order], v_sorted, cal_depths, fit.boot)
        tail = (1 - level) / 2
        cal_low, cal_high = np.quantile(rev, [tail, 1 - tail], axis=0)
        best_b = cal_depths[np.argmax(rev - curves.cost[cal_depths], axis=1)]
        best_range = np.quantile(best_b, [tail, 1 - tail], method="nearest")

    allocation = None
    if codes is not None:
        assert labels is not None and seg_value is not None
        allocation = cv.allocation_table(order, q_sorted, v_sorted, codes, labels,
                                         seg_value, chosen, c)

    if not np.isfinite(profit).all():
        raise InvalidDataError("The expected profit overflowed: check the scale of "
                               "value_per_conversion and the costs.")
    index = probabilities.index if isinstance(probabilities, pd.Series) else None
    return CampaignPlan(
        curves=curves, order=order, q_sorted=q_sorted, v_sorted=v_sorted, index=index,
        level=level, cost_per_contact=c, fixed_cost=fixed, budget=budget,
        capacity=capacity_, best=best, chosen=chosen, limit=limit, calibration=fit,
        n_boot=n_boot, cal_depths=cal_depths, cal_low=cal_low, cal_high=cal_high,
        best_range=best_range, allocation=allocation)
