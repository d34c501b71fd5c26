"""Internals of :mod:`clientseg.rfm`: the export to the CLV summary convention.

:func:`to_clv_summary` is public through :mod:`clientseg.rfm` (and ``clientseg``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from clientseg._core.validation import check_options, check_scalar
from clientseg.rfm._transactions import (
    ATTRS_KEY,
    RULES,
    check_policies,
    clean_lines,
    days,
    group_max,
    group_min,
)

__all__ = ["CLV_COLUMNS", "to_clv_summary"]

#: Columns of :func:`to_clv_summary` (lifetimes / PyMC-Marketing names).
CLV_COLUMNS = ("frequency", "recency", "T", "monetary_value")

_FREQS = ("D", "W", "M")


def _periods(ns: np.ndarray | int, freq: str) -> Any:
    """Period number of naive nanosecond timestamps: days, Monday-start weeks, or months."""
    d = days(ns)
    if freq == "D":
        return d
    if freq == "W":  # 1970-01-01 was a Thursday; weeks run Monday to Sunday (pandas "W")
        return np.floor_divide(d + 3, 7)
    months = np.asarray(ns, dtype="datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    return months if np.ndim(ns) else int(months)


def to_clv_summary(
    transactions: pd.DataFrame,
    *,
    customer_id_col: str,
    datetime_col: str,
    observation_period_end: Any,
    monetary_value_col: str | None = None,
    freq: str = "D",
    freq_multiplier: int = 1,
    returns: str = "raise",
    missing_ids: str = "drop",
    missing_values: str = "raise",
    zero_amounts: str = "keep",
    duplicates: str = "keep",
    timezone: str | None = None,
) -> pd.DataFrame:
    """Summarise transactions in the lifetimes / PyMC-Marketing convention for CLV models.

    Dates are first cut to periods (``freq``); all lines of a customer in one period form
    one purchase (their amounts are summed). Then, per customer:

    - ``frequency``: number of *repeat* purchase periods (periods with a purchase, minus 1);
    - ``recency``: time from the first to the last purchase period;
    - ``T``: time from the first purchase period to the period of
      ``observation_period_end``;
    - ``monetary_value``: mean amount of the repeat purchase periods (0 when
      ``frequency`` is 0); only with ``monetary_value_col``.

    ``recency`` and ``T`` are in units of ``freq_multiplier`` periods (``freq="D",
    freq_multiplier=7`` gives weeks measured to the day, as in Fader & Hardie's CDNOW
    analysis). These are the names and meanings of ``lifetimes.utils.
    summary_data_from_transaction_data`` and ``pymc_marketing.clv.utils.rfm_summary``; note
    that they differ from :func:`rfm_table` (where recency runs from the last purchase to
    the analysis date).

    Parameters
    ----------
    transactions : DataFrame
        Transaction lines; never modified.
    customer_id_col, datetime_col : str
        Customer id and date-time columns.
    observation_period_end : date-like
        End of the calibration period (inclusive); later lines are excluded and counted.
    monetary_value_col : str, optional
        Amount column; adds ``monetary_value``.
    freq : {"D", "W", "M"}, default "D"
        Period: calendar days, weeks (Monday to Sunday) or calendar months.
    freq_multiplier : int, default 1
        Periods per unit of ``recency`` and ``T`` (7 with ``freq="D"`` gives weeks).
    returns : {"raise", "drop"}, default "raise"
        Negative amounts: refused or excluded. ``"net"`` is not offered: a return in a
        period without a purchase has no purchase to be netted against in this summary.
    missing_ids, missing_values, zero_amounts, duplicates, timezone
        As in :func:`rfm_table`.

    Returns
    -------
    DataFrame
        Indexed by customer id (sorted): ``frequency`` (int), ``recency``, ``T`` and, with
        amounts, ``monetary_value`` (floats). The exclusion record is in ``attrs`` (see
        :func:`rfm_exclusions`). PyMC-Marketing expects the id as a column:
        ``summary.reset_index()`` gives it.

    Examples
    --------
    >>> import pandas as pd
    >>> from clientseg.rfm import to_clv_summary
    >>> tx = pd.DataFrame({"id": [1, 1, 1, 2],
    ...                    "date": pd.to_datetime(["1997-01-01", "1997-01-01", "1997-01-15",
    ...                                            "1997-01-08"]),
    ...                    "spend": [10.0, 5.0, 20.0, 7.0]})
    >>> to_clv_summary(tx, customer_id_col="id", datetime_col="date", monetary_value_col="spend",
    ...                observation_period_end="1997-01-29", freq="D", freq_multiplier=7)
    ... # doctest: +NORMALIZE_WHITESPACE
        frequency  recency    T  monetary_value
    id
    1           1      2.0  4.0            20.0
    2           0      0.0  3.0             0.0
    """
    check_options("freq", freq, _FREQS)
    check_scalar("freq_multiplier", freq_multiplier, kind=int, low=1)
    policies = check_policies(
        returns=returns,
        missing_ids=missing_ids,
        missing_values=missing_values,
        zero_amounts=zero_amounts,
        duplicates=duplicates,
        timezone=timezone,
        returns_allowed=("raise", "drop"),
    )
    lines = clean_lines(
        transactions,
        customer_id_col=customer_id_col,
        datetime_col=datetime_col,
        monetary_value_col=monetary_value_col,
        invoice_col=None,
        observation_period_end=observation_period_end,
        observation_period_start=None,
        policies=policies,
    )
    k = len(lines.customer_ids)
    period = _periods(lines.ns, freq)
    p_min = int(period.min())
    span = np.int64(int(period.max()) - p_min + 1)
    key = lines.codes * span + (period - p_min)
    group, uniq = pd.factorize(key)  # one group per (customer, period)
    g_cust = uniq // span
    g_period = uniq % span + p_min
    n_periods = np.bincount(g_cust, minlength=k)
    first = group_min(g_cust, g_period, k)
    last = group_max(g_cust, g_period, k)
    end_period = _periods(lines.end_ns, freq)
    present = n_periods > 0  # dense integer ids may leave codes without rows
    frequency = (n_periods - 1).astype(np.int64)
    out = pd.DataFrame(
        {
            "frequency": frequency[present],
            "recency": ((last - first) / freq_multiplier)[present],
            "T": ((end_period - first) / freq_multiplier)[present],
        },
        index=lines.customer_ids[present],
    )
    if lines.amount is not None:
        g_sum = np.bincount(group, weights=lines.amount, minlength=len(uniq))
        total = np.bincount(g_cust, weights=g_sum, minlength=k)
        first_sum = np.bincount(g_cust, weights=np.where(g_period == first[g_cust], g_sum, 0.0),
                                minlength=k)
        repeat = np.maximum(frequency, 1)
        mv = np.where(frequency > 0, (total - first_sum) / repeat, 0.0)
        out["monetary_value"] = mv[present]
    exclusions = dict(lines.exclusions)
    exclusions["no_purchase"] = {"rows": 0, "amount": 0.0}
    n_excluded = sum(int(v["rows"]) for v in exclusions.values())
    out.attrs[ATTRS_KEY] = {
        "n_rows_in": lines.n_rows_in,
        "n_rows_used": lines.n_rows_in - n_excluded,
        "amount_used": float(lines.amount.sum()) if lines.amount is not None else float("nan"),
        "exclusions": {r: exclusions[r] for r in RULES},
        "netted_returns": {"rows": 0, "amount": 0.0},
        "observation_period_end": str(pd.Timestamp(lines.end_ns)),
        "policies": lines.policies.as_dict(),
    }
    return out
