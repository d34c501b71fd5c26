"""Tests of the input checks (``clientseg._core.validation``) and the error classes.

Every raise path is checked with its specific class and a ``match=`` on the parts the house
style requires: the parameter, the column, the problem, the count and the fix. Row positions
in messages are 0-based positions, whatever the index.
"""

from __future__ import annotations

import copy
import re
import warnings
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientseg import exceptions
from clientseg._core.validation import (
    check_array,
    check_binary,
    check_columns,
    check_frame,
    check_length,
    check_numeric_column,
    check_options,
    check_scalar,
    coerce_datetime,
)
from clientseg.exceptions import (
    ClientsegError,
    ClientsegWarning,
    ConvergenceWarning,
    DataQualityWarning,
    EmptyDataError,
    InvalidDataError,
    InvalidDocumentError,
    InvalidParameterError,
    MissingColumnsError,
    SeparationWarning,
    TiedValuesWarning,
    UnreachableTargetWarning,
)

ERRORS = [EmptyDataError, InvalidDataError, InvalidDocumentError, InvalidParameterError,
          MissingColumnsError]
WARNINGS = [ConvergenceWarning, DataQualityWarning, SeparationWarning, TiedValuesWarning,
            UnreachableTargetWarning]


# The verb agrees with the count ("1 value that is", "2 values that are"); these tests check
# the count, the problem and the fix, and accept either verb.
ARE = r"that (?:is|are) "


def esc(text: str) -> str:
    """Escape a literal message fragment for ``match=``."""
    return re.escape(text)


# --------------------------------------------------------------------------- exceptions


@pytest.mark.parametrize("cls", ERRORS)
def test_every_error_is_a_clientseg_error_and_a_value_error(cls):
    assert issubclass(cls, ClientsegError)
    assert issubclass(cls, ValueError)
    assert not issubclass(cls, Warning)
    with pytest.raises(ValueError, match="boom"):
        raise cls("boom")


@pytest.mark.parametrize("cls", WARNINGS)
def test_every_warning_is_a_clientseg_warning_and_a_user_warning(cls):
    assert issubclass(cls, ClientsegWarning)
    assert issubclass(cls, UserWarning)
    assert not issubclass(cls, ClientsegError)
    with pytest.warns(UserWarning, match="careful"):
        warnings.warn("careful", cls, stacklevel=2)


def test_clientseg_error_is_a_value_error_and_clientseg_warning_a_user_warning():
    assert issubclass(ClientsegError, ValueError)
    assert issubclass(ClientsegWarning, UserWarning)


def test_one_filter_escalates_every_clientseg_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ClientsegWarning)
        for cls in WARNINGS:
            with pytest.raises(cls, match="escalated"):
                warnings.warn("escalated", cls, stacklevel=2)


def test_exceptions_all_is_sorted_and_complete():
    assert exceptions.__all__ == sorted(exceptions.__all__)
    public = {
        name
        for name, obj in vars(exceptions).items()
        if isinstance(obj, type) and issubclass(obj, ClientsegError | ClientsegWarning)
    }
    assert set(exceptions.__all__) == public
    assert set(exceptions.__all__) == {c.__name__ for c in ERRORS + WARNINGS} | {
        "ClientsegError",
        "ClientsegWarning",
    }


# --------------------------------------------------------------------------- check_options


def test_check_options_returns_the_value():
    value = "ward"
    assert check_options("method", value, ["ward", "average"]) is value


def test_check_options_names_parameter_value_and_every_accepted_value():
    with pytest.raises(
        InvalidParameterError,
        match=esc("Parameter 'method' must be one of 'ward', 'average'; got 'single'."),
    ):
        check_options("method", "single", ("ward", "average"))


def test_check_options_truncates_a_long_list_of_accepted_values():
    allowed = [f"o{i}" for i in range(15)]
    with pytest.raises(InvalidParameterError, match=esc("'o11', ... (3 more); got 'zz'")):
        check_options("opt", "zz", allowed)


# --------------------------------------------------------------------------- check_scalar


@pytest.mark.parametrize(
    "value", [3, 2.5, np.int64(3), np.int32(-1), np.float64(2.5), np.float32(0.25), 0]
)
def test_check_scalar_accepts_python_and_numpy_numbers(value):
    assert check_scalar("n", value) is value


@pytest.mark.parametrize("value", [3, np.int64(3), np.uint8(7)])
def test_check_scalar_kind_int_accepts_integers(value):
    assert check_scalar("n_bins", value, kind=int) is value


@pytest.mark.parametrize("value", [2.5, np.float64(2.5), np.float32(2.0)])
def test_check_scalar_kind_float_accepts_floats(value):
    assert check_scalar("alpha", value, kind=float) is value


def test_check_scalar_kind_float_treats_python_and_numpy_integers_alike():
    assert check_scalar("alpha", np.int64(3), kind=float) == 3
    assert check_scalar("alpha", 3, kind=float) == 3


@pytest.mark.parametrize(
    ("value", "shown", "typename"),
    [
        (True, "True", "bool"),
        (False, "False", "bool"),
        (np.True_, "np.True_", "bool"),
        ("3", "'3'", "str"),
        (None, "None", "NoneType"),
    ],
)
def test_check_scalar_refuses_booleans_and_non_numbers(value, shown, typename):
    with pytest.raises(
        InvalidParameterError,
        match=esc(f"Parameter 'n_bins' must be int or float; got {shown} of type {typename}."),
    ):
        check_scalar("n_bins", value)


@pytest.mark.parametrize("value", [2.0, np.float64(2.0), True])
def test_check_scalar_kind_int_refuses_floats_and_booleans(value):
    with pytest.raises(InvalidParameterError, match=r"Parameter 'n_bins' must be int; got .* of"):
        check_scalar("n_bins", value, kind=int)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(float("nan"), "nan"), (float("inf"), "inf"), (-np.inf, "-inf"), (np.float32("nan"), "nan")],
)
def test_check_scalar_refuses_non_finite(value, shown):
    with pytest.raises(InvalidParameterError, match=r"Parameter 'alpha' must be finite; got .*"):
        check_scalar("alpha", value)
    with pytest.raises(InvalidParameterError, match=shown):
        check_scalar("alpha", value)


@pytest.mark.parametrize(
    ("kwargs", "value", "interval"),
    [
        (dict(low=0), -1, "[0, inf)"),
        (dict(low=0, low_inclusive=False), 0, "(0, inf)"),
        (dict(high=1), 1.5, "(-inf, 1]"),
        (dict(high=1, high_inclusive=False), 1, "(-inf, 1)"),
        (dict(low=2, high=10), 11, "[2, 10]"),
        (dict(low=0.5, high=0.9, low_inclusive=False, high_inclusive=False), 0.9, "(0.5, 0.9)"),
    ],
)
def test_check_scalar_out_of_range_names_interval_and_value(kwargs, value, interval):
    with pytest.raises(
        InvalidParameterError,
        match=esc(f"Parameter 'k' must be in {interval}; got {value!r}."),
    ):
        check_scalar("k", value, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "value"),
    [
        (dict(low=0), 0),
        (dict(high=1), 1),
        (dict(low=0, high=1, low_inclusive=False, high_inclusive=False), 0.5),
        (dict(low=2, high=10), np.int64(2)),
    ],
)
def test_check_scalar_accepts_inclusive_bounds(kwargs, value):
    assert check_scalar("k", value, **kwargs) == value


# --------------------------------------------------------------------------- check_frame


@pytest.mark.parametrize(
    ("obj", "typename"),
    [
        (pd.Series([1, 2]), "Series"),
        ({"a": [1]}, "dict"),
        (np.zeros((2, 2)), "ndarray"),
        (None, "NoneType"),
    ],
)
def test_check_frame_refuses_non_frames(obj, typename):
    with pytest.raises(
        InvalidDataError,
        match=esc(
            f"Parameter 'transactions' must be a pandas DataFrame; got {typename}. "
            "Convert it with pandas.DataFrame(...) first."
        ),
    ):
        check_frame(obj, param="transactions")


def test_check_frame_refuses_an_empty_frame():
    with pytest.raises(EmptyDataError, match=r"Parameter 'transactions' has 0 rows; at least 1 "):
        check_frame(pd.DataFrame({"a": []}), param="transactions")


def test_check_frame_counts_rows_against_min_rows():
    with pytest.raises(
        EmptyDataError,
        match=esc("Parameter 'customers' has 2 rows; at least 3 rows are needed."),
    ):
        check_frame(pd.DataFrame({"a": [1, 2]}), param="customers", min_rows=3)
    with pytest.raises(EmptyDataError, match=esc("has 1 row; at least 1,000 rows")):
        check_frame(pd.DataFrame({"a": [1]}), param="customers", min_rows=1000)


def test_check_frame_returns_the_same_object():
    df = pd.DataFrame({"a": [1]})
    assert check_frame(df, param="df") is df
    assert check_frame(df, param="df", min_rows=0) is df


# --------------------------------------------------------------------------- check_columns


def test_check_columns_passes_and_skips_none():
    df = pd.DataFrame({"customer_id": [1], "date": ["2025-01-01"]})
    columns = {"customer_id_col": "customer_id", "datetime_col": "date", "amount_col": None}
    assert check_columns(df, columns, frame_param="transactions") is None


def test_check_columns_lists_the_missing_column_parameter_and_present_columns():
    df = pd.DataFrame({"customer_id": [1], "date": ["2025-01-01"]})
    with pytest.raises(
        MissingColumnsError,
        match=esc(
            "transactions is missing 1 column: 'amount' (monetary_value_col). "
            "Columns present: 'customer_id', 'date'. "
            "Pass the right names with the parameter(s) in brackets."
        ),
    ):
        check_columns(
            df,
            {"customer_id_col": "customer_id", "monetary_value_col": "amount"},
            frame_param="transactions",
        )


def test_check_columns_lists_every_missing_column_at_once():
    df = pd.DataFrame({"id": [1]})
    with pytest.raises(
        MissingColumnsError,
        match=esc(
            "transactions is missing 2 columns: 'customer_id' (customer_id_col), "
            "'date' (datetime_col). Columns present: 'id'."
        ),
    ):
        check_columns(
            df,
            {"customer_id_col": "customer_id", "datetime_col": "date", "x": None},
            frame_param="transactions",
        )


def test_check_columns_truncates_a_long_list_of_present_columns():
    df = pd.DataFrame(np.zeros((1, 15)), columns=[f"c{i:02d}" for i in range(15)])
    with pytest.raises(MissingColumnsError, match=esc("'c11', ... (3 more). Pass the right")):
        check_columns(df, {"datetime_col": "date"}, frame_param="X")


_NAMES = st.text(alphabet="abcdefgh_", min_size=1, max_size=6)


@given(
    data=st.data(),
    names=st.lists(_NAMES, min_size=1, max_size=8, unique=True),
)
@pytest.mark.slow
def test_check_columns_lists_exactly_the_missing_columns(data, names):
    present = data.draw(st.lists(st.sampled_from(names), unique=True), label="present")
    columns = {f"param{i}": name for i, name in enumerate(names)}
    frame = pd.DataFrame({name: [0] for name in [*present, "zz_extra"]})
    expected_missing = {(f"param{i}", n) for i, n in enumerate(names) if n not in present}
    if not expected_missing:
        assert check_columns(frame, columns, frame_param="df") is None
        return
    with pytest.raises(MissingColumnsError) as info:
        check_columns(frame, columns, frame_param="df")
    message = str(info.value)
    head, _, tail = message.partition(". Columns present: ")
    n = len(expected_missing)
    assert head.startswith(f"df is missing {n} column{'s' if n > 1 else ''}: ")
    listed = set(re.findall(r"'([a-h_]+)' \((param\d+)\)", head))
    assert {(param, col) for col, param in listed} == expected_missing
    assert "'zz_extra'" in tail


# --------------------------------------------------------------------------- check_numeric_column


@pytest.mark.parametrize(
    ("series", "dtype_shown"),
    [
        (pd.Series(["1", "2"], dtype=object), "object"),
        (pd.Series([True, False]), "bool"),
        (pd.Series(pd.to_datetime(["2025-01-01", "2025-01-02"])), "datetime64"),
        (pd.Series(["a", "b"], dtype="string"), "string"),
    ],
)
def test_check_numeric_column_refuses_non_numeric(series, dtype_shown):
    df = pd.DataFrame({"amount": series})
    with pytest.raises(
        InvalidDataError,
        match=esc("Column 'amount' (monetary_value_col) must be numeric; it has dtype ")
        + f"{dtype_shown}.*"
        + esc(". Convert it with pandas.to_numeric(...) first."),
    ):
        check_numeric_column(df, "amount", param="monetary_value_col")


def test_check_numeric_column_counts_nan_and_gives_first_position_not_label():
    df = pd.DataFrame(
        {"amount": [1.0, 2.0, 3.0, 4.0, np.nan, 6.0, 7.0, np.nan]},
        index=[70, 60, 50, 40, 30, 20, 10, 0],
    )
    with pytest.raises(
        InvalidDataError,
        match=esc(
            "Column 'amount' (monetary_value_col) has 2 values that are NaN (first at row 4). "
            "Fill or drop them before the call."
        ),
    ):
        check_numeric_column(df, "amount", param="monetary_value_col")


def test_check_numeric_column_nan_fix_and_nullable_missing():
    df = pd.DataFrame({"qty": pd.array([1, pd.NA, 3], dtype="Int64")})
    with pytest.raises(
        InvalidDataError,
        match=esc("Column 'qty' (quantity_col) has 1 value ")
        + ARE
        + esc("NaN (first at row 1). Pass dropna=True."),
    ):
        check_numeric_column(df, "qty", param="quantity_col", nan_fix="Pass dropna=True.")


def test_check_numeric_column_counts_with_thousands_separator():
    values = np.ones(3000)
    values[1500:] = np.nan
    df = pd.DataFrame({"a": values})
    with pytest.raises(
        InvalidDataError, match=esc("has 1,500 values that are NaN (first at row 1500)")
    ):
        check_numeric_column(df, "a", param="p")


def test_check_numeric_column_counts_inf_of_both_signs():
    df = pd.DataFrame({"amount": [1.0, 2.0, np.inf, -np.inf, 5.0]})
    with pytest.raises(
        InvalidDataError,
        match=esc(
            "Column 'amount' (monetary_value_col) has 2 values that are inf (first at row 2). "
            "Replace them with finite numbers."
        ),
    ):
        check_numeric_column(df, "amount", param="monetary_value_col")


def test_check_numeric_column_refuses_negatives_with_default_and_custom_fix():
    df = pd.DataFrame({"amount": [5.0, 0.0, -1.0, 3.0, -2.5, -0.1]}, index=list("abcdef"))
    with pytest.raises(
        InvalidDataError,
        match=esc(
            "Column 'amount' (monetary_value_col) has 3 values that are negative "
            "(first at row 2). Remove or correct them before the call."
        ),
    ):
        check_numeric_column(df, "amount", param="monetary_value_col", allow_negative=False)
    fix = "Pass returns='net' to subtract them or returns='drop' to exclude them."
    with pytest.raises(InvalidDataError, match=esc(f"(first at row 2). {fix}")):
        check_numeric_column(
            df, "amount", param="monetary_value_col", allow_negative=False, negative_fix=fix
        )


def test_check_numeric_column_returns_float_values_and_honours_allow_flags():
    df = pd.DataFrame({"n": [3, -1, 0], "x": [1.5, np.nan, -np.inf]})
    out = check_numeric_column(df, "n", param="p")
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [3.0, -1.0, 0.0])
    out = check_numeric_column(df, "x", param="p", allow_nan=True, allow_inf=True)
    np.testing.assert_array_equal(out, [1.5, np.nan, -np.inf])
    nullable = pd.DataFrame({"q": pd.array([1, None, 2], dtype="Int64")})
    out = check_numeric_column(nullable, "q", param="p", allow_nan=True)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [1.0, np.nan, 2.0])


def test_check_numeric_column_allows_nan_but_still_refuses_inf():
    df = pd.DataFrame({"x": [np.nan, 1.0, np.inf]})
    with pytest.raises(
        InvalidDataError, match=esc("has 1 value ") + ARE + r"inf \(first at row 2\)"
    ):
        check_numeric_column(df, "x", param="p", allow_nan=True)


@given(
    st.lists(
        st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.just(float("nan"))),
        min_size=1,
        max_size=40,
    )
)
@pytest.mark.slow
def test_check_numeric_column_nan_count_and_first_position(values):
    df = pd.DataFrame({"v": values})
    nan = [i for i, x in enumerate(values) if x != x]
    if not nan:
        np.testing.assert_array_equal(check_numeric_column(df, "v", param="p"), values)
        return
    n = len(nan)
    word = "value" if n == 1 else "values"
    with pytest.raises(
        InvalidDataError, match=esc(f"has {n} {word} ") + ARE + esc(f"NaN (first at row {nan[0]})")
    ):
        check_numeric_column(df, "v", param="p")


# --------------------------------------------------------------------------- coerce_datetime


def _paris_naive(utc_strings):
    """Independent oracle: UTC wall times -> Paris wall times, naive (zoneinfo, not pandas)."""
    paris = ZoneInfo("Europe/Paris")
    out = []
    for text in utc_strings:
        moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
        out.append(moment.astimezone(paris).replace(tzinfo=None))
    return out


def test_coerce_datetime_parses_naive_strings_and_keeps_the_index():
    s = pd.Series(["2025-01-02 03:04:05", "2024-02-29", "2025-12-31 23:59"], index=[7, 3, 9])
    out = coerce_datetime(s, column="date", param="datetime_col")
    assert out.dtype == "datetime64[ns]"
    assert list(out.index) == [7, 3, 9]
    assert list(out) == [
        datetime(2025, 1, 2, 3, 4, 5),
        datetime(2024, 2, 29),
        datetime(2025, 12, 31, 23, 59),
    ]


def test_coerce_datetime_accepts_a_list_and_datetime64_of_any_unit():
    out = coerce_datetime(["2025-03-01", "2025-03-02"], column="d", param="datetime_col")
    assert out.dtype == "datetime64[ns]"
    assert list(out) == [datetime(2025, 3, 1), datetime(2025, 3, 2)]
    s = pd.Series(np.array(["2025-03-01T10:00", "2025-03-02"], dtype="datetime64[s]"))
    out = coerce_datetime(s, column="d", param="datetime_col")
    assert out.dtype == "datetime64[ns]"
    assert list(out) == [datetime(2025, 3, 1, 10), datetime(2025, 3, 2)]


def test_coerce_datetime_returns_a_new_series():
    s = pd.Series(pd.to_datetime(["2025-03-01", "2025-03-02"]).astype("datetime64[ns]"))
    before = s.copy(deep=True)
    out = coerce_datetime(s, column="d", param="datetime_col")
    assert out is not s
    out.iloc[0] = pd.Timestamp("1999-01-01")
    pd.testing.assert_series_equal(s, before)


def test_coerce_datetime_keeps_nat_and_none_as_missing():
    s = pd.Series(["2025-01-01", None, np.nan, pd.NaT, "2025-01-05"])
    out = coerce_datetime(s, column="date", param="datetime_col")
    assert out.dtype == "datetime64[ns]"
    assert out.isna().tolist() == [False, True, True, True, False]
    assert out.iloc[4] == datetime(2025, 1, 5)


def test_coerce_datetime_counts_unparseable_values_but_not_missing_ones():
    s = pd.Series(
        [None, "2025-01-01", "not a date", pd.NaT, "2025-02-30", "2025-01-03"],
        index=[50, 40, 30, 20, 10, 0],
    )
    with pytest.raises(
        InvalidDataError,
        match=esc(
            "Column 'date' (datetime_col) has 2 values that cannot be parsed as dates "
            "(first at row 2: 'not a date'). Fix or drop them, or parse the column yourself "
            "with pandas.to_datetime(..., format=...)."
        ),
    ):
        coerce_datetime(s, column="date", param="datetime_col")


def test_coerce_datetime_single_unparseable_value():
    with pytest.raises(
        InvalidDataError,
        match=esc("has 1 value ")
        + r"\w+ "
        + esc("cannot be parsed as dates (first at row 0: 'yesterday')"),
    ):
        coerce_datetime(["yesterday", "2025-01-01"], column="when", param="datetime_col")


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        (pd.Series([1_700_000_000, 1_700_086_400]), "int64"),
        (pd.Series([1.7e9, np.nan]), "float64"),
        (pd.Series([20250101, 20250102], dtype="Int64"), "Int64"),
    ],
)
@pytest.mark.parametrize("timezone", [None, "UTC"])
def test_coerce_datetime_refuses_numeric_epochs(values, dtype, timezone):
    n = int(pd.Series(values).notna().sum())
    n_numbers = f"{n} value" + ("" if n == 1 else "s")
    with pytest.raises(
        InvalidDataError,
        match=esc(
            f"Column 'ts' (datetime_col) holds numbers, not dates ({n_numbers}, dtype {dtype}). "
            "Convert them first, e.g. pandas.to_datetime(col, unit='s') for epoch seconds."
        ),
    ):
        coerce_datetime(values, column="ts", param="datetime_col", timezone=timezone)


def test_coerce_datetime_refuses_numbers_in_an_object_column():
    s = pd.Series([1_700_000_000, 1_700_086_400], dtype=object)
    with pytest.raises(InvalidDataError, match=esc("Column 'ts' (datetime_col) holds numbers")):
        coerce_datetime(s, column="ts", param="datetime_col")


def test_coerce_datetime_refuses_booleans_as_unparseable():
    with pytest.raises(InvalidDataError, match=esc("Column 'd' (datetime_col) has 2 values")):
        coerce_datetime(pd.Series([True, False]), column="d", param="datetime_col")


def test_coerce_datetime_refuses_aware_values_without_timezone():
    s = pd.Series(pd.to_datetime(["2025-01-01 10:00", None, "2025-07-01 10:00"]))
    s = s.dt.tz_localize("Europe/Paris")
    with pytest.raises(
        InvalidDataError,
        match=esc(
            "Column 'date' (datetime_col) is time-zone aware (Europe/Paris); 2 values would lose "
            "their offset. Pass timezone='UTC' (or the zone your business day is in, "
            "e.g. 'Europe/Paris') to convert every date to that zone."
        ),
    ):
        coerce_datetime(s, column="date", param="datetime_col")


def test_coerce_datetime_refuses_aware_strings_without_timezone(tz_aware_transactions):
    strings = ["2025-01-01T10:00:00+01:00", "2025-01-02T11:00:00+01:00"]
    with pytest.raises(InvalidDataError, match=esc("is time-zone aware (UTC+01:00); 2 values")):
        coerce_datetime(strings, column="date", param="datetime_col")
    with pytest.raises(InvalidDataError, match=esc("Column 'date' (datetime_col) is time-zone")):
        coerce_datetime(tz_aware_transactions["date"], column="date", param="datetime_col")


UTC_TIMES = [
    "2025-01-15 12:00:00",  # winter: +1 h
    "2025-07-15 12:00:00",  # summer: +2 h
    "2025-03-30 00:30:00",  # just before the spring change: 01:30 local
    "2025-03-30 01:30:00",  # just after: 03:30 local
    "2025-10-26 00:30:00",  # first 02:30 of the autumn change
    "2025-10-26 01:30:00",  # second 02:30
    "2024-12-31 23:30:00",  # crosses midnight and the year
]


def test_coerce_datetime_converts_aware_values_to_naive_local_times():
    s = pd.Series(pd.to_datetime(UTC_TIMES)).dt.tz_localize("UTC")
    before = s.copy(deep=True)
    out = coerce_datetime(s, column="date", param="datetime_col", timezone="Europe/Paris")
    assert out.dtype == "datetime64[ns]"
    assert list(out) == _paris_naive(UTC_TIMES)
    pd.testing.assert_series_equal(s, before)


def test_coerce_datetime_converts_aware_strings_to_the_given_zone():
    strings = [t.replace(" ", "T") + "Z" for t in UTC_TIMES]
    out = coerce_datetime(strings, column="date", param="datetime_col", timezone="Europe/Paris")
    assert out.dtype == "datetime64[ns]"
    assert list(out) == _paris_naive(UTC_TIMES)


def test_coerce_datetime_converts_paris_aware_to_utc(tz_aware_transactions):
    s = tz_aware_transactions["date"]
    out = coerce_datetime(s, column="date", param="datetime_col", timezone="UTC")
    paris = ZoneInfo("Europe/Paris")
    naive = [
        datetime(2025, 1, 1),
        datetime(2025, 1, 1),
        datetime(2025, 3, 1),
        datetime(2025, 2, 15),
        datetime(2024, 12, 1),
        datetime(2025, 3, 30),
    ]
    expected = [d.replace(tzinfo=paris).astimezone(UTC).replace(tzinfo=None) for d in naive]
    assert list(out) == expected
    assert out.iloc[-1] == datetime(2025, 3, 29, 23)  # CET midnight, before the change


def test_coerce_datetime_takes_naive_values_to_be_in_the_given_zone():
    s = pd.Series(["2025-07-15 12:00", "2025-01-15 12:00"])
    out = coerce_datetime(s, column="date", param="datetime_col", timezone="Europe/Paris")
    assert list(out) == [datetime(2025, 7, 15, 12), datetime(2025, 1, 15, 12)]


def test_coerce_datetime_refuses_an_unknown_zone_name():
    s = pd.Series(pd.to_datetime(["2025-01-01"])).dt.tz_localize("UTC")
    with pytest.raises(
        InvalidParameterError,
        match=esc(
            "Parameter 'timezone' must be an IANA time-zone name such as 'UTC' or "
            "'Europe/Paris'; got 'Mars/Olympus_Mons'"
        ),
    ):
        coerce_datetime(s, column="date", param="datetime_col", timezone="Mars/Olympus_Mons")


MIXED = ["2025-01-15 10:00:00+01:00", "2025-07-15 10:00:00+02:00", None]


def test_coerce_datetime_refuses_mixed_offsets_without_timezone():
    with pytest.raises(
        InvalidDataError,
        match=esc(
            "Column 'date' (datetime_col) mixes time-zone offsets (2 values parsed). Pass "
            "timezone='UTC' (or your business zone) to convert them all to one zone."
        ),
    ):
        coerce_datetime(MIXED, column="date", param="datetime_col")


def test_coerce_datetime_converts_mixed_offsets_when_timezone_is_given():
    out = coerce_datetime(MIXED, column="date", param="datetime_col", timezone="Europe/Paris")
    assert list(out[:2]) == [datetime(2025, 1, 15, 10), datetime(2025, 7, 15, 10)]
    assert out.isna().tolist() == [False, False, True]


def test_coerce_datetime_reports_out_of_range_dates_as_invalid_data():
    with pytest.raises(InvalidDataError, match=esc(
        "Column 'date' (datetime_col) has 1 value that is outside the dates pandas can hold"
    ) + r".*first at row 1: 9999-12-31.*Replace sentinel dates"):
        coerce_datetime(["2025-01-01", "9999-12-31"], column="date", param="datetime_col")


def test_coerce_datetime_does_not_mutate_a_string_series():
    s = pd.Series(["2025-01-01T10:00Z", "2025-06-01T10:00Z", None], index=[3, 1, 2])
    before = s.copy(deep=True)
    coerce_datetime(s, column="d", param="datetime_col", timezone="Europe/Paris")
    pd.testing.assert_series_equal(s, before)


# --------------------------------------------------------------------------- check_array


def test_check_array_returns_2d_float64():
    out = check_array([[1, 2], [3, 4], [5, 6]])
    assert out.dtype == np.float64
    assert out.shape == (3, 2)
    np.testing.assert_array_equal(out, [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    df = pd.DataFrame({"r": [1, 2], "f": pd.array([3, 4], dtype="Int64"), "m": [0.5, 1.5]})
    out = check_array(df)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[1.0, 3.0, 0.5], [2.0, 4.0, 1.5]])


def test_check_array_lists_non_numeric_columns():
    df = pd.DataFrame(
        {"r": [1.0], "channel": ["web"], "flag": [True], "d": pd.to_datetime(["2025"])}
    )
    with pytest.raises(
        InvalidDataError,
        match=esc(
            "features has 3 non-numeric column(s): 'channel', 'flag', 'd'. Encode them first"
        ),
    ):
        check_array(df, param="features")


def test_check_array_refuses_values_not_convertible_to_float():
    with pytest.raises(
        InvalidDataError, match=esc("X must be numeric and convertible to a float array (")
    ):
        check_array(np.array([["a", "b"], ["c", "d"]]))


def test_check_array_refuses_1d_with_reshape_hint():
    with pytest.raises(
        InvalidDataError,
        match=esc(
            "X must be 2-D (samples x features); got a 1-D array of 5 values. "
            "Reshape with X.reshape(-1, 1) for one feature."
        ),
    ):
        check_array(np.arange(5.0))


@pytest.mark.parametrize(("shape", "ndim"), [((2, 2, 2), 3), ((), 0)])
def test_check_array_refuses_other_dimensions(shape, ndim):
    with pytest.raises(
        InvalidDataError, match=esc(f"Z must be 2-D (samples x features); got {ndim}-D.")
    ):
        check_array(np.zeros(shape), param="Z")


def test_check_array_counts_samples_and_features():
    with pytest.raises(EmptyDataError, match=esc("X has 0 rows; at least 1 row")):
        check_array(np.empty((0, 3)))
    with pytest.raises(EmptyDataError, match=esc("X has 3 rows; at least 5 rows are needed.")):
        check_array(np.zeros((3, 2)), min_samples=5)
    with pytest.raises(EmptyDataError, match=esc("X has 0 feature(s); at least 1 needed.")):
        check_array(np.empty((4, 0)))
    with pytest.raises(EmptyDataError, match=esc("X has 2 feature(s); at least 3 needed.")):
        check_array(np.zeros((4, 2)), min_features=3)


def test_check_array_locates_the_first_nan_by_position(nan_matrix):
    with pytest.raises(
        InvalidDataError,
        match=esc("X contains 1 value ")
        + ARE
        + esc("NaN (first at row 4, column 1). Impute or drop them before the call."),
    ):
        check_array(nan_matrix)


def test_check_array_names_the_column_of_a_frame():
    df = pd.DataFrame(
        {"recency": [1.0, 2.0, 3.0], "frequency": [1.0, np.nan, np.nan]}, index=[9, 8, 7]
    )
    with pytest.raises(
        InvalidDataError,
        match=esc("X contains 2 values that are NaN (first at row 1, column 'frequency')."),
    ):
        check_array(df)


def test_check_array_allow_nan_still_refuses_inf():
    X = np.array([[np.nan, 1.0], [2.0, 3.0], [4.0, -np.inf]])
    with pytest.raises(
        InvalidDataError,
        match=esc("X contains 1 value ")
        + ARE
        + esc("inf (first at row 2, column 1). Impute or drop"),
    ):
        check_array(X, allow_nan=True)
    df = pd.DataFrame({"a": [1.0, np.inf], "b": [np.inf, 0.0]})
    with pytest.raises(
        InvalidDataError, match=esc("2 values that are inf (first at row 0, column 'b')")
    ):
        check_array(df)


def test_check_array_allow_nan_returns_the_nan():
    X = np.array([[np.nan, 1.0], [2.0, 3.0]])
    out = check_array(X, allow_nan=True)
    np.testing.assert_array_equal(out, X)


# --------------------------------------------------------------------------- check_binary


@pytest.mark.parametrize(
    "y",
    [
        [True, False, True],
        np.array([1, 0, 1]),
        np.array([1.0, 0.0, 1.0]),
        pd.Series([1, 0, 1], index=[5, 6, 7]),
        pd.Series([True, False, True]),
        pd.Series([1, 0, 1], dtype="Int64"),
        np.array([1, 0, 1], dtype=np.uint8),
    ],
)
def test_check_binary_returns_int8_zero_one(y):
    out = check_binary(y, param="y", n_expected=3)
    assert out.dtype == np.int8
    np.testing.assert_array_equal(out, [1, 0, 1])


def test_check_binary_refuses_2d():
    with pytest.raises(InvalidDataError, match=esc("converted must be 1-D; got shape (2, 2).")):
        check_binary(np.zeros((2, 2)), param="converted")


def test_check_binary_refuses_a_wrong_length():
    with pytest.raises(
        InvalidDataError,
        match=esc("y has 1,000 values but the data have 1,001 rows. Pass one value per row."),
    ):
        check_binary(np.zeros(1000), param="y", n_expected=1001)


@pytest.mark.parametrize(
    ("y", "dtype"),
    [(np.array(["yes", "no"]), "<U3"), (pd.Series(["1", "0"], dtype=object), "object")],
)
def test_check_binary_refuses_non_numeric(y, dtype):
    with pytest.raises(
        InvalidDataError,
        match=esc(f"y must be 0/1 (or bool); it has dtype {dtype}. Map it to 0/1 first."),
    ):
        check_binary(y, param="y")


def test_check_binary_counts_nan():
    with pytest.raises(
        InvalidDataError,
        match=esc(
            "outcome has 2 values that are NaN (first at row 1). "
            "Drop those rows or decide their outcome."
        ),
    ):
        check_binary(pd.Series([1.0, np.nan, 0.0, np.nan], index=[3, 2, 1, 0]), param="outcome")


@pytest.mark.parametrize(
    ("y", "n", "first", "shown"),
    [
        ([0, 1, 2, -1, 1], 2, 2, "2"),
        ([0.0, 0.5, 1.0], 1, 1, "0.5"),
        ([1, 1, 1, 7], 1, 3, "7"),
    ],
)
def test_check_binary_counts_values_that_are_neither(y, n, first, shown):
    word = "value" if n == 1 else "values"
    with pytest.raises(
        InvalidDataError,
        match=esc(f"y must be binary 0/1; {n} {word} are neither (first at row {first}: ")
        + rf"(np\.\w+\()?{re.escape(shown)}\)?\)"
        + esc(". Map it to 0/1 first."),
    ):
        check_binary(np.array(y), param="y")


@given(
    bits=st.lists(st.integers(0, 1), min_size=1, max_size=50),
    dtype=st.sampled_from([np.int64, np.int8, np.uint8, np.float64, np.float32, bool]),
)
def test_check_binary_accepts_any_zero_one_array_and_keeps_values(bits, dtype):
    y = np.array(bits, dtype=dtype)
    before = y.copy()
    out = check_binary(y, param="y", n_expected=len(bits))
    assert out.dtype == np.int8
    assert out.tolist() == bits
    np.testing.assert_array_equal(y, before)


@given(st.lists(st.integers(-3, 3), min_size=1, max_size=50))
def test_check_binary_refuses_any_other_value_with_count_and_position(values):
    bad = [i for i, v in enumerate(values) if v not in (0, 1)]
    if not bad:
        assert check_binary(values, param="y").tolist() == values
        return
    n = len(bad)
    with pytest.raises(
        InvalidDataError,
        match=esc(f"{n} value{'s' if n > 1 else ''} are neither (first at row {bad[0]}: "),
    ):
        check_binary(values, param="y")


# --------------------------------------------------------------------------- check_length


def test_check_length_returns_the_values():
    out = check_length(pd.Series([3, 1, 2]), param="sample_weight", n_expected=3)
    assert isinstance(out, np.ndarray)
    assert out.tolist() == [3, 1, 2]


def test_check_length_refuses_2d():
    with pytest.raises(InvalidDataError, match=esc("sample_weight must be 1-D; got shape (3, 1).")):
        check_length(np.zeros((3, 1)), param="sample_weight", n_expected=3)


def test_check_length_names_both_sizes():
    with pytest.raises(
        InvalidDataError,
        match=esc(
            "sample_weight has 3 values but X has 4 rows. "
            "Pass one value per row of X, in the same order."
        ),
    ):
        check_length([1, 2, 3], param="sample_weight", n_expected=4)
    with pytest.raises(
        InvalidDataError,
        match=esc(
            "groups has 2,000 values but transactions has 12 rows. Pass one value per "
            "row of transactions"
        ),
    ):
        check_length(np.zeros(2000), param="groups", n_expected=12, against="transactions")


# --------------------------------------------------------------------------- never mutated


def _frame():
    return pd.DataFrame(
        {
            "customer_id": [3, 1, 2, 1],
            "amount": [10.0, np.nan, -5.0, np.inf],
            "qty": pd.array([1, None, 3, 4], dtype="Int64"),
            "date": ["2025-01-01T10:00+01:00", "2025-06-01T10:00+02:00", None, "bad"],
            "when": pd.to_datetime(["2025-01-01", "2025-03-30", None, "2025-10-26"]).tz_localize(
                "Europe/Paris"
            ),
            "flag": [True, False, True, True],
        },
        index=[40, 30, 20, 10],
    )


CALLS = {
    "check_frame": lambda f: check_frame(f, param="df", min_rows=99),
    "check_columns": lambda f: check_columns(f, {"a": "missing"}, frame_param="df"),
    "check_numeric_column": lambda f: check_numeric_column(
        f, "amount", param="p", allow_nan=True, allow_inf=True
    ),
    "check_numeric_column_raises": lambda f: check_numeric_column(f, "amount", param="p"),
    "coerce_datetime_aware": lambda f: coerce_datetime(
        f["when"], column="when", param="p", timezone="UTC"
    ),
    "coerce_datetime_mixed": lambda f: coerce_datetime(f["date"], column="date", param="p"),
    "check_array": lambda f: check_array(f[["customer_id", "amount", "qty"]], allow_nan=True),
    "check_binary": lambda f: check_binary(f["flag"], param="y"),
    "check_length": lambda f: check_length(f["qty"], param="w", n_expected=4),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_inputs_are_never_mutated(name):
    frame = _frame()
    before = copy.deepcopy(frame)
    try:
        CALLS[name](frame)
    except ClientsegError:
        pass
    pd.testing.assert_frame_equal(frame, before)


def test_check_array_refuses_complex_numbers_with_a_count():
    X = np.array([[1 + 0j, 2 + 1e-9j], [3 + 0j, 4 - 2j]])
    with pytest.raises(InvalidDataError, match=esc(
        "features holds complex numbers (2 value(s) with a nonzero imaginary part); pass real "
        "numbers only (e.g. the real part, np.real(X)")):
        check_array(X, param="features")
