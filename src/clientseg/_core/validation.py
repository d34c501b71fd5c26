"""Every check of user input lives here (STYLE.md: one home per decision).

Messages name the parameter, the column, the problem, a count and the fix. Row positions in
messages are 0-based positions (``df.iloc[pos]``), whatever the frame's index is.

Nothing in this module modifies the objects it is given: conversions return new objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from clientseg.exceptions import (
    EmptyDataError,
    InvalidDataError,
    InvalidParameterError,
    MissingColumnsError,
)

__all__: list[str] = []  # private module: nothing here is public API

_MAX_LISTED = 12


def _fmt_list(items: Iterable[Any], limit: int = _MAX_LISTED) -> str:
    """Format items as a quoted, comma-separated list, truncated after ``limit`` items."""
    items = list(items)
    shown = ", ".join(repr(i) for i in items[:limit])
    if len(items) > limit:
        shown += f", ... ({len(items) - limit} more)"
    return shown


def _first_position(mask: np.ndarray) -> int:
    """Return the 0-based position of the first True in a boolean array."""
    return int(np.flatnonzero(mask)[0])


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


def _values(n: int) -> str:
    return f"{n:,} value" + ("" if n == 1 else "s")


def _are(n: int) -> str:
    """``"1 value that is"`` / ``"3 values that are"``: the verb that agrees with ``n``."""
    return f"{_values(n)} that " + ("is" if n == 1 else "are")


def check_options(param: str, value: Any, allowed: Sequence[Any]) -> Any:
    """Check that ``value`` is one of ``allowed`` and return it.

    Raises
    ------
    InvalidParameterError
        Naming the parameter, the value received and every accepted value.
    """
    if value not in allowed:
        raise InvalidParameterError(
            f"Parameter {param!r} must be one of {_fmt_list(allowed)}; got {value!r}."
        )
    return value


def check_scalar(
    param: str,
    value: Any,
    *,
    kind: type | tuple[type, ...] = (int, float),
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> Any:
    """Check a numeric parameter's type and range and return it.

    Booleans are refused where a number is expected (``True`` is an ``int`` in Python).
    """
    named = kind if isinstance(kind, tuple) else (kind,)
    kinds = named
    if float in kinds and int not in kinds:
        kinds = (*kinds, int)  # 3 is a fine value for a float parameter, as np.int64(3) is
    numpy_ok = (int in kinds and isinstance(value, np.integer)) or (
        float in kinds and isinstance(value, np.floating | np.integer)
    )
    if isinstance(value, bool) or not (isinstance(value, kinds) or numpy_ok):
        names = " or ".join(k.__name__ for k in named)
        raise InvalidParameterError(
            f"Parameter {param!r} must be {names}; got {value!r} of type {type(value).__name__}."
        )
    if isinstance(value, float | np.floating) and not np.isfinite(value):
        raise InvalidParameterError(f"Parameter {param!r} must be finite; got {value!r}.")
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high:
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        if low is None:
            left = "("
        if high is None:
            right = ")"
        lo = "-inf" if low is None else repr(low)
        hi = "inf" if high is None else repr(high)
        raise InvalidParameterError(
            f"Parameter {param!r} must be in {left}{lo}, {hi}{right}; got {value!r}."
        )
    return value


def check_frame(frame: Any, *, param: str, min_rows: int = 1) -> pd.DataFrame:
    """Check that ``frame`` is a pandas DataFrame with at least ``min_rows`` rows.

    Returns the same object (never a copy): callers that transform it must copy first.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidDataError(
            f"Parameter {param!r} must be a pandas DataFrame; got {type(frame).__name__}. "
            f"Convert it with pandas.DataFrame(...) first."
        )
    if len(frame) < min_rows:
        need = _rows(min_rows)
        verb = "is" if min_rows == 1 else "are"
        raise EmptyDataError(
            f"Parameter {param!r} has {_rows(len(frame))}; at least {need} {verb} needed."
        )
    return frame


def check_columns(frame: pd.DataFrame, columns: Mapping[str, Any], *, frame_param: str) -> None:
    """Check that every column named by a parameter is in ``frame``; list all missing at once.

    Parameters
    ----------
    frame : DataFrame
        The user's frame.
    columns : mapping
        Parameter name -> column name (``None`` values are skipped: optional columns).
    frame_param : str
        The name of the parameter that passed the frame, used in the message.

    Raises
    ------
    MissingColumnsError
        Listing every missing column with the parameter that named it and the columns present.
    """
    present = list(frame.columns)
    present_set = set(present)
    counts = pd.Index(present).value_counts()
    for param, col in columns.items():
        if col is not None and col in present_set and counts.get(col, 1) > 1:
            raise InvalidDataError(
                f"Column {col!r} ({param}) appears {int(counts[col])} times in {frame_param}; "
                f"a column name must be unique. Rename or drop the copies first, e.g. "
                f"frame.loc[:, ~frame.columns.duplicated()]."
            )
    missing = [
        (param, col) for param, col in columns.items() if col is not None and col not in present_set
    ]
    if missing:
        listed = ", ".join(f"{col!r} ({param})" for param, col in missing)
        n = len(missing)
        noun = "column" if n == 1 else "columns"
        raise MissingColumnsError(
            f"{frame_param} is missing {n} {noun}: {listed}. Columns present: "
            f"{_fmt_list(present)}. Pass the right names with the parameter(s) in brackets."
        )


def check_numeric_column(
    frame: pd.DataFrame,
    column: str,
    *,
    param: str,
    allow_nan: bool = False,
    allow_inf: bool = False,
    allow_negative: bool = True,
    negative_fix: str = "",
    nan_fix: str = "Fill or drop them before the call.",
) -> np.ndarray:
    """Return a column as a float array after checking dtype, NaN, inf and sign.

    The messages say how many values break the rule and the position of the first one.
    """
    series = frame[column]
    if not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)):
        raise InvalidDataError(
            f"Column {column!r} ({param}) must be numeric; it has dtype {series.dtype}. "
            f"Convert it with pandas.to_numeric(...) first."
        )
    values = series.to_numpy(dtype=float, na_value=np.nan)
    if not allow_nan:
        bad = np.isnan(values)
        if bad.any():
            raise InvalidDataError(
                f"Column {column!r} ({param}) has {_are(int(bad.sum()))} NaN "
                f"(first at row {_first_position(bad)}). {nan_fix}"
            )
    if not allow_inf:
        bad = np.isinf(values)
        if bad.any():
            raise InvalidDataError(
                f"Column {column!r} ({param}) has {_are(int(bad.sum()))} inf "
                f"(first at row {_first_position(bad)}). Replace them with finite numbers."
            )
    if not allow_negative:
        bad = values < 0
        if bad.any():
            fix = negative_fix or "Remove or correct them before the call."
            raise InvalidDataError(
                f"Column {column!r} ({param}) has {_are(int(bad.sum()))} negative "
                f"(first at row {_first_position(bad)}). {fix}"
            )
    return values


def coerce_datetime(
    values: Any,
    *,
    column: str,
    param: str,
    timezone: str | None = None,
    date_format: str | None = None,
) -> pd.Series:
    """Parse values to naive ``datetime64[ns]`` with a documented time-zone policy.

    Policy
    ------
    * Unparseable values raise, with their count and the first one (NaT/None stay missing
      and are the caller's to count). Numbers are refused (epoch seconds or nanoseconds are
      ambiguous), whether the column is numeric or holds numbers as objects.
    * Dates outside what ``datetime64[ns]`` holds (1677-09-21 to 2262-04-11, e.g. a
      "9999-12-31" sentinel) raise with their count and the first one.
    * Time-zone aware values with ``timezone=None`` raise: silently dropping an offset
      moves purchases across midnight, which changes recency. So do strings with several
      offsets (a Paris export spanning winter and summer time).
    * With ``timezone="Europe/Paris"`` (any IANA name), aware values, including strings
      with mixed offsets, are converted to that zone and made naive; naive values are taken
      to be in that zone already. (In a column that mixes strings with and without an
      offset, those without one are read as UTC: give every value an offset, or none.)
    * Text such as ``01/02/2025`` (day and month both in two digits or fewer) is refused
      unless ``date_format`` names the format: parsed row by row, ``01/02`` and ``16/01``
      would be read in different orders in one column. With ``date_format`` (a
      ``strftime`` format such as ``"%d/%m/%Y"``), the whole column is read with it.

    Returns a new Series (same index as the input when it was a Series).
    """
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(
        series.dtype
    ):
        parsed = series
    else:
        parsed = _parse_datetimes(series, column=column, param=param, timezone=timezone,
                                  date_format=date_format)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        if timezone is None:
            raise InvalidDataError(
                f"Column {column!r} ({param}) is time-zone aware ({parsed.dtype.tz}); "
                f"{_values(int(parsed.notna().sum()))} would lose their offset. Pass "
                f"timezone='UTC' (or the zone your business day is in, e.g. 'Europe/Paris') "
                f"to convert every date to that zone."
            )
        try:
            parsed = parsed.dt.tz_convert(timezone).dt.tz_localize(None)
        except (KeyError, ValueError, TypeError) as exc:  # unknown zone: a KeyError subclass
            raise InvalidParameterError(
                f"Parameter 'timezone' must be an IANA time-zone name such as 'UTC' or "
                f"'Europe/Paris'; got {timezone!r} ({exc})."
            ) from exc
    out_of_range = ((parsed < pd.Timestamp.min) | (parsed > pd.Timestamp.max)).to_numpy()
    if out_of_range.any():
        first = _first_position(out_of_range)
        raise InvalidDataError(
            f"Column {column!r} ({param}) has {_are(int(out_of_range.sum()))} outside the "
            f"dates pandas can hold in nanoseconds, {pd.Timestamp.min.date()} to "
            f"{pd.Timestamp.max.date()} (first at row {first}: {parsed.iloc[first]}). "
            f"Replace sentinel dates such as 9999-12-31 with missing values (NaT)."
        )
    return parsed.astype("datetime64[ns]")


_NUMBER_KINDS = frozenset({"integer", "floating", "mixed-integer-float", "decimal",
                           "mixed-integer", "complex"})


#: Text dates whose day and month order cannot be told from the text (01/02/2025).
_DAY_MONTH = r"^\s*\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}(?:\D|$)"


def _parse_datetimes(
    series: pd.Series, *, column: str, param: str, timezone: str | None,
    date_format: str | None = None,
) -> pd.Series:
    """Parse strings/objects to datetimes; raise naming the unparseable ones."""
    numeric_dtype = pd.api.types.is_numeric_dtype(series.dtype) and not (
        pd.api.types.is_bool_dtype(series.dtype))
    if numeric_dtype or pd.api.types.infer_dtype(series, skipna=True) in _NUMBER_KINDS:
        n_numbers = int(pd.to_numeric(series, errors="coerce").notna().sum())
        raise InvalidDataError(
            f"Column {column!r} ({param}) holds numbers, not dates ({_values(n_numbers)}, "
            f"dtype {series.dtype}). Convert them first, e.g. pandas.to_datetime(col, "
            f"unit='s') for epoch seconds."
        )
    missing = series.isna().to_numpy()
    if date_format is None:
        text = series.astype("string")
        ambiguous = text.str.contains(_DAY_MONTH, regex=True).fillna(False).to_numpy(bool)
        if ambiguous.any():
            first = _first_position(ambiguous)
            raise InvalidDataError(
                f"Column {column!r} ({param}) has {_values(int(ambiguous.sum()))} written "
                f"as day/month/year or month/day/year (first at row {first}: "
                f"{series.iloc[first]!r}); read row by row, 01/02 and 16/01 would be read "
                f"in different orders. Pass date_format='%d/%m/%Y' (or '%m/%d/%Y') to read "
                f"the whole column with one format."
            )
    fmt = "mixed" if date_format is None else date_format
    try:
        parsed = pd.to_datetime(series, errors="coerce", format=fmt)
    except (ValueError, TypeError):
        # Several offsets in one column (e.g. "+01:00" and "+02:00") parse only to UTC.
        try:
            aware = pd.to_datetime(series, errors="coerce", format=fmt, utc=True)
        except (ValueError, TypeError) as exc:  # only a bad format gets here
            raise InvalidParameterError(
                f"Parameter 'date_format' is not a valid strftime format: {date_format!r} "
                f"({exc}). Pass a format such as '%d/%m/%Y %H:%M'."
            ) from None
        if timezone is None:
            raise InvalidDataError(
                f"Column {column!r} ({param}) mixes time-zone offsets "
                f"({_values(int(aware.notna().sum()))} parsed). Pass timezone='UTC' (or "
                f"your business zone) to convert them all to one zone."
            ) from None
        parsed = aware
    bad = parsed.isna().to_numpy() & ~missing
    if bad.any():
        first = _first_position(bad)
        raise InvalidDataError(
            f"Column {column!r} ({param}) has {_values(int(bad.sum()))} that cannot be parsed "
            f"as dates{'' if date_format is None else f' with date_format={date_format!r}'} "
            f"(first at row {first}: {series.iloc[first]!r}). Fix or drop them, or "
            f"parse the column yourself with pandas.to_datetime(..., format=...)."
        )
    return parsed


def check_array(
    X: Any,
    *,
    param: str = "X",
    min_samples: int = 1,
    min_features: int = 1,
    allow_nan: bool = False,
) -> np.ndarray:
    """Return ``X`` as a 2-D float64 array after checking shape, dtype, NaN and inf.

    For a DataFrame, messages name the offending column. The input is never modified; the
    result may share memory with it (no copy of a float64 array), so callers must not
    modify the result in place.
    """
    columns = list(X.columns) if isinstance(X, pd.DataFrame) else None
    if isinstance(X, pd.DataFrame):
        non_numeric = [
            c
            for c in X.columns
            if not pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])
        ]
        if non_numeric:
            raise InvalidDataError(
                f"{param} has {len(non_numeric)} non-numeric column(s): {_fmt_list(non_numeric)}."
                f" Encode them first (clientseg's mixed-data encoder, or one-hot encoding)."
            )
    if np.iscomplexobj(X):
        n_imag = int(np.count_nonzero(np.imag(np.asarray(X))))
        raise InvalidDataError(
            f"{param} holds complex numbers ({n_imag} value(s) with a nonzero imaginary "
            f"part); pass real numbers only (e.g. the real part, np.real(X), if the "
            f"imaginary parts are rounding noise)."
        )
    try:
        arr = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(
            f"{param} must be numeric and convertible to a float array ({exc})."
        ) from exc
    if arr.ndim == 1:
        raise InvalidDataError(
            f"{param} must be 2-D (samples x features); got a 1-D array of {arr.shape[0]} "
            f"values. Reshape with X.reshape(-1, 1) for one feature."
        )
    if arr.ndim != 2:
        raise InvalidDataError(f"{param} must be 2-D (samples x features); got {arr.ndim}-D.")
    if arr.shape[0] < min_samples:
        raise EmptyDataError(
            f"{param} has {_rows(arr.shape[0])}; at least {_rows(min_samples)} "
            f"{'is' if min_samples == 1 else 'are'} needed."
        )
    if arr.shape[1] < min_features:
        raise EmptyDataError(
            f"{param} has {arr.shape[1]} feature(s); at least {min_features} needed."
        )
    for what, mask in (("NaN", None if allow_nan else np.isnan(arr)), ("inf", np.isinf(arr))):
        if mask is None or not mask.any():
            continue
        row, col = (int(v) for v in np.argwhere(mask)[0])
        where = f"column {columns[col]!r}" if columns is not None else f"column {col}"
        raise InvalidDataError(
            f"{param} contains {_are(int(mask.sum()))} {what} (first at row {row}, "
            f"{where}). Impute or drop them before the call."
        )
    return arr


def check_vector(values: Any, *, param: str, fix: str = "Drop or fill them first.") -> np.ndarray:
    """Return ``values`` as a finite 1-D float64 array with at least one value.

    Non-numbers, NaN (``None``, ``pd.NA``) and inf are refused with their count and the
    position of the first one.
    """
    raw = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values,
                                                                               dtype=object)
    raw = np.ravel(raw)
    if raw.size == 0:
        raise EmptyDataError(f"{param} is empty; at least 1 value is needed.")
    numbers = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce")
    arr = numbers.to_numpy(dtype=float, na_value=np.nan)
    given = pd.notna(pd.Series(raw, dtype=object)).to_numpy()
    not_number = np.isnan(arr) & given
    if not_number.any():
        bad = not_number
        first = _first_position(bad)
        raise InvalidDataError(
            f"{param} has {_are(int(bad.sum()))} not numbers (first at row "
            f"{first}: {raw[first]!r}). Pass numeric scores, e.g. pd.to_numeric(values)."
        )
    for what, mask in (("NaN or missing", np.isnan(arr)), ("inf", np.isinf(arr))):
        if mask.any():
            raise InvalidDataError(
                f"{param} has {_are(int(mask.sum()))} {what} (first at row "
                f"{_first_position(mask)}). {fix}"
            )
    return arr


def check_distinct_labels(column: pd.Series, *, name: Any, param: str) -> None:
    """Refuse a categorical column whose distinct values print the same (``1`` and ``"1"``).

    Two such levels would get one label in tables and JSON, and SQL compares them as one.
    """
    uniques = pd.unique(column.dropna())
    text = pd.Series([str(v) for v in uniques], dtype=object)
    clash = text.duplicated(keep=False).to_numpy()
    if clash.any():
        shown = text[clash].iloc[0]
        kinds = sorted({type(v).__name__ for v, c in zip(uniques, clash, strict=True) if c})
        as_text = column.astype(str).to_numpy()
        rows = np.flatnonzero(as_text == shown)
        raise InvalidDataError(
            f"Column {name!r} ({param}) has {int(clash.sum())} distinct values that read "
            f"the same, e.g. {shown!r} as {' and '.join(kinds)} ({_rows(rows.size)}, first "
            f"at row {int(rows[0])}). Convert the column to one type first, e.g. "
            f"X[{name!r}].astype(str)."
        )


def check_estimator_input(X: Any, *, param: str = "X") -> None:
    """Refuse non-numeric columns, NaN (pd.NA) and inf in an estimator's input, by position.

    Only pandas frames and real 2-D float arrays are inspected: everything else (shapes,
    widths, feature names, sparse or complex input) is left to scikit-learn's
    ``validate_data``, whose messages its estimator checks expect.
    """
    if isinstance(X, pd.DataFrame):
        check_flat_columns(X, param=param)
        non_numeric = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])
                       or pd.api.types.is_bool_dtype(X[c])]
        if non_numeric:
            raise InvalidDataError(
                f"{param} has {len(non_numeric)} non-numeric column(s): "
                f"{_fmt_list(non_numeric)}. Convert them with pandas.to_numeric(...), or "
                f"encode categories first (clientseg's MixedDataEncoder)."
            )
        if any(np.iscomplexobj(X[c].to_numpy()) for c in X.columns):
            return
        arr = X.to_numpy(dtype=float, na_value=np.nan)
        columns: list[Any] | None = list(X.columns)
    elif isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind == "f":
        arr, columns = X, None
    else:
        return
    for what, mask in (("NaN", np.isnan(arr)), ("inf", np.isinf(arr))):
        if mask.any():
            row, col = (int(v) for v in np.argwhere(mask)[0])
            where = f"column {columns[col]!r}" if columns is not None else f"column {col}"
            missing = " (NaN or missing)" if what == "NaN" else ""
            raise InvalidDataError(
                f"Input {param} contains {what}: {_values(int(mask.sum()))}{missing}, first "
                f"at row {row}, {where}. Impute or drop them before the call."
            )


def check_binary(y: Any, *, param: str, n_expected: int | None = None) -> np.ndarray:
    """Return a 0/1 integer array, accepting bool, {0, 1} numbers; refuse anything else."""
    if isinstance(y, pd.Series | pd.api.extensions.ExtensionArray) and pd.api.types.is_bool_dtype(
        y.dtype
    ):  # nullable booleans: <NA> is a missing outcome, not an object
        y = pd.Series(y).to_numpy(dtype=float, na_value=np.nan)
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise InvalidDataError(f"{param} must be 1-D; got shape {arr.shape}.")
    if n_expected is not None and arr.shape[0] != n_expected:
        raise InvalidDataError(
            f"{param} has {arr.shape[0]:,} values but the data have {n_expected:,} rows. "
            f"Pass one value per row."
        )
    if arr.dtype == bool:
        return arr.astype(np.int8)
    if not np.issubdtype(arr.dtype, np.number):
        raise InvalidDataError(
            f"{param} must be 0/1 (or bool); it has dtype {arr.dtype}. Map it to 0/1 first."
        )
    as_float = arr.astype(float)
    nan = np.isnan(as_float)
    if nan.any():
        raise InvalidDataError(
            f"{param} has {_are(int(nan.sum()))} NaN (first at row "
            f"{_first_position(nan)}). Drop those rows or decide their outcome."
        )
    bad = (as_float != 0) & (as_float != 1)
    if bad.any():
        first = _first_position(bad)
        raise InvalidDataError(
            f"{param} must be binary 0/1; {_values(int(bad.sum()))} are neither (first at row "
            f"{first}: {arr[first]!r}). Map it to 0/1 first."
        )
    return as_float.astype(np.int8)


def check_length(values: Any, *, param: str, n_expected: int, against: str = "X") -> np.ndarray:
    """Return ``values`` as a 1-D array of length ``n_expected`` or raise naming both sizes."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InvalidDataError(f"{param} must be 1-D; got shape {arr.shape}.")
    if arr.shape[0] != n_expected:
        raise InvalidDataError(
            f"{param} has {arr.shape[0]:,} values but {against} has {n_expected:,} rows. "
            f"Pass one value per row of {against}, in the same order."
        )
    return arr


def check_criteria_values(frame: pd.DataFrame, columns: Sequence[Any], *, param: str) -> None:
    """Refuse criteria that are entirely missing, and numeric criteria holding +-inf.

    Missing values are allowed (they form their own level in a scorecard); a column with
    nothing but missing values carries no information and is usually a failed join.
    """
    n = len(frame)
    for col in columns:
        series = frame[col]
        n_missing = int(series.isna().sum())
        if n and n_missing == n:
            raise InvalidDataError(
                f"Column {col!r} ({param}) has all {_values(n)} missing. Drop it from "
                f"{param} or fix the data (a failed join?) before the call."
            )
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            values = series.to_numpy(dtype=float, na_value=np.nan)
            bad = np.isinf(values)
            if bad.any():
                raise InvalidDataError(
                    f"Column {col!r} ({param}) has {_are(int(bad.sum()))} inf "
                    f"(first at row {_first_position(bad)}). Replace them with finite numbers "
                    f"or with NaN (missing values form their own level)."
                )


# --------------------------------------------------------------------------------------
# Segment labels, non-negative values and mixed frames (segment quality)
# --------------------------------------------------------------------------------------

#: Level given to missing values of a categorical column (they form their own level).
MISSING_LEVEL = "(missing)"


def check_labels(
    labels: Any,
    *,
    n_expected: int,
    param: str = "labels",
    against: str = "X",
    min_segments: int = 2,
) -> tuple[np.ndarray, pd.Index]:
    """Return segment codes ``0..k-1`` and the segment names, refusing missing labels.

    Segment order: the categories of a categorical (unused ones dropped), else sorted
    labels, else (labels of mixed types that cannot be sorted) order of first appearance.
    """
    arr = check_length(labels, param=param, n_expected=n_expected, against=against)
    if isinstance(labels, pd.Series):
        series = labels
    elif isinstance(labels, pd.Categorical | pd.Index):
        series = pd.Series(labels)  # keeps a categorical's order of categories
    else:
        series = pd.Series(arr)
    missing = series.isna().to_numpy()
    if missing.any():
        raise InvalidDataError(
            f"{param} has {_are(int(missing.sum()))} missing (first at row "
            f"{_first_position(missing)}). Every customer needs a segment: drop those rows "
            f"from {against} and {param}, or give them a segment of their own."
        )
    if isinstance(series.dtype, pd.CategoricalDtype):
        cat = series.cat.remove_unused_categories()
        codes = cat.cat.codes.to_numpy(dtype=np.int64)
        names = pd.Index(cat.cat.categories)
    else:
        try:
            codes, names = pd.factorize(series, sort=True)
        except TypeError:  # labels of mixed types cannot be sorted
            codes, names = pd.factorize(series, sort=False)
        codes = np.asarray(codes, dtype=np.int64)
        names = pd.Index(names)
    if len(names) < min_segments:
        only = f" ({names[0]!r})" if len(names) == 1 else ""
        raise InvalidDataError(
            f"{param} has {len(names)} distinct segment(s){only}; at least {min_segments} are "
            f"needed, since quality compares segments with each other. Pass the labels of a "
            f"segmentation into {min_segments} or more segments."
        )
    return codes, names


def check_nonnegative(
    values: Any, *, param: str, n_expected: int, against: str = "X", fix: str = ""
) -> np.ndarray:
    """Return one finite, non-negative float per row, or raise with the count and first row."""
    arr = check_length(values, param=param, n_expected=n_expected, against=against)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == object):
        raise InvalidDataError(
            f"{param} must be numeric; it has dtype {arr.dtype}. Convert it with "
            f"pandas.to_numeric(...) first."
        )
    try:
        out = pd.to_numeric(pd.Series(arr), errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(
            f"{param} must be numeric ({exc}). Convert it with pandas.to_numeric(...) first."
        ) from exc
    for what, bad, remedy in (
        ("NaN", np.isnan(out), "Fill them (e.g. with 0 for no purchase) or drop those rows."),
        ("inf", np.isinf(out), "Replace them with finite numbers."),
        ("negative", out < 0, fix or "Net them against earlier purchases or set them to 0."),
    ):
        if bad.any():
            raise InvalidDataError(
                f"{param} has {_are(int(bad.sum()))} {what} (first at row "
                f"{_first_position(bad)}). {remedy}"
            )
    return out


def check_flat_columns(X: pd.DataFrame, *, param: str) -> None:
    """Refuse MultiIndex and duplicated column names (a column must be one Series)."""
    if isinstance(X.columns, pd.MultiIndex):
        raise InvalidDataError(
            f"{param} has MultiIndex columns ({X.columns.nlevels} levels); one name per "
            f"column is needed. Flatten them first, e.g. X.columns = ['_'.join(map(str, c)) "
            f"for c in X.columns]."
        )
    dup = X.columns[X.columns.duplicated()].unique()
    if len(dup):
        raise InvalidDataError(
            f"{param} has {len(dup)} duplicated column name(s): {_fmt_list(list(dup))}. "
            f"Rename or drop the copies first, e.g. X.loc[:, ~X.columns.duplicated()]."
        )


def split_mixed_frame(
    X: Any, *, param: str = "X"
) -> tuple[np.ndarray, list[Any], list[tuple[Any, np.ndarray, list[Any]]]]:
    """Split ``X`` into a numeric matrix and categorical columns (codes and levels).

    Numeric (non-boolean) columns form the matrix, checked by :func:`check_array` (no NaN,
    no inf). Boolean, categorical, string and object columns are categorical: missing values
    become the level :data:`MISSING_LEVEL`. A 2-D array is all numeric. Datetime columns are
    refused. At least one numeric column is required.
    """
    if not isinstance(X, pd.DataFrame):
        arr = check_array(X, param=param)
        return arr, list(range(arr.shape[1])), []
    if len(X) == 0:
        raise EmptyDataError(f"{param} has 0 rows; at least 1 row is needed.")
    check_flat_columns(X, param=param)
    dates = [c for c in X.columns if pd.api.types.is_datetime64_any_dtype(X[c])
             or isinstance(X[c].dtype, pd.PeriodDtype)]
    if dates:
        raise InvalidDataError(
            f"{param} has {len(dates)} date column(s): {_fmt_list(dates)}. Turn them into "
            f"numbers first (e.g. days since the date) or drop them."
        )
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])
               and not pd.api.types.is_bool_dtype(X[c])]
    if not numeric:
        raise InvalidDataError(
            f"{param} has no numeric column ({X.shape[1]} column(s), all categorical); the "
            f"geometric measures need at least one. Add numeric criteria or encode the "
            f"categorical ones (one-hot, FAMD-scaled) and pass them as numeric columns."
        )
    arr = check_array(X[numeric], param=param)
    categorical: list[tuple[Any, np.ndarray, list[Any]]] = []
    for col in X.columns:
        if col in numeric:
            continue
        series = X[col]
        if isinstance(series.dtype, pd.CategoricalDtype):
            codes = series.cat.codes.to_numpy(dtype=np.int64)
            levels = list(series.cat.categories)
        else:
            try:
                raw_codes, uniques = pd.factorize(series, sort=True)
            except TypeError:
                raw_codes, uniques = pd.factorize(series, sort=False)
            codes = np.asarray(raw_codes, dtype=np.int64)
            levels = list(uniques)
        if (codes < 0).any():
            codes = np.where(codes < 0, len(levels), codes)
            levels = [*levels, MISSING_LEVEL]
        categorical.append((col, codes, levels))
    return arr, numeric, categorical


def check_binary_target(
    y: Any, *, n_expected: int, param: str = "y", owner: str = "This estimator"
) -> tuple[np.ndarray, np.ndarray]:
    """Return a binary outcome as 0/1 and its two labels, with scikit-learn's wording.

    Accepts bool, 0/1, or any two numeric labels (the larger one is the positive class, as
    scikit-learn's ``classes_[1]``). Refuses strings (no guessing which of "yes"/"no" is
    positive), NaN/inf, continuous or multiclass targets, and a single class. Messages
    contain the phrases scikit-learn's estimator checks look for ("requires y to be
    passed", "Unknown label type", "Only binary classification is supported", "class").
    """
    from sklearn.utils.multiclass import type_of_target
    from sklearn.utils.validation import column_or_1d

    if y is None:
        raise InvalidDataError(
            f"{owner} requires y to be passed, but the target y is None. Pass the 0/1 "
            f"outcome (1 = the event) of every row."
        )
    arr = column_or_1d(y, warn=True)
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr)
        if bad.any():
            first = _first_position(bad)
            raise InvalidDataError(
                f"Parameter {param!r} has {int(bad.sum()):,} value(s) that are NaN or inf "
                f"(first at row {first}: {arr[first]!r}). Drop those rows or decide their "
                f"outcome."
            )
    kind = type_of_target(arr)
    as_num = pd.to_numeric(pd.Series(arr), errors="coerce").to_numpy(dtype=float)
    neither = (as_num != 0) & (as_num != 1)
    first = _first_position(neither) if neither.any() else 0
    k = int(neither.sum())
    n_neither = f"{k:,} value{'s are' if k != 1 else ' is'} neither"
    shown = arr[first].item() if isinstance(arr[first], np.generic) else arr[first]
    if kind == "continuous":
        raise InvalidDataError(
            f"Unknown label type: continuous. Parameter {param!r} must be binary 0/1; "
            f"{n_neither} (first at row {first}: {shown!r}). Map it to 0/1 first."
        )
    if kind not in ("binary", "unknown"):
        raise InvalidDataError(
            f"Only binary classification is supported. The type of the target is {kind}: "
            f"parameter {param!r} must be 0/1; {n_neither} (first at row {first}: "
            f"{shown!r}). Map it to 0/1 first."
        )
    if kind == "unknown":
        raise InvalidDataError(
            f"Unknown label type: parameter {param!r} must be 0/1; it has dtype {arr.dtype} "
            f"(first value {shown!r}). Map it to 0/1 first."
        )
    classes = np.array([0, 1])
    if arr.dtype.kind in "iuf" and not np.isin(arr, (0, 1)).all():
        classes = np.unique(arr)  # two numeric labels: the larger one is the event
        arr = (arr == classes[-1]).astype(np.int8)
    out = check_binary(arr, param=param, n_expected=n_expected)
    n_pos = int(out.sum())
    if n_pos in (0, len(out)) or len(classes) != 2:
        which = "1 (the event)" if n_pos else "0 (no event)"
        raise InvalidDataError(
            f"Parameter {param!r} has one class only: all {len(out):,} values are {which}. "
            f"Both outcomes are needed; check the filter that built the sample."
        )
    return out, classes
