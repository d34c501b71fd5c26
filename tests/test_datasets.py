"""Tests of ``clientseg.datasets.load_online_retail``.

The expected figures are the reference figures documented in the loader's docstring and in
the research data README (computed there on the original files); every one is recomputed
here with plain pandas on the returned frame, independently of the loader's own code.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from clientseg.datasets import load_online_retail

ORIGINAL = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]
DTYPES = {
    "InvoiceNo": "string",
    "StockCode": "string",
    "Description": "string",
    "Quantity": "int64",
    "UnitPrice": "float64",
    "CustomerID": "Int64",
    "Country": "string",
}


@pytest.fixture(scope="module")
def retail() -> pd.DataFrame:
    """One load shared by the module (about 1 s); tests must not modify it."""
    return load_online_retail()


def revenue(frame: pd.DataFrame) -> float:
    """Sum of Quantity x UnitPrice, computed from the original columns (not Amount)."""
    return float((frame["Quantity"].astype("float64") * frame["UnitPrice"]).sum())


@pytest.mark.slow
def test_shape_and_columns(retail):
    assert retail.shape == (541_909, 9)
    assert list(retail.columns) == [*ORIGINAL, "Amount"]
    assert isinstance(retail.index, pd.RangeIndex)


@pytest.mark.slow
def test_dtypes_are_as_documented(retail):
    for col in ("InvoiceNo", "StockCode", "Description", "Country"):
        assert isinstance(retail[col].dtype, pd.StringDtype), col
    assert retail["Quantity"].dtype == np.int64
    assert retail["UnitPrice"].dtype == np.float64
    assert retail["Amount"].dtype == np.float64
    assert retail["CustomerID"].dtype == pd.Int64Dtype()
    # naive datetime64 (UK local time): no time zone attached
    assert pd.api.types.is_datetime64_dtype(retail["InvoiceDate"])
    assert not isinstance(retail["InvoiceDate"].dtype, pd.DatetimeTZDtype)


def test_first_line_has_the_original_values(retail):
    first = retail.iloc[0]
    assert first["InvoiceNo"] == "536365"
    assert first["StockCode"] == "85123A"
    assert first["Description"] == "WHITE HANGING HEART T-LIGHT HOLDER"
    assert first["Quantity"] == 6
    assert first["InvoiceDate"] == datetime(2010, 12, 1, 8, 26)
    assert first["UnitPrice"] == 2.55
    assert first["CustomerID"] == 17850
    assert first["Country"] == "United Kingdom"


def test_customers(retail):
    assert retail["CustomerID"].isna().sum() == 135_080
    assert retail["CustomerID"].dropna().nunique() == 4_372


def test_date_range(retail):
    assert retail["InvoiceDate"].isna().sum() == 0
    assert retail["InvoiceDate"].min() == pd.Timestamp("2010-12-01 08:26")
    assert retail["InvoiceDate"].max() == pd.Timestamp("2011-12-09 12:50")


def test_cancellations(retail):
    cancelled = retail["InvoiceNo"].str.startswith("C").fillna(False).astype(bool)
    assert cancelled.sum() == 9_288
    assert retail.loc[cancelled, "InvoiceNo"].nunique() == 3_836


def test_non_positive_quantities(retail):
    assert (retail["Quantity"] <= 0).sum() == 10_624


@pytest.mark.slow
def test_exact_duplicates_over_the_original_columns(retail):
    assert retail.duplicated(subset=ORIGINAL).sum() == 5_268


@pytest.mark.slow
def test_cleaning_ladder(retail):
    known = retail[retail["CustomerID"].notna()]
    assert len(known) == 406_829
    assert known["CustomerID"].nunique() == 4_372
    assert revenue(known) == pytest.approx(8_300_065.81, abs=0.005)

    bought = known[known["Quantity"] > 0]
    assert len(bought) == 397_924
    assert bought["CustomerID"].nunique() == 4_339
    assert revenue(bought) == pytest.approx(8_911_407.90, abs=0.005)

    priced = bought[bought["UnitPrice"] > 0]
    assert len(priced) == 397_884
    assert priced["CustomerID"].nunique() == 4_338
    assert revenue(priced) == pytest.approx(8_911_407.90, abs=0.005)

    unique = priced.drop_duplicates(subset=ORIGINAL)
    assert len(unique) == 392_692
    assert unique["CustomerID"].nunique() == 4_338
    assert revenue(unique) == pytest.approx(8_887_208.89, abs=0.005)


def test_amount_is_quantity_times_unit_price(retail):
    expected = retail["Quantity"].to_numpy(dtype=float) * retail["UnitPrice"].to_numpy()
    np.testing.assert_array_equal(retail["Amount"].to_numpy(), expected)
    assert retail["Amount"].isna().sum() == 0


@pytest.mark.slow
def test_each_call_returns_an_independent_frame(retail):
    first = load_online_retail()
    assert first is not retail
    first.loc[0, "Quantity"] = -999
    first.loc[0, "StockCode"] = "CHANGED"
    first["Amount"] = 0.0
    first.loc[1:10, "UnitPrice"] = -1.0
    second = load_online_retail()
    assert second.shape == (541_909, 9)
    assert second.loc[0, "Quantity"] == 6
    assert second.loc[0, "StockCode"] == "85123A"
    pd.testing.assert_frame_equal(second, retail)
    for col in ("Quantity", "UnitPrice", "Amount"):
        assert not np.shares_memory(second[col].to_numpy(), retail[col].to_numpy())


@pytest.mark.slow
@pytest.mark.realdata
def test_shipped_data_equal_the_shared_research_copy(retail, shared_file):
    reference = pd.read_csv(shared_file("online_retail_uci.csv.gz"), dtype=DTYPES)
    reference["InvoiceDate"] = pd.to_datetime(reference["InvoiceDate"], format="%Y-%m-%d %H:%M:%S")
    assert len(reference) == 541_909
    pd.testing.assert_frame_equal(retail[ORIGINAL], reference[ORIGINAL], check_exact=True)
