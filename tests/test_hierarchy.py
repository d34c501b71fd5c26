"""Tests of clientseg.hierarchy: Ward trees (exact, weighted, two-stage), segmenter, encoder.

Oracles: scipy's ``linkage(X, "ward")`` for the trees, repeated rows for the weights,
direct recomputation from labels for the inertia, the FAMD distance formula for the encoder.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.cluster.hierarchy import dendrogram, fcluster, is_valid_linkage, linkage
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from clientseg import (
    HierarchicalSegmenter,
    MixedDataEncoder,
    WardTree,
    ward_linkage,
    ward_tree,
)
from clientseg.exceptions import (
    DataQualityWarning,
    EmptyDataError,
    InvalidDataError,
    InvalidParameterError,
)
from clientseg.plotting import plot_dendrogram

# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _within(X: np.ndarray, labels: np.ndarray, w: np.ndarray | None = None) -> float:
    w = np.ones(len(X)) if w is None else w
    total = 0.0
    for lab in np.unique(labels):
        m = labels == lab
        c = (w[m] @ X[m]) / w[m].sum()
        total += float(w[m] @ ((X[m] - c) ** 2).sum(axis=1))
    return total


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    return adjusted_rand_score(a, b) == 1.0


def _strict_cuts(heights: np.ndarray, rtol: float = 1e-9) -> list[int]:
    """k values whose cut lies between two clearly different heights (no tie across it)."""
    n = heights.size + 1
    ks = []
    for k in range(2, n):
        below, above = heights[n - k - 1], heights[n - k]
        if above - below > rtol * max(above, 1e-300):
            ks.append(k)
    return ks


def _shapes() -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(42)
    blobs, _ = make_blobs(400, n_features=4, centers=5, random_state=3)
    base = rng.normal(size=(60, 3))
    dupes = np.vstack([base, base[:25], base[:10]])  # exact duplicate rows
    return [
        ("two points", rng.normal(size=(2, 3))),
        ("three points 1-D", np.array([[0.0], [1.0], [5.0]])),
        ("gaussian 200x2", rng.normal(size=(200, 2))),
        ("gaussian 300x10", rng.normal(size=(300, 10))),
        ("blobs 400x4", blobs),
        ("one feature 150x1", rng.exponential(size=(150, 1))),
        ("wide 40x60", rng.normal(size=(40, 60))),
        ("duplicates 95x3", dupes),
        ("offset 200x3", rng.normal(size=(200, 3)) * 1e-3 + 1e4),
        # centring cannot help: the float32 scan's rounding dwarfs the neighbour distances,
        # so every neighbour is settled by the exact float64 re-costing
        ("far tight pairs 160x3", np.vstack([rng.normal(size=(80, 3)) * 1e-3 + 1e4,
                                             rng.normal(size=(80, 3)) * 1e-3 - 1e4])),
    ]


# --------------------------------------------------------------------------------------
# the exact tree against scipy
# --------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(("name", "X"), _shapes(), ids=[s[0] for s in _shapes()])
def test_heights_and_partitions_equal_scipy(name, X):
    Z = ward_linkage(X)
    ref = linkage(X, "ward")
    assert Z.shape == ref.shape
    assert is_valid_linkage(Z, throw=True)
    np.testing.assert_allclose(Z[:, 2], ref[:, 2], rtol=1e-9, atol=1e-12 * ref[-1, 2])
    np.testing.assert_array_equal(Z[-1, 3], len(X))
    tree = ward_tree(X)
    for k in _strict_cuts(ref[:, 2]):
        theirs = fcluster(ref, k, criterion="maxclust")
        assert _same_partition(tree.labels(k), theirs), f"{name}: partitions differ at k={k}"


def _check_greedy(X: np.ndarray, Z: np.ndarray) -> None:
    """Brute-force oracle: every merge is a cheapest pair of the clusters of its time."""
    n = len(X)
    cents = {i: X[i].astype(float) for i in range(n)}
    mass = dict.fromkeys(range(n), 1.0)
    for t, (a, b, h, _) in enumerate(Z):
        a, b = int(a), int(b)
        keys = list(cents)
        C = np.array([cents[k] for k in keys])
        W = np.array([mass[k] for k in keys])
        D = ((C[:, None] - C[None]) ** 2).sum(-1) * (W[:, None] * W[None] / (W[:, None] + W[None]))
        np.fill_diagonal(D, np.inf)
        cost = mass[a] * mass[b] / (mass[a] + mass[b]) * ((cents[a] - cents[b]) ** 2).sum()
        assert cost <= D.min() * (1 + 1e-9) + 1e-12, f"merge {t} is not a cheapest pair"
        np.testing.assert_allclose(h, np.sqrt(2 * cost), rtol=1e-9, atol=1e-12)
        cents[n + t] = (mass[a] * cents[a] + mass[b] * cents[b]) / (mass[a] + mass[b])
        mass[n + t] = mass[a] + mass[b]
        del cents[a], cents[b]


def test_quantised_data_give_a_valid_ward_tree():
    X = np.round(np.random.default_rng(3).normal(size=(200, 2)), 1)  # ties and duplicates
    _check_greedy(X, ward_linkage(X))


def test_ties_at_positive_heights_give_a_valid_ward_tree():
    # On a 4 x 4 integer grid many merges cost exactly the same; scipy's chain and our
    # heap may break those ties differently, and different ties give different (equally
    # valid) trees. Both must be greedy Ward trees and agree up to the first positive tie.
    grid = np.random.default_rng(7).integers(0, 4, size=(120, 2)).astype(float)
    Z, ref = ward_linkage(grid), linkage(grid, "ward")
    _check_greedy(grid, Z)
    _check_greedy(grid, ref)
    h = ref[:, 2]
    tied = np.flatnonzero((h[1:] == h[:-1]) & (h[1:] > 0))
    upto = int(tied[0]) if tied.size else len(h)
    np.testing.assert_allclose(Z[:upto, 2], h[:upto], rtol=1e-9, atol=1e-12 * h[-1])
    np.testing.assert_allclose(ward_tree(grid).gains.sum(), _within(grid, np.zeros(120)),
                               rtol=1e-12)


def test_children_and_labels_follow_scipy_on_distinct_data():
    X = np.random.default_rng(5).normal(size=(250, 5))
    Z, ref = ward_linkage(X), linkage(X, "ward")
    np.testing.assert_array_equal(Z[:, :2], ref[:, :2])
    np.testing.assert_array_equal(Z[:, 3], ref[:, 3])


def test_scipy_tools_accept_the_linkage():
    X = np.random.default_rng(1).normal(size=(80, 3))
    Z = ward_linkage(X)
    info = dendrogram(Z, no_plot=True)
    assert len(info["leaves"]) == 80
    for k in (1, 2, 5, 80):
        assert _same_partition(fcluster(Z, k, criterion="maxclust"), ward_tree(X).labels(k))


@pytest.mark.slow
def test_heights_never_decrease_and_cuts_are_nested():
    X, _ = make_blobs(300, centers=4, random_state=2)
    tree = ward_tree(X)
    assert np.all(np.diff(tree.linkage[:, 2]) >= 0)
    assert np.all(np.diff(tree.gains) >= -1e-12 * tree.gains.max())
    for k in range(1, 15):
        coarse, fine = tree.labels(k), tree.labels(k + 1)
        # each fine segment sits inside one coarse segment
        pairs = pd.crosstab(fine, coarse)
        assert ((pairs > 0).sum(axis=1) == 1).all()
        assert np.unique(fine).size == k + 1


def test_labels_are_numbered_by_decreasing_mass_then_centroid():
    X = np.array([[10.0], [0.0], [10.5], [0.5], [20.0], [10.2]])
    assert ward_tree(X).labels(3).tolist() == [0, 1, 0, 1, 2, 0]
    # equal masses: by centroid, whatever the row order
    X2 = np.array([[5.0], [0.0], [5.1], [0.1]])
    assert ward_tree(X2).labels(2).tolist() == [1, 0, 1, 0]
    assert ward_tree(X2[::-1]).labels(2).tolist() == [0, 1, 0, 1]


# --------------------------------------------------------------------------------------
# weights are exact
# --------------------------------------------------------------------------------------


def _repeated_vs_weighted(points: np.ndarray, weights: np.ndarray) -> None:
    tree = ward_tree(points, sample_weight=weights.astype(float))
    rep = np.repeat(points, weights, axis=0)
    ref = linkage(rep, "ward")
    n_dup_merges = int(weights.sum()) - len(points)
    # Merges of identical copies cost 0 and come first; the rest is the weighted tree.
    np.testing.assert_allclose(ref[:n_dup_merges, 2], 0.0, atol=1e-12)
    np.testing.assert_allclose(
        tree.linkage[:, 2], ref[n_dup_merges:, 2], rtol=1e-9, atol=1e-12 * ref[-1, 2]
    )
    np.testing.assert_allclose(tree.total_inertia, _within(rep, np.zeros(len(rep))), rtol=1e-9)
    np.testing.assert_allclose(tree.node_weights[-1], weights.sum())


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 25),
    d=st.integers(1, 4),
    max_w=st.integers(1, 5),
)
@pytest.mark.slow
def test_integer_weights_equal_repeated_rows(seed, n, d, max_w):
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(n, d))
    weights = rng.integers(1, max_w + 1, size=n)
    _repeated_vs_weighted(points, weights)


@pytest.mark.slow
@given(seed=st.integers(0, 2**32 - 1), n_distinct=st.integers(2, 12))
def test_integer_weights_with_duplicate_points(seed, n_distinct):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n_distinct, 2))
    points = base[rng.integers(0, n_distinct, size=n_distinct + 6)]
    weights = rng.integers(1, 4, size=len(points))
    # the tree of weighted duplicates equals the tree of the repeated rows
    rep = np.repeat(points, weights, axis=0)
    tree, ref = ward_tree(points, weights.astype(float)), linkage(rep, "ward")
    extra = int(weights.sum()) - len(points)
    np.testing.assert_allclose(
        tree.linkage[:, 2], ref[extra:, 2], rtol=1e-9, atol=1e-12 * ref[-1, 2]
    )


def test_weighted_tree_of_micro_centroids_equals_tree_of_members():
    # Ward on (centroid, size) equals Ward on the members once the members are merged.
    X = np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0], [10.0, 4.0], [30.0, 0.0]])
    groups = np.array([0, 0, 1, 1, 2])
    cents = np.array([X[groups == g].mean(axis=0) for g in range(3)])
    sizes = np.bincount(groups).astype(float)
    weighted = ward_tree(cents, sizes)
    full = ward_tree(X)
    np.testing.assert_allclose(weighted.gains, full.gains[2:], rtol=1e-12)


# --------------------------------------------------------------------------------------
# inertia bookkeeping
# --------------------------------------------------------------------------------------


def test_within_inertia_of_every_k_matches_labels():
    X, _ = make_blobs(250, n_features=3, centers=4, random_state=7)
    w = np.random.default_rng(0).uniform(0.5, 3.0, size=len(X))
    tree = ward_tree(X, sample_weight=w)
    table = tree.to_frame()
    assert list(table.columns) == ["within_inertia", "between_inertia", "r_squared", "gain",
                                   "height"]
    assert table.index[0] == 1 and table.index[-1] == len(X)
    for k in (1, 2, 3, 4, 7, 20, 249, 250):
        exact = _within(X, tree.labels(k), w)
        tol = {"rtol": 1e-9, "atol": 1e-12 * tree.total_inertia}
        np.testing.assert_allclose(table.loc[k, "within_inertia"], exact, **tol)
        np.testing.assert_allclose(tree.within_inertia(k), exact, **tol)
    np.testing.assert_allclose(tree.within_inertia(1), tree.total_inertia, rtol=1e-12)
    np.testing.assert_allclose(table["r_squared"].iloc[-1], 1.0)


def test_centroids_and_weights_of_a_cut():
    X, _ = make_blobs(120, centers=3, random_state=0)
    tree = ward_tree(X)
    lab = tree.labels(3)
    expected = np.array([X[lab == g].mean(axis=0) for g in range(3)])
    np.testing.assert_allclose(tree.centroids(3), expected, rtol=1e-10)
    np.testing.assert_array_equal(tree.weights(3), np.bincount(lab))


@pytest.mark.slow
def test_two_stage_identity_and_inertia():
    X, _ = make_blobs(6000, n_features=5, centers=5, random_state=1)
    seg = HierarchicalSegmenter(5, strategy="two_stage", n_micro=150, random_state=0).fit(X)
    tree = seg.tree_
    assert tree.n_leaves <= 150
    # micro within-inertia + every merge's gain = total inertia
    np.testing.assert_allclose(
        tree.leaf_inertia + tree.gains.sum(), _within(X, np.zeros(len(X))), rtol=1e-9
    )
    np.testing.assert_allclose(tree.leaf_inertia, _within(X, seg.micro_labels_), rtol=1e-9)
    for k in (1, 2, 5, 9):
        labels = tree.labels(k)[seg.micro_labels_]
        np.testing.assert_allclose(tree.within_inertia(k), _within(X, labels), rtol=1e-9)
    np.testing.assert_allclose(seg.inertia_, _within(X, seg.labels_), rtol=1e-9)


# --------------------------------------------------------------------------------------
# the segmenter
# --------------------------------------------------------------------------------------


def test_segmenter_exact_matches_scipy_cut():
    X, _ = make_blobs(500, centers=4, random_state=4)
    seg = HierarchicalSegmenter(4).fit(X)
    assert seg.strategy_ == "exact"
    ref = fcluster(linkage(X, "ward"), 4, criterion="maxclust")
    assert _same_partition(seg.labels_, ref)
    assert seg.labels_.dtype == np.int64 and set(seg.labels_) == {0, 1, 2, 3}
    np.testing.assert_allclose(seg.linkage_, linkage(X, "ward"), rtol=1e-9)
    np.testing.assert_allclose(seg.inertia_, seg.tree_.within_inertia(4), rtol=1e-9)


@pytest.mark.slow
def test_two_stage_recovers_clear_segments_and_consolidation_helps():
    X, y = make_blobs(20_000, n_features=6, centers=6, cluster_std=1.5, random_state=0)
    seg = HierarchicalSegmenter(6, strategy="two_stage", n_micro=200, consolidate=True,
                                random_state=0).fit(X)
    assert adjusted_rand_score(y, seg.labels_) > 0.98
    c = seg.consolidation_
    assert c["between_after"] >= c["between_before"] - 1e-9 * c["between_before"]
    np.testing.assert_allclose(seg.inertia_, seg.tree_.total_inertia - c["between_after"],
                               rtol=1e-9)
    # consolidated labels are nearest-centre labels: predict reproduces them
    np.testing.assert_array_equal(seg.predict(X), seg.labels_)


def test_auto_strategy_switches_on_size():
    X, _ = make_blobs(30, centers=2, random_state=0)
    assert HierarchicalSegmenter(2).fit(X).strategy_ == "exact"


def test_predict_assigns_to_nearest_centre():
    X, _ = make_blobs(300, centers=3, random_state=0)
    seg = HierarchicalSegmenter(3).fit(X)
    new = np.array([[-100.0, -100.0]]) + seg.cluster_centers_[1]
    assert seg.predict(new - new + seg.cluster_centers_[1]).tolist() == [1]
    d = ((X[:, None, :] - seg.cluster_centers_[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(seg.predict(X), d.argmin(axis=1))


def test_zero_weight_rows_are_left_out_of_the_tree():
    X, _ = make_blobs(60, centers=3, random_state=0)
    w = np.ones(60)
    w[:5] = 0.0
    seg = HierarchicalSegmenter(3).fit(X, sample_weight=w)
    ref = HierarchicalSegmenter(3).fit(X[5:])
    assert _same_partition(seg.labels_[5:], ref.labels_)
    assert seg.tree_.n_leaves == 55 and (seg.micro_labels_[:5] == -1).all()
    np.testing.assert_array_equal(seg.labels_[:5], seg.predict(X[:5]))


def test_segmenter_in_a_pipeline_with_the_encoder():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({
        "age": np.r_[rng.normal(25, 2, 100), rng.normal(60, 2, 100)],
        "channel": ["web"] * 100 + ["store"] * 100,
    })
    pipe = make_pipeline(MixedDataEncoder(), HierarchicalSegmenter(2)).fit(df)
    labels = pipe[-1].labels_
    assert _same_partition(labels, np.r_[np.zeros(100), np.ones(100)])
    assert pipe.predict(df.iloc[[0, 150]]).tolist() == [labels[0], labels[150]]


def test_inputs_are_not_mutated():
    X, _ = make_blobs(200, centers=3, random_state=0)
    w = np.random.default_rng(0).uniform(1, 2, size=200)
    X0, w0 = X.copy(), w.copy()
    ward_tree(X, w)
    HierarchicalSegmenter(3, strategy="two_stage", n_micro=40, consolidate=True,
                          random_state=0).fit(X, sample_weight=w)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(w, w0)
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": ["x", "y", "x", "x"]})
    df0 = df.copy()
    MixedDataEncoder(n_components=2).fit(df).transform(df)
    pd.testing.assert_frame_equal(df, df0)


def test_tree_is_immutable():
    tree = ward_tree(np.random.default_rng(0).normal(size=(10, 2)))
    assert isinstance(tree, WardTree)
    with pytest.raises(ValueError, match="read-only"):
        tree.gains[0] = 1.0


def test_progress_bar_shows_the_merges_and_leaves_the_tree_unchanged(capsys):
    pytest.importorskip("tqdm")
    X = np.random.default_rng(0).normal(size=(20, 2))
    plain = ward_tree(X)
    capsys.readouterr()
    with_bar = ward_tree(X, progress=True)
    err = capsys.readouterr().err
    # outside a notebook tqdm.auto is the text bar, on stderr: 20 rows make 19 merges
    assert "Ward merges" in err and "19/19" in err
    np.testing.assert_array_equal(with_bar.linkage, plain.linkage)
    np.testing.assert_array_equal(with_bar.gains, plain.gains)


def test_progress_without_tqdm_is_a_clear_error(monkeypatch):
    # None in sys.modules makes `import tqdm` / `from tqdm.auto import ...` raise
    # ImportError, as when tqdm is not installed, whether or not it is installed here.
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    X = np.random.default_rng(0).normal(size=(20, 2))
    msg = (r"Parameter 'progress' is True but tqdm is not installed\. Install it "
           r"\(pip install tqdm\) or pass progress=False\.")
    with pytest.raises(InvalidParameterError, match=msg):
        ward_tree(X, progress=True)
    with pytest.raises(InvalidParameterError, match=msg):
        HierarchicalSegmenter(2, progress=True).fit(X)
    # without the bar the same calls work: only progress=True needs tqdm
    assert ward_tree(X).n_leaves == 20
    assert len(np.unique(HierarchicalSegmenter(2).fit(X).labels_)) == 2


# --------------------------------------------------------------------------------------
# the encoder
# --------------------------------------------------------------------------------------


@pytest.fixture
def mixed_frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 300
    return pd.DataFrame({
        "age": rng.normal(40, 12, n),
        "visits": rng.poisson(4, n).astype(float),
        "region": rng.choice(["north", "south", "east"], n, p=[0.6, 0.3, 0.1]),
        "trial": rng.random(n) < 0.2,
        "band": pd.Categorical(rng.choice(["low", "mid", "high"], n)),
    })


def test_encoder_distances_are_famd_distances(mixed_frame):
    Z = MixedDataEncoder().fit_transform(mixed_frame)
    num = mixed_frame[["age", "visits"]].to_numpy()
    zs = (num - num.mean(0)) / num.std(0)
    i, j = np.triu_indices(40, 1)
    expected = ((zs[i] - zs[j]) ** 2).sum(1)
    for col in ("region", "trial", "band"):
        v = mixed_frame[col].astype(str).to_numpy()
        share = pd.Series(v).value_counts(normalize=True)
        differ = v[i] != v[j]
        # two different levels s, t: (1/p_s + 1/p_t); same level: 0
        expected += np.where(differ, 1 / share[v[i]].to_numpy() + 1 / share[v[j]].to_numpy(), 0)
    got = ((Z[i] - Z[j]) ** 2).sum(1)
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_encoder_components_keep_distances_and_total_inertia(mixed_frame):
    full = MixedDataEncoder().fit_transform(mixed_frame)
    enc = MixedDataEncoder(n_components=50).fit(mixed_frame)
    # FAMD's total inertia: one per numeric column, (levels - 1) per categorical one
    np.testing.assert_allclose(enc.explained_inertia_.sum(), 2 + 2 + 1 + 2, rtol=1e-10)
    coords = enc.transform(mixed_frame)
    assert coords.shape[1] == full.shape[1]
    d_full = ((full[:30, None] - full[None, :30]) ** 2).sum(-1)
    d_pc = ((coords[:30, None] - coords[None, :30]) ** 2).sum(-1)
    np.testing.assert_allclose(d_pc, d_full, rtol=1e-8, atol=1e-9)
    small = MixedDataEncoder(n_components=2).fit(mixed_frame)
    assert small.transform(mixed_frame).shape == (300, 2)
    assert small.get_feature_names_out().tolist() == ["dim_1", "dim_2"]
    # the first components carry the largest inertia, in order
    assert np.all(np.diff(enc.explained_inertia_) <= 1e-12)


def test_encoder_feature_names_and_pandas_output(mixed_frame):
    enc = MixedDataEncoder().set_output(transform="pandas").fit(mixed_frame)
    out = enc.transform(mixed_frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns[:2]) == ["age", "visits"]
    assert "region_north" in out.columns and "trial_True" in out.columns
    assert out.shape[1] == 2 + 3 + 2 + 3


def test_encoder_unseen_levels(categorical_unseen):
    train, test = categorical_unseen
    enc = MixedDataEncoder().fit(train)
    out = enc.transform(test)
    p = enc.proportions_["channel"]
    np.testing.assert_allclose(out[1, 1:], -np.sqrt(p))  # "kiosk": centre of the criterion
    with pytest.raises(InvalidDataError, match=r"'channel' has 1 values at levels unseen.*kiosk"):
        MixedDataEncoder(handle_unknown="error").fit(train).transform(test)


# --------------------------------------------------------------------------------------
# scikit-learn conformance
# --------------------------------------------------------------------------------------


@pytest.mark.slow
@parametrize_with_checks([HierarchicalSegmenter(), MixedDataEncoder()])
def test_sklearn_conformance(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------------------
# bad input: every raise and warn, with its message
# --------------------------------------------------------------------------------------


def test_nan_and_inf_are_refused(nan_matrix):
    with pytest.raises(InvalidDataError, match=r"1 value.*NaN \(first at row 4, column 1"):
        ward_linkage(nan_matrix)
    X = np.ones((5, 2))
    X[2, 0] = np.inf
    with pytest.raises(InvalidDataError, match="inf"):
        ward_tree(X)
    with pytest.raises(ValueError, match="NaN"):
        HierarchicalSegmenter().fit(nan_matrix)
    with pytest.raises(InvalidDataError, match=r"X contains 1 value.*NaN"):
        MixedDataEncoder().fit(pd.DataFrame(nan_matrix, columns=list("abc")))


def test_too_few_rows():
    with pytest.raises(EmptyDataError, match="X has 1 row; at least 2 rows are needed"):
        ward_linkage(np.ones((1, 3)))
    with pytest.raises(ValueError, match="1 sample"):
        HierarchicalSegmenter(1).fit(np.ones((1, 3)))
    with pytest.raises(InvalidDataError, match="X has 1 sample"):
        MixedDataEncoder().fit(pd.DataFrame({"a": [1.0]}))


def test_more_segments_than_rows():
    X = np.random.default_rng(0).normal(size=(5, 2))
    with pytest.raises(InvalidParameterError, match="'n_segments' is 6 but X has only 5 rows"):
        HierarchicalSegmenter(6).fit(X)
    with pytest.raises(InvalidParameterError, match="'k' is 9 but the tree has only 5 leaves"):
        ward_tree(X).labels(9)


def test_identical_rows_warn_that_segments_share_a_centre():
    X = np.vstack([np.zeros((5, 2)), np.ones((5, 2))])
    with pytest.warns(DataQualityWarning, match=r"only 2 distinct rows but n_segments=3"):
        HierarchicalSegmenter(3).fit(X)


def test_constant_column_is_harmless_for_the_tree_and_dropped_by_the_encoder():
    X = np.random.default_rng(0).normal(size=(40, 2))
    Xc = np.column_stack([X, np.full(40, 7.0)])
    np.testing.assert_allclose(ward_linkage(Xc)[:, 2], ward_linkage(X)[:, 2], rtol=1e-9)
    df = pd.DataFrame({"a": X[:, 0], "flat": 7.0})
    with pytest.warns(DataQualityWarning, match=r"1 numeric column\(s\) are constant.*'flat'"):
        enc = MixedDataEncoder().fit(df)
    assert enc.get_feature_names_out().tolist() == ["a"]
    with pytest.raises(InvalidDataError, match="Every one of the 1 column"), \
            pytest.warns(DataQualityWarning, match=r"1 numeric column\(s\) are constant"):
        MixedDataEncoder().fit(pd.DataFrame({"flat": [1.0, 1.0, 1.0]}))


def test_categorical_with_one_level_is_dropped_with_a_warning():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "country": ["FR", "FR", "FR"]})
    with pytest.warns(DataQualityWarning, match=r"single level.*'country'"):
        enc = MixedDataEncoder().fit(df)
    assert enc.categorical_columns_ == []


def test_missing_categorical_values_are_refused():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "c": ["x", None, "y"]})
    with pytest.raises(InvalidDataError, match=r"'c' has 1 missing values \(first at row 1\)"):
        MixedDataEncoder().fit(df)


def test_encoder_parameters():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "c": ["x", "y", "x"]})
    with pytest.raises(InvalidParameterError, match="'categorical' names 1 column"):
        MixedDataEncoder(categorical=["zzz"]).fit(df)
    with pytest.raises(InvalidDataError, match=r"non-numeric column.*'c'"):
        MixedDataEncoder(categorical=[]).fit(df)
    with pytest.raises(InvalidParameterError, match="'handle_unknown' must be one of"):
        MixedDataEncoder(handle_unknown="drop").fit(df)
    with pytest.raises(InvalidParameterError, match="'n_components' must be in"):
        MixedDataEncoder(n_components=0).fit(df)


def test_bad_weights():
    X = np.random.default_rng(0).normal(size=(4, 2))
    with pytest.raises(InvalidDataError, match="sample_weight has 3 values but X has 4 rows"):
        ward_tree(X, [1, 2, 3])
    with pytest.raises(InvalidDataError, match=r"1 values that are zero or negative \(first at"):
        ward_tree(X, [1, 0, 1, 1])
    with pytest.raises(InvalidDataError, match="1 values that are NaN or inf"):
        ward_tree(X, [1, np.nan, 1, 1])
    with pytest.raises(InvalidDataError, match="1 values that are negative"):
        HierarchicalSegmenter().fit(X, sample_weight=[1, -1, 1, 1])
    with pytest.raises(InvalidDataError, match="zero for all 4 rows"):
        HierarchicalSegmenter().fit(X, sample_weight=np.zeros(4))
    with pytest.raises(EmptyDataError, match="1 row with a positive weight; at least 2"):
        HierarchicalSegmenter(1).fit(X, sample_weight=[0, 0, 1, 0])


def test_non_numeric_weights_are_refused():
    X = np.random.default_rng(0).normal(size=(4, 2))
    msg = (r"sample_weight must be numeric \(could not convert string to float: .*'heavy'"
           r".*\); 1 value\(s\) are not numbers \(first at row {}: .*'heavy'\)\. Pass one "
           r"positive number per row")
    with pytest.raises(InvalidDataError, match=msg.format(0)):
        ward_linkage(X, ["heavy", 1, 1, 1])
    with pytest.raises(InvalidDataError, match=msg.format(1)):
        HierarchicalSegmenter(2).fit(X, sample_weight=[1, "heavy", 1, 1])


@pytest.mark.parametrize("n_segments", [1, "auto"])
def test_two_stage_on_identical_rows_has_nothing_to_segment(n_segments):
    # 12 copies of one row: k-means finds one non-empty micro-cluster, and a tree needs 2
    X = np.tile([[3.0, -1.0]], (12, 1))
    seg = HierarchicalSegmenter(n_segments, strategy="two_stage", n_micro=5, random_state=0)
    with pytest.raises(InvalidDataError, match=r"All rows of X fall into one micro-cluster "
                       r"\(identical rows\?\); there is nothing to segment: the 12 rows "
                       r"have 1 distinct value\(s\)\. .*pass strategy='exact'"):
        seg.fit(X)


@pytest.mark.parametrize("categorical", [3, 2.5, None])
def test_encoder_categorical_that_is_neither_auto_nor_a_list(categorical):
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "c": ["x", "y", "x"]})
    with pytest.raises(InvalidParameterError, match=r"Parameter 'categorical' must be 'auto' "
                       rf"or a list of columns; got {categorical!r}\."):
        MixedDataEncoder(categorical=categorical).fit(df)


def test_bad_segmenter_parameters():
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(InvalidParameterError, match="'strategy' must be one of"):
        HierarchicalSegmenter(strategy="fast").fit(X)
    with pytest.raises(InvalidParameterError, match="'n_segments' must be an int >= 1 or 'auto'"):
        HierarchicalSegmenter(n_segments="many").fit(X)
    with pytest.raises(InvalidParameterError, match="'n_segments' must be int"):
        HierarchicalSegmenter(n_segments=2.5).fit(X)
    with pytest.raises(InvalidParameterError, match=r"'n_micro' \(5\) is smaller than n_segm"):
        HierarchicalSegmenter(8, strategy="two_stage", n_micro=5).fit(X)
    with pytest.raises(InvalidParameterError, match="fewer than n_segments=6"):
        HierarchicalSegmenter(6, strategy="two_stage", n_micro=6, random_state=0).fit(
            np.repeat(X[:3], 5, axis=0))


# --------------------------------------------------------------------------------------
# plot
# --------------------------------------------------------------------------------------


def test_plot_dendrogram_from_a_segmenter():
    X, _ = make_blobs(400, centers=4, random_state=0)
    seg = HierarchicalSegmenter(4).fit(X)
    ax = plot_dendrogram(seg)
    assert ax.get_ylabel() == "Height (sqrt(2 x inertia gain))"
    assert "400 in all, 30 shown" in ax.get_xlabel()
    cut = [line for line in ax.get_lines() if line.get_label() == "cut: k = 4"]
    assert len(cut) == 1
    y = cut[0].get_ydata()[0]
    h = seg.linkage_[:, 2]
    assert h[-4] < y < h[-3]
    inset = ax.child_axes[0]
    assert inset.get_title() == "Inertia gain" and len(inset.patches) == 15


@pytest.mark.slow
def test_plot_dendrogram_from_linkage_or_tree_and_truncation():
    X = np.random.default_rng(0).normal(size=(3000, 2))
    tree = ward_tree(X)
    ax = plot_dendrogram(tree.linkage, truncate=12, n_gains=0)
    assert not ax.child_axes and not [ln for ln in ax.get_lines() if "cut" in ln.get_label()]
    assert "12 shown" in ax.get_xlabel()
    ax2 = tree.plot(cut=2)
    assert any(ln.get_label() == "cut: k = 2" for ln in ax2.get_lines())


def test_plot_dendrogram_bad_input():
    msg = r"needs a fitted HierarchicalSegmenter.*shape \(3, 3\)"
    with pytest.raises(InvalidDataError, match=msg):
        plot_dendrogram(np.zeros((3, 3)))
    Z = ward_linkage(np.random.default_rng(0).normal(size=(5, 2)))
    with pytest.raises(InvalidParameterError, match="'cut' is 9 but the tree has only 5 leaves"):
        plot_dendrogram(Z, cut=9)


def test_encoder_refuses_dates_instead_of_making_each_one_a_level():
    frame = pd.DataFrame({"age": [30.0, 40.0, 50.0],
                          "last_purchase": pd.to_datetime(["2025-01-01", "2025-02-01",
                                                           "2025-03-01"]),
                          "since": pd.to_timedelta([1, 2, 3], unit="D")})
    with pytest.raises(InvalidDataError, match=r"X has 2 date or duration column\(s\): "
                       r"\['last_purchase', 'since'\].*durations in days"):
        MixedDataEncoder().fit(frame)


# ------------------------------------------------------- columns that cannot be criteria


def _criteria_frame(n: int = 5_000) -> pd.DataFrame:
    rng = np.random.default_rng(8)
    return pd.DataFrame({"spend": rng.gamma(2.0, 50.0, n),
                         "region": rng.choice(list("abcdef"), n)})


def _no_encoding(monkeypatch):
    """Make any encoding work fail the test: refusals must come before it."""
    from clientseg.hierarchy import _encoding

    def boom(*args, **kwargs):
        raise AssertionError("encoding work started before the columns were checked")

    monkeypatch.setattr(_encoding.MixedDataEncoder, "_codes", staticmethod(boom))
    monkeypatch.setattr(_encoding.MixedDataEncoder, "_numeric", boom)


@pytest.mark.parametrize(("column", "values", "match"), [
    ("customer_ref", lambda n: [f"C{i:06d}" for i in range(n)],
     r"'customer_ref' \(5,000 distinct values in 5,000 rows\).*drop these columns"),
    ("first_purchase", lambda n: pd.date_range("2021-01-01", periods=n, freq="3h")
     .strftime("%d/%m/%Y %H:%M").tolist(),
     r"dates written as text: \['first_purchase'\].*durations in days"),
    ("product", lambda n: [f"sku-{i % 4_000}" for i in range(n)],
     r"'product' \(4,000 distinct values in 5,000 rows\)"),
])
def test_the_encoder_refuses_non_criteria_before_encoding(monkeypatch, column, values, match):
    X = _criteria_frame()
    X[column] = values(len(X))
    before = X.copy()
    _no_encoding(monkeypatch)
    with pytest.raises(InvalidDataError, match=r"cannot be criteria.*" + match):
        MixedDataEncoder().fit(X)
    pd.testing.assert_frame_equal(X, before)


def test_the_encoder_accepts_legitimate_columns():
    """A 40-level category and a column of unique floats are criteria."""
    rng = np.random.default_rng(9)
    X = _criteria_frame()
    X["channel"] = rng.choice([f"c{i}" for i in range(40)], len(X))
    X["balance"] = rng.normal(size=len(X))  # every value distinct, but numeric
    enc = MixedDataEncoder().fit(X)
    assert enc.categorical_columns_ == ["region", "channel"]
    assert enc.numeric_columns_ == ["spend", "balance"]
    assert enc.transform(X).shape == (len(X), 2 + 6 + 40)


def test_the_encoder_reads_polars_as_pandas():
    pl = pytest.importorskip("polars")
    X = _criteria_frame(2_000)
    expected = MixedDataEncoder().fit_transform(X)
    got = MixedDataEncoder().fit_transform(pl.from_pandas(X))
    np.testing.assert_allclose(got, expected, rtol=1e-12)
