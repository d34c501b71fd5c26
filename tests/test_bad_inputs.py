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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
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
