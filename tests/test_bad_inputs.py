"""The bad-input catalogue: one row per case of the 2026-12 bad-input review.

Each row names its finding (``R<n>`` is the review's number), calls one public function or
CLI subcommand on a bad input and asserts the outcome: our error class with ``match=``
naming the column or parameter and the fix, or a documented result. Every row also checks
that no input was modified. Rows that could hang run in a subprocess with a timeout (no
pytest-timeout here). Rows the branch could not fix are ``xfail(strict=True)`` with the
finding's number, so a fix shows up as an unexpected pass.
"""

from __future__ import annotations

import copy
import io
import os
import re
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.cluster.hierarchy import linkage

import clientseg as cs
from clientseg import cli
from clientseg.exceptions import (
    ClientsegError,
    InvalidDataError,
)

SRC = Path(__file__).resolve().parents[1] / "src"


@dataclass
class Case:
    """One catalogue row: ``call(*args, **kwargs)`` and what it must do."""

    id: str
    call: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    raises: type[Exception] | None = None
    match: str | None = None
    check: Callable[[Any], None] | None = None
    xfail: str | None = None


def _same(a: Any, b: Any) -> bool:
    """Deep equality of call inputs (frames, arrays, containers), NaN equal to NaN."""
    if isinstance(a, pd.DataFrame | pd.Series):
        try:
            if isinstance(a, pd.DataFrame):
                pd.testing.assert_frame_equal(a, b)
            else:
                pd.testing.assert_series_equal(a, b)
        except AssertionError:
            return False
        return True
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return True  # objects without equality (engine frames) are checked by their rows


def run_case(case: Case) -> None:
    before = copy.deepcopy((case.args, case.kwargs))
    if case.raises is not None:
        with pytest.raises(case.raises, match=case.match):
            case.call(*case.args, **case.kwargs)
    else:
        result = case.call(*case.args, **case.kwargs)
        assert case.check is not None, "a row without an error must check its result"
        case.check(result)
    assert _same(before, (case.args, case.kwargs)), "the call modified its input"


def params(cases: list[Case]) -> list[Any]:
    out = []
    for c in cases:
        marks = [pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else []
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out


def run_in_subprocess(code: str, timeout: float = 60.0) -> str:
    """Run ``code`` in a fresh interpreter; fail (not hang) past ``timeout`` seconds."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    try:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True, text=True, timeout=timeout, env=env, check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the call did not return within {timeout:.0f} s (hang)")
    return done.stdout + done.stderr


rng = np.random.default_rng(0)


# --------------------------------------------------------------------------------------
# ward_linkage / ward_tree / HierarchicalSegmenter
# --------------------------------------------------------------------------------------

def _equals_scipy(X: np.ndarray, weight: float = 1.0) -> Callable[[np.ndarray], None]:
    """Scipy's tree; a common weight w multiplies every height by sqrt(w)."""
    def check(Z: np.ndarray) -> None:
        ref = linkage(X, "ward")
        np.testing.assert_allclose(Z[:, 2] / np.sqrt(weight), ref[:, 2], rtol=1e-9)
        np.testing.assert_array_equal(Z[:, 3], ref[:, 3])
    return check


_OUTLIER = np.array([[1e25, 0.0], [0.0, 0.0], [1.0, 1.0], [2.0, 0.5]])
_OUTLIER_30 = np.vstack([[1e20, 0.0], np.random.default_rng(1).normal(size=(29, 2))])
_HUGE = np.vstack([[1e300, 0.0], np.random.default_rng(2).normal(size=(9, 2))])


def _finite_tree(Z: np.ndarray) -> None:
    assert np.isfinite(Z).all()
    # the outlier joins last, at a height of its distance's order (sqrt(2 * 9/10) 1e300)
    assert Z[-1, 2] == pytest.approx(np.sqrt(2 * 9 / 10) * 1e300, rel=1e-6)


WARD = [
    Case("R5-ward_linkage-outlier-1e25-equals-scipy", cs.ward_linkage, (_OUTLIER,),
         check=_equals_scipy(_OUTLIER)),
    Case("R5-ward_linkage-outlier-1e20-equals-scipy", cs.ward_linkage, (_OUTLIER_30,),
         check=_equals_scipy(_OUTLIER_30)),
    Case("R5-ward_linkage-outlier-1e300-finite-tree", cs.ward_linkage, (_HUGE,),
         check=_finite_tree),
    Case("R5-ward_tree-outlier-1e25-equals-scipy", lambda X: cs.ward_tree(X).linkage,
         (_OUTLIER,), check=_equals_scipy(_OUTLIER)),
    Case("R5-segmenter-outlier-1e25-two-segments",
         lambda X: cs.HierarchicalSegmenter(2).fit(X).labels_, (_OUTLIER,),
         check=lambda lab: np.testing.assert_array_equal(lab == lab[0], [1, 0, 0, 0])),
    Case("R5-ward_linkage-weights-1e300-equal-scale", cs.ward_linkage,
         (_OUTLIER[1:],), {"sample_weight": np.full(3, 1e300)},
         check=_equals_scipy(_OUTLIER[1:], 1e300)),
]


@pytest.mark.parametrize("case", params(WARD))
def test_ward(case: Case) -> None:
    run_case(case)


HANGS = [
    pytest.param("cs.ward_linkage(X, sample_weight=w)", id="R1-ward_linkage-weight-1e50"),
    pytest.param("cs.ward_tree(X, sample_weight=w)", id="R1-ward_tree-weight-1e50"),
    pytest.param("cs.HierarchicalSegmenter(2).fit(X, sample_weight=w)",
                 id="R1-segmenter-fit-weight-1e50"),
    pytest.param("cs.HierarchicalSegmenter(2, strategy='two_stage', n_micro=5)"
                 ".fit(X, sample_weight=w)", id="R1-segmenter-two-stage-weight-1e50"),
]


@pytest.mark.slow
@pytest.mark.parametrize("call", HANGS)
def test_ward_huge_weight_is_refused_quickly(call: str) -> None:
    out = run_in_subprocess(f"""
        import numpy as np, clientseg as cs
        X = np.random.default_rng(0).normal(size=(10, 2))
        w = np.r_[1e50, np.ones(9)]
        w0 = w.copy()
        try:
            {call}
        except cs.exceptions.InvalidDataError as exc:
            print("REFUSED", exc)
        assert np.array_equal(w, w0)
    """)
    assert re.search(r"REFUSED sample_weight spans a ratio of 1e\+50 .*row 0.*up to 1e\+30"
                     r".*Rescale or cap the weights", out), out


# --------------------------------------------------------------------------------------
# helpers for the CLI rows: write the frame to a file, run the command in process
# --------------------------------------------------------------------------------------

CliResult = tuple[int, str, str, dict[str, pd.DataFrame]]


def run_cli(frame: pd.DataFrame, *argv: str, name: str = "tx.csv") -> CliResult:
    """Run ``clientseg argv[0] FILE argv[1:]``; return code, out, err and the CSVs written."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        frame.to_csv(path, index=False)
        out, err = io.StringIO(), io.StringIO()
        args = [a.replace("{tmp}", tmp) for a in argv]
        code = cli.main([args[0], str(path), *args[1:]], out=out, err=err)
        written = {p.name: pd.read_csv(p) for p in Path(tmp).glob("o/*.csv")}
        return code, out.getvalue(), err.getvalue(), written


def cli_error(pattern: str) -> Callable[[CliResult], None]:
    """Exit 2, one error line matching ``pattern``, no traceback."""
    def check(result: CliResult) -> None:
        code, _, err, _ = result
        assert code == 2, err
        assert "Traceback" not in err
        lines = [line for line in err.splitlines() if ": error: " in line]
        assert len(lines) == 1, err
        assert re.search(pattern, lines[0]), lines[0]
    return check


def cli_ok(pattern: str, **last: str) -> Callable[[CliResult], None]:
    """Exit 0, ``pattern`` in the summary; ``last``: customer -> last purchase written."""
    def check(result: CliResult) -> None:
        code, out, err, written = result
        assert code == 0, err
        assert re.search(pattern, out), out
        if last:
            table = written["rfm_table.csv"].set_index("c")
            for customer, date in last.items():
                got = pd.Timestamp(table.loc[int(customer[1:]), "last_purchase"])
                assert got == pd.Timestamp(date)
    return check


RFM_FLAGS = ("--customer-id", "c", "--date", "d", "--amount", "a", "--quiet",
             "--out", "{tmp}/o")


def _rfm(frame: Any, **kw: Any) -> pd.DataFrame:
    return cs.rfm_table(frame, customer_id_col="c", datetime_col="d", monetary_value_col="a",
                        **{"observation_period_end": "2025-12-31", **kw})


# --------------------------------------------------------------------------------------
# rfm_table and `clientseg rfm`: dates
# --------------------------------------------------------------------------------------

_DMY = pd.DataFrame({"c": [1, 2], "d": ["01/02/2025", "16/01/2025"], "a": [1.0, 1.0]})
_EPOCH = pd.DataFrame({"c": [1, 2], "d": [1735689600, 1738368000], "a": [1.0, 2.0]})
_PARIS = pd.DataFrame({"c": [1, 2, 1, 2],
                       "d": ["2025-01-10 10:00:00+01:00", "2025-07-10 10:00:00+02:00",
                             "2025-02-10 23:30:00+01:00", "2025-08-10 23:30:00+02:00"],
                       "a": [1.0, 2.0, 3.0, 4.0]})
_NAIVE = pd.DataFrame({"c": [1, 2], "d": pd.to_datetime(["2025-01-01", "2025-02-01"]),
                       "a": [1.0, 2.0]})


def _last_purchases(*expected: str) -> Callable[[pd.DataFrame], None]:
    def check(table: pd.DataFrame) -> None:
        assert table["last_purchase"].tolist() == [pd.Timestamp(e) for e in expected]
    return check


DATES = [
    Case("R7-rfm_table-ambiguous-day-month-text-refused", _rfm, (_DMY,),
         raises=InvalidDataError,
         match=r"Column 'd' \(datetime_col\) has 2 values written as day/month/year.*"
               r"first at row 0: '01/02/2025'.*Pass date_format='%d/%m/%Y'"),
    Case("R7-rfm_table-date_format-reads-the-whole-column", _rfm, (_DMY,),
         {"date_format": "%d/%m/%Y"},
         check=_last_purchases("2025-02-01", "2025-01-16")),
    Case("R7-rfm_table-date_format-mismatch-names-the-row", _rfm, (_DMY,),
         {"date_format": "%m/%d/%Y"}, raises=InvalidDataError,
         match=r"1 value that cannot be parsed as dates with date_format='%m/%d/%Y' "
               r"\(first at row 1: '16/01/2025'\)"),
    Case("R7-rfm_table-numbers-are-not-dates", _rfm, (_EPOCH,), raises=InvalidDataError,
         match=r"Column 'd' \(datetime_col\) holds numbers, not dates.*unit='s'"),
    Case("R4-rfm_table-paris-winter-and-summer-offsets", _rfm, (_PARIS,),
         {"timezone": "Europe/Paris"},
         check=_last_purchases("2025-02-10 23:30:00", "2025-08-10 23:30:00")),
    Case("R24-rfm_table-invalid-timezone-on-naive-dates", _rfm, (_NAIVE,),
         {"timezone": "Mars/Base"}, raises=cs.exceptions.InvalidParameterError,
         match=r"Parameter 'timezone' must be an IANA time-zone name.*'Mars/Base'"),
    Case("R3-cli-rfm-epoch-integers-refused", run_cli, (_EPOCH, "rfm", *RFM_FLAGS,
                                                        "--as-of", "2025-12-31"),
         check=cli_error(r"Column 'd' \(--date\) holds numbers, not dates")),
    Case("R7-cli-rfm-ambiguous-dates-refused-with-the-flag", run_cli,
         (_DMY, "rfm", *RFM_FLAGS, "--as-of", "2025-12-31"),
         check=cli_error(r"\(--date\) has 2 values written as day/month/year.*"
                         r"--date-format '?%d/%m/%Y")),
    Case("R7-cli-rfm-date-format-reads-dd-mm", run_cli,
         (_DMY, "rfm", *RFM_FLAGS, "--as-of", "2025-12-31", "--date-format", "%d/%m/%Y",
          "--bins", "2"),
         check=cli_ok(r"2 customers, 2 of 2 rows used", c1="2025-02-01", c2="2025-01-16")),
    Case("R4-cli-rfm-paris-offsets-accepted", run_cli,
         (_PARIS, "rfm", *RFM_FLAGS, "--as-of", "2025-12-31", "--timezone", "Europe/Paris",
          "--bins", "2"),
         check=cli_ok(r"2 customers, 4 of 4 rows used", c1="2025-02-10 23:30",
                      c2="2025-08-10 23:30")),
    Case("R24-cli-rfm-invalid-timezone-refused", run_cli,
         (_NAIVE, "rfm", *RFM_FLAGS, "--as-of", "2025-12-31", "--timezone", "Mars/Base"),
         check=cli_error(r"Option --timezone must be an IANA time-zone name.*Mars/Base")),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", params(DATES))
def test_rfm_dates(case: Case) -> None:
    run_case(case)


# --------------------------------------------------------------------------------------
# rfm_table: amounts on every engine, overflow, uint64 ids
# --------------------------------------------------------------------------------------

def _inf_amounts(kind: str) -> Any:
    frame = pd.DataFrame({"c": [1, 1, 2], "d": pd.to_datetime(["2025-01-01"] * 3),
                          "a": [1.0, float("inf"), 2.0]})
    if kind == "polars":
        import polars as pl
        return pl.from_pandas(frame)
    if kind == "pyarrow":
        import pyarrow as pa
        return pa.Table.from_pandas(frame, preserve_index=False)
    if kind == "duckdb":
        import duckdb
        return duckdb.from_arrow(
            __import__("pyarrow").Table.from_pandas(frame, preserve_index=False))
    return frame


_OVERFLOW = pd.DataFrame({"c": [1, 1, 2], "d": pd.to_datetime(["2025-01-01"] * 3),
                          "a": [1e308, 1e308, 1.0]})

AMOUNTS = [
    *(Case(f"R8-rfm_table-{kind}-inf-amount-refused", lambda k: _rfm(_inf_amounts(k)), (kind,),
           raises=InvalidDataError,
           match=r"Column 'a' \(monetary_value_col\) has 1 (value that is )?inf.*"
                 r"Replace them with finite numbers")
      for kind in ("pandas", "polars", "pyarrow", "duckdb")),
    Case("R22-rfm_table-pandas-sum-overflow-refused", _rfm, (_OVERFLOW,),
         raises=InvalidDataError,
         match=r"amounts \(monetary_value_col\) of 1 customer\(s\) \(first: 1\) sum beyond "
               r"the largest float.*Rescale the amounts"),
    Case("R22-rfm_table-polars-sum-overflow-refused",
         lambda f: _rfm(__import__("polars").from_pandas(f)), (_OVERFLOW,),
         raises=InvalidDataError, match=r"sum beyond the largest float.*Rescale the amounts"),
]


@pytest.mark.slow
@pytest.mark.parametrize("case", params(AMOUNTS))
def test_rfm_amounts(case: Case) -> None:
    run_case(case)


# --------------------------------------------------------------------------------------
# RFMScorer
# --------------------------------------------------------------------------------------

_RFM_TABLE = pd.DataFrame({"monetary": [900.0, 15.0], "frequency": [12, 1],
                           "recency_days": [3, 200]})

SCORER = [
    Case("R9-RFMScorer-misspelt-column-refused",
         lambda t: cs.RFMScorer(2, segment_map=None,
                                columns=("recency_days", "frequency", "monetry")).fit(t),
         (_RFM_TABLE,), raises=cs.exceptions.MissingColumnsError,
         match=r"X is missing 1 column: 'monetry' \(columns\[2\]\).*'monetary'.*"
               r"Pass the right names"),
    Case("R9-RFMScorer-right-columns-score-by-name",
         lambda t: cs.RFMScorer(2, segment_map=None).fit_transform(t), (_RFM_TABLE,),
         check=lambda s: np.testing.assert_array_equal(
             s[["r_score", "f_score", "m_score"]].to_numpy(), [[2, 2, 2], [1, 1, 1]])),
]


@pytest.mark.parametrize("case", params(SCORER))
def test_rfm_scorer(case: Case) -> None:
    run_case(case)


# --------------------------------------------------------------------------------------
# psi, select_cut, LogisticScorecard parameters and levels
# --------------------------------------------------------------------------------------

_Y = (np.random.default_rng(3).random(200) < 0.4).astype(int)
_V = pd.DataFrame({"v": np.random.default_rng(4).normal(size=200)})
_MIXED = pd.DataFrame({"m": pd.Series([1, "1", 2, "x"] * 50, dtype=object)})


def _nan_height_linkage() -> np.ndarray:
    Z = cs.ward_linkage(np.random.default_rng(5).normal(size=(10, 2)))
    Z[3, 2] = np.nan
    return Z


_X10 = np.random.default_rng(5).normal(size=(10, 2))

SCORES = [
    Case("R23-psi-nan-refused", cs.psi, (np.r_[np.nan, np.arange(10.0)], np.arange(10.0)),
         raises=InvalidDataError,
         match=r"expected has 1 value that is NaN or missing \(first at row 0\)\. Drop them"),
    Case("R23-psi-inf-in-actual-refused", cs.psi, (np.arange(10.0), np.r_[np.arange(9.0), np.inf]),
         raises=InvalidDataError, match=r"actual has 1 value that is inf \(first at row 9\)"),
    Case("R23-psi-empty-refused", cs.psi, (np.array([]), np.arange(10.0)),
         raises=cs.exceptions.EmptyDataError, match=r"expected is empty"),
    Case("R23-psi-strings-refused", cs.psi, (np.array(["a", "b"]), np.arange(10.0)),
         raises=InvalidDataError,
         match=r"expected has 2 values that are not numbers \(first at row 0: 'a'\).*"
               r"pd.to_numeric"),
    Case("R24-select_cut-nan-height-refused", cs.select_cut, (_nan_height_linkage(), _X10),
         raises=cs.exceptions.InvalidParameterError,
         match=r"Parameter 'tree' has 1 NaN or inf value\(s\) \(first at merge 3, column 2\)"),
    Case("R24-LogisticScorecard-nan-edge-refused",
         lambda X, y: cs.LogisticScorecard(edges={"v": [0.0, np.nan]}).fit(X, y), (_V, _Y),
         raises=cs.exceptions.InvalidParameterError,
         match=r"Parameter 'edges' for column 'v' has 1 value\(s\) that are NaN.*position 1"),
    Case("R26-LogisticScorecard-string-edge-refused",
         lambda X, y: cs.LogisticScorecard(edges={"v": ["a", 1.0]}).fit(X, y), (_V, _Y),
         raises=cs.exceptions.InvalidParameterError,
         match=r"Parameter 'edges' for column 'v' .*not numbers \(first at position 0: 'a'\)"),
    Case("R25-LogisticScorecard-1-and-'1'-refused",
         lambda X, y: cs.LogisticScorecard().fit(X, y), (_MIXED, _Y),
         raises=InvalidDataError,
         match=r"Column 'm' \(categorical criterion\) has 2 distinct values that read the "
               r"same, e.g. '1' as int and str \(100 rows, first at row 0\).*astype\(str\)"),
]


@pytest.mark.parametrize("case", params(SCORES))
def test_scores_and_cuts(case: Case) -> None:
    run_case(case)


# --------------------------------------------------------------------------------------
# segment_quality / QualityReport / build_report / `clientseg quality`
# --------------------------------------------------------------------------------------

_NOISE = np.random.default_rng(0).normal(size=(120, 2))
_ABC = np.repeat(list("abc"), 40)


def _no_top_variables(frame: pd.DataFrame) -> None:
    assert frame["segment"].tolist() == ["a", "b", "c"]
    assert frame["top_variables"].tolist() == ["", "", ""]


QUALITY = [
    Case("R2-QualityReport-to_frame-without-significant-variables",
         lambda X, s: cs.segment_quality(X, s).to_frame(), (_NOISE, _ABC),
         check=_no_top_variables),
    Case("R2-QualityReport-summary-without-significant-variables",
         lambda X, s: str(cs.segment_quality(X, s).summary()), (_NOISE, _ABC),
         check=lambda text: (_ for _ in ()).throw(AssertionError(text))
         if "Segment quality: 3 segments" not in text else None),
]


_NOISE_FILE = pd.DataFrame({"id": np.arange(120), "x1": _NOISE[:, 0], "x2": _NOISE[:, 1],
                            "segment": _ABC})
QUALITY.append(
    Case("R2-cli-quality-without-significant-variables", run_cli,
         (_NOISE_FILE, "quality", "--labels", "segment", "--id", "id", "--seed", "0",
          "--out", "{tmp}/o"),
         check=cli_ok(r"Segment quality: 3 segments")))


@pytest.mark.parametrize("case", params(QUALITY))
def test_quality(case: Case) -> None:
    run_case(case)


# --------------------------------------------------------------------------------------
# LogisticScorecard.from_json: the saved document is checked against its schema
# --------------------------------------------------------------------------------------

def _card_and_data() -> tuple[Any, pd.DataFrame]:
    r = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame({"v": r.normal(size=n), "c": r.choice(list("abc"), n)})
    X.loc[:5, "v"] = np.nan
    y = ((X["v"].fillna(0) + (X["c"] == "a") + r.normal(size=n)) > 0.5).astype(int)
    return cs.LogisticScorecard().fit(X, y), X


_CARD, _CARD_X = _card_and_data()
_DOC = __import__("json").loads(_CARD.to_json())


def _edited(edit: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    doc = copy.deepcopy(_DOC)
    edit(doc)
    return doc


def _level(i: int, j: int, **values: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda d: d["criteria"][i]["levels"][j].update(values)


def _loads_and_scores_like(expected_shift: float) -> Callable[[Any], None]:
    def check(card: Any) -> None:
        # level 1 of 'v' gained 1 point: rows in that band score 1 more, others the same
        band = _CARD._criteria[0].encode(_CARD_X["v"])[0] == 1
        diff = np.asarray(card.points(_CARD_X)) - np.asarray(_CARD.points(_CARD_X))
        np.testing.assert_array_equal(diff, np.where(band, expected_shift, 0.0))
    return check


_DOC_ERR = cs.exceptions.InvalidDocumentError
_FIX = r".*(to_json|Restore|restore)"

FROM_JSON = [
    Case("R10-from_json-missing-params", cs.LogisticScorecard.from_json,
         (_edited(lambda d: d.pop("params")),), raises=_DOC_ERR,
         match=r"\$\.params is 'missing' but must be present" + _FIX),
    Case("R10-from_json-extra-param", cs.LogisticScorecard.from_json,
         (_edited(lambda d: d["params"].update(colour=1)),), raises=_DOC_ERR,
         match=r"\$\.params\.colour is 1 but must be absent" + _FIX),
    Case("R10-from_json-retyped-intercept", cs.LogisticScorecard.from_json,
         (_edited(lambda d: d.update(intercept="high")),), raises=_DOC_ERR,
         match=r"\$\.intercept is 'high' but must be a finite number" + _FIX),
    Case("R10-from_json-unsorted-edges", cs.LogisticScorecard.from_json,
         (_edited(lambda d: d["criteria"][0]["edges"].reverse()),), raises=_DOC_ERR,
         match=r"\$\.criteria\[0\]\.edges\[1\] is .* but must be greater than the edge before"),
    Case("R10-from_json-reference-out-of-range", cs.LogisticScorecard.from_json,
         (_edited(lambda d: d["criteria"][0].update(reference=9)),), raises=_DOC_ERR,
         match=r"\$\.criteria\[0\]\.reference is 9 but must be an integer in 0\.\.5"),
    Case("R10-from_json-empty-levels", cs.LogisticScorecard.from_json,
         (_edited(lambda d: d["criteria"][1].update(levels=[])),), raises=_DOC_ERR,
         match=r"\$\.criteria\[1\]\.levels is \[\] but must be a list of at least 1"),
    Case("R10-from_json-unknown-kind", cs.LogisticScorecard.from_json,
         (_edited(lambda d: d["criteria"][0].update(kind="ordinal")),), raises=_DOC_ERR,
         match=r"\$\.criteria\[0\]\.kind is 'ordinal' but must be 'numeric' or 'categorical'"),
    Case("R10-from_json-bad-band_to_level", cs.LogisticScorecard.from_json,
         (_edited(lambda d: d["criteria"][0].update(band_to_level=[0, 1, 2, 3, 7])),),
         raises=_DOC_ERR,
         match=r"\$\.criteria\[0\]\.band_to_level\[4\] is 7 but must be an integer in 0\.\.5"),
    Case("R10-from_json-criterion-not-a-column", cs.LogisticScorecard.from_json,
         (_edited(lambda d: d["criteria"][0].update(name="w")),), raises=_DOC_ERR,
         match=r"\$\.criteria\[0\]\.name is 'w' but must be one of the columns"),
    Case("R10-from_json-empty-criteria", cs.LogisticScorecard.from_json,
         (_edited(lambda d: d.update(criteria=[])),), raises=_DOC_ERR,
         match=r"\$\.criteria is \[\] but must be a list of at least 1"),
    Case("R10-from_json-other_level-out-of-range", cs.LogisticScorecard.from_json,
         (_edited(lambda d: d["criteria"][1].update(other_level=3)),), raises=_DOC_ERR,
         match=r"\$\.criteria\[1\]\.other_level is 3 but must be an integer in 0\.\.2"),
    Case("R10-from_json-too-few-grade-labels", cs.LogisticScorecard.from_json,
         (_edited(lambda d: d["params"].update(grade_labels=["A", "B"])),), raises=_DOC_ERR,
         match=r"\$\.params\.grade_labels is \['A', 'B'\] but must be a list of 3 labels"),
    Case("R10-from_json-deep-nesting", cs.LogisticScorecard.from_json, ("[" * 5000,),
         raises=_DOC_ERR, match=r"nested too deeply to read.*at most 32 levels"),
    Case("R10-from_json-not-json", cs.LogisticScorecard.from_json, ('{"schema": 1',),
         raises=_DOC_ERR, match=r"is not valid JSON: Expecting ',' delimiter at line 1"),
    Case("R11-from_json-Infinity-literal", cs.LogisticScorecard.from_json,
         (_CARD.to_json().replace('"points": 0.0', '"points": Infinity', 1),), raises=_DOC_ERR,
         match=r"holds the literal Infinity.*Replace it with a finite number"),
    Case("R11-from_json-nan-points-in-a-dict", cs.LogisticScorecard.from_json,
         (_edited(_level(0, 0, points=float("nan"))),), raises=_DOC_ERR,
         match=r"\$\.criteria\[0\]\.levels\[0\]\.points is nan but must be a finite number"),
    Case("R11-from_json-null-points", cs.LogisticScorecard.from_json,
         (_edited(_level(0, 0, points=None)),), raises=_DOC_ERR,
         match=r"\$\.criteria\[0\]\.levels\[0\]\.points is None but must be a finite number"),
    Case("R11-from_json-points-above-the-range", cs.LogisticScorecard.from_json,
         (_edited(_level(0, 0, points=1e308)),), raises=_DOC_ERR,
         match=r"points from .* to 1e\+308 .*scaling='range' card scores within 0\.\.100"),
    Case("R11-from_json-negative-points", cs.LogisticScorecard.from_json,
         (_edited(_level(0, 0, points=-50.0)),), raises=_DOC_ERR,
         match=r"points from -50 to .*within 0\.\.100"),
    Case("R11-from_json-zero-scale", cs.LogisticScorecard.from_json,
         (_edited(lambda d: d["scale"].update(factor=0)),), raises=_DOC_ERR,
         match=r"\$\.scale\.factor is 0 but must be a number > 0"),
    Case("R11-from_json-empty-grade-cutoffs", cs.LogisticScorecard.from_json,
         (_edited(lambda d: d.update(grade_cutoffs=[])),), raises=_DOC_ERR,
         match=r"\$\.grade_cutoffs is \[\] but must be a list of at least 1"),
    Case("R11-from_json-increasing-grade-cutoffs", cs.LogisticScorecard.from_json,
         (_edited(lambda d: d.update(grade_cutoffs=[10.0, 42.0])),), raises=_DOC_ERR,
         match=r"\$\.grade_cutoffs\[1\] is 42.0 but must be at most the cut-off before it"),
    Case("R10-from_json-valid-points-edit-loads", cs.LogisticScorecard.from_json,
         (_edited(_level(0, 1, points=_DOC["criteria"][0]["levels"][1]["points"] + 1)),),
         check=_loads_and_scores_like(1.0)),
]


@pytest.mark.parametrize("case", params(FROM_JSON))
def test_from_json(case: Case) -> None:
    run_case(case)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


_DOC_PATHS = [p for p in _paths(_DOC) if p]
_JUNK = [None, True, -1, 0, 7, 0.5, -1e308, 1e308, "x", "", [], {}, [0], {"a": 1},
         float("nan"), float("inf"), 10**30]


@given(paths=st.lists(st.sampled_from(_DOC_PATHS), min_size=1, max_size=3),
       ops=st.lists(st.sampled_from(["delete", "replace", "empty", "duplicate"]),
                    min_size=3, max_size=3),
       junk=st.lists(st.sampled_from(_JUNK), min_size=3, max_size=3))
@pytest.mark.slow
def test_from_json_corruptions_give_our_error_or_a_card_in_range(paths, ops, junk):
    doc = copy.deepcopy(_DOC)
    for path, op, value in zip(paths, ops, junk, strict=False):
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            last = path[-1]
            target = parent[last]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier corruption removed this path
        if op == "delete":
            del parent[last]
        elif op == "replace":
            parent[last] = copy.deepcopy(value)
        elif op == "empty" and isinstance(target, list | dict):
            target.clear()
        elif op == "duplicate" and isinstance(target, list) and target:
            target.append(copy.deepcopy(target[0]))
    try:
        card = cs.LogisticScorecard.from_json(doc)
    except InvalidDataError:
        return
    try:
        with warnings.catch_warnings():  # our warnings (unseen levels) are fine here
            warnings.simplefilter("ignore", cs.exceptions.ClientsegWarning)
            points = np.asarray(card.points(_CARD_X), dtype=float)
            card.grade(_CARD_X)
    except ClientsegError:
        return
    assert np.isfinite(points).all()
    assert points.min() >= -0.5 * len(card.criteria_) and points.max() <= 100.5 + len(
        card.criteria_)


# --------------------------------------------------------------------------------------
# output paths: `--out` of every file command, LogisticScorecard.to_json(path)
# --------------------------------------------------------------------------------------

def _to_json_into(kind: str) -> str:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        if kind == "a folder":
            target = Path(tmp)
        else:  # a missing folder
            target = Path(tmp) / "missing" / "card.json"
        return _CARD.to_json(target)


_BASIC = pd.DataFrame({"c": [1, 2, 3, 4], "d": pd.to_datetime(["2025-01-01", "2025-02-01",
                                                               "2025-03-01", "2025-04-01"]),
                       "a": [1.0, 2.0, 3.0, 4.0]})

PATHS = [
    Case("R17-to_json-into-a-folder", _to_json_into, ("a folder",),
         raises=cs.exceptions.InvalidParameterError,
         match=r"Parameter 'path' \(.*\) cannot be written: Is a directory\. Pass the path "
               r"of a file"),
    Case("R17-to_json-into-a-missing-folder", _to_json_into, ("a missing folder",),
         raises=cs.exceptions.InvalidParameterError,
         match=r"Parameter 'path' \(.*missing/card\.json'\) cannot be written: No such file"),
    Case("R17-cli-rfm-out-under-a-file", run_cli,
         (_BASIC, "rfm", "--customer-id", "c", "--date", "d", "--amount", "a", "--quiet",
          "--as-of", "2025-12-31", "--out", "{tmp}/tx.csv/o"),
         check=cli_error(r"--out '.*tx\.csv/o' cannot be created or written: Not a directory"
                         r"\. Pass a folder you can write to")),
    Case("R17-cli-rfm-out-in-proc", run_cli,
         (_BASIC, "rfm", "--customer-id", "c", "--date", "d", "--amount", "a", "--quiet",
          "--as-of", "2025-12-31", "--out", "/proc/clientseg-out"),
         check=cli_error(r"--out '/proc/clientseg-out' cannot be created or written: "
                         r".*Pass a folder you can write to")),
]


@pytest.mark.parametrize("case", params(PATHS))
def test_output_paths(case: Case) -> None:
    run_case(case)


# --------------------------------------------------------------------------------------
# `clientseg rfm --bins N`
# --------------------------------------------------------------------------------------

def _bins_written(n_bins: int) -> Callable[[CliResult], None]:
    def check(result: CliResult) -> None:
        code, out, err, written = result
        assert code == 0, err
        scores = written["rfm_scores.csv"]
        assert "segment" not in scores.columns
        for col in ("r_score", "f_score", "m_score"):
            assert scores[col].between(1, n_bins).all()
        assert f"named segments need --bins 5, so --bins {n_bins} writes scores" in out
    return check


_MANY = pd.DataFrame({"c": np.arange(40) % 20,
                      "d": pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(40), "D"),
                      "a": np.arange(1.0, 41.0)})

BINS = [
    *(Case(f"R6-cli-rfm-bins-{n}", run_cli,
           (_MANY, "rfm", "--customer-id", "c", "--date", "d", "--amount", "a", "--quiet",
            "--as-of", "2025-12-31", "--bins", str(n), "--out", "{tmp}/o"),
           check=_bins_written(n)) for n in (2, 3, 7)),
]


@pytest.mark.parametrize("case", params(BINS))
def test_cli_bins(case: Case) -> None:
    with warnings.catch_warnings():  # 20 customers on 7 bins leave some scores unused
        warnings.simplefilter("ignore", cs.exceptions.TiedValuesWarning)
        run_case(case)


# --------------------------------------------------------------------------------------
# `clientseg demo`
# --------------------------------------------------------------------------------------

def _demo(*argv: str) -> CliResult:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out, err = io.StringIO(), io.StringIO()
        code = cli.main(["demo", "--quiet", "--out", f"{tmp}/o", *argv], out=out, err=err)
        return code, out.getvalue(), err.getvalue(), {}


DEMO = [
    Case("R26-cli-demo-too-few-customers", _demo, ("--customers", "5"),
         check=cli_error(r"--customers is 5; the demo needs at least 50 customers.*"
                         r"Raise --customers")),
]


@pytest.mark.parametrize("case", params(DEMO))
def test_cli_demo(case: Case) -> None:
    run_case(case)


# --------------------------------------------------------------------------------------
# column structure and ids: rfm_table, segment_quality, MixedDataEncoder
# --------------------------------------------------------------------------------------

_DUP_AMOUNT = pd.DataFrame([[1, pd.Timestamp("2025-01-01"), 1.0, 2.0]],
                           columns=["c", "d", "a", "a"])
_DUP_ID = pd.DataFrame([[1, 2, pd.Timestamp("2025-01-01"), 1.0]], columns=["c", "c", "d", "a"])
_MULTI = pd.DataFrame(np.random.default_rng(6).normal(size=(6, 2)),
                      columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")]))
_UINT = pd.DataFrame({"c": np.array([2**63 + 1, 2**63 + 2, 2**63 + 1], dtype=np.uint64),
                      "d": pd.to_datetime(["2025-01-01"] * 3), "a": [1.0, 2.0, 3.0]})
_MIXED_ENC = pd.DataFrame({"a": np.arange(4.0), "m": pd.Series([1, "1", 2, "x"], dtype=object)})


def _uint_ids(table: pd.DataFrame) -> None:
    assert table.index.tolist() == [2**63 + 1, 2**63 + 2]
    assert table["monetary"].tolist() == [4.0, 2.0]


def _one_level_for_1(enc: Any) -> None:
    assert enc.levels_["m"].tolist() == ["1", "2", "x"]
    np.testing.assert_allclose(enc.proportions_["m"], [0.5, 0.25, 0.25])


STRUCTURE = [
    Case("R20-rfm_table-duplicated-amount-column", _rfm, (_DUP_AMOUNT,),
         raises=InvalidDataError,
         match=r"Column 'a' \(monetary_value_col\) appears 2 times in transactions.*"
               r"Rename or drop the copies"),
    Case("R20-rfm_table-duplicated-id-column", _rfm, (_DUP_ID,), raises=InvalidDataError,
         match=r"Column 'c' \(customer_id_col\) appears 2 times in transactions"),
    Case("R20-segment_quality-multiindex-columns",
         lambda X: cs.segment_quality(X, list("aabbcc")), (_MULTI,), raises=InvalidDataError,
         match=r"X has MultiIndex columns \(2 levels\).*Flatten them first"),
    Case("R20-MixedDataEncoder-duplicated-columns",
         lambda X: cs.MixedDataEncoder().fit(X),
         (pd.DataFrame([[1.0, 2.0, "x"], [2.0, 1.0, "y"]], columns=["a", "a", "b"]),),
         raises=InvalidDataError,
         match=r"X has 1 duplicated column name\(s\): 'a'\. Rename or drop the copies"),
    Case("R16-rfm_table-uint64-ids-above-2**63", _rfm, (_UINT,), check=_uint_ids),
    Case("R12-MixedDataEncoder-1-and-'1'-are-one-level",
         lambda X: cs.MixedDataEncoder().fit(X), (_MIXED_ENC,), check=_one_level_for_1),
    Case("R12-MixedDataEncoder-fit_transform-mixed-levels",
         lambda X: cs.MixedDataEncoder().fit_transform(X), (_MIXED_ENC,),
         check=lambda Z: np.testing.assert_array_equal(np.asarray(Z).shape, (4, 4))),
    Case("R19-segment_quality-one-customer-per-segment",
         lambda X: cs.segment_quality(X, ["a", "b", "c"]).to_frame(), (np.eye(3),),
         check=lambda f: np.testing.assert_array_equal(f["silhouette"].isna(), [1, 1, 1])),
]


@pytest.mark.parametrize("case", params(STRUCTURE))
def test_structure_and_ids(case: Case) -> None:
    run_case(case)


# --------------------------------------------------------------------------------------
# estimators: our messages before scikit-learn's (RFMScorer, HierarchicalSegmenter)
# --------------------------------------------------------------------------------------

def _rfm_frame(**over: Any) -> pd.DataFrame:
    cols = {"recency_days": [1.0, 2.0, 3.0], "frequency": [1.0, 2.0, 3.0],
            "monetary": [1.0, 2.0, 3.0]}
    return pd.DataFrame({**cols, **over})


_SEG_X = np.random.default_rng(7).normal(size=(12, 2))

ESTIMATORS = [
    Case("R15-RFMScorer-fit-nan", lambda X: cs.RFMScorer().fit(X),
         (_rfm_frame(monetary=[np.nan, 2.0, 3.0]),), raises=InvalidDataError,
         match=r"Input X contains NaN: 1 value \(NaN or missing\), first at row 0, column "
               r"'monetary'\. Impute or drop them"),
    Case("R15-RFMScorer-fit-inf", lambda X: cs.RFMScorer().fit(X),
         (_rfm_frame(frequency=[1.0, np.inf, 3.0]),), raises=InvalidDataError,
         match=r"Input X contains inf: 1 value, first at row 1, column 'frequency'"),
    Case("R21-RFMScorer-fit-pd.NA-in-Int64", lambda X: cs.RFMScorer().fit(X),
         (_rfm_frame(frequency=pd.array([1, None, 3], dtype="Int64")),),
         raises=InvalidDataError,
         match=r"Input X contains NaN: 1 value \(NaN or missing\), first at row 1, column "
               r"'frequency'"),
    Case("R15-RFMScorer-transform-nan",
         lambda X: cs.RFMScorer(2, segment_map=None).fit(_rfm_frame()).transform(X),
         (_rfm_frame(recency_days=[1.0, np.nan, 3.0]),), raises=InvalidDataError,
         match=r"contains NaN: 1 value \(NaN or missing\), first at row 1, column 'recency_days'"),
    Case("R15-HierarchicalSegmenter-fit-nan", lambda X: cs.HierarchicalSegmenter(2).fit(X),
         (np.vstack([[np.nan, 0.0], _SEG_X]),), raises=InvalidDataError,
         match=r"Input X contains NaN: 1 value \(NaN or missing\), first at row 0, column 0\."),
    Case("R15-HierarchicalSegmenter-fit-strings",
         lambda X: cs.HierarchicalSegmenter(2).fit(X),
         (pd.DataFrame({"a": list("xyzw"), "b": [1.0, 2.0, 3.0, 4.0]}),),
         raises=InvalidDataError,
         match=r"X has 1 non-numeric column\(s\): 'a'\. .*MixedDataEncoder"),
    Case("R15-HierarchicalSegmenter-predict-inf",
         lambda X: cs.HierarchicalSegmenter(2).fit(_SEG_X).predict(X),
         (np.array([[np.inf, 0.0]]),), raises=InvalidDataError,
         match=r"Input X contains inf: 1 value, first at row 0, column 0\. Impute or drop"),
]


@pytest.mark.parametrize("case", params(ESTIMATORS))
def test_estimator_inputs(case: Case) -> None:
    run_case(case)


# --------------------------------------------------------------------------------------
# not fixed on this branch: strict xfails naming the review's finding
# --------------------------------------------------------------------------------------

def _fitted_card_on_v_w() -> Any:
    r = np.random.default_rng(8)
    X = pd.DataFrame({"v": r.normal(size=300), "w": r.normal(size=300)})
    y = ((X["v"] + r.normal(size=300)) > 0).astype(int)
    return cs.LogisticScorecard(n_bins=3).fit(X, y), X


_VW_CARD, _VW_X = _fitted_card_on_v_w()
_SCORES_NAN = pd.DataFrame({"r_score": [1.0, np.nan], "f_score": [1, 2], "m_score": [1, 2]})

LEFT = [
    Case("R13-points-non-numeric-string", lambda X: _VW_CARD.points(X),
         (_VW_X.astype({"v": object}).assign(v=["abc", *_VW_X["v"].tolist()[1:]]),),
         raises=InvalidDataError, match=r"Column 'v'.*1 value.*not a number.*row 0",
         xfail="R13: the banding converts with float() and raises a raw ValueError"),
    Case("R14-predict-missing-column", lambda X: _VW_CARD.predict(X), (_VW_X[["v"]],),
         raises=cs.exceptions.MissingColumnsError, match=r"X is missing 1 column: 'w'",
         xfail="R14: predict* go through scikit-learn's feature-name check"),
    Case("R26-rfm_table-customer_id_col-None",
         lambda f: cs.rfm_table(f, customer_id_col=None, datetime_col="d",
                                monetary_value_col="a", observation_period_end="2025-12-31"),
         (_BASIC,), raises=cs.exceptions.InvalidParameterError,
         match=r"Parameter 'customer_id_col'",
         xfail="R26: customer_id_col=None ends in a raw KeyError"),
    Case("R26-RFMScorer-string-thresholds",
         lambda t: cs.RFMScorer(2, segment_map=None, method="thresholds",
                                thresholds={"recency": ["a"], "frequency": [2],
                                            "monetary": [2]}).fit(t),
         (_rfm_frame(),), raises=cs.exceptions.InvalidParameterError,
         match=r"Parameter 'thresholds'.*recency",
         xfail="R26: string thresholds give a raw ValueError"),
    Case("R18-plot_rfm_grid-nan-score", lambda s: cs.plotting.plot_rfm_grid(s), (_SCORES_NAN,),
         raises=InvalidDataError, match=r"r_score.*NaN",
         xfail="R18: a NaN score crashes the grid plot with 'array is too big'"),
]


@pytest.mark.parametrize("case", params(LEFT))
def test_left_for_later(case: Case) -> None:
    run_case(case)
