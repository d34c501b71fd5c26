"""Applying a points grid: pandas codes, narwhals engine expressions and SQL.

Everything here reads a grid's compiled criteria (:mod:`._grid_rules`); the grid class
calls it. Totals add the base points and each criterion's points in the grid's order, on
every path, so they are equal to the last bit; grades come from
:func:`~clientseg.scorecard._points.grade_index` (pandas), or from the same effective
thresholds written as expressions (engines) and as a ``CASE`` (SQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from clientseg._core.validation import _fmt_list
from clientseg.exceptions import MissingColumnsError
from clientseg.scorecard._export import _float_literal, _number, literal, points_expr, quote_ident
from clientseg.scorecard._grid_rules import CompiledCriterion
from clientseg.scorecard._points import effective_cutoffs

__all__: list[str] = []

#: Engine kinds scored with narwhals expressions (others are converted to pandas first).
ENGINE_KINDS = ("polars", "polars-lazy", "duckdb", "pyarrow", "dask")


def missing_criteria_error(criteria: Sequence[str], present: Sequence[Any]) -> MissingColumnsError:
    """Build the error for grid criteria that name no column of X (all, with the fix)."""
    missing = [c for c in criteria if c not in set(present)]
    n = len(missing)
    return MissingColumnsError(
        f"The grid's criterion {_fmt_list(missing)} names {'a column' if n == 1 else 'columns'} "
        f"that X does not have ({n} of {len(criteria)} criteria unknown). Columns present: "
        f"{_fmt_list(list(present))}. Rename the criterion in the grid to the column's name "
        f"(a typo?) or add the column to X."
    )


def case_sql(crit: CompiledCriterion) -> str:
    """Write one criterion's points as a SQL ``CASE`` (the order of :class:`CaseRules`)."""
    rules = crit.case
    col = quote_ident(rules.name)
    parts = [f"CASE WHEN {col} IS NULL THEN {_number(rules.missing or 0.0)}"]
    for edge, pts in rules.bands:
        parts.append(f"WHEN {col} < {_float_literal(edge)} THEN {_number(pts)}")
    for values, pts in rules.levels:
        listed = ", ".join(literal(v) for v in values)
        parts.append(f"WHEN {col} IN ({listed}) THEN {_number(pts)}")
    parts.append(f"ELSE {_number(rules.otherwise or 0.0)} END")
    return " ".join(parts)


def to_sql(criteria: Sequence[CompiledCriterion], base: float, cutoffs: np.ndarray,
           labels: Sequence[str], *, table: Any, id_col: str | None, suffix: str,
           score_col: str, grade_col: str | None) -> str:
    """``SELECT <id>, <CASE per criterion>, <total> AS score [, grade] FROM <table>``."""
    from clientseg.exceptions import InvalidParameterError

    if isinstance(table, str):
        source = quote_ident(table)
    elif isinstance(table, list | tuple) and table and all(isinstance(t, str) for t in table):
        source = ".".join(quote_ident(t) for t in table)
    else:
        raise InvalidParameterError(
            f"Parameter 'table' must be a table name (str) or a sequence of name parts such "
            f"as ('schema', 'contacts'); got {table!r}."
        )
    cases = [case_sql(c) for c in criteria]
    select = [] if id_col is None else [quote_ident(id_col)]
    select += [f"{case} AS {quote_ident(c.name + suffix)}"
               for case, c in zip(cases, criteria, strict=True)]
    total = " + ".join([_number(base)] + [f"({case})" for case in cases])
    select.append(f"{total} AS {quote_ident(score_col)}")
    query = "SELECT " + ",\n       ".join(select) + f"\nFROM {source}"
    if grade_col is None:
        return query
    score = quote_ident(score_col)
    whens = [f"WHEN {score} >= {_number(t) if np.isfinite(t) else '-1e308'} THEN "
             f"{literal(str(lab))}"
             for t, lab in zip(effective_cutoffs(cutoffs), labels, strict=False)
             if t != np.inf]
    last = literal(str(labels[-1]))
    grade = " ".join(["CASE", *whens, f"ELSE {last} END"]) if whens else last
    return f"SELECT *, {grade} AS {quote_ident(grade_col)}\nFROM (\n{query}\n) AS scored"


def score_engine(criteria: Sequence[CompiledCriterion], base: float, cutoffs: np.ndarray,
                 labels: Sequence[str], native: Any, kind: str, *, what: str) -> Any:
    """Score an engine frame (``what``: points, grade, breakdown); keeps the input's kind."""
    import narwhals.stable.v2 as nw

    from clientseg._core.backends import emit, to_narwhals

    frame = to_narwhals(native)
    schema = frame.collect_schema()
    names = [c.name for c in criteria]
    if any(n not in schema.names() for n in names):
        raise missing_criteria_error(names, schema.names())
    carry = schema.names()
    tmp = [f"__clientseg_grid_{i}" for i in range(len(criteria))]
    staged = frame.with_columns(*[points_expr(c.case, schema[c.name]).alias(t)
                                  for c, t in zip(criteria, tmp, strict=True)])
    total: Any = nw.lit(float(base), dtype=nw.Float64)
    for t in tmp:
        total = total + nw.col(t)
    if what == "points":
        return emit(staged, kind, {"score": total}, carry=carry, series="score")
    if what == "grade":
        index: Any = nw.lit(0, dtype=nw.Int64)
        for cut in effective_cutoffs(cutoffs):
            index = index + (total < float(cut)).cast(nw.Int64)
        grade: Any = nw.when(index == 0).then(nw.lit(labels[0]))
        for k, label in enumerate(labels[1:], start=1):
            grade = grade.when(index == k).then(nw.lit(label))
        return emit(staged, kind, {"grade": grade.otherwise(nw.lit(None, dtype=nw.String))},
                    carry=carry, series="grade")
    outputs: dict[str, Any] = {n: nw.col(t) for n, t in zip(names, tmp, strict=True)}
    outputs["start"] = nw.lit(float(base), dtype=nw.Float64)
    outputs["score"] = total
    return emit(staged, kind, outputs, carry=carry)


def pandas_codes(criteria: Sequence[CompiledCriterion], frame: pd.DataFrame) -> list[np.ndarray]:
    """GridRule index of every row for every criterion (pandas path)."""
    if any(c.name not in frame.columns for c in criteria):
        raise missing_criteria_error([c.name for c in criteria], list(frame.columns))
    return [c.codes(frame[c.name]) for c in criteria]
