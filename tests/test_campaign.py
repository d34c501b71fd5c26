"""Campaign planning: curves, bands, allocation, evaluation, errors, plots, docs."""

from __future__ import annotations

import doctest
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, logit

from clientseg.campaign import (
    ALLOCATION_COLUMNS,
    DEPTH_COLUMNS,
    CampaignPlan,
    campaign_section,
    plan_campaign,
    plot_campaign,
)
from clientseg.campaign import _calibration as cal
from clientseg.exceptions import ClientsegError, InvalidDataError, InvalidParameterError

COST, VALUE = 2.0, 40.0


def _oracle_profit(p, value, cost, fixed=0.0):
    """Best expected profit of any k contacts: the k largest p * value (k = 0..n)."""
    gains = np.sort(np.asarray(p) * value)[::-1]
    k = np.arange(len(gains) + 1)
    return np.r_[0.0, np.cumsum(gains)] - np.where(k > 0, fixed + k * cost, 0.0)


# ------------------------------------------------------------------ simulated campaigns


def _campaigns(n, n_campaigns, seed0):
    """Coverage of the realised band and regret at the chosen depth over campaigns.

    Each campaign draws a fresh list: estimates p_hat ~ Beta(1, 12) and true rates
    p = p_hat * U, U ~ Uniform(0.7, 1.3): estimates right on average given the estimate
    (calibrated) but each off by up to 30%. The plan sees p_hat only.
    """
    inside, regret, width = [], [], []
    for r in range(n_campaigns):
        rng = np.random.default_rng(seed0 + r)
        p_hat = rng.beta(1.0, 12.0, n)
        p = p_hat * rng.uniform(0.7, 1.3, n)
        plan = plan_campaign(p_hat, cost_per_contact=COST, value_per_conversion=VALUE)
        sel = plan.selection()
        k = int(sel.sum())
        realised = VALUE * (rng.random(k) < p[sel]).sum() - COST * k
        lo, hi = plan.chosen_band
        inside.append(lo <= realised <= hi)
        width.append(hi - lo)
        best = _oracle_profit(p, VALUE, COST).max()
        regret.append(1 - ((p[sel] * VALUE).sum() - COST * k) / best)
        assert best > 0.1 * VALUE * p.sum()  # clearly positive
    return np.mean(inside), np.mean(width), np.max(regret)


@pytest.mark.slow
def test_realised_band_covers_95pct_of_simulated_campaigns_and_regret_is_small():
    coverage, width, worst_regret = _campaigns(20_000, 100, seed0=1_000)
    assert 0.92 <= coverage <= 0.98, (coverage, width)
    assert worst_regret <= 0.02


@pytest.mark.slow
def test_band_agrees_with_simulated_poisson_binomial_quantiles():
    rng = np.random.default_rng(3)
    p = rng.beta(1, 12, 5_000)
    plan = plan_campaign(p, cost_per_contact=COST, value_per_conversion=VALUE)
    draws = plan.simulate(20_000, n_contacts=[200, plan.chosen_n_contacts], random_state=0)
    band = plan.at([200, plan.chosen_n_contacts])
    for j in range(2):
        q_lo, q_hi = np.quantile(draws[:, j], [0.025, 0.975])
        half = (band["profit_high"].iloc[j] - band["profit_low"].iloc[j]) / 2
        assert abs(band["profit_low"].iloc[j] - q_lo) < 0.1 * half
        assert abs(band["profit_high"].iloc[j] - q_hi) < 0.1 * half
        assert draws[:, j].mean() == pytest.approx(band["expected_profit"].iloc[j],
                                                    abs=0.05 * half)


# ------------------------------------------------------------------ curves and depths


def test_curves_match_a_pandas_oracle_with_fixed_cost_and_values():
    rng = np.random.default_rng(1)
    p = rng.random(500) * 0.3
    v = rng.gamma(2, 30, 500)
    plan = plan_campaign(p, cost_per_contact=1.5, value_per_conversion=v, fixed_cost=100.0)
    df = pd.DataFrame({"p": p, "v": v, "ev": p * v}).sort_values("ev", ascending=False)
    frame = plan.to_frame(by="contact")
    assert len(frame) == 501 and list(frame.columns) == list(DEPTH_COLUMNS)
    k = np.arange(501)
    cost = np.where(k > 0, 100.0 + 1.5 * k, 0.0)
    np.testing.assert_allclose(frame["expected_revenue"], np.r_[0, df["ev"].cumsum()])
    np.testing.assert_allclose(frame["expected_conversions"], np.r_[0, df["p"].cumsum()])
    np.testing.assert_allclose(frame["cost"], cost)
    profit = np.r_[0, df["ev"].cumsum()] - cost
    np.testing.assert_allclose(frame["expected_profit"], profit)
    np.testing.assert_allclose(frame["roi"].iloc[1:], profit[1:] / cost[1:])
    assert plan.best_n_contacts == int(np.argmax(profit))
    assert plan.best_profit == pytest.approx(profit.max())


def test_percentile_rows_round_depths_up():
    plan = plan_campaign(np.linspace(0, 1, 250), cost_per_contact=1.0,
                         value_per_conversion=2.0)
    frame = plan.to_frame()
    assert len(frame) == 100
    assert frame["n_contacts"].iloc[0] == 3 and frame["n_contacts"].iloc[-1] == 250
    assert frame["n_contacts"].iloc[39] == 100  # 40% of 250


def test_budget_and_capacity_cap_the_chosen_depth():
    p = np.random.default_rng(2).beta(1, 9, 10_000)
    free = plan_campaign(p, cost_per_contact=2.0, value_per_conversion=60.0)
    assert free.best_n_contacts == int((p * 60 > 2).sum())
    assert free.chosen_n_contacts == free.best_n_contacts
    capped = plan_campaign(p, cost_per_contact=2.0, value_per_conversion=60.0,
                           fixed_cost=1_000.0, budget=5_001.0)
    assert capped.max_n_contacts == 2_000  # (5001 - 1000) / 2, rounded down
    assert capped.chosen_n_contacts == 2_000 and capped.best_n_contacts > 2_000
    assert capped.at(2_000)["cost"].iloc[0] <= 5_001.0
    both = plan_campaign(p, cost_per_contact=2.0, value_per_conversion=60.0,
                         budget=5_000.0, capacity=1_500)
    assert both.chosen_n_contacts == 1_500
    assert not both.at(1_501)["within_limits"].iloc[0]


def test_nothing_profitable_means_zero_contacts():
    plan = plan_campaign(np.full(100, 0.01), cost_per_contact=5.0, value_per_conversion=10.0)
    assert plan.best_n_contacts == 0 and plan.best_profit == 0.0
    assert np.isnan(plan.best_roi) and plan.chosen_band == (0.0, 0.0)
    assert not plan.selection().any()


def test_fixed_cost_can_make_a_small_campaign_unprofitable():
    p = np.full(100, 0.5)  # each contact is worth 5 - 1 = 4; 100 contacts 400
    assert plan_campaign(p, cost_per_contact=1.0, value_per_conversion=10.0,
                         fixed_cost=399.0).best_n_contacts == 100
    assert plan_campaign(p, cost_per_contact=1.0, value_per_conversion=10.0,
                         fixed_cost=401.0).best_n_contacts == 0


def test_series_input_gives_a_selection_with_its_index():
    p = pd.Series([0.9, 0.01, 0.5], index=["x", "y", "z"])
    sel = plan_campaign(p, cost_per_contact=1.0, value_per_conversion=10.0).selection()
    assert sel.to_dict() == {"x": True, "y": False, "z": True}


def test_inputs_are_not_mutated():
    rng = np.random.default_rng(4)
    p = pd.Series(rng.random(300) * 0.2)
    v = rng.gamma(2, 20, 300)
    seg = pd.Series(rng.choice(["a", "b"], 300))
    pc, yc = rng.random(300) * 0.2, (rng.random(300) < 0.1).astype(int)
    copies = [x.copy() for x in (p, v, seg, pc, yc)]
    plan_campaign(p, cost_per_contact=1.0, value_per_conversion=v, segments=seg,
                  segment_value={"a": 5.0}, calibration=(pc, yc), n_boot=20, random_state=0)
    for before, after in zip(copies, (p, v, seg, pc, yc), strict=True):
        if isinstance(before, pd.Series):
            pd.testing.assert_series_equal(before, after)
        else:
            np.testing.assert_array_equal(before, after)


# ------------------------------------------------------------------ hypothesis invariants

probs = st.lists(st.floats(0, 1), min_size=1, max_size=60)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(probs, st.floats(0, 5), st.floats(0, 100), st.floats(0, 50))
def test_profit_curve_is_the_cumulative_sum_and_the_best_depth_maximises_it(p, c, v, f):
    plan = plan_campaign(p, cost_per_contact=c, value_per_conversion=v, fixed_cost=f)
    oracle = _oracle_profit(p, v, c, f)
    frame = plan.to_frame(by="contact")
    np.testing.assert_allclose(frame["expected_profit"], oracle, atol=1e-9 * (1 + v * len(p)))
    assert plan.best_profit >= oracle.max() - 1e-9 * (1 + v * len(p))
    assert plan.best_n_contacts == 0 or plan.best_profit > -1e-12


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(probs, st.floats(0.1, 5), st.floats(1, 100), st.floats(0.5, 0.99))
def test_bands_contain_the_expected_profit(p, c, v, level):
    plan = plan_campaign(p, cost_per_contact=c, value_per_conversion=v, level=level)
    frame = plan.to_frame(by="contact")
    tol = 1e-9 * (1 + v * len(p))
    assert (frame["profit_low"] <= frame["expected_profit"] + tol).all()
    assert (frame["profit_high"] >= frame["expected_profit"] - tol).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 0.1, 0.2, 0.5, 1.0]),
                          st.sampled_from([1.0, 2.0, 5.0, 10.0])), min_size=1, max_size=40),
       st.randoms(use_true_random=False))
@pytest.mark.slow
def test_input_order_does_not_matter(rows, random):
    p, v = (np.array(x) for x in zip(*rows, strict=True))
    perm = np.array(random.sample(range(len(p)), len(p)))
    a = plan_campaign(p, cost_per_contact=0.5, value_per_conversion=v)
    b = plan_campaign(p[perm], cost_per_contact=0.5, value_per_conversion=v[perm])
    pd.testing.assert_frame_equal(a.to_frame(by="contact"), b.to_frame(by="contact"))
    assert a.best_n_contacts == b.best_n_contacts


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(probs, st.floats(0.5, 5), st.floats(5, 50))
def test_chosen_depth_respects_the_budget_and_is_best_within_it(p, c, budget):
    plan = plan_campaign(p, cost_per_contact=c, value_per_conversion=20.0,
                         budget=max(budget, c))
    k = plan.chosen_n_contacts
    assert k * c <= max(budget, c) + 1e-9
    oracle = _oracle_profit(p, 20.0, c)[: plan.max_n_contacts + 1]
    assert plan.chosen_profit == pytest.approx(oracle.max(), abs=1e-9 * (1 + 20 * len(p)))


# ------------------------------------------------------------------ segments


def test_allocation_per_segment_matches_groupby_of_the_selection():
    rng = np.random.default_rng(5)
    n = 3_000
    seg = rng.choice(["gold", "silver", "bronze"], n)
    p = rng.beta(1, 9, n) * np.where(seg == "gold", 1.0, 0.5)
    plan = plan_campaign(p, cost_per_contact=2.0, value_per_conversion=30.0, segments=seg,
                         segment_value={"gold": 80.0}, budget=1_500.0)
    alloc = plan.to_frame(by="segment")
    assert list(alloc.columns) == list(ALLOCATION_COLUMNS)
    assert alloc["chosen"].sum() == plan.chosen_n_contacts == 750
    value = np.where(seg == "gold", 80.0, 30.0)
    sel = plan.selection()
    df = pd.DataFrame({"seg": seg, "p": p, "ev": p * value, "sel": sel})
    # the 750 chosen are the 750 largest p * value, whatever their segment
    assert df.loc[sel, "ev"].min() >= df.loc[~sel, "ev"].max()
    got = alloc.set_index("segment")
    want = df[df["sel"]].groupby("seg").agg(chosen=("p", "size"), conv=("p", "sum"),
                                            rev=("ev", "sum"), last=("p", "min"))
    assert got["chosen"].to_dict() == want["chosen"].to_dict()
    np.testing.assert_allclose(got.loc[want.index, "expected_revenue"], want["rev"])
    np.testing.assert_allclose(got.loc[want.index, "expected_conversions"], want["conv"])
    np.testing.assert_allclose(got.loc[want.index, "last_probability"], want["last"])
    assert got.loc["gold", "value_per_conversion"] == 80.0
    # the next contact of every segment is worth no more than the last one taken overall
    assert (got["next_marginal_profit"].dropna()
            <= df.loc[sel, "ev"].min() - 2.0 + 1e-9).all()


def test_grades_as_segments_give_per_grade_depths():
    p = np.r_[np.full(100, 0.4), np.full(100, 0.1), np.full(100, 0.01)]
    grades = pd.Categorical(np.repeat(["A", "B", "C"], 100), categories=["A", "B", "C"])
    plan = plan_campaign(p, cost_per_contact=1.0, value_per_conversion=20.0, segments=grades)
    alloc = plan.allocation.set_index("segment")
    assert alloc["share_chosen"].to_dict() == {"A": 1.0, "B": 1.0, "C": 0.0}


# ------------------------------------------------------------------ calibration band


@pytest.mark.slow
def test_calibration_map_matches_statsmodels_logit_on_logit_p():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(6)
    p_cal = rng.beta(1, 6, 30_000)
    y = (rng.random(30_000) < expit(-0.4 + 1.3 * logit(p_cal))).astype(int)
    fit = cal.fit_calibration(p_cal, y, n_boot=0, rng=rng)
    ref = sm.Logit(y, sm.add_constant(logit(p_cal))).fit(disp=0).params
    assert fit.a == pytest.approx(ref[0], abs=2e-3)
    assert fit.b == pytest.approx(ref[1], abs=2e-3)


@pytest.mark.slow
def test_calibration_band_matches_a_naive_row_bootstrap():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(7)
    p_cal = rng.beta(1, 6, 3_000)
    y = (rng.random(3_000) < p_cal).astype(int)
    p = rng.beta(1, 6, 2_000)
    plan = plan_campaign(p, cost_per_contact=COST, value_per_conversion=VALUE,
                         calibration=(p_cal, y), n_boot=400, random_state=0)
    k = plan.chosen_n_contacts
    a, b = plan.calibration_map
    q = expit(a + b * logit(p))
    top = np.argsort(-q)[:k]
    revs = []
    X = sm.add_constant(logit(p_cal))
    for _ in range(300):  # resample calibration rows, refit, re-price the same contacts
        i = rng.integers(0, 3_000, 3_000)
        ab = sm.Logit(y[i], X[i]).fit(disp=0).params
        revs.append((expit(ab[0] + ab[1] * logit(p[top])) * VALUE).sum())
    lo, hi = np.quantile(np.array(revs) - COST * k, [0.025, 0.975])
    got_lo, got_hi = plan.chosen_calibration_band
    width = hi - lo
    assert abs(got_lo - lo) < 0.15 * width and abs(got_hi - hi) < 0.15 * width
    assert got_lo < plan.chosen_profit < got_hi


def test_calibration_recalibrates_overconfident_probabilities():
    rng = np.random.default_rng(8)
    true = rng.beta(1, 9, 20_000)
    shown = expit(2.0 * logit(true))  # over-confident model: slope 1/2 recovers the truth
    y = (rng.random(20_000) < true).astype(int)
    plan = plan_campaign(shown[:10_000], cost_per_contact=COST, value_per_conversion=VALUE,
                         calibration=(shown[10_000:], y[10_000:]), n_boot=50,
                         random_state=0)
    a, b = plan.calibration_map
    assert b == pytest.approx(0.5, abs=0.05) and a == pytest.approx(0.0, abs=0.15)
    best = _oracle_profit(true[:10_000], VALUE, COST)
    assert plan.best_profit == pytest.approx(best.max(), rel=0.05)
    lo, hi = plan.best_depth_range
    assert lo <= plan.best_n_contacts <= hi


def test_taylor_blocks_agree_with_the_exact_bootstrap():
    rng = np.random.default_rng(9)
    x = np.sort(logit(rng.beta(1, 9, 50_000)))[::-1]
    v = rng.gamma(2, 20, 50_000)
    boot = np.c_[rng.normal(0, 0.1, 30), rng.normal(1, 0.1, 30)]
    depths = np.array([0, 10, 500, 12_345, 50_000])
    exact = cal.boot_revenue(x, v, depths, boot, exact=True)
    approx = cal.boot_revenue(x, v, depths, boot, exact=False)
    np.testing.assert_allclose(approx, exact, rtol=1e-3, atol=1e-6)


# ------------------------------------------------------------------ evaluation


def test_evaluate_compares_realised_with_expected_profit():
    rng = np.random.default_rng(10)
    p = rng.beta(1, 9, 4_000)
    y = (rng.random(4_000) < p).astype(int)
    plan = plan_campaign(p, cost_per_contact=COST, value_per_conversion=VALUE)
    ev = plan.evaluate(y)
    top = np.argsort(-p)[: plan.chosen_n_contacts]
    assert ev.realised_conversions == y[top].sum()
    assert ev.realised_profit == pytest.approx(VALUE * y[top].sum() - COST * len(top))
    assert ev.expected_profit == pytest.approx(plan.chosen_profit)
    sd = np.sqrt((p[top] * (1 - p[top])).sum()) * VALUE
    assert ev.z == pytest.approx((ev.realised_profit - ev.expected_profit) / sd)
    assert ev.inside_band == (ev.band[0] <= ev.realised_profit <= ev.band[1])
    spend = np.where(y == 1, rng.gamma(2, 20, 4_000), 0.0)
    ev2 = plan.evaluate(y, realised_value=spend)
    assert ev2.realised_profit == pytest.approx(spend[top].sum() - COST * len(top))
    frame = ev.to_frame()
    assert {"realised_profit", "z", "inside_band"} <= set(frame.columns)
    assert "Campaign evaluation" in str(ev.summary())


def _bank(shared_file):
    path = shared_file("bank_additional_full_41188_reduced17cols.csv.gz")
    bank = pd.read_csv(path, sep=";")
    y = bank.pop("y")
    return bank.drop(columns="duration"), y


@pytest.mark.realdata
@pytest.mark.slow
def test_bank_plan_on_a_held_out_half(shared_file):
    import clientseg as cs

    X, y = _bank(shared_file)
    assert len(X) == 41_188 and int(y.sum()) == 4_640
    half = np.random.default_rng(0).permutation(len(X)) < len(X) // 2
    card = cs.LogisticScorecard(ridge=1.0).fit(X[half], y[half])
    p = card.predict_proba(X[~half])[:, 1]
    plan = plan_campaign(p, cost_per_contact=5.0, value_per_conversion=60.0,
                         calibration=(card.predict_proba(X[half])[:, 1], y[half]),
                         random_state=0)
    ev = plan.evaluate(y[~half])
    y_out = y[~half].to_numpy()
    # the realised profit read off by hand, for the plan's own chosen contacts
    sel = plan.selection()
    assert ev.realised_profit == pytest.approx(60.0 * y_out[sel].sum() - 5.0 * sel.sum())
    assert abs(ev.z) < 3  # a fresh half behaves as the plan says
    a, b = plan.calibration_map
    assert abs(a) < 0.2 and 0.85 < b < 1.15
    # targeting pays: the chosen depth beats calling everybody, realised and expected
    everyone = 60.0 * y_out.sum() - 5.0 * len(y_out)
    assert ev.realised_profit > everyone and plan.chosen_profit > plan.at(len(p))[
        "expected_profit"].iloc[0]


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"cost_per_contact": -1.0}, InvalidParameterError, r"'cost_per_contact'.*>= 0"),
    ({"fixed_cost": -5.0}, InvalidParameterError, r"'fixed_cost'.*>= 0.*income"),
    ({"value_per_conversion": -3.0}, InvalidParameterError, r"'value_per_conversion'"),
    ({"value_per_conversion": [1.0, 2.0]}, InvalidDataError,
     r"'value_per_conversion' has 2 values for 4 contacts"),
    ({"budget": 1.5}, InvalidParameterError,
     r"'budget' \(1.50\) is below the cost of one contact.*at least 2.00"),
    ({"budget": 5.0, "fixed_cost": 4.0}, InvalidParameterError,
     r"fixed_cost 4.00 \+ cost_per_contact 2.00 = 6.00"),
    ({"capacity": 0}, InvalidParameterError, r"'capacity' must be at least 1"),
    ({"segments": ["a", "b"]}, InvalidDataError, r"'segments' has 2 labels for 4 contacts"),
    ({"segments": pd.Categorical(["a"] * 4, categories=["a", "b"])}, InvalidDataError,
     r"'segments' has 1 categories with no contacts \('b'\).*remove_unused_categories"),
    ({"segments": ["a", None, "b", "a"]}, InvalidDataError,
     r"'segments' has 1 missing labels.*fillna"),
    ({"segments": ["a", "a", "b", "b"], "segment_value": {"c": 3.0}}, InvalidDataError,
     r"'segment_value' names 1 segments with no contacts \('c'\)"),
    ({"segment_value": {"a": 3.0}}, InvalidParameterError, r"'segment_value' needs segments"),
    ({"n_boot": 5}, InvalidParameterError, r"'n_boot' is 5.*n_boot >= 20"),
    ({"level": 95}, InvalidParameterError, r"'level'.*0.95"),
    ({"calibration": ([0.1, 0.2], [0, 1])}, InvalidDataError,
     r"'calibration' has 1 converted and 1 non-converted.*at least 10"),
    ({"calibration": ([0.1, 0.2], [0, 2])}, InvalidDataError,
     r"'calibration' has 1 values that are not 0/1"),
    ({"random_state": "seed"}, InvalidParameterError, r"'random_state'"),
])
def test_bad_parameters_are_refused_with_the_fix(kwargs, error, match):
    args = {"cost_per_contact": 2.0, "value_per_conversion": 10.0, **kwargs}
    with pytest.raises(error, match=match):
        plan_campaign([0.1, 0.2, 0.3, 0.4], **args)


@pytest.mark.parametrize(("p", "match"), [
    ([0.2, 57.0, 80.0], r"'probabilities' has 2 values outside \[0, 1\] \(first at "
                        r"position 1: 57\).*predict_proba\(X\)\[:, 1\]"),
    ([0.2, -0.1], r"outside \[0, 1\].*not scores on 0..100 points or log-odds"),
    ([0.2, np.nan, np.nan], r"'probabilities' has 2 NaN values \(first at position 1\)"),
    (np.full((3, 2), 0.5), r"2 columns.*predict_proba\(X\)\[:, 1\]"),
    ([], r"'probabilities' has no contacts"),
])
def test_probabilities_outside_0_1_or_nan_are_refused(p, match):
    with pytest.raises(ClientsegError, match=match):
        plan_campaign(p, cost_per_contact=1.0, value_per_conversion=10.0)


def test_errors_are_value_errors_and_evaluate_checks_its_outcomes():
    plan = plan_campaign([0.1, 0.5], cost_per_contact=1.0, value_per_conversion=10.0)
    with pytest.raises(ValueError, match=r"'converted' has 1 outcomes for 2 contacts"):
        plan.evaluate([1])
    with pytest.raises(InvalidDataError, match=r"'converted' has 1 values that are not 0/1"):
        plan.evaluate([1, 3])
    with pytest.raises(InvalidParameterError, match=r"to_frame\(by='segment'\) needs segm"):
        plan.to_frame(by="segment")
    with pytest.raises(InvalidParameterError, match=r"'by' must be one of"):
        plan.to_frame(by="grade")
    with pytest.raises(InvalidParameterError, match=r"'n_contacts' must hold integer depths"):
        plan.at(3)


# ------------------------------------------------------------------ results and plots


@pytest.mark.slow
def test_result_is_immutable_picklable_and_renders():
    p = np.random.default_rng(11).beta(1, 9, 1_000)
    plan = plan_campaign(p, cost_per_contact=COST, value_per_conversion=VALUE,
                         segments=np.repeat(["a", "b"], 500),
                         calibration=(p, (p > 0.2).astype(int)), n_boot=20, random_state=0)
    with pytest.raises(AttributeError, match="immutable"):
        plan.best_n_contacts = 3
    again = pickle.loads(pickle.dumps(plan))
    assert isinstance(again, CampaignPlan) and again.best_profit == plan.best_profit
    text = str(plan.summary())
    assert "realised-profit band (95%)" in text and "calibration band" in text
    assert "Allocation by segment" in text
    assert "<table>" in plan._repr_html_()
    assert plan.allocation is not plan.allocation  # copies
    html = campaign_section(plan, evaluation=plan.evaluate((p > 0.1).astype(int)))
    assert html.count("<img") == 1 and "Campaign evaluation" in html


def test_plot_returns_the_axes_with_bands_and_roi():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = np.random.default_rng(12).beta(1, 9, 5_000)
    plan = plan_campaign(p, cost_per_contact=COST, value_per_conversion=VALUE,
                         budget=2_000.0, calibration=(p, (p > 0.2).astype(int)), n_boot=20,
                         random_state=0)
    _fig, ax = plt.subplots()
    out = plan.plot(ax=ax)
    assert out is ax and ax.get_ylabel() == "expected profit"
    assert ax.right_ax.get_ylabel() == "ROI (profit / cost)"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("realised-profit band" in t for t in labels)
    assert any("calibration band" in t for t in labels)
    assert any(t.startswith("chosen: 1,000") for t in labels)
    ax2 = plot_campaign(plan, roi=False, realised=plan.evaluate((p > 0.15).astype(int)))
    assert ax2 is not ax and "realised profit" in [
        t.get_text() for t in ax2.get_legend().get_texts()]
    assert not hasattr(ax2, "right_ax")


@pytest.mark.slow
def test_docstring_examples_run():
    import matplotlib

    matplotlib.use("Agg")
    from clientseg.campaign import _plan, _plotting, _report

    for module in (_plan, _plotting, _report):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0 and result.failed == 0, module.__name__


@pytest.mark.slow
def test_campaign_guide_runs(tmp_path, monkeypatch):
    from tests.test_docs import DOCS, run_page

    ns = run_page(DOCS / "user_guide" / "campaign.md", None, tmp_path, monkeypatch)
    plan = ns["plan"]
    assert plan.best_n_contacts > 0 and plan.to_frame(by="segment")["chosen"].sum() == \
        plan.chosen_n_contacts
    assert ns["evaluation"].n_contacts == plan.chosen_n_contacts
    gold = ns["by_value"].allocation.set_index("segment").loc["gold"]
    assert gold["value_per_conversion"] == pytest.approx(ns["value"]["gold"])


def test_a_cost_of_a_few_subnormals_gives_an_infinite_roi_without_warning():
    """Found by hypothesis in CI: fixed_cost=5e-324 made profit / cost overflow."""
    plan = plan_campaign(np.array([1.0]), cost_per_contact=0.0, value_per_conversion=1.0,
                         fixed_cost=5e-324, n_boot=0, random_state=0)
    assert np.isinf(plan.to_frame()["roi"].to_numpy()[-1])
    str(plan.summary())
