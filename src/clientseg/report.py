"""A self-contained HTML report of a segmentation, for the people who act on it.

:func:`build_report` writes ``index.html`` in a folder: every figure is embedded as a
base64 PNG and every table is plain HTML, with no external CSS, script or font, so the
file opens offline and can be sent as it is. The tables of each section are also written
as CSV files beside it, for spreadsheets.

Each section is optional and is rendered only when its inputs are given: RFM (rows
excluded by policy, score distribution, R×F grid, segment sizes), segmentation (chosen
number of segments and why, criteria, dendrogram), segment quality (figures, checks with
failures highlighted, map, profile) and scorecard (weights, points, grades, evaluation).
Each one opens with a short explanation in plain words for a marketing reader.

Every figure comes from :mod:`clientseg.plotting`, drawn on its own
:class:`matplotlib.figure.Figure` with the Agg canvas: pyplot is never imported, so
building a report leaves no open figure behind. matplotlib is imported inside the
functions, so importing this module does not import it.
"""

from __future__ import annotations

import base64
import html
import io
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from clientseg import plotting
from clientseg._core.version import __version__
from clientseg.exceptions import InvalidDataError, InvalidParameterError
from clientseg.hierarchy import HierarchicalSegmenter
from clientseg.hierarchy.cut import CutResult
from clientseg.quality import QualityReport
from clientseg.scorecard import LogisticScorecard, ScorecardReport

__all__ = ["build_report"]

#: Resolution of the embedded PNG figures (dots per inch).
_DPI = 100

# --------------------------------------------------------------------------------------
# Plain-words explanations (what it shows, how to read it, what to do with it)
# --------------------------------------------------------------------------------------

_TEXT: dict[str, tuple[str, str, str]] = {
    "overview": (
        "This report gathers the results of one customer segmentation run: who the "
        "customers are by purchase behaviour (RFM), how they were grouped into segments, "
        "whether those segments are usable, and how the scorecard ranks contacts.",
        "Each section starts with a short note like this one, then figures and tables. "
        "Numbers in tables are rounded for reading; the CSV files in the same folder hold "
        "them in full.",
        "Read the sections in order, note the segments worth a campaign, and use the CSV "
        "files to build target lists or to check a figure in a spreadsheet.",
    ),
    "rfm": (
        "RFM scores every customer from 1 (low) to 5 (high) on Recency (how recently they "
        "bought), Frequency (how many purchases) and Monetary value (how much they spent), "
        "then names a segment from the scores (Champions, At Risk, Hibernating, ...).",
        "The first table says which transaction lines were left out or netted before "
        "scoring (cancelled orders, duplicates, lines without a customer) and why. In the "
        "R×F grid, the top right holds recent and frequent buyers, the bottom left "
        "customers who bought once, long ago. The bars compare each segment's share of "
        "customers with its share of revenue.",
        "Reward and retain the Champions and Loyal Customers; win back At Risk and "
        "Can't Lose Them customers before they lapse; do not spend much on Hibernating "
        "ones. A segment whose value bar is much longer than its customer bar deserves "
        "attention out of proportion to its size.",
    ),
    "segmentation": (
        "Customers were grouped by a hierarchical (Ward) method on their criteria and "
        "behaviour: similar customers are merged step by step into a tree, and the tree is "
        "cut where the groups stop being clearly distinct.",
        "The number of segments was chosen by comparing several statistical criteria; the "
        "note below says which ones agreed. In the dendrogram, the lower two groups join, "
        "the more alike they are; the dashed line is the cut, and the bars on its right show "
        "how much detail each extra segment adds (a tall bar means a real split).",
        "Treat the number of segments as a recommendation: if a neighbouring number is "
        "almost as good and easier to act on, it may be the better business choice.",
    ),
    "quality": (
        "Each segment is checked against the marketing checklist: large enough to be "
        "worth a campaign, different enough from the others to be recognised, similar "
        "enough inside to receive one message, and worth enough revenue.",
        "The figures at the top summarise the whole segmentation (R² near 1 means the "
        "segments explain most of the differences between customers). In the checks table "
        "the failed checks are highlighted in red, each with its reason. The map places "
        "segments by size and value; the profile shows in red what a segment has more of "
        "than the average customer and in blue what it has less of.",
        "Use the profile to name and describe each segment in words. Be careful with "
        "segments that fail several checks: merge them with a neighbour or treat them as "
        "a test audience rather than a main target.",
    ),
    "scorecard": (
        "The scorecard gives every contact a number of points (out of 100) from their "
        "criteria: the more points, the more likely they are to convert. The weights say "
        "how much of the 100 points each criterion can move.",
        "Each contact's score is the sum of the points of its levels in the points table. "
        "Grades group scores into bands (A is best) with their observed conversion rate. "
        "The gains curve shows the share of conversions captured by calling the best-scored "
        "contacts first; the further above the diagonal, the better. On the calibration "
        "plot, points near the diagonal mean the predicted conversion rates can be trusted.",
        "Call or mail the best grades first; use the gains curve to decide how deep into "
        "the list a campaign budget should go, and the weights to see which criteria "
        "matter when collecting lead information.",
    ),
}

_SECTION_TITLES = {
    "overview": "Overview",
    "rfm": "RFM: recency, frequency, monetary value",
    "segmentation": "Segmentation: how many segments and why",
    "quality": "Segment quality",
    "scorecard": "Scorecard",
}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
margin:0;color:#222;background:#fff;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:1.5em 2em 4em}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #4477AA;padding-bottom:.2em;margin-top:2em}
h3{margin-top:1.4em}.meta{color:#666;margin-top:0}
nav ul{columns:2;padding-left:1.2em}
.explain{background:#f3f6fa;border-left:4px solid #4477AA;padding:.6em 1em;margin:1em 0}
.explain p{margin:.4em 0}
table{border-collapse:collapse;margin:.6em 0 1em;font-size:.9em}
th,td{border:1px solid #ccd;padding:.25em .6em;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
thead th{background:#e8edf3}
tr.fail td{background:#fbe3e4;color:#8a1f24}
tr.highlight td{background:#fff4cc;font-weight:600}
figure{margin:1em 0;text-align:center}figure img{max-width:100%;height:auto}
figcaption{color:#555;font-size:.9em}
pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:.85em}
.scroll{overflow-x:auto;max-width:100%}
.files li{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
"""


# --------------------------------------------------------------------------------------
# HTML pieces
# --------------------------------------------------------------------------------------


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _format_cell(value: Any) -> tuple[str, bool]:
    """Return the display text of one table cell and whether it is a number."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "–", False
    if isinstance(value, bool | np.bool_):
        return ("yes" if value else "no"), False
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}", True
    if isinstance(value, numbers.Real):
        x = float(value)
        if math.isnan(x):
            return "–", False
        if math.isinf(x):
            return ("∞" if x > 0 else "−∞"), True
        if x.is_integer() and abs(x) < 1e15:
            return f"{int(x):,}", True
        if abs(x) >= 100:
            return f"{x:,.1f}", True
        if abs(x) >= 1:
            return f"{x:.2f}", True
        return f"{x:.3f}", True
    return str(value), False


def _table(frame: pd.DataFrame, *, table_id: str, index: bool = False,
           row_classes: Sequence[str] | None = None, max_rows: int = 200) -> str:
    """Render a small summary table as escaped HTML (rows are table rows, not customers)."""
    shown = frame.reset_index() if index else frame
    cut_note = ""
    if len(shown) > max_rows:
        cut_note = (f"<p class='meta'>First {max_rows:,} of {len(shown):,} rows shown; the "
                    f"CSV file holds them all.</p>")
        shown = shown.iloc[:max_rows]
    head = "".join(f"<th>{_esc(c)}</th>" for c in shown.columns)
    body = []
    for i, row in enumerate(shown.itertuples(index=False, name=None)):
        cells = []
        for value in row:
            text, is_num = _format_cell(value)
            cells.append(f"<td class='num'>{_esc(text)}</td>" if is_num
                         else f"<td>{_esc(text)}</td>")
        cls = row_classes[i] if row_classes is not None else ""
        body.append(f"<tr class='{_esc(cls)}'>" if cls else "<tr>")
        body.append("".join(cells) + "</tr>")
    return (f"<div class='scroll'><table id='{_esc(table_id)}'><thead><tr>{head}</tr>"
            f"</thead><tbody>" + "".join(body) + "</tbody></table></div>" + cut_note)


def _pairs_table(pairs: Sequence[tuple[str, str]], *, table_id: str) -> str:
    rows = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in pairs)
    return f"<table id='{_esc(table_id)}'><tbody>{rows}</tbody></table>"


def _explain(key: str) -> str:
    what, read, act = _TEXT[key]
    return ("<div class='explain'>"
            f"<p><strong>What it shows.</strong> {_esc(what)}</p>"
            f"<p><strong>How to read it.</strong> {_esc(read)}</p>"
            f"<p><strong>What to do with it.</strong> {_esc(act)}</p></div>")


def _figure(draw: Callable[[Any], Any], *, figsize: tuple[float, float], caption: str) -> str:
    """Draw with a clientseg.plotting function on its own Agg figure; return <figure> HTML."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    draw(fig.add_subplot())
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, bbox_inches="tight", facecolor="white")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f"<figure><img src='data:image/png;base64,{data}' alt='{_esc(caption)}'>"
            f"<figcaption>{_esc(caption)}</figcaption></figure>")


@dataclass
class _Section:
    key: str
    parts: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)

    def html(self) -> str:
        title = _SECTION_TITLES[self.key]
        return (f"<section id='{self.key}'><h2>{_esc(title)}</h2>{_explain(self.key)}"
                + "".join(self.parts) + "</section>")


class _Tables:
    """The CSV files written beside index.html, in the order they were written."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[tuple[str, str]] = []

    def write(self, name: str, frame: pd.DataFrame, description: str, *,
              index: bool = False) -> str:
        frame.to_csv(self.folder / name, index=index)
        self.written.append((name, description))
        return (f"<p class='meta'>Table saved as <a href='{_esc(name)}'>{_esc(name)}</a> "
                f"(in the report's folder).</p>")


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------


def _check_instance(name: str, value: Any, kind: type, hint: str) -> None:
    if value is not None and not isinstance(value, kind):
        raise InvalidParameterError(
            f"build_report: parameter {name!r} must be a {kind.__name__} ({hint}); got "
            f"{type(value).__name__}."
        )


def _check_fitted(name: str, estimator: Any, hint: str) -> None:
    try:
        check_is_fitted(estimator)
    except NotFittedError as err:
        raise InvalidParameterError(
            f"build_report: parameter {name!r} is a {type(estimator).__name__} that is not "
            f"fitted yet. {hint}"
        ) from err


def _check_frame(name: str, frame: Any, needed: Sequence[str], hint: str) -> None:
    if frame is None:
        return
    _check_instance(name, frame, pd.DataFrame, hint)
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InvalidDataError(
            f"build_report: parameter {name!r} lacks the column(s) {missing}; columns "
            f"present: {list(frame.columns)[:15]}. Pass {hint}."
        )


def _prepare_folder(out_dir: Any) -> Path:
    if not isinstance(out_dir, str | PathLike):
        raise InvalidParameterError(
            f"build_report: parameter 'out_dir' must be a folder path (str or Path); got "
            f"{type(out_dir).__name__}."
        )
    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise InvalidParameterError(
            f"build_report: parameter 'out_dir' is {str(folder)!r}, an existing file, not a "
            f"folder. Pass a folder path: it is created when missing, and index.html and the "
            f"CSV tables are written inside it."
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InvalidParameterError(
            f"build_report: cannot create the folder {str(folder)!r} (parameter 'out_dir'): "
            f"{err.strerror or err}. Pass a folder you can write to."
        ) from err
    return folder


# --------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------


def _monetary(rfm_table: pd.DataFrame | None, rfm_scores: pd.DataFrame) -> pd.Series | None:
    if rfm_table is not None and "monetary" in rfm_table.columns:
        return rfm_table["monetary"]
    if "monetary" in rfm_scores.columns:
        return rfm_scores["monetary"]
    return None


def _exclusions_of(rfm_table: pd.DataFrame | None) -> pd.DataFrame | None:
    """Return the exclusion record of an rfm_table result (None when it has none)."""
    if rfm_table is None:
        return None
    from clientseg import rfm
    try:
        return rfm.rfm_exclusions(rfm_table)
    except InvalidDataError:
        return None


def _rfm_section(tables: _Tables, *, rfm_table: pd.DataFrame | None,
                 rfm_scores: pd.DataFrame | None,
                 exclusions: pd.DataFrame | None) -> _Section:
    section = _Section("rfm")
    parts = section.parts
    if exclusions is None:
        exclusions = _exclusions_of(rfm_table)
    if exclusions is not None:
        shown = exclusions.reset_index() if exclusions.index.name is not None else exclusions
        rows_in = int(exclusions["rows"].sum()) if "rows" in exclusions.columns else None
        classes = None
        if "rows" in shown.columns and "rule" in shown.columns:
            classes = ["highlight" if (r != "kept" and n > 0) else ""
                       for r, n in zip(shown["rule"], shown["rows"], strict=True)]
            kept = shown.loc[shown["rule"] == "kept", "rows"]
            if len(kept) and rows_in:
                section.facts.append(("transaction lines used", f"{int(kept.iloc[0]):,} of "
                                      f"{rows_in:,}"))
        parts.append("<h3>Transaction lines excluded or netted</h3>")
        parts.append("<p>Each rule below removed or netted the number of lines shown "
                     "(highlighted when it applied), under the policy named on the right; "
                     "the <em>kept</em> row is what was scored.</p>")
        parts.append(_table(shown, table_id="rfm-exclusions", row_classes=classes))
        parts.append(tables.write("rfm_exclusions.csv", shown,
                                  "transaction lines excluded or netted, by rule"))
    if rfm_scores is not None:
        monetary = _monetary(rfm_table, rfm_scores)
        section.facts.append(("customers scored", f"{len(rfm_scores):,}"))
        score_cols = [c for c in ("r_score", "f_score", "m_score") if c in rfm_scores.columns]
        dist = pd.DataFrame({c: rfm_scores[c].value_counts() for c in score_cols})
        dist = dist.sort_index().fillna(0).astype("int64")
        dist.index.name = "score"
        dist.columns = [c.split("_")[0].upper() for c in dist.columns]
        parts.append("<h3>How the scores are spread</h3>")
        parts.append("<p>Customers per score (1 = lowest, 5 = highest) on each of R, F and M. "
                     "Scores are quantiles, so each column is roughly even unless many "
                     "customers tie (for instance, many bought only once).</p>")
        parts.append(_table(dist, table_id="rfm-score-distribution", index=True))
        parts.append(tables.write("rfm_score_distribution.csv", dist,
                                  "customers per R, F and M score", index=True))
        parts.append(_figure(
            lambda ax: plotting.plot_rfm_grid(rfm_scores, monetary=monetary, ax=ax),
            figsize=(6.4, 5.0), caption="Customers in each R×F cell (mean monetary value "
                                        "below the count)"))
        if "segment" in rfm_scores.columns:
            seg = rfm_scores["segment"]
            counts = seg.value_counts(sort=False)
            counts = counts[counts > 0]
            sizes = pd.DataFrame({"customers": counts,
                                  "share_pct": 100 * counts / max(len(rfm_scores), 1)})
            if monetary is not None:
                value = monetary.reindex(rfm_scores.index).groupby(
                    seg, observed=True, sort=False).agg(["mean", "sum"])
                total = float(value["sum"].sum())
                sizes["mean_monetary"] = value["mean"].reindex(sizes.index)
                sizes["value_share_pct"] = (100 * value["sum"] / total if total else
                                            np.nan * value["sum"]).reindex(sizes.index)
            sizes.index.name = "segment"
            sizes = sizes.sort_values("customers", ascending=False)
            section.facts.append(("RFM segments", f"{len(sizes):,}"))
            parts.append("<h3>RFM segments</h3>")
            parts.append(_table(sizes, table_id="rfm-segments", index=True))
            parts.append(tables.write("rfm_segments.csv", sizes,
                                      "customers and value of each RFM segment", index=True))
            parts.append(_figure(
                lambda ax: plotting.plot_segment_sizes(rfm_scores, monetary=monetary, ax=ax),
                figsize=(7.0, max(3.5, 0.45 * len(sizes) + 1.5)),
                caption="Share of customers and of monetary value per RFM segment"))
    elif rfm_table is not None:
        cols = [c for c in ("recency_days", "frequency", "monetary") if c in rfm_table.columns]
        if cols:
            desc = rfm_table[cols].describe(percentiles=[0.25, 0.5, 0.75]).T
            desc.index.name = "measure"
            section.facts.append(("customers", f"{len(rfm_table):,}"))
            parts.append("<h3>Customers' recency, frequency and monetary value</h3>")
            parts.append(_table(desc, table_id="rfm-describe", index=True))
            parts.append(tables.write("rfm_describe.csv", desc,
                                      "distribution of recency, frequency and monetary",
                                      index=True))
    return section


def _segmentation_section(tables: _Tables, *, cut: CutResult | None,
                          segmenter: HierarchicalSegmenter | None,
                          truncate: int) -> _Section:
    section = _Section("segmentation")
    parts = section.parts
    if cut is not None:
        section.facts.append(("segments chosen", f"{cut.k}"))
        parts.append(f"<p class='chosen'><strong>Chosen number of segments: "
                     f"<span id='chosen-k'>{cut.k}</span>.</strong> Why: "
                     f"{_esc(cut.reason)} (rule: {_esc(cut.rule)}).</p>")
        picks = cut.picks.rename("k picked").rename_axis("criterion").reset_index()
        parts.append("<h3>What each criterion recommends</h3>")
        parts.append(_table(picks, table_id="cut-picks"))
        frame = cut.to_frame()
        frame.index.name = "k"
        classes = ["highlight" if c else "" for c in frame["chosen"]]
        parts.append("<h3>Every criterion at every number of segments</h3>")
        parts.append("<p>The chosen row is highlighted; <em>admissible</em> says whether the "
                     "business constraints (smallest segment's share and value) were met.</p>")
        parts.append(_table(frame, table_id="cut-criteria", index=True, row_classes=classes))
        parts.append(tables.write("cut_criteria.csv", frame,
                                  "criteria of every number of segments", index=True))
        if len(cut.removed):
            parts.append("<h3>Numbers of segments ruled out by business constraints</h3>")
            parts.append(_table(cut.removed, table_id="cut-removed"))
        parts.append(_figure(lambda ax: plotting.plot_cut_criteria(cut, ax=ax),
                             figsize=(7.5, 4.5),
                             caption="Each criterion against the number of segments"))
    if segmenter is not None:
        labels = pd.Series(np.asarray(segmenter.labels_))
        counts = labels.value_counts().sort_index()
        sizes = pd.DataFrame({"customers": counts, "share_pct": 100 * counts / len(labels)})
        sizes.index.name = "segment"
        if cut is None:
            section.facts.append(("segments", f"{segmenter.n_segments_}"))
            parts.append(f"<p><strong>Number of segments: <span id='chosen-k'>"
                         f"{segmenter.n_segments_}</span>.</strong></p>")
        parts.append("<h3>Segment sizes</h3>")
        parts.append(_table(sizes, table_id="segment-sizes", index=True))
        parts.append(tables.write("segment_sizes.csv", sizes, "customers per segment",
                                  index=True))
        parts.append(_figure(
            lambda ax: plotting.plot_dendrogram(segmenter, ax=ax, truncate=truncate),
            figsize=(9.0, 4.8),
            caption=f"Dendrogram (at most {truncate} leaves; a leaf labelled (n) stands for "
                    f"n customers; each segment in its colour, as in the segment map) with the "
                    f"cut and the inertia gain of each split"))
    return section


def _quality_section(tables: _Tables, quality: QualityReport) -> _Section:
    section = _Section("quality")
    parts = section.parts
    summary = quality.summary()
    checks = quality.checks
    n_pass = int(checks["passed"].sum())
    section.facts.append(("quality checks passed", f"{n_pass} of {len(checks)}"))
    names = quality.segment_names()
    named = pd.DataFrame({"segment": [str(s) for s in names.index], "name": names.to_numpy(),
                          "customers": quality.segments["count"].to_numpy()})
    parts.append("<h3>The segments in words</h3>")
    parts.append("<p>Each segment named from the variables that set it apart most (the "
                 "largest v-tests below): what a marketing team can call it.</p>")
    parts.append(_table(named, table_id="quality-names"))
    parts.append("<h3>The segmentation as a whole</h3>")
    parts.append(_pairs_table(summary.metrics, table_id="quality-overall"))
    for i, (name, table) in enumerate(summary.tables):
        parts.append(f"<h3>{_esc(name)}</h3>")
        parts.append(_table(table, table_id=f"quality-table-{i}") if len(table)
                     else "<p>(none)</p>")
    parts.append(tables.write("quality_segments.csv", quality.to_frame(),
                              "every quality measure per segment"))
    parts.append("<h3>Every check (failures in red)</h3>")
    classes = ["" if ok else "fail" for ok in checks["passed"]]
    parts.append(_table(checks, table_id="quality-checks", row_classes=classes))
    parts.append(tables.write("quality_checks.csv", checks,
                              "every quality check of every segment"))
    n_seg = int(quality.overall["n_segments"])
    parts.append(_figure(lambda ax: plotting.plot_segment_map(quality, ax=ax),
                         figsize=(6.4, 4.8),
                         caption="Segments by size (x) and value (y); bubble area is the "
                                 "number of customers"))
    n_feat = int(quality.vtests.shape[1])
    parts.append(_figure(lambda ax: plotting.plot_segment_profile(quality, ax=ax),
                         figsize=(max(6.4, 0.6 * n_seg + 4), max(4.0, 0.3 * min(n_feat, 25)
                                                                 + 2)),
                         caption="Profile: what each segment has more (red) or less (blue) "
                                 "of than the average customer (v-tests)"))
    return section


def _scorecard_section(tables: _Tables, *, card: LogisticScorecard | None,
                       evaluation: ScorecardReport | None,
                       grades: pd.DataFrame | None) -> _Section:
    section = _Section("scorecard")
    parts = section.parts
    if card is not None:
        weights = card.weights_.sort_values(ascending=False).rename("weight_pct")
        weights.index.name = "criterion"
        weights_frame = weights.reset_index()
        section.facts.append(("scorecard criteria", f"{len(weights):,}"))
        parts.append("<h3>Weight of each criterion (% of the 100 points)</h3>")
        parts.append(_table(weights_frame, table_id="scorecard-weights"))
        parts.append(tables.write("scorecard_weights.csv", weights_frame,
                                  "each criterion's share of the 100 points"))
        parts.append(_figure(lambda ax: plotting.plot_scorecard_weights(card, ax=ax),
                             figsize=(7.0, max(3.0, 0.3 * len(weights) + 1.2)),
                             caption="Criterion weights (% of the points)"))
        points = card.points_
        keep = [c for c in ("criterion", "level", "points", "contacts", "conversion_rate")
                if c in points.columns]
        parts.append("<h3>Points of every level</h3>")
        parts.append("<p>A contact's score is the sum of the points of its level on each "
                     "criterion.</p>")
        parts.append(_table(points[keep], table_id="scorecard-points"))
        parts.append(tables.write("scorecard_points.csv", points,
                                  "points of every level of every criterion"))
    if grades is None and card is not None:
        grades = card.grade_table_
        grades_note = "on the contacts the scorecard was fitted on"
    else:
        grades_note = "as given"
    if grades is not None:
        parts.append(f"<h3>Grades ({_esc(grades_note)})</h3>")
        parts.append("<p>Scores are grouped into grades; <em>lift</em> is the grade's "
                     "conversion rate over the average one, <em>cum_capture</em> the share of "
                     "all conversions found in this grade and the better ones.</p>")
        shown = grades.reset_index() if grades.index.name is not None else grades
        parts.append(_table(shown, table_id="scorecard-grades"))
        parts.append(tables.write("scorecard_grades.csv", shown, "contacts and conversions "
                                  "per grade"))
    if evaluation is not None:
        summary = evaluation.summary()
        section.facts.append(("scorecard AUC", f"{evaluation.auc:.3f}"))
        parts.append("<h3>How well the scores rank and predict</h3>")
        parts.append("<p>AUC is the chance that a converted contact scores above one that "
                     "did not (0.5 is a coin toss, 1 is perfect); Gini is 2 × AUC − 1.</p>")
        parts.append(_pairs_table(summary.metrics, table_id="scorecard-metrics"))
        parts.append(tables.write("scorecard_metrics.csv", evaluation.to_frame(),
                                  "evaluation figures of the scorecard"))
        parts.append("<h3>Gains by decile</h3>")
        parts.append(_table(evaluation.gains, table_id="scorecard-gains"))
        parts.append(tables.write("scorecard_gains.csv", evaluation.gains,
                                  "conversions by score decile"))
        parts.append(_figure(lambda ax: plotting.plot_gains(evaluation, ax=ax),
                             figsize=(6.4, 4.8),
                             caption="Cumulative gains: conversions captured against "
                                     "contacts called, best scores first"))
        parts.append(_figure(lambda ax: plotting.plot_calibration(evaluation, ax=ax),
                             figsize=(6.4, 4.8),
                             caption="Calibration: observed against predicted conversion "
                                     "rate"))
    return section


# --------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------


def build_report(
    out_dir: str | PathLike[str],
    *,
    title: str = "Customer segmentation report",
    summary_text: str | None = None,
    rfm_table: pd.DataFrame | None = None,
    rfm_scores: pd.DataFrame | None = None,
    rfm_exclusions: pd.DataFrame | None = None,
    cut: CutResult | None = None,
    segmenter: HierarchicalSegmenter | None = None,
    quality: QualityReport | None = None,
    scorecard: LogisticScorecard | None = None,
    scorecard_report: ScorecardReport | None = None,
    scorecard_grades: pd.DataFrame | None = None,
    truncate: int = 30,
) -> Path:
    """Write a self-contained HTML report (``index.html``) and its tables as CSV.

    Every section is optional and appears only when its inputs are given; the overview is
    always there. Figures are embedded as base64 PNG and no external file is referenced,
    so ``index.html`` opens offline and can be sent by e-mail on its own.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created when missing). ``index.html`` and the CSV files are
        overwritten when present.
    title : str, default "Customer segmentation report"
        Title of the page (escaped).
    summary_text : str, optional
        Free text shown in the overview as it is (monospace), e.g. a run's summary.
    rfm_table : DataFrame, optional
        Result of :func:`clientseg.rfm_table`: gives the monetary values of the figures and,
        when ``rfm_exclusions`` is not given, the exclusion record.
    rfm_scores : DataFrame, optional
        Result of :meth:`clientseg.RFMScorer.transform` (``r_score`` and ``f_score``
        needed; ``m_score`` and ``segment`` used when present), or the table joined with it.
    rfm_exclusions : DataFrame, optional
        Result of :func:`clientseg.rfm_exclusions` (default: taken from ``rfm_table``).
    cut : CutResult, optional
        The cut that chose the number of segments (default: ``segmenter.cut_``).
    segmenter : HierarchicalSegmenter, optional
        A fitted segmenter: segment sizes and the dendrogram.
    quality : QualityReport, optional
        Result of :func:`clientseg.segment_quality`.
    scorecard : LogisticScorecard, optional
        A fitted scorecard: weights, points and (without ``scorecard_grades``) the grades
        of the contacts it was fitted on.
    scorecard_report : ScorecardReport, optional
        Result of :meth:`clientseg.LogisticScorecard.evaluate`, ideally on held-out contacts.
    scorecard_grades : DataFrame, optional
        Result of :meth:`clientseg.LogisticScorecard.grade_table`, e.g. on held-out contacts.
    truncate : int, default 30
        Most leaves shown in the dendrogram (larger trees are truncated).

    Returns
    -------
    Path
        The path of ``index.html``.

    Raises
    ------
    InvalidParameterError
        ``out_dir`` is an existing file or cannot be created, an input has the wrong type,
        or an estimator is not fitted.
    InvalidDataError
        A frame lacks the columns its section needs.

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> from clientseg.report import build_report
    >>> scores = pd.DataFrame({"r_score": [5, 1, 3], "f_score": [4, 1, 2],
    ...                        "segment": ["Champions", "Lost", "Lost"]})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = build_report(folder, title="RFM", rfm_scores=scores)
    ...     print(path.name, "RFM: recency" in path.read_text(encoding="utf-8"))
    index.html True
    """
    if not isinstance(title, str):
        raise InvalidParameterError(
            f"build_report: parameter 'title' must be a str; got {type(title).__name__}.")
    if summary_text is not None and not isinstance(summary_text, str):
        raise InvalidParameterError(
            f"build_report: parameter 'summary_text' must be a str or None; got "
            f"{type(summary_text).__name__}.")
    if isinstance(truncate, bool) or not isinstance(truncate, numbers.Integral) or truncate < 2:
        raise InvalidParameterError(
            f"build_report: parameter 'truncate' must be an integer >= 2 (leaves shown in the "
            f"dendrogram); got {truncate!r}.")
    _check_frame("rfm_table", rfm_table, (), "the DataFrame returned by clientseg.rfm_table")
    _check_frame("rfm_scores", rfm_scores, ("r_score", "f_score"),
                 "RFMScorer(...).fit(table).transform(table)")
    _check_frame("rfm_exclusions", rfm_exclusions, ("rows",), "clientseg.rfm_exclusions(table)")
    _check_frame("scorecard_grades", scorecard_grades, ("grade",),
                 "LogisticScorecard.grade_table(X, y)")
    _check_instance("cut", cut, CutResult, "the result of clientseg.select_cut or a fitted "
                    "segmenter's cut_")
    _check_instance("segmenter", segmenter, HierarchicalSegmenter, "a fitted segmenter")
    _check_instance("quality", quality, QualityReport, "the result of segment_quality")
    _check_instance("scorecard", scorecard, LogisticScorecard, "a fitted scorecard")
    _check_instance("scorecard_report", scorecard_report, ScorecardReport,
                    "the result of LogisticScorecard.evaluate")
    if segmenter is not None:
        _check_fitted("segmenter", segmenter, "Call segmenter.fit(X) first.")
        if cut is None:
            cut = segmenter.cut_
    if scorecard is not None:
        _check_fitted("scorecard", scorecard, "Call scorecard.fit(X, y) first.")

    folder = _prepare_folder(out_dir)
    tables = _Tables(folder)
    sections: list[_Section] = []
    if rfm_table is not None or rfm_scores is not None or rfm_exclusions is not None:
        sections.append(_rfm_section(tables, rfm_table=rfm_table, rfm_scores=rfm_scores,
                                     exclusions=rfm_exclusions))
    if cut is not None or segmenter is not None:
        sections.append(_segmentation_section(tables, cut=cut, segmenter=segmenter,
                                              truncate=int(truncate)))
    if quality is not None:
        sections.append(_quality_section(tables, quality))
    if scorecard is not None or scorecard_report is not None or scorecard_grades is not None:
        sections.append(_scorecard_section(tables, card=scorecard, evaluation=scorecard_report,
                                           grades=scorecard_grades))

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    overview = [f"<section id='overview'><h2>{_SECTION_TITLES['overview']}</h2>",
                _explain("overview")]
    facts = [fact for s in sections for fact in s.facts]
    if facts:
        overview += ["<h3>At a glance</h3>", _pairs_table(facts, table_id="at-a-glance")]
    if sections:
        links = "".join(f"<li><a href='#{s.key}'>{_esc(_SECTION_TITLES[s.key])}</a></li>"
                        for s in sections)
        overview += ["<h3>Contents</h3>", f"<nav><ul>{links}</ul></nav>"]
    else:
        overview.append("<p>No results were given to this report, so it has no sections.</p>")
    if summary_text:
        overview += ["<h3>Run summary</h3>", f"<pre>{_esc(summary_text)}</pre>"]
    if tables.written:
        files = "".join(f"<li><a href='{_esc(n)}'>{_esc(n)}</a>: {_esc(d)}</li>"
                        for n, d in tables.written)
        overview += ["<h3>Tables saved beside this page (CSV)</h3>",
                     f"<ul class='files'>{files}</ul>"]
    overview.append("</section>")

    page = "".join([
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<meta name='generator' content='clientseg {_esc(__version__)}'>",
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>{_esc(title)}</h1>",
        f"<p class='meta'>Made with clientseg {_esc(__version__)} on {_esc(stamp)}.</p>",
        *overview,
        *(s.html() for s in sections),
        "</main></body></html>\n",
    ])
    path = folder / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
