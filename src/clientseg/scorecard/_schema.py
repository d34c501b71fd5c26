"""Validation of a saved scorecard document against ``clientseg.LogisticScorecard/1`` (private).

:func:`check_document` walks the parsed JSON before anything is built and raises
:class:`~clientseg.exceptions.InvalidDocumentError` naming the JSON path (``$.criteria[0]
.levels[2].points``), the value found and the value expected. The rules are those that
``to_json`` always satisfies, so every document it writes loads, and a hand edit that keeps
them (a level's points changed within the card's range) loads too.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from clientseg.exceptions import InvalidDocumentError

__all__: list[str] = []

#: Deepest nesting a document may have (a valid one has 4 levels).
MAX_DEPTH = 32

_KINDS = ("numeric", "categorical")
_TOP = ("schema", "params", "columns", "criteria", "intercept", "prior_correction", "scale",
        "base_points", "grade_cutoffs", "coef_table", "grade_table", "rounding_auc_loss",
        "n_iter", "converged", "loglik")
_CRITERION = ("name", "kind", "method", "edges", "band_to_level", "levels", "missing_level",
              "missing_own", "other_level", "reference")
_LEVEL = ("label", "values", "points", "coef", "se", "contacts", "events")


def _fail(path: str, found: Any, expected: str) -> InvalidDocumentError:
    shown = repr(found)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return InvalidDocumentError(
        f"Parameter 'document' is not a valid {'clientseg.LogisticScorecard/1'} document: "
        f"{path} is {shown} but must be {expected}. Export the card again with "
        f"LogisticScorecard.to_json(), or restore that value."
    )


def parse(text: str) -> Any:
    """Parse JSON text; NaN/Infinity literals and deep nesting are refused (path named)."""

    def constant(name: str) -> Any:
        raise InvalidDocumentError(
            f"Parameter 'document' holds the literal {name}, which JSON does not allow and "
            f"to_json never writes. Replace it with a finite number (or null where allowed)."
        )

    try:
        return json.loads(text, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise InvalidDocumentError(
            f"Parameter 'document' is not valid JSON: {exc.msg} at line {exc.lineno}, column "
            f"{exc.colno}. Pass the text written by LogisticScorecard.to_json()."
        ) from None
    except RecursionError:
        raise InvalidDocumentError(
            f"Parameter 'document' is nested too deeply to read; a scorecard document has "
            f"at most {MAX_DEPTH} levels. Pass the text written by LogisticScorecard.to_json()."
        ) from None


def _depth(value: Any, path: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise _fail(path, "...", f"nested at most {MAX_DEPTH} levels deep")
    if isinstance(value, Mapping):
        for k, v in value.items():
            _depth(v, f"{path}.{k}", depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _depth(v, f"{path}[{i}]", depth + 1)
    elif isinstance(value, float) and not math.isfinite(value):
        raise _fail(path, value, "a finite number (to_json writes NaN and inf as null)")


def _obj(value: Any, path: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(path, value, f"an object with the keys {', '.join(keys)}")
    missing = [k for k in keys if k not in value]
    if missing:
        raise _fail(f"{path}.{missing[0]}", "missing", "present (a required key)")
    return value


def _list(value: Any, path: str, *, min_len: int = 0) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(path, value, "a list")
    if len(value) < min_len:
        raise _fail(path, value, f"a list of at least {min_len} item(s)")
    return value


def _num(value: Any, path: str, *, low: float | None = None, strict: bool = False,
         nullable: bool = False) -> float | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(path, value, "a finite number" + (" or null" if nullable else ""))
    if low is not None and (value <= low if strict else value < low):
        raise _fail(path, value, f"a number {'>' if strict else '>='} {low:g}")
    return float(value)


def _int(value: Any, path: str, *, low: int = 0, high: int | None = None,
         nullable: bool = False) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, value, "an integer" + (" or null" if nullable else ""))
    if value >= 2**62:  # counts and indices live in int64 arrays
        raise _fail(path, value, "an integer below 2**62")
    if value < low or (high is not None and value >= high):
        bound = f"in {low}..{high - 1}" if high is not None else f">= {low}"
        raise _fail(path, value, f"an integer {bound}")
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(path, value, "true or false")
    return value


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _fail(path, value, "a string")
    return value


def _scalar(value: Any, path: str) -> None:
    if not (value is None or isinstance(value, bool | int | float | str)):
        raise _fail(path, value, "a string, number, boolean or null")


def _criterion(c: Any, path: str, columns: list[Any]) -> None:
    c = _obj(c, path, _CRITERION)
    if c["name"] not in columns:
        raise _fail(f"{path}.name", c["name"], f"one of the columns {columns!r}")
    kind = c["kind"]
    if kind not in _KINDS:
        raise _fail(f"{path}.kind", kind, "'numeric' or 'categorical'")
    _str(c["method"], f"{path}.method")
    levels = _list(c["levels"], f"{path}.levels", min_len=1)
    n = len(levels)
    values_seen: set[str] = set()
    labels_seen: set[str] = set()
    for j, lv in enumerate(levels):
        lp = f"{path}.levels[{j}]"
        lv = _obj(lv, lp, _LEVEL)
        _str(lv["label"], f"{lp}.label")
        if lv["label"] in labels_seen:
            raise _fail(f"{lp}.label", lv["label"], "a label no other level of it has")
        labels_seen.add(lv["label"])
        if kind == "categorical":
            for k, v in enumerate(_list(lv["values"], f"{lp}.values")):
                _scalar(v, f"{lp}.values[{k}]")
                if str(v) in values_seen:
                    raise _fail(f"{lp}.values[{k}]", v,
                                "a value no other level (nor this one) already lists")
                values_seen.add(str(v))
        elif lv["values"] is not None:
            raise _fail(f"{lp}.values", lv["values"], "null (numeric criteria have bands)")
        _num(lv["points"], f"{lp}.points")
        _num(lv["coef"], f"{lp}.coef")
        _num(lv["se"], f"{lp}.se", low=0.0, nullable=True)
        contacts = _int(lv["contacts"], f"{lp}.contacts")
        assert contacts is not None
        _int(lv["events"], f"{lp}.events", high=contacts + 1)
    edges = _list(c["edges"], f"{path}.edges")
    values = [_num(e, f"{path}.edges[{k}]") for k, e in enumerate(edges)]
    for k in range(1, len(values)):
        if not values[k - 1] < values[k]:  # type: ignore[operator]
            raise _fail(f"{path}.edges[{k}]", edges[k],
                        f"greater than the edge before it ({edges[k - 1]!r})")
    bands = _list(c["band_to_level"], f"{path}.band_to_level")
    if kind == "numeric":
        if len(bands) != len(edges) + 1:
            raise _fail(f"{path}.band_to_level", bands,
                        f"a list of {len(edges) + 1} level indices (one per band)")
        for k, b in enumerate(bands):
            _int(b, f"{path}.band_to_level[{k}]", high=n)
    elif edges or bands:
        raise _fail(f"{path}.edges", edges, "empty for a categorical criterion")
    _int(c["missing_level"], f"{path}.missing_level", high=n, nullable=True)
    _bool(c["missing_own"], f"{path}.missing_own")
    _int(c["other_level"], f"{path}.other_level", high=n, nullable=True)
    _int(c["reference"], f"{path}.reference", high=n)
    if kind == "numeric":
        used = set(bands) | {c["missing_level"], c["other_level"]} - {None}
        unused = sorted(set(range(n)) - used)
        if unused:
            raise _fail(f"{path}.levels[{unused[0]}]", levels[unused[0]].get("label"),
                        "a level some band, the missing level or the other level uses")


def check_document(doc: Any, param_names: list[str]) -> None:
    """Raise :class:`InvalidDocumentError` unless ``doc`` follows the schema."""
    _depth(doc, "$")
    doc = _obj(doc, "$", _TOP)
    params = doc["params"]
    if not isinstance(params, Mapping):
        raise _fail("$.params", params, "an object of LogisticScorecard parameters")
    unknown = sorted(set(params) - set(param_names))
    if unknown:
        raise _fail(f"$.params.{unknown[0]}", params[unknown[0]],
                    f"absent: LogisticScorecard has no parameter {unknown[0]!r}")
    columns = _list(doc["columns"], "$.columns", min_len=1)
    for i, c in enumerate(columns):
        _scalar(c, f"$.columns[{i}]")
    names = doc.get("feature_names_in")
    if names is not None and names != columns:
        raise _fail("$.feature_names_in", names, f"null or the columns {columns!r}")
    criteria = _list(doc["criteria"], "$.criteria", min_len=1)
    seen: set[Any] = set()
    for i, c in enumerate(criteria):
        _criterion(c, f"$.criteria[{i}]", columns)
        if c["name"] in seen:
            raise _fail(f"$.criteria[{i}].name", c["name"], "a name not used by another criterion")
        seen.add(c["name"])
    names_in_order = [c["name"] for c in criteria]
    if names_in_order != columns:
        raise _fail("$.criteria", f"criteria for {names_in_order!r}",
                    f"one criterion per column, in the order of $.columns ({columns!r})")
    classes = doc.get("classes", [0, 1])
    if not (isinstance(classes, list) and len(classes) == 2 and classes[0] != classes[1]
            and all(isinstance(c, int | float | str) for c in classes)):
        raise _fail("$.classes", classes, "a list of the 2 distinct class labels, e.g. [0, 1]")
    for key in ("intercept", "prior_correction", "base_points", "rounding_auc_loss", "loglik"):
        _num(doc[key], f"$.{key}")
    _int(doc["n_iter"], "$.n_iter")
    _bool(doc["converged"], "$.converged")
    scale = _obj(doc["scale"], "$.scale", ("factor", "base", "eta_min"))
    if set(scale) != {"factor", "base", "eta_min"}:
        extra = sorted(set(scale) - {"factor", "base", "eta_min"})[0]
        raise _fail(f"$.scale.{extra}", scale[extra], "absent (scale has factor, base, eta_min)")
    _num(scale["factor"], "$.scale.factor", low=0.0, strict=True)
    _num(scale["base"], "$.scale.base")
    _num(scale["eta_min"], "$.scale.eta_min")
    cutoffs = _list(doc["grade_cutoffs"], "$.grade_cutoffs", min_len=1)
    values = [_num(v, f"$.grade_cutoffs[{k}]", nullable=True) for k, v in enumerate(cutoffs)]
    finite = [math.inf if v is None else v for v in values]
    for k in range(1, len(finite)):
        if finite[k] > finite[k - 1]:
            raise _fail(f"$.grade_cutoffs[{k}]", cutoffs[k],
                        f"at most the cut-off before it ({cutoffs[k - 1]!r}): grades go down")
    labels = params.get("grade_labels")
    if labels is not None:
        labels = _list(labels, "$.params.grade_labels", min_len=2)
        for k, label in enumerate(labels):
            _str(label, f"$.params.grade_labels[{k}]")
        if len(labels) != len(cutoffs) + 1:
            raise _fail("$.params.grade_labels", labels,
                        f"a list of {len(cutoffs) + 1} labels (one more than grade_cutoffs)")
    for key in ("coef_table", "grade_table"):
        for i, row in enumerate(_list(doc[key], f"$.{key}")):
            if not isinstance(row, Mapping):
                raise _fail(f"$.{key}[{i}]", row, "an object (one table row)")
            for k, v in row.items():
                _scalar(v, f"$.{key}[{i}].{k}")


def check_points_range(card: Any) -> None:
    """Refuse points outside a ``scaling="range"`` card's 0..100 (0.5 a criterion of rounding)."""
    if card.scaling != "range":
        return
    low = card.base_points_ + sum(float(p.min()) for p in card._points)
    high = card.base_points_ + sum(float(p.max()) for p in card._points)
    slack = 0.5 * len(card._points) + 1e-6
    if low < -slack or high > 100.0 + slack:
        raise InvalidDocumentError(
            f"Parameter 'document' gives points from {low:g} to {high:g} over the "
            f"criteria ($.base_points and $.criteria[*].levels[*].points); a "
            f"scaling='range' card scores within 0..100. Restore the points, or export the "
            f"card again with LogisticScorecard.to_json()."
        )
