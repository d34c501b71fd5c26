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
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clientseg._scorecard_banding import Criterion
from clientseg._scorecard_points import PointsScale
from clientseg.exceptions import InvalidDataError, InvalidParameterError

if TYPE_CHECKING:
    from clientseg.scorecard import LogisticScorecard

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
    from clientseg import __version__

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


def from_json(cls: type[LogisticScorecard], document: Any) -> LogisticScorecard:
    """Rebuild a fitted scorecard from a document made by :func:`to_json`."""
    if isinstance(document, dict):
        doc = document
    else:
        text = str(document)
        if not text.lstrip().startswith("{"):
            path = Path(text)
            if not path.is_file():
                raise InvalidParameterError(
                    f"Parameter 'document' must be JSON text, a dict or the path of a JSON "
                    f"file; {text[:60]!r} is none of these."
                )
            text = path.read_text(encoding="utf-8")
        doc = json.loads(text)
    if doc.get("schema") != SCHEMA:
        raise InvalidParameterError(
            f"Parameter 'document' has schema {doc.get('schema')!r}; this version of clientseg "
            f"reads {SCHEMA!r}. Export it again with LogisticScorecard.to_json()."
        )
    params = dict(doc["params"])
    if params.get("grade_labels") is not None:
        params["grade_labels"] = tuple(params["grade_labels"])
    card = cls(**params)
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


def _case(card: LogisticScorecard, i: int) -> str:
    crit = card._criteria[i]
    pts = card._points[i]
    col = quote_ident(crit.name)
    unseen = "NULL" if card.handle_unseen == "error" else _number(pts[card._unseen_level(crit)])
    missing = unseen if crit.missing_level is None else _number(pts[crit.missing_level])
    parts = [f"CASE WHEN {col} IS NULL THEN {missing}"]
    if crit.kind == "numeric":
        for band, edge in enumerate(crit.edges):
            lev = int(crit.band_to_level[band])
            parts.append(f"WHEN {col} < {_float_literal(edge)} THEN {_number(pts[lev])}")
        parts.append(f"ELSE {_number(pts[int(crit.band_to_level[len(crit.edges)])])} END")
    else:
        for lev, values in enumerate(crit.values):
            if values:
                listed = ", ".join(literal(v) for v in values)
                parts.append(f"WHEN {col} IN ({listed}) THEN {_number(pts[lev])}")
        parts.append(f"ELSE {unseen} END")
    return " ".join(parts)


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
    whens = [f"WHEN {score} >= {_number(t)} THEN {literal(str(lab))}"
             for t, lab in zip(card.grade_cutoffs_, labels, strict=False) if np.isfinite(t)]
    grade = " ".join(["CASE", *whens, f"ELSE {literal(str(labels[-1]))} END"])
    return (f"SELECT *, {grade} AS {quote_ident(grade_col)}\nFROM (\n{query}\n) AS scored")
