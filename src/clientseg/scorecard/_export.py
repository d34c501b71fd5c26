"""Export of a fitted scorecard: a JSON document (no pickle) and a SQL ``SELECT``.

JSON schema ``clientseg.LogisticScorecard/1`` (documented in ``docs/user_guide/scorecard.md``):
top-level keys ``schema``, ``clientseg_version``, ``params`` (the estimator's parameters),
``columns`` (the fitted column labels), ``feature_names_in`` (or null), ``criteria``
(one object per criterion: ``name``, ``kind``, ``method``, ``edges``, ``band_to_level``,
``levels`` (label, values, points, coef, se, contacts, events), ``missing_level``,
``missing_own``, ``other_level``, ``reference``), ``intercept``, ``prior_correction``,
``scale`` (factor, base, eta_min), ``base_points``, ``grade_cutoffs``, ``coef_table``,
``grade_table``, ``rounding_auc_loss``, ``n_iter``, ``converged``, ``loglik``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clientseg.exceptions import (
    ClientsegError,
    InvalidDataError,
    InvalidDocumentError,
    InvalidParameterError,
)
from clientseg.scorecard._banding import Criterion
from clientseg.scorecard._points import PointsScale, effective_cutoffs
from clientseg.scorecard._schema import check_document, check_points_range, parse

#: A fitted LogisticScorecard. Typed loosely: the card's module imports this one, and a
#: typing-only import back would close an import circle.
LogisticScorecard = Any

__all__: list[str] = []

SCHEMA = "clientseg.LogisticScorecard/1"


def _plain(value: Any) -> Any:
    """Convert numpy/pandas scalars and containers to JSON types (NaN/inf become null)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise InvalidDataError(
        f"A scorecard value of type {type(value).__name__} ({value!r}) cannot be written to "
        f"JSON. Convert that column to str (or a number) before fitting."
    )


def _level_value(value: Any, criterion: str) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | float | str):
        return value
    raise InvalidDataError(
        f"Criterion {criterion!r} has a level value of type {type(value).__name__} ({value!r}) "
        f"that JSON and SQL cannot hold. Convert the column to str before fitting."
    )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_plain(r) for r in frame.to_dict(orient="records")]


def to_json(card: LogisticScorecard) -> str:
    """Serialise a fitted scorecard (see the module docstring for the schema)."""
    from clientseg._core.version import __version__

    criteria = []
    for crit, pts, coefs, se, ref in zip(card._criteria, card._points, card._level_coefs,
                                         card._level_se, card._refs, strict=True):
        levels = []
        for lev, label in enumerate(crit.labels):
            values = ([_level_value(v, crit.name) for v in crit.values[lev]]
                      if crit.kind == "categorical" else None)
            levels.append({"label": label, "values": values, "points": float(pts[lev]),
                           "coef": float(coefs[lev]), "se": _plain(float(se[lev])),
                           "contacts": int(crit.counts[lev]), "events": int(crit.events[lev])})
        criteria.append({
            "name": crit.name, "kind": crit.kind, "method": crit.method,
            "edges": [float(e) for e in crit.edges],
            "band_to_level": [int(b) for b in crit.band_to_level],
            "levels": levels, "missing_level": crit.missing_level,
            "missing_own": crit.missing_own, "other_level": crit.other_level,
            "reference": int(ref),
        })
    doc = {
        "schema": SCHEMA,
        "clientseg_version": __version__,
        "params": _plain(card.get_params()),
        "columns": _plain(list(card._columns)),
        "feature_names_in": _plain(list(card.feature_names_in_))
        if hasattr(card, "feature_names_in_") else None,
        "criteria": criteria,
        "classes": _plain(list(card.classes_)),
        "intercept": card.intercept_,
        "prior_correction": card.prior_correction_,
        "scale": {"factor": card._scale.factor, "base": card._scale.base,
                  "eta_min": card._scale.eta_min},
        "base_points": card.base_points_,
        "grade_cutoffs": _plain(card.grade_cutoffs_),
        "coef_table": _records(card.coef_table_),
        "grade_table": _records(card.grade_table_),
        "rounding_auc_loss": card.rounding_auc_loss_,
        "n_iter": card.n_iter_, "converged": card.converged_, "loglik": card.loglik_,
    }
    return json.dumps(doc, indent=1, allow_nan=False)


def _nan(v: Any) -> float:
    return np.nan if v is None else float(v)


def from_json(cls: Any, document: Any) -> Any:
    """Rebuild a fitted scorecard from a document made by :func:`to_json`."""
    if isinstance(document, dict):
        doc = document
    else:
        text = str(document)
        if text.lstrip()[:1] not in ("{", "["):
            path = Path(text)
            try:
                is_file = path.is_file()
            except (OSError, ValueError):  # too long or a NUL byte: not a file name
                is_file = False
            if not is_file:
                raise InvalidParameterError(
                    f"Parameter 'document' must be JSON text, a dict or the path of a JSON "
                    f"file; {text[:60]!r} is none of these."
                )
            text = path.read_text(encoding="utf-8")
        doc = parse(text)
    if not isinstance(doc, dict):
        raise InvalidDocumentError(
            f"Parameter 'document' must be a JSON object; got {type(doc).__name__}. Pass "
            f"the text written by LogisticScorecard.to_json()."
        )
    if doc.get("schema") != SCHEMA:
        raise InvalidDocumentError(
            f"Parameter 'document' has schema {doc.get('schema')!r}; this version of clientseg "
            f"reads {SCHEMA!r}. Export it again with LogisticScorecard.to_json()."
        )
    check_document(doc, list(cls().get_params()))
    params = dict(doc["params"])
    if params.get("grade_labels") is not None:
        params["grade_labels"] = tuple(params["grade_labels"])
    card = cls(**params)
    try:
        card._check_params()
    except (ClientsegError, TypeError, ValueError) as exc:  # None or a list for a number
        raise InvalidDocumentError(
            f"Parameter 'document' has invalid $.params: {exc}"
        ) from None
    if len(card.grade_labels) != len(doc["grade_cutoffs"]) + 1:
        raise InvalidDocumentError(
            f"Parameter 'document' has {len(doc['grade_cutoffs'])} $.grade_cutoffs for "
            f"{len(card.grade_labels)} grade labels; it must have one fewer cut-off than "
            f"labels. Restore $.grade_cutoffs or $.params.grade_labels."
        )
    crits, points, coefs, ses, refs = [], [], [], [], []
    for c in doc["criteria"]:
        levels = c["levels"]
        crit = Criterion(
            name=c["name"], kind=c["kind"], labels=[lv["label"] for lv in levels],
            edges=np.asarray(c["edges"], dtype=float),
            band_to_level=np.asarray(c["band_to_level"], dtype=np.intp),
            values=[list(lv["values"] or []) for lv in levels],
            missing_level=c["missing_level"], missing_own=c["missing_own"],
            other_level=c["other_level"],
            counts=np.asarray([lv["contacts"] for lv in levels], dtype=np.int64),
            events=np.asarray([lv["events"] for lv in levels], dtype=np.int64),
            method=c["method"],
        )
        crits.append(crit)
        points.append(np.asarray([lv["points"] for lv in levels], dtype=float))
        coefs.append(np.asarray([lv["coef"] for lv in levels], dtype=float))
        ses.append(np.asarray([_nan(lv["se"]) for lv in levels], dtype=float))
        refs.append(int(c["reference"]))
    card._criteria = crits
    card._points = points
    card._level_coefs = coefs
    card._level_se = ses
    card._refs = refs
    card._columns = list(doc["columns"])
    card.criteria_ = [c.name for c in crits]
    card.classes_ = np.asarray(doc.get("classes", [0, 1]))
    card.n_features_in_ = len(crits)
    if doc.get("feature_names_in") is not None:
        card.feature_names_in_ = np.asarray(doc["feature_names_in"], dtype=object)
    card.intercept_ = float(doc["intercept"])
    card.prior_correction_ = float(doc["prior_correction"])
    card._scale = PointsScale(**{k: float(v) for k, v in doc["scale"].items()})
    card.base_points_ = float(doc["base_points"])
    card.grade_cutoffs_ = np.asarray([np.inf if v is None else v for v in doc["grade_cutoffs"]],
                                     dtype=float)
    card.coef_table_ = pd.DataFrame(doc["coef_table"]).fillna(
        {"se": np.nan, "z": np.nan, "p_value": np.nan, "ci_low": np.nan, "ci_high": np.nan})
    card.grade_table_ = pd.DataFrame(doc["grade_table"])
    card.rounding_auc_loss_ = float(doc["rounding_auc_loss"])
    card.n_iter_ = int(doc["n_iter"])
    card.converged_ = bool(doc["converged"])
    card.loglik_ = float(doc["loglik"])
    check_points_range(card)
    card._tables()
    return card


# ----------------------------------------------------------------------------- SQL


def quote_ident(name: str) -> str:
    """Double-quote an SQL identifier, doubling embedded double quotes."""
    return '"' + str(name).replace('"', '""') + '"'


def _float_literal(v: float) -> str:
    text = repr(float(v))
    # an exponent makes DuckDB read a DOUBLE (not a DECIMAL): same value as Python's float
    return text if ("e" in text or "inf" in text or "nan" in text) else text + "e0"


def _number(v: float) -> str:
    v = float(v)
    if v.is_integer() and abs(v) < 2**53:
        return str(int(v))
    return _float_literal(v)


def literal(value: Any) -> str:
    """Write an SQL literal for a category value (strings single-quoted, quotes doubled)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_literal(value)
    return "'" + str(value).replace("'", "''") + "'"


@dataclass(frozen=True)
class CaseRules:
    """The points of one criterion as ordered rules: what SQL and narwhals both evaluate.

    ``missing`` applies first (null values; None gives null points), then, for a numeric
    criterion, ``bands``: the first ``(edge, points)`` with ``value < edge``; for a
    categorical one, ``levels``: the first ``(values, points)`` holding the value; then
    ``otherwise`` (None gives null points). This is :meth:`Criterion.encode` followed by
    ``handle_unseen``, written as a ``CASE``.
    """

    name: str
    kind: str
    missing: float | None
    bands: list[tuple[float, float]]
    levels: list[tuple[list[Any], float]]
    otherwise: float | None
    known: list[Any]  # every categorical value met at fit time


def case_rules(card: LogisticScorecard, i: int) -> CaseRules:
    """Return the points rules of criterion ``i`` of a fitted card."""
    crit = card._criteria[i]
    pts = card._points[i]
    unseen = None if card.handle_unseen == "error" else float(pts[card._unseen_level(crit)])
    missing = unseen if crit.missing_level is None else float(pts[crit.missing_level])
    bands: list[tuple[float, float]] = []
    levels: list[tuple[list[Any], float]] = []
    if crit.kind == "numeric":
        for band, edge in enumerate(crit.edges):
            bands.append((float(edge), float(pts[int(crit.band_to_level[band])])))
        otherwise: float | None = float(pts[int(crit.band_to_level[len(crit.edges)])])
    else:
        levels = [(list(values), float(pts[lev]))
                  for lev, values in enumerate(crit.values) if values]
        otherwise = unseen
    known = [v for values, _ in levels for v in values]
    return CaseRules(crit.name, crit.kind, missing, bands, levels, otherwise, known)


def _case(card: LogisticScorecard, i: int) -> str:
    rules = case_rules(card, i)
    col = quote_ident(rules.name)

    def num(v: float | None) -> str:
        return "NULL" if v is None else _number(v)

    parts = [f"CASE WHEN {col} IS NULL THEN {num(rules.missing)}"]
    for edge, pts in rules.bands:
        parts.append(f"WHEN {col} < {_float_literal(edge)} THEN {num(pts)}")
    for values, pts in rules.levels:
        listed = ", ".join(literal(v) for v in values)
        parts.append(f"WHEN {col} IN ({listed}) THEN {num(pts)}")
    parts.append(f"ELSE {num(rules.otherwise)} END")
    return " ".join(parts)


# ----------------------------------------------------------------------------- narwhals


def _comparable(values: list[Any], dtype: Any) -> list[Any]:
    """Keep the values an engine column of ``dtype`` can be compared with (others never match)."""
    import narwhals.stable.v2 as nw

    plain = [v.item() if isinstance(v, np.generic) else v for v in values]
    if dtype == nw.String or isinstance(dtype, nw.Categorical | nw.Enum):
        return [v for v in plain if isinstance(v, str)]
    if dtype == nw.Boolean:
        return [v for v in plain if isinstance(v, bool)]
    if dtype.is_numeric():
        return [v for v in plain if isinstance(v, int | float) and not isinstance(v, bool)]
    return plain


def _column(rules: CaseRules, dtype: Any) -> tuple[Any, Any]:
    """Return the column as the rules compare it, and its missing mask (null, or NaN)."""
    import narwhals.stable.v2 as nw

    col = nw.col(rules.name)
    missing = col.is_null()
    if dtype.is_float():
        missing = missing | col.is_nan()
    if isinstance(dtype, nw.Categorical | nw.Enum):
        col = col.cast(nw.String)
    return col, missing


def _lit(v: float | None) -> Any:
    import narwhals.stable.v2 as nw

    return nw.lit(None, dtype=nw.Float64) if v is None else nw.lit(v, dtype=nw.Float64)


def points_expr(rules: CaseRules, dtype: Any) -> Any:
    """Build a narwhals expression of the criterion's points (the ``CASE`` of :func:`_case`)."""
    col, missing = _column(rules, dtype)
    expr: Any = _when_chain(missing, _lit(rules.missing))
    for edge, pts in rules.bands:
        expr = expr.when(col < edge).then(_lit(pts))
    for values, pts in rules.levels:
        usable = _comparable(values, dtype)
        if usable:
            expr = expr.when(col.is_in(usable)).then(_lit(pts))
    return expr.otherwise(_lit(rules.otherwise))


def _when_chain(condition: Any, value: Any) -> Any:
    import narwhals.stable.v2 as nw

    return nw.when(condition).then(value)


def unseen_expr(card: LogisticScorecard, i: int, dtype: Any) -> Any:
    """Build a boolean expression: the value was not met at fit time (``Criterion.encode``).

    None when no value can be unseen (a numeric criterion that met missing values).
    """
    rules = case_rules(card, i)
    col, missing = _column(rules, dtype)
    unseen: Any = None
    if rules.kind == "categorical":
        usable = _comparable(rules.known, dtype)
        unseen = ~missing & ~col.is_in(usable) if usable else ~missing
    if card._criteria[i].missing_level is None:
        unseen = missing if unseen is None else unseen | missing
    return unseen


def to_sql(card: LogisticScorecard, *, table: Any, id_col: str | None, suffix: str,
           score_col: str, grade_col: str | None = None) -> str:
    """``SELECT <id>, <CASE per criterion>, <total> AS score FROM <table>``.

    With ``grade_col``, that query is wrapped: ``SELECT *, CASE WHEN score >= t0 THEN 'A'
    ... END AS grade FROM (...) AS scored`` (an infinite threshold, an empty grade, is left
    out).
    """
    if isinstance(table, str):
        source = quote_ident(table)
    elif isinstance(table, list | tuple) and table and all(isinstance(t, str) for t in table):
        source = ".".join(quote_ident(t) for t in table)
    else:
        raise InvalidParameterError(
            f"Parameter 'table' must be a table name (str) or a sequence of name parts such "
            f"as ('schema', 'contacts'); got {table!r}."
        )
    cases = [_case(card, i) for i in range(len(card._criteria))]
    select = [] if id_col is None else [quote_ident(id_col)]
    select += [f"{case} AS {quote_ident(name + suffix)}"
               for case, name in zip(cases, card.criteria_, strict=True)]
    total = " + ".join([_number(card.base_points_)] + [f"({case})" for case in cases])
    select.append(f"{total} AS {quote_ident(score_col)}")
    query = "SELECT " + ",\n       ".join(select) + f"\nFROM {source}"
    if grade_col is None:
        return query
    score = quote_ident(score_col)
    labels = list(card.grade_labels)
    # first match on the effective thresholds, as grade_index counts them; a +inf threshold
    # is never reached (its WHEN is left out), a -inf one always is
    whens = [f"WHEN {score} >= {_number(t) if np.isfinite(t) else '-1e308'} THEN "
             f"{literal(str(lab))}"
             for t, lab in zip(effective_cutoffs(card.grade_cutoffs_), labels, strict=False)
             if t != np.inf]
    last = literal(str(labels[-1]))
    grade = " ".join(["CASE", *whens, f"ELSE {last} END"]) if whens else last
    return (f"SELECT *, {grade} AS {quote_ident(grade_col)}\nFROM (\n{query}\n) AS scored")


def unseen_message(counts: dict[str, int], handle_unseen: str) -> str:
    """Write the warning for values not seen at fit time (counts per criterion)."""
    listed = ", ".join(f"{k!r}: {v:,}" for k, v in counts.items())
    return (
        f"X has values not seen at fit time in {len(counts)} criterion(s) ({listed} rows); "
        f"they were scored as handle_unseen={handle_unseen!r} says. Check for new "
        f"categories, or refit the scorecard on recent contacts."
    )


def unseen_error(name: str, n: int, first: int, value: Any) -> InvalidDataError:
    """Build the error of ``handle_unseen="error"`` (a count, the first row, its value)."""
    return InvalidDataError(
        f"Column {name!r} (X) has {n:,} value(s) not seen at fit time (first at row "
        f"{first}: {value!r}). Pass handle_unseen='other', 'reference' or 'lowest' to score "
        f"them, or refit on data that include them."
    )


def _criteria_schema(card: LogisticScorecard, frame: Any) -> dict[str, Any]:
    """Check the criteria columns are in the frame; return their engine dtypes."""
    from clientseg._core.validation import check_columns

    schema = frame.collect_schema()
    check_columns(pd.DataFrame(columns=schema.names()),
                  {f"criteria_[{i}]": c for i, c in enumerate(card.criteria_)},
                  frame_param="X")
    return {c: schema[c] for c in card.criteria_}


def _is_inf(name: str) -> Any:
    import narwhals.stable.v2 as nw

    return nw.col(name).cast(nw.Float64).abs() == float("inf")


def _first_true(frame: Any, expr: Any) -> int:
    flags = frame.select(expr.alias("flag"))["flag"].to_numpy()
    return int(np.flatnonzero(flags)[0])


def check_eager(card: LogisticScorecard, frame: Any, dtypes: dict[str, Any],
                *, stacklevel: int) -> dict[str, int]:
    """Apply the pandas path's checks to an eager engine frame; return the unseen counts.

    All-missing criteria and numeric infinities are refused, and values not seen at fit
    time are counted (warned about, or refused under ``handle_unseen="error"``), with the
    messages of the pandas path. Lazy frames skip this: nothing is computed in the call.
    """
    import warnings

    import narwhals.stable.v2 as nw

    from clientseg._core.validation import _are, _values
    from clientseg.exceptions import DataQualityWarning

    n = len(frame)
    stats = []
    for i, name in enumerate(card.criteria_):
        dtype = dtypes[name]
        _, missing = _column(case_rules(card, i), dtype)
        stats.append(missing.cast(nw.Int64).sum().alias(f"missing_{i}"))
        if dtype.is_numeric():
            stats.append(_is_inf(name).cast(nw.Int64).sum().alias(f"inf_{i}"))
        unseen = unseen_expr(card, i, dtype)
        if unseen is not None:
            stats.append(unseen.cast(nw.Int64).sum().alias(f"unseen_{i}"))
    row = frame.select(*stats).to_pandas().iloc[0]
    counts: dict[str, int] = {}
    for i, name in enumerate(card.criteria_):
        if n and int(row[f"missing_{i}"]) == n:
            raise InvalidDataError(
                f"Column {name!r} (X) has all {_values(n)} missing. Drop it from X or fix the "
                f"data (a failed join?) before the call."
            )
        n_inf = int(row.get(f"inf_{i}", 0))
        if n_inf:
            first = _first_true(frame, _is_inf(name))
            raise InvalidDataError(
                f"Column {name!r} (X) has {_are(n_inf)} inf (first at row {first}). Replace "
                f"them with finite numbers or with NaN (missing values form their own level)."
            )
        n_unseen = int(row.get(f"unseen_{i}", 0))
        if n_unseen and card.handle_unseen == "error":
            first = _first_true(frame, unseen_expr(card, i, dtypes[name]))
            raise unseen_error(name, n_unseen, first, frame.item(first, name))
        if n_unseen:
            counts[name] = n_unseen
    if counts:
        warnings.warn(unseen_message(counts, card.handle_unseen), DataQualityWarning,
                      stacklevel=stacklevel + 1)
    return counts


def score_frame(card: LogisticScorecard, native: Any, kind: str, *, what: str,
                relative: bool = True, n_top: int = 1) -> Any:
    """Score an engine frame with narwhals expressions; the result keeps the input's kind.

    ``what`` is ``"points"``, ``"grade"``, ``"proba"`` or ``"breakdown"`` (with ``n_top``
    criteria up and down, named as in :meth:`points_breakdown`). Each criterion's
    points come from :func:`points_expr` (the ``CASE`` of :meth:`to_sql`), the total adds
    them in the pandas path's order, so totals are equal to the last bit.
    """
    import narwhals.stable.v2 as nw

    from clientseg._core.backends import LAZY_KINDS, emit, to_narwhals

    frame = to_narwhals(native)
    dtypes = _criteria_schema(card, frame)
    carry = frame.collect_schema().names()
    if kind not in LAZY_KINDS:
        check_eager(card, frame, dtypes, stacklevel=4)
    tmp = [f"__clientseg_points_{i}" for i in range(len(card.criteria_))]
    staged = frame.with_columns(*[
        points_expr(case_rules(card, i), dtypes[name]).alias(tmp[i])
        for i, name in enumerate(card.criteria_)])
    total: Any = nw.lit(float(card.base_points_), dtype=nw.Float64)
    for t in tmp:
        total = total + nw.col(t)
    if what == "points":
        return emit(staged, kind, {"score": total}, carry=carry, series="score")
    if what == "grade":
        index: Any = nw.lit(0, dtype=nw.Int64)
        for cut in effective_cutoffs(card.grade_cutoffs_):  # as grade_index counts them
            # plain sums: Dask refuses *_horizontal in when/then
            index = index + (total < float(cut)).cast(nw.Int64)
        labels = list(card.grade_labels)
        grade: Any = nw.when(index == 0).then(nw.lit(labels[0]))
        for k, label in enumerate(labels[1:], start=1):
            grade = grade.when(index == k).then(nw.lit(label))
        return emit(staged, kind, {"grade": grade.otherwise(nw.lit(None, dtype=nw.String))},
                    carry=carry, series="grade")
    if what == "proba":
        scale = card._scale
        eta = scale.eta_min + (total - scale.base) / scale.factor
        p = 1.0 / (1.0 + (-eta).exp())
        c0, c1 = (str(c) for c in card.classes_)
        return emit(staged, kind, {f"proba_{c0}": 1.0 - p, f"proba_{c1}": p}, carry=carry)
    refs = [float(p[r]) for p, r in zip(card._points, card._refs, strict=True)]
    rel = [nw.col(t) - ref for t, ref in zip(tmp, refs, strict=True)]
    shown = rel if relative else [nw.col(t) for t in tmp]
    start = card.typical_points_ if relative else card.base_points_
    outputs: dict[str, Any] = dict(zip(card.criteria_, shown, strict=True))
    outputs["start"] = nw.lit(float(start), dtype=nw.Float64)
    outputs["score"] = total
    rel_cols = [nw.col(t) - ref for t, ref in zip(tmp, refs, strict=True)]
    staged, ranked = _ranked_criteria(card, staged, rel_cols, n_top)
    outputs.update(ranked)
    return emit(staged, kind, outputs, carry=carry)


def top_columns(n_top: int) -> tuple[list[str], list[str]]:
    """Return the breakdown's up and down column names for ``n_top`` criteria each way.

    ``top_up``/``top_down`` for one (the default's columns), ``top_up_1 .. top_up_n`` and
    ``top_down_1 .. top_down_n`` for more.
    """
    if n_top == 1:
        return ["top_up"], ["top_down"]
    return ([f"top_up_{k}" for k in range(1, n_top + 1)],
            [f"top_down_{k}" for k in range(1, n_top + 1)])


def _ranked_criteria(card: LogisticScorecard, staged: Any, rel_cols: list[Any],
                     n_top: int) -> tuple[Any, dict[str, Any]]:
    """Expressions naming the ``n_top`` criteria adding and removing the most points (any n_top).

    The rank of criterion i upwards is the number of criteria above it, ties going to the
    earlier column: ``#{j: r_j > r_i} + #{j < i: r_j == r_i}``, as a stable descending sort
    (and :func:`numpy.argsort` with ``kind="stable"`` on the pandas path) orders them. The
    k-th column names the criterion of rank k - 1 when its points are above (below) the
    typical contact's, else null. Ranks are staged as working columns, built from plain
    sums (Dask refuses ``*_horizontal`` in when/then).
    """
    import narwhals.stable.v2 as nw

    up_names, down_names = top_columns(n_top)
    rank_cols: dict[str, Any] = {}
    for direction in ("up", "down"):
        for i, ri in enumerate(rel_cols):
            rank: Any = nw.lit(0, dtype=nw.Int64)
            for j, rj in enumerate(rel_cols):
                if j == i:
                    continue
                if direction == "up":
                    beats = rj >= ri if j < i else rj > ri
                else:
                    beats = rj <= ri if j < i else rj < ri
                rank = rank + beats.cast(nw.Int64)
            rank_cols[f"__clientseg_rank_{direction}_{i}"] = rank
    staged = staged.with_columns(*[e.alias(k) for k, e in rank_cols.items()])
    outputs: dict[str, Any] = {}
    for direction, columns in (("up", up_names), ("down", down_names)):
        for k, column in enumerate(columns):
            chain: Any = None
            for i, crit in enumerate(card.criteria_):
                sign = rel_cols[i] > 0 if direction == "up" else rel_cols[i] < 0
                cond = (nw.col(f"__clientseg_rank_{direction}_{i}") == k) & sign
                chain = nw.when(cond).then(nw.lit(crit)) if chain is None else \
                    chain.when(cond).then(nw.lit(crit))
            outputs[column] = chain.otherwise(nw.lit(None, dtype=nw.String))
    return staged, outputs


def count_unseen(card: LogisticScorecard, native: Any) -> pd.Series:
    """Count the unseen values per criterion in an engine frame (computed in the engine)."""
    import narwhals.stable.v2 as nw

    from clientseg._core.backends import collect_pandas, to_narwhals

    frame = to_narwhals(native)
    dtypes = _criteria_schema(card, frame)
    exprs = {name: unseen_expr(card, i, dtypes[name]) for i, name in enumerate(card.criteria_)}
    sums = [e.cast(nw.Int64).sum().alias(name) for name, e in exprs.items() if e is not None]
    row = collect_pandas(frame.select(*sums)).iloc[0] if sums else pd.Series(dtype=int)
    return pd.Series({name: int(row.get(name, 0)) for name in card.criteria_}, name="unseen",
                     dtype=int)
