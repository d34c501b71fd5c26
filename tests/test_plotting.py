"""The plots as a set: every public plot_* function, its labels, colours, layout and state.

Each module's own tests check what its plots show; these check what all of them share
(STYLE.md: "plot tests check the returned Axes and its labels, not pixels"): a title and
labelled axes, one colour per segment in every plot, readable tick labels at 12
segments, legends beside the data rather than on it, truncated trees, and no pyplot or
rcParams state left behind.
"""

from __future__ import annotations

import itertools
import warnings

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

import clientseg as cs
from clientseg import plotting
from clientseg._core.plot_style import (
    NEUTRAL_COLOR,
    SEGMENT_COLORS,
    segment_color,
    segment_colors,
    thousands,
)
from clientseg.exceptions import InvalidDataError, TiedValuesWarning

# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def results():
    """Every result object a plot takes, from one small synthetic base (12 segments)."""
    base = cs.synth.make_customer_base(1_500, n_segments=6, random_state=0)
    table = cs.rfm_table(base.transactions, customer_id_col="customer_id", datetime_col="date",
                         monetary_value_col="amount", invoice_col="invoice_id",
                         observation_period_end=base.truth.as_of)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TiedValuesWarning)
        scorer = cs.RFMScorer(n_bins=5).fit(table)
        scores = scorer.transform(table)
    half = scores["segment"].sample(frac=0.8, random_state=0)
    migration = cs.rfm_migration(half, scores["segment"])
    customers = base.customers.join(table[["recency_days", "frequency", "monetary"]])
    X = cs.MixedDataEncoder(n_components=6).fit_transform(customers)
    seg = cs.HierarchicalSegmenter(12, random_state=0).fit(X)
    cut = cs.select_cut(seg, X, k_range=(2, 12))
    quality = cs.segment_quality(X, seg.labels_, value=table["monetary"].to_numpy(),
                                 stability="bootstrap", estimator=KMeans(12, n_init=1),
                                 n_boot=2, random_state=0)
    contacts = base.contacts
    criteria = [c for c in contacts.columns if c != "converted"]
    card = cs.LogisticScorecard(ridge=1.0).fit(contacts[criteria], contacts["converted"])
    evaluation = card.evaluate(contacts[criteria], contacts["converted"])
    plan = cs.plan_campaign(card.predict_proba(contacts[criteria])[:, 1], cost_per_contact=2.0,
                            value_per_conversion=60.0, n_boot=20, random_state=0)
    return {"plan": plan, "table": table, "scores": scores, "migration": migration, "X": X,
            "seg": seg, "cut": cut, "quality": quality, "card": card, "evaluation": evaluation}


def _calls(r):
    """One call per public plot function, on the shared results."""
    return {
        "plot_calibration": lambda ax: plotting.plot_calibration(r["evaluation"], ax=ax),
        "plot_campaign": lambda ax: plotting.plot_campaign(r["plan"], ax=ax),
        "plot_cut_criteria": lambda ax: plotting.plot_cut_criteria(r["cut"], ax=ax),
        "plot_dendrogram": lambda ax: plotting.plot_dendrogram(r["seg"], ax=ax),
        "plot_gains": lambda ax: plotting.plot_gains(r["evaluation"], ax=ax),
        "plot_inertia_gains": lambda ax: plotting.plot_inertia_gains(r["cut"], ax=ax),
        "plot_lift": lambda ax: plotting.plot_lift(r["evaluation"], ax=ax),
        "plot_rfm_grid": lambda ax: plotting.plot_rfm_grid(
            r["scores"], monetary=r["table"]["monetary"], ax=ax),
        "plot_rfm_migration": lambda ax: plotting.plot_rfm_migration(r["migration"], ax=ax),
        "plot_score_distribution": lambda ax: plotting.plot_score_distribution(
            r["evaluation"], ax=ax),
        "plot_scorecard_points": lambda ax: plotting.plot_scorecard_points(r["card"], ax=ax),
        "plot_scorecard_weights": lambda ax: plotting.plot_scorecard_weights(r["card"], ax=ax),
        "plot_segment_map": lambda ax: plotting.plot_segment_map(r["quality"], ax=ax),
        "plot_segment_profile": lambda ax: plotting.plot_segment_profile(r["quality"], ax=ax),
        "plot_segment_sizes": lambda ax: plotting.plot_segment_sizes(
            r["scores"], monetary=r["table"]["monetary"], ax=ax),
        "plot_segment_stability": lambda ax: plotting.plot_segment_stability(
            r["quality"], ax=ax),
    }


NAMES = sorted(plotting.__all__)


def _agg_axes(figsize=(8.0, 6.0)) -> Axes:
    """An Axes on a Figure with the Agg canvas, as the report draws: no pyplot."""
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig.add_subplot()


def _shown(axes: Axes, axis: str):
    """Tick labels inside the view (matplotlib also keeps hidden ones beyond the limits)."""
    if axis == "x":
        lo, hi = sorted(axes.get_xlim())
        ticks = axes.get_xticklabels()
        return [t for t in ticks if t.get_text() and lo <= t.get_position()[0] <= hi]
    lo, hi = sorted(axes.get_ylim())
    ticks = axes.get_yticklabels()
    return [t for t in ticks if t.get_text() and lo <= t.get_position()[1] <= hi]


def _overlaps(boxes) -> list[tuple[int, int]]:
    return [(i, j) for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2)
            if a.overlaps(b)]


# ----------------------------------------------------------------- every plot, same rules


@pytest.mark.slow
def test_every_public_plot_function_is_covered_here(results):
    assert sorted(_calls(results)) == NAMES
    assert all(name.startswith("plot_") for name in NAMES)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_every_plot_returns_its_axes_with_a_title_and_labelled_axes(results, name):
    ax = _agg_axes()
    out = _calls(results)[name](ax)
    assert out is ax
    assert ax.get_title(), f"{name} has no title"
    assert ax.get_xlabel(), f"{name} has no x label"
    assert ax.get_ylabel(), f"{name} has no y label"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_every_plot_makes_one_figure_of_its_own_when_given_no_axes(results, name):
    before = set(plt.get_fignums())
    ax = _calls(results)[name](None)
    assert isinstance(ax, Axes)
    new = set(plt.get_fignums()) - before
    assert len(new) == 1 and ax.figure.number in new
    plt.close(ax.figure)
    assert set(plt.get_fignums()) == before


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_drawing_on_a_given_axes_opens_no_pyplot_figure_nor_changes_rcparams(results, name):
    plt.close("all")
    rc_before = dict(mpl.rcParams)
    ax = _agg_axes()
    _calls(results)[name](ax)
    ax.figure.canvas.draw()
    assert plt.get_fignums() == []
    assert dict(mpl.rcParams) == rc_before


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_no_text_is_cut_off_by_the_edge_of_its_own_figure(results, name):
    ax = _calls(results)[name](None)
    fig = ax.figure
    fig.canvas.draw()
    page = fig.bbox.expanded(1.0, 1.0)
    renderer = fig.canvas.get_renderer()
    texts = [ax.title, ax.xaxis.label, ax.yaxis.label, *_shown(ax, "x"), *_shown(ax, "y")]
    for child in ax.child_axes:
        texts += [child.title, child.xaxis.label, *_shown(child, "x"), *_shown(child, "y")]
    for text in texts:
        if not text.get_text() or not text.get_visible():
            continue
        box = text.get_window_extent(renderer)
        assert page.x0 - 1 <= box.x0 and box.x1 <= page.x1 + 1, (
            f"{name}: {text.get_text()!r} leaves the figure ({box.x0:.0f}..{box.x1:.0f} "
            f"of {page.x1:.0f} px)")
        assert page.y0 - 1 <= box.y0 and box.y1 <= page.y1 + 1, text.get_text()


# ------------------------------------------------------------------------ the segments


def test_the_palette_has_twelve_distinct_colours_none_grey():
    assert len(set(SEGMENT_COLORS)) == len(SEGMENT_COLORS) == 12
    for colour in SEGMENT_COLORS:
        r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        assert max(r, g, b) - min(r, g, b) > 40, f"{colour} reads as grey"
    assert NEUTRAL_COLOR not in SEGMENT_COLORS


def test_integer_segments_keep_their_colour_whatever_is_shown():
    assert segment_colors([3, 0]) == [SEGMENT_COLORS[3], SEGMENT_COLORS[0]]
    assert segment_colors(np.array([12, 1])) == [SEGMENT_COLORS[0], SEGMENT_COLORS[1]]
    assert segment_colors(["b", "a"]) == [SEGMENT_COLORS[0], SEGMENT_COLORS[1]]
    assert segment_colors([True, 2]) == [SEGMENT_COLORS[0], SEGMENT_COLORS[1]]  # not numbers
    assert segment_color(-1, 4) == SEGMENT_COLORS[4]


def _dendrogram_colour_of_leaves(ax) -> dict[int, str]:
    """Colour of the link drawn down to each leaf, by leaf id (untruncated tree)."""
    leaves = [int(t.get_text()) for t in ax.get_xticklabels()]
    colour_at: dict[float, str] = {}
    for coll in ax.collections:
        colour = to_hex(coll.get_colors()[0])
        for seg in coll.get_segments():
            for x, y in seg:
                if y == 0.0:
                    colour_at[round(float(x), 6)] = colour
    # scipy draws leaf i at x = 5 + 10 i
    return {leaf: colour_at[5.0 + 10.0 * i] for i, leaf in enumerate(leaves)}


@pytest.mark.slow
def test_a_segment_has_the_same_colour_in_the_dendrogram_map_and_stability_bars():
    X, _ = make_blobs(48, centers=4, cluster_std=0.6, random_state=3)
    seg = cs.HierarchicalSegmenter(4).fit(X)
    labels = seg.labels_
    report = cs.segment_quality(X, labels, value=np.abs(X[:, 0]) + 1,
                                stability="bootstrap", estimator=KMeans(4, n_init=1),
                                n_boot=2, random_state=0)
    expected = {int(lb): to_hex(SEGMENT_COLORS[lb]) for lb in np.unique(labels)}

    leaf_colour = _dendrogram_colour_of_leaves(plotting.plot_dendrogram(seg, truncate=60))
    assert len(leaf_colour) == len(X)
    for leaf, colour in leaf_colour.items():
        assert colour == expected[int(labels[leaf])], f"leaf {leaf}"

    ax = plotting.plot_segment_map(report)
    faces = [to_hex(c) for c in ax.collections[0].get_facecolors()]
    assert faces == [expected[int(s)] for s in report.segments.index]

    ax = plotting.plot_segment_stability(report)
    bars = [to_hex(p.get_facecolor()) for p in ax.patches]
    assert bars == [expected[int(s)] for s in report.stability.jaccard.columns]


def test_links_above_the_cut_are_neutral_not_a_segment_colour():
    X, _ = make_blobs(48, centers=4, random_state=3)
    ax = plotting.plot_dendrogram(cs.HierarchicalSegmenter(4).fit(X), truncate=60)
    colours = {to_hex(c.get_colors()[0]) for c in ax.collections}
    assert colours == {to_hex(NEUTRAL_COLOR)} | {to_hex(c) for c in SEGMENT_COLORS[:4]}


# ------------------------------------------------------------------- 12 segments, layout


@pytest.mark.parametrize(("name", "axis"), [
    ("plot_segment_stability", "y"), ("plot_segment_profile", "x"),
    ("plot_segment_profile", "y"), ("plot_segment_sizes", "y"), ("plot_rfm_migration", "x"),
    ("plot_rfm_migration", "y"), ("plot_cut_criteria", "x"), ("plot_inertia_gains", "x"),
    ("plot_scorecard_weights", "y"), ("plot_scorecard_points", "y"), ("plot_lift", "x"),
])
@pytest.mark.slow
def test_tick_labels_do_not_overlap(results, name, axis):
    ax = _calls(results)[name](None)
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    shown = _shown(ax, axis)
    assert len(shown) >= 2
    if shown[0].get_rotation() % 180 == 0:
        boxes = [t.get_window_extent(renderer) for t in shown]
        assert _overlaps(boxes) == [], f"{name}: {axis} tick labels overlap"
    else:  # slanted labels: their boxes overlap by design; lines of text must not
        ends = [t.get_window_extent(renderer) for t in shown]
        pitch = np.diff(sorted(b.x1 if axis == "x" else b.y1 for b in ends))
        line = shown[0].get_fontsize() * ax.figure.dpi / 72
        assert pitch.min() >= line, f"{name}: slanted {axis} tick labels overlap"


@pytest.mark.parametrize("name", ["plot_segment_sizes", "plot_segment_stability",
                                  "plot_cut_criteria", "plot_lift", "plot_gains",
                                  "plot_score_distribution"])
@pytest.mark.slow
def test_legends_do_not_cover_bars_or_markers(results, name):
    ax = _calls(results)[name](None)
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    for patch in ax.patches:
        box = patch.get_window_extent(renderer)
        if box.width > 0 and box.height > 0:
            assert not legend.overlaps(box), f"{name}: the legend covers a bar"
    for line in ax.get_lines():
        if line.get_marker() in ("None", None, ""):
            continue
        xy = ax.transData.transform(np.column_stack(line.get_data()).astype(float))
        inside = [(x, y) for x, y in xy if legend.contains(x, y)]
        assert not inside, f"{name}: the legend covers a marker of {line.get_label()}"


def test_plots_of_twelve_segments_label_each_segment_once(results):
    quality = results["quality"]
    assert quality.segments.shape[0] == 12
    ax = plotting.plot_segment_profile(quality)
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(s) for s in range(12)]
    ax = plotting.plot_segment_stability(quality)
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(s) for s in range(12)]
    assert [t.get_text() for t in plotting.plot_segment_map(quality).texts] == [
        str(s) for s in range(12)]


# ------------------------------------------------------------------------- large trees


@pytest.mark.slow
def test_the_dendrogram_of_a_large_two_stage_tree_draws_at_most_truncate_leaves():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200_000, 3)) + np.repeat(np.arange(4), 50_000)[:, None] * 4.0
    seg = cs.HierarchicalSegmenter(4, random_state=0).fit(X)
    assert seg.strategy_ == "two_stage"
    ax = plotting.plot_dendrogram(seg, truncate=25)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert len(labels) <= 25
    # each leaf is labelled with the customers under it, and they add up to every one
    assert sum(int(t.strip("()").replace(",", "")) for t in labels) == len(X)
    assert "200,000 customers" in ax.get_xlabel()


@pytest.mark.slow
def test_the_dendrogram_of_a_large_linkage_is_truncated_not_refused():
    Z = cs.ward_linkage(np.random.default_rng(1).normal(size=(5_000, 2)))
    ax = plotting.plot_dendrogram(Z, cut=12, truncate=40)
    assert len(ax.get_xticklabels()) == 40
    assert "5,000 in all, 40 shown" in ax.get_xlabel()
    assert any(t.get_text() == "cut: k = 12" for t in ax.texts)


# --------------------------------------------------------------------------- formatting


@pytest.mark.slow
def test_large_numbers_on_an_axis_use_one_unit():
    ax = _agg_axes()
    ax.bar([1, 2, 3], [4.2e6, 5e5, 2e4])
    thousands(ax.yaxis)
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert labels and all(t.endswith("M") for t in labels if t != "0")
    ax = _agg_axes()
    ax.bar([1, 2], [9_500, 3_000])
    thousands(ax.yaxis)
    ax.figure.canvas.draw()
    assert "8,000" in [t.get_text() for t in ax.get_yticklabels()]


@pytest.mark.slow
def test_figures_close_cleanly(results):
    plt.close("all")
    for name in NAMES:
        plt.close(_calls(results)[name](None).figure)
    assert plt.get_fignums() == []


@pytest.mark.slow
def test_the_figures_are_pandas_free_of_mutation(results):
    scores = results["scores"].copy(deep=True)
    table = results["table"].copy(deep=True)
    for name in ("plot_rfm_grid", "plot_segment_sizes"):
        _calls(results)[name](_agg_axes())
    pd.testing.assert_frame_equal(results["scores"], scores)
    pd.testing.assert_frame_equal(results["table"], table)


def test_rfm_plots_refuse_what_is_not_a_scores_frame():
    with pytest.raises(InvalidDataError, match=r"plot_rfm_grid: parameter 'scores' must be the "
                       r"DataFrame returned by RFMScorer\.transform .*; got ndarray\."):
        plotting.plot_rfm_grid(np.array([[5, 4], [1, 1]]))
    scores = pd.DataFrame({"r_score": [5, 1], "segment": ["Champions", "Lost"]})
    with pytest.raises(InvalidDataError, match=r"plot_rfm_grid: parameter 'scores' is missing "
                       r"the column\(s\) \['f_score'\]; columns present: \['r_score', "
                       r"'segment'\]\. Pass RFMScorer"):
        plotting.plot_rfm_grid(scores)
    with pytest.raises(InvalidDataError, match=r"plot_segment_sizes: parameter 'scores' is "
                       r"missing the column\(s\) \['tier'\]"):
        plotting.plot_segment_sizes(scores, segment_col="tier")
