"""``PointsGrid``: the marketing and sales teams' own points grid, applied like a learned card."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clientseg._core.backends import kind_of, native_pandas
from clientseg.exceptions import DataQualityWarning, InvalidParameterError
from clientseg.scorecard import _grid_apply as _apply
from clientseg.scorecard import _grid_eval as _eval
from clientseg.scorecard import _grid_io as _io
from clientseg.scorecard._export import case_rules
from clientseg.scorecard._grid_rules import (
    CompiledCriterion,
    GridError,
    GridRule,
    GridScaleWarning,
    adjust_best,
    compile_criterion,
    fmt_number,
    parse_rule,
)
from clientseg.scorecard._points import grade_index

__all__ = ["GridError", "GridRule", "GridScaleWarning", "PointsGrid"]

RuleSpec = GridRule | tuple[Any, Any]


class PointsGrid:
    """A hand-made points grid: criteria, rules, points on 100 (negative points allowed).

    The grid a marketing and a sales team agree on: each criterion (a column of the
    contacts) has rules, each rule points; a contact's score is ``base_points`` plus the
    points of the rule each of its values falls in. Grades follow fixed score cut-offs,
    through the same grading function as :class:`LogisticScorecard`.

    Parameters
    ----------
    criteria : mapping of str to sequence of rules
        Criterion (column name) -> rules, each a ``(rule, points)`` pair or a
        :class:`GridRule`. A rule is text (``"[10, 50)"``, ``"< 10"``, ``">= 50"``,
        ``"in: retail | industry"``, ``"missing"``, ``"else"``) or a list of category
        values. Ranges are right-open and may not overlap or leave gaps; ``"else"`` takes
        anything no other rule takes (see ``docs/user_guide/grid.md``).
    base_points : float, default 0
        Points every contact starts from.
    max_points : float, default 100
        The grid's stated maximum: the best possible total should equal it. When it does
        not, a :class:`GridScaleWarning` says so (or ``normalize`` rescales).
    normalize : bool, default False
        Rescale every rule's points (and ``base_points``) so the best possible total is
        ``max_points``; integer grids stay integer (the criterion with the largest range
        absorbs the rounding).
    grade_cutoffs : sequence of float, default (70, 40)
        Score thresholds, best grade first: a contact gets the first grade whose threshold
        its score reaches.
    grade_labels : sequence of str, default ("A", "B", "C")
        Grade names, best first.

    Attributes
    ----------
    criteria : list of str
        The criteria, in order.
    best_total, worst_total : float
        The highest and lowest possible scores.
    calibration_ : tuple of float
        After :meth:`calibrate`: intercept and slope of the log-odds on the score.

    Examples
    --------
    >>> import pandas as pd
    >>> from clientseg import PointsGrid
    >>> grid = PointsGrid({
    ...     "forms_filled": [("< 1", 0), ("[1, 3)", 30), (">= 3", 50)],
    ...     "sector": [("in: industry | services", 40), ("in: student", -20), ("else", 10)],
    ...     "budget": [("missing", 0), (">= 10000", 10), ("< 10000", 0)],
    ... })
    >>> X = pd.DataFrame({"forms_filled": [0, 2, 5], "sector": ["retail", "industry", "student"],
    ...                   "budget": [None, 20000, 500]})
    >>> grid.points(X).tolist()
    [10.0, 80.0, 30.0]
    >>> grid.grade(X).tolist()
    ['C', 'A', 'C']
    """

    def __init__(self, criteria: Mapping[str, Sequence[RuleSpec]], *, base_points: float = 0.0,
                 max_points: float = 100.0, normalize: bool = False,
                 grade_cutoffs: Sequence[float] = (70.0, 40.0),
                 grade_labels: Sequence[str] = ("A", "B", "C")) -> None:
        if not isinstance(criteria, Mapping) or not criteria:
            raise InvalidParameterError(
                f"Parameter 'criteria' must map at least one criterion (a column name) to "
                f"its rules; got {type(criteria).__name__} with no criterion."
            )
        self.base_points = _finite("base_points", base_points)
        self.max_points = _finite("max_points", max_points)
        labels = [str(x) for x in grade_labels]
        cuts = np.asarray(list(grade_cutoffs), dtype=float)
        if len(labels) < 2 or len(set(labels)) != len(labels) or cuts.shape != (len(labels) - 1,):
            raise InvalidParameterError(
                f"Parameters 'grade_labels' and 'grade_cutoffs' must give at least 2 distinct "
                f"grades and one cut-off between each pair ({len(labels)} labels need "
                f"{max(len(labels) - 1, 1)} cut-offs); got {labels!r} and {cuts.tolist()!r}."
            )
        self.grade_labels = tuple(labels)
        self.grade_cutoffs = cuts
        compiled = []
        for name, specs in criteria.items():
            rules = [s if isinstance(s, GridRule) else parse_rule(str(name), *_pair(str(name), s))
                     for s in specs]
            compiled.append(compile_criterion(str(name), rules))
        self._compiled: list[CompiledCriterion] = compiled
        if normalize:
            self._normalize()
        gap = self.best_total - self.max_points
        if abs(gap) > 1e-9 * max(1.0, abs(self.max_points)):
            warnings.warn(
                f"The grid's best possible total is {fmt_number(self.best_total)} points, not "
                f"its stated maximum {fmt_number(self.max_points)} (max_points): the best "
                f"rules of its {len(compiled)} criteria add up to "
                f"{fmt_number(self.best_total - self.base_points)} (plus base_points "
                f"{fmt_number(self.base_points)}). Pass normalize=True to rescale the points, "
                f"or max_points={fmt_number(self.best_total)} to state the real maximum.",
                GridScaleWarning, stacklevel=2)

    # ------------------------------------------------------------------ structure

    @property
    def criteria(self) -> list[str]:
        """The criteria, in order."""
        return [c.name for c in self._compiled]

    def rules(self, criterion: str) -> list[GridRule]:
        """Return the rules of one criterion, in the grid's order."""
        return list(self._crit(criterion).rules)

    def _crit(self, criterion: str) -> CompiledCriterion:
        for c in self._compiled:
            if c.name == criterion:
                return c
        raise InvalidParameterError(
            f"Parameter 'criterion' is {criterion!r}, which is not a criterion of this grid "
            f"({len(self._compiled)} criteria: {self.criteria!r}). Pass one of them."
        )

    @property
    def best_total(self) -> float:
        """The highest possible score: base points plus every criterion's best rule."""
        return float(self.base_points + sum(max(r.points for r in c.rules)
                                            for c in self._compiled))

    @property
    def worst_total(self) -> float:
        """The lowest possible score: base points plus every criterion's worst rule."""
        return float(self.base_points + sum(min(r.points for r in c.rules)
                                            for c in self._compiled))

    @property
    def weights(self) -> pd.Series:
        """Each criterion's share (%) of the grid's range: its best minus worst points."""
        spans = np.array([max(r.points for r in c.rules) - min(r.points for r in c.rules)
                          for c in self._compiled])
        total = spans.sum()
        return pd.Series(100 * spans / total if total > 0 else spans,
                         index=pd.Index(self.criteria, name="criterion"), name="weight_pct")

    def to_frame(self) -> pd.DataFrame:
        """Return the grid as a table: criterion, rule (as written in files), points."""
        rows = [(c.name, r.text, r.points) for c in self._compiled for r in c.rules]
        return pd.DataFrame(rows, columns=["criterion", "rule", "points"])

    def __repr__(self) -> str:
        n = sum(len(c.rules) for c in self._compiled)
        return (f"PointsGrid({len(self._compiled)} criteria, {n} rules, scores "
                f"{fmt_number(self.worst_total)} to {fmt_number(self.best_total)})")

    def _normalize(self) -> None:
        span = self.best_total
        if span == 0:
            raise GridError(
                f"The grid cannot be normalized: its best possible total is 0, so no factor "
                f"brings it to {fmt_number(self.max_points)}. Give some rules positive points."
            )
        factor = self.max_points / span
        integer = all(float(r.points).is_integer() for c in self._compiled for r in c.rules) \
            and float(self.base_points).is_integer()
        new = []
        for c in self._compiled:
            rules = []
            for r in c.rules:
                p = r.points * factor
                rules.append(GridRule(r.kind, float(np.rint(p)) if integer else p,
                                  r.low, r.high, r.values))
            new.append(rules)
        self.base_points = float(np.rint(self.base_points * factor)) if integer \
            else self.base_points * factor
        self._compiled = [compile_criterion(c.name, r) for c, r in
                          zip(self._compiled, new, strict=True)]
        self._compiled = fix_best_total(self._compiled, self.base_points, self.max_points)

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_scorecard(cls, card: Any, **kwargs: Any) -> PointsGrid:
        """Turn a fitted :class:`LogisticScorecard` into an editable grid with its totals.

        Every band of a numeric criterion becomes a range rule, every level of a
        categorical one a category list, and the card's handling of missing and unseen
        values becomes the ``"missing"`` and ``"else"`` rules, so ``grid.points(X)`` equals
        ``card.points(X)``. Grades keep the card's cut-offs and labels.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> import clientseg as cs
        >>> rng = np.random.default_rng(0)
        >>> X = pd.DataFrame({"visits": rng.poisson(3, 3000),
        ...                   "origin": rng.choice(["web", "fair", "ad"], 3000)})
        >>> y = rng.random(3000) < 0.05 + 0.04 * X["visits"].clip(0, 8)
        >>> card = cs.LogisticScorecard().fit(X, y)
        >>> grid = cs.PointsGrid.from_scorecard(card)
        >>> bool((grid.points(X) == card.points(X)).all())
        True
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(card)
        criteria: dict[str, list[GridRule]] = {}
        for i, name in enumerate(card.criteria_):
            case = case_rules(card, i)
            rules: list[GridRule] = []
            if case.kind == "numeric":
                low = -math.inf
                for edge, pts in case.bands:
                    rules.append(GridRule("range", pts, low=low, high=edge))
                    low = edge
                rules.append(GridRule("range", float(case.otherwise or 0.0), low=low))
            else:
                rules += [GridRule("in", pts, values=tuple(v)) for v, pts in case.levels]
                if case.otherwise is not None:
                    rules.append(GridRule("default", case.otherwise))
            if case.missing is not None:
                rules.append(GridRule("missing", case.missing))
            criteria[str(name)] = rules
        best = card.base_points_ + sum(max(r.points for r in rs) for rs in criteria.values())
        kwargs.setdefault("max_points", float(best))
        kwargs.setdefault("grade_cutoffs", tuple(card.grade_cutoffs_))
        kwargs.setdefault("grade_labels", tuple(card.grade_labels))
        return cls(criteria, base_points=card.base_points_, **kwargs)

    def _replace(self, points: Sequence[Sequence[float]], base: float) -> PointsGrid:
        """Return a grid on the same rules with new points and base points."""
        criteria = {c.name: [GridRule(r.kind, float(p), r.low, r.high, r.values)
                             for r, p in zip(c.rules, pts, strict=True)]
                    for c, pts in zip(self._compiled, points, strict=True)}
        return type(self)(criteria, base_points=base, max_points=self.max_points,
                          grade_cutoffs=tuple(self.grade_cutoffs),
                          grade_labels=self.grade_labels)

    # ------------------------------------------------------------------ files

    @classmethod
    def read_csv(cls, source: Any, **kwargs: Any) -> PointsGrid:
        """Read a grid from a CSV file or text with columns ``criterion, rule, points``.

        One row per rule, in order; ``#`` starts a comment line. Other keyword arguments
        go to :class:`PointsGrid` (``max_points``, ``normalize``, grades).
        """
        return cls(_io.read_csv(source), **kwargs)

    def to_csv(self, path: str | Path | None = None) -> str | None:
        """Write the grid as CSV (``criterion,rule,points``); return the text when no path."""
        return _io.write(_io.to_csv(self.to_frame()), path)

    @classmethod
    def read_json(cls, source: Any, **kwargs: Any) -> PointsGrid:
        """Read a grid from a JSON file or text written by :meth:`to_json` (or by hand)."""
        criteria, params = _io.read_json(source)
        params.update(kwargs)
        return cls(criteria, **params)

    def to_json(self, path: str | Path | None = None) -> str | None:
        """Write the grid as JSON (schema ``clientseg.PointsGrid/1``); text when no path."""
        doc = _io.to_json(self._compiled, base_points=self.base_points,
                          max_points=self.max_points, grade_cutoffs=self.grade_cutoffs,
                          grade_labels=self.grade_labels)
        return _io.write(doc, path)

    # ------------------------------------------------------------------ scoring

    def _engine(self, X: Any) -> str | None:
        if isinstance(X, pd.DataFrame):
            return None
        kind = kind_of(X)
        return kind if kind in _apply.ENGINE_KINDS else None

    def _frame(self, X: Any) -> pd.DataFrame:
        frame = native_pandas(X)
        if not isinstance(frame, pd.DataFrame):
            raise InvalidParameterError(
                f"Parameter 'X' must be a DataFrame (pandas, Polars, DuckDB, PyArrow, Dask) "
                f"with the grid's criteria as columns; got {type(X).__name__}."
            )
        return frame

    def codes(self, X: Any) -> list[np.ndarray]:
        """GridRule index of every contact for each criterion (``len(rules)``: no rule took it)."""
        frame = self._frame(X)
        codes = _apply.pandas_codes(self._compiled, frame)
        unmatched = {c.name: int((k == len(c.rules)).sum())
                     for c, k in zip(self._compiled, codes, strict=True)}
        unmatched = {k: v for k, v in unmatched.items() if v}
        if unmatched:
            listed = ", ".join(f"{k!r}: {v:,}" for k, v in unmatched.items())
            warnings.warn(
                f"X has values that no rule of the grid takes in {len(unmatched)} "
                f"criterion(s) ({listed} rows); they score 0 points there. Add an 'else' "
                f"rule (and a 'missing' one) to those criteria to give them points.",
                DataQualityWarning, stacklevel=3)
        return codes

    def _total(self, codes: list[np.ndarray]) -> np.ndarray:
        n = len(codes[0]) if codes else 0
        total = np.full(n, float(self.base_points))
        for c, k in zip(self._compiled, codes, strict=True):
            total = total + c.rule_points[k]
        return total

    def points(self, X: Any) -> Any:
        """Total score of each contact: base points plus one rule's points per criterion.

        Parameters
        ----------
        X : DataFrame
            Contacts with (at least) the criteria columns. Pandas, or a Polars DataFrame or
            LazyFrame, DuckDB relation, PyArrow Table or Dask DataFrame, scored in its
            engine by the rules of :meth:`to_sql` (lazy frames stay lazy).

        Returns
        -------
        Series or the input's kind
            Scores named ``"score"`` (as :meth:`LogisticScorecard.points` returns them).

        Notes
        -----
        Only the pandas path counts the values no rule takes (and warns); engine frames
        give them 0 points without a warning, as :meth:`to_sql` does.
        """
        kind = self._engine(X)
        if kind is not None:
            return _apply.score_engine(self._compiled, self.base_points, self.grade_cutoffs,
                                       self.grade_labels, X, kind, what="points")
        return pd.Series(self._total(self.codes(X)), index=_index(X), name="score")

    def points_breakdown(self, X: Any) -> Any:
        """Points of each criterion, ``start`` (base points) and ``score`` for each contact."""
        kind = self._engine(X)
        if kind is not None:
            return _apply.score_engine(self._compiled, self.base_points, self.grade_cutoffs,
                                       self.grade_labels, X, kind, what="breakdown")
        codes = self.codes(X)
        out = pd.DataFrame({c.name: c.rule_points[k] for c, k in
                            zip(self._compiled, codes, strict=True)}, index=_index(X))
        out["start"] = float(self.base_points)
        out["score"] = self._total(codes)
        return out

    def grade_of(self, scores: Any) -> np.ndarray:
        """Grade labels of scores, through the scorecard's shared grading function."""
        return np.asarray(self.grade_labels, dtype=object)[
            grade_index(np.asarray(scores, dtype=float), self.grade_cutoffs)]

    def grade(self, X: Any) -> Any:
        """Grade of each contact (ordered categorical, best first; strings for engines)."""
        kind = self._engine(X)
        if kind is not None:
            return _apply.score_engine(self._compiled, self.base_points, self.grade_cutoffs,
                                       self.grade_labels, X, kind, what="grade")
        scores = self.points(X)
        return pd.Series(pd.Categorical(self.grade_of(scores.to_numpy()),
                                        categories=list(self.grade_labels), ordered=True),
                         index=scores.index, name="grade")

    def to_sql(self, *, table: Any = "contacts", id_col: str | None = None,
               suffix: str = "_points", score_col: str = "score",
               grade_col: str | None = "grade") -> str:
        """Write a SQL query giving every contact its points per criterion, score and grade.

        ``SELECT <id>, CASE ... END AS "<criterion>_points", ..., <total> AS score FROM
        <table>``, wrapped to add the grade (``grade_col=None`` leaves it out). Runs in
        SQLite and DuckDB with the points and grades of :meth:`points` and :meth:`grade`.
        """
        return _apply.to_sql(self._compiled, self.base_points, self.grade_cutoffs,
                             self.grade_labels, table=table, id_col=id_col, suffix=suffix,
                             score_col=score_col, grade_col=grade_col)

    # ------------------------------------------------------------------ conversions

    def _outcome(self, y: Any, n: int) -> np.ndarray:
        return _eval.outcome(y, n)

    def calibrate(self, X: Any, converted: Any) -> PointsGrid:
        """Fit the log-odds of conversion on the score; then :meth:`predict_proba` exists."""
        scores = self.points(self._frame(X)).to_numpy()
        self.calibration_ = _eval.calibrate(scores, self._outcome(converted, len(scores)))
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Conversion probability from the score (after :meth:`calibrate`): (n, 2) array."""
        if not hasattr(self, "calibration_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(
                "This PointsGrid is not calibrated yet: call grid.calibrate(X, converted) "
                "before predict_proba."
            )
        p = _eval.proba(self.points(self._frame(X)).to_numpy(), self.calibration_)
        return np.column_stack([1 - p, p])

    def evaluate(self, X: Any, converted: Any) -> _eval.GridReport:
        """Test the grid against conversions: AUC, gains, lift, rates per grade and rule.

        Each rule's conversion rate gets a Wilson 95% interval and a verdict on whether its
        points agree with it: a rule that earns more points than its criterion's average
        but converts below the base rate (or the reverse), the interval excluding the base
        rate, disagrees (``report.disagreements``). Each criterion's points are also
        weighed against the rest of the grid's (``report.criteria``); ``report.flagged``
        names the criteria whose points conversions contradict or do not support.
        """
        frame = self._frame(X)
        codes = self.codes(frame)
        scores = self._total(codes)
        y = self._outcome(converted, len(scores))
        cal = getattr(self, "calibration_", None)
        return _eval.evaluate(self._compiled, codes, scores, y, self.grade_of(scores),
                              self.grade_labels, cal)

    def revise(self, X: Any, converted: Any, *, fixed: Sequence[str] = (),
               keep_signs: bool = False, round_to: float | None = 1.0,
               alpha: float | None = None, test_size: float = 0.3,
               random_state: Any = None) -> _eval.GridRevision:
        """Refit the grid's own rules on conversions; return the revised grid and the changes.

        The rules become the levels of a logistic regression (the rule nearest 0 points is
        each criterion's reference, kept at 0); its coefficients, scaled so the best total
        is ``max_points``, are the new points, with 95% confidence intervals.

        Parameters
        ----------
        X, converted
            Contacts and their 0/1 outcome.
        fixed : sequence of str
            Criteria whose points stay as they are (their score enters the fit); the others
            share the rest of the points.
        keep_signs : bool
            Keep each rule's sign: rules with positive points stay >= 0, negative ones <= 0.
        round_to : float or None, default 1
            Round points to multiples of this (5 for a team grid); None keeps decimals.
        alpha : float, optional
            Give 0 points to the criteria whose rules are not jointly significant at this
            level (Wald test), and refit without them. None keeps every criterion.
        test_size : float, default 0.3
            Share of contacts held out to compare both grids' AUC (0: fit on all).
        random_state : int, Generator or None
            Seeds the held-out split.
        """
        frame = self._frame(X)
        codes = self.codes(frame)
        y = self._outcome(converted, len(codes[0]))
        return _eval.revise(self, codes, y, fixed=fixed, keep_signs=keep_signs,
                            round_to=round_to, alpha=alpha, test_size=test_size,
                            random_state=random_state)

    def drift(self, X_then: Any, converted_then: Any, X_now: Any,
              converted_now: Any) -> _eval.GridDrift:
        """Review the grid over two periods: score drift (PSI) and each rule's rate change."""
        c0 = self.codes(self._frame(X_then))
        c1 = self.codes(self._frame(X_now))
        y0 = self._outcome(converted_then, len(c0[0]))
        y1 = self._outcome(converted_now, len(c1[0]))
        return _eval.drift(self._compiled, c0, y0, self._total(c0), c1, y1, self._total(c1))


def fix_best_total(compiled: list[CompiledCriterion], base: float,
                   target: float) -> list[CompiledCriterion]:
    """Move the best rule of the widest criterion so the best total is exactly ``target``."""
    points = [np.array([r.points for r in c.rules]) for c in compiled]
    diff = target - (base + sum(float(p.max()) for p in points))
    adjust_best(points, range(len(compiled)), diff)
    return [compile_criterion(c.name, [GridRule(r.kind, float(p), r.low, r.high, r.values)
                                       for r, p in zip(c.rules, pts, strict=True)])
            for c, pts in zip(compiled, points, strict=True)]


def _pair(criterion: str, spec: Any) -> tuple[Any, Any]:
    if isinstance(spec, tuple | list) and len(spec) == 2:
        return spec[0], spec[1]
    raise GridError(
        f"Criterion {criterion!r} has a rule {spec!r} that is not a (rule, points) pair. "
        f"Write each rule as ('[10, 50)', 20), ('in: a | b', 5), ('missing', 0) or "
        f"('else', -10)."
    )


def _finite(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not math.isfinite(v):
        raise InvalidParameterError(f"Parameter {name!r} must be a finite number; got {value!r}.")
    return v


def _index(X: Any) -> pd.Index:
    return X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(X))
