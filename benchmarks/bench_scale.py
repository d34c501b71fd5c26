"""Out-of-core pipeline: a Parquet base written in chunks, RFM on it, streamed segmentation.

Stages, on one base per profile (``write_customer_base(n, 6, random_state=0)``; about 8.8
transaction lines per customer):

* ``write Parquet``: :func:`clientseg.synth.write_customer_base`, one part of
  ``CHUNK[profile]`` customers at a time (the lines of a part's customers in the part of
  the same number). Quality: lines written, size on disk.
* ``rfm_table (per part)``: :func:`rfm_table` on ``polars.scan_parquet`` of each
  transactions part, concatenated (exact: a customer's lines are all in one part), only
  the RFM columns kept. Only one part's lines are in memory at a time.
* ``rfm_table (whole scan)``: one :func:`rfm_table` on ``polars.scan_parquet`` of every
  part (smoke and regular only: Polars then holds the needed columns of every line).
  Quality: ``same_as_per_part`` (same customers, recency and frequency) and
  ``monetary_max_diff`` (sums added in another order differ in the last bits).
* ``fit_stream``: ``HierarchicalSegmenter("auto", k_range=(2, 10), consolidate=True)``
  fed by a callable that reads each customers part and joins its RFM features
  (frequency and monetary on a log scale), with ``encoder=MixedDataEncoder(
  n_components=10)`` learned on the stream. Quality: chosen k and the true k, and the
  ARI at the true k of the tree's cut on the reservoir sample.
* ``labels_stream``: the segment of every customer, part by part. Quality: ARI of the
  chosen cut against the true segments (all customers).
* ``in-memory two-stage`` (smoke and regular only): the same features in one pandas frame,
  ``MixedDataEncoder.fit_transform`` and ``HierarchicalSegmenter.fit`` with the same
  parameters, as the reference for ``ari`` and ``chosen_k``.

Run: ``python benchmarks/run.py --profile large --suite scale`` (about 100M lines; the
numbers are in ``docs/user_guide/scale.md``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from benchmarks._harness import measure, record

SUITE = "scale"
SIZES = {"smoke": 10_000, "regular": 1_150_000, "large": 11_500_000}
CHUNK = {"smoke": 5_000, "regular": 250_000, "large": 500_000}
N_SEGMENTS = 6
RFM = ["recency_days", "frequency", "monetary"]


def _rfm(transactions: Any, as_of: pd.Timestamp) -> pd.DataFrame:
    from clientseg import rfm_table

    table = rfm_table(transactions, customer_id_col="customer_id", datetime_col="date",
                      monetary_value_col="amount", invoice_col="invoice_id",
                      observation_period_end=as_of, output="pandas")
    return table[RFM]


def _features(customers: pd.DataFrame, rfm: pd.DataFrame) -> pd.DataFrame:
    r = rfm.reindex(customers.index)
    r = r.assign(frequency=np.log(r["frequency"]), monetary=np.log(r["monetary"]))
    return customers.join(r, how="inner")


def _segmenter() -> Any:
    from clientseg import HierarchicalSegmenter

    return HierarchicalSegmenter("auto", k_range=(2, 10), consolidate=True, random_state=0)


def _disk_mib(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def _run(profile: str, folder: Path) -> list[dict[str, Any]]:
    import polars as pl

    from clientseg import MixedDataEncoder
    from clientseg.synth import write_customer_base

    n = SIZES[profile]
    rows: list[dict[str, Any]] = []
    m = measure(write_customer_base, folder, n, N_SEGMENTS, random_state=0,
                chunk_size=CHUNK[profile])
    base = m.result
    size = {"n_customers": n, "n_transactions": base.n_transactions}
    rows.append(record(SUITE, "write Parquet", "clientseg", size, m, n_parts=base.n_parts,
                       disk_mib=_disk_mib(folder)))
    as_of = base.read_truth()["as_of"]

    def per_part() -> pd.DataFrame:
        return pd.concat([_rfm(pl.scan_parquet(tx), as_of) for _, tx in base.parts])

    m = measure(per_part)
    rfm = m.result
    rows.append(record(SUITE, "rfm_table (per part)", "clientseg", size, m,
                       engine="polars scan_parquet", customers=len(rfm)))
    if profile != "large":
        m = measure(_rfm, pl.scan_parquet(base.transactions / "*.parquet"), as_of)
        whole, parts = m.result.sort_index(), rfm.sort_index()
        same_counts = bool(whole.index.equals(parts.index)
                           and whole[RFM[:2]].equals(parts[RFM[:2]]))
        rows.append(record(SUITE, "rfm_table (whole scan)", "clientseg", size, m,
                           engine="polars scan_parquet",
                           same_as_per_part="yes" if same_counts else "NO",
                           monetary_max_diff=float(np.abs(whole["monetary"]
                                                          - parts["monetary"]).max())))
        del m

    def chunks() -> Any:
        for customers_part, _ in base.parts:
            yield _features(pd.read_parquet(customers_part).set_index("customer_id"), rfm)

    segmenter = _segmenter()
    m = measure(segmenter.fit_stream, chunks, encoder=MixedDataEncoder(n_components=10))
    truth = pd.read_parquet(base.segments).set_index("customer_id")["segment"]
    sample_truth = truth.reindex(segmenter.sample_index_).to_numpy()
    at_true_k = segmenter.tree_.labels(N_SEGMENTS)[segmenter.micro_labels_]
    rows.append(record(SUITE, "fit_stream", "clientseg", size, m,
                       chosen_k=segmenter.n_segments_, true_k=N_SEGMENTS,
                       n_micro=segmenter.tree_.n_leaves, sample=segmenter.sample_.shape[0],
                       sample_ari_at_true_k=round(float(adjusted_rand_score(
                           sample_truth, at_true_k)), 4)))

    def label_all() -> np.ndarray:
        return np.concatenate(list(segmenter.labels_stream(chunks)))

    m = measure(label_all)
    ids = np.concatenate([pd.read_parquet(c, columns=["customer_id"])["customer_id"]
                          .to_numpy() for c, _ in base.parts])
    ari = adjusted_rand_score(truth.reindex(ids).to_numpy(), m.result)
    rows.append(record(SUITE, "labels_stream", "clientseg", size, m,
                       chosen_k=segmenter.n_segments_, true_k=N_SEGMENTS,
                       ari=round(float(ari), 4)))
    del m
    if profile != "large":
        def in_memory() -> Any:
            table = pd.concat(list(chunks()))
            X = MixedDataEncoder(n_components=10).fit_transform(table)
            seg = _segmenter().set_params(strategy="two_stage").fit(X)
            return table.index, seg

        m = measure(in_memory)
        index, seg = m.result
        rows.append(record(SUITE, "in-memory two-stage", "clientseg (reference)", size, m,
                           chosen_k=seg.n_segments_, true_k=N_SEGMENTS,
                           ari=round(float(adjusted_rand_score(
                               truth.reindex(index).to_numpy(), seg.labels_)), 4)))
    return rows


def run(profile: str, peers: bool = False) -> list[dict[str, Any]]:
    """Write the profile's base to Parquet in a temporary folder and run the pipeline on it."""
    with tempfile.TemporaryDirectory(prefix="clientseg-scale-") as folder:
        return _run(profile, Path(folder))
