"""Benchmark of clientseg.rfm against the usual pandas recipe, Polars and DuckDB, in one process.

Stages (same transactions for every tool, timed one after the other):

* ``rfm_table``: transaction lines -> one row per customer (last purchase, distinct invoices,
  total amount). pandas: ``groupby().agg(max, nunique, sum)``; Polars: ``group_by().agg``
  on a Polars frame built beforehand (conversion not timed); DuckDB: one ``GROUP BY`` query
  on a table loaded beforehand (loading not timed; result fetched as a pandas frame);
  clientseg: :func:`rfm_table`.
* ``rfm_scores``: the same plus quintile scores. pandas: the common recipe
  ``pd.qcut(col.rank(method="first"), 5)`` (plain ``qcut`` fails on tied frequencies, and
  ranking first splits identical customers by row order); Polars: ordinal ranks cut in
  five; DuckDB: ``NTILE(5)`` windows (which also split ties by row order); clientseg:
  :func:`rfm_table` + :class:`RFMScorer` (tie-safe quantile edges).

The stages run twice: on lines in random order, and (tag ``[synth]``) on the synthetic base
of :mod:`clientseg.synth`, whose lines come in date order like real exports.

Quality figures: ``customers`` (rows of the customer table; must agree across tools) and
``split_ties`` (frequency values whose customers got more than one F score: identical
customers split by row order; 0 for clientseg by construction).

Data: ``n_transactions`` invoice lines of ``n_customers`` customers (about 2 lines per
invoice), over two years, from a seeded numpy generator (fast to draw at 10M lines).

Each tool runs ``REPEATS[profile]`` times per stage and the fastest run is reported.

Run: ``python benchmarks/run.py --profile regular --suite rfm --peers``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._harness import Measurement, measure, record
from clientseg.rfm import RFMScorer, rfm_table

SIZES = {
    "smoke": (20_000, 2_000),
    "regular": (10_000_000, 1_000_000),
    "large": (50_000_000, 5_000_000),
}
#: Runs per tool and stage; the fastest is kept (as timeit does: slower runs measure the
#: other processes of a shared machine, not the code).
REPEATS = {"smoke": 1, "regular": 3, "large": 1}
END = pd.Timestamp("2025-12-31 23:59:59")
N_BINS = 5


def make_transactions(n_transactions: int, n_customers: int, seed: int = 0) -> pd.DataFrame:
    """Draw invoice lines: ~2 lines per invoice, skewed customer activity, lognormal amounts."""
    rng = np.random.default_rng(seed)
    n_invoices = max(n_customers, n_transactions // 2)
    # skewed activity: a gamma weight per customer, like real bases (many one-off buyers)
    # every customer has one invoice; the others follow a gamma weight per customer (skewed
    # activity, many one-off buyers, like real bases)
    weight = rng.gamma(0.6, 1.0, n_customers)
    cdf = np.cumsum(weight / weight.sum())
    extra = np.minimum(np.searchsorted(cdf, rng.random(max(0, n_invoices - n_customers))),
                       n_customers - 1)
    invoice_customer = rng.permutation(np.concatenate([np.arange(n_customers), extra]))
    invoice_time = pd.Timestamp("2024-01-01").value + rng.integers(
        0, 730 * 86_400, n_invoices) * 10**9
    # every invoice has one line; the other lines go to random invoices
    line_invoice = rng.permutation(np.concatenate([
        np.arange(n_invoices), rng.integers(0, n_invoices, max(0, n_transactions - n_invoices))
    ]))[:n_transactions]
    return pd.DataFrame({
        "customer_id": invoice_customer[line_invoice].astype(np.int64) + 100_000,
        "invoice_id": line_invoice.astype(np.int64) + 500_000,
        "date": pd.to_datetime(invoice_time[line_invoice]),
        "amount": np.round(rng.lognormal(2.5, 0.8, n_transactions), 2),
    })


# -------------------------------------------------------------------------------- clientseg
def clientseg_table(tx: pd.DataFrame) -> pd.DataFrame:
    return rfm_table(tx, customer_id_col="customer_id", datetime_col="date",
                     monetary_value_col="amount", invoice_col="invoice_id",
                     observation_period_end=END)


def clientseg_scores(tx: pd.DataFrame) -> pd.DataFrame:
    table = clientseg_table(tx)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tied frequencies are reported, not a failure here
        scores = RFMScorer(N_BINS).fit_transform(table)
    return scores.join(table["frequency"])


# -------------------------------------------------------------------------------- pandas
def pandas_table(tx: pd.DataFrame) -> pd.DataFrame:
    g = tx.groupby("customer_id").agg(last=("date", "max"), frequency=("invoice_id", "nunique"),
                                      monetary=("amount", "sum"))
    g["recency_days"] = (END.normalize() - g["last"].dt.normalize()).dt.days
    return g


def pandas_scores(tx: pd.DataFrame) -> pd.DataFrame:
    g = pandas_table(tx)
    labels = list(range(1, N_BINS + 1))
    g["r_score"] = pd.qcut(g["recency_days"].rank(method="first"), N_BINS, labels=labels[::-1])
    g["f_score"] = pd.qcut(g["frequency"].rank(method="first"), N_BINS, labels=labels)
    g["m_score"] = pd.qcut(g["monetary"].rank(method="first"), N_BINS, labels=labels)
    return g


# -------------------------------------------------------------------------------- Polars
def polars_table(ptx: Any) -> Any:
    import polars as pl

    end_day = pl.lit(END.normalize())
    return ptx.group_by("customer_id").agg(
        pl.col("date").max().alias("last"),
        pl.col("invoice_id").n_unique().alias("frequency"),
        pl.col("amount").sum().alias("monetary"),
    ).with_columns((end_day - pl.col("last").dt.truncate("1d")).dt.total_days()
                   .alias("recency_days"))


def polars_scores(ptx: Any) -> Any:
    import polars as pl

    g = polars_table(ptx)
    n = pl.len()

    def quintile(col: str, descending: bool = False) -> Any:
        rank = pl.col(col).rank("ordinal", descending=descending)
        return ((rank - 1) * N_BINS // n + 1).alias(col[0] + "_score")

    return g.with_columns(quintile("recency_days", descending=True), quintile("frequency"),
                          quintile("monetary"))


# -------------------------------------------------------------------------------- DuckDB
_DUCKDB_TABLE = f"""
SELECT customer_id, max(date) AS last, count(DISTINCT invoice_id) AS frequency,
       sum(amount) AS monetary,
       date_diff('day', CAST(max(date) AS DATE), DATE '{END.date()}') AS recency_days
FROM tx GROUP BY customer_id
"""


def duckdb_table(con: Any) -> pd.DataFrame:
    return con.sql(_DUCKDB_TABLE).df()


def duckdb_scores(con: Any) -> pd.DataFrame:
    return con.sql(f"""
        WITH g AS ({_DUCKDB_TABLE})
        SELECT *, NTILE({N_BINS}) OVER (ORDER BY recency_days DESC) AS r_score,
                  NTILE({N_BINS}) OVER (ORDER BY frequency) AS f_score,
                  NTILE({N_BINS}) OVER (ORDER BY monetary) AS m_score
        FROM g""").df()


def fastest(repeats: int, fn: Any, *args: Any) -> Measurement:
    """Measure ``fn(*args)`` ``repeats`` times; keep the run with the lowest wall time."""
    runs = [measure(fn, *args) for _ in range(repeats)]
    return min(runs, key=lambda m: m.wall_s)


# -------------------------------------------------------------------------------- quality
def split_ties(frequency: np.ndarray, f_score: np.ndarray) -> int:
    """Count frequency values whose customers got more than one F score."""
    pairs = pd.DataFrame({"f": frequency, "s": np.asarray(f_score, dtype=np.int64)})
    return int((pairs.groupby("f")["s"].nunique() > 1).sum())


def _suite(tx: pd.DataFrame, tag: str, size: dict[str, int], repeats: int,
           peers: bool) -> list[dict[str, Any]]:
    """Time every tool on one set of transactions; ``tag`` names the data in the stage."""
    rows: list[dict[str, Any]] = []
    table_stage, scores_stage = f"rfm_table{tag}", f"rfm_scores{tag}"

    def scored(tool: str, m: Measurement, frequency: Any, f_score: Any) -> None:
        rows.append(record("rfm", scores_stage, tool, size, m, customers=len(frequency),
                           split_ties=split_ties(np.asarray(frequency), np.asarray(f_score))))

    m = fastest(repeats, clientseg_table, tx)
    rows.append(record("rfm", table_stage, "clientseg", size, m, customers=len(m.result)))
    m = fastest(repeats, clientseg_scores, tx)
    scored("clientseg", m, m.result["frequency"], m.result["f_score"])
    if not peers:
        return rows
    m = fastest(repeats, pandas_table, tx)
    rows.append(record("rfm", table_stage, "pandas", size, m, customers=len(m.result)))
    m = fastest(repeats, pandas_scores, tx)
    scored("pandas", m, m.result["frequency"], m.result["f_score"])
    try:
        import polars as pl
    except ImportError:  # the bench extra is not installed: pandas peer only
        return rows
    ptx = pl.from_pandas(tx)
    m = fastest(repeats, polars_table, ptx)
    rows.append(record("rfm", table_stage, "polars", size, m, customers=m.result.height))
    m = fastest(repeats, polars_scores, ptx)
    scored("polars", m, m.result["frequency"].to_numpy(), m.result["f_score"].to_numpy())
    del ptx
    try:
        import duckdb
    except ImportError:
        return rows
    con = duckdb.connect()
    con.register("tx_view", tx)
    con.execute("CREATE TABLE tx AS SELECT * FROM tx_view")  # loading is not timed
    con.unregister("tx_view")
    m = fastest(repeats, duckdb_table, con)
    rows.append(record("rfm", table_stage, "duckdb", size, m, customers=len(m.result)))
    m = fastest(repeats, duckdb_scores, con)
    scored("duckdb", m, m.result["frequency"], m.result["f_score"])
    con.close()
    return rows


def run(profile: str, peers: bool) -> list[dict[str, Any]]:
    """Time the stages on one profile's data; return the result rows.

    Two data sets: lines in random order (``rfm_table``, ``rfm_scores``: exactly
    ``n_transactions`` lines of ``n_customers`` customers), and the synthetic base of
    :func:`clientseg.synth.make_customer_base` with ``n_customers`` customers, whose lines
    come in date order as real exports do (stages tagged ``[synth]``; its own line count).
    """
    from clientseg.synth import make_customer_base

    n_tx, n_cust = SIZES[profile]
    repeats = REPEATS[profile]
    rows = _suite(make_transactions(n_tx, n_cust), "",
                  {"n_transactions": n_tx, "n_customers": n_cust}, repeats, peers)
    base = make_customer_base(n_cust, random_state=0).transactions
    rows += _suite(base, "[synth]", {"n_transactions": len(base), "n_customers": n_cust},
                   repeats, peers)
    return rows
