"""A past campaign judged against its plan: realised versus expected profit at every depth."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clientseg._core.summary import Summary
from clientseg.campaign import _curves as cv
from clientseg.campaign import _validation as val
from clientseg.exceptions import InvalidDataError

#: A CampaignPlan. Typed loosely: the plan's module imports this one, and a typing-only
#: import back would close an import circle.
_Plan = Any

__all__ = ["CampaignEvaluation"]

#: Extra columns of :meth:`CampaignEvaluation.to_frame`, after the plan's depth columns.
EVALUATION_COLUMNS = ("realised_conversions", "realised_revenue", "realised_profit", "z",
                      "inside_band")


def _money(x: float) -> str:
    return f"{x:,.2f}" if np.isfinite(x) else "n/a"


def _rebuild(parts: dict[str, Any]) -> CampaignEvaluation:
    return CampaignEvaluation(**parts)


class CampaignEvaluation:
    """Realised against expected profit of a past campaign, at every depth of its plan.

    Returned by :meth:`CampaignPlan.evaluate`; immutable.

    Attributes
    ----------
    plan : CampaignPlan
        The plan evaluated.
    n_contacts : int
        The depth judged: the plan's chosen depth.
    expected_profit, realised_profit : float
        At that depth.
    band : tuple of float
        The plan's realised-profit band at that depth.
    inside_band : bool
        Whether the realised profit fell inside it.
    z : float
        ``(realised - expected) / sd``: how many standard deviations of the realised profit
        (conversions being random given the probabilities) the outcome is from the plan.
    expected_conversions, realised_conversions : float
        At that depth.
    """

    __slots__ = ("_parts",)
    _parts: dict[str, Any]

    def __init__(self, **parts: Any) -> None:
        object.__setattr__(self, "_parts", dict(parts))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"CampaignEvaluation is immutable; cannot set {name!r}.")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self._parts,))

    @property
    def plan(self) -> _Plan:
        return self._parts["plan"]

    @property
    def n_contacts(self) -> int:
        return self.plan.chosen_n_contacts

    def _row(self) -> pd.Series:
        return self._rows(np.array([self.n_contacts])).iloc[0]

    @property
    def expected_profit(self) -> float:
        return float(self._row()["expected_profit"])

    @property
    def realised_profit(self) -> float:
        return float(self._row()["realised_profit"])

    @property
    def band(self) -> tuple[float, float]:
        return self.plan.chosen_band

    @property
    def inside_band(self) -> bool:
        return bool(self._row()["inside_band"])

    @property
    def z(self) -> float:
        return float(self._row()["z"])

    @property
    def expected_conversions(self) -> float:
        return float(self._row()["expected_conversions"])

    @property
    def realised_conversions(self) -> float:
        return float(self._row()["realised_conversions"])

    def __repr__(self) -> str:
        return (f"CampaignEvaluation({self.n_contacts:,} contacts: realised profit "
                f"{_money(self.realised_profit)}, expected {_money(self.expected_profit)})")

    def _rows(self, depths: np.ndarray) -> pd.DataFrame:
        frame = self.plan.at(depths)
        conv, rev = self._parts["conversions"], self._parts["revenue"]
        realised = rev[depths] - frame["cost"].to_numpy()
        sd = np.sqrt(self.plan._curves.variance[depths])
        diff = realised - frame["expected_profit"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            z = np.where(sd > 0, diff / sd, np.where(diff == 0, 0.0, np.sign(diff) * np.inf))
        frame["realised_conversions"] = conv[depths]
        frame["realised_revenue"] = rev[depths]
        frame["realised_profit"] = realised
        frame["z"] = z
        frame["inside_band"] = (realised >= frame["profit_low"].to_numpy()) & \
                               (realised <= frame["profit_high"].to_numpy())
        return frame

    def to_frame(self, by: str = "percentile") -> pd.DataFrame:
        """Return the plan's depth table with the realised figures beside the expected ones.

        Parameters
        ----------
        by : {"percentile", "contact"}, default "percentile"
            As in :meth:`CampaignPlan.to_frame`.

        Returns
        -------
        DataFrame
            The plan's depth columns, then ``realised_conversions``, ``realised_revenue``,
            ``realised_profit``, ``z`` and ``inside_band`` (of the realised-profit band).
        """
        val.check_options("by", by, ("percentile", "contact"))
        n = self.plan.n_contacts
        depths = np.arange(n + 1) if by == "contact" else cv.percentile_depths(n)
        return self._rows(depths)

    def summary(self) -> Summary:
        """Return a printable summary: the chosen depth's realised and expected figures.

        Returns
        -------
        object
            With ``__str__`` and ``_repr_html_``.
        """
        lo, hi = self.band
        level = self.plan.level
        metrics = [
            ("contacts in the plan", f"{self.plan.n_contacts:,}"),
            ("depth judged (chosen)", f"{self.n_contacts:,}"),
            ("conversions: realised / expected",
             f"{self.realised_conversions:,.0f} / {self.expected_conversions:,.1f}"),
            ("profit: realised / expected",
             f"{_money(self.realised_profit)} / {_money(self.expected_profit)}"),
            (f"realised-profit band ({level:.0%})", f"{_money(lo)} to {_money(hi)}"),
            ("inside the band", "yes" if self.inside_band else "no"),
            ("z (standard deviations from the plan)", f"{self.z:+.2f}"),
        ]
        frame = self.to_frame().iloc[9::10]
        keep = ["percentile", "n_contacts", "expected_conversions", "realised_conversions",
                "expected_profit", "realised_profit", "profit_low", "profit_high", "z"]
        return Summary("Campaign evaluation", metrics,
                       [("Depths (every 10% of the contacts)", frame[keep].round(3))])

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def plot(self, *, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the plan with the realised profit curve on top (see ``plot_campaign``).

        Returns
        -------
        matplotlib.axes.Axes
        """
        from clientseg.campaign._plotting import plot_campaign

        return plot_campaign(self.plan, ax=ax, realised=self, **kwargs)


def evaluate_plan(plan: _Plan, converted: Any,
                  realised_value: Any) -> CampaignEvaluation:
    """Cumulative realised conversions and revenue in the plan's order."""
    n = plan.n_contacts
    y = val.check_outcome("converted", converted, n)
    order = plan._parts["order"]
    y_s = y[order]
    if realised_value is None:
        rev = y_s * plan._parts["v_sorted"]
    else:
        r = val.as_vector("realised_value", realised_value)
        if r.size != n:
            raise InvalidDataError(
                f"Parameter 'realised_value' has {r.size:,} values for {n:,} contacts; pass "
                f"one revenue per contact (0 for non-converters), in the input order.")
        bad = ~np.isfinite(r)
        if bad.any():
            raise InvalidDataError(
                f"Parameter 'realised_value' has {int(bad.sum()):,} NaN or infinite values "
                f"(first at position {int(np.flatnonzero(bad)[0])}); put 0 for contacts who "
                f"brought nothing.")
        rev = r[order]
    conv = np.concatenate([[0.0], np.cumsum(y_s)])
    cum = np.concatenate([[0.0], np.cumsum(rev)])
    return CampaignEvaluation(plan=plan, conversions=conv, revenue=cum)
