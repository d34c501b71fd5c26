"""Tests of clientseg.rfm: tables, exclusions, scores, segment maps, migration, CLV export.

Expected values come from hand computation on tiny frames, from plain-pandas re-implementations
of the definitions (groupby + nunique), from the reference figures of the shared data README,
and from the Fader-Hardie CDNOW summary file; never from the code's own output.
"""

from __future__ import annotations

import copy
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

import clientseg as cs
import clientseg.plotting
from clientseg.exceptions import (
    EmptyDataError,
    InvalidDataError,
    InvalidParameterError,
    MissingColumnsError,
    TiedValuesWarning,
)
from clientseg.rfm import (
    LEFT,
    NEW,
    RFM_COLUMNS,
    SCORE_COLUMNS,
    MigrationResult,
    RFMScorer,
    SegmentMap,
    rfm_exclusions,
    rfm_migration,
    rfm_table,
    to_clv_summary,
)

COLS = {"customer_id_col": "customer_id", "datetime_col": "date", "monetary_value_col": "amount"}
END = pd.Timestamp("2025-03-31")
ignore_ties = pytest.mark.filterwarnings("ignore::clientseg.exceptions.TiedValuesWarning")


def table_of(tx, **kw):
    kw.setdefault("observation_period_end", END)
    return rfm_table(tx, **COLS, **kw)


# ======================================================================================
# rfm_table: definitions on hand-made data
# ======================================================================================


def test_tiny_table_matches_hand_computation(tiny_transactions):
    t = table_of(tiny_transactions, invoice_col="invoice_id")
    assert list(t.columns) == list(RFM_COLUMNS)
    assert t.index.name == "customer_id" and list(t.index) == [1, 2, 3]
    # customer 1: invoices 10 (Jan 1: 10 + 5) and 11 (Mar 1: 20)
    # customer 2: invoice 12 (Feb 15: 100); customer 3: 13 (Dec 1 2024: 7.5), 14 (Mar 30: 2.5)
    assert t["recency_days"].tolist() == [30, 44, 1]
    assert t["frequency"].tolist() == [2, 1, 2]
    assert t["monetary"].tolist() == [35.0, 100.0, 10.0]
    assert t["avg_basket"].tolist() == [17.5, 100.0, 5.0]
    assert t["tenure_days"].tolist() == [89, 44, 120]
    assert t["first_purchase"].tolist() == list(pd.to_datetime(["2025-01-01", "2025-02-15",
                                                                "2024-12-01"]))
    assert t["last_purchase"].tolist() == list(pd.to_datetime(["2025-03-01", "2025-02-15",
                                                               "2025-03-30"]))
    assert t["recency_days"].dtype == np.int64 and t["frequency"].dtype == np.int64


def test_without_invoice_column_each_line_is_a_purchase(tiny_transactions):
    t = table_of(tiny_transactions)
    assert t["frequency"].tolist() == [3, 1, 2]
    assert t["avg_basket"].tolist() == pytest.approx([35 / 3, 100.0, 5.0])


def test_recency_counts_calendar_days_and_end_is_inclusive():
    tx = pd.DataFrame({"customer_id": [1, 2, 3],
                       "date": pd.to_datetime(["2025-03-31 23:59", "2025-03-30 23:59",
                                               "2025-04-01 00:00"]),
                       "amount": [1.0, 1.0, 1.0]})
    t = rfm_table(tx, **COLS, observation_period_end="2025-03-31 23:59:59")
    assert t["recency_days"].to_dict() == {1: 0, 2: 1}
    assert rfm_exclusions(t).loc["after_observation_end", "rows"] == 1


def test_one_customer(one_customer_transactions):
    t = table_of(one_customer_transactions, invoice_col="invoice_id")
    assert t.loc[7].tolist()[:4] == [80, 1, 42.0, 42.0]  # Jan 10 -> Mar 31 = 21 + 28 + 31


def test_observation_window_start_excludes_and_counts(tiny_transactions):
    t = table_of(tiny_transactions, observation_period_start="2025-01-01")
    ex = rfm_exclusions(t)
    assert ex.loc["before_observation_start", "rows"] == 1
    assert ex.loc["before_observation_start", "amount"] == 7.5
    assert ex.loc["before_observation_start", "policy"] == "observation_period_start='2025-01-01'"
    assert t.loc[3, "frequency"] == 1 and t.loc[3, "tenure_days"] == 1


def test_shared_invoices_fall_back_to_pairs():
    # invoice 5 is used by customers 1 and 2: distinct (customer, invoice) pairs count
    tx = pd.DataFrame({"customer_id": [1, 1, 2, 2, 2], "invoice_id": [5, 6, 5, 5, 7],
                       "date": pd.Timestamp("2025-01-01"), "amount": 1.0})
    t = table_of(tx, invoice_col="invoice_id")
    assert t["frequency"].to_dict() == {1: 2, 2: 2}


@pytest.mark.parametrize(
    "ids",
    [
        ["b", "a", "b", "c"],  # strings
        [10**15, 3, 10**15, -7],  # sparse integers: hashed, not offset
        [5, 3, 5, 4],  # dense integers: offset codes
        [10**15 + 2, 10**15, 10**15 + 2, 10**15 + 1],  # large but dense: offsets too
    ],
)
def test_id_types_give_sorted_index(ids):
    tx = pd.DataFrame({"customer_id": ids, "date": pd.to_datetime(
        ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"]), "amount": [1.0, 2, 3, 4]})
    t = table_of(tx)
    expected = tx.groupby("customer_id")["amount"].sum()  # sorted by id, like the table
    assert list(t.index) == list(expected.index)
    assert t["monetary"].tolist() == expected.tolist()


def test_nullable_ids_keep_their_dtype():
    tx = pd.DataFrame({"customer_id": pd.array([4, None, 4, 2], dtype="Int64"),
                       "date": pd.Timestamp("2025-01-01"), "amount": 1.0})
    t = table_of(tx)
    assert t.index.dtype == "Int64" and list(t.index) == [2, 4]
    assert rfm_exclusions(t).loc["missing_id", "rows"] == 1


# ======================================================================================
# Policies and exclusions
# ======================================================================================


def test_returns_net_subtracts_but_never_counts_as_purchase(negative_amount_transactions):
    t = table_of(negative_amount_transactions, invoice_col="invoice_id", returns="net")
    # customer 1 returned 5.0 on Mar 5 (invoice 15): money netted, not a purchase
    assert t.loc[1, "monetary"] == 30.0
    assert t.loc[1, "frequency"] == 2
    assert t.loc[1, "recency_days"] == 30  # still dated from the Mar 1 purchase
    rec = t.attrs["clientseg.rfm"]
    assert rec["netted_returns"] == {"rows": 1, "amount": -5.0}
    assert rfm_exclusions(t)["rows"].drop("kept").sum() == 0


def test_returns_drop_excludes_and_counts(negative_amount_transactions):
    t = table_of(negative_amount_transactions, invoice_col="invoice_id", returns="drop")
    assert t.loc[1, "monetary"] == 35.0
    ex = rfm_exclusions(t)
    assert ex.loc["return", "rows"] == 1 and ex.loc["return", "amount"] == -5.0


def test_returns_raise_is_the_default(negative_amount_transactions):
    with pytest.raises(InvalidDataError, match=r"'amount' \(monetary_value_col\) has 1 value "
                       r"that is negative \(first at row 6\)\. Pass returns='net'"):
        table_of(negative_amount_transactions)


def test_customer_with_returns_only_is_excluded_under_net():
    tx = pd.DataFrame({"customer_id": [1, 2, 2], "invoice_id": ["a", "b", "Cb"],
                       "date": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-02"]),
                       "amount": [5.0, -3.0, -4.0]})
    t = table_of(tx, invoice_col="invoice_id", returns="net")
    assert list(t.index) == [1]
    ex = rfm_exclusions(t)
    assert ex.loc["no_purchase", "rows"] == 2 and ex.loc["no_purchase", "amount"] == -7.0
    assert ex["rows"].sum() == 3


def test_every_rule_counts_its_rows_in_order():
    tx = pd.DataFrame({
        "customer_id": pd.array([None, None, 1, 1, 1, 1, 1, 1, 2, 2], dtype="Int64"),
        "date": pd.to_datetime(["2025-01-01", "2030-01-01", None, "2020-01-01", "2026-01-01",
                                "2025-01-05", "2025-01-05", "2025-01-06", "2025-01-07",
                                "2025-01-08"]),
        "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 6.0, 0.0, -8.0, 9.0],
    })
    t = table_of(tx, observation_period_start="2024-01-01", returns="drop",
                 missing_values="drop", zero_amounts="drop", duplicates="drop")
    ex = rfm_exclusions(t)
    # row 1 is both id-less and after the end: counted once, under the first rule
    assert ex["rows"].to_dict() == {
        "missing_id": 2, "missing_value": 1, "before_observation_start": 1,
        "after_observation_end": 1, "duplicate": 1, "zero_amount": 1, "return": 1,
        "no_purchase": 0, "kept": 2}
    assert ex.loc["missing_id", "amount"] == 3.0
    assert ex["share"].sum() == pytest.approx(1.0)
    assert ex.loc["zero_amount", "policy"] == "zero_amounts='drop'"
    assert t["monetary"].to_dict() == {1: 6.0, 2: 9.0}


def test_exclusions_need_the_record():
    with pytest.raises(InvalidDataError, match=r"carries no exclusion record"):
        rfm_exclusions(pd.DataFrame({"a": [1]}))


def test_missing_ids_raise():
    tx = pd.DataFrame({"customer_id": [1.0, np.nan], "date": pd.Timestamp("2025-01-01"),
                       "amount": 1.0})
    with pytest.raises(InvalidDataError, match=r"'customer_id' \(customer_id_col\) has 1 value "
                       r"that is missing \(first at row 1\)\. Pass missing_ids='drop'"):
        table_of(tx, missing_ids="raise")


@pytest.mark.parametrize("column", ["date", "amount", "invoice_id"])
def test_missing_values_raise_by_default_and_drop_on_request(tiny_transactions, column):
    tx = tiny_transactions.copy()
    tx["invoice_id"] = tx["invoice_id"].astype("Int64")
    tx.loc[2, column] = None
    with pytest.raises(InvalidDataError, match=r"1 row\(s\) with a missing date, amount or "
                       r"invoice \(first at row 2\)\. Pass missing_values='drop'"):
        table_of(tx, invoice_col="invoice_id")
    t = table_of(tx, invoice_col="invoice_id", missing_values="drop")
    assert rfm_exclusions(t).loc["missing_value", "rows"] == 1
    assert t.loc[1, "frequency"] == 1


def test_zero_amounts_keep_drop_raise():
    tx = pd.DataFrame({"customer_id": [1, 1, 2], "date": pd.to_datetime(
        ["2025-01-01", "2025-03-01", "2025-02-01"]), "amount": [5.0, 0.0, 0.0]})
    kept = table_of(tx)
    assert kept.loc[1, "recency_days"] == 30 and kept.loc[2, "monetary"] == 0.0
    dropped = table_of(tx, zero_amounts="drop")
    assert list(dropped.index) == [1] and dropped.loc[1, "recency_days"] == 89
    assert rfm_exclusions(dropped).loc["zero_amount", "rows"] == 2
    with pytest.raises(InvalidDataError, match=r"has 2 values that are zero \(first at row 1\)"
                       r"\. Pass zero_amounts='keep'"):
        table_of(tx, zero_amounts="raise")


def test_duplicates_keep_drop_raise(tiny_transactions):
    tx = pd.concat([tiny_transactions, tiny_transactions.iloc[[3]]], ignore_index=True)
    assert table_of(tx).loc[2, "monetary"] == 200.0
    dropped = table_of(tx, duplicates="drop")
    assert dropped.loc[2, "monetary"] == 100.0
    assert rfm_exclusions(dropped).loc["duplicate", "rows"] == 1
    with pytest.raises(InvalidDataError, match=r"1 exact duplicate row\(s\) .*first at row 6\)"
                       r"\. Pass duplicates='drop'"):
        table_of(tx, duplicates="raise")


def test_time_zone_aware_dates_need_a_zone(tz_aware_transactions, tiny_transactions):
    with pytest.raises(InvalidDataError, match=r"'date' \(datetime_col\) is time-zone aware "
                       r"\(Europe/Paris\)"):
        table_of(tz_aware_transactions)
    paris = table_of(tz_aware_transactions, timezone="Europe/Paris")
    pd.testing.assert_frame_equal(paris, table_of(tiny_transactions), check_like=True,
                                  check_exact=True)


def test_time_zone_conversion_moves_purchases_across_midnight():
    tx = pd.DataFrame({"customer_id": [1], "amount": [1.0],
                       "date": pd.to_datetime(["2025-03-01 00:30"]).tz_localize("Europe/Paris")})
    paris = table_of(tx, timezone="Europe/Paris")
    utc = table_of(tx, timezone="UTC")  # 2025-02-28 23:30 UTC: one day earlier
    assert paris.loc[1, "recency_days"] == 30 and utc.loc[1, "recency_days"] == 31


def test_aware_observation_end_is_converted_or_refused(tiny_transactions):
    end = pd.Timestamp("2025-03-31 23:30", tz="UTC")  # 2025-04-01 01:30 in Paris
    t = table_of(tiny_transactions, observation_period_end=end, timezone="Europe/Paris")
    assert t.loc[3, "recency_days"] == 2
    with pytest.raises(InvalidParameterError, match=r"'observation_period_end' is time-zone "
                       r"aware \(UTC\); pass timezone='UTC'"):
        table_of(tiny_transactions, observation_period_end=end)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"observation_period_end": None}, InvalidParameterError, r"no 'today' default"),
        ({"observation_period_end": "not a date"}, InvalidParameterError,
         r"'observation_period_end' must be a date"),
        ({"observation_period_start": "2026-01-01"}, InvalidParameterError,
         r"'observation_period_start' \(2026-01-01 00:00:00\) is after"),
        ({"returns": "ignore"}, InvalidParameterError,
         r"'returns' must be one of 'raise', 'net', 'drop'; got 'ignore'"),
        ({"missing_ids": "keep"}, InvalidParameterError, r"'missing_ids' must be one of"),
        ({"missing_values": "keep"}, InvalidParameterError, r"'missing_values' must be one of"),
        ({"zero_amounts": "net"}, InvalidParameterError, r"'zero_amounts' must be one of"),
        ({"duplicates": "first"}, InvalidParameterError, r"'duplicates' must be one of"),
        ({"timezone": 1}, InvalidParameterError, r"'timezone' must be None or an IANA"),
        ({"timezone": "Mars/Olympus"}, InvalidParameterError,
         r"'timezone' must be an IANA time-zone name"),
        ({"observation_period_end": "2020-01-01"}, EmptyDataError,
         r"no row left after the exclusion rules \(6 rows in; excluded "
         r"after_observation_end: 6\)"),
        ({"invoice_col": "order"}, MissingColumnsError,
         r"missing 1 column: 'order' \(invoice_col\)\. Columns present: 'customer_id'"),
    ],
)
def test_bad_parameters(tiny_transactions, kwargs, error, pattern):
    tx = tiny_transactions
    if kwargs.get("timezone") == "Mars/Olympus":
        tx = tx.assign(date=tx["date"].dt.tz_localize("UTC"))
    with pytest.raises(error, match=pattern):
        table_of(tx, **kwargs)


def test_bad_frames(tiny_transactions):
    with pytest.raises(InvalidDataError, match=r"'transactions' must be a pandas DataFrame"):
        rfm_table(tiny_transactions.to_dict(), **COLS, observation_period_end=END)
    with pytest.raises(EmptyDataError, match=r"'transactions' has 0 rows"):
        table_of(tiny_transactions.iloc[:0])
    with pytest.raises(MissingColumnsError, match=r"missing 2 columns: 'cust' \(customer_id_col"
                       r"\), 'amt' \(monetary_value_col\)"):
        rfm_table(tiny_transactions, customer_id_col="cust", datetime_col="date",
                  monetary_value_col="amt", observation_period_end=END)
    with pytest.raises(InvalidDataError, match=r"'amount' \(monetary_value_col\) must be numeric"):
        table_of(tiny_transactions.assign(amount="1"))
    with pytest.raises(InvalidDataError, match=r"1 value that is inf \(first at row 0\)"):
        table_of(tiny_transactions.assign(amount=[np.inf, 1, 1, 1, 1, 1]))
    with pytest.raises(InvalidDataError, match=r"cannot be parsed as dates"):
        table_of(tiny_transactions.assign(date=["2025-01-01"] * 5 + ["someday"]))


# ======================================================================================
# rfm_table against a plain-pandas oracle
# ======================================================================================


def pandas_rfm(tx, end, *, returns, zero_amounts, duplicates, invoice=True):
    """The definitions of docs/user_guide/rfm.md written with plain pandas, rule by rule."""
    df = tx[tx["customer_id"].notna()]
    df = df[df["date"] <= end]
    if duplicates == "drop":
        df = df[~df.duplicated()]
    if zero_amounts == "drop":
        df = df[df["amount"] != 0]
    if returns == "drop":
        df = df[df["amount"] >= 0]
    buys = df[df["amount"] >= 0]
    g = buys.groupby("customer_id")
    out = pd.DataFrame({
        "recency_days": (end.normalize() - g["date"].max().dt.normalize()).dt.days,
        "frequency": g["invoice_id"].nunique() if invoice else g.size(),
        "monetary": df.groupby("customer_id")["amount"].sum(),
    }).dropna(subset=["recency_days"])
    return out.astype({"recency_days": "int64", "frequency": "int64"})


tx_rows = st.tuples(
    st.one_of(st.none(), st.integers(0, 6)),
    st.integers(0, 12),
    st.integers(0, 120),
    st.sampled_from([0.0, 1.5, 2.0, 10.0, 99.99, -1.5, -20.0]),
)


@given(rows=st.lists(tx_rows, min_size=1, max_size=40),
       returns=st.sampled_from(["net", "drop"]),
       zero_amounts=st.sampled_from(["keep", "drop"]),
       duplicates=st.sampled_from(["keep", "drop"]),
       invoice=st.booleans())
@pytest.mark.slow
def test_table_matches_pandas_oracle(rows, returns, zero_amounts, duplicates, invoice):
    ids, inv, day, amount = zip(*rows, strict=True)
    tx = pd.DataFrame({"customer_id": pd.array(ids, dtype="Int64"), "invoice_id": inv,
                       "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(day, unit="D"),
                       "amount": amount})
    end = pd.Timestamp("2025-03-31")
    expected = pandas_rfm(tx, end, returns=returns, zero_amounts=zero_amounts,
                          duplicates=duplicates, invoice=invoice)
    kw = {"returns": returns, "zero_amounts": zero_amounts, "duplicates": duplicates,
          "invoice_col": "invoice_id" if invoice else None, "observation_period_end": end}
    if expected.empty:
        with pytest.raises(EmptyDataError, match=r"no (row|customer with a purchase) left"):
            table_of(tx, **kw)
        return
    got = table_of(tx, **kw)
    pd.testing.assert_frame_equal(got[["recency_days", "frequency", "monetary"]], expected,
                                  check_names=False, check_index_type=False,
                                  check_exact=False, rtol=1e-12)
    assert rfm_exclusions(got)["rows"].sum() == len(tx)


@pytest.mark.slow
def test_messy_synthetic_base_matches_oracle_for_every_policy(messy_base):
    tx = messy_base.transactions
    end = messy_base.truth.as_of
    for returns in ("net", "drop"):
        for duplicates in ("keep", "drop"):
            got = table_of(tx, invoice_col="invoice_id", returns=returns,
                           duplicates=duplicates, observation_period_end=end)
            expected = pandas_rfm(tx, end, returns=returns, zero_amounts="keep",
                                  duplicates=duplicates)
            pd.testing.assert_frame_equal(got[["recency_days", "frequency", "monetary"]],
                                          expected, check_names=False, check_index_type=False,
                                          check_exact=False, rtol=1e-9)
            ex = rfm_exclusions(got)
            assert ex.loc["missing_id", "rows"] == int(tx["customer_id"].isna().sum())
            assert ex.loc["after_observation_end", "rows"] == 0  # truth: all before as_of
            assert ex["rows"].sum() == len(tx)


def test_clean_synthetic_base_keeps_every_row(small_base):
    tx = small_base.transactions
    t = table_of(tx, invoice_col="invoice_id", observation_period_end=small_base.truth.as_of)
    assert t.attrs["clientseg.rfm"]["n_rows_used"] == len(tx)
    assert t["frequency"].sum() == tx["invoice_id"].nunique()
    assert t["monetary"].sum() == pytest.approx(tx["amount"].sum())


# ======================================================================================
# Other engines (narwhals): the engine aggregates, the result equals the pandas path
# ======================================================================================


def _engine(name, frame):
    if name == "polars":
        return pytest.importorskip("polars").from_pandas(frame)
    if name == "polars-lazy":
        return pytest.importorskip("polars").from_pandas(frame).lazy()
    if name == "duckdb":
        return pytest.importorskip("duckdb").from_df(frame)
    return pytest.importorskip("pyarrow").Table.from_pandas(frame, preserve_index=False)


ENGINES = ["polars", "polars-lazy", "duckdb", "pyarrow"]
POLICY_SETS = [
    {"returns": "net"},
    {"returns": "drop", "duplicates": "drop", "zero_amounts": "drop"},
    {"returns": "net", "observation_period_start": "2024-07-01", "missing_ids": "drop"},
]


@pytest.mark.parametrize("engine", ENGINES)
def test_other_engines_refuse_what_pandas_refuses(tiny_transactions, engine):
    # One shared check of columns and window: an inverted window, missing columns.
    frame = _engine(engine, tiny_transactions)
    base = {"customer_id_col": "customer_id", "datetime_col": "date",
            "monetary_value_col": "amount", "observation_period_end": "2025-06-01"}
    with pytest.raises(InvalidParameterError,
                       match=r"'observation_period_start' \(2025-07-01 00:00:00\) is after"):
        rfm_table(frame, **base, observation_period_start="2025-07-01")
    with pytest.raises(MissingColumnsError,
                       match=r"missing 1 column: 'order' \(invoice_col\)"):
        rfm_table(frame, **base, invoice_col="order")


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("policies", POLICY_SETS)
def test_other_engines_equal_the_pandas_path(messy_base, engine, policies):
    tx = messy_base.transactions
    kw = {"invoice_col": "invoice_id", "observation_period_end": messy_base.truth.as_of,
          **policies}
    expected = table_of(tx, **kw)
    got = table_of(_engine(engine, tx), **kw, output="pandas")
    pd.testing.assert_frame_equal(got, expected, check_index_type=False, check_dtype=False)
    pd.testing.assert_frame_equal(rfm_exclusions(got), rfm_exclusions(expected))
    assert got.attrs["clientseg.rfm"]["netted_returns"]["rows"] == \
        expected.attrs["clientseg.rfm"]["netted_returns"]["rows"]


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_other_engines_without_invoices_and_time_zones(tiny_transactions, tz_aware_transactions,
                                                       engine):
    expected = table_of(tiny_transactions)
    pd.testing.assert_frame_equal(table_of(_engine(engine, tiny_transactions), output="pandas"),
                                  expected,
                                  check_index_type=False, check_dtype=False)
    aware = _engine(engine, tz_aware_transactions)
    if engine == "duckdb":  # DuckDB converts only to the zone of its connection
        with pytest.raises(InvalidParameterError, match=r"'transactions' \(DuckDBPyRelation\) "
                           r"cannot run this RFM aggregation in its engine"):
            table_of(aware, timezone="Europe/Paris")
    else:
        pd.testing.assert_frame_equal(table_of(aware, timezone="Europe/Paris", output="pandas"),
                                      expected,
                                      check_index_type=False, check_dtype=False)
    with pytest.raises(InvalidDataError, match=r"'date' \(datetime_col\) is time-zone aware "
                       r"\((Europe/Paris|Etc/UTC)\)\. Pass timezone='UTC'"):
        table_of(aware)


@pytest.mark.parametrize(
    ("change", "kwargs", "error", "pattern"),
    [
        ({"customer_id": [None, 1, 1, 2, 3, 3]}, {"missing_ids": "raise"}, InvalidDataError,
         r"'customer_id' \(customer_id_col\) has 1 missing value\(s\)\. Pass "
         r"missing_ids='drop'"),
        ({"amount": [np.nan, 5, 20, 100, 7.5, 2.5]}, {}, InvalidDataError,
         r"have 1 row\(s\) with a missing date, amount or invoice\. Pass "
         r"missing_values='drop'"),
        ({"amount": [-10.0, 5, 20, 100, 7.5, 2.5]}, {}, InvalidDataError,
         r"'amount' \(monetary_value_col\) has 1 negative value\(s\)\. Pass returns='net'"),
        ({"amount": [0.0, 5, 20, 100, 7.5, 2.5]}, {"zero_amounts": "raise"}, InvalidDataError,
         r"has 1 zero value\(s\)\. Pass zero_amounts='keep'"),
        ({"amount": [5.0, 5, 20, 100, 7.5, 2.5], "invoice_id": [10, 10, 11, 12, 13, 14]},
         {"duplicates": "raise"}, InvalidDataError,
         r"has 1 exact duplicate row\(s\) \(every column equal to another row's\)"),
        ({"date": ["2025-01-01"] * 6}, {}, InvalidDataError,
         r"'date' \(datetime_col\) must hold dates; it has dtype String"),
        ({"amount": ["1"] * 6}, {}, InvalidDataError,
         r"'amount' \(monetary_value_col\) must be numeric; it has dtype String"),
        ({}, {"observation_period_end": "2020-01-01"}, EmptyDataError,
         r"no row left after the exclusion rules \(6 rows in; excluded "
         r"after_observation_end: 6\)"),
        ({"amount": [-1.0] * 6}, {"returns": "net"}, EmptyDataError,
         r"no customer with a purchase left"),
        ({}, {"invoice_col": "order"}, MissingColumnsError, r"'order' \(invoice_col\)"),
    ],
)
@pytest.mark.slow
def test_other_engines_apply_the_policies(tiny_transactions, change, kwargs, error, pattern):
    frame = tiny_transactions.assign(**change)
    with pytest.raises(error, match=pattern):
        table_of(_engine("polars", frame), **kwargs)


def test_unsupported_input_is_refused():
    with pytest.raises(InvalidDataError, match=r"'transactions' must be a pandas DataFrame; "
                       r"got list"):
        rfm_table([1, 2], **COLS, observation_period_end=END)


# ======================================================================================
# Real data: UCI Online Retail (shipped) and CDNOW (shared research data)
# ======================================================================================


@pytest.fixture(scope="module")
def online_retail():
    return cs.datasets.load_online_retail()


def retail_table(tx, **kw):
    return rfm_table(tx, customer_id_col="CustomerID", datetime_col="InvoiceDate",
                     monetary_value_col="Amount", invoice_col="InvoiceNo",
                     observation_period_end="2011-12-09 23:59:59", **kw)


@pytest.mark.slow
def test_online_retail_reference_figures(online_retail):
    t = retail_table(online_retail, returns="drop")  # known id and Quantity > 0
    assert len(t) == 4_339
    assert round(t["monetary"].sum(), 2) == 8_911_407.90
    ex = rfm_exclusions(t)
    assert ex.loc["missing_id", "rows"] == 135_080
    assert ex.loc["kept", "rows"] == 397_924
    # the next rungs of the README's cleaning ladder
    t2 = retail_table(online_retail, returns="drop", zero_amounts="drop")
    assert (len(t2), rfm_exclusions(t2).loc["kept", "rows"]) == (4_338, 397_884)
    t3 = retail_table(online_retail, returns="drop", zero_amounts="drop", duplicates="drop")
    assert rfm_exclusions(t3).loc["kept", "rows"] == 392_692
    assert round(t3["monetary"].sum(), 2) == 8_887_208.89
    # returns netted: every known-id line is used or counted
    net = retail_table(online_retail, returns="net")
    assert round(net["monetary"].sum() + rfm_exclusions(net).loc["no_purchase", "amount"],
                 2) == 8_300_065.81


@pytest.mark.slow
def test_online_retail_frequency_ties_score_without_crashing(online_retail):
    t = retail_table(online_retail, returns="drop", zero_amounts="drop")
    ones = t["frequency"] == 1
    assert int(ones.sum()) == 1_493  # 34.4% of 4,338 customers
    with pytest.raises(ValueError, match="Bin edges must be unique"):
        pd.qcut(t["frequency"], 5)  # the plain recipe fails here
    scores = RFMScorer().fit_transform(t)
    assert set(scores.loc[ones, "f_score"]) == {1}  # identical customers share a score
    assert scores.loc[~ones, "f_score"].min() >= 2
    assert scores["segment"].notna().all()


@pytest.mark.realdata
def test_cdnow_clv_summary_reproduces_fader_hardie(shared_file):
    tx = pd.read_csv(shared_file("lifetimes_CDNOW_sample.txt"), sep=r"\s+", header=None,
                     names=["master_id", "sample_id", "date", "cds", "dollars"],
                     dtype={"date": str})
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
    fh = pd.read_csv(shared_file("lifetimes_cdnow_customers_summary_with_transactions.csv"))
    s = to_clv_summary(tx, customer_id_col="sample_id", datetime_col="date",
                       monetary_value_col="dollars", observation_period_end="1997-09-30",
                       freq="D", freq_multiplier=7)
    assert len(s) == 2_357 and int(s["frequency"].sum()) == 2_457
    fh = fh.set_index("ID").loc[s.index]
    np.testing.assert_array_equal(s["frequency"].to_numpy(), fh["x"].to_numpy())
    np.testing.assert_allclose(s["recency"].round(2), fh["t_x"], atol=1e-9)
    np.testing.assert_allclose(s["T"].round(2), fh["T"], atol=1e-9)
    np.testing.assert_allclose(s["monetary_value"], fh["zbar"], atol=0.0051)
    assert rfm_exclusions(s).loc["after_observation_end", "rows"] > 0  # the holdout lines


# ======================================================================================
# to_clv_summary
# ======================================================================================


def test_clv_summary_by_hand():
    tx = pd.DataFrame({"id": [1, 1, 1, 1, 2], "amount": [10.0, 5.0, 20.0, 4.0, 7.0],
                       "date": pd.to_datetime(["2025-01-01 09:00", "2025-01-01 18:00",
                                               "2025-01-11 00:00", "2025-01-21 00:00",
                                               "2025-01-05 00:00"])})
    s = to_clv_summary(tx, customer_id_col="id", datetime_col="date", monetary_value_col="amount",
                       observation_period_end="2025-01-31")
    # customer 1: purchase days Jan 1 (15), Jan 11 (20), Jan 21 (4) -> 2 repeats
    assert s.loc[1].tolist() == [2, 20.0, 30.0, 12.0]
    assert s.loc[2].tolist() == [0, 0.0, 26.0, 0.0]
    assert list(s.columns) == ["frequency", "recency", "T", "monetary_value"]


@pytest.mark.parametrize(("freq", "pandas_freq"), [("W", "W"), ("M", "M")])
def test_clv_summary_periods_match_pandas_periods(small_base, freq, pandas_freq):
    tx = small_base.transactions
    end = small_base.truth.as_of - pd.Timedelta(days=1)
    s = to_clv_summary(tx, customer_id_col="customer_id", datetime_col="date",
                       observation_period_end=end, freq=freq)
    kept = tx[tx["date"] <= end]
    per = kept["date"].dt.to_period(pandas_freq)
    ordinal = pd.Series(per.array.asi8, index=kept.index)  # period ordinals
    g = ordinal.groupby(kept["customer_id"])
    end_ord = pd.Period(end, pandas_freq).ordinal
    assert s["frequency"].tolist() == (g.nunique() - 1).tolist()
    assert s["recency"].tolist() == (g.max() - g.min()).astype(float).tolist()
    assert s["T"].tolist() == (end_ord - g.min()).astype(float).tolist()


def test_clv_summary_refuses_net_and_counts(negative_amount_transactions):
    with pytest.raises(InvalidParameterError, match=r"'returns' must be one of 'raise', 'drop'"):
        to_clv_summary(negative_amount_transactions, customer_id_col="customer_id",
                       datetime_col="date", monetary_value_col="amount",
                       observation_period_end=END, returns="net")
    with pytest.raises(InvalidParameterError, match=r"'freq' must be one of 'D', 'W', 'M'"):
        to_clv_summary(negative_amount_transactions, customer_id_col="customer_id",
                       datetime_col="date", observation_period_end=END, freq="Y")
    with pytest.raises(InvalidParameterError,
                       match=r"'freq_multiplier' must be in \[1, inf\); got 0"):
        to_clv_summary(negative_amount_transactions, customer_id_col="customer_id",
                       datetime_col="date", observation_period_end=END, freq_multiplier=0)
    s = to_clv_summary(negative_amount_transactions, customer_id_col="customer_id",
                       datetime_col="date", monetary_value_col="amount",
                       observation_period_end=END, returns="drop")
    assert rfm_exclusions(s).loc["return", "rows"] == 1
    assert "monetary_value" in s.columns


# ======================================================================================
# RFMScorer
# ======================================================================================


@pytest.fixture
def five():
    return pd.DataFrame({"recency_days": [3, 40, 200, 10, 90], "frequency": [12, 3, 1, 6, 2],
                         "monetary": [900.0, 120.0, 15.0, 400.0, 30.0]},
                        index=pd.Index([11, 12, 13, 14, 15], name="customer_id"))


def test_scores_of_distinct_values_are_ranks(five):
    s = RFMScorer().fit_transform(five)
    assert list(s.columns) == list(SCORE_COLUMNS)
    assert s.index.equals(five.index)
    # 5 customers in 5 bins: each score is the customer's rank (recency reversed)
    assert s["r_score"].tolist() == [5, 3, 1, 4, 2]
    assert s["f_score"].tolist() == [5, 3, 1, 4, 2]
    assert s["m_score"].tolist() == [5, 3, 1, 4, 2]
    assert s["rfm_cell"].tolist() == ["555", "333", "111", "444", "222"]
    assert s["rfm_score"].tolist() == [15, 9, 3, 12, 6]
    assert s["fm_score"].tolist() == [5, 3, 1, 4, 2]
    assert s["segment"].tolist() == ["Champions", "Need Attention", "Hibernating",
                                     "Loyal Customers", "Hibernating"]


def test_fm_score_rounds_half_up():
    X = np.array([[1, 1, 2], [1, 2, 2], [1, 1, 1]], dtype=float)
    th = {"recency": [1.5], "frequency": [1.5], "monetary": [1.5]}
    out = RFMScorer(2, method="thresholds", thresholds=th, segment_map=None).fit_transform(X)
    # (r, f, m) scores: (2, 1, 2), (2, 2, 2), (2, 1, 1); fm = mean of f and m, half up
    assert out[:, 4].tolist() == [2, 2, 1]
    assert out[:, 3].tolist() == [5, 6, 4]


@ignore_ties
def test_all_ties_share_one_score_and_warn(all_ties_transactions):
    t = rfm_table(all_ties_transactions, **COLS, observation_period_end="2025-01-31")
    with pytest.warns(TiedValuesWarning, match=r"Column 'frequency' \(frequency\) gets 1 "
                      r"distinct scores out of n_bins=5 \(scores \[2, 3, 4, 5\] unused\)"):
        s = RFMScorer().fit_transform(t)
    assert s[["r_score", "f_score", "m_score"]].nunique().tolist() == [1, 1, 1]
    assert s["r_score"].iloc[0] == 5 and s["f_score"].iloc[0] == 1


@ignore_ties
def test_recency_warning_names_reversed_unused_scores():
    X = pd.DataFrame({"recency_days": [5, 9, 9, 9, 9], "frequency": [1, 2, 3, 4, 5],
                      "monetary": [1.0, 2, 3, 4, 5]})
    # Quantile edges by linear interpolation of the sorted [5, 9, 9, 9, 9] at 0.2..0.8:
    # position 0.8 lies between 5 and 9, so 5 + 0.8 * 4 = 8.2; the others fall on the 9s.
    with pytest.warns(TiedValuesWarning, match=r"'recency_days' \(recency\) gets 2 distinct "
                      r"scores out of n_bins=5 \(scores \[1, 2, 3\] unused\).* quantile "
                      r"edges \[8\.2, 9\.0, 9\.0, 9\.0\] leave some bins empty"):
        s = RFMScorer().fit_transform(X)
    assert sorted(set(s["r_score"])) == [4, 5]


def test_thresholds_method_uses_business_edges():
    th = {"recency": [30, 90, 180, 365], "frequency": [1, 2, 5, 10], "monetary": [50, 100, 500,
                                                                                  1000]}
    table = pd.DataFrame({"recency_days": [0, 30, 31, 400], "frequency": [1, 2, 3, 11],
                          "monetary": [50.0, 50.01, 1000.0, 5000.0]})
    s = RFMScorer(method="thresholds", thresholds=th).fit_transform(table)
    assert s["r_score"].tolist() == [5, 5, 4, 1]  # right-closed: 30 days is still 5
    assert s["f_score"].tolist() == [1, 2, 3, 5]
    assert s["m_score"].tolist() == [1, 2, 4, 5]


def test_edges_learnt_once_score_the_next_snapshot(five):
    scorer = RFMScorer().fit(five)
    later = five.assign(recency_days=five["recency_days"] + 30)
    s1 = scorer.transform(later)
    refit = RFMScorer().fit_transform(later)
    # same edges: everybody aged 30 days scores lower or equal in R; a refit would hide it
    assert (s1["r_score"] <= scorer.transform(five)["r_score"]).all()
    assert s1["r_score"].tolist() != refit["r_score"].tolist()
    assert s1["f_score"].tolist() == refit["f_score"].tolist()


@pytest.mark.slow
@ignore_ties
def test_reused_edges_reproduce_scores(online_retail):
    t = retail_table(online_retail, returns="drop")
    a = RFMScorer().fit(t)
    b = RFMScorer(method="thresholds", thresholds=a.bin_edges_).fit(t)
    pd.testing.assert_frame_equal(a.transform(t), b.transform(t))


def test_array_input_and_feature_names(five):
    X = five.to_numpy()
    scorer = RFMScorer().fit(X)
    out = scorer.transform(X)
    assert out.shape == (5, 5) and out.dtype.kind == "i"
    assert list(scorer.get_feature_names_out()) == ["r_score", "f_score", "m_score",
                                                     "rfm_score", "fm_score"]
    assert out[:, 0].tolist() == [5, 3, 1, 4, 2]
    pandas_out = RFMScorer().set_output(transform="pandas").fit_transform(X)
    assert list(pandas_out.columns) == list(scorer.get_feature_names_out())
    table_scorer = RFMScorer(segment_map=None).fit(five.assign(extra="x"))
    assert list(table_scorer.get_feature_names_out()) == list(SCORE_COLUMNS[:-1])
    assert list(table_scorer.feature_names_in_) == ["recency_days", "frequency", "monetary"]


def test_scorer_in_a_pipeline(five):
    pipe = make_pipeline(RFMScorer())
    assert pipe.fit_transform(five.to_numpy()).shape == (5, 5)


@ignore_ties
def test_custom_columns_and_r_fm_map():
    table = pd.DataFrame({"days": [1, 400, 2], "orders": [20, 30, 1], "spend": [1e3, 2e3, 1.0]})
    # 3 bins: edges at positions 2/3 and 4/3 of the sorted values (linear interpolation):
    # days (1.67, 134.7) -> r = 3, 1, 2; orders (13.7, 23.3) -> f = 2, 3, 1; spend -> 2, 3, 1
    scorer = RFMScorer(3, columns=("days", "orders", "spend"), segment_map=SegmentMap(
        [("Top", {"r": 3, "fm": (2, 3)})], n_bins=3, fallback="Rest"))
    s = scorer.fit_transform(table)
    assert s["rfm_cell"].tolist() == ["322", "133", "211"]
    assert s["segment"].tolist() == ["Top", "Rest", "Rest"]
    # 5 bins: r = 5, 1, 3; f = 3, 5, 1; m = 3, 5, 1 -> fm = 3, 5, 1
    r_fm = RFMScorer(segment_map="r_fm").fit_transform(table.rename(columns={
        "days": "recency_days", "orders": "frequency", "spend": "monetary"}))
    assert r_fm["rfm_cell"].tolist() == ["533", "155", "311"]
    assert r_fm["segment"].tolist() == ["Loyal Customers", "Can't Lose Them", "Promising"]


@pytest.mark.parametrize(
    ("params", "pattern"),
    [
        ({"n_bins": 1}, r"'n_bins' must be in \[2, 99\]; got 1"),
        ({"n_bins": 5.0}, r"'n_bins' must be int"),
        ({"method": "kmeans"}, r"'method' must be one of 'quantile', 'thresholds'"),
        ({"thresholds": {"recency": [1]}}, r"'thresholds' is only used with method='thresholds'"),
        ({"method": "thresholds"}, r"'thresholds' must be a mapping"),
        ({"method": "thresholds", "thresholds": {"recency": [1, 2, 3, 4]}},
         r"needs exactly the keys \['recency', 'frequency', 'monetary'\]; missing "
         r"\['frequency', 'monetary'\]"),
        ({"method": "thresholds", "thresholds": {"recency": [1, 2], "frequency": [1, 2, 3, 4],
                                                 "monetary": [1, 2, 3, 4]}},
         r"'thresholds' \('recency'\) has 2 edges; n_bins=5 needs 4"),
        ({"method": "thresholds", "thresholds": {"recency": [4, 3, 2, 1], "frequency": [1, 2, 3,
                                                 4], "monetary": [1, 2, 3, 4]}},
         r"\('recency'\) must be non-decreasing"),
        ({"method": "thresholds", "thresholds": {"recency": [1, 2, 3, np.nan], "frequency": [1,
                                                 2, 3, 4], "monetary": [1, 2, 3, 4]}},
         r"\('recency'\) has non-finite edges"),
        ({"segment_map": "rfm_segments"}, r"names no built-in map: got 'rfm_segments'"),
        ({"segment_map": 3}, r"'segment_map' must be None, a built-in name"),
        ({"n_bins": 4}, r"'segment_map' \('rf_grid'\) is written for n_bins=5 but n_bins=4"),
        ({"columns": ("a", "b")}, r"'columns' must be 3 column names"),
    ],
)
def test_scorer_bad_parameters(five, params, pattern):
    with pytest.raises(InvalidParameterError, match=pattern):
        RFMScorer(**params).fit(five)


def test_scorer_bad_input(five):
    with pytest.raises(InvalidDataError, match=r"X has 2 feature\(s\); RFMScorer needs exactly 3"):
        RFMScorer().fit(five.to_numpy()[:, :2])
    with pytest.raises(ValueError, match=r"Input X contains NaN"):
        RFMScorer().fit(five.assign(monetary=[np.nan, 1, 2, 3, 4]))
    with pytest.raises(NotFittedError, match=r"This RFMScorer instance is not fitted yet"):
        RFMScorer().transform(five)
    scorer = RFMScorer().fit(five.to_numpy())
    with pytest.raises(ValueError, match=r"X has 4 features, but RFMScorer is expecting 3"):
        scorer.transform(np.ones((2, 4)))


# sklearn conformance --------------------------------------------------------------------

# RFMScorer takes exactly 3 columns with fixed roles (recency, reversed; frequency;
# monetary). The checks below feed 1, 2, 4, 5 or 10 features; the properties they check are
# tested on 3-column data in test_scorer_sklearn_properties_on_three_columns.
_THREE_COLUMNS = "fixed 3-column input (recency, frequency, monetary); check feeds other widths"
_EXPECTED_FAILED = dict.fromkeys(
    (
        "check_estimators_overwrite_params", "check_estimators_fit_returns_self",
        "check_readonly_memmap_input", "check_n_features_in_after_fitting",
        "check_positive_only_tag_during_fit", "check_estimators_dtypes", "check_dtype_object",
        "check_fit2d_1sample", "check_fit_idempotent", "check_fit_check_is_fitted",
        "check_n_features_in",
    ),
    _THREE_COLUMNS,
)


@ignore_ties
@parametrize_with_checks(
    [RFMScorer(), RFMScorer(3, method="thresholds", segment_map=None,
                            thresholds={"recency": [0, 1], "frequency": [0, 1],
                                        "monetary": [0, 1]})],
    expected_failed_checks=lambda est: _EXPECTED_FAILED,
)
@pytest.mark.slow
def test_sklearn_conformance(estimator, check):
    check(estimator)


@ignore_ties
def test_scorer_sklearn_properties_on_three_columns(tmp_path):
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.integers(0, 300, 40), rng.integers(1, 9, 40),
                         rng.normal(100, 50, 40)])  # negative monetary values allowed
    scorer = RFMScorer()
    params = copy.deepcopy(scorer.get_params())
    with pytest.raises(NotFittedError, match="not fitted yet"):
        scorer.transform(X)
    assert scorer.fit(X) is scorer
    assert scorer.get_params() == params  # fit does not overwrite parameters
    assert scorer.n_features_in_ == 3
    first = scorer.transform(X)
    np.testing.assert_array_equal(RFMScorer().fit(X).fit(X).transform(X), first)  # idempotent
    for dtype in (np.float32, np.int32, np.int64, object):
        np.testing.assert_array_equal(RFMScorer().fit(X.astype(dtype)).transform(
            X.astype(dtype)), RFMScorer().fit(X.astype(dtype).astype(float)).transform(
            X.astype(dtype).astype(float)))
    path = tmp_path / "x.npy"
    np.save(path, X)
    ro = np.load(path, mmap_mode="r")
    np.testing.assert_array_equal(RFMScorer().fit(ro).transform(ro), first)
    np.testing.assert_array_equal(RFMScorer().fit(X[:1]).transform(X[:1]).shape, (1, 5))


# property-based tests ---------------------------------------------------------------------

customer_tables = st.integers(1, 60).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 400), min_size=n, max_size=n),
    st.lists(st.integers(1, 30), min_size=n, max_size=n),
    st.lists(st.floats(-500, 5000, allow_nan=False, allow_subnormal=False).map(
        lambda v: round(v, 2)), min_size=n, max_size=n),
)).map(lambda cols: pd.DataFrame({"recency_days": cols[0], "frequency": cols[1],
                                  "monetary": cols[2]}))


@pytest.mark.slow
@ignore_ties
@given(table=customer_tables, n_bins=st.integers(2, 30))
def test_scores_stay_in_range(table, n_bins):
    scorer = RFMScorer(n_bins, segment_map=None).fit(table)
    s = scorer.transform(table)
    for col in ("r_score", "f_score", "m_score", "fm_score"):
        assert s[col].between(1, n_bins).all()
    assert s["rfm_score"].between(3, 3 * n_bins).all()
    # the documented rule, written out: 1 + number of edges strictly below the value
    for col, role in (("f_score", "frequency"), ("m_score", "monetary")):
        x = table[role].to_numpy()[:, None]
        expected = 1 + (scorer.bin_edges_[role][None, :] < x).sum(axis=1)
        assert s[col].tolist() == expected.tolist()
    x = table["recency_days"].to_numpy()[:, None]
    expected_r = n_bins - (scorer.bin_edges_["recency"][None, :] < x).sum(axis=1)
    assert s["r_score"].tolist() == expected_r.tolist()


@pytest.mark.slow
@ignore_ties
@given(table=customer_tables, seed=st.integers(0, 2**32 - 1))
def test_scores_ignore_row_order(table, seed):
    perm = np.random.default_rng(seed).permutation(len(table))
    a = RFMScorer().fit_transform(table)
    b = RFMScorer().fit_transform(table.iloc[perm])
    pd.testing.assert_frame_equal(a, b.loc[a.index])


@pytest.mark.slow
@ignore_ties
@given(table=customer_tables)
def test_identical_customers_share_scores(table):
    s = RFMScorer(segment_map=None).fit_transform(table)
    cells = s.groupby([table["recency_days"], table["frequency"], table["monetary"]])["rfm_cell"]
    assert (cells.nunique() == 1).all()


@pytest.mark.slow
@ignore_ties
@given(table=customer_tables, who=st.integers(0, 59), earlier=st.integers(1, 400))
def test_later_last_purchase_never_lowers_r(table, who, earlier):
    who = who % len(table)
    s = RFMScorer(segment_map=None).fit_transform(table)
    order = np.argsort(table["recency_days"].to_numpy(), kind="stable")
    assert np.all(np.diff(s["r_score"].to_numpy()[order]) <= 0)  # within one snapshot
    moved = table.copy()
    moved.iloc[who, 0] = max(0, table.iloc[who, 0] - earlier)  # bought more recently
    moved_r = RFMScorer(segment_map=None).fit_transform(moved)["r_score"]
    assert moved_r.iloc[who] >= s["r_score"].iloc[who]


@pytest.mark.slow
@ignore_ties
@given(table=customer_tables, power=st.integers(-6, 10))
def test_scaling_amounts_leaves_scores_unchanged(table, power):
    scaled = table.assign(monetary=table["monetary"] * 2.0**power)  # exact in binary floats
    pd.testing.assert_frame_equal(RFMScorer(segment_map=None).fit_transform(table),
                                  RFMScorer(segment_map=None).fit_transform(scaled))


@pytest.mark.slow
@ignore_ties
@given(table=customer_tables)
def test_reusing_edges_reproduces_scores(table):
    first = RFMScorer(segment_map=None).fit(table)
    again = RFMScorer(method="thresholds", thresholds=first.bin_edges_,
                      segment_map=None).fit(table)
    pd.testing.assert_frame_equal(first.transform(table), again.transform(table))


@ignore_ties
@given(rows=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 12), st.integers(0, 120),
                               st.sampled_from([1.5, 2.0, 10.0, 99.99])),
                     min_size=1, max_size=30),
       seed=st.integers(0, 2**32 - 1))
@pytest.mark.slow
def test_scores_ignore_transaction_order_and_id_labels(rows, seed):
    ids, inv, day, amount = zip(*rows, strict=True)
    tx = pd.DataFrame({"customer_id": ids, "invoice_id": inv, "amount": amount,
                       "date": pd.Timestamp("2025-01-01") + pd.to_timedelta(day, unit="D")})
    rng = np.random.default_rng(seed)
    relabel = dict(zip(range(7), rng.permutation(1000)[:7] * 13 + 5, strict=True))
    shuffled = tx.iloc[rng.permutation(len(tx))].assign(
        customer_id=lambda d: d["customer_id"].map(relabel))
    end = pd.Timestamp("2025-06-30")
    a = RFMScorer().fit_transform(table_of(tx, invoice_col="invoice_id",
                                           observation_period_end=end))
    b = RFMScorer().fit_transform(table_of(shuffled, invoice_col="invoice_id",
                                           observation_period_end=end))
    b.index = b.index.map({v: k for k, v in relabel.items()})
    pd.testing.assert_frame_equal(a, b.sort_index(), check_names=False,
                                  check_index_type=False)


# ======================================================================================
# Segment maps
# ======================================================================================

# The widely used regex map of the R×F grid, written independently of SegmentMap.
RF_REGEX = {
    r"[1-2][1-2]": "Hibernating", r"[1-2][3-4]": "At Risk", r"[1-2]5": "Can't Lose Them",
    r"3[1-2]": "About to Sleep", r"33": "Need Attention", r"[3-4][4-5]": "Loyal Customers",
    r"41": "Promising", r"51": "New Customers", r"[4-5][2-3]": "Potential Loyalists",
    r"5[4-5]": "Champions",
}


def test_rf_grid_is_the_classic_partition():
    smap = SegmentMap.from_name("rf_grid")
    check = smap.validate()
    assert check.is_partition and len(check.cells) == 25 and not check.unreachable
    for _, cell in check.cells.iterrows():
        code = f"{cell['r']}{cell['f']}"
        names = [n for pat, n in RF_REGEX.items() if re.fullmatch(pat, code)]
        assert names == [cell["segment"]]
    assert len(set(check.cells["segment"])) == 10
    assert "an exact partition" in str(check)


def test_r_fm_map_every_name_reachable_and_covering():
    smap = SegmentMap.from_name("r_fm")
    check = smap.validate()
    assert len(smap.segments) == 12  # 11 names and the (unused) fallback
    assert check.uncovered.empty and not check.unreachable
    assert not check.is_partition and len(check.overlaps) > 0
    assert set(check.cells["segment"]) == set(smap.segments) - {"Unclassified"}
    by_cell = check.cells.set_index(["r", "fm"])["segment"]
    # priority order by hand: R1 FM5 is held by Can't Lose Them and At Risk; the first wins
    assert by_cell[(1, 5)] == "Can't Lose Them"
    assert by_cell[(5, 5)] == "Champions" and by_cell[(1, 1)] == "Lost"
    assert by_cell[(1, 2)] == "Hibernating" and by_cell[(1, 3)] == "At Risk"
    assert by_cell[(2, 2)] == "Customers Needing Attention"
    assert by_cell[(5, 1)] == "Recent Customers" and by_cell[(3, 1)] == "Promising"
    overlap = check.overlaps.set_index(["r", "fm"]).loc[(1, 5), "rules"]
    assert overlap == ("Can't Lose Them", "At Risk")


def test_user_map_gaps_overlaps_and_fallback():
    smap = SegmentMap([("Best", {"r": (4, 5), "f": (4, 5)}), ("Recent", {"r": (3, 5)}),
                       ("Shadowed", {"r": 5, "f": 5})], fallback="Other", name="mine")
    check = smap.validate()
    assert not check.is_partition
    assert len(check.uncovered) == 10  # r in 1..2, any f
    assert check.unreachable == ("3: Shadowed",)
    assert len(check.overlaps) == 4  # the 2x2 Best box is also held by Recent
    seg = smap.assign({"r": [5, 3, 1], "f": [5, 1, 5]})
    assert list(seg) == ["Best", "Recent", "Other"]
    assert list(seg.categories) == ["Best", "Recent", "Shadowed", "Other"]
    assert smap.to_frame().loc[2].tolist() == ["Recent", 3, 5, 1, 5]
    assert "unreachable rules: 3: Shadowed" in str(check)


def test_every_customer_gets_a_segment_with_a_gappy_map(five):
    gappy = SegmentMap([("Top", {"r": 5})], fallback="Everyone else")
    s = RFMScorer(segment_map=gappy).fit_transform(five)
    assert s["segment"].notna().all()
    assert s["segment"].tolist().count("Everyone else") == 4


@pytest.mark.parametrize(
    ("rules", "kwargs", "pattern"),
    [
        ([], {}, r"'rules' must be a non-empty list"),
        (["Champions"], {}, r"'rules' item 0 must be a \(segment_name, conditions\) pair"),
        ([("", {"r": 1})], {}, r"item 0: the segment name must be a non-empty string"),
        ([("A", [1, 2])], {}, r"item 0 \('A'\): conditions must be a mapping"),
        ([("A", {"x": 1})], {}, r"item 0 \('A'\) uses axis 'x'; axes must be among"),
        ([("A", {"r": (0, 2)})], {}, r"axis 'r': bounds must be integers with 1 <= low <= high"
         r" <= n_bins=5; got \(0, 2\)"),
        ([("A", {"r": (3, 2)})], {}, r"got \(3, 2\)"),
        ([("A", {"r": 1})], {"fallback": ""}, r"'fallback' must be a non-empty string"),
        ([("A", {"r": 1})], {"n_bins": 1}, r"'n_bins' must be in \[2, 99\]"),
    ],
)
def test_segment_map_bad_rules(rules, kwargs, pattern):
    with pytest.raises(InvalidParameterError, match=pattern):
        SegmentMap(rules, **kwargs)


@pytest.mark.parametrize("smap", [
    SegmentMap.from_name("rf_grid"), SegmentMap.from_name("r_fm"),
    SegmentMap([("A", {"m": (4, 5), "fm": (3, 5)}), ("B", {"r": 1, "fm": 1})], fallback="Z"),
])
def test_assign_agrees_with_the_rules_on_every_rfm_cell(smap):
    # every (r, f, m) cell, named by reading the rules in order by hand (first match wins)
    r, f, m = (a.ravel() for a in np.meshgrid(*[np.arange(1, 6)] * 3, indexing="ij"))
    fm = (f + m + 1) // 2
    values = {"r": r, "f": f, "m": m, "fm": fm}
    expected = []
    for i in range(len(r)):  # 125 cells
        name = smap.fallback
        for seg, bounds in smap.rules:
            if all(lo <= values[a][i] <= hi for a, (lo, hi) in bounds.items()):
                name = seg
                break
        expected.append(name)
    assert list(smap.assign({"r": r, "f": f, "m": m})) == expected


def test_segment_map_assign_errors():
    smap = SegmentMap.from_name("r_fm")
    with pytest.raises(InvalidParameterError, match=r"needs the score axes \['r'\]"):
        smap.assign({"f": [1], "m": [1]})
    with pytest.raises(InvalidParameterError, match=r"differ in length"):
        smap.assign({"r": [1, 2], "fm": [1]})
    with pytest.raises(InvalidParameterError, match=r"on axis 'r' must be in 1\.\.5; 1 is "
                       r"not \(first: 6\)"):
        smap.assign({"r": [6, 2], "fm": [1, 1]})
    with pytest.raises(InvalidParameterError, match=r"names no built-in map: got 'rfm'"):
        SegmentMap.from_name("rfm")


# ======================================================================================
# Migration
# ======================================================================================


def test_migration_by_hand():
    t0 = pd.DataFrame({"segment": pd.Categorical(["A", "A", "B", "B"], categories=["B", "A"])},
                      index=[1, 2, 3, 4])
    t1 = pd.DataFrame({"segment": ["A", "B", "B", "C"]}, index=[1, 2, 5, 6])
    res = rfm_migration(t0, t1)
    assert isinstance(res, MigrationResult)
    assert list(res.counts.index) == ["B", "A", "C", NEW]
    assert list(res.counts.columns) == ["B", "A", "C", LEFT]
    assert res.counts.loc["A"].tolist() == [1, 1, 0, 0]  # 1 stays A, 2 goes to B
    assert res.counts.loc["B"].tolist() == [0, 0, 0, 2]  # 3 and 4 left
    assert res.counts.loc[NEW].tolist() == [1, 0, 1, 0]  # 5 (B), 6 (C) are new
    assert (res.n_common, res.n_new, res.n_left) == (2, 2, 2)
    assert res.stay_rate == 0.5
    np.testing.assert_allclose(res.rates.sum(axis=1), [1, 1, 0, 1])
    tidy = res.to_frame()
    assert tidy["customers"].sum() == 6
    assert tidy.set_index(["from", "to"]).loc[("A", "B"), "rate"] == 0.5


@pytest.mark.slow
@ignore_ties
def test_migration_between_two_real_snapshots(online_retail):
    t0 = retail_table(online_retail, returns="drop")  # full year
    h1 = rfm_table(online_retail, customer_id_col="CustomerID", datetime_col="InvoiceDate",
                   monetary_value_col="Amount", invoice_col="InvoiceNo", returns="drop",
                   observation_period_end="2011-06-30 23:59:59")
    scorer = RFMScorer().fit(h1)
    res = rfm_migration(scorer.transform(h1), scorer.transform(t0))
    assert res.n_common == len(h1) and res.n_left == 0
    assert res.n_new == len(t0) - len(h1)
    assert int(res.counts.to_numpy().sum()) == len(t0)


@pytest.mark.parametrize(
    ("t0", "pattern"),
    [
        (pd.DataFrame({"seg": ["A"]}), r"'scores_t0' has no column 'segment' \(segment_col\)"),
        (pd.Series(["A", "B"], index=[1, 1]), r"'scores_t0' has 1 duplicated customer id"),
        (pd.Series(["A", None], index=[1, 2]), r"'scores_t0' has 1 customer\(s\) without"),
        ([1, 2], r"'scores_t0' must be a DataFrame of scores or a Series"),
    ],
)
def test_migration_bad_input(t0, pattern):
    with pytest.raises(InvalidDataError, match=pattern):
        rfm_migration(t0, pd.Series(["A"], index=[1]))


# ======================================================================================
# Plots, purity, imports
# ======================================================================================


@pytest.fixture
def scored(five):
    return five, RFMScorer().fit_transform(five)


def test_plot_rfm_grid(scored):
    import matplotlib.pyplot as plt

    _, scores = scored
    ax = cs.plotting.plot_rfm_grid(scores, monetary=np.arange(5.0))
    assert ax.get_xlabel() == "F score (frequency)" and ax.get_ylabel() == "R score (recency)"
    assert "mean monetary" in ax.get_title()
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 25 and sum(int(t.split("\n")[0]) for t in texts) == 5
    assert texts[4 * 5 + 4] == "1\n0"  # the R5 F5 cell: customer 11, monetary 0.0
    _, given_ax = plt.subplots()
    assert cs.plotting.plot_rfm_grid(scores, ax=given_ax, annotate=False) is given_ax
    with pytest.raises(InvalidDataError, match=r"'monetary' has 2 values but 'scores' has 5"):
        cs.plotting.plot_rfm_grid(scores, monetary=[1.0, 2.0])
    with pytest.raises(InvalidDataError, match=r"missing the column\(s\) \['r_score'\]"):
        cs.plotting.plot_rfm_grid(scores.drop(columns="r_score"))


def test_plot_segment_sizes(scored):
    _, scores = scored
    ax = cs.plotting.plot_segment_sizes(scores, monetary=pd.Series(1.0, index=scores.index))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [c for c in scores["segment"].cat.categories
                      if (scores["segment"] == c).any()]
    assert ax.get_xlabel() == "Share (%)" and len(ax.patches) == 2 * len(labels)
    with pytest.raises(InvalidDataError, match=r"'monetary' lacks 5 of the 5 customers"):
        cs.plotting.plot_segment_sizes(scores, monetary=pd.Series([1.0], index=["x"]))


def test_plot_rfm_migration_and_result_plot():
    res = rfm_migration(pd.Series(["A", "B"], index=[1, 2]), pd.Series(["B", "B"], index=[1, 3]))
    ax = res.plot()
    assert ax.get_xlabel() == "Segment at t1" and ax.get_ylabel() == "Segment at t0"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A", "B", LEFT]
    counts_ax = cs.plotting.plot_rfm_migration(res, normalize=False)
    assert "(customers)" in counts_ax.get_title()
    with pytest.raises(InvalidDataError, match=r"must be the MigrationResult"):
        cs.plotting.plot_rfm_migration(pd.DataFrame())


@pytest.mark.slow
@ignore_ties
def test_inputs_are_never_mutated(tiny_transactions, negative_amount_transactions,
                                  tz_aware_transactions):
    frames = [tiny_transactions, negative_amount_transactions, tz_aware_transactions]
    before = [f.copy(deep=True) for f in frames]
    table_of(tiny_transactions, invoice_col="invoice_id", duplicates="drop")
    table_of(negative_amount_transactions, returns="net", zero_amounts="drop")
    table_of(tz_aware_transactions, timezone="UTC")
    to_clv_summary(tiny_transactions, customer_id_col="customer_id", datetime_col="date",
                   monetary_value_col="amount", observation_period_end=END)
    for f, b in zip(frames, before, strict=True):
        pd.testing.assert_frame_equal(f, b)
    table = table_of(tiny_transactions)
    table_before = table.copy(deep=True)
    scores = RFMScorer().fit(table).transform(table)
    scores_before = scores.copy(deep=True)
    rfm_migration(scores, scores)
    cs.plotting.plot_rfm_grid(scores, monetary=table["monetary"])
    cs.plotting.plot_segment_sizes(scores)
    pd.testing.assert_frame_equal(table, table_before)
    pd.testing.assert_frame_equal(scores, scores_before)


def test_public_names_are_exported():
    for name in ("rfm_table", "rfm_exclusions", "rfm_migration", "to_clv_summary", "RFMScorer",
                 "SegmentMap"):
        assert name in cs.__all__ and getattr(cs, name) is getattr(cs.rfm, name)
    for name in ("plot_rfm_grid", "plot_segment_sizes", "plot_rfm_migration"):
        assert name in cs.plotting.__all__


@pytest.mark.slow
def test_benchmark_smoke_profile_runs():
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    from benchmarks import bench_rfm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TiedValuesWarning)
        rows = bench_rfm.run("smoke", peers=True)
    tools = {r["tool"] for r in rows}
    assert {"clientseg", "pandas"} <= tools
    assert all(r["n_transactions"] > 0 and r["wall_s"] >= 0 for r in rows)
    assert len({r["customers"] for r in rows if r["stage"] == "rfm_table"}) == 1


def test_set_params_without_refit_changes_nothing_until_the_next_fit():
    """transform reads fitted state only: n_bins_ and columns_, not the parameters."""
    rng = np.random.default_rng(4)
    table = pd.DataFrame({"recency_days": rng.integers(0, 365, 500),
                          "frequency": rng.integers(1, 30, 500),
                          "monetary": rng.gamma(2.0, 50.0, 500)})
    scorer = RFMScorer(n_bins=5, segment_map=None).fit(table)
    before = scorer.transform(table)
    scorer.set_params(n_bins=3, columns=("a", "b", "c"))
    after = scorer.transform(table)
    pd.testing.assert_frame_equal(before, after)
    assert set(after["r_score"]) == set(range(1, 6))
    scorer.fit(table.rename(columns={"recency_days": "a", "frequency": "b", "monetary": "c"}))
    assert scorer.n_bins_ == 3 and scorer.columns_ == ("a", "b", "c")
