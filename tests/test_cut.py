"""Cut selection: criteria equal independent computations, the rule finds clear k."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_hex
from scipy.cluster.hierarchy import fcluster
from scipy.cluster.hierarchy import linkage as scipy_linkage
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

import clientseg as cs
from clientseg.cut import CUT_CRITERIA, CutResult, select_cut
from clientseg.exceptions import InvalidDataError, InvalidParameterError
from clientseg.hierarchy import HierarchicalSegmenter, ward_tree


def blobs(seed: int, centres, n: int = 80, sd: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.vstack([np.asarray(c, float) + sd * rng.normal(size=(n, len(c)))
                      for c in centres])


THREE = [[0, 0, 0], [8, 0, 0], [0, 8, 0]]


@pytest.fixture(scope="module")
def three():
    X = blobs(0, THREE)
    return X, ward_tree(X)


@pytest.fixture(scope="module")
def result(three):
    X, tree = three
    return select_cut(tree, X, k_range=(1, 8), random_state=0)


# ------------------------------------------------------------------ the chosen k


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_clear_cut_data_gets_the_true_k(seed):
    centres = [[0, 0], [9, 0], [0, 9], [9, 9]]
    X = blobs(seed, centres, n=60)
    result = select_cut(ward_tree(X), X, k_range=(1, 10), random_state=seed)
    assert result.k == 4, result.summary()


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_uniform_noise_has_no_structure(seed):
    X = np.random.default_rng(seed).uniform(size=(300, 4))
    result = select_cut(ward_tree(X), X, k_range=(1, 8), random_state=seed)
    assert result.k == 1
    assert result.reason.startswith("no structure")


def test_default_k_range_starts_at_2_and_never_answers_1():
    X = np.random.default_rng(0).uniform(size=(200, 3))
    result = select_cut(ward_tree(X), X, random_state=0)
    assert result.k >= 2
    assert list(result.table.index) == list(range(2, 11))


@pytest.mark.slow
def test_a_single_criterion_rule_returns_its_pick(result, three):
    X, tree = three
    for name in ("calinski_harabasz", "silhouette", "hartigan"):
        one = select_cut(tree, X, k_range=(1, 8), rule=name, random_state=0)
        assert one.k == result.picks[name]
        assert one.rule == name and name in one.reason


def test_result_object(result):
    assert isinstance(result, CutResult)
    assert set(result.picks.index) == set(CUT_CRITERIA)
    frame = result.to_frame()
    assert frame["chosen"].sum() == 1 and frame.index[frame["chosen"]][0] == result.k
    text = str(result.summary())
    assert text.startswith(f"Where to cut: k = {result.k}") and "gap_pc" in text
    assert result.reason in text
    assert f"<h4>Where to cut: k = {result.k}</h4>" in result.summary()._repr_html_()
    assert "CutResult(k=3" in repr(result)
    with pytest.raises(AttributeError, match="cannot assign to field 'k'"):
        result.k = 5  # immutable


# --------------------------------------------------------- criteria are right


def test_within_inertia_equals_the_one_recomputed_from_labels(result, three):
    X, tree = three
    for k in result.table.index:
        labels = tree.labels(int(k))
        centres = np.vstack([X[labels == j].mean(axis=0) for j in range(k)])
        within = ((X - centres[labels]) ** 2).sum()
        assert result.table.loc[k, "within_inertia"] == pytest.approx(within, rel=1e-9)


def test_label_criteria_equal_scikit_learn(result, three):
    X, tree = three
    for k in range(2, 9):
        labels = tree.labels(k)
        row = result.table.loc[k]
        assert row["calinski_harabasz"] == pytest.approx(
            calinski_harabasz_score(X, labels), rel=1e-9)
        assert row["davies_bouldin"] == pytest.approx(davies_bouldin_score(X, labels),
                                                      rel=1e-9)
        assert row["silhouette"] == pytest.approx(silhouette_score(X, labels), rel=1e-9)


def _silhouette_by_definition(X: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette from Rousseeuw's definition, with plain numpy (no scikit-learn)."""
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=-1))
    groups = np.unique(labels)
    s = np.zeros(len(X))
    for i in range(len(X)):
        own = labels == labels[i]
        if own.sum() == 1:  # a singleton's silhouette is 0
            continue
        a = D[i, own].sum() / (own.sum() - 1)  # D[i, i] = 0: the sum leaves i out
        b = min(D[i, labels == g].mean() for g in groups if g != labels[i])
        s[i] = (b - a) / max(a, b)
    return float(s.mean())


def test_silhouette_equals_its_definition():
    # 3 groups of 15 and one far outlier, a segment of its own at every k >= 2;
    # 46 rows (< sample_size = 2000): every row is used, no sampling
    X = np.vstack([blobs(6, [[0, 0], [5, 0], [0, 5]], n=15), [[20.0, 20.0]]])
    result = select_cut(ward_tree(X), X, k_range=(1, 12), random_state=0)
    assert result.sample_sizes["silhouette"] == len(X) == 46
    assert np.isnan(result.table.loc[1, "silhouette"])  # undefined for one segment
    Z = scipy_linkage(X, "ward")  # labels from scipy's tree, not clientseg's
    singletons = False
    for k in range(2, 13):
        labels = fcluster(Z, k, criterion="maxclust")
        assert len(np.unique(labels)) == k
        singletons |= bool((np.bincount(labels) == 1).any())
        assert result.table.loc[k, "silhouette"] == pytest.approx(
            _silhouette_by_definition(X, labels), rel=1e-9, abs=1e-12)
    assert singletons  # the s = 0 convention for a segment of one row is exercised


def test_tree_criteria_follow_their_formulas(result, three):
    X, _ = three
    n, p = X.shape
    # Within-inertia of every k from scikit-learn's Ward clustering (an independent tree).
    W = {}
    for k in range(1, 10):
        labels = (np.zeros(n, int) if k == 1 else
                  AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(X))
        W[k] = sum(((X[labels == j] - X[labels == j].mean(axis=0)) ** 2).sum()
                   for j in range(k))
    heights = np.sort(scipy_linkage(X, "ward")[:, 2])
    H = {k: heights[n - k] for k in range(2, 10)}  # merge k -> k-1
    t = result.table
    for k in range(2, 9):
        assert t.loc[k, "gain_ratio"] == pytest.approx((W[k - 1] - W[k]) / (W[k] - W[k + 1]))
        assert t.loc[k, "inertia_drop"] == pytest.approx(1 - W[k] / W[k - 1])
        assert t.loc[k, "height_jump"] == pytest.approx(H[k] - H[k + 1])
        diff = lambda j: (j - 1) ** (2 / p) * W[j - 1] - j ** (2 / p) * W[j]  # noqa: E731
        assert t.loc[k, "krzanowski_lai"] == pytest.approx(abs(diff(k) / diff(k + 1)))
        assert t.loc[k, "hartigan"] == pytest.approx((W[k] / W[k + 1] - 1) * (n - k - 1))
        z = (H[k] - heights.mean()) / heights.std(ddof=1)
        assert t.loc[k, "mojena"] == pytest.approx(z)
        assert t.loc[k, "r_squared"] == pytest.approx(1 - W[k] / W[1])
    assert t.loc[1, "hartigan"] == pytest.approx((W[1] / W[2] - 1) * (n - 2))
    assert np.isnan(t.loc[1, ["calinski_harabasz", "gain_ratio", "silhouette"]]).all()


def test_gap_statistic_equals_an_independent_computation():
    X = blobs(3, [[0, 0], [7, 1]], n=50)
    n_ref, seed = 6, 11
    result = select_cut(ward_tree(X), X, k_range=(1, 5), n_references=n_ref,
                        criteria=["gap_pc"], rule="gap_pc", random_state=seed)

    def log_w(data, k_max=6):  # W_k from scikit-learn's Ward labels, summed by hand
        out = []
        for k in range(1, k_max + 1):
            lab = (np.zeros(len(data), int) if k == 1 else AgglomerativeClustering(
                n_clusters=k, linkage="ward").fit_predict(data))
            out.append(np.log(sum(((data[lab == j] - data[lab == j].mean(0)) ** 2).sum()
                                  for j in range(k))))
        return np.array(out)

    rng = np.random.RandomState(seed)  # the same draws: no row sampling below the sizes
    centred = X - X.mean(axis=0)
    vt = np.linalg.svd(centred, full_matrices=False)[2]
    rot = centred @ vt.T
    refs = np.array([log_w((rot.min(0) + (rot.max(0) - rot.min(0))
                            * rng.random_sample(size=rot.shape)) @ vt) for _ in range(n_ref)])
    gap = refs.mean(0) - log_w(X)
    se = refs.std(0) * np.sqrt(1 + 1 / n_ref)
    np.testing.assert_allclose(result.table["gap_pc"], gap[:5], rtol=1e-9)
    np.testing.assert_allclose(result.table["gap_se"], se[:5], rtol=1e-9)
    expected = next(k for k in range(1, 6) if gap[k - 1] >= gap[k] - se[k])
    assert result.k == expected == 2


@pytest.mark.slow
@settings(max_examples=15)
@given(seed=st.integers(0, 10_000), n=st.integers(12, 60), d=st.integers(1, 4))
def test_cuts_are_nested(seed, n, d):
    X = np.random.default_rng(seed).normal(size=(n, d))
    tree = ward_tree(X)
    for k in range(1, min(n, 10)):
        coarse, fine = tree.labels(k), tree.labels(k + 1)
        # every segment of the k+1 cut lies inside one segment of the k cut
        pairs = pd.DataFrame({"fine": fine, "coarse": coarse}).drop_duplicates()
        assert pairs["fine"].is_unique
        assert len(np.unique(fine)) == k + 1


# -------------------------------------------------------------- inputs and scale


def test_a_scipy_linkage_gives_the_same_table(result, three):
    X, _ = three
    from_scipy = select_cut(scipy_linkage(X, "ward"), X, k_range=(1, 8), random_state=0)
    cols = ["within_inertia", "calinski_harabasz", "gain_ratio", "krzanowski_lai",
            "davies_bouldin", "silhouette", "gap_pc"]
    pd.testing.assert_frame_equal(from_scipy.table[cols], result.table[cols], rtol=1e-9)
    assert from_scipy.k == result.k


@pytest.mark.slow
def test_two_stage_segmenter_rows_map_to_micro_clusters():
    X = blobs(5, [[0, 0], [10, 0], [5, 9]], n=3_000, sd=1.0)
    seg = HierarchicalSegmenter(n_segments=3, strategy="two_stage", n_micro=200,
                                random_state=0).fit(X)
    result = select_cut(seg, X, k_range=(1, 8), sample_size=500, gap_sample_size=400,
                        random_state=0)
    assert result.k == 3
    assert result.sample_sizes == {"rows": 9_000, "silhouette": 500, "gap_pc": 400}
    for k in (2, 3, 5):  # within-inertia read off the tree = recomputed on all rows
        labels = seg.tree_.labels(k)[seg.micro_labels_]
        centres = np.vstack([X[labels == j].mean(axis=0) for j in range(k)])
        assert result.table.loc[k, "within_inertia"] == pytest.approx(
            ((X - centres[labels]) ** 2).sum(), rel=1e-9)
        assert result.table.loc[k, "davies_bouldin"] == pytest.approx(
            davies_bouldin_score(X, labels), rel=1e-9)


def test_inputs_are_not_modified(three):
    X, tree = three
    before = X.copy()
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame_before = frame.copy()
    select_cut(tree, frame, k_range=(2, 4), random_state=0)
    np.testing.assert_array_equal(X, before)
    pd.testing.assert_frame_equal(frame, frame_before)


def test_same_seed_same_result(three):
    X, tree = three
    a = select_cut(tree, X, k_range=(1, 6), random_state=3)
    b = select_cut(tree, X, k_range=(1, 6), random_state=3)
    pd.testing.assert_frame_equal(a.table, b.table)


# ---------------------------------------------------------- business constraints


@pytest.mark.slow
def test_small_segments_make_a_k_inadmissible():
    X = np.vstack([blobs(1, [[0, 0], [9, 0]], n=200), blobs(2, [[4, 9]], n=12)])
    free = select_cut(ward_tree(X), X, k_range=(2, 6), random_state=0)
    assert free.k == 3  # the 3% blob is a segment of its own
    held = select_cut(ward_tree(X), X, k_range=(2, 6), min_segment_share=0.05,
                      random_state=0)
    assert held.k == 2
    assert not held.table.loc[3, "admissible"]
    removed = held.removed.set_index("k")
    assert removed.loc[3, "constraint"] == "min_segment_share"
    assert f"{12 / 412:.2%} of rows < 5.00%" in removed.loc[3, "detail"]
    assert "removed by business constraints" in held.reason


def test_low_value_segments_make_a_k_inadmissible():
    X = blobs(4, [[0, 0], [9, 0], [0, 9]], n=100)
    value = np.r_[np.full(100, 10.0), np.full(100, 10.0), np.full(100, 0.1)]
    held = select_cut(ward_tree(X), X, k_range=(2, 5), min_segment_value=0.05, value=value,
                      random_state=0)
    assert held.k == 2
    assert (held.removed["constraint"] == "min_segment_value").all()
    assert held.table.loc[3, "min_value_share"] == pytest.approx(10 / 2010)


# ------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"k_range": (5, 2)}, InvalidParameterError, r"k_range' is \(5, 2\): k_min is above"),
        ({"k_range": (0, 4)}, InvalidParameterError, r"'k_range' must be in \[1, inf\)"),
        ({"k_range": 4}, InvalidParameterError, r"'k_range' must be a pair"),
        ({"k_range": (1, 500)}, InvalidParameterError, r"goes up to 500 but the tree has 240"),
        ({"criteria": ["silhouette", "elbow"]}, InvalidParameterError,
         r"1 unknown name\(s\): \['elbow'\]"),
        ({"rule": "vote"}, InvalidParameterError, r"Parameter 'rule' must be one of"),
        ({"criteria": ["silhouette"]}, InvalidParameterError,
         r"rule='default' needs the criteria \['calinski_harabasz'"),
        ({"min_segment_value": 0.1}, InvalidParameterError, r"needs 'value'"),
        ({"min_segment_value": 0.1, "value": np.r_[-1.0, np.ones(239)]}, InvalidDataError,
         r"'value' has 1 value\(s\) that are negative, NaN or inf \(first at row 0\)"),
        ({"min_segment_value": 0.1, "value": np.ones(5)}, InvalidDataError,
         r"value has 5 values but X has 240 rows"),
        ({"min_segment_share": 1.5}, InvalidParameterError,
         r"'min_segment_share' must be in \(0.0, 1.0\]"),
        ({"min_segment_share": 0.5}, InvalidParameterError,
         r"No k in k_range=\(2, 10\) meets the business constraints"),
        ({"n_references": 1}, InvalidParameterError, r"'n_references' must be in \[2, inf\)"),
    ],
)
def test_bad_parameters_are_refused(three, kwargs, error, match):
    X, tree = three
    with pytest.raises(error, match=match):
        select_cut(tree, X, **kwargs)


def test_a_tree_of_other_data_is_refused(three):
    X, tree = three
    with pytest.raises(InvalidParameterError, match=r"has 240 leaves but X has 100 rows"):
        select_cut(tree, X[:100])
    with pytest.raises(InvalidParameterError, match=r"a scipy linkage of the 100 rows"):
        select_cut(tree.linkage, X[:100])
    with pytest.raises(InvalidParameterError, match=r"must be a scipy linkage matrix, a Ward"):
        select_cut("tree", X)


def test_a_segmenter_fitted_on_other_rows_is_refused(three):
    X, _ = three
    seg = HierarchicalSegmenter(3).fit(X)
    with pytest.raises(InvalidParameterError, match=r"The segmenter was fitted on 240 rows but "
                       r"X has 100\. Pass the X the segmenter was fitted on"):
        select_cut(seg, X[:100])


def test_value_summing_to_zero_is_refused(three):
    X, tree = three
    with pytest.raises(InvalidDataError,
                       match=r"Parameter 'value' sums to 0; value shares are undefined"):
        select_cut(tree, X, min_segment_value=0.1, value=np.zeros(240))


def test_a_non_ward_linkage_is_refused(three):
    X, _ = three
    Z = scipy_linkage(X, "ward")
    Z[[0, -1], 2] = Z[[-1, 0], 2]
    with pytest.raises(InvalidParameterError, match=r"merge heights that decrease"):
        select_cut(Z, X)


def test_nan_in_X_is_refused(three):
    X, tree = three
    bad = X.copy()
    bad[7, 1] = np.nan
    with pytest.raises(InvalidDataError, match=r"X contains 1 value that is NaN \(first at row 7"):
        select_cut(tree, bad)


# ------------------------------------------------------------------------ plots


def test_criteria_plot_marks_every_pick_and_the_chosen_k(result):
    ax = result.plot()
    labels = [line.get_label() for line in ax.get_lines()]
    assert f"chosen k = {result.k}" in labels
    assert "calinski harabasz" in labels and "gap pc" in labels
    assert ax.get_xlabel() == "number of segments k"


def test_criteria_plot_circles_each_pick_on_its_curve(result):
    ax = cs.plotting.plot_cut_criteria(result)
    lines = ax.get_lines()
    curves = {ln.get_label(): ln for ln in lines if ln.get_linestyle() == "-"}
    circles = [ln for ln in lines if ln.get_marker() == "o" and ln.get_linestyle() == "None"]
    # every criterion is defined at its own pick here, so each one gets one circle
    assert len(circles) == len(result.picks) == 10
    circle_of = {}  # criterion -> its circle, matched by colour (one colour per criterion)
    for name, pick in result.picks.items():
        curve = curves[name.replace("_", " ")]
        mine = [c for c in circles
                if to_hex(c.get_markeredgecolor()) == to_hex(curve.get_color())]
        assert len(mine) == 1, name
        circle_of[name] = mine[0]
        assert list(mine[0].get_xdata()) == [pick]
        ks = list(curve.get_xdata())
        # the circle sits on the criterion's own curve, at its pick
        assert mine[0].get_ydata()[0] == pytest.approx(curve.get_ydata()[ks.index(pick)])
    # criteria that pick their best value are circled at 1 (the rescaled best):
    # max for Calinski-Harabasz and silhouette, min (flipped) for Davies-Bouldin
    for name in ("calinski_harabasz", "silhouette", "davies_bouldin"):
        assert circle_of[name].get_ydata()[0] == pytest.approx(1.0)
    chosen = [ln for ln in lines if ln.get_label() == f"chosen k = {result.k}"]
    assert len(chosen) == 1
    assert list(chosen[0].get_xdata()) == [result.k, result.k] == [3, 3]  # vertical at k
    assert chosen[0].get_linestyle() == "--"
    # a subset of criteria: only their curves and circles
    sub = cs.plotting.plot_cut_criteria(result, criteria=["silhouette", "davies_bouldin"])
    assert len([ln for ln in sub.get_lines() if ln.get_marker() == "o"]) == 2
    assert {ln.get_label() for ln in sub.get_lines() if ln.get_linestyle() == "-"} == {
        "silhouette", "davies bouldin"}


def test_inertia_gain_bars(result):
    ax = cs.plotting.plot_inertia_gains(result)
    assert len(ax.patches) == len(result.table) - 1
    gains = -result.table["within_inertia"].diff().dropna()
    np.testing.assert_allclose([p.get_height() for p in ax.patches], gains)
    assert "chosen k = 3" in ax.get_title()


# ----------------------------------------------------- HierarchicalSegmenter("auto")


@pytest.mark.slow
def test_segmenter_auto_cuts_where_select_cut_does(three):
    X, tree = three
    seg = HierarchicalSegmenter("auto", k_range=(1, 8), random_state=0).fit(X)
    direct = select_cut(tree, X, k_range=(1, 8), random_state=0)
    assert seg.n_segments_ == direct.k == 3
    pd.testing.assert_frame_equal(seg.cut_.table, direct.table)
    assert len(np.unique(seg.labels_)) == 3
    assert HierarchicalSegmenter(3).fit(X).cut_ is None


@pytest.mark.slow
def test_segmenter_auto_on_a_two_stage_tree_and_with_options():
    X = blobs(8, [[0, 0], [10, 0], [5, 9], [15, 9]], n=6_000)
    seg = HierarchicalSegmenter("auto", strategy="two_stage", n_micro=150, random_state=0,
                                cut_options={"sample_size": 800, "gap_sample_size": 300})
    seg.fit(X)
    assert seg.n_segments_ == 4
    assert seg.cut_.sample_sizes["silhouette"] == 800
    held = HierarchicalSegmenter("auto", k_range=(2, 6), random_state=0,
                                 cut_options={"rule": "silhouette"}).fit(X[:400])
    assert held.cut_.rule == "silhouette" and held.n_segments_ == held.cut_.picks["silhouette"]


def test_segmenter_auto_clips_k_range_to_small_trees():
    X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    seg = HierarchicalSegmenter("auto", random_state=0).fit(X)
    assert list(seg.cut_.table.index) == [2, 3]
    assert seg.n_segments_ == 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cut_options": {"ruel": "silhouette"}},
         r"'cut_options' has 1 unknown key\(s\): \['ruel'\]"),
        ({"cut_options": "silhouette"}, r"'cut_options' must be a dict of select_cut arguments"),
        ({"k_range": 5}, r"'k_range' must be a pair \(k_min, k_max\); got 5"),
        ({"k_range": (5, 3)}, r"'k_range' is \(5, 3\): k_min is above k_max. Swap them"),
        ({"k_range": (0, 3)}, r"'k_range' must be in \[1, inf\)"),
    ],
)
def test_segmenter_auto_refuses_bad_options(three, kwargs, match):
    X, _ = three
    with pytest.raises(InvalidParameterError, match=match):
        HierarchicalSegmenter("auto", **kwargs).fit(X)
