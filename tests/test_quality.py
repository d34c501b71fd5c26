"""Tests of clientseg.quality: oracles (scikit-learn, hand formulas), synthetic truth,
properties, bad input, immutability, plots."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial.distance import cdist
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_samples,
    silhouette_score,
)

import clientseg as cs
from clientseg.exceptions import EmptyDataError, InvalidDataError, InvalidParameterError
from clientseg.quality import QUALITY_CHECK_COLUMNS, QUALITY_THRESHOLDS
from clientseg.quality._metrics import categorical_vtests
from clientseg.quality._stability import jaccard_best_match
from tests.conftest import REPO

# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------


def blobs(n_per=(60, 80, 100), d=3, spread=1.0, gap=4.0, seed=0):
    rng = np.random.default_rng(seed)
    k = len(n_per)
    centres = np.zeros((k, d))  # a regular polygon: no segment sits at the grand mean
    centres[:, 0] = gap * np.cos(2 * np.pi * np.arange(k) / k)
    centres[:, 1] = gap * np.sin(2 * np.pi * np.arange(k) / k)
    parts = [rng.normal(centres[i], spread, size=(m, d)) for i, m in enumerate(n_per)]
    labels = np.repeat([f"s{i}" for i in range(len(n_per))], n_per)
    return np.vstack(parts), labels


def synthetic_matrix(base):
    """Behaviour + RFM per customer, standardised (the segments' own criteria)."""
    c, tx = base.customers, base.transactions
    g = tx.groupby("customer_id")
    inv = g["invoice_id"].nunique()
    spend = g["amount"].sum()
    recency = (base.truth.as_of - g["date"].max()).dt.days
    df = pd.DataFrame({
        "log_invoices": np.log1p(inv), "log_spend": np.log1p(spend), "recency": recency,
        "log_basket": np.log(spend / inv),
    }).reindex(c.index)
    df["email_open_rate"] = c["email_open_rate"]
    df["site_visits"] = np.log1p(c["site_visits"])
    df["pages"] = np.log1p(c["pages_viewed"])
    df["forms"] = c["forms_filled"]
    df["contact"] = np.log1p(c["days_since_last_contact"])
    X = (df - df.mean()) / df.std()
    return X, spend.reindex(c.index).fillna(0.0).to_numpy()


@pytest.fixture(scope="module")
def synthetic(small_base):
    X, value = synthetic_matrix(small_base)
    return X, small_base.truth.segment, value


# --------------------------------------------------------------------------------------
# Oracles: scikit-learn and hand formulas
# --------------------------------------------------------------------------------------


def test_global_indices_equal_scikit_learn():
    X, labels = blobs(gap=2.0)
    report = cs.segment_quality(X, labels, random_state=0)
    ov = report.overall
    assert ov["calinski_harabasz"] == pytest.approx(calinski_harabasz_score(X, labels), rel=1e-10)
    assert ov["davies_bouldin"] == pytest.approx(davies_bouldin_score(X, labels), rel=1e-10)
    assert ov["silhouette"] == pytest.approx(silhouette_score(X, labels), rel=1e-10)
    per_point = silhouette_samples(X, labels)
    expected = pd.Series(per_point).groupby(labels).mean()
    np.testing.assert_allclose(report.segments["silhouette"], expected.loc[report.segments.index])
    assert ov["silhouette_sample_size"] == len(X)


def test_silhouette_matches_its_definition_on_tiny_data():
    X = np.array([[0.0, 0], [0, 1], [1, 0], [5, 5], [5, 6], [9, 9], [9, 8.5]])
    labels = np.array([0, 0, 0, 1, 1, 2, 2])
    D = cdist(X, X)
    s = []
    for i in range(len(X)):
        own = labels == labels[i]
        a = D[i, own & (np.arange(len(X)) != i)].mean()
        b = min(D[i, labels == c].mean() for c in set(labels) - {labels[i]})
        s.append((b - a) / max(a, b))
    report = cs.segment_quality(X, labels, thresholds={"min_count": None})
    assert report.overall["silhouette"] == pytest.approx(np.mean(s))
    expected = pd.Series(s).groupby(labels).mean().to_numpy()
    np.testing.assert_allclose(report.segments["silhouette"], expected)


def test_inertias_eta2_and_variance_ratios_match_hand_formulas():
    X, labels = blobs(d=2, seed=3)
    X[:, 1] *= 50.0  # a variable on another scale
    df = pd.DataFrame(X, columns=["a", "b"])
    report = cs.segment_quality(df, labels)
    by = df.groupby(labels)
    var_all = df.var(ddof=0)
    var_seg = by.var(ddof=0)
    n_seg = by.size()
    eta2 = 1 - (var_seg.mul(n_seg, axis=0).sum() / (len(df) * var_all))
    np.testing.assert_allclose(report.variables["eta2"], eta2[["a", "b"]])
    np.testing.assert_allclose(report.variance_ratio, (var_seg / var_all).to_numpy())
    centres = by.mean()
    sq = ((df - centres.loc[labels].to_numpy()) ** 2).sum(axis=1)
    total = ((df - df.mean()) ** 2).to_numpy().sum()
    ratio = (sq.groupby(labels).mean() / (total / len(df))).to_numpy()
    np.testing.assert_allclose(report.segments["inertia_ratio"], ratio)
    np.testing.assert_allclose(report.segments["mean_distance"],
                               np.sqrt(sq).groupby(labels).mean().to_numpy())
    assert report.overall["r2"] == pytest.approx(1 - sq.sum() / total)


def test_separation_is_the_standardised_gap_along_the_line_between_centres():
    X, labels = blobs(n_per=(40, 50, 30), d=3, gap=1.5, seed=5)
    report = cs.segment_quality(X, labels, thresholds={"min_count": None})
    names = sorted(set(labels))
    cen = {s: X[labels == s].mean(axis=0) for s in names}
    cov = {s: np.cov(X[labels == s].T, bias=True) for s in names}
    for s in names:
        best, who = np.inf, None
        for t in names:
            if t == s:
                continue
            d = cen[t] - cen[s]
            u = d / np.linalg.norm(d)
            spread = (np.sqrt(u @ cov[s] @ u) + np.sqrt(u @ cov[t] @ u)) / 2
            if np.linalg.norm(d) / spread < best:
                best, who = np.linalg.norm(d) / spread, t
        assert report.segments.loc[s, "separation"] == pytest.approx(best)
        assert report.segments.loc[s, "nearest_segment"] == who


def test_numeric_vtests_match_the_corrected_z_formula():
    X, labels = blobs(d=2, gap=0.5, seed=2)
    df = pd.DataFrame(X, columns=["a", "b"])
    report = cs.segment_quality(df, labels, thresholds={"min_count": None})
    n = len(df)
    for s in sorted(set(labels)):
        inside = df[labels == s]
        nk = len(inside)
        for col in ("a", "b"):
            sd = math.sqrt(df[col].var(ddof=0) / nk * (n - nk) / (n - 1))
            v = (inside[col].mean() - df[col].mean()) / sd
            assert report.vtests.loc[s, col] == pytest.approx(v)
            row = report.profile.query("segment == @s and variable == @col").iloc[0]
            assert row["p_value"] == pytest.approx(math.erfc(abs(v) / math.sqrt(2)))


def _catdes_by_hand(x, n, n_l, n_s):
    """FactoMineR catdes for one cell, with exact hypergeometric sums."""
    def pmf(i):
        return math.comb(n_l, i) * math.comb(n - n_l, n_s - i) / math.comb(n, n_s)
    lo, hi = max(0, n_s - (n - n_l)), min(n_l, n_s)
    below = sum(pmf(i) for i in range(lo, x))
    above = sum(pmf(i) for i in range(x + 1, hi + 1))
    p = min(2 * min(below, above) + pmf(x), 1.0)
    z = -_ndtri(p / 2)
    return (z if x / n_s > n_l / n else -z), p


def _ndtri(p):
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)


def test_categorical_vtests_match_catdes_hypergeometric_formula():
    rng = np.random.default_rng(4)
    labels = np.repeat(["a", "b", "c"], [30, 45, 25])
    level = np.where(labels == "a", rng.choice(["x", "y", "z"], 100, p=[.7, .2, .1]),
                     rng.choice(["x", "y", "z"], 100, p=[.2, .4, .4]))
    df = pd.DataFrame({"num": rng.normal(size=100), "channel": level})
    report = cs.segment_quality(df, labels, thresholds={"min_count": None})
    n = 100
    for s in ("a", "b", "c"):
        n_s = int((labels == s).sum())
        for lv in ("x", "y", "z"):
            n_l = int((level == lv).sum())
            x = int(((labels == s) & (level == lv)).sum())
            v, p = _catdes_by_hand(x, n, n_l, n_s)
            row = report.profile.query("segment == @s and level == @lv").iloc[0]
            assert row["v_test"] == pytest.approx(v, rel=1e-7, abs=1e-9)
            assert row["p_value"] == pytest.approx(p, rel=1e-7)
            assert row["segment_value"] == pytest.approx(x / n_s)
            assert report.vtests.loc[s, f"channel={lv}"] == pytest.approx(v, rel=1e-7, abs=1e-9)


def test_categorical_vtests_stay_finite_on_millions_of_customers():
    n = 2_000_000
    codes = np.repeat([0, 1], n // 2)
    level = codes.copy()  # the level is the segment: p underflows in linear space
    v, p, share = categorical_vtests(level, 2, codes, 2)
    assert np.isfinite(v).all() and v[0, 0] > 100 and v[0, 1] < -100
    assert p.min() == 0.0 and share[0, 0] == 1.0


def test_jaccard_best_match_equals_a_direct_set_computation():
    rng = np.random.default_rng(0)
    ref = rng.integers(0, 4, 300)
    refit = rng.choice(["p", "q", "r"], 300)
    got = jaccard_best_match(ref, refit, 4)
    for s in range(4):
        a = set(np.flatnonzero(ref == s))
        best = max(len(a & set(np.flatnonzero(refit == t))) / len(a | set(np.flatnonzero(
            refit == t))) for t in "pqr")
        assert got[s] == pytest.approx(best)


class _FixedRuleSegmenter:
    """A 'segmenter' that cuts the first variable at fixed edges (same answer every fit)."""

    def __init__(self, n_clusters=3, edges=(3.0, 6.0)):
        self.n_clusters = n_clusters
        self.edges = edges

    def get_params(self, deep=True):
        return {"n_clusters": self.n_clusters, "edges": self.edges}

    def set_params(self, **params):
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def fit(self, X, y=None):
        self.labels_ = np.searchsorted(self.edges, np.asarray(X)[:, 0])
        return self


def test_stability_jaccard_is_one_when_every_refit_finds_the_segments_again():
    X = np.random.default_rng(0).uniform(0.0, 9.0, size=(240, 2))
    labels = np.array(["low", "mid", "top"])[np.searchsorted((3.0, 6.0), X[:, 0])]
    res = cs.segment_stability(X, labels, estimator=_FixedRuleSegmenter(), n_boot=4,
                               random_state=0)
    np.testing.assert_allclose(res.jaccard.to_numpy(), 1.0)
    assert res.ari_runs == pytest.approx(1.0) and res.ari_labels == pytest.approx(1.0)
    assert list(res.to_frame()["status"]) == ["stable"] * 3
    assert res.jaccard.shape == (4, 3) and res.sample_size == len(X)


@pytest.mark.slow
def test_stability_is_high_for_well_separated_segments_with_kmeans_and_ward():
    X, labels = blobs(n_per=(150, 200, 250), d=4, gap=6.0)
    for est in (KMeans(n_init=3), AgglomerativeClustering(linkage="ward")):
        res = cs.segment_stability(X, labels, estimator=est, n_boot=8, random_state=1)
        assert res.jaccard.mean().min() >= 0.9
        assert res.ari_runs >= 0.9


@pytest.mark.slow
def test_stability_is_low_for_segments_cut_through_noise():
    X = np.random.default_rng(0).normal(size=(600, 4))
    labels = KMeans(n_clusters=6, n_init=3, random_state=0).fit_predict(X)
    res = cs.segment_stability(X, labels, estimator=KMeans(n_init=1), n_boot=10,
                               random_state=0)
    frame = res.to_frame()
    assert frame["jaccard_mean"].mean() < 0.6  # about 0.45: every segment dissolves
    assert (frame["status"] != "stable").all()
    assert res.ari_runs < 0.6


def test_stability_does_not_depend_on_the_number_of_jobs():
    X, labels = blobs(n_per=(60, 60, 60), gap=2.0)
    one = cs.segment_stability(X, labels, estimator=KMeans(n_init=1), n_boot=3, random_state=4)
    from joblib import parallel_config

    with parallel_config(backend="threading"):  # same dispatch, no process start-up cost
        two = cs.segment_stability(X, labels, estimator=KMeans(n_init=1), n_boot=3,
                                   random_state=4, n_jobs=2)
    pd.testing.assert_frame_equal(one.jaccard, two.jaccard)
    np.testing.assert_array_equal(one.runs, two.runs)


def test_stability_subsample_uses_the_fraction_and_a_reference_sample():
    X, labels = blobs(n_per=(300, 300, 400), d=2, gap=6.0)
    res = cs.segment_stability(X, labels, estimator=KMeans(n_init=2), method="subsample",
                               n_boot=3, sample_size=500, random_state=0)
    assert res.sample_size == 500 and res.method == "subsample"
    assert res.jaccard.mean().min() > 0.9


def test_stability_default_estimator_is_the_hierarchical_segmenter():
    X, labels = blobs(n_per=(100, 120, 80), d=3, gap=6.0)
    res = cs.segment_stability(X, labels, n_boot=4, random_state=0)
    assert res.estimator == "HierarchicalSegmenter"
    assert res.jaccard.mean().min() >= 0.9


def test_segment_quality_with_stability_adds_columns_and_a_check():
    X, labels = blobs(n_per=(120, 120, 120), d=3, gap=6.0)
    report = cs.segment_quality(X, labels, estimator=KMeans(n_init=2), n_boot=4,
                                random_state=0)
    assert report.stability is not None and report.stability.n_boot == 4
    assert {"jaccard_mean", "stability_status"} <= set(report.segments.columns)
    stab = report.checks.query("check == 'stability'")
    assert len(stab) == 3 and stab["passed"].all()
    assert report.overall["stability_ari_runs"] > 0.9


# --------------------------------------------------------------------------------------
# Synthetic truth: usable segments pass, bad ones fail
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_true_synthetic_segments_pass_every_default_check(synthetic):
    X, truth, value = synthetic
    report = cs.segment_quality(X, truth, value=value, random_state=0)
    assert report.passed, report.failures.to_string()
    assert set(report.checks["check"]) >= {"size_share", "size_count", "homogeneity",
                                           "separation", "silhouette", "recognisable",
                                           "value_share"}


def test_random_labels_of_the_same_sizes_fail_separation_and_homogeneity(synthetic):
    X, truth, _ = synthetic
    shuffled = np.random.default_rng(0).permutation(truth.to_numpy())
    report = cs.segment_quality(X, shuffled, random_state=0)
    failed = report.failures
    for check in ("separation", "homogeneity"):
        assert set(failed.loc[failed["check"] == check, "segment"]) == set(truth.unique())
    # the sizes are the true ones, so the size checks still pass
    assert not failed["check"].isin(["size_share", "size_count"]).any()


@pytest.mark.slow
def test_merging_two_true_segments_lowers_their_homogeneity(synthetic):
    X, truth, _ = synthetic
    merged = truth.astype(str).replace({"at_risk": "at_risk+loyal", "loyal": "at_risk+loyal"})
    before = cs.segment_quality(X, truth).segments["inertia_ratio"]
    after = cs.segment_quality(X, merged).segments["inertia_ratio"]
    assert after["at_risk+loyal"] > max(before["at_risk"], before["loyal"])
    others = before.drop(["at_risk", "loyal"]).rename(index=str).sort_index()
    pd.testing.assert_series_equal(after.drop("at_risk+loyal").sort_index(), others,
                                   check_index_type=False)


@pytest.mark.slow
def test_a_one_percent_segment_fails_size(synthetic):
    X, truth, _ = synthetic
    labels = truth.astype(str).to_numpy().copy()
    lost = np.flatnonzero(labels == "lost")[:30]  # 1% of 3,000
    labels[lost] = "tiny"
    report = cs.segment_quality(X, labels)
    row = report.checks.query("segment == 'tiny' and check == 'size_share'").iloc[0]
    assert not row["passed"] and row["value"] == pytest.approx(0.01)
    assert "below the minimum of 5.0%" in row["reason"]
    assert not report.checks.query("segment == 'tiny' and check == 'size_count'")["passed"].iloc[0]


@pytest.mark.slow
def test_profile_names_what_makes_true_segments_recognisable(small_base, synthetic):
    X, truth, _ = synthetic
    mixed = pd.concat([X, small_base.customers[["lifestyle", "trial", "region"]]], axis=1)
    report = cs.segment_quality(mixed, truth, n_top=3)
    top = report.top_variables
    lost = top[top["segment"] == "lost"]
    assert lost.iloc[0]["feature"] == "recency" and lost.iloc[0]["v_test"] > 10
    assert (top.groupby("segment", observed=True).size() == 3).all()
    assert report.overall["n_categorical"] == 3 and report.overall["n_numeric"] == X.shape[1]
    assert "lifestyle=premium" in report.vtests.columns and "trial=True" in report.vtests.columns
    assert "region" not in report.variables.index  # geometry uses numeric columns only


def test_segments_follow_the_categories_order_and_unused_ones_are_dropped():
    X, labels = blobs(gap=6.0)
    cat = pd.Categorical(labels, categories=["s2", "unused", "s0", "s1"])
    report = cs.segment_quality(X, cat)
    assert list(report.segments.index) == ["s2", "s0", "s1"]
    assert list(report.vtests.index) == ["s2", "s0", "s1"]
    assert report.overall["n_segments"] == 3


def test_typical_customers_are_the_closest_to_the_centre():
    X, labels = blobs(seed=7)
    idx = pd.Index(np.arange(len(X)) * 10 + 5, name="customer_id")
    report = cs.segment_quality(pd.DataFrame(X, index=idx), labels, n_typical=3)
    for s in sorted(set(labels)):
        members = np.flatnonzero(labels == s)
        d = np.linalg.norm(X[members] - X[members].mean(axis=0), axis=1)
        expected = members[np.argsort(d)[:3]]
        got = report.typical[report.typical["segment"] == s]
        assert list(got["row"]) == list(expected)
        assert list(got["customer"]) == list(idx[expected])
        assert list(got["rank"]) == [1, 2, 3]


def test_value_conversion_and_reach_match_groupby():
    X, labels = blobs(seed=1)
    rng = np.random.default_rng(1)
    value = rng.gamma(2.0, 30.0, len(X))
    conv = rng.integers(0, 2, len(X))
    reach = rng.random(len(X)) < 0.7
    report = cs.segment_quality(X, labels, value=value, converted=conv, reachable=reach)
    seg = report.segments
    by = pd.Series(value).groupby(labels)
    np.testing.assert_allclose(seg["value_total"], by.sum())
    np.testing.assert_allclose(seg["value_share"], by.sum() / value.sum())
    np.testing.assert_allclose(seg["value_median"], by.median())
    np.testing.assert_allclose(seg["value_index"], 100 * by.mean() / value.mean())
    gini = [np.abs(v[:, None] - v[None, :]).sum() / (2 * len(v) ** 2 * v.mean())
            for v in (g.to_numpy() for _, g in by)]
    np.testing.assert_allclose(seg["value_gini"], gini)
    np.testing.assert_allclose(seg["conversion_rate"], pd.Series(conv).groupby(labels).mean())
    np.testing.assert_allclose(seg["conversion_index"],
                               100 * pd.Series(conv).groupby(labels).mean() / conv.mean())
    np.testing.assert_allclose(seg["reachable_share"], pd.Series(reach).groupby(labels).mean())
    assert report.overall["value_total"] == pytest.approx(value.sum())


def test_unreachable_and_low_value_segments_fail_their_checks():
    X, labels = blobs(n_per=(150, 150, 150), gap=6.0)
    value = np.where(labels == "s0", 0.001, 100.0)
    reach = labels != "s2"
    report = cs.segment_quality(X, labels, value=value, reachable=reach)
    failed = set(zip(report.failures["segment"], report.failures["check"], strict=True))
    assert failed == {("s0", "value_share"), ("s2", "reachable")}


def test_silhouette_is_sampled_past_the_sample_size_and_reports_it():
    X, labels = blobs(n_per=(400, 300, 300), seed=3)
    report = cs.segment_quality(X, labels, silhouette_sample=250, random_state=0)
    assert report.overall["silhouette_sample_size"] == 250
    assert report.segments["silhouette_n"].sum() == 250
    full = silhouette_score(X, labels)
    assert report.overall["silhouette"] == pytest.approx(full, abs=0.05)
    again = cs.segment_quality(X, labels, silhouette_sample=250, random_state=0)
    assert again.overall["silhouette"] == report.overall["silhouette"]


# --------------------------------------------------------------------------------------
# Retention between snapshots
# --------------------------------------------------------------------------------------


def test_retention_counts_customers_who_kept_their_segment():
    t0 = pd.Series(["a", "a", "b", "b", "c"], index=[1, 2, 3, 4, 5])
    t1 = pd.Series(["b", "a", "b", "b", "a"], index=[5, 1, 2, 3, 9])  # 4 left, 9 is new
    res = cs.segment_retention(t0, t1)
    # common: 1 (a->a), 2 (a->b), 3 (b->b), 5 (c->b)
    assert res.n_customers == 4 and res.retention == pytest.approx(0.5)
    table = res.table
    assert table.loc["a", "retention"] == 0.5 and table.loc["b", "retention"] == 1.0
    assert table.loc["c", "kept"] == 0 and table.loc["c", "main_destination"] == "b"


def test_retention_with_matching_ignores_arbitrary_segment_numbers():
    rng = np.random.default_rng(0)
    t0 = rng.integers(0, 4, 500)
    t1 = np.array([2, 3, 0, 1])[t0]
    t1[:50] = rng.integers(0, 4, 50)
    plain = cs.segment_retention(t0, t1)
    matched = cs.segment_retention(t0, t1, match=True)
    assert matched.retention == pytest.approx((t1 == np.array([2, 3, 0, 1])[t0]).mean())
    assert plain.retention < 0.3 and matched.retention > 0.9
    assert matched.ari == pytest.approx(adjusted_rand_score(t0, t1))
    assert list(matched.table["matched_to"]) == [2, 3, 0, 1]


def test_segment_quality_reports_retention_against_previous_labels():
    X, labels = blobs(n_per=(150, 150, 150), gap=6.0)
    previous = labels.copy()
    previous[:60] = "s1"  # 60 of s0's 150 customers were in s1 before
    report = cs.segment_quality(X, labels, previous_labels=previous)
    assert report.segments.loc["s0", "retention"] == pytest.approx(90 / 150)
    assert report.segments.loc["s1", "retention"] == 1.0
    row = report.checks.query("segment == 's0' and check == 'retention'").iloc[0]
    assert not row["passed"] and "volatile" in row["reason"]


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------


@st.composite
def segmented(draw):
    k = draw(st.integers(2, 4))
    sizes = draw(st.lists(st.integers(3, 12), min_size=k, max_size=k))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(i * 2.0, 1.0, size=(m, 2)) for i, m in enumerate(sizes)])
    labels = np.repeat(np.arange(k), sizes)
    value = rng.gamma(1.0, 10.0, len(X)) * (rng.random(len(X)) < 0.8)
    value[0] = 1.0  # never all zero
    return X, labels, value, seed


@pytest.mark.slow
@given(segmented())
def test_shares_and_value_shares_sum_to_one(case):
    X, labels, value, _ = case
    seg = cs.segment_quality(X, labels, value=value).segments
    assert seg["share"].sum() == pytest.approx(1.0)
    assert seg["value_share"].sum() == pytest.approx(1.0)
    assert seg["count"].sum() == len(X)


@pytest.mark.slow
@given(segmented())
def test_metrics_are_invariant_to_label_renaming_and_row_order(case):
    X, labels, value, seed = case
    base = cs.segment_quality(X, labels, value=value)
    names = np.array(["zeta", "alpha", "mid", "omega"])
    renamed = cs.segment_quality(X, names[labels], value=value)
    perm = np.random.default_rng(seed).permutation(len(X))
    shuffled = cs.segment_quality(X[perm], labels[perm], value=value[perm])
    cols = ["count", "share", "inertia_ratio", "mean_distance", "separation", "silhouette",
            "value_total", "value_share", "value_median", "value_gini"]
    ref = base.segments[cols].set_axis(names[base.segments.index], axis=0).sort_index()
    pd.testing.assert_frame_equal(renamed.segments[cols].sort_index(), ref, check_names=False,
                                  check_index_type=False)
    pd.testing.assert_frame_equal(shuffled.segments[cols], base.segments[cols])
    for key in ("r2", "calinski_harabasz", "davies_bouldin", "silhouette"):
        assert renamed.overall[key] == pytest.approx(base.overall[key])
        assert shuffled.overall[key] == pytest.approx(base.overall[key])


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------


@pytest.fixture
def small():
    return blobs(n_per=(20, 20), d=2)


def test_labels_of_the_wrong_length_are_refused(small):
    X, labels = small
    with pytest.raises(InvalidDataError, match=r"labels has 39 values but X has 40 rows"):
        cs.segment_quality(X, labels[:-1])


def test_one_segment_only_is_refused(small):
    X, _ = small
    with pytest.raises(InvalidDataError, match=r"labels has 1 distinct segment\(s\) \('a'\)"):
        cs.segment_quality(X, np.full(len(X), "a"))


def test_missing_labels_are_refused(small):
    X, labels = small
    bad = pd.Series(labels, dtype=object)
    bad[[3, 7]] = None
    with pytest.raises(InvalidDataError, match=r"labels has 2 values that are missing "
                                               r"\(first at row 3\)"):
        cs.segment_quality(X, bad)


def test_nan_in_value_is_refused(small):
    X, labels = small
    value = np.ones(len(X))
    value[5] = np.nan
    with pytest.raises(InvalidDataError, match=r"value has 1 value that is NaN \(first at "
                                               r"row 5\)"):
        cs.segment_quality(X, labels, value=value)


def test_negative_value_is_refused(small):
    X, labels = small
    value = np.ones(len(X))
    value[[2, 9]] = -3.0
    with pytest.raises(InvalidDataError, match=r"value has 2 values that are negative "
                                               r"\(first at row 2\)\. Net them"):
        cs.segment_quality(X, labels, value=value)


def test_non_numeric_value_is_refused(small):
    X, labels = small
    with pytest.raises(InvalidDataError, match=r"value must be numeric"):
        cs.segment_quality(X, labels, value=np.array(["a"] * len(X)))


def test_non_binary_converted_is_refused(small):
    X, labels = small
    conv = np.zeros(len(X))
    conv[4] = 2
    with pytest.raises(InvalidDataError, match=r"converted must be binary 0/1; 1 value are "
                                               r"neither \(first at row 4"):
        cs.segment_quality(X, labels, converted=conv)


def test_nan_in_x_is_refused_naming_the_column(small):
    X, labels = small
    df = pd.DataFrame(X, columns=["a", "b"])
    df.iloc[6, 1] = np.nan
    with pytest.raises(InvalidDataError, match=r"first at row 6, column 'b'"):
        cs.segment_quality(df, labels)


def test_a_frame_without_numeric_columns_is_refused(small):
    _, labels = small
    df = pd.DataFrame({"channel": ["web", "shop"] * 20})
    with pytest.raises(InvalidDataError, match=r"X has no numeric column \(1 column"):
        cs.segment_quality(df, labels)


def test_date_columns_are_refused(small):
    X, labels = small
    df = pd.DataFrame(X, columns=["a", "b"]).assign(
        when=pd.Timestamp("2025-01-01"))
    with pytest.raises(InvalidDataError, match=r"X has 1 date column\(s\): 'when'"):
        cs.segment_quality(df, labels)


def test_unknown_threshold_names_are_refused(small):
    X, labels = small
    with pytest.raises(InvalidParameterError, match=r"1 unknown key\(s\): 'min_shares'"):
        cs.segment_quality(X, labels, thresholds={"min_shares": 0.1})
    with pytest.raises(InvalidParameterError, match=r"thresholds\['min_share'\]\" must be in"):
        cs.segment_quality(X, labels, thresholds={"min_share": -1})


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"thresholds": [("min_share", 0.1)]}, r"'thresholds' must be a dict .* got list"),
    ({"silhouette_sample": 1}, r"'silhouette_sample' must be in \[2, inf\)"),
    ({"n_top": 0}, r"'n_top' must be in \[1, inf\)"),
    ({"n_typical": 2.5}, r"'n_typical' must be int; got 2.5"),
    ({"alpha": 1.5}, r"'alpha' must be in \[0.0, 1.0\]"),
    ({"stability": "bootstrap", "stability_sample": 5}, r"'stability_sample' must be in "
                                                        r"\[10, inf\)"),
    ({"previous_labels": ["a"] * 3}, r"previous_labels has 3 values but X has 40 rows"),
    ({"reachable": np.r_[np.ones(39), 5.0]}, r"reachable must be binary 0/1; 1 value are "
                                             r"neither \(first at row 39"),
    ({"value": np.r_[np.ones(39), np.inf]}, r"value has 1 value that is inf \(first at row "
                                            r"39\)"),
    ({"value": np.array(["1"] * 39 + ["x"], dtype=object)}, r"value must be numeric \("),
])
def test_bad_parameters_are_refused_naming_them(small, kwargs, match):
    X, labels = small
    with pytest.raises((InvalidParameterError, InvalidDataError), match=match):
        cs.segment_quality(X, labels, **kwargs)


def test_an_empty_frame_and_a_bad_fraction_are_refused(small):
    X, labels = small
    with pytest.raises(EmptyDataError, match=r"X has 0 rows; at least 1 row is needed"):
        cs.segment_quality(pd.DataFrame({"a": []}), [])
    with pytest.raises(InvalidParameterError, match=r"'fraction' must be in \(0.0, 1.0\)"):
        cs.segment_stability(X, labels, estimator=KMeans(), method="subsample", fraction=1.0)
    report = cs.segment_quality(X, labels, thresholds={"min_count": None})
    with pytest.raises(InvalidParameterError, match=r"'max_features' must be at least 1"):
        report.plot("profile", max_features=0)


def test_bad_stability_options_are_refused(small):
    X, labels = small
    with pytest.raises(InvalidParameterError, match=r"'stability' must be one of"):
        cs.segment_quality(X, labels, stability="jackknife")
    with pytest.raises(InvalidParameterError, match=r"'n_boot' must be in \[2, inf\)"):
        cs.segment_stability(X, labels, estimator=KMeans(), n_boot=1)
    with pytest.raises(InvalidParameterError, match=r"'estimator' must be a scikit-learn "
                                                    r"style segmenter .* got str"):
        cs.segment_stability(X, labels, estimator="kmeans")


def test_an_estimator_returning_the_wrong_number_of_labels_is_refused(small):
    X, labels = small

    class Broken(_FixedRuleSegmenter):
        def fit(self, X, y=None):
            self.labels_ = np.zeros(3)
            return self

    with pytest.raises(InvalidParameterError, match=r"returned 3 labels for \d+ rows"):
        cs.segment_stability(X, labels, estimator=Broken(), n_boot=2)


def test_retention_needs_shared_customers():
    with pytest.raises(InvalidDataError, match=r"share no customer id"):
        cs.segment_retention(pd.Series(["a"], index=[1]), pd.Series(["a"], index=[2]))
    dup = pd.Series(["a", "b"], index=[1, 1])
    with pytest.raises(InvalidDataError, match=r"'labels_t0' has 1 duplicated customer id"):
        cs.segment_retention(dup, pd.Series(["a"], index=[1]))
    with pytest.raises(InvalidDataError, match=r"labels_t1 has 2 values but labels_t0 has 3"):
        cs.segment_retention(["a", "b", "a"], ["a", "b"])


def test_plot_kind_and_missing_stability_are_refused(small):
    X, labels = small
    report = cs.segment_quality(X, labels, thresholds={"min_count": None})
    with pytest.raises(InvalidParameterError, match=r"'kind' must be one of 'map', 'profile'"):
        report.plot("pie")
    with pytest.raises(InvalidParameterError, match=r"no stability figures"):
        report.plot("stability")


# --------------------------------------------------------------------------------------
# Inputs, immutability, outputs
# --------------------------------------------------------------------------------------


def test_inputs_are_never_modified():
    X, labels = blobs(seed=9)
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(
        channel=pd.Categorical(np.where(X[:, 0] > 2, "web", None)))
    lab = pd.Series(labels)
    value = np.abs(X[:, 0]) * 10
    conv = (X[:, 1] > 2).astype(int)
    prev = labels.copy()
    copies = [df.copy(), lab.copy(), value.copy(), conv.copy(), prev.copy()]
    cs.segment_quality(df, lab, value=value, converted=conv, reachable=conv,
                       previous_labels=prev, estimator=KMeans(n_init=1), n_boot=2,
                       random_state=0)
    pd.testing.assert_frame_equal(df, copies[0])
    pd.testing.assert_series_equal(lab, copies[1])
    for now, before in zip([value, conv, prev], copies[2:], strict=True):
        np.testing.assert_array_equal(now, before)
    t0, t1 = pd.Series(labels), pd.Series(prev)
    c0, c1 = t0.copy(), t1.copy()
    cs.segment_retention(t0, t1, match=True)
    pd.testing.assert_series_equal(t0, c0)
    pd.testing.assert_series_equal(t1, c1)


def test_missing_categorical_values_form_their_own_level():
    X, labels = blobs(seed=9)
    df = pd.DataFrame(X[:, :1], columns=["a"]).assign(
        channel=np.where(X[:, 0] > 2, "web", None))
    report = cs.segment_quality(df, labels)
    assert {"channel=web", "channel=(missing)"} <= set(report.vtests.columns)


def test_the_report_is_immutable_and_hands_out_copies(small):
    X, labels = small
    report = cs.segment_quality(X, labels, thresholds={"min_count": None})
    with pytest.raises(AttributeError, match=r"QualityReport is immutable"):
        report.checks = None
    seg = report.segments
    seg.loc[:, "share"] = 0.0
    assert report.segments["share"].sum() == pytest.approx(1.0)
    with pytest.raises(TypeError, match="does not support item assignment"):
        report.thresholds["min_share"] = 0.5  # type: ignore[index]


def test_the_report_survives_pickle_and_copy(small):
    import copy
    import pickle

    X, labels = small
    report = cs.segment_quality(X, labels, value=np.arange(len(X), dtype=float),
                                thresholds={"min_count": None})
    for other in (pickle.loads(pickle.dumps(report)), copy.deepcopy(report)):
        pd.testing.assert_frame_equal(other.segments, report.segments)
        pd.testing.assert_frame_equal(other.checks, report.checks)
        assert other.thresholds["min_count"] is None


def test_checks_table_failures_to_frame_and_summary():
    X, labels = blobs(n_per=(150, 150, 30), gap=6.0)
    report = cs.segment_quality(X, labels, value=np.ones(len(X)))
    assert tuple(report.checks.columns) == QUALITY_CHECK_COLUMNS
    assert report.checks["passed"].dtype == bool
    failures = report.failures
    assert len(failures) == (~report.checks["passed"]).sum()
    assert set(failures["check"]) == {"size_count"} and set(failures["segment"]) == {"s2"}
    assert not report.passed
    frame = report.to_frame()
    assert list(frame["segment"]) == ["s0", "s1", "s2"]
    assert list(frame["checks_failed"]) == [0, 0, 1] and list(frame["passed"]) == [
        True, True, False]
    assert frame.loc[0, "top_variables"].startswith("x")
    text = str(report.summary())
    assert "Segment quality: 3 segments" in text and "30 customers, below the minimum" in text
    html = report.summary()._repr_html_()
    assert "<table" in html and "Failed checks" in html
    assert "3 segments" in repr(report) and "checks passed" in repr(report)


def test_a_measure_that_cannot_be_computed_fails_with_its_reason():
    X, labels = blobs(n_per=(300, 300, 2), gap=6.0)
    report = cs.segment_quality(X, labels, silhouette_sample=100, value=np.zeros(len(X)),
                                thresholds={"min_count": None, "min_share": None},
                                random_state=1)
    assert report.segments.loc["s2", "silhouette_n"] == 0  # this seed leaves s2 unsampled
    rows = report.checks.set_index(["segment", "check"])
    row = rows.loc[("s2", "silhouette")]
    assert not row["passed"] and "raise silhouette_sample" in row["reason"]
    row = rows.loc[("s0", "value_share")]
    assert not row["passed"] and np.isnan(row["value"])
    assert row["reason"] == "could not be computed: the total value of the base is 0"


def test_point_like_segments_are_infinitely_separated_and_pass():
    X = np.repeat([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]], 120, axis=0)
    report = cs.segment_quality(X, np.repeat(["a", "b", "c"], 120))
    assert np.isinf(report.segments["separation"]).all()
    assert report.passed, report.failures.to_string()


def test_thresholds_can_be_switched_off_and_defaults_are_documented():
    X, labels = blobs(n_per=(150, 150, 30), gap=6.0)
    report = cs.segment_quality(X, labels, thresholds={"min_count": None})
    assert report.passed and "size_count" not in set(report.checks["check"])
    assert report.thresholds["min_count"] is None
    assert QUALITY_THRESHOLDS["min_share"] == 0.05
    guide = (REPO / "docs" / "user_guide" / "quality.md").read_text(encoding="utf-8")
    for key in QUALITY_THRESHOLDS:
        assert f"`{key}`" in guide, f"threshold {key} is not documented"


@pytest.mark.slow
def test_plots_return_axes_with_labels():
    import matplotlib.pyplot as plt

    X, labels = blobs(n_per=(120, 120, 120), gap=6.0)
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(channel=np.where(X[:, 0] > 4, "w", "s"))
    report = cs.segment_quality(df, labels, value=np.abs(X[:, 0]) + 1,
                                estimator=KMeans(n_init=1), n_boot=2, random_state=0)
    ax = report.plot()
    assert ax.get_xlabel() == "share of customers"
    assert ax.get_ylabel().startswith("value index")
    assert [t.get_text() for t in ax.texts] == ["s0", "s1", "s2"]
    ax = report.plot("profile", max_features=2)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["s0", "s1", "s2"]
    assert len(ax.get_yticklabels()) == 2
    _, given_ax = plt.subplots()
    ax = report.plot("stability", ax=given_ax)
    assert ax is given_ax and ax.get_xlabel() == "mean Jaccard over refits"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["s0", "s1", "s2"]
    assert cs.plotting.plot_segment_stability(report.stability).get_xlim()[1] > 1
    no_value = cs.segment_quality(X, labels)
    assert no_value.plot("map").get_ylabel() == "mean silhouette"


def test_pairwise_ari_between_runs_matches_a_direct_computation():
    X, labels = blobs(n_per=(50, 50, 50), gap=2.5)
    res = cs.segment_stability(X, labels, estimator=KMeans(n_init=1), n_boot=4,
                               random_state=0)
    runs = res.runs
    assert runs.shape == (4, len(X))
    aris = []
    for b, c in combinations(range(4), 2):
        both = (runs[b] >= 0) & (runs[c] >= 0)
        aris.append(adjusted_rand_score(runs[b][both], runs[c][both]))
    assert res.ari_runs == pytest.approx(np.mean(aris))
    codes = pd.factorize(labels, sort=True)[0]
    direct = [adjusted_rand_score(codes[r >= 0], r[r >= 0]) for r in runs]
    assert res.ari_labels == pytest.approx(np.mean(direct))
    for b in range(4):  # the Jaccard table is each replicate's best match
        seen = runs[b] >= 0
        np.testing.assert_allclose(res.jaccard.iloc[b],
                                   jaccard_best_match(codes[seen], runs[b][seen], 3))


@pytest.mark.slow
def test_silhouette_distances_are_formed_in_blocks_not_all_at_once():
    # 4,000 sampled rows: their whole distance matrix is 4,000² x 8 bytes = 122 MiB; formed
    # in blocks, the silhouette's peak stays near one 64 MiB block.
    import tracemalloc

    rng = np.random.default_rng(0)
    X = rng.normal(size=(4_000, 5))
    labels = rng.integers(0, 4, size=4_000)
    tracemalloc.start()
    try:
        report = cs.segment_quality(X, labels, silhouette_sample=None, random_state=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.overall["silhouette_sample_size"] == 4_000
    assert peak < 100 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def test_segment_names_read_the_top_v_tests_in_marketing_words():
    """Recent, frequent big spenders against lapsed, rare small ones; a category level."""
    rng = np.random.default_rng(12)
    n = 300
    good = rng.random(2 * n) < 0.5
    X = pd.DataFrame({
        "recency_days": np.where(good, rng.normal(10, 3, 2 * n), rng.normal(200, 30, 2 * n)),
        "frequency": np.where(good, rng.normal(20, 3, 2 * n), rng.normal(2, 0.5, 2 * n)),
        "monetary": np.where(good, rng.normal(900, 50, 2 * n), rng.normal(40, 5, 2 * n)),
        "channel": np.where(good, "web", rng.choice(["web", "store"], 2 * n)),
    })
    labels = np.where(good, "g", "b")
    report = cs.segment_quality(X, labels)
    names = report.segment_names()
    for word in ("recent", "frequent", "high spend"):
        assert word in names["g"]
    for word in ("lapsed", "rare", "low spend"):
        assert word in names["b"]
    assert report.segment_names(max_terms=4)["g"].endswith("channel web")
    flat = cs.segment_quality(rng.normal(size=(60, 2)), np.repeat([0, 1], 30))
    assert set(flat.segment_names()) <= {"typical of the base (0)", "typical of the base (1)"}
    with pytest.raises(InvalidParameterError, match="'max_terms'"):
        report.segment_names(max_terms=0)
