"""Internals of :mod:`clientseg.rfm`: the RFM aggregation on any narwhals-supported engine.

For frames that are not pandas (Polars eager or lazy, DuckDB relations, PyArrow tables,
Dask DataFrames; all tested), :func:`lazy_rfm_parts` expresses the
same exclusion rules and aggregation with narwhals expressions, so the engine does the work
where the data live; only one row per customer (and a handful of counts) comes back to
pandas. Row positions do not exist in lazy engines, so the messages of ``"raise"``
policies give counts without a first row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clientseg._core.backends import to_narwhals
from clientseg.exceptions import EmptyDataError, InvalidDataError
from clientseg.rfm._transactions import Policies, analysis_window

__all__: list[str] = []  # private module

_RULE = "__clientseg_rule"
_DATE = "__clientseg_date"
_PDATE = "__clientseg_purchase_date"
_AMT = "__clientseg_amount"
_PURCH = "__clientseg_purchase"
_RET = "__clientseg_returned"
_PINV = "__clientseg_purchase_invoice"
_FLAGS = ("zero_rows", "zero_amount", "neg_rows", "neg_amount")


@dataclass(frozen=True)
class LazyParts:
    """Per-customer arrays and counts computed by a lazy engine."""

    ids: pd.Index
    last: np.ndarray
    first: np.ndarray
    frequency: np.ndarray
    monetary: np.ndarray
    end_ns: int
    exclusions: dict[str, dict[str, float]]
    netted: dict[str, float]
    n_rows_in: int


def as_narwhals(native: Any) -> Any:
    """Return a narwhals LazyFrame for a supported native frame, else None."""
    frame = to_narwhals(native)
    return None if frame is None else frame.lazy()


def _distinct_in_one_pass(lf: Any) -> bool:
    """Whether to count distinct invoices with ``n_unique`` in the per-customer group-by.

    Polars does it in the same pass, about 1.5 s faster at 10M lines than two group-bys
    (``benchmarks/bench_engines.py``); DuckDB runs it 1.3 s slower than the two group-bys,
    and narwhals' Dask ``n_unique`` adds up the distinct counts of each partition (wrong).
    """
    import narwhals.stable.v2 as nw

    return bool(lf.implementation == nw.Implementation.POLARS)


def _count(n: Any) -> int:
    return 0 if n is None or pd.isna(n) else int(n)


def _money(x: Any) -> float:
    return 0.0 if x is None or pd.isna(x) else float(x)


def _to_ns(values: Any) -> np.ndarray:
    return pd.Series(values).astype("datetime64[ns]").to_numpy().view(np.int64)


def lazy_rfm_parts(
    lf: Any,
    *,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: str,
    invoice_col: str | None,
    observation_period_end: Any,
    observation_period_start: Any,
    policies: Policies,
) -> LazyParts:
    """Apply the exclusion rules and aggregate per customer with narwhals expressions."""
    import narwhals.stable.v2 as nw

    schema = lf.collect_schema()
    end, start = analysis_window(
        schema.names(), customer_id_col=customer_id_col, datetime_col=datetime_col,
        monetary_value_col=monetary_value_col, invoice_col=invoice_col,
        observation_period_end=observation_period_end,
        observation_period_start=observation_period_start, timezone=policies.timezone)
    tz = policies.timezone
    dtype = schema[datetime_col]
    date = nw.col(datetime_col)
    if isinstance(dtype, nw.Datetime):
        if dtype.time_zone is not None:
            if tz is None:
                raise InvalidDataError(
                    f"Column {datetime_col!r} (datetime_col) is time-zone aware "
                    f"({dtype.time_zone}). Pass timezone='UTC' (or the zone your business "
                    f"day is in, e.g. 'Europe/Paris') to convert every date to that zone."
                )
            date = date.dt.convert_time_zone(tz).dt.replace_time_zone(None)
    elif dtype == nw.Date:
        date = date.cast(nw.Datetime("us"))
    else:
        raise InvalidDataError(
            f"Column {datetime_col!r} (datetime_col) must hold dates; it has dtype {dtype}. "
            f"Parse it first (e.g. polars: pl.col(...).str.to_datetime())."
        )
    if not schema[monetary_value_col].is_numeric():
        raise InvalidDataError(
            f"Column {monetary_value_col!r} (monetary_value_col) must be numeric; it has "
            f"dtype {schema[monetary_value_col]}. Cast it to a float first."
        )
    amt = nw.col(monetary_value_col).cast(nw.Float64)
    missing_value = nw.col(_DATE).is_null() | amt.is_null() | amt.is_nan()
    if invoice_col is not None:
        missing_value = missing_value | nw.col(invoice_col).is_null()
    rule: Any = nw.when(nw.col(customer_id_col).is_null()).then(nw.lit("missing_id"))
    rule = rule.when(missing_value).then(nw.lit("missing_value"))
    if start is not None:
        rule = rule.when(nw.col(_DATE) < start.to_pydatetime()).then(
            nw.lit("before_observation_start"))
    rule = rule.when(nw.col(_DATE) > end.to_pydatetime()).then(nw.lit("after_observation_end"))
    rule = rule.otherwise(nw.lit(None, dtype=nw.String))

    # group-by aggregations stay elementary (plain columns) so every engine accepts them
    frame = lf.with_columns(date.alias(_DATE), amt.alias(_AMT))
    zero, negative = amt == 0, amt < 0
    flag_columns = [
        zero.cast(nw.Int64).alias("zero_rows"),
        nw.when(zero).then(amt).otherwise(0.0).alias("zero_amount"),
        negative.cast(nw.Int64).alias("neg_rows"),
        nw.when(negative).then(amt).otherwise(0.0).alias("neg_amount"),
    ]
    # one pass counts the rows of each exclusion rule and, among the rows no rule excludes,
    # the zero and negative amounts (unless duplicates are dropped first: then a later pass)
    is_inf = (amt.abs() == float("inf")).cast(nw.Int64).alias("inf_rows")
    counts = (frame.with_columns(rule.alias(_RULE), *flag_columns, is_inf).group_by(_RULE)
              .agg(nw.len().alias("rows"), nw.col(_AMT).sum().alias("amount"),
                   *(nw.col(c).sum() for c in (*_FLAGS, "inf_rows")))
              .collect().to_pandas())
    n_inf = _count(counts["inf_rows"].fillna(0).sum())
    if n_inf:  # the pandas path refuses them too (lazy engines have no row positions)
        raise InvalidDataError(
            f"Column {monetary_value_col!r} (monetary_value_col) has {n_inf:,} inf "
            f"value(s). Replace them with finite numbers."
        )
    by_rule = {(None if pd.isna(r) else r): (_count(n), _money(a))
               for r, n, a in zip(counts[_RULE], counts["rows"], counts["amount"], strict=True)}
    n_rows_in = sum(v[0] for v in by_rule.values())
    exclusions: dict[str, dict[str, float]] = {}
    for name in ("missing_id", "missing_value", "before_observation_start",
                 "after_observation_end"):
        rows, amount = by_rule.get(name, (0, 0.0))
        exclusions[name] = {"rows": rows, "amount": amount}
    if policies.missing_ids == "raise" and exclusions["missing_id"]["rows"]:
        raise InvalidDataError(
            f"Column {customer_id_col!r} (customer_id_col) has "
            f"{exclusions['missing_id']['rows']:,} missing value(s). Pass missing_ids='drop' "
            f"to exclude those rows (they are counted), or fill the ids before the call."
        )
    if policies.missing_values == "raise" and exclusions["missing_value"]["rows"]:
        raise InvalidDataError(
            f"Columns {datetime_col!r}, {monetary_value_col!r}"
            f"{'' if invoice_col is None else f', {invoice_col!r}'} have "
            f"{exclusions['missing_value']['rows']:,} row(s) with a missing date, amount or "
            f"invoice. Pass missing_values='drop' to exclude them (they are counted), or fill "
            f"them before the call."
        )
    rest = frame.with_columns(rule.alias(_RULE)).filter(nw.col(_RULE).is_null()).drop(_RULE)

    exclusions["duplicate"] = {"rows": 0, "amount": 0.0}
    if policies.duplicates != "keep":
        totals = [rest.select(nw.len().alias("n"), amt.sum().alias("a")).collect().to_pandas()]
        rest = rest.unique()
        totals.append(rest.select(nw.len().alias("n"), amt.sum().alias("a")).collect()
                      .to_pandas())
        dup_rows = _count(totals[0]["n"].iloc[0]) - _count(totals[1]["n"].iloc[0])
        dup_amount = _money(totals[0]["a"].iloc[0]) - _money(totals[1]["a"].iloc[0])
        if policies.duplicates == "raise" and dup_rows:
            raise InvalidDataError(
                f"Parameter 'transactions' has {dup_rows:,} exact duplicate row(s) (every "
                f"column equal to another row's). Pass duplicates='drop' to exclude them or "
                f"duplicates='keep' if they are real repeated lines."
            )
        exclusions["duplicate"] = {"rows": dup_rows, "amount": dup_amount}

    if policies.duplicates == "keep":
        flags = counts.loc[counts[_RULE].isna(), list(_FLAGS)].sum()  # zeros when none kept
    else:
        flags = (rest.with_columns(*flag_columns).select(*(nw.col(c).sum() for c in _FLAGS))
                 .collect().to_pandas().iloc[0])
    zero_rows, neg_rows = _count(flags["zero_rows"]), _count(flags["neg_rows"])
    if policies.zero_amounts == "raise" and zero_rows:
        raise InvalidDataError(
            f"Column {monetary_value_col!r} (monetary_value_col) has {zero_rows:,} zero "
            f"value(s). Pass zero_amounts='keep' to count them as purchases (free orders) or "
            f"zero_amounts='drop' to exclude them."
        )
    if policies.returns == "raise" and neg_rows:
        raise InvalidDataError(
            f"Column {monetary_value_col!r} (monetary_value_col) has {neg_rows:,} negative "
            f"value(s). Pass returns='net' to subtract them or returns='drop' to exclude them."
        )
    drop_zero = policies.zero_amounts == "drop"
    drop_neg = policies.returns == "drop"
    exclusions["zero_amount"] = ({"rows": zero_rows, "amount": _money(flags["zero_amount"])}
                                 if drop_zero else {"rows": 0, "amount": 0.0})
    exclusions["return"] = ({"rows": neg_rows, "amount": _money(flags["neg_amount"])}
                            if drop_neg else {"rows": 0, "amount": 0.0})
    kept = rest
    if drop_zero:
        kept = kept.filter(~zero)
    if drop_neg:
        kept = kept.filter(~negative)

    purchase = amt >= 0
    columns = [
        nw.when(purchase).then(nw.col(_DATE)).alias(_PDATE),
        purchase.cast(nw.Int64).alias(_PURCH),
        nw.when(~purchase).then(amt).otherwise(0.0).alias(_RET),
    ]
    aggs = [
        nw.col(_PDATE).max().alias("last"),
        nw.col(_PDATE).min().alias("first"),
        nw.col(_AMT).sum().alias("monetary"),
        nw.len().alias("rows"),
        nw.col(_PURCH).sum().alias("purchases"),
        nw.col(_RET).sum().alias("returned"),
    ]
    # distinct purchase invoices in the same pass where the engine does it fast (Polars);
    # elsewhere two group-bys below
    one_pass_distinct = invoice_col is not None and _distinct_in_one_pass(lf)
    if invoice_col is not None and one_pass_distinct:  # (repeated for the type checker)
        columns.append(nw.when(purchase).then(nw.col(invoice_col)).alias(_PINV))
        aggs.append(nw.col(_PINV).n_unique().alias("distinct"))
    per = (kept.with_columns(*columns).group_by(customer_id_col).agg(*aggs)
           .collect().to_pandas())
    if per.empty:
        counts_text = ", ".join(f"{r}: {v['rows']:,}" for r, v in exclusions.items()
                                if v["rows"])
        raise EmptyDataError(
            f"Parameter 'transactions' has no row left after the exclusion rules "
            f"({n_rows_in:,} rows in; excluded {counts_text}). Check observation_period_end "
            f"({end.date()}) and the policies."
        )
    rows = per["rows"].to_numpy(dtype=np.int64)
    purchases = per["purchases"].to_numpy(dtype=np.int64)
    monetary = per["monetary"].to_numpy(dtype=float)
    returned = per["returned"].to_numpy(dtype=float)
    if one_pass_distinct:
        # every engine's n_unique counts a missing value as one more distinct value: the
        # return lines of a customer (no purchase invoice) add one
        frequency = (per["distinct"].to_numpy(dtype=np.int64)
                     - (rows > purchases).astype(np.int64))
    elif invoice_col is not None:
        pairs = (kept.filter(purchase).select(customer_id_col, invoice_col)
                 .group_by(customer_id_col, invoice_col).agg(nw.len().alias("lines"))
                 .group_by(customer_id_col).agg(nw.len().alias("distinct"))
                 .collect().to_pandas())
        where = pd.Index(pairs[customer_id_col]).get_indexer(per[customer_id_col])
        distinct = pairs["distinct"].to_numpy(dtype=np.int64)
        frequency = np.where(where >= 0, distinct[np.maximum(where, 0)], 0)
    else:
        frequency = purchases
    has = purchases > 0
    exclusions["no_purchase"] = {"rows": int(rows[~has].sum()),
                                 "amount": float(monetary[~has].sum())}
    netted = {"rows": int((rows - purchases)[has].sum()), "amount": float(returned[has].sum())}
    if not has.any():
        raise EmptyDataError(
            f"Parameter 'transactions' has no customer with a purchase left: the "
            f"{int(rows.sum()):,} rows kept are all returns (negative amounts) under "
            f"returns='net'. Check observation_period_end and the sign of the amounts "
            f"(monetary_value_col)."
        )
    per = per[has]
    order = np.argsort(per[customer_id_col].to_numpy(), kind="stable")
    per = per.iloc[order]
    return LazyParts(
        ids=pd.Index(per[customer_id_col].to_numpy(), name=customer_id_col),
        last=_to_ns(per["last"]),
        first=_to_ns(per["first"]),
        frequency=frequency[has][order],
        monetary=monetary[has][order],
        end_ns=end.value,
        exclusions=exclusions,
        netted=netted,
        n_rows_in=n_rows_in,
    )
