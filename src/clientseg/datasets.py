"""Real data shipped with clientseg, ready for the examples, notebooks and tests.

The files live in ``clientseg/data`` (package data) with their attribution in
``clientseg/data/README.md``; loaders read them with importlib.resources, so they work from
a wheel, an editable install or a zip.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["load_online_retail"]

_ONLINE_RETAIL = "online_retail.csv.xz"


def load_online_retail() -> pd.DataFrame:
    """Load the UCI Online Retail transactions (541,909 invoice lines, 2010-12 to 2011-12).

    Every line of every invoice of a UK-based online gift retailer between 2010-12-01 and
    2011-12-09, as published on the UCI Machine Learning Repository. The values are the
    original ones: nothing is cleaned, so the file keeps what real exports contain (the
    clean-up is the job of :func:`clientseg.rfm_table` and its documented policies).

    Returns
    -------
    DataFrame
        A new frame (callers may modify it) with the original columns and one added:

        ========== ============== =====================================================
        column     dtype          meaning
        ========== ============== =====================================================
        InvoiceNo  string         invoice number; a leading "C" marks a cancellation
        StockCode  string         product code
        Description string        product name
        Quantity   int64          units on the line (negative for returns/cancellations)
        InvoiceDate datetime64    date and time of the invoice (UK local time, naive)
        UnitPrice  float64        price per unit, pounds sterling
        CustomerID Int64          customer number; <NA> on 135,080 lines
        Country    string         the customer's country
        Amount     float64        added: Quantity x UnitPrice (the line's net amount)
        ========== ============== =====================================================

    Notes
    -----
    Reference figures: 541,909 lines; 4,372 distinct customers; 135,080 lines without a
    customer; 9,288 cancellation lines in 3,836 invoices; 10,624 lines with Quantity <= 0;
    5,268 exact duplicate lines. Keeping known customers and Quantity > 0 leaves 397,924
    lines, 4,339 customers and £8,911,407.90 of revenue.

    Source: Chen, D., Sain, S. L. & Guo, K. (2012). Data mining for the online retail
    industry: a case study of RFM model-based customer segmentation using data mining.
    *Journal of Database Marketing and Customer Strategy Management* 19(3), 197-208.
    UCI Machine Learning Repository, DOI 10.24432/C5BW33, licensed CC BY 4.0.

    Examples
    --------
    >>> from clientseg.datasets import load_online_retail
    >>> tx = load_online_retail()
    >>> tx.shape
    (541909, 9)
    >>> int(tx["CustomerID"].nunique())
    4372
    """
    source = resources.files("clientseg").joinpath("data", _ONLINE_RETAIL)
    with resources.as_file(source) as path:
        frame = pd.read_csv(
            path,
            dtype={
                "InvoiceNo": "string",
                "StockCode": "string",
                "Description": "string",
                "Quantity": "int64",
                "UnitPrice": "float64",
                "CustomerID": "Int64",
                "Country": "string",
            },
        )
    frame["InvoiceDate"] = pd.to_datetime(frame["InvoiceDate"], format="%Y-%m-%d %H:%M:%S")
    frame["Amount"] = frame["Quantity"] * frame["UnitPrice"]
    return frame
