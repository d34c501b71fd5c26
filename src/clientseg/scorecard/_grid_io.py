"""Grid files: CSV (``criterion,rule,points``) and JSON, read and written with the stdlib.

JSON schema ``clientseg.PointsGrid/1``: ``{"schema", "base_points", "max_points",
"grade_cutoffs", "grade_labels", "criteria": {name: [{"rule": text, "points": p}, ...]}}``.
A category rule may give ``"values": [...]`` instead of ``"rule"`` (JSON keeps the values'
types). GridRule text is the grid's own (:mod:`._grid_rules`).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clientseg.exceptions import InvalidParameterError
from clientseg.scorecard._grid_rules import CompiledCriterion, GridError, parse_rule

__all__: list[str] = []

SCHEMA = "clientseg.PointsGrid/1"
CSV_COLUMNS = ("criterion", "rule", "points")


def _text(source: Any, what: str) -> str:
    """Text of a file path, a file object or the text itself."""
    if hasattr(source, "read"):
        return str(source.read())
    if isinstance(source, Path):
        return source.read_text(encoding="utf-8")
    text = str(source)
    looks_like_text = "\n" in text or text.lstrip()[:1] in ("{", "[")
    if not looks_like_text:
        path = Path(text)
        if not path.is_file():
            raise InvalidParameterError(
                f"Parameter 'source' must be {what} text, a file object or the path of a "
                f"{what} file; {text[:60]!r} is none of these (no such file)."
            )
        return path.read_text(encoding="utf-8")
    return text


def read_csv(source: Any) -> dict[str, list[Any]]:
    """Read ``criterion,rule,points`` rows (in order) into criterion -> rules."""
    text = _text(source, "CSV")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.reader(lines, skipinitialspace=True)
    rows = list(reader)
    if not rows:
        raise GridError("The grid file is empty. Write a header 'criterion,rule,points' and "
                        "one row per rule.")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise GridError(
            f"The grid file's header lacks {len(missing)} column(s): {missing}; it has "
            f"{rows[0]}. Start the file with the header 'criterion,rule,points'."
        )
    pos = {c: header.index(c) for c in CSV_COLUMNS}
    criteria: dict[str, list[Any]] = {}
    for line_no, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise GridError(
                f"Line {line_no} of the grid file has {len(row)} field(s), not "
                f"{len(header)} ({row!r}). Quote a rule that holds a comma: \"[10, 50)\"."
            )
        name = row[pos["criterion"]].strip()
        rule = row[pos["rule"]].strip()
        pts = row[pos["points"]].strip()
        try:
            value: Any = float(pts)
        except ValueError:
            value = pts
        criteria.setdefault(name, []).append(parse_rule(name, rule, value))
    return criteria


def to_csv(table: pd.DataFrame) -> str:
    """Write a grid table (criterion, rule, points) as CSV text."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for name, rule, pts in table[list(CSV_COLUMNS)].itertuples(index=False):
        writer.writerow([name, rule, _num(pts)])
    return buf.getvalue()


def _num(v: float) -> Any:
    v = float(v)
    return int(v) if v.is_integer() and abs(v) < 2**53 else repr(v)


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def to_json(compiled: Sequence[CompiledCriterion], *, base_points: float, max_points: float,
            grade_cutoffs: np.ndarray, grade_labels: Sequence[str]) -> str:
    """Write a grid as JSON text (schema :data:`SCHEMA`)."""
    criteria = {}
    for c in compiled:
        rules = []
        for r in c.rules:
            if r.kind == "in":
                rules.append({"values": [_plain(v) for v in r.values], "points": _num(r.points)})
            else:
                rules.append({"rule": r.text, "points": _num(r.points)})
        criteria[c.name] = rules
    doc = {"schema": SCHEMA, "base_points": _num(base_points), "max_points": _num(max_points),
           "grade_cutoffs": [None if not math.isfinite(t) else _num(t) for t in grade_cutoffs],
           "grade_labels": list(grade_labels), "criteria": criteria}
    return json.dumps(doc, indent=1, allow_nan=False)


def read_json(source: Any) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    """Read a JSON grid: (criterion -> rules, grid parameters)."""
    text = _text(source, "JSON")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GridError(f"The grid file is not valid JSON ({exc}). Fix the file at the "
                        f"position given.") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("criteria"), dict):
        raise GridError("The JSON grid must be an object with a 'criteria' object mapping "
                        "each criterion to its list of rules.")
    if doc.get("schema", SCHEMA) != SCHEMA:
        raise GridError(f"The JSON grid has schema {doc.get('schema')!r}; this version of "
                        f"clientseg reads {SCHEMA!r}. Write it again with PointsGrid.to_json().")
    criteria: dict[str, list[Any]] = {}
    for name, rules in doc["criteria"].items():
        out = []
        for item in rules:
            if not isinstance(item, dict) or "points" not in item or not (
                    "rule" in item or "values" in item):
                raise GridError(
                    f"Criterion {name!r} has a rule {item!r} without 'points' and a 'rule' "
                    f"(or 'values'). Write it as {{\"rule\": \"[10, 50)\", \"points\": 20}}."
                )
            spec = item["values"] if "values" in item else item["rule"]
            out.append(parse_rule(name, spec, item["points"]))
        criteria[name] = out
    params: dict[str, Any] = {}
    for key in ("base_points", "max_points", "grade_labels"):
        if key in doc:
            params[key] = doc[key]
    if "grade_cutoffs" in doc:
        params["grade_cutoffs"] = [math.inf if t is None else t for t in doc["grade_cutoffs"]]
    return criteria, params


def write(text: str, path: str | Path | None) -> str | None:
    """Return the text, or write it to ``path`` and return None."""
    if path is None:
        return text
    Path(path).write_text(text, encoding="utf-8")
    return None
