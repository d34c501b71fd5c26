"""Benchmark of :func:`clientseg.rfm_table` on each engine it accepts, on the same lines.

The question it answers is the scale guide's: for a base of this size, which engine should
hold the transactions? Every engine gets the same lines (those of ``bench_rfm``, random
order), converted to it beforehand (conversion not timed, as data usually already live in
the engine), and ``rfm_table(..., output="pandas")`` is timed: the engine filters and
aggregates, and the one-row-per-customer table comes back as pandas, so lazy engines
(Polars LazyFrame, DuckDB, Dask) are timed up to a materialised result.

Engines: pandas (the baseline, tool ``clientseg``), Polars DataFrame, Polars LazyFrame,
PyArrow Table, DuckDB relation (a table in an in-memory connection), Dask DataFrame
(threaded scheduler, ``2 x cores`` partitions). Engines whose package is missing are
skipped. ``ratio`` is an engine's time over the pandas path's. Each engine runs
``REPEATS[profile]`` times and the fastest run is kept.

Quality figure: ``same_as_pandas``: the engine's table equals the pandas path's (same
customers and columns; counts and dates exact, amounts to 1e-9 relative).

Run: ``python benchmarks/run.py --profile regular --suite engines``.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._harness import fastest, record
from benchmarks.bench_rfm import END, make_transactions
from clientseg.rfm import rfm_table

SIZES = {
    "smoke": (20_000, 2_000),
    "regular": (10_000_000, 1_000_000),
    "large": (30_000_000, 3_000_000),
}
#: Runs per engine; the fastest is kept (clientseg against itself on other engines, so
#: slower runs measure the machine's other processes, not the engine).
REPEATS = {"smoke": 1, "regular": 3, "large": 1}
COLUMNS = {"customer_id_col": "customer_id", "datetime_col": "date",
           "monetary_value_col": "amount", "invoice_col": "invoice_id"}


def table_of(frame: Any) -> pd.DataFrame:
    """``rfm_table`` of any engine's frame, as a pandas table indexed by customer."""
    out = rfm_table(frame, **COLUMNS, observation_period_end=END, output="pandas")
    return out.set_index("customer_id") if "customer_id" in out.columns else out


def same_table(got: pd.DataFrame, expected: pd.DataFrame) -> bool:
    """Whether an engine's table is the pandas path's (amounts to 1e-9 relative)."""
    got = got.sort_index()
    if list(got.columns) != list(expected.columns) or not np.array_equal(
            got.index.to_numpy(dtype=np.int64), expected.index.to_numpy(dtype=np.int64)):
        return False
    for col in expected.columns:
        a, b = got[col].to_numpy(), expected[col].to_numpy()
        if np.issubdtype(b.dtype, np.floating):
            if not np.allclose(a, b, rtol=1e-9, atol=1e-9):
                return False
        elif not np.array_equal(a, b):
            return False
    return True


Builder = Callable[[pd.DataFrame], Any]


def engines() -> list[tuple[str, Builder]]:
    """(tool name, builder of the engine's frame from pandas lines) per installed engine."""
    out: list[tuple[str, Builder]] = []
    try:
        import polars as pl
    except ImportError:
        pass
    else:
        out += [("polars", pl.from_pandas),
                ("polars lazy", lambda tx: pl.from_pandas(tx).lazy())]
    try:
        import pyarrow as pa
    except ImportError:
        pass
    else:
        out.append(("pyarrow", lambda tx: pa.Table.from_pandas(tx, preserve_index=False)))
    try:
        import duckdb
    except ImportError:
        pass
    else:
        def relation(tx: pd.DataFrame) -> Any:
            con = duckdb.connect()
            con.register("tx_view", tx)
            con.execute("CREATE TABLE tx AS SELECT * FROM tx_view")
            con.unregister("tx_view")
            return con.table("tx")
        out.append(("duckdb", relation))
    try:
        import dask.dataframe as dd
    except ImportError:
        pass
    else:
        parts = 2 * (os.cpu_count() or 1)
        out.append(("dask threads", lambda tx: dd.from_pandas(tx, npartitions=parts)))
    return out


@contextlib.contextmanager
def threaded_dask() -> Iterator[None]:
    """Dask's threaded scheduler for the block, whatever client the process has."""
    try:
        import dask
    except ImportError:
        yield
        return
    with dask.config.set(scheduler="threads"):
        yield


def run(profile: str, peers: bool) -> list[dict[str, Any]]:
    """Time ``rfm_table`` on pandas, then on every installed engine; return the rows.

    ``peers`` is ignored: the other engines are not peers but clientseg itself, so they
    always run.
    """
    n_tx, n_cust = SIZES[profile]
    size = {"n_transactions": n_tx, "n_customers": n_cust}
    tx = make_transactions(n_tx, n_cust)
    warm_up = tx.head(1_000)
    with warnings.catch_warnings(), threaded_dask():
        warnings.simplefilter("ignore")  # engine chatter (Dask's narwhals support level)
        table_of(warm_up)  # first calls pay imports and thread pools: not timed
        repeats = REPEATS[profile]
        m = fastest(repeats, table_of, tx)
        expected = m.result.sort_index()
        rows = [record("engines", "rfm_table", "clientseg", size, m,
                       customers=len(expected), same_as_pandas=True)]
        for tool, build in engines():
            table_of(build(warm_up))
            frame = build(tx)
            m = fastest(repeats, table_of, frame)
            rows.append(record("engines", "rfm_table", f"clientseg on {tool}", size, m,
                               customers=len(m.result),
                               same_as_pandas=same_table(m.result, expected)))
            del frame
    return rows
