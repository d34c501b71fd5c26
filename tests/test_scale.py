"""Scale: streaming two-stage segmentation, Parquet bases written in chunks, Dask end to end.

Oracles: the in-memory paths (``MixedDataEncoder.fit``, ``HierarchicalSegmenter.fit``,
pandas ``rfm_table``, ``make_customer_base``) and direct numpy computations of centroids,
masses and inertia from the rows.
"""

from __future__ import annotations

import doctest
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score, pairwise_distances_argmin

import clientseg as cs
from clientseg import HierarchicalSegmenter, MixedDataEncoder
from clientseg.exceptions import (
    DataQualityWarning,
    EmptyDataError,
    InvalidDataError,
    InvalidParameterError,
)
from clientseg.synth import make_customer_base, write_customer_base

# streamed fits, Parquet bases and a Dask cluster: outside the fast lane (pytest -m 'not slow')
pytestmark = pytest.mark.slow

N_CUSTOMERS = 20_000  # 4 Parquet parts of 5,000 customers
N_MICRO = 200
# the streamed fits see a sample of 30 rows per micro-cluster (the in-memory fit: all rows)
SAMPLE = 30 * N_MICRO
N_SEGMENTS = 4
RFM_COLUMNS = ["recency_days", "frequency", "monetary"]
ARI_MARGIN = 0.05
# narwhals announces that its Dask backend moves to a separate package; not ours to fix
NARWHALS_DASK = "ignore:Dask support is moving out of Narwhals:FutureWarning"


def rfm_of(transactions, as_of):
    return cs.rfm_table(transactions, customer_id_col="customer_id", datetime_col="date",
                        monetary_value_col="amount", invoice_col="invoice_id",
                        observation_period_end=as_of, output="pandas")


def features(customers: pd.DataFrame, rfm: pd.DataFrame) -> pd.DataFrame:
    """Criteria + RFM (frequency and monetary on a log scale), one row per customer."""
    r = rfm[RFM_COLUMNS]
    r = r.assign(frequency=np.log(r["frequency"]), monetary=np.log(r["monetary"]))
    return customers.join(r, how="inner")


def within(X: np.ndarray, labels: np.ndarray) -> float:
    """Within-segment inertia of a partition, straight from the rows."""
    total = 0.0
    for lab in np.unique(labels):
        rows = X[labels == lab]
        total += float(((rows - rows.mean(axis=0)) ** 2).sum())
    return total


@pytest.fixture(scope="module")
def parquet_base(tmp_path_factory):
    folder = tmp_path_factory.mktemp("base")
    return write_customer_base(folder, N_CUSTOMERS, N_SEGMENTS, random_state=0,
                               chunk_size=5_000)


@pytest.fixture(scope="module")
def memory_base():
    return make_customer_base(N_CUSTOMERS, N_SEGMENTS, random_state=0, n_contacts=0)


@pytest.fixture(scope="module")
def table(memory_base):
    """Features of every customer, from the in-memory base (the reference)."""
    return features(memory_base.customers, rfm_of(memory_base.transactions,
                                                  memory_base.truth.as_of))


@pytest.fixture(scope="module")
def table_chunks(table):
    return [table.iloc[i : i + 5_000] for i in range(0, len(table), 5_000)]


@pytest.fixture(scope="module")
def in_memory_fit(table):
    X = MixedDataEncoder(n_components=10).fit_transform(table)
    return HierarchicalSegmenter(N_SEGMENTS, strategy="two_stage", n_micro=N_MICRO,
                                 consolidate=True, random_state=0).fit(X)


@pytest.fixture(scope="module")
def streamed_fit(table_chunks):
    seg = HierarchicalSegmenter(N_SEGMENTS, n_micro=N_MICRO, consolidate=True, random_state=0)
    return seg.fit_stream(table_chunks, encoder=MixedDataEncoder(n_components=10),
                          sample_size=SAMPLE)


def blobs(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0], [8.0, 0.0, 1.0], [0.0, 8.0, -1.0]])
    return centres[rng.integers(0, 3, n)] + rng.normal(size=(n, 3))


# --------------------------------------------------------------------------- encoder
def test_streamed_encoder_equals_the_encoder_fitted_on_all_rows(table, streamed_fit):
    ref = MixedDataEncoder(n_components=10).fit(table)
    enc = streamed_fit.encoder_
    assert enc.numeric_columns_ == ref.numeric_columns_
    assert enc.categorical_columns_ == ref.categorical_columns_
    np.testing.assert_allclose(enc.means_, ref.means_, rtol=1e-12)
    np.testing.assert_allclose(enc.scales_, ref.scales_, rtol=1e-10)
    for col in ref.levels_:
        assert enc.levels_[col].tolist() == ref.levels_[col].tolist()
        np.testing.assert_allclose(enc.proportions_[col], ref.proportions_[col], rtol=1e-12)
    np.testing.assert_allclose(enc.explained_inertia_, ref.explained_inertia_,
                               rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(enc.transform(table), ref.transform(table), atol=1e-8)


def test_streamed_encoder_warns_about_a_constant_column(table_chunks):
    chunks = [c.assign(flat=1.0) for c in table_chunks[:2]]
    seg = HierarchicalSegmenter(3, n_micro=50, random_state=0)
    with pytest.warns(DataQualityWarning, match=r"1 numeric column\(s\) are constant.*'flat'"):
        seg.fit_stream(chunks, encoder=MixedDataEncoder())
    assert "flat" not in seg.encoder_.numeric_columns_


def test_streamed_encoder_warns_about_a_single_level_column(table_chunks):
    chunks = [c.assign(country="FR") for c in table_chunks[:2]]
    seg = HierarchicalSegmenter(3, n_micro=50, random_state=0)
    with pytest.warns(DataQualityWarning, match=r"1 categorical column\(s\) have a single"):
        seg.fit_stream(chunks, encoder=MixedDataEncoder())


def test_a_level_seen_only_in_a_later_chunk_is_learned(table_chunks):
    first = table_chunks[0]
    later = table_chunks[1].assign(channel=np.where(np.arange(len(table_chunks[1])) % 3,
                                                    "web", "store"))
    chunks = [first.assign(channel="web"), later]
    ref = MixedDataEncoder().fit(pd.concat(chunks))
    seg = HierarchicalSegmenter(3, n_micro=50, random_state=0).fit_stream(
        chunks, encoder=MixedDataEncoder())
    assert seg.encoder_.levels_["channel"].tolist() == ["store", "web"]
    np.testing.assert_allclose(seg.encoder_.proportions_["channel"],
                               ref.proportions_["channel"])


# --------------------------------------------------------------------------- invariants
def test_micro_clusters_are_exact_means_masses_and_inertia_of_their_rows():
    X = blobs(12_000)
    seg = HierarchicalSegmenter(3, n_micro=60, random_state=0)
    seg.fit_stream(np.array_split(X, 7))
    leaf = pairwise_distances_argmin(X, seg.micro_centers_)
    tree = seg.tree_
    np.testing.assert_array_equal(tree.leaf_weights, np.bincount(leaf, minlength=tree.n_leaves))
    means = np.array([X[leaf == j].mean(axis=0) for j in range(tree.n_leaves)])
    np.testing.assert_allclose(tree.leaf_centroids, means, atol=1e-10)
    assert tree.leaf_inertia == pytest.approx(within(X, leaf), rel=1e-9)
    assert tree.total_inertia == pytest.approx(float(((X - X.mean(0)) ** 2).sum()), rel=1e-9)


@pytest.mark.parametrize("consolidate", [False, True])
def test_inertia_is_the_within_inertia_of_the_streamed_labels(consolidate):
    X = blobs(9_000, seed=1)
    chunks = np.array_split(X, 5)
    seg = HierarchicalSegmenter(3, n_micro=80, consolidate=consolidate, random_state=0)
    seg.fit_stream(chunks)
    labels = np.concatenate(list(seg.labels_stream(iter(chunks))))
    assert labels.shape == (9_000,)
    assert seg.inertia_ == pytest.approx(within(X, labels), rel=1e-9)
    assert (consolidate and seg.consolidation_["between_after"]
            >= seg.consolidation_["between_before"] - 1e-6) or seg.consolidation_ is None


def test_the_fit_does_not_depend_on_how_rows_are_cut_into_chunks():
    X = blobs(15_000, seed=2)
    a = HierarchicalSegmenter(3, n_micro=70, random_state=3).fit_stream(np.array_split(X, 2))
    b = HierarchicalSegmenter(3, n_micro=70, random_state=3).fit_stream(
        [X[:5], X[5:4_000], X[4_000:4_001], X[4_001:]])
    np.testing.assert_array_equal(a.tree_.leaf_weights, b.tree_.leaf_weights)
    np.testing.assert_allclose(a.tree_.leaf_centroids, b.tree_.leaf_centroids, atol=1e-9)
    np.testing.assert_array_equal(a.sample_positions_, b.sample_positions_)
    np.testing.assert_array_equal(np.concatenate(list(a.labels_stream([X]))),
                                  np.concatenate(list(b.labels_stream([X]))))


@settings(max_examples=8, deadline=None)
@given(cuts=st.lists(st.integers(1, 1_999), max_size=6, unique=True),
       order=st.permutations(range(4)))
def test_masses_sum_to_the_rows_and_equal_the_rows_assigned(cuts, order):
    X = blobs(2_000, seed=4)
    pieces = np.split(X, sorted(cuts))
    chunks = [p for p in pieces if len(p)]
    # reorder the first chunks too: chunk order changes the sample, never the bookkeeping
    head = [chunks[i] for i in order if i < len(chunks)]
    chunks = head + chunks[len(head):]
    seg = HierarchicalSegmenter(3, n_micro=20, random_state=0).fit_stream(chunks,
                                                                           sample_size=200)
    rows = np.concatenate(chunks)
    assert seg.tree_.leaf_weights.sum() == seg.n_rows_ == 2_000
    leaf = pairwise_distances_argmin(rows, seg.micro_centers_)
    np.testing.assert_array_equal(seg.tree_.leaf_weights,
                                  np.bincount(leaf, minlength=seg.tree_.n_leaves))


def test_sample_rows_carry_their_labels_and_select_cut_reads_them():
    X = blobs(12_000, seed=5)
    opts = {"rule": "silhouette", "criteria": ["silhouette", "calinski_harabasz"]}
    seg = HierarchicalSegmenter("auto", n_micro=100, k_range=(2, 6), cut_options=opts,
                                random_state=0)
    seg.fit_stream(np.array_split(X, 3), sample_size=5_000)
    assert seg.sample_.shape == (5_000, 3) and seg.n_segments_ == 3
    np.testing.assert_array_equal(seg.sample_, X[seg.sample_positions_])
    every = np.concatenate(list(seg.labels_stream(np.array_split(X, 3))))
    np.testing.assert_array_equal(seg.labels_, every[seg.sample_positions_])
    assert seg.cut_.sample_sizes["rows"] == 5_000
    result = cs.select_cut(seg, seg.sample_, k_range=(2, 6), random_state=0, **opts)
    assert result.k == seg.n_segments_


def test_the_input_chunks_are_not_modified(table_chunks):
    copies = [c.copy() for c in table_chunks[:2]]
    seg = HierarchicalSegmenter(3, n_micro=50, random_state=0)
    seg.fit_stream(table_chunks[:2], encoder=MixedDataEncoder())
    list(seg.labels_stream(table_chunks[:2]))
    for before, after in zip(copies, table_chunks[:2], strict=True):
        pd.testing.assert_frame_equal(before, after)


def test_raw_criteria_without_an_encoder_are_refused_with_the_fix(table_chunks):
    with pytest.raises(InvalidDataError, match=r"Chunk 0 of 'chunks'.*encoder="
                                               r"MixedDataEncoder\(\)"):
        HierarchicalSegmenter(2).fit_stream(table_chunks[:1])


def test_polars_chunks_eager_or_lazy_give_the_pandas_fit(table_chunks):
    pl = pytest.importorskip("polars")
    frames = [c.reset_index(drop=True) for c in table_chunks[:2]]
    ref = HierarchicalSegmenter(3, n_micro=50, random_state=0).fit_stream(
        frames, encoder=MixedDataEncoder())
    polars_chunks = [pl.from_pandas(frames[0]), pl.from_pandas(frames[1]).lazy()]
    seg = HierarchicalSegmenter(3, n_micro=50, random_state=0).fit_stream(
        polars_chunks, encoder=MixedDataEncoder())
    np.testing.assert_allclose(seg.tree_.leaf_centroids, ref.tree_.leaf_centroids, atol=1e-9)
    np.testing.assert_array_equal(seg.tree_.leaf_weights, ref.tree_.leaf_weights)


def test_labels_stream_reads_dask_arrays_partition_by_partition():
    da = pytest.importorskip("dask.array")
    X = blobs(8_000, seed=6)
    darr = da.from_array(X, chunks=(2_000, 3))
    seg = HierarchicalSegmenter(3, n_micro=50, random_state=0).fit_stream(darr)
    ref = HierarchicalSegmenter(3, n_micro=50, random_state=0).fit_stream(
        np.array_split(X, 4))
    assert seg.n_chunks_ == 4
    np.testing.assert_allclose(seg.tree_.leaf_centroids, ref.tree_.leaf_centroids, atol=1e-9)
    parts = list(seg.labels_stream(darr))
    assert [len(p) for p in parts] == [2_000] * 4


# --------------------------------------------------------------------------- quality
def test_streamed_fit_matches_the_in_memory_two_stage_fit(memory_base, table, in_memory_fit,
                                                          streamed_fit, table_chunks):
    truth = memory_base.truth.segment.reindex(table.index).to_numpy()
    labels = np.concatenate(list(streamed_fit.labels_stream(table_chunks)))
    ari_stream = adjusted_rand_score(truth, labels)
    ari_memory = adjusted_rand_score(truth, in_memory_fit.labels_)
    assert ari_memory > 0.8  # the base has structure the method finds
    assert ari_stream >= ari_memory - ARI_MARGIN
    assert adjusted_rand_score(in_memory_fit.labels_, labels) > 0.9


def test_auto_cut_chooses_the_same_k_streamed_and_in_memory(table, table_chunks):
    # gain_ratio reads the tree, i.e. all rows through the micro-clusters
    opts = {"rule": "gain_ratio", "criteria": ["gain_ratio"]}
    seg = HierarchicalSegmenter("auto", n_micro=N_MICRO, cut_options=opts, random_state=0)
    seg.fit_stream(table_chunks, encoder=MixedDataEncoder(n_components=10),
                   sample_size=SAMPLE)
    X = MixedDataEncoder(n_components=10).fit_transform(table)
    mem = HierarchicalSegmenter("auto", strategy="two_stage", n_micro=N_MICRO,
                                cut_options=opts, random_state=0).fit(X)
    assert seg.n_segments_ == mem.n_segments_ == N_SEGMENTS


# --------------------------------------------------------------------------- errors
def test_a_generator_is_refused_because_the_data_are_read_twice():
    X = blobs(100)
    with pytest.raises(InvalidParameterError, match=r"'chunks' is a one-shot iterator.*read "
                                                     r"2 times.*callable"):
        HierarchicalSegmenter(2).fit_stream(c for c in np.array_split(X, 2))


def test_a_single_frame_is_refused_with_the_fix():
    with pytest.raises(InvalidParameterError, match=r"'chunks' is a single ndarray of 100 "
                                                     r"rows.*Pass \[X\]"):
        HierarchicalSegmenter(2).fit_stream(blobs(100))


def test_a_non_iterable_is_refused():
    with pytest.raises(InvalidParameterError, match=r"'chunks' must be an iterable.*got int"):
        HierarchicalSegmenter(2).fit_stream(3)


def test_the_exact_strategy_is_refused():
    with pytest.raises(InvalidParameterError, match=r"'strategy' is 'exact'.*two_stage"):
        HierarchicalSegmenter(2, strategy="exact").fit_stream([blobs(100)])


def test_an_encoder_of_another_kind_is_refused():
    from sklearn.preprocessing import StandardScaler

    with pytest.raises(InvalidParameterError, match=r"'encoder' must be a MixedDataEncoder.*"
                                                    r"StandardScaler"):
        HierarchicalSegmenter(2).fit_stream([blobs(100)], encoder=StandardScaler())


def test_empty_chunks_are_refused_with_the_count():
    with pytest.raises(EmptyDataError, match=r"yielded 1 row\(s\) in 2 chunk\(s\)"):
        HierarchicalSegmenter(2, n_micro=2).fit_stream([blobs(1), np.empty((0, 3))])


def test_a_chunk_with_other_columns_is_named():
    with pytest.raises(InvalidDataError, match=r"Chunk 1 of 'chunks'.*3 features.*columns of "
                                               r"the first chunk"):
        HierarchicalSegmenter(2).fit_stream([blobs(100), blobs(100)[:, :2]])


def test_chunks_that_change_between_passes_are_refused():
    calls = []

    def reader():
        calls.append(1)
        return [blobs(500), blobs(500 if len(calls) == 1 else 400)]

    with pytest.raises(InvalidDataError, match="1,000 rows on the first pass and 900 on the "
                                               "second"):
        HierarchicalSegmenter(2, n_micro=20).fit_stream(reader)


def test_sample_size_below_n_micro_is_refused():
    with pytest.raises(InvalidParameterError, match=r"'sample_size' must be in \[500"):
        HierarchicalSegmenter(2).fit_stream([blobs(1_000)], sample_size=100)


def test_too_few_micro_clusters_for_the_segments_is_refused():
    X = np.repeat([[0.0, 0.0], [1.0, 1.0]], 50, axis=0)
    with pytest.raises(InvalidParameterError, match=r"Only 2 non-empty micro-cluster\(s\).*"
                                                    r"n_segments"):
        HierarchicalSegmenter(3, n_micro=10, random_state=0).fit_stream([X])


def test_labels_stream_needs_a_streamed_fit():
    X = blobs(200)
    seg = HierarchicalSegmenter(2, n_micro=20).fit_stream([X]).fit(X)  # fit forgets the stream
    assert not hasattr(seg, "sample_")
    with pytest.raises(InvalidParameterError, match=r"labels_stream needs a segmenter fitted "
                                                    r"with fit_stream.*predict"):
        seg.labels_stream([X])


# --------------------------------------------------------------------------- Parquet
def test_parquet_base_holds_the_in_memory_base(parquet_base, memory_base):
    assert parquet_base.n_parts == 4 and parquet_base.n_customers == N_CUSTOMERS
    customers = pd.read_parquet(parquet_base.customers).set_index("customer_id")
    pd.testing.assert_frame_equal(customers, memory_base.customers, check_categorical=False)
    tx = pd.read_parquet(parquet_base.transactions)
    assert len(tx) == parquet_base.n_transactions == len(memory_base.transactions)
    key = ["invoice_id", "date", "amount"]
    pd.testing.assert_frame_equal(
        tx.sort_values(key, kind="stable").reset_index(drop=True),
        memory_base.transactions.sort_values(key, kind="stable").reset_index(drop=True))
    segments = pd.read_parquet(parquet_base.segments).set_index("customer_id")
    assert (segments["segment"] == memory_base.truth.segment.astype(str)).all()
    truth = parquet_base.read_truth()
    assert truth["as_of"] == memory_base.truth.as_of
    assert truth["n_segments"] == N_SEGMENTS
    assert json.loads(parquet_base.truth.read_text())["bands"]["age"][0] is None


def test_each_transactions_part_holds_exactly_its_customers(parquet_base):
    for cust_file, tx_file in parquet_base.parts:
        ids = pd.read_parquet(cust_file, columns=["customer_id"])["customer_id"]
        tx_ids = pd.read_parquet(tx_file, columns=["customer_id"])["customer_id"]
        assert set(tx_ids.unique()) == set(ids)


def test_rfm_on_parquet_parts_equals_the_in_memory_rfm(parquet_base, memory_base):
    pl = pytest.importorskip("polars")
    as_of = memory_base.truth.as_of
    per_part = pd.concat([rfm_of(pl.scan_parquet(tx), as_of)
                          for _, tx in parquet_base.parts]).sort_index()
    whole = rfm_of(pl.scan_parquet(parquet_base.transactions / "*.parquet"), as_of).sort_index()
    ref = rfm_of(memory_base.transactions, as_of).sort_index()
    pd.testing.assert_frame_equal(per_part, ref)
    pd.testing.assert_frame_equal(whole, ref)


def test_write_refuses_a_folder_in_use_and_overwrites_on_request(tmp_path):
    write_customer_base(tmp_path, 100, random_state=0)
    with pytest.raises(InvalidParameterError, match=r"already holds 4 entries.*overwrite=True"):
        write_customer_base(tmp_path, 100, random_state=0)
    again = write_customer_base(tmp_path, 200, random_state=1, overwrite=True)
    assert len(pd.read_parquet(again.customers)) == 200


def test_write_refuses_a_file_as_folder(tmp_path):
    target = tmp_path / "base.parquet"
    target.write_text("x")
    with pytest.raises(InvalidParameterError, match=r"'path' is .*a file; pass a folder"):
        write_customer_base(target, 100)


def test_write_checks_its_flags(tmp_path):
    with pytest.raises(InvalidParameterError, match="'overwrite' must be True or False"):
        write_customer_base(tmp_path, 100, overwrite="yes")


def test_docstring_examples_run():
    pytest.importorskip("polars")
    from clientseg.hierarchy import _stream
    from clientseg.synth import _parquet

    for module in (_stream, _parquet):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0


# --------------------------------------------------------------------------- Dask
@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def segment_column(part: pd.DataFrame, segmenter: HierarchicalSegmenter) -> pd.Series:
    """Segment of every row of one partition (for Dask's map_partitions)."""
    (labels,) = segmenter.labels_stream([part])
    return pd.Series(labels, index=part.index, name="segment")


@pytest.mark.filterwarnings(NARWHALS_DASK)
def test_dask_local_cluster_runs_the_pipeline_end_to_end(dask_client, parquet_base,
                                                         memory_base, in_memory_fit, table):
    dd = pytest.importorskip("dask.dataframe")
    as_of = parquet_base.read_truth()["as_of"]
    tx = dd.read_parquet(str(parquet_base.transactions))
    assert tx.npartitions == 4
    rfm = rfm_of(tx, as_of).sort_index()
    pd.testing.assert_frame_equal(rfm, rfm_of(memory_base.transactions, as_of).sort_index())

    customers = dd.read_parquet(str(parquet_base.customers)).set_index("customer_id",
                                                                      sorted=True)
    # computed once on the workers; fit_stream still reads it partition by partition
    joined = customers.map_partitions(features, rfm).persist()
    seg = HierarchicalSegmenter(N_SEGMENTS, n_micro=N_MICRO, consolidate=True, random_state=0)
    seg.fit_stream(joined, encoder=MixedDataEncoder(n_components=10), sample_size=SAMPLE)
    assert seg.n_chunks_ == joined.npartitions == 4 and seg.n_rows_ == N_CUSTOMERS
    labels = np.concatenate(list(seg.labels_stream(joined)))
    ids = np.concatenate([joined.partitions[i].index.compute().to_numpy()
                          for i in range(joined.npartitions)])
    # the same labels computed on the workers, partition by partition, as a lazy column
    on_workers = joined.map_partitions(segment_column, seg, meta=("segment", "int64"))
    np.testing.assert_array_equal(on_workers.compute().to_numpy(), labels)
    truth = pd.read_parquet(parquet_base.segments).set_index("customer_id")["segment"]
    ari_dask = adjusted_rand_score(truth.loc[ids].to_numpy(), labels)
    ari_memory = adjusted_rand_score(
        memory_base.truth.segment.reindex(table.index).astype(str), in_memory_fit.labels_)
    assert ari_dask >= ari_memory - ARI_MARGIN
