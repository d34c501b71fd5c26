"""Write a synthetic base to Parquet chunk by chunk (private; public in :mod:`clientseg.synth`).

The base is drawn by :func:`clientseg.synth.iter_customer_base` one chunk of customers at
a time and each chunk is written at once, so memory holds one chunk whatever the size of
the base. Layout under ``path``::

    customers/part-00000.parquet ...     one row per customer (column customer_id first)
    transactions/part-00000.parquet ...  invoice lines of the customers of the same part
    segments.parquet                     customer_id, segment, lapse_days, active_days
    truth.json                           as-of date, period, segment parameters, conversion
                                         coefficients, bands, counts

Part ``i`` of ``transactions`` holds every line of the customers of part ``i`` of
``customers`` and no other, so the RFM table of a part is the RFM table of its customers.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clientseg._core.validation import check_scalar
from clientseg.exceptions import InvalidParameterError

__all__ = ["ParquetBase", "write_customer_base"]


@dataclass(frozen=True)
class ParquetBase:
    """Where :func:`write_customer_base` put a base, and its sizes.

    Attributes
    ----------
    path : Path
        The base's folder.
    customers, transactions : Path
        Folders of the Parquet parts (``part-00000.parquet``, ...); part ``i`` of
        ``transactions`` holds exactly the lines of the customers of part ``i``.
    segments : Path
        Parquet file of the truth per customer: ``customer_id``, ``segment`` (the true
        segment's name), ``lapse_days``, ``active_days``.
    truth : Path
        JSON file: ``as_of``, ``start``, ``end``, ``n_segments``, ``segment_parameters``,
        ``coefficients`` (the true conversion model), ``bands``, ``reference_levels``,
        and the counts below.
    n_customers, n_transactions, n_parts : int
    """

    path: Path
    customers: Path
    transactions: Path
    segments: Path
    truth: Path
    n_customers: int
    n_transactions: int
    n_parts: int

    @property
    def parts(self) -> list[tuple[Path, Path]]:
        """(customers part, transactions part) file pairs, in customer-id order."""
        return [(self.customers / _part(i), self.transactions / _part(i))
                for i in range(self.n_parts)]

    def read_truth(self) -> dict[str, Any]:
        """Return the content of ``truth.json`` (dates as ``pandas.Timestamp``)."""
        truth = json.loads(self.truth.read_text())
        for key in ("as_of", "start", "end"):
            truth[key] = pd.Timestamp(truth[key])
        return dict(truth)


def _part(i: int) -> str:
    return f"part-{i:05d}.parquet"


def _jsonable(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for record in frame.to_dict(orient="records"):
        out.append({k: (list(v) if isinstance(v, tuple) else
                        v.item() if isinstance(v, np.generic) else v)
                    for k, v in record.items()})
    return out


def write_customer_base(
    path: Any,
    n_customers: int,
    n_segments: int = 6,
    *,
    start: Any = "2024-01-01",
    end: Any = "2025-12-31",
    random_state: Any = None,
    chunk_size: int = 1_000_000,
    overwrite: bool = False,
    compression: str = "zstd",
) -> ParquetBase:
    """Write a synthetic base to Parquet, one chunk of customers at a time.

    The customers and lines are those :func:`make_customer_base` draws with the same
    arguments (only the row order differs: lines are in date order within each part), but
    at most one chunk is in memory at a time, so bases far larger than memory can be
    written. Contacts and ``messy`` rows, which need the whole base, are not written.

    Parameters
    ----------
    path : str or Path
        Folder to write to (created; see ``overwrite``).
    n_customers, n_segments, start, end, random_state
        As in :func:`make_customer_base`.
    chunk_size : int, default 1,000,000
        Customers per part file (the last part may hold fewer). They are drawn in chunks
        of ``chunk_size`` rounded up to a multiple of 10,000 (the random-number block),
        about 9 transaction lines per customer, so drawing 1M customers takes about
        1 GiB of memory while the part is written.
    overwrite : bool, default False
        Replace the base already in ``path``. Without it, a folder that is not empty is
        refused.
    compression : str, default "zstd"
        Parquet compression codec (any that pyarrow accepts: "zstd", "snappy", "none").

    Returns
    -------
    ParquetBase
        The paths of the parts, the truth files and the counts.

    Examples
    --------
    >>> import tempfile
    >>> import polars as pl
    >>> from clientseg.synth import write_customer_base
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     written = write_customer_base(folder, 25_000, random_state=0, chunk_size=10_000)
    ...     lines = pl.scan_parquet(written.transactions / "*.parquet").select(pl.len())
    ...     n_lines = lines.collect().item()
    >>> written.n_parts, written.n_customers, n_lines == written.n_transactions
    (3, 25000, True)
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from clientseg.synth import _base as synth

    MODEL = synth.CONVERSION_MODEL

    check_scalar("n_customers", n_customers, kind=int, low=1)
    check_scalar("n_segments", n_segments, kind=int, low=1, high=synth._MAX_SEGMENTS)
    check_scalar("chunk_size", chunk_size, kind=int, low=1)
    if not isinstance(overwrite, bool | np.bool_):
        raise InvalidParameterError(
            f"Parameter 'overwrite' must be True or False; got {overwrite!r}."
        )
    root_dir = Path(path)
    if root_dir.exists() and not root_dir.is_dir():
        raise InvalidParameterError(
            f"Parameter 'path' is {str(root_dir)!r}, which is a file; pass a folder."
        )
    if root_dir.is_dir() and any(root_dir.iterdir()):
        if not overwrite:
            n_entries = sum(1 for _ in root_dir.iterdir())
            raise InvalidParameterError(
                f"Parameter 'path' is {str(root_dir)!r}, a folder that already holds "
                f"{n_entries} entries. Pass an empty or new folder, or overwrite=True to "
                f"replace the base in it."
            )
        for name in ("customers", "transactions"):
            shutil.rmtree(root_dir / name, ignore_errors=True)
        for name in ("segments.parquet", "truth.json"):
            (root_dir / name).unlink(missing_ok=True)
    t0, t1, span = synth._validate_period(start, end)
    as_of = t1 + pd.Timedelta(days=1)
    seed = synth._seed_root(random_state)
    params = synth._segment_table(n_segments)

    customers_dir = root_dir / "customers"
    transactions_dir = root_dir / "transactions"
    customers_dir.mkdir(parents=True, exist_ok=True)
    transactions_dir.mkdir(parents=True, exist_ok=True)
    segments_path = root_dir / "segments.parquet"
    n_tx = n_parts = 0
    writer = None
    try:
        for chunk in synth._iter_chunks(seed, params, n_customers, span, as_of, chunk_size):
            # chunks come in multiples of the 10,000-customer random block: cut them into
            # parts of chunk_size customers, each with exactly its customers' lines
            tx_ids = chunk.transactions["customer_id"].to_numpy()
            for lo in range(0, len(chunk.customers), chunk_size):
                ids = chunk.customers.index[lo : lo + chunk_size]
                lines = chunk.transactions[(tx_ids >= ids[0]) & (tx_ids <= ids[-1])]
                lines = lines.reset_index(drop=True)
                customers = chunk.customers.iloc[lo : lo + chunk_size].reset_index()
                pq.write_table(pa.Table.from_pandas(customers, preserve_index=False),
                               customers_dir / _part(n_parts), compression=compression)
                pq.write_table(pa.Table.from_pandas(lines, preserve_index=False),
                               transactions_dir / _part(n_parts), compression=compression)
                truth = pd.DataFrame({
                    "customer_id": ids.to_numpy(),
                    "segment": chunk.segment.iloc[lo : lo + chunk_size].astype(str).to_numpy(),
                    "lapse_days": chunk.lapse_days.iloc[lo : lo + chunk_size].to_numpy(),
                    "active_days": chunk.active_days.iloc[lo : lo + chunk_size].to_numpy(),
                })
                table = pa.Table.from_pandas(truth, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(segments_path, table.schema,
                                              compression=compression)
                writer.write_table(table)
                n_tx += len(lines)
                n_parts += 1
    finally:
        if writer is not None:
            writer.close()

    segment_parameters = params.reset_index()
    payload = {
        "as_of": as_of.isoformat(),
        "start": t0.isoformat(),
        "end": t1.isoformat(),
        "n_segments": int(n_segments),
        "n_customers": int(n_customers),
        "n_transactions": int(n_tx),
        "n_parts": int(n_parts),
        "segment_parameters": _jsonable(segment_parameters),
        "coefficients": _jsonable(synth._coefficient_table()),
        "bands": {k: [None if not np.isfinite(e) else e for e in v]
                  for k, v in MODEL["bands"].items()},
        "reference_levels": {c: synth._levels(c)[0] for c in MODEL["effects"]},
    }
    truth_path = root_dir / "truth.json"
    truth_path.write_text(json.dumps(payload, indent=2))
    return ParquetBase(root_dir, customers_dir, transactions_dir, segments_path, truth_path,
                       int(n_customers), int(n_tx), int(n_parts))
