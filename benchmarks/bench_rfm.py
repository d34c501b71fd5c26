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
customers split by row order; 0 for clientseg by construction); clientseg's rows also give
``input_mib`` (the input frame, deep) and ``peak_over_input`` (its peak memory over that;
the speed issue asks at most 2).

Data: ``n_transactions`` invoice lines of ``n_customers`` customers (about 2 lines per
invoice), over two years, from a seeded numpy generator (fast to draw at 10M lines).

Each stage runs ``REPEATS[profile]`` paired rounds (clientseg, pandas, Polars, DuckDB, in
turn; :func:`benchmarks._harness.paired`): rows keep each tool's median run, every run, and
the median and range of the peer's time over clientseg's in the same round. A Polars or
DuckDB run that did not get its cores on a busy machine is rerun, then kept flagged.

Variants of the table stage (the speed issue's): ``[us]`` dates instead of ``[ns]``,
invoice ids shared across customers instead of nested in them, and ``duplicates="drop"`` on
the lines plus 1% duplicated lines (the peers deduplicate inside the timed call; pandas'
``duplicated()`` alone is timed as the reference cost). ``run.py --stages`` picks stages.

Run: ``python benchmarks/run.py --profile regular --suite rfm --peers``.
"""

from __future__ import annotations

import warnings
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._harness import paired, wanted
from clientseg.rfm import RFMScorer, rfm_table

SIZES = {
    "smoke": (20_000, 2_000),
    "regular": (10_000_000, 1_000_000),
    "large": (50_000_000, 5_000_000),
}
#: Paired rounds per stage (clientseg, then each peer, in turn); rows keep each tool's
#: median run and the median of the paired ratios.
REPEATS = {"smoke": 1, "regular": 5, "large": 3}
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
def clientseg_table(tx: pd.DataFrame, **options: Any) -> pd.DataFrame:
    return rfm_table(tx, customer_id_col="customer_id", datetime_col="date",
                     monetary_value_col="amount", invoice_col="invoice_id",
                     observation_period_end=END, **options)


def clientseg_scores(tx: pd.DataFrame, **options: Any) -> pd.DataFrame:
    table = clientseg_table(tx, **options)
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


# -------------------------------------------------------------------------------- quality
def split_ties(frequency: np.ndarray, f_score: np.ndarray) -> int:
    """Count frequency values whose customers got more than one F score."""
    pairs = pd.DataFrame({"f": frequency, "s": np.asarray(f_score, dtype=np.int64)})
    return int((pairs.groupby("f")["s"].nunique() > 1).sum())


VARIANTS = ("[us]", "[shared ids]", "[drop duplicates]")


def _pandas_dedup(fn: Any, tx: pd.DataFrame) -> Any:
    return fn(tx.drop_duplicates())


def _polars_dedup(fn: Any, ptx: Any) -> Any:
    return fn(ptx.unique())


def _tools(tx: pd.DataFrame, peers: bool, kind: str, drop: bool = False
           ) -> tuple[dict[str, Any], list[Any]]:
    """The peers' callables for one stage (``kind`` "table" or "scores") and what to close.

    With ``drop``, each peer removes the duplicate lines inside the timed call (pandas
    ``drop_duplicates``, Polars ``unique``, DuckDB ``SELECT DISTINCT``), as
    ``duplicates="drop"`` does, and pandas' ``duplicated()`` alone is timed as the
    reference cost of finding them.
    """
    if not peers:
        return {}, []
    pfn = pandas_table if kind == "table" else pandas_scores
    fns: dict[str, Any] = {"pandas": partial(_pandas_dedup, pfn, tx) if drop
                           else partial(pfn, tx)}
    if drop:
        fns["pandas duplicated() only"] = tx.duplicated
    closers: list[Any] = []
    try:
        import polars as pl
    except ImportError:  # the bench extra is not installed: pandas peer only
        return fns, closers
    ptx = pl.from_pandas(tx)  # conversion is not timed
    plfn = polars_table if kind == "table" else polars_scores
    fns["polars"] = partial(_polars_dedup, plfn, ptx) if drop else partial(plfn, ptx)
    try:
        import duckdb
    except ImportError:
        return fns, closers
    con = duckdb.connect()
    con.register("tx_view", tx)
    if drop:  # DISTINCT runs inside each timed query, on the raw lines loaded beforehand
        con.execute("CREATE TABLE raw AS SELECT * FROM tx_view")
        con.execute("CREATE VIEW tx AS SELECT DISTINCT * FROM raw")
    else:
        con.execute("CREATE TABLE tx AS SELECT * FROM tx_view")  # loading is not timed
    con.unregister("tx_view")
    fns["duckdb"] = partial(duckdb_table if kind == "table" else duckdb_scores, con)
    closers.append(con)
    return fns, closers


def _quality(tool: str, kind: str, result: Any) -> dict[str, Any]:
    """Customers, and for scores the split ties, from one tool's last result."""
    if tool == "pandas duplicated() only":
        return {"duplicated_lines": int(np.asarray(result).sum())}
    n = result.height if tool == "polars" else len(result)
    if kind == "table":
        return {"customers": n}
    if tool == "polars":
        freq, score = result["frequency"].to_numpy(), result["f_score"].to_numpy()
    else:
        freq, score = result["frequency"], result["f_score"]
    return {"customers": n, "split_ties": split_ties(np.asarray(freq), np.asarray(score))}


def _stage(tx: pd.DataFrame, stage: str, kind: str, size: dict[str, int], repeats: int,
           peers: bool, **rfm_options: Any) -> list[dict[str, Any]]:
    """Paired runs of clientseg and the peers on one stage; one row per tool."""
    if not wanted(stage):
        return []
    ours = partial(clientseg_table if kind == "table" else clientseg_scores, tx,
                   **rfm_options)
    fns, closers = _tools(tx, peers, kind, drop=rfm_options.get("duplicates") == "drop")
    result = paired(ours, fns, repeats=repeats)
    for con in closers:
        con.close()
    input_mib = float(tx.memory_usage(deep=True).sum()) / 2**20
    rows = []
    for tool in result.runs:
        q = _quality(tool, kind, result.results[tool])
        if tool == result.ours:
            q.update(input_mib=round(input_mib, 1),
                     peak_over_input=round(result.median_run(tool).peak_mib / input_mib, 2))
        rows.append(result.row(tool, "rfm", stage, size, **q))
    return rows


def shared_invoice_ids(tx: pd.DataFrame) -> pd.DataFrame:
    """The same lines with invoice numbers counted per customer (1, 2, ... for each one).

    The usual ids are nested in customers (each invoice belongs to one customer); here the
    same invoice number is shared by many customers, as in exports that number orders per
    account, so frequency must count distinct (customer, invoice) pairs.
    """
    inv = tx[["customer_id", "invoice_id"]].drop_duplicates()
    inv = inv.sort_values(["customer_id", "invoice_id"], kind="stable")
    inv["shared"] = inv.groupby("customer_id").cumcount().to_numpy() + 1
    out = tx.merge(inv, on=["customer_id", "invoice_id"], how="left", sort=False)
    return out.drop(columns="invoice_id").rename(columns={"shared": "invoice_id"})[
        list(tx.columns)]


def with_duplicates(tx: pd.DataFrame, share: float = 0.01, seed: int = 1) -> pd.DataFrame:
    """The lines plus ``share`` of them again (exact duplicate rows), in random order."""
    rng = np.random.default_rng(seed)
    extra = tx.iloc[rng.integers(0, len(tx), int(len(tx) * share))]
    out = pd.concat([tx, extra], ignore_index=True)
    return out.iloc[rng.permutation(len(out))].reset_index(drop=True)


def _suite(tx: pd.DataFrame, tag: str, size: dict[str, int], repeats: int,
           peers: bool) -> list[dict[str, Any]]:
    """Table and scores stages on one set of transactions; ``tag`` names the data."""
    return (_stage(tx, f"rfm_table{tag}", "table", size, repeats, peers)
            + _stage(tx, f"rfm_scores{tag}", "scores", size, repeats, peers))


def _variants(tx: pd.DataFrame, size: dict[str, int], repeats: int,
              peers: bool) -> list[dict[str, Any]]:
    """The issue's variants of the table stage: [us] dates, shared ids, dropped duplicates."""
    us = tx.assign(date=tx["date"].astype("datetime64[us]")) if wanted("rfm_table[us]") else tx
    rows = _stage(us, "rfm_table[us]",
                  "table", size, repeats, peers)
    shared = shared_invoice_ids(tx) if wanted("rfm_table[shared ids]") else tx
    rows += _stage(shared, "rfm_table[shared ids]", "table", size, repeats,
                   peers)
    dup = with_duplicates(tx) if wanted("rfm_table[drop duplicates]") else tx
    rows += _stage(dup, "rfm_table[drop duplicates]", "table",
                   {**size, "n_transactions": len(dup)}, repeats, peers, duplicates="drop")
    return rows


def run(profile: str, peers: bool) -> list[dict[str, Any]]:
    """Time the stages on one profile's data; return the result rows.

    Two data sets: lines in random order (``rfm_table``, ``rfm_scores``: exactly
    ``n_transactions`` lines of ``n_customers`` customers, ``[ns]`` dates, invoice ids
    nested in customers) with the variants of the table stage (``[us]`` dates, invoice ids
    shared across customers, ``duplicates="drop"`` on the lines plus 1% duplicated lines),
    and the synthetic base of :func:`clientseg.synth.make_customer_base` with
    ``n_customers`` customers, whose lines come in date order as real exports do (stages
    tagged ``[synth]``; its own line count).
    """
    from clientseg.synth import make_customer_base

    n_tx, n_cust = SIZES[profile]
    repeats = REPEATS[profile]
    size = {"n_transactions": n_tx, "n_customers": n_cust}
    tx = make_transactions(n_tx, n_cust)
    rows = _suite(tx, "", size, repeats, peers) + _variants(tx, size, repeats, peers)
    del tx
    if not (wanted("rfm_table[synth]") or wanted("rfm_scores[synth]")):
        return rows
    base = make_customer_base(n_cust, random_state=0).transactions
    rows += _suite(base, "[synth]", {"n_transactions": len(base), "n_customers": n_cust},
                   repeats, peers)
    return rows


#: Stages whose paired ratios are headline numbers (``run.py --record``), with their labels;
#: recorded from the ``regular`` profile only.
HEADLINE_PROFILE = "regular"
HEADLINE_STAGES = {
    "rfm_table": "RFM table ([ns] dates, invoice ids nested in customers)",
    "rfm_table[us]": "RFM table, [us] dates",
    "rfm_table[shared ids]": "RFM table, invoice ids shared across customers",
    "rfm_table[drop duplicates]": 'RFM table, duplicates="drop" (1% duplicated lines)',
    "rfm_scores": "RFM table + quintile scores",
    "rfm_table[synth]": "RFM table, synthetic base (lines in date order)",
    "rfm_scores[synth]": "RFM table + scores, synthetic base",
}
