"""Frames of other engines (Polars, DuckDB, PyArrow, Dask) through narwhals.

The public functions accept any frame narwhals supports and answer in the same kind. This
module holds what they share:

* :func:`kind_of` names the kind of a native frame without importing any optional engine
  (narwhals' ``is_*`` checks look at ``sys.modules`` only);
* :func:`to_narwhals` wraps a frame, silencing exactly narwhals' notice that its Dask
  support moves to a separate ``narwhals-dask`` package (a package that the index does not
  offer yet; the Dask support itself works and is tested);
* :func:`from_pandas_as` hands a small pandas result (one row per customer) back in the
  caller's kind;
* :func:`remember` / :func:`recall` keep a record (the RFM exclusions) with a result that
  has no ``attrs``: a registry keyed by ``id(obj)``, guarded by a weak reference so that a
  recycled id never answers for another object, and emptied by ``weakref.finalize``.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd

__all__: list[str] = []  # private module

#: Start of the FutureWarning narwhals emits for every Dask frame it wraps.
DASK_NOTICE = "Dask support is moving out of Narwhals"

#: Kinds whose frames are lazy: a call returns a plan, nothing is computed.
LAZY_KINDS = ("polars-lazy", "duckdb", "dask")
#: Kinds whose results cannot be aligned with the input by position or index: the input's
#: columns travel with the new ones.
CARRY_KINDS = ("polars-lazy", "duckdb")


@contextmanager
def quiet_dask() -> Iterator[None]:
    """Silence narwhals' notice about its Dask support moving out (that warning only)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=DASK_NOTICE, category=FutureWarning)
        yield


def kind_of(native: Any) -> str | None:
    """Name the kind of a frame (None when narwhals does not know it).

    One of "pandas", "polars", "polars-lazy", "duckdb", "pyarrow", "dask" or "other"
    (another narwhals backend).
    """
    from narwhals import dependencies as dep

    if isinstance(native, pd.DataFrame):
        return "pandas"
    if dep.is_polars_dataframe(native):
        return "polars"
    if dep.is_polars_lazyframe(native):
        return "polars-lazy"
    if dep.is_duckdb_relation(native):
        return "duckdb"
    if dep.is_pyarrow_table(native):
        return "pyarrow"
    if dep.is_dask_dataframe(native):
        return "dask"
    return "other" if to_narwhals(native) is not None else None


def to_narwhals(native: Any) -> Any:
    """Wrap a native frame in narwhals (DataFrame or LazyFrame), or return None."""
    import narwhals.stable.v2 as nw

    with quiet_dask():
        frame = nw.from_native(native, pass_through=True)
    return None if frame is native else frame


def collect_pandas(frame: Any) -> pd.DataFrame:
    """Compute a narwhals frame (eager or lazy) and return it as pandas."""
    import narwhals.stable.v2 as nw

    with quiet_dask():
        if isinstance(frame, nw.LazyFrame):
            frame = frame.collect()
        return frame.to_pandas()


def native_pandas(native: Any) -> pd.DataFrame:
    """Return a frame of any narwhals kind as pandas (computing it when lazy)."""
    if isinstance(native, pd.DataFrame):
        return native
    frame = to_narwhals(native)
    if frame is None:
        return native
    return collect_pandas(frame)


def from_pandas_as(table: pd.DataFrame, kind: str, template: Any) -> Any:
    """Hand a pandas result back in the kind of ``template``.

    Kinds without an index get the index as leading column(s); Dask keeps it as its index
    (sorted, so the partitions have known divisions).
    """
    if kind == "pandas":
        return table
    if kind == "dask":
        import dask.dataframe as dd

        n_parts = max(1, min(int(template.npartitions), len(table)))
        with quiet_dask():
            return dd.from_pandas(table, npartitions=n_parts, sort=True)
    import narwhals.stable.v2 as nw

    flat = table.reset_index()
    flat.attrs = {}
    if kind in ("polars", "polars-lazy"):
        import polars as pl

        out = pl.from_pandas(flat)
        return out.lazy() if kind == "polars-lazy" else out
    import pyarrow as pa

    arrow = pa.Table.from_pandas(flat, preserve_index=False)
    if kind == "pyarrow":
        return arrow
    if kind == "duckdb":
        return nw.from_native(arrow).lazy(backend="duckdb").to_native()
    raise NotImplementedError(kind)  # callers ask only for the kinds above


# ------------------------------------------------------------------ records of results

_RECORDS: dict[int, tuple[weakref.ref[Any], Any]] = {}


def _forget(key: int, ref: weakref.ref[Any]) -> None:
    entry = _RECORDS.get(key)
    if entry is not None and entry[0] is ref:
        del _RECORDS[key]


def remember(obj: Any, record: Any) -> None:
    """Keep ``record`` for ``obj`` while ``obj`` lives (for results without ``attrs``)."""
    key = id(obj)
    ref = weakref.ref(obj)
    _RECORDS[key] = (ref, record)
    weakref.finalize(obj, _forget, key, ref)


def recall(obj: Any) -> Any:
    """Return the record kept for this very object, or None."""
    entry = _RECORDS.get(id(obj))
    if entry is None or entry[0]() is not obj:
        return None
    return entry[1]


# ------------------------------------------------------------------ results of expressions


def emit(frame: Any, kind: str, outputs: dict[str, Any], *, carry: list[str],
         series: str | None = None) -> Any:
    """Evaluate named expressions on a narwhals frame; return the result in the input's kind.

    Results align with the input the way its kind aligns rows: by position (Polars
    DataFrame, PyArrow Table), by index (Dask), or, for lazy frames with neither (Polars
    LazyFrame, DuckDB relation), by carrying the input's columns along (a column of the
    input with the name of a result is replaced by it); ``carry`` names the input's columns
    (``frame`` may hold working columns besides). With ``series``, eager kinds and
    Dask return that one column as their Series kind (a Polars Series, a PyArrow
    ChunkedArray, a Dask Series).
    """
    exprs = [e.alias(name) for name, e in outputs.items()]
    if kind in CARRY_KINDS:
        keep = [c for c in carry if c not in outputs]
        result = frame.select(*keep, *exprs)
    else:
        result = frame.select(*exprs)
    with quiet_dask():
        native = result.to_native()
    if series is None or kind in CARRY_KINDS:
        return native
    if kind == "pyarrow":
        return native.column(series)
    return native[series]
