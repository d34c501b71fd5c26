"""RFM tables: :func:`rfm_table` and :func:`rfm_exclusions` (public in :mod:`clientseg.rfm`)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from clientseg._core.backends import (
    from_pandas_as,
    kind_of,
    recall,
    remember,
)
from clientseg._core.validation import check_options
from clientseg.exceptions import (
    EmptyDataError,
    InvalidDataError,
    InvalidParameterError,
)
from clientseg.rfm._lazy import as_narwhals, lazy_rfm_parts
from clientseg.rfm._transactions import (
    ATTRS_KEY,
    RULES,
    CleanLines,
    check_policies,
    clean_lines,
    days,
    distinct_per_group,
    group_max,
    group_min,
)

__all__ = ["RFM_COLUMNS", "SCORE_COLUMNS", "rfm_exclusions", "rfm_table"]

#: Columns of :func:`rfm_table`, in order.
RFM_COLUMNS = (
    "recency_days",
    "frequency",
    "monetary",
    "avg_basket",
    "first_purchase",
    "last_purchase",
    "tenure_days",
)
#: Columns of :meth:`RFMScorer.transform` on a customer table, in order.
SCORE_COLUMNS = ("r_score", "f_score", "m_score", "rfm_cell", "rfm_score", "fm_score", "segment")

_ROLES = ("recency", "frequency", "monetary")
_OUTPUTS = ("native", "pandas")
#: Kinds rfm_table hands back as themselves under output="native".
_NATIVE_KINDS = ("pandas", "polars", "polars-lazy", "duckdb", "pyarrow", "dask")
_POLICY_OF_RULE = {
    "missing_id": "missing_ids",
    "missing_value": "missing_values",
    "before_observation_start": "observation_period_start",
    "after_observation_end": "observation_period_end",
    "duplicate": "duplicates",
    "zero_amount": "zero_amounts",
    "return": "returns",
    "no_purchase": "returns",
}


# ======================================================================================
# rfm_table
# ======================================================================================


def rfm_table(
    transactions: Any,
    *,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: str,
    invoice_col: str | None = None,
    observation_period_end: Any,
    observation_period_start: Any = None,
    returns: str = "raise",
    missing_ids: str = "drop",
    missing_values: str = "raise",
    zero_amounts: str = "keep",
    duplicates: str = "keep",
    timezone: str | None = None,
    date_format: str | None = None,
    output: str = "native",
) -> Any:
    """Aggregate transaction lines into one RFM row per customer.

    Parameters
    ----------
    transactions : DataFrame
        One row per transaction line (several lines may share an invoice). Never modified.
        A pandas DataFrame, or a frame another engine holds through narwhals (Polars
        DataFrame or LazyFrame, DuckDB relation, PyArrow Table, Dask DataFrame are
        tested): the engine then filters and aggregates, and only one row per customer
        comes back from it.
    customer_id_col, datetime_col, monetary_value_col : str
        Columns holding the customer id, the date-time of the line and its net amount.
    invoice_col : str, optional
        Column holding the invoice (order) id. With it, frequency counts distinct invoices;
        without it, each line is one purchase.
    observation_period_end : date-like
        The analysis date (inclusive). There is no "today" default. Lines after it are
        excluded and counted (rule ``after_observation_end``).
    observation_period_start : date-like, optional
        Start of the window (inclusive); earlier lines are excluded and counted.
    returns : {"raise", "net", "drop"}, default "raise"
        Lines with a negative amount (returns, cancellations, discounts). ``"raise"`` stops
        with their count; ``"net"`` subtracts them from ``monetary`` (they never count as
        purchases: frequency, first and last purchase ignore them, and customers with no
        purchase line left are excluded under rule ``no_purchase``); ``"drop"`` excludes
        them (rule ``return``).
    missing_ids : {"drop", "raise"}, default "drop"
        Lines without a customer id cannot be attributed: excluded (rule ``missing_id``)
        or refused.
    missing_values : {"raise", "drop"}, default "raise"
        Lines with a missing date, amount or invoice id: refused or excluded (rule
        ``missing_value``).
    zero_amounts : {"keep", "drop", "raise"}, default "keep"
        Lines with a zero amount. Kept, they count as purchases (free orders, samples).
    duplicates : {"keep", "drop", "raise"}, default "keep"
        Rows equal in every column to an earlier row. Kept by default (two identical lines
        can be real); ``"drop"`` excludes them (rule ``duplicate``).
    timezone : str, optional
        Time-zone aware dates are refused unless a zone is named; with one (an IANA name
        such as ``"Europe/Paris"``), aware dates and ``observation_period_end`` are
        converted to it and naive dates are taken to be in it. Days are calendar days of
        that zone.
    date_format : str, optional
        A ``strftime`` format (``"%d/%m/%Y"``) that reads every text date of
        ``datetime_col``. Text such as ``01/02/2025`` is refused without it: day and
        month cannot be told apart. Ignored when the column already holds date-times.
    output : {"native", "pandas"}, default "native"
        The kind of the result. ``"native"``: the kind of ``transactions`` (pandas for
        pandas, a Polars DataFrame for a Polars DataFrame, a Polars LazyFrame for a
        LazyFrame, a DuckDB relation for a relation, a PyArrow Table for a Table, a Dask
        DataFrame for a Dask DataFrame; other narwhals kinds get pandas). ``"pandas"``:
        always a pandas DataFrame.

    Returns
    -------
    DataFrame or the kind of ``transactions``
        Indexed by customer id (sorted), with columns

        - ``recency_days`` (int): calendar days from the last purchase to the analysis
          date (0 = bought on the analysis date);
        - ``frequency`` (int): distinct invoices with at least one purchase line (lines
          when no ``invoice_col``);
        - ``monetary`` (float): total net amount (returns subtracted under ``"net"``);
        - ``avg_basket`` (float): ``monetary / frequency``;
        - ``first_purchase``, ``last_purchase`` (datetime64): first and last purchase line;
        - ``tenure_days`` (int): calendar days from the first purchase to the analysis date.

        ``table.attrs["clientseg.rfm"]`` records the rows in, the rows used, the rows and
        amount excluded by each rule, the returns netted and the policies; read it as a
        table with :func:`rfm_exclusions`.

        Kinds without an index (Polars, DuckDB, PyArrow) hold the customer id as the
        first column instead, sorted; Dask keeps it as the index (sorted, known
        divisions). They have no ``attrs``: the record is kept for the returned object
        itself, and :func:`rfm_exclusions` reads it as long as that object lives. An
        object derived from it (a selection, a join, ``.collect()``) has no record: pass
        ``output="pandas"`` when you need the record to travel with the table.

    Raises
    ------
    MissingColumnsError
        If a named column is absent (all missing ones listed).
    InvalidDataError
        If a ``"raise"`` policy meets its rows, or dates or amounts cannot be read.
    EmptyDataError
        If no row is left after the exclusions.

    See Also
    --------
    rfm_exclusions : what each rule removed.
    RFMScorer : scores and segments from this table.
    to_clv_summary : the lifetimes / PyMC-Marketing summary.

    Notes
    -----
    Rules apply in this order and a row counts under the first that removes it:
    ``missing_id``, ``missing_value``, ``before_observation_start``,
    ``after_observation_end``, ``duplicate``, ``zero_amount``, ``return``, ``no_purchase``.
    The aggregation runs on integer codes (``np.bincount`` and ``np.maximum.at``), without
    sorting when each invoice belongs to one customer.

    In other engines the rules and the aggregation are narwhals expressions, computed
    where the data live (a Dask cluster's workers, DuckDB's threads); the exclusion counts
    and the per-customer rows are computed in the call (a lazy input's result is built
    from them, so using it computes nothing more on the transactions). Messages of
    ``"raise"`` policies there give counts without a first row: lazy engines have no row
    positions.

    Examples
    --------
    >>> import pandas as pd
    >>> from clientseg.rfm import rfm_table, rfm_exclusions
    >>> tx = pd.DataFrame({
    ...     "customer_id": pd.array([1, 1, 2, 2, None], dtype="Int64"),
    ...     "invoice_id": ["A1", "A1", "B1", "C9", "D1"],
    ...     "date": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-03-01",
    ...                             "2025-03-05", "2025-03-07"]),
    ...     "amount": [10.0, 5.0, 20.0, -5.0, 8.0],
    ... })
    >>> table = rfm_table(tx, customer_id_col="customer_id", datetime_col="date",
    ...                   monetary_value_col="amount", invoice_col="invoice_id",
    ...                   observation_period_end="2025-03-31", returns="net")
    >>> table[["recency_days", "frequency", "monetary"]]  # doctest: +NORMALIZE_WHITESPACE
                 recency_days  frequency  monetary
    customer_id
    1                      89          1      15.0
    2                      30          1      15.0
    >>> rfm_exclusions(table).loc[["missing_id", "kept"], ["rows", "amount"]]
    ... # doctest: +NORMALIZE_WHITESPACE
                rows  amount
    rule
    missing_id     1     8.0
    kept           4    30.0
    """
    check_options("output", output, _OUTPUTS)
    policies = check_policies(
        returns=returns,
        missing_ids=missing_ids,
        missing_values=missing_values,
        zero_amounts=zero_amounts,
        duplicates=duplicates,
        timezone=timezone,
    )
    lazy = None if isinstance(transactions, pd.DataFrame) else as_narwhals(transactions)
    if lazy is not None:  # Polars, DuckDB, PyArrow...: the engine aggregates
        try:
            parts = lazy_rfm_parts(
                lazy,
                customer_id_col=customer_id_col,
                datetime_col=datetime_col,
                monetary_value_col=monetary_value_col,
                invoice_col=invoice_col,
                observation_period_end=observation_period_end,
                observation_period_start=observation_period_start,
                policies=policies,
            )
        except NotImplementedError as exc:  # an engine without one of the operations
            raise InvalidParameterError(
                f"Parameter 'transactions' ({type(transactions).__name__}) cannot run this "
                f"RFM aggregation in its engine ({exc}). Convert the frame to pandas first "
                f"(e.g. .to_pandas() or .df()), or adapt the column in the engine."
            ) from exc
        table = _build_table(parts.ids, last=parts.last, first=parts.first,
                             frequency=parts.frequency, monetary=parts.monetary,
                             end_ns=parts.end_ns, exclusions=parts.exclusions,
                             netted=parts.netted, n_rows_in=parts.n_rows_in,
                             policies=policies.as_dict())
    else:
        lines = clean_lines(
            transactions,
            customer_id_col=customer_id_col,
            datetime_col=datetime_col,
            monetary_value_col=monetary_value_col,
            invoice_col=invoice_col,
            observation_period_end=observation_period_end,
            observation_period_start=observation_period_start,
            policies=policies,
            date_format=date_format,
        )
        table = _aggregate(lines)
    table.attrs[ATTRS_KEY]["observation_period_start"] = (
        None if observation_period_start is None else str(observation_period_start))
    kind = "pandas" if lazy is None else kind_of(transactions)
    if output == "pandas" or kind not in _NATIVE_KINDS:
        return table
    native = from_pandas_as(table, kind, transactions)
    remember(native, copy.deepcopy(table.attrs[ATTRS_KEY]))
    return native


def _aggregate(lines: CleanLines) -> pd.DataFrame:
    """Per-customer RFM columns from cleaned lines (vectorised on integer codes)."""
    codes, ns, amount = lines.codes, lines.ns, lines.amount
    assert amount is not None
    k = len(lines.customer_ids)
    purchase = amount >= 0
    all_purchase = bool(purchase.all())
    p_codes = codes if all_purchase else codes[purchase]
    p_ns = ns if all_purchase else ns[purchase]
    monetary = np.bincount(codes, weights=amount, minlength=k)
    if lines.invoice is None:
        frequency = np.bincount(p_codes, minlength=k).astype(np.int64)
    else:
        p_inv = lines.invoice if all_purchase else lines.invoice[purchase]
        frequency = distinct_per_group(p_codes, p_inv, k)
    last = group_max(p_codes, p_ns, k)
    first = group_min(p_codes, p_ns, k)
    exclusions = dict(lines.exclusions)
    netted = {"rows": int((~purchase).sum()), "amount": float(amount[~purchase].sum())}
    has_purchase = frequency > 0
    exclusions["no_purchase"] = {"rows": 0, "amount": 0.0}
    if not all_purchase:
        # Under returns="net", customers whose only lines are returns have no purchase to
        # date recency from: they are excluded and counted.
        has_rows = np.bincount(codes, minlength=k) > 0
        if (has_rows & ~has_purchase).any():
            lost = ~has_purchase[codes]
            lost_rows, lost_amount = int(lost.sum()), float(amount[lost].sum())
            exclusions["no_purchase"] = {"rows": lost_rows, "amount": lost_amount}
            netted = {"rows": netted["rows"] - lost_rows,
                      "amount": netted["amount"] - lost_amount}
    if not has_purchase.any():
        raise EmptyDataError(
            f"Parameter 'transactions' has no customer with a purchase left: the "
            f"{len(codes):,} rows kept are all returns (negative amounts) under "
            f"returns='net'. Check observation_period_end and the sign of the amounts "
            f"(monetary_value_col)."
        )
    if has_purchase.all():
        ids = lines.customer_ids
    else:  # drop codes without a purchase (absent ids of a dense range, returns only)
        ids = lines.customer_ids[has_purchase]
        monetary, frequency = monetary[has_purchase], frequency[has_purchase]
        last, first = last[has_purchase], first[has_purchase]
    return _build_table(ids, last=last, first=first, frequency=frequency, monetary=monetary,
                        end_ns=lines.end_ns, exclusions=exclusions, netted=netted,
                        n_rows_in=lines.n_rows_in, policies=lines.policies.as_dict())


def _build_table(
    ids: pd.Index,
    *,
    last: np.ndarray,
    first: np.ndarray,
    frequency: np.ndarray,
    monetary: np.ndarray,
    end_ns: int,
    exclusions: Mapping[str, Mapping[str, float]],
    netted: Mapping[str, float],
    n_rows_in: int,
    policies: Mapping[str, Any],
) -> pd.DataFrame:
    """Assemble the customer table and its exclusion record (both engines end here)."""
    with np.errstate(over="ignore", invalid="ignore"):
        amount_used = float(monetary.sum())
    overflow = ~np.isfinite(monetary)
    if overflow.any() or not np.isfinite(amount_used):
        where = (f"{int(overflow.sum()):,} customer(s) (first: {ids[int(np.argmax(overflow))]})"
                 if overflow.any() else "all customers together")
        raise InvalidDataError(
            f"The amounts (monetary_value_col) of {where} sum beyond the largest float "
            f"(about 1.8e308), so monetary would be inf. Rescale the amounts (e.g. to "
            f"thousands) before the call."
        )
    end_day = days(end_ns)
    recency = end_day - days(last)
    tenure = end_day - days(first)
    table = pd.DataFrame(
        {
            "recency_days": recency.astype(np.int64),
            "frequency": frequency,
            "monetary": monetary,
            "avg_basket": monetary / frequency,
            "first_purchase": first.view("datetime64[ns]"),
            "last_purchase": last.view("datetime64[ns]"),
            "tenure_days": tenure.astype(np.int64),
        },
        index=ids,
    )
    n_excluded = sum(int(v["rows"]) for v in exclusions.values())
    table.attrs[ATTRS_KEY] = {
        "n_rows_in": int(n_rows_in),
        "n_rows_used": int(n_rows_in) - n_excluded,
        "amount_used": amount_used,
        "exclusions": {r: {"rows": int(exclusions[r]["rows"]),
                           "amount": float(exclusions[r]["amount"])} for r in RULES},
        "netted_returns": {"rows": int(netted["rows"]), "amount": float(netted["amount"])},
        "observation_period_end": str(pd.Timestamp(end_ns)),
        "policies": dict(policies),
    }
    return table


def rfm_exclusions(table: Any) -> pd.DataFrame:
    """Return what each exclusion rule removed when ``table`` was built.

    Parameters
    ----------
    table : DataFrame or another engine's frame
        A result of :func:`rfm_table` or :func:`to_clv_summary` (the record lives in
        ``table.attrs["clientseg.rfm"]``; pandas keeps it through selections and copies,
        but merges and concatenations with other frames may drop it). For a result of
        another kind (Polars, DuckDB, PyArrow, Dask), pass the very object ``rfm_table``
        returned: the record is kept for it, not for objects derived from it.

    Returns
    -------
    DataFrame
        Indexed by ``rule`` in the order the rules apply, then ``kept``; columns ``rows``
        (int), ``share`` (of the rows in), ``amount`` (sum of the rows' amounts) and
        ``policy`` (the parameter and value that governed the rule). The ``rows`` column
        sums to the number of rows passed in.

    Examples
    --------
    >>> import pandas as pd
    >>> from clientseg.rfm import rfm_table, rfm_exclusions
    >>> tx = pd.DataFrame({"id": [1, 1, 2], "amount": [5.0, 0.0, 7.0],
    ...                    "date": pd.to_datetime(["2025-01-01", "2025-01-02", "2026-01-01"])})
    >>> t = rfm_table(tx, customer_id_col="id", datetime_col="date", monetary_value_col="amount",
    ...               observation_period_end="2025-12-31", zero_amounts="drop")
    >>> rfm_exclusions(t)["rows"].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'missing_id': 0, 'missing_value': 0, 'before_observation_start': 0,
     'after_observation_end': 1, 'duplicate': 0, 'zero_amount': 1, 'return': 0,
     'no_purchase': 0, 'kept': 1}
    """
    if isinstance(table, pd.DataFrame):
        record = table.attrs.get(ATTRS_KEY)
    else:
        record = recall(table)
        kind = kind_of(table)
        if record is None and kind not in (None, "pandas"):
            raise InvalidDataError(
                f"Parameter 'table' ({type(table).__module__.split('.')[0]} "
                f"{type(table).__name__}) carries no exclusion record: a non-pandas result "
                f"of rfm_table keeps its record for the returned object only, and this one "
                f"is another object (derived by a selection, join or .collect(), or the "
                f"original was discarded). Pass the object rfm_table returned, or call "
                f"rfm_table(..., output='pandas') so the record travels in attrs."
            )
    if not record:
        raise InvalidDataError(
            "Parameter 'table' carries no exclusion record (attrs['clientseg.rfm']): pass the "
            "frame returned by rfm_table or to_clv_summary, before merging or concatenating "
            "it with other frames."
        )
    policies = record["policies"]
    rows = []
    for rule in RULES:
        param = _POLICY_OF_RULE[rule]
        if param in policies:
            policy = f"{param}={policies[param]!r}"
        elif rule == "before_observation_start":
            policy = f"observation_period_start={record.get('observation_period_start')!r}"
        else:
            policy = f"observation_period_end={record['observation_period_end']!r}"
        if rule == "no_purchase":
            policy = "returns='net': customers with returns only"
        ex = record["exclusions"][rule]
        rows.append((rule, int(ex["rows"]), float(ex["amount"]), policy))
    used_amount = record.get("amount_used", float("nan"))
    rows.append(("kept", int(record["n_rows_used"]), float(used_amount), "used"))
    out = pd.DataFrame(rows, columns=["rule", "rows", "amount", "policy"]).set_index("rule")
    n_in = max(int(record["n_rows_in"]), 1)
    out.insert(1, "share", out["rows"] / n_in)
    return out


# ======================================================================================
# RFMScorer
# ======================================================================================
