"""Internals of :mod:`clientseg.rfm`: clean transaction lines under the documented policies.

Every exclusion rule is applied in a fixed order and each excluded row is counted under the
first rule that removes it, with the sum of its amounts, so the public functions can report
exactly what was dropped. Nothing here loops over rows or customers: masks, integer codes,
``np.bincount`` and ``np.maximum.at`` do the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clientseg._core.backends import native_pandas
from clientseg._core.validation import (
    _are,
    _first_position,
    check_columns,
    check_frame,
    check_numeric_column,
    check_options,
    coerce_datetime,
)
from clientseg.exceptions import EmptyDataError, InvalidDataError, InvalidParameterError

__all__: list[str] = []  # private module

NS_PER_DAY = 86_400 * 10**9
#: Key of the exclusion record in the ``attrs`` of the tables rfm_table/to_clv_summary return.
ATTRS_KEY = "clientseg.rfm"

#: Exclusion rules, in the order they are applied (a row counts under the first that hits).
RULES = (
    "missing_id",
    "missing_value",
    "before_observation_start",
    "after_observation_end",
    "duplicate",
    "zero_amount",
    "return",
    "no_purchase",
)

RETURNS_OPTIONS = ("raise", "net", "drop")
MISSING_IDS_OPTIONS = ("drop", "raise")
MISSING_VALUES_OPTIONS = ("raise", "drop")
ZERO_AMOUNTS_OPTIONS = ("keep", "drop", "raise")
DUPLICATES_OPTIONS = ("keep", "drop", "raise")


@dataclass(frozen=True)
class Policies:
    """The row policies of one call (validated)."""

    returns: str
    missing_ids: str
    missing_values: str
    zero_amounts: str
    duplicates: str
    timezone: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "returns": self.returns,
            "missing_ids": self.missing_ids,
            "missing_values": self.missing_values,
            "zero_amounts": self.zero_amounts,
            "duplicates": self.duplicates,
            "timezone": self.timezone,
        }


@dataclass(frozen=True)
class CleanLines:
    """Kept transaction lines as arrays, with customer codes and the exclusion counts."""

    codes: np.ndarray  # int64 customer code per kept row (0..len(customer_ids)-1)
    customer_ids: pd.Index  # id of each code, sorted when sortable; codes may have no row
    ns: np.ndarray  # int64 nanoseconds since epoch (naive, in the chosen zone)
    amount: np.ndarray | None  # float64 amounts (None when no monetary column)
    invoice: np.ndarray | None  # invoice values of kept rows (None without invoice column)
    end_ns: int  # the observation period end (inclusive), nanoseconds
    exclusions: dict[str, dict[str, float]]  # rule -> {"rows": n, "amount": sum}
    n_rows_in: int
    policies: Policies


def check_policies(
    *,
    returns: str,
    missing_ids: str,
    missing_values: str,
    zero_amounts: str,
    duplicates: str,
    timezone: str | None,
    returns_allowed: tuple[str, ...] = RETURNS_OPTIONS,
) -> Policies:
    """Validate the policy parameters (names and values)."""
    check_options("returns", returns, returns_allowed)
    check_options("missing_ids", missing_ids, MISSING_IDS_OPTIONS)
    check_options("missing_values", missing_values, MISSING_VALUES_OPTIONS)
    check_options("zero_amounts", zero_amounts, ZERO_AMOUNTS_OPTIONS)
    check_options("duplicates", duplicates, DUPLICATES_OPTIONS)
    if timezone is not None and not isinstance(timezone, str):
        raise InvalidParameterError(
            f"Parameter 'timezone' must be None or an IANA time-zone name such as 'UTC'; "
            f"got {timezone!r} of type {type(timezone).__name__}."
        )
    if timezone is not None:  # checked even when every date is naive
        try:
            pd.Timestamp("2000-01-01").tz_localize(timezone)
        except (KeyError, ValueError, TypeError) as exc:  # unknown zone: a KeyError subclass
            raise InvalidParameterError(
                f"Parameter 'timezone' must be an IANA time-zone name such as 'UTC' or "
                f"'Europe/Paris'; got {timezone!r} ({type(exc).__name__}: {exc})."
            ) from None
    return Policies(returns, missing_ids, missing_values, zero_amounts, duplicates, timezone)


def to_timestamp(value: Any, *, param: str, timezone: str | None) -> pd.Timestamp:
    """Parse a date parameter to a naive Timestamp under the time-zone policy of the data."""
    if value is None:
        raise InvalidParameterError(
            f"Parameter {param!r} must be a date (e.g. '2025-12-31'); got None. clientseg has "
            f"no 'today' default: the analysis date must be explicit so results can be "
            f"reproduced."
        )
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"Parameter {param!r} must be a date such as '2025-12-31' or a pandas.Timestamp; "
            f"got {value!r} ({exc})."
        ) from exc
    if ts is pd.NaT or pd.isna(ts):
        raise InvalidParameterError(f"Parameter {param!r} must be a date; got {value!r} (NaT).")
    if ts.tzinfo is not None:
        if timezone is None:
            raise InvalidParameterError(
                f"Parameter {param!r} is time-zone aware ({ts.tzinfo}); pass timezone='UTC' "
                f"(or your business zone) so that it and the transaction dates are converted "
                f"to one zone, or pass a naive date."
            )
        try:
            ts = ts.tz_convert(timezone).tz_localize(None)
        except (KeyError, ValueError, TypeError) as exc:  # unknown zone: a KeyError subclass
            raise InvalidParameterError(
                f"Parameter 'timezone' must be an IANA time-zone name such as 'UTC' or "
                f"'Europe/Paris'; got {timezone!r} ({exc})."
            ) from exc
    return pd.Timestamp(ts).as_unit("ns")


def _policy_error(column: str, param: str, mask: np.ndarray, what: str, fix: str) -> None:
    raise InvalidDataError(
        f"Column {column!r} ({param}) has {_are(int(mask.sum()))} {what} "
        f"(first at row {_first_position(mask)}). {fix}"
    )


def _codes_for(values: Any, *, sort: bool = True) -> tuple[np.ndarray, Any]:
    """Integer codes and the value of each code.

    Dense integer values (span at most twice the length) are coded by offset from the
    minimum, with no hashing and no gather: the codes then cover the whole span, and codes
    without rows must be dropped by the caller (they have zero rows). Other values are
    factorized (sorted by value when ``sort`` and sortable), every code having rows.
    """
    arr = np.asarray(values) if not isinstance(values, np.ndarray) else values
    if arr.dtype.kind in "iu" and arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        span = hi - lo + 1
        if span <= 2 * arr.size + 1024:  # dense integer ids: offsets, no hashing
            # int32 codes halve the memory traffic of the scatter/gather passes
            if arr.dtype.kind == "u":  # uint64 ids >= 2**63 do not fit int64: stay unsigned
                low = np.uint64(lo)
                offset = arr.astype(np.uint64) - low
                uniques = (low + np.arange(span, dtype=np.uint64)).astype(arr.dtype)
            else:
                offset = np.subtract(arr, lo, dtype=np.int64)
                uniques = np.arange(lo, hi + 1, dtype=np.int64).astype(arr.dtype, copy=False)
            offset = offset.astype(np.int32 if span < 2**31 else np.int64)
            return offset, uniques
    try:
        codes, uniques = pd.factorize(arr, sort=sort)
    except TypeError:  # mixed types that cannot be ordered: keep first-seen order
        codes, uniques = pd.factorize(arr, sort=False)
    return codes.astype(np.int64, copy=False), uniques


def analysis_window(
    columns: Any,
    *,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: str | None,
    invoice_col: str | None,
    observation_period_end: Any,
    observation_period_start: Any,
    timezone: str | None,
) -> tuple[pd.Timestamp, pd.Timestamp | None]:
    """Check the named columns are among ``columns``; return the window (end, start).

    Shared by the pandas and the narwhals engines, so both refuse the same inputs.
    """
    check_columns(
        pd.DataFrame(columns=list(columns)),
        {
            "customer_id_col": customer_id_col,
            "datetime_col": datetime_col,
            "monetary_value_col": monetary_value_col,
            "invoice_col": invoice_col,
        },
        frame_param="transactions",
    )
    end = to_timestamp(observation_period_end, param="observation_period_end",
                       timezone=timezone)
    start = (
        None
        if observation_period_start is None
        else to_timestamp(observation_period_start, param="observation_period_start",
                          timezone=timezone)
    )
    if start is not None and start > end:
        raise InvalidParameterError(
            f"Parameter 'observation_period_start' ({start}) is after "
            f"'observation_period_end' ({end}); the window would be empty. Swap them."
        )
    return end, start


def clean_lines(
    transactions: Any,
    *,
    customer_id_col: str,
    datetime_col: str,
    monetary_value_col: str | None,
    invoice_col: str | None,
    observation_period_end: Any,
    observation_period_start: Any,
    policies: Policies,
    date_format: str | None = None,
) -> CleanLines:
    """Apply the exclusion rules in order and return the kept lines as arrays.

    Frames of other engines (Polars, DuckDB, PyArrow, Dask) are computed to pandas first:
    the callers that come here need the lines (:func:`to_clv_summary`); ``rfm_table``
    aggregates them in their engine instead.
    """
    frame = check_frame(native_pandas(transactions), param="transactions")
    end, start = analysis_window(
        frame.columns, customer_id_col=customer_id_col, datetime_col=datetime_col,
        monetary_value_col=monetary_value_col, invoice_col=invoice_col,
        observation_period_end=observation_period_end,
        observation_period_start=observation_period_start, timezone=policies.timezone)
    tz = policies.timezone
    n = len(frame)
    ids = frame[customer_id_col]
    dates = coerce_datetime(frame[datetime_col], column=datetime_col, param="datetime_col",
                            timezone=tz, date_format=date_format)
    ns = dates.to_numpy(dtype="datetime64[ns]").view(np.int64)
    nat = dates.isna().to_numpy()
    amount = None
    if monetary_value_col is not None:
        amount = check_numeric_column(frame, monetary_value_col, param="monetary_value_col",
                                      allow_nan=True)

    excluded = np.zeros(n, dtype=bool)
    exclusions: dict[str, dict[str, float]] = {}

    def exclude(rule: str, mask: np.ndarray | None) -> None:
        if mask is None:  # the rule is off under the chosen policy
            exclusions[rule] = {"rows": 0, "amount": 0.0}
            return
        new = mask & ~excluded
        rows = int(new.sum())
        total = float(np.nansum(amount[new])) if (amount is not None and rows) else 0.0
        exclusions[rule] = {"rows": rows, "amount": total}
        np.logical_or(excluded, new, out=excluded)

    # 1. missing customer ids
    missing_id = ids.isna().to_numpy()
    if policies.missing_ids == "raise" and missing_id.any():
        _policy_error(customer_id_col, "customer_id_col", missing_id, "missing",
                      "Pass missing_ids='drop' to exclude those rows (they are counted), or "
                      "fill the ids before the call.")
    exclude("missing_id", missing_id)

    # 2. missing dates, amounts or invoices
    missing_value = nat.copy()
    if amount is not None:
        missing_value |= np.isnan(amount)
    if invoice_col is not None:
        missing_value |= frame[invoice_col].isna().to_numpy()
    if policies.missing_values == "raise" and (missing_value & ~excluded).any():
        cols = [c for c in (datetime_col, monetary_value_col, invoice_col) if c is not None]
        bad = missing_value & ~excluded
        raise InvalidDataError(
            f"Columns {cols} (datetime_col, monetary_value_col, invoice_col) have "
            f"{int(bad.sum()):,} row(s) with a missing date, amount or invoice (first at row "
            f"{_first_position(bad)}). Pass missing_values='drop' to exclude them (they are "
            f"counted), or fill them before the call."
        )
    exclude("missing_value", missing_value)

    # 3-4. the observation window (end inclusive)
    end_ns = end.value
    before = None if start is None else (ns < start.value) & ~nat
    exclude("before_observation_start", before)
    exclude("after_observation_end", (ns > end_ns) & ~nat)

    # 5. exact duplicate rows (every column equal to an earlier row's)
    if policies.duplicates != "keep":
        dup = frame.duplicated(keep="first").to_numpy()
        if policies.duplicates == "raise" and (dup & ~excluded).any():
            bad = dup & ~excluded
            raise InvalidDataError(
                f"Parameter 'transactions' has {int(bad.sum()):,} exact duplicate row(s) (every "
                f"column equal to an earlier row; first at row {_first_position(bad)}). Pass "
                f"duplicates='drop' to exclude them or duplicates='keep' if they are real "
                f"repeated lines."
            )
        exclude("duplicate", dup)
    else:
        exclude("duplicate", None)

    # 6. zero amounts and 7. returns (negative amounts)
    if amount is not None:
        with np.errstate(invalid="ignore"):
            zero = amount == 0
            negative = amount < 0
        if policies.zero_amounts == "raise" and (zero & ~excluded).any():
            _policy_error(monetary_value_col or "", "monetary_value_col", zero & ~excluded,
                          "zero", "Pass zero_amounts='keep' to count them as purchases (free "
                          "orders) or zero_amounts='drop' to exclude them.")
        exclude("zero_amount", zero if policies.zero_amounts == "drop" else None)
        if policies.returns == "raise" and (negative & ~excluded).any():
            _policy_error(monetary_value_col or "", "monetary_value_col", negative & ~excluded,
                          "negative", "Pass returns='net' to subtract them or returns='drop' "
                          "to exclude them.")
        exclude("return", negative if policies.returns == "drop" else None)
    else:
        exclude("zero_amount", None)
        exclude("return", None)

    keep = ~excluded
    all_kept = bool(keep.all())
    if not keep.any():
        counts = ", ".join(f"{r}: {v['rows']:,}" for r, v in exclusions.items() if v["rows"])
        raise EmptyDataError(
            f"Parameter 'transactions' has no row left after the exclusion rules ({n:,} rows "
            f"in; excluded {counts}). Check observation_period_end ({end.date()}) and the "
            f"policies."
        )
    id_values = ids if all_kept else ids[keep]
    if isinstance(id_values.dtype, pd.api.extensions.ExtensionDtype) and \
            pd.api.types.is_integer_dtype(id_values.dtype):
        raw_ids: Any = id_values.to_numpy(dtype=np.int64)
    else:
        raw_ids = id_values.to_numpy()
    codes, uniques = _codes_for(raw_ids)
    kept_ns = ns if all_kept else ns[keep]
    kept_amount = None if amount is None else (amount if all_kept else amount[keep])
    invoice = None
    if invoice_col is not None:
        inv = frame[invoice_col]
        inv = inv if all_kept else inv[keep]
        if isinstance(inv.dtype, pd.api.extensions.ExtensionDtype) and \
                pd.api.types.is_integer_dtype(inv.dtype):
            invoice = inv.to_numpy(dtype=np.int64)
        else:
            invoice = inv.to_numpy()
    index = pd.Index(uniques, name=customer_id_col)
    if isinstance(ids.dtype, pd.api.extensions.ExtensionDtype):
        index = index.astype(ids.dtype)
    return CleanLines(
        codes=codes,
        customer_ids=index,
        ns=kept_ns,
        amount=kept_amount,
        invoice=invoice,
        end_ns=end_ns,
        exclusions=exclusions,
        n_rows_in=n,
        policies=policies,
    )


def group_max(codes: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Maximum of int64 ``values`` per code (codes without rows get int64 min)."""
    out = np.full(k, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(out, codes, values)
    return out


def group_min(codes: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Minimum of int64 ``values`` per code (codes without rows get int64 max)."""
    out = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, codes, values)
    return out


def distinct_per_group(codes: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Count distinct ``values`` per code, without sorting when each value has one owner.

    Invoices normally belong to one customer: the owner of each invoice code is written in
    one pass and checked in a second; the count is then a bincount of owners. When an
    invoice is shared by several customers, distinct (customer, invoice) pairs are hashed.
    """
    if values.size == 0:
        return np.zeros(k, dtype=np.int64)
    inv_codes, inv_uniques = _codes_for(values, sort=False)
    n_inv = len(inv_uniques)
    owner = np.full(n_inv, -1, dtype=codes.dtype)
    np.put(owner, inv_codes, codes)
    if np.array_equal(owner.take(inv_codes, mode="clip"), codes):  # codes are in range
        return np.bincount(owner[owner >= 0], minlength=k).astype(np.int64)
    pairs = pd.unique(codes.astype(np.int64) * np.int64(n_inv) + inv_codes)
    return np.bincount(pairs // n_inv, minlength=k).astype(np.int64)


def days(ns: np.ndarray | int) -> Any:
    """Calendar-day number (days since 1970-01-01) of naive nanosecond timestamps."""
    return np.floor_divide(ns, NS_PER_DAY)
