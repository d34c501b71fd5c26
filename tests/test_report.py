"""The HTML report: self-contained, every section when (and only when) its inputs are given."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
import warnings
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import clientseg as cs
from clientseg.exceptions import InvalidDataError, InvalidParameterError, TiedValuesWarning
from clientseg.report import build_report

# builds full reports and drives headless Chromium: outside the fast lane (pytest -m 'not slow')
pytestmark = pytest.mark.slow

SECTION_IDS = ("overview", "rfm", "segmentation", "quality", "scorecard")
IMG_SRC = re.compile(r"<img [^>]*src='data:image/png;base64,([A-Za-z0-9+/=]+)'")


class _Tables(HTMLParser):
    """Collect the text of every cell of every table, by table id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._current: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._current = dict(attrs).get("id") or ""
            self.tables[self._current] = []
        elif tag == "tr" and self._current is not None:
            self.tables[self._current].append([])
        elif tag in ("td", "th") and self._current is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._current is not None:
            self.tables[self._current][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables_of(page: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def section_ids(page: str) -> set[str]:
    return set(re.findall(r"<section id='([a-z]+)'>", page))


@pytest.fixture(scope="module")
def results():
    """A small messy base taken through the demo's pipeline (see cli._run_demo)."""
    base = cs.synth.make_customer_base(1500, random_state=0, messy=True)
    table = cs.rfm_table(
        base.transactions, customer_id_col="customer_id", datetime_col="date",
        monetary_value_col="amount", invoice_col="invoice_id",
        observation_period_end=base.truth.as_of, returns="net", duplicates="drop")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TiedValuesWarning)  # many one-time buyers tie on F
        scores = cs.RFMScorer(n_bins=5).fit(table).transform(table)
    customers = base.customers.join(table[["recency_days", "frequency", "monetary"]],
                                    how="inner")
    X = cs.MixedDataEncoder(n_components=10).fit_transform(customers)
    segmenter = cs.HierarchicalSegmenter("auto", k_range=(2, 10), consolidate=True,
                                         random_state=0)
    labels = segmenter.fit_predict(X)
    numeric = customers[["recency_days", "frequency", "monetary", "age", "email_open_rate",
                         "site_visits"]].astype(float)
    quality = cs.segment_quality((numeric - numeric.mean()) / numeric.std(ddof=0), labels,
                                 value=customers["monetary"].clip(lower=0), random_state=0)
    contacts = base.contacts
    criteria = [c for c in contacts.columns if c != "converted"]
    train = contacts.sample(frac=0.7, random_state=0)
    test = contacts.drop(train.index)
    card = cs.LogisticScorecard(ridge=1.0).fit(train[criteria], train["converted"])
    return {
        "rfm_table": table, "rfm_scores": scores, "segmenter": segmenter,
        "cut": segmenter.cut_, "quality": quality, "scorecard": card,
        "scorecard_report": card.evaluate(test[criteria], test["converted"]),
        "scorecard_grades": card.grade_table(test[criteria], test["converted"]),
    }


@pytest.fixture(scope="module")
def full(results, tmp_path_factory):
    """The report with every section, and a copy of the inputs taken before building it."""
    frames = {k: v.copy(deep=True) for k, v in results.items() if isinstance(v, pd.DataFrame)}
    out = tmp_path_factory.mktemp("full") / "report"
    path = build_report(out, title="Spring <script>alert('x')</script> & co",
                        summary_text="k = 7\n<b>not bold</b>", **results)
    return path, path.read_text(encoding="utf-8"), frames


# ------------------------------------------------------------------------ the whole page


def test_index_html_is_written_in_the_folder_and_returned(full):
    path, page, _ = full
    assert path.name == "index.html" and path.is_file()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


def test_the_page_is_self_contained(full):
    _, page, _ = full
    assert 'src="http' not in page and "src='http" not in page
    assert "<link" not in page and "<script" not in page
    assert "@import" not in page and "url(" not in page
    images = re.findall(r"<img [^>]*>", page)
    assert images
    assert all("src='data:image/png;base64," in tag for tag in images)


def test_every_embedded_image_decodes_to_a_png(full):
    _, page, _ = full
    payloads = IMG_SRC.findall(page)
    # RFM grid and sizes, cut criteria, dendrogram, map, profile, weights, gains, calibration
    assert len(payloads) == 9
    for data in payloads:
        assert base64.b64decode(data, validate=True).startswith(b"\x89PNG\r\n\x1a\n")


def test_every_section_is_there_with_its_explanation(full):
    _, page, _ = full
    assert section_ids(page) == set(SECTION_IDS)
    assert page.count("<div class='explain'>") == len(SECTION_IDS)
    for words in ("What it shows.", "How to read it.", "What to do with it."):
        assert page.count(words) == len(SECTION_IDS)


def test_title_and_free_text_are_escaped(full):
    _, page, _ = full
    assert "<script>" not in page
    assert "Spring &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in page
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page
    # a segment name with an apostrophe is escaped too
    assert "Can&#x27;t Lose Them" in page and "Can't Lose Them</td>" not in page


def test_the_section_tables_are_written_as_csv(full, results):
    path, page, _ = full
    folder = path.parent
    expected = {"rfm_exclusions.csv", "rfm_score_distribution.csv", "rfm_segments.csv",
                "cut_criteria.csv", "segment_sizes.csv", "quality_segments.csv",
                "quality_checks.csv", "scorecard_weights.csv", "scorecard_points.csv",
                "scorecard_grades.csv", "scorecard_metrics.csv", "scorecard_gains.csv"}
    assert {p.name for p in folder.glob("*.csv")} == expected
    for name in expected:  # each is listed (and linked) in the overview
        assert f"<a href='{name}'>" in page
    weights = pd.read_csv(folder / "scorecard_weights.csv", index_col="criterion")
    card = results["scorecard"]
    pd.testing.assert_series_equal(weights["weight_pct"], card.weights_.rename("weight_pct")
                                   .sort_values(ascending=False), check_index=False,
                                   check_names=False)
    assert set(weights.index) == set(card.weights_.index)
    checks = pd.read_csv(folder / "quality_checks.csv")
    assert len(checks) == len(results["quality"].checks)


def test_the_inputs_are_not_mutated(full, results):
    _, _, before = full
    for name, frame in before.items():
        pd.testing.assert_frame_equal(results[name], frame)
    assert results["rfm_table"].attrs.keys() == before["rfm_table"].attrs.keys()


# ------------------------------------------------------------------- numbers shown


def test_the_exclusions_shown_are_the_inputs(full, results):
    _, page, _ = full
    rows = tables_of(page)["rfm-exclusions"]
    header, body = rows[0], rows[1:]
    shown = {r[header.index("rule")]: r[header.index("rows")] for r in body}
    expected = cs.rfm_exclusions(results["rfm_table"])["rows"]
    assert shown == {rule: f"{n:,}" for rule, n in expected.items()}
    # the rules that removed lines are highlighted, the others not
    applied = [rule for rule, n in expected.items() if n > 0 and rule != "kept"]
    assert applied
    for rule in applied:
        assert f"<tr class='highlight'><td>{rule}</td>" in page


def test_the_rfm_score_distribution_counts_every_customer(full, results):
    _, page, _ = full
    rows = tables_of(page)["rfm-score-distribution"]
    assert rows[0] == ["score", "R", "F", "M"]
    scores = results["rfm_scores"]
    for j, col in enumerate(("r_score", "f_score", "m_score"), start=1):
        shown = {int(r[0]): int(r[j].replace(",", "")) for r in rows[1:]}
        counts = scores[col].value_counts()
        assert shown == {s: int(counts.get(s, 0)) for s in shown}
        assert sum(shown.values()) == len(scores)


def test_chosen_k_and_reason_are_the_cut_s(full, results):
    _, page, _ = full
    cut = results["cut"]
    assert f"<span id='chosen-k'>{cut.k}</span>" in page
    assert _escaped(cut.reason) in page
    criteria = tables_of(page)["cut-criteria"]
    assert [int(r[0]) for r in criteria[1:]] == list(cut.table.index)
    assert f"<tr class='highlight'><td class='num'>{cut.k}</td>" in page
    picks = {r[0]: int(r[1]) for r in tables_of(page)["cut-picks"][1:]}
    assert picks == {k: int(v) for k, v in cut.picks.items()}


def test_segment_sizes_are_the_segmenter_s(full, results):
    _, page, _ = full
    rows = tables_of(page)["segment-sizes"][1:]
    counts = np.bincount(results["segmenter"].labels_)
    assert [int(r[1].replace(",", "")) for r in rows] == counts.tolist()


def test_the_weights_shown_are_the_scorecard_s(full, results):
    _, page, _ = full
    rows = tables_of(page)["scorecard-weights"][1:]
    weights = results["scorecard"].weights_
    assert {r[0] for r in rows} == set(weights.index)
    for criterion, text in rows:
        assert float(text) == pytest.approx(weights[criterion], abs=0.01)
    shown = [float(text) for _, text in rows]
    assert shown == sorted(shown, reverse=True)


def test_the_failed_checks_are_highlighted(full, results):
    _, page, _ = full
    checks = results["quality"].checks
    rows = tables_of(page)["quality-checks"][1:]
    assert len(rows) == len(checks)
    n_failed = int((~checks["passed"]).sum())
    assert n_failed > 0  # the small base has a few weak segments
    fail_rows = re.findall(r"<tr class='fail'>", page)
    assert len(fail_rows) == n_failed
    passed = [r[4] for r in rows]
    assert passed.count("no") == n_failed


def test_the_scorecard_metrics_and_grades_are_the_report_s(full, results):
    _, page, _ = full
    report = results["scorecard_report"]
    metrics = dict(tables_of(page)["scorecard-metrics"])
    assert metrics["AUC"] == f"{report.auc:.4f}"
    assert metrics["contacts"] == f"{report.n:,}"
    grades = tables_of(page)["scorecard-grades"]
    expected = results["scorecard_grades"]
    assert [r[0] for r in grades[1:]] == list(expected["grade"].astype(str))
    assert "Grades (as given)" in page


def _escaped(text: str) -> str:
    import html

    return html.escape(text, quote=True)


# ------------------------------------------------------------ sections only when given


@pytest.mark.parametrize(
    ("given", "sections"),
    [
        ((), {"overview"}),
        (("rfm_table",), {"overview", "rfm"}),
        (("rfm_scores",), {"overview", "rfm"}),
        (("cut",), {"overview", "segmentation"}),
        (("quality",), {"overview", "quality"}),
        (("scorecard_report",), {"overview", "scorecard"}),
        (("rfm_table", "scorecard_grades"), {"overview", "rfm", "scorecard"}),
    ],
)
def test_a_section_appears_only_when_its_input_is_given(results, tmp_path, given, sections):
    path = build_report(tmp_path, **{k: results[k] for k in given})
    page = path.read_text(encoding="utf-8")
    assert section_ids(page) == sections
    for key in set(SECTION_IDS) - sections:
        assert f"id='{key}'" not in page and f"href='#{key}'" not in page
    if not given:
        assert "no sections" in page and not list(tmp_path.glob("*.csv"))


def test_rfm_table_alone_shows_its_exclusions_and_distribution(results, tmp_path):
    page = build_report(tmp_path, rfm_table=results["rfm_table"]).read_text(encoding="utf-8")
    tables = tables_of(page)
    assert "rfm-exclusions" in tables and "rfm-describe" in tables
    assert "<img" not in page  # no scores: no R×F grid


def test_exclusions_given_explicitly_win_over_the_table_s(results, tmp_path):
    exclusions = cs.rfm_exclusions(results["rfm_table"]).copy()
    exclusions.loc["duplicate", "rows"] = 12_345
    page = build_report(tmp_path, rfm_table=results["rfm_table"],
                        rfm_exclusions=exclusions).read_text(encoding="utf-8")
    rows = {r[0]: r[1] for r in tables_of(page)["rfm-exclusions"][1:]}
    assert rows["duplicate"] == "12,345"


def test_scorecard_without_given_grades_shows_its_training_grades(results, tmp_path):
    page = build_report(tmp_path, scorecard=results["scorecard"]).read_text(encoding="utf-8")
    assert "Grades (on the contacts the scorecard was fitted on)" in page
    grades = tables_of(page)["scorecard-grades"]
    assert len(grades) - 1 == len(results["scorecard"].grade_table_)


def test_building_leaves_no_pyplot_figure_open(results, tmp_path):
    code = (
        "import sys, pandas as pd\n"
        "from clientseg.report import build_report\n"
        "s = pd.DataFrame({'r_score': [5, 1, 3], 'f_score': [4, 1, 2], "
        "'segment': ['A', 'B', 'B']})\n"
        f"build_report({str(tmp_path)!r}, rfm_scores=s)\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- errors


def test_an_existing_file_as_out_dir_is_refused(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("already here", encoding="utf-8")
    with pytest.raises(InvalidParameterError, match=r"'out_dir' is .*an existing file, not a "
                                                    r"folder"):
        build_report(target)
    assert target.read_text(encoding="utf-8") == "already here"


def test_a_folder_under_a_file_cannot_be_created(tmp_path):
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(InvalidParameterError, match="cannot create the folder"):
        build_report(target / "sub")


def test_out_dir_must_be_a_path(tmp_path):
    with pytest.raises(InvalidParameterError, match="'out_dir' must be a folder path"):
        build_report(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cut": "7"}, "parameter 'cut' must be a CutResult"),
        ({"quality": pd.DataFrame()}, "parameter 'quality' must be a QualityReport"),
        ({"scorecard_report": 0.8}, "parameter 'scorecard_report' must be a ScorecardReport"),
        ({"rfm_scores": [1, 2]}, "parameter 'rfm_scores' must be a DataFrame"),
        ({"title": None}, "parameter 'title' must be a str"),
        ({"summary_text": 3}, "parameter 'summary_text' must be a str"),
        ({"truncate": 1}, "parameter 'truncate' must be an integer >= 2"),
        ({"segmenter": cs.HierarchicalSegmenter(4)}, "'segmenter' is a HierarchicalSegmenter "
                                                     "that is not fitted"),
        ({"scorecard": cs.LogisticScorecard()}, "'scorecard' is a LogisticScorecard that is "
                                                "not fitted"),
    ],
)
def test_wrong_inputs_are_named(tmp_path, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        build_report(tmp_path, **kwargs)
    assert not (tmp_path / "index.html").exists()


def test_scores_without_the_score_columns_are_refused(tmp_path):
    with pytest.raises(InvalidDataError, match=r"'rfm_scores' lacks the column\(s\) "
                                               r"\['f_score'\]"):
        build_report(tmp_path, rfm_scores=pd.DataFrame({"r_score": [1, 2]}))


def test_the_package_exposes_build_report():
    assert cs.build_report is build_report
    assert cs.report.build_report is build_report


# ------------------------------------------------------------------ in a real browser


def test_the_report_renders_in_headless_chromium(full, tmp_path):
    """The issue's done-when: a screenshot of the page shows figures, not broken images."""
    browser = shutil.which("chromium")
    if browser is None:
        pytest.skip("chromium is not installed")
    import matplotlib.image as mpimg

    path, _, _ = full
    shot = tmp_path / "shot.png"
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={shot}", "--window-size=1200,3000", path.resolve().as_uri()],
        capture_output=True, timeout=60, check=False,
    )
    assert shot.is_file(), "chromium wrote no screenshot"
    pixels = mpimg.imread(shot)[..., :3]
    assert pixels.shape[:2] == (3000, 1200)
    assert pixels.std() > 0.05
    assert not np.all(pixels > 0.98)
    # the R×F grid (a blue heatmap) lies within the first 3000 pixels: with its image
    # broken, only the blue links and borders remain (about 12,000 such pixels, 64,000 drawn)
    blue = (pixels[..., 2] - pixels[..., 0] > 0.25) & (pixels[..., 1] > 0.3) & (
        pixels[..., 2] > 0.5)
    assert blue.sum() > 30_000
