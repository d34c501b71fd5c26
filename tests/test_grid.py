"""PointsGrid: the team's own grid, read from files, applied on every engine, tested on data."""

from __future__ import annotations

import itertools
import sqlite3
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

import clientseg as cs
from clientseg.exceptions import (
    DataQualityWarning,
    InvalidParameterError,
    MissingColumnsError,
)
from clientseg.scorecard import GridError, GridRule, GridScaleWarning, PointsGrid

B2B_CSV = """criterion,rule,points
# company size: employees
company_size,< 10,-10
company_size,"[10, 250)",15
company_size,>= 250,30
company_size,missing,0
sector,in: industry | services,25
sector,in: public,-5
sector,else,5
forms_filled,< 1,0
forms_filled,"[1, 3)",20
forms_filled,>= 3,45
"""


@pytest.fixture
def b2b_grid():
    return PointsGrid.read_csv(B2B_CSV)


@pytest.fixture
def b2b_contacts():
    return pd.DataFrame({"company_size": [5.0, 10.0, 249.0, 250.0, np.nan],
                         "sector": ["industry", "public", "retail", None, "services"],
                         "forms_filled": [0, 1, 3, 2, 7]})


# ------------------------------------------------------------------ applying a grid


def test_points_follow_the_rules_by_hand(b2b_grid, b2b_contacts):
    # row by row from the file: -10+25+0, 15-5+20, 15+5+45, 30+5+20 (None: else), 0+25+45
    assert b2b_grid.points(b2b_contacts).tolist() == [15.0, 30.0, 65.0, 55.0, 70.0]
    assert b2b_grid.grade(b2b_contacts).tolist() == ["C", "C", "B", "B", "A"]
    assert b2b_grid.best_total == 100.0 and b2b_grid.worst_total == -15.0


def test_breakdown_adds_up_and_input_is_not_mutated(b2b_grid, b2b_contacts):
    before = b2b_contacts.copy()
    parts = b2b_grid.points_breakdown(b2b_contacts)
    assert parts["sector"].tolist() == [25.0, -5.0, 5.0, 5.0, 25.0]
    total = parts["start"] + parts[["company_size", "sector", "forms_filled"]].sum(axis=1)
    assert (total == parts["score"]).all()
    pd.testing.assert_frame_equal(b2b_contacts, before)


def test_grid_in_python_equals_grid_from_csv_and_json(b2b_grid, b2b_contacts, tmp_path):
    written = PointsGrid({
        "company_size": [("< 10", -10), ("[10, 250)", 15), (">= 250", 30), ("missing", 0)],
        "sector": [(["industry", "services"], 25), ("public", -5), ("else", 5)],
        "forms_filled": [GridRule("range", 0, high=1), ("[1, 3)", 20), (">= 3", 45)],
    })
    b2b_grid.to_json(tmp_path / "grid.json")
    b2b_grid.to_csv(tmp_path / "grid.csv")
    for other in (written, PointsGrid.read_json(tmp_path / "grid.json"),
                  PointsGrid.read_csv(tmp_path / "grid.csv")):
        pd.testing.assert_frame_equal(other.to_frame(), b2b_grid.to_frame())
        assert other.points(b2b_contacts).tolist() == [15.0, 30.0, 65.0, 55.0, 70.0]


def test_category_values_that_look_like_numbers_round_trip():
    grid = PointsGrid({"code": [(["7", 7, True, "a|b", "else"], 100), ("else", 0)]})
    again = PointsGrid.read_csv(grid.to_csv())
    assert again.rules("code")[0].values == ("7", 7, True, "a|b", "else")
    X = pd.DataFrame({"code": pd.Series(["7", "8", "a|b", "else"], dtype=object)})
    assert again.points(X).tolist() == [100.0, 0.0, 100.0, 100.0]


def test_values_no_rule_takes_score_zero_with_a_warning():
    grid = PointsGrid({"sector": [("in: industry", 60), ("in: retail", 40)]}, max_points=60)
    with pytest.warns(DataQualityWarning, match=r"no rule of the grid takes in 1 criterion\(s\) "
                      r"\('sector': 2 rows\).*Add an 'else' rule"):
        got = grid.points(pd.DataFrame({"sector": ["industry", "farm", None]}))
    assert got.tolist() == [60.0, 0.0, 0.0]


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(("rows", "match"), [
    ('size,"[0, 10)",5\nsize,"[20, 50)",10\nsize,>= 50,20\nsize,< 0,0',
     r"Criterion 'size' has 1 gap\(s\) between ranges: no rule takes \[10, 20\).*"
     r"Make '\[20, 50\)' start at 10"),
    ('size,"[0, 10)",5\nsize,"[5, 50)",10\nsize,>= 50,20\nsize,< 0,0',
     r"Criterion 'size' has 1 overlap\(s\) between ranges: '\[0, 10\)' and '\[5, 50\)' both "
     r"take \[5, 10\)\. Make each range start where the previous one ends"),
    ('size,"[0, 10)",5\nsize,>= 10,20',
     r"Criterion 'size' has a gap: no rule takes the values below 0\. Open the end range"),
    ('sector,in: a | b,5\nsector,in: b | c,10',
     r"Criterion 'sector' has 1 overlapping category value\(s\): 'b' is in rule 'in: a \| b' "
     r"and in rule 'in: b \| c'\. Keep each value in one rule only"),
    ('size,< 10,5\nsize,in: big,10', r"Criterion 'size' mixes 1 numeric range\(s\) with 1 "
     r"category list\(s\)"),
    ('size,<= 10,5', r"Criterion 'size' has a rule '<= 10' that cannot be read\. Ranges are "
     r"right-open"),
    ('size,"[10, ten)",5', r"Criterion 'size' has a range '\[10, ten\)' whose bound 'ten' is "
     r"not a number"),
    ('size,< 10,five', r"Criterion 'size', rule '< 10' has points 'five', not a finite number"),
    ('size,else,1\nsize,else,2', r"Criterion 'size' has 2 'else' rules; it may have one"),
    ('size,"[10, 5)",1\nsize,else,2', r"Criterion 'size' has an empty range '\[10, 5\)'"),
])
def test_grid_file_errors_name_the_criterion_and_the_fix(rows, match):
    with pytest.raises(GridError, match=match):
        PointsGrid.read_csv("criterion,rule,points\n" + rows + "\n")


@pytest.mark.slow
def test_unknown_column_names_the_criterion_on_every_engine(b2b_grid, b2b_contacts):
    pl = pytest.importorskip("polars")
    X = b2b_contacts.rename(columns={"sector": "sectr"})
    match = (r"The grid's criterion 'sector' names a column that X does not have \(1 of 3 "
             r"criteria unknown\).*Rename the criterion in the grid")
    with pytest.raises(MissingColumnsError, match=match):
        b2b_grid.points(X)
    with pytest.raises(MissingColumnsError, match=match):
        b2b_grid.points(pl.from_pandas(X))


def test_file_level_errors():
    with pytest.raises(GridError, match=r"header lacks 1 column\(s\): \['points'\]"):
        PointsGrid.read_csv("criterion,rule\nsize,< 10\n")
    with pytest.raises(GridError, match=r"Line 2 of the grid file has 4 field\(s\), not 3.*"
                       r"Quote a rule that holds a comma"):
        PointsGrid.read_csv("criterion,rule,points\nsize,[1, 3),5\n")
    with pytest.raises(InvalidParameterError, match=r"no such file"):
        PointsGrid.read_csv("no_such_grid.csv")
    with pytest.raises(GridError, match=r"not valid JSON"):
        PointsGrid.read_json("{criteria: }")
    with pytest.raises(GridError, match=r"Criterion 'x' has a rule \{'points': 3\} without"):
        PointsGrid.read_json('{"criteria": {"x": [{"points": 3}]}}')
    with pytest.raises(InvalidParameterError, match=r"at least 2 distinct grades"):
        PointsGrid({"x": [("else", 100)]}, grade_cutoffs=(50,), grade_labels=("A", "B", "C"))
    with pytest.raises(GridError, match=r"Criterion 'x' has a rule 5 that is not a "
                       r"\(rule, points\) pair"):
        PointsGrid({"x": [5]})


def test_best_total_off_the_maximum_warns_and_normalize_rescales():
    rules = {"a": [("< 1", 0), (">= 1", 30)], "b": [("in: x", 30), ("else", -10)]}
    with pytest.warns(GridScaleWarning, match=r"best possible total is 60 points, not its "
                      r"stated maximum 100.*Pass normalize=True"):
        PointsGrid(rules)
    grid = PointsGrid(rules, normalize=True)
    assert grid.best_total == 100.0
    # x 100/60: 30 -> 50, -10 -> -16.67 -> -17
    assert [r.points for r in grid.rules("a")] == [0.0, 50.0]
    assert [r.points for r in grid.rules("b")] == [50.0, -17.0]


# ------------------------------------------------------------------ from a learned card


@pytest.fixture(scope="module")
def synthetic():
    base = cs.synth.make_customer_base(n_customers=500, n_contacts=20_000, random_state=3)
    X = base.contacts.drop(columns="converted")
    return base, X, base.contacts["converted"].to_numpy()


@pytest.fixture(scope="module")
def card(synthetic):
    _, X, y = synthetic
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the card's own fit notes are tested elsewhere
        return cs.LogisticScorecard().fit(X, y)


@pytest.mark.slow
def test_from_scorecard_gives_the_cards_totals_and_grades(synthetic, card):
    _, X, _ = synthetic
    grid = PointsGrid.from_scorecard(card)
    np.testing.assert_array_equal(grid.points(X).to_numpy(), card.points(X).to_numpy())
    assert grid.grade(X).tolist() == card.grade(X).tolist()
    assert grid.best_total == pytest.approx(100.0)
    again = PointsGrid.read_json(grid.to_json())
    np.testing.assert_array_equal(again.points(X).to_numpy(), card.points(X).to_numpy())


def test_from_scorecard_keeps_unseen_and_missing_handling(synthetic, card):
    _, X, _ = synthetic
    odd = X.head(3).copy()
    odd["lead_origin"] = odd["lead_origin"].cat.add_categories(["fax"])
    odd.iloc[0, odd.columns.get_loc("lead_origin")] = "fax"
    odd.iloc[1, odd.columns.get_loc("age")] = np.nan
    grid = PointsGrid.from_scorecard(card)
    with pytest.warns(DataQualityWarning, match=r"not seen at fit time"):
        expected = card.points(odd)
    np.testing.assert_array_equal(grid.points(odd).to_numpy(), expected.to_numpy())


# ------------------------------------------------------------------ engines and SQL


def _all_paths(grid: PointsGrid, X: pd.DataFrame) -> dict[str, tuple[np.ndarray, list]]:
    pl = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    out = {"pandas": (grid.points(X).to_numpy(), grid.grade(X).astype(str).tolist())}
    frame = pl.from_pandas(X)
    out["polars"] = (grid.points(frame).to_numpy(), grid.grade(frame).to_list())
    lazy = grid.grade(frame.lazy()).collect()
    out["polars-lazy"] = (grid.points(frame.lazy()).collect()["score"].to_numpy(),
                          lazy["grade"].to_list())
    rel = duckdb.from_arrow(frame.to_arrow())
    pts = grid.points(rel).pl()
    grd = grid.grade(rel).pl()
    out["duckdb"] = (pts["score"].to_numpy(), grd["grade"].to_list())
    data = X.reset_index(drop=True).assign(row_id=np.arange(len(X)))
    sql = grid.to_sql(table="contacts", id_col="row_id")
    con = duckdb.connect()
    con.register("contacts", data)
    got = con.execute(sql).df().sort_values("row_id")
    out["duckdb-sql"] = (got["score"].to_numpy(dtype=float), got["grade"].tolist())
    lite = sqlite3.connect(":memory:")
    data.to_sql("contacts", lite, index=False)
    got = pd.read_sql_query(sql, lite).sort_values("row_id")
    out["sqlite-sql"] = (got["score"].to_numpy(dtype=float), got["grade"].tolist())
    return out


def _assert_same(paths):
    ref_pts, ref_grades = paths["pandas"]
    for name, (pts, grades) in paths.items():
        np.testing.assert_array_equal(pts, ref_pts, err_msg=name)
        assert list(grades) == list(ref_grades), name


@pytest.mark.slow
def test_every_engine_and_sql_agree_on_the_b2b_grid(b2b_grid, b2b_contacts):
    _assert_same(_all_paths(b2b_grid, b2b_contacts))


@st.composite
def grids_and_data(draw):
    n_num = draw(st.integers(0, 2))
    n_cat = draw(st.integers(0 if n_num else 1, 2))
    points = st.integers(-20, 40).map(float) | st.sampled_from([0.5, -2.25, 12.75])
    criteria, columns = {}, {}
    n = draw(st.integers(1, 25))
    for i in range(n_num):
        edges = sorted(draw(st.sets(st.integers(-50, 50), min_size=1, max_size=4)))
        rules = [(f"< {edges[0]}", draw(points))]
        rules += [(f"[{a}, {b})", draw(points)) for a, b in itertools.pairwise(edges)]
        rules.append((f">= {edges[-1]}", draw(points)))
        rules.append(("missing", draw(points)) if draw(st.booleans()) else ("else", draw(points)))
        criteria[f"num {i}"] = rules
        values = draw(st.lists(st.sampled_from(edges) | st.floats(-60, 60) | st.none(),
                               min_size=n, max_size=n))
        columns[f"num {i}"] = pd.Series(values, dtype=float)
    letters = [*"abcdef", "o'k"]
    for i in range(n_cat):
        chosen = draw(st.lists(st.sampled_from(letters), unique=True, min_size=1, max_size=5))
        cut = draw(st.integers(1, len(chosen)))
        rules = [(chosen[:cut], draw(points))]
        if cut < len(chosen):
            rules.append((chosen[cut:], draw(points)))
        if draw(st.booleans()):
            rules.append(("missing", draw(points)))
        rules.append(("else", draw(points)))
        criteria[f'cat "{i}"'] = rules
        values = draw(st.lists(st.sampled_from([*letters, "zz"]) | st.none(), min_size=n,
                               max_size=n))
        columns[f'cat "{i}"'] = pd.Series(values, dtype=object)
    best = sum(max(p for _, p in rules) for rules in criteria.values())
    hi = draw(st.integers(-30, 90))
    cuts = (float(hi), float(hi - draw(st.integers(0, 40))))
    grid = PointsGrid(criteria, max_points=best, grade_cutoffs=cuts)
    return grid, pd.DataFrame(columns)


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(grids_and_data())
def test_property_random_grids_agree_on_every_engine_and_sql(case):
    grid, X = case
    paths = _all_paths(grid, X)
    _assert_same(paths)
    # grades are the shared grading function's: first threshold the score reaches
    pts = paths["pandas"][0]
    expected = np.where(pts >= grid.grade_cutoffs[0], "A",
                        np.where(pts >= min(grid.grade_cutoffs), "B", "C"))
    assert paths["pandas"][1] == expected.tolist()


# ------------------------------------------------------------------ against conversions


@pytest.fixture(scope="module")
def simulated():
    """x drives conversion (rate rises with it), noise does not, region 'north' converts less."""
    rng = np.random.default_rng(11)
    n = 30_000
    X = pd.DataFrame({"x": rng.uniform(0, 10, n), "noise": rng.uniform(0, 10, n),
                      "region": rng.choice(["north", "south", "east"], n)})
    logit = -2.0 + 0.3 * X["x"] - 0.8 * (X["region"] == "north")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int).to_numpy()
    return X, y


def _grid(x_pts, noise_pts, region_pts):
    return PointsGrid({"x": [("< 5", x_pts[0]), (">= 5", x_pts[1])],
                       "noise": [("< 5", noise_pts[0]), (">= 5", noise_pts[1])],
                       "region": [("in: north", region_pts[0]), ("else", region_pts[1])]},
                      max_points=max(x_pts) + max(noise_pts) + max(region_pts))


@pytest.mark.slow
def test_evaluate_accepts_a_right_grid(simulated):
    X, y = simulated
    report = _grid((0, 60), (0, 0), (0, 40)).evaluate(X, y)
    assert report.flagged == []
    assert report.disagreements.empty
    assert report.auc == pytest.approx(roc_auc_score(y, _grid((0, 60), (0, 0), (0, 40))
                                                     .points(X)))


@pytest.mark.slow
def test_evaluate_names_reversed_and_unsupported_criteria(simulated):
    X, y = simulated
    report = _grid((60, 0), (0, 30), (0, 40)).evaluate(X, y)
    assert set(report.flagged) == {"x", "noise"}
    verdicts = report.criteria.set_index("criterion")["verdict"]
    assert verdicts["x"] == "its points go against conversions"
    assert verdicts["noise"] == "its points are not supported by conversions"
    bad = report.disagreements.set_index("rule")
    # x < 5 earns 60 points but converts below the base rate; x >= 5 the reverse
    assert bad.loc["< 5", "verdict"] == "earns points but converts below the base rate"
    assert bad.loc[">= 5", "verdict"] == "loses points but converts above the base rate"
    assert "Points grid evaluation" in str(report.summary())


@pytest.mark.slow
def test_rule_and_grade_rates_have_wilson_intervals(simulated):
    from statsmodels.stats.proportion import proportion_confint

    X, y = simulated
    report = _grid((0, 60), (0, 0), (0, 40)).evaluate(X, y)
    row = report.rules.iloc[0]
    lo, hi = proportion_confint(row["converted"], row["contacts"], method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), rel=1e-9)
    mask = X["x"] < 5
    assert row["conversion_rate"] == pytest.approx(y[mask.to_numpy()].mean())
    g = report.grades.set_index("grade")
    lo, hi = proportion_confint(g.loc["A", "converted"], g.loc["A", "contacts"], method="wilson")
    assert (g.loc["A", "ci_low"], g.loc["A", "ci_high"]) == pytest.approx((lo, hi), rel=1e-9)


@pytest.mark.slow
def test_calibrate_matches_an_unpenalised_logistic_regression(simulated):
    import statsmodels.api as sm

    X, y = simulated
    grid = _grid((0, 60), (0, 0), (0, 40))
    with pytest.raises(NotFittedError, match=r"not calibrated yet: call grid.calibrate"):
        grid.predict_proba(X)
    s = grid.points(X).to_numpy()
    fit = sm.Logit(y, sm.add_constant(s)).fit(disp=0)
    p = grid.calibrate(X, y).predict_proba(X)
    np.testing.assert_allclose(p[:, 1], fit.predict(sm.add_constant(s)), rtol=1e-5)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_revise_recovers_the_true_structure(simulated):
    X, y = simulated
    wrong = _grid((60, 0), (0, 30), (0, 40))
    rev = wrong.revise(X, y, test_size=0.3, random_state=0)
    new = rev.grid
    assert new.best_total == pytest.approx(wrong.max_points)  # 60 + 30 + 40: the same scale
    pts = {c: [r.points for r in new.rules(c)] for c in new.criteria}
    assert pts["x"][1] > pts["x"][0] + 20  # x >= 5 converts more: it now earns the points
    assert abs(pts["noise"][1] - pts["noise"][0]) <= 3
    assert pts["region"][0] < pts["region"][1]  # north converts less
    assert rev.auc_new > rev.auc_old + 0.1
    t = rev.table
    assert set(t.columns) >= {"old_points", "new_points", "ci_low", "ci_high", "change"}
    fitted = t[t["note"] == ""]
    assert ((fitted["ci_low"] <= fitted["new_points"] + 1)
            & (fitted["new_points"] - 1 <= fitted["ci_high"])).all()


def test_revise_options_keep_the_teams_structure(simulated):
    X, y = simulated
    wrong = PointsGrid({"x": [("< 5", 0), (">= 5", 20)], "noise": [("< 5", 0), (">= 5", 30)],
                        "region": [("in: north", 10), ("else", 40)]}, max_points=90)
    rev = wrong.revise(X, y, fixed=["region"], keep_signs=True, round_to=5, test_size=0)
    new = rev.grid
    assert [r.points for r in new.rules("region")] == [10.0, 40.0]
    assert all(r.points % 5 == 0 and r.points >= 0 for c in new.criteria
               for r in new.rules(c))
    assert new.best_total == 90.0
    with pytest.raises(InvalidParameterError, match=r"Parameter 'fixed' names 1 criterion"):
        wrong.revise(X, y, fixed=["regio"])
    with pytest.raises(InvalidParameterError, match=r"Parameter 'test_size' must be a share"):
        wrong.revise(X, y, test_size=1.5)


def test_revise_alpha_gives_no_points_to_a_criterion_without_effect(simulated):
    X, y = simulated
    rev = _grid((0, 30), (0, 30), (0, 40)).revise(X, y, alpha=0.001, test_size=0,
                                                   round_to=None)
    assert [r.points for r in rev.grid.rules("noise")] == [0.0, 0.0]
    assert rev.table.loc[rev.table["criterion"] == "noise", "note"].str.startswith(
        "not significant").all()


def test_revision_plot_and_summary(simulated):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    X, y = simulated
    rev = _grid((60, 0), (0, 30), (0, 40)).revise(X, y, random_state=1)
    ax = rev.plot()
    assert ax.get_xlabel() == "points"
    assert len(ax.get_yticklabels()) == len(rev.table)
    assert "AUC revised grid (held-out)" in str(rev.summary())
    plt.close(ax.figure)


def test_drift_reports_psi_and_rate_changes(simulated):
    X, y = simulated
    grid = _grid((0, 60), (0, 0), (0, 40))
    half = len(X) // 2
    X0, y0 = X.iloc[:half], y[:half]
    X1 = X.iloc[half:].copy()
    y1 = y[half:].copy()
    north = (X1["region"] == "north").to_numpy()
    y1[north] = 0  # north stopped converting
    d = grid.drift(X0, y0, X1, y1)
    assert d.psi == pytest.approx(cs.scorecard.psi(grid.points(X0), grid.points(X1)))
    rules = d.rules.set_index(["criterion", "rule"])
    assert bool(rules.loc[("region", "in: north"), "changed"])
    assert rules.loc[("region", "in: north"), "rate_now"] == 0.0
    assert rules["change"].idxmin() == ("region", "in: north")
    same = grid.drift(X0, y0, X.iloc[half:], y[half:])
    assert same.status == "stable"
    assert same.psi < 0.01


# ------------------------------------------------------------------ the done criterion


@pytest.mark.slow
def test_wrong_grid_from_a_learned_card_is_flagged_and_revised(synthetic, card):
    """Flip the two most important criteria, give 10 points to a no-effect one."""
    from scipy.stats import spearmanr

    base, X, y = synthetic
    coefs = base.truth.coefficients
    coefs = coefs[coefs["criterion"] != "(intercept)"]
    spans = coefs.groupby("criterion")["coef"].agg(lambda s: s.max() - s.min())
    importance = (100 * spans / spans.sum()).reindex(X.columns).fillna(0.0)
    top2 = list(importance.sort_values(ascending=False).index[:2])
    grid = PointsGrid.from_scorecard(card)
    crits = {}
    for c in grid.criteria:
        rules = []
        for r in grid.rules(c):
            p = -r.points if c in top2 else r.points
            if c == "gender" and r.values == ("M",):
                p += 10
            rules.append(GridRule(r.kind, p, r.low, r.high, r.values))
        crits[c] = rules
    wrong = PointsGrid(crits, normalize=True)
    assert {*top2, "gender"} <= set(wrong.evaluate(X, y).flagged)
    rev = wrong.revise(X, y, test_size=0.3, random_state=0)
    truth = importance.reindex(rev.grid.criteria)
    rho = spearmanr(rev.grid.weights, truth).statistic
    rho_card = spearmanr(card.weights_.reindex(rev.grid.criteria), truth).statistic
    assert rho >= rho_card - 0.1  # the ranking of the learned card, on its own rules
    for c in top2:  # the flipped criteria point the right way again (rules with contacts)
        seen = (rev.table.loc[rev.table["criterion"] == c, "contacts"] > 0).to_numpy()
        learned = np.array([r.points for r in grid.rules(c)])[seen]
        revised = np.array([r.points for r in rev.grid.rules(c)])[seen]
        assert np.corrcoef(learned, revised)[0, 1] > 0.8, c
    assert rev.auc_new > rev.auc_old + 0.05


# ------------------------------------------------------------------ command line


def _cli(*argv):
    import io

    from clientseg import cli

    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.slow
def test_cli_score_grid_applies_and_evaluates(simulated, tmp_path):
    X, y = simulated
    data = X.assign(converted=y, contact_id=np.arange(len(X)))
    data.to_csv(tmp_path / "contacts.csv", index=False)
    grid = _grid((60, 0), (0, 30), (0, 40))
    grid.to_json(tmp_path / "grid.json")
    code, out, err = _cli("score", tmp_path / "contacts.csv", "--grid", tmp_path / "grid.json",
                          "--target", "converted", "--id", "contact_id", "--out",
                          tmp_path / "res", "--quiet")
    assert code == 0, err
    scores = pd.read_csv(tmp_path / "res" / "grid_scores.csv", index_col="contact_id")
    np.testing.assert_array_equal(scores["points"], grid.points(X))
    assert "Flagged criteria (points not supported by conversions): x, noise" in out
    criteria = pd.read_csv(tmp_path / "res" / "grid_criteria.csv")
    assert criteria["flagged"].tolist() == [True, True, False]
    assert (tmp_path / "res" / "grid.sql").read_text().startswith("SELECT *")


def test_cli_score_without_target_or_grid_says_what_is_missing(tmp_path):
    pd.DataFrame({"x": [1, 2]}).to_csv(tmp_path / "c.csv", index=False)
    code, _, err = _cli("score", tmp_path / "c.csv", "--out", tmp_path / "res")
    assert code != 0
    assert "needs --target COL to fit a scorecard (or --grid FILE" in err


# ------------------------------------------------------------------ every other refusal


@pytest.mark.parametrize(("make", "error", "match"), [
    (lambda: PointsGrid({}), InvalidParameterError,
     r"Parameter 'criteria' must map at least one criterion"),
    (lambda: PointsGrid({"x": [("else", 100)]}, base_points=float("nan")),
     InvalidParameterError, r"Parameter 'base_points' must be a finite number; got nan"),
    (lambda: PointsGrid({"x": []}), GridError, r"Criterion 'x' has no rule\. Give it"),
    (lambda: PointsGrid({"x": [([], 100)]}), GridError,
     r"Criterion 'x' has a rule with an empty list of values"),
    (lambda: PointsGrid({"x": [("[nan, 5)", 100)]}), GridError,
     r"Criterion 'x' has a range '\[nan, 5\)' with a NaN bound"),
    (lambda: PointsGrid({"x": [("missing", 0), ("missing", 1), ("else", 100)]}), GridError,
     r"Criterion 'x' has 2 'missing' rules; it may have one"),
    (lambda: PointsGrid({"x": [("< 0", 0), (">= 0", 0)]}, normalize=True), GridError,
     r"cannot be normalized: its best possible total is 0"),
    (lambda: PointsGrid.read_csv("# only a comment\n"), GridError, r"The grid file is empty"),
    (lambda: PointsGrid.read_json("[1, 2]"), GridError,
     r"must be an object with a 'criteria' object"),
    (lambda: PointsGrid.read_json('{"schema": "other/2", "criteria": {}}'), GridError,
     r"The JSON grid has schema 'other/2'; this version of clientseg reads "
     r"'clientseg.PointsGrid/1'"),
])
def test_every_other_refusal_says_what_to_do(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_refusals_when_applying(b2b_grid, b2b_contacts):
    with pytest.raises(InvalidParameterError, match=r"Parameter 'criterion' is 'size', "
                       r"which is not a criterion of this grid \(3 criteria"):
        b2b_grid.rules("size")
    with pytest.raises(InvalidParameterError, match=r"Parameter 'X' must be a DataFrame"):
        b2b_grid.points([[1, 2, 3]])
    with pytest.raises(InvalidParameterError, match=r"Parameter 'table' must be a table name"):
        b2b_grid.to_sql(table=3)
    with pytest.raises(InvalidParameterError, match=r"Parameter 'converted' has 4 values but "
                       r"X has 5 rows"):
        b2b_grid.evaluate(b2b_contacts, [0, 1, 0, 1])
    with pytest.raises(cs.exceptions.InvalidDataError, match=r"has one class only"):
        b2b_grid.evaluate(b2b_contacts, [0, 0, 0, 0, 0])
    with pytest.raises(InvalidParameterError, match=r"Parameter 'round_to' must be a positive"):
        b2b_grid.revise(b2b_contacts, [0, 1, 0, 1, 0], round_to=0)


def test_revise_refuses_a_training_split_with_one_outcome():
    grid = PointsGrid({"x": [("< 1", 0), (">= 1", 100)]})
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    # with seed 4 the first permuted row, the only conversion, is the held-out one
    with pytest.raises(cs.exceptions.InvalidDataError, match=r"has only 0s among the 3 "
                       r"training contacts"):
        grid.revise(X, [1, 0, 0, 0], test_size=0.25, random_state=4)


def test_revise_refuses_a_scale_it_cannot_reach(simulated):
    X, y = simulated
    # x raises conversion, but keep_signs holds its points at or below 0: nothing to scale
    grid = PointsGrid({"x": [("< 5", 0), (">= 5", -10)]}, max_points=0)
    with pytest.raises(cs.exceptions.InvalidDataError, match=r"cannot be scaled to 0 points"):
        grid.revise(X, y, keep_signs=True)


def test_cli_score_grid_that_is_not_a_file(tmp_path):
    pd.DataFrame({"x": [1, 2]}).to_csv(tmp_path / "c.csv", index=False)
    code, _, err = _cli("score", tmp_path / "c.csv", "--grid", tmp_path / "nope.csv", "--out",
                        tmp_path / "res")
    assert code != 0
    assert "is not a file. Pass a grid written as CSV" in err
