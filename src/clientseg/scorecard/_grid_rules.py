"""Rules of a points grid: parsing, validation, and the codes every scoring path shares.

A criterion of a :class:`~clientseg.scorecard.PointsGrid` is a list of rules, each worth
some points (negative allowed):

* numeric ranges, right-open ``[a, b)``: written ``"[10, 50)"``, ``"< 10"``, ``">= 50"``;
* category lists: ``"in: retail | industry"`` (or one bare value, ``"retail"``);
* ``"missing"``: null or NaN values;
* ``"else"``: anything no other rule takes (a default).

A criterion holds ranges or category lists, not both. Ranges must not overlap and must
leave no gap between them; values outside all ranges go to ``"else"``, which is required
when the ranges do not cover every number. Missing values go to ``"missing"``, else to
``"else"``; a value that no rule takes (possible only without ``"else"``) scores 0.

Every scoring path evaluates the same :class:`~clientseg.scorecard._export.CaseRules`:
null first, then the first range edge above the value, then category lists, then the
default. That is the ``CASE`` of the scorecard's SQL, so pandas, the narwhals engines and
SQL give equal points.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clientseg.exceptions import ClientsegWarning, InvalidParameterError
from clientseg.scorecard._export import CaseRules

__all__: list[str] = []

_INF = math.inf
KINDS = ("range", "in", "missing", "default")


class GridScaleWarning(ClientsegWarning):
    """A points grid's best possible total is not its stated maximum (``max_points``)."""


class GridError(InvalidParameterError):
    """A points grid is ill-formed: overlapping or gapped rules, a rule that cannot be read."""


def fmt_number(v: float) -> str:
    """Write a number so that it reads back exactly (``3`` for 3.0, repr otherwise)."""
    v = float(v)
    if v.is_integer() and abs(v) < 2**53:
        return str(int(v))
    return repr(v)


def _fmt_value(v: Any) -> str:
    """Write a category value as rule text.

    Strings that would read back as another type, or hold a separator, are quoted.
    """
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return fmt_number(v)
    s = str(v)
    if s != s.strip() or "|" in s or _parse_value(s) != s or s.lower() in (
            "missing", "else", "default") or s[:1] in "<>[(" or s.startswith("in:"):
        return "'" + s + "'"
    return s


def _parse_value(token: str) -> Any:
    """Read one category value: quoted text, true/false, an integer, a number, or text."""
    t = token.strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        return t[1:-1]
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(t)
    except ValueError:
        pass
    try:
        f = float(t)
    except ValueError:
        return t
    return f if math.isfinite(f) else t


@dataclass(frozen=True)
class GridRule:
    """One rule of a grid: which values of a criterion it takes, and their points.

    Attributes
    ----------
    kind : {"range", "in", "missing", "default"}
        A right-open range ``[low, high)``, a list of category ``values``, missing values,
        or everything else.
    points : float
        Points the rule gives (may be negative).
    low, high : float
        Bounds of a range (``-inf``/``inf`` when open).
    values : tuple
        Category values of an ``"in"`` rule.
    """

    kind: str
    points: float
    low: float = -_INF
    high: float = _INF
    values: tuple[Any, ...] = ()

    @property
    def text(self) -> str:
        """The rule as written in a grid file (``"[10, 50)"``, ``"in: a | b"``, ...)."""
        if self.kind == "missing":
            return "missing"
        if self.kind == "default":
            return "else"
        if self.kind == "in":
            return "in: " + " | ".join(_fmt_value(v) for v in self.values)
        if self.low == -_INF and self.high == _INF:
            return "any"
        if self.low == -_INF:
            return f"< {fmt_number(self.high)}"
        if self.high == _INF:
            return f">= {fmt_number(self.low)}"
        return f"[{fmt_number(self.low)}, {fmt_number(self.high)})"


_RANGE = re.compile(r"^\[\s*([^,\]]+?)\s*,\s*([^,)\]]+?)\s*\)$")
_OPEN = re.compile(r"^(<|>=)\s*(\S+)$")
#: Values of a category list: quoted text (may hold "|") or anything up to the next "|".
_TOKENS = re.compile(r"\s*('[^']*'|\"[^\"]*\"|[^|]+)\s*")


def parse_rule(criterion: str, rule: Any, points: Any) -> GridRule:
    """Read a rule given as text, a list of category values, or a :class:`GridRule`."""
    pts = _points(criterion, rule, points)
    if isinstance(rule, GridRule):
        return GridRule(rule.kind, pts, rule.low, rule.high, rule.values)
    if isinstance(rule, list | tuple | set | frozenset):
        values = tuple(rule)
        if not values:
            raise GridError(
                f"Criterion {criterion!r} has a rule with an empty list of values. Give at "
                f"least one category value, or remove the rule."
            )
        return GridRule("in", pts, values=values)
    if not isinstance(rule, str):
        return GridRule("in", pts, values=(rule,))
    text = rule.strip()
    low = text.lower()
    if low in ("missing", "(missing)", "null", "na"):
        return GridRule("missing", pts)
    if low in ("else", "default", "(default)", "otherwise"):
        return GridRule("default", pts)
    if low == "any":
        return GridRule("range", pts)
    m = _RANGE.match(text)
    if m:
        return GridRule("range", pts, low=_bound(criterion, text, m.group(1)),
                    high=_bound(criterion, text, m.group(2)))
    m = _OPEN.match(text)
    if m:
        bound = _bound(criterion, text, m.group(2))
        return GridRule("range", pts, high=bound) if m.group(1) == "<" else \
            GridRule("range", pts, low=bound)
    if low.startswith("in:") or low.startswith("in "):
        values = tuple(_parse_value(v) for v in _TOKENS.findall(text[3:]) if v.strip())
        return parse_rule(criterion, list(values), pts)
    if text[:1] in "<>[(" or text.startswith("<=") or text.startswith(">"):
        raise GridError(
            f"Criterion {criterion!r} has a rule {text!r} that cannot be read. Ranges are "
            f"right-open: write '[a, b)', '< b' or '>= a' (a value equal to a bound belongs "
            f"to the range that starts there)."
        )
    return GridRule("in", pts, values=(_parse_value(text),))


def _bound(criterion: str, text: str, token: str) -> float:
    try:
        v = float(token)
    except ValueError:
        raise GridError(
            f"Criterion {criterion!r} has a range {text!r} whose bound {token!r} is not a "
            f"number. Write the bounds as numbers, e.g. '[10, 50)'."
        ) from None
    if math.isnan(v):
        raise GridError(f"Criterion {criterion!r} has a range {text!r} with a NaN bound. "
                        f"Write the bounds as numbers, e.g. '[10, 50)'.")
    return v


def _points(criterion: str, rule: Any, points: Any) -> float:
    try:
        pts = float(points)
    except (TypeError, ValueError):
        pts = math.nan
    if not math.isfinite(pts):
        shown = rule.text if isinstance(rule, GridRule) else rule
        raise GridError(
            f"Criterion {criterion!r}, rule {shown!r} has points {points!r}, not a finite "
            f"number. Give every rule a number of points (negative allowed)."
        )
    return pts


def _key(v: Any) -> tuple[str, Any]:
    """Compare category values by type and value (True is not 1)."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, int | float):
        return ("number", float(v))
    return (type(v).__name__, v)


def validate_criterion(criterion: str, rules: Sequence[GridRule]) -> str:
    """Check one criterion's rules; return its kind ("numeric" or "categorical").

    Raises :class:`GridError` naming the criterion, the problem, the rules concerned and
    the fix: no rule, ranges mixed with category lists, two ``missing`` or ``else`` rules,
    an empty or inverted range, overlapping ranges or categories, a gap between ranges,
    or numbers no range takes with no ``else`` rule.
    """
    if not rules:
        raise GridError(f"Criterion {criterion!r} has no rule. Give it at least one rule, "
                        f"e.g. ('else', 0), or remove it from the grid.")
    by_kind = {k: [r for r in rules if r.kind == k] for k in KINDS}
    for k, word in (("missing", "missing"), ("default", "else")):
        if len(by_kind[k]) > 1:
            raise GridError(
                f"Criterion {criterion!r} has {len(by_kind[k])} {word!r} rules; it may have "
                f"one. Keep one and merge the points."
            )
    ranges, lists = by_kind["range"], by_kind["in"]
    if ranges and lists:
        raise GridError(
            f"Criterion {criterion!r} mixes {len(ranges)} numeric range(s) with "
            f"{len(lists)} category list(s). A criterion is numeric or categorical: split "
            f"it into two criteria (two columns), or write the numbers as categories."
        )
    has_default = bool(by_kind["default"])
    if lists:
        owner: dict[tuple[str, Any], str] = {}
        clashes: list[tuple[Any, str, str]] = []
        for r in lists:
            for v in r.values:
                key = _key(v)
                if key in owner and owner[key] != r.text:
                    clashes.append((v, owner[key], r.text))
                owner[key] = r.text
        if clashes:
            value, first, second = clashes[0]
            raise GridError(
                f"Criterion {criterion!r} has {len(clashes)} overlapping category "
                f"value(s): {value!r} is in rule {first!r} and in rule {second!r}. Keep each "
                f"value in one rule only."
            )
        return "categorical"
    if not ranges:
        return "categorical"  # only missing / else rules: any column
    for r in ranges:
        if not r.low < r.high:
            raise GridError(
                f"Criterion {criterion!r} has an empty range {r.text!r} (its lower bound "
                f"is not below its upper bound). Write it '[low, high)' with low < high."
            )
    ordered = sorted(ranges, key=lambda r: (r.low, r.high))
    overlaps = [(a, b) for a, b in itertools.pairwise(ordered) if b.low < a.high]
    if overlaps:
        a, b = overlaps[0]
        raise GridError(
            f"Criterion {criterion!r} has {len(overlaps)} overlap(s) between ranges: "
            f"{a.text!r} and {b.text!r} both take [{fmt_number(b.low)}, "
            f"{fmt_number(min(a.high, b.high))}). Make each range start where the previous "
            f"one ends (ranges are right-open, [a, b))."
        )
    gaps = [(a, b) for a, b in itertools.pairwise(ordered) if b.low > a.high]
    if gaps:
        a, b = gaps[0]
        raise GridError(
            f"Criterion {criterion!r} has {len(gaps)} gap(s) between ranges: no rule takes "
            f"[{fmt_number(a.high)}, {fmt_number(b.low)}) between {a.text!r} and "
            f"{b.text!r}. Make {b.text!r} start at {fmt_number(a.high)} (or {a.text!r} end "
            f"at {fmt_number(b.low)}), or add a range for the gap."
        )
    lo, hi = ordered[0].low, ordered[-1].high
    if not has_default and (lo > -_INF or hi < _INF):
        side = (f"below {fmt_number(lo)}" if lo > -_INF else "") + \
            (" and " if lo > -_INF and hi < _INF else "") + \
            (f"from {fmt_number(hi)} up" if hi < _INF else "")
        raise GridError(
            f"Criterion {criterion!r} has a gap: no rule takes the values {side}. Open the "
            f"end range(s) ('< b', '>= a') or add an 'else' rule for them."
        )
    return "numeric"


def adjust_best(points: list[np.ndarray], candidates: Sequence[int], diff: float) -> None:
    """Add ``diff`` to the best total, in place, on one criterion among ``candidates``.

    The widest candidate whose best rule is unique takes it (its best rule moves by
    ``diff``); when every candidate's best is tied, the widest one's tied best rules all
    move, so the best total moves by exactly ``diff``.
    """
    if not diff or not candidates:
        return
    order = sorted(candidates, key=lambda i: -float(np.ptp(points[i])))
    unique = [i for i in order if int(np.sum(points[i] == points[i].max())) == 1]
    i = unique[0] if unique else order[0]
    top = points[i] == points[i].max()
    points[i][top] += diff


@dataclass(frozen=True)
class CompiledCriterion:
    """One criterion's rules, ready to score: the shared ``CaseRules`` and rule codes.

    ``band_rule[i]`` is the rule index of band ``i`` (bands as ``CaseRules.bands`` lists
    them, the last one being ``otherwise``); ``missing_rule`` and ``default_rule`` are rule
    indexes, ``len(rules)`` standing for "no rule" (0 points).
    """

    name: str
    kind: str
    rules: tuple[GridRule, ...]
    case: CaseRules
    edges: np.ndarray
    band_rule: np.ndarray
    value_rule: dict[tuple[str, Any], int]
    missing_rule: int
    default_rule: int

    @property
    def rule_points(self) -> np.ndarray:
        """Points of every rule, then 0 for "no rule"."""
        return np.array([r.points for r in self.rules] + [0.0])

    def codes(self, column: pd.Series) -> np.ndarray:
        """GridRule index of every value (``len(rules)``: no rule took it)."""
        missing = column.isna().to_numpy()
        if self.kind == "numeric":
            x = column.to_numpy(dtype=float, na_value=np.nan)
            band = np.searchsorted(self.edges, np.where(missing, 0.0, x), side="right")
            codes = self.band_rule[band]
        else:
            row_codes, uniques = pd.factorize(column, use_na_sentinel=True)
            lookup = np.array([self.value_rule.get(_key(u), self.default_rule)
                               for u in np.asarray(uniques, dtype=object)] + [self.default_rule],
                              dtype=np.intp)
            codes = lookup[np.asarray(row_codes, dtype=np.intp)]
        return np.where(missing, self.missing_rule, codes).astype(np.intp)


def compile_criterion(name: str, rules: Sequence[GridRule]) -> CompiledCriterion:
    """Validate a criterion's rules and build its :class:`CompiledCriterion`."""
    kind = validate_criterion(name, rules)
    n = len(rules)
    idx = {r: i for i, r in enumerate(rules)}
    default = next((i for i, r in enumerate(rules) if r.kind == "default"), n)
    missing = next((i for i, r in enumerate(rules) if r.kind == "missing"), default)
    pts = [r.points for r in rules] + [0.0]
    bands: list[tuple[float, float]] = []
    band_rule: list[int] = []
    levels: list[tuple[list[Any], float]] = []
    value_rule: dict[tuple[str, Any], int] = {}
    if kind == "numeric":
        ordered = sorted((r for r in rules if r.kind == "range"), key=lambda r: r.low)
        if ordered[0].low > -_INF:
            bands.append((ordered[0].low, pts[default]))
            band_rule.append(default)
        for r in ordered[:-1]:
            bands.append((r.high, r.points))
            band_rule.append(idx[r])
        last = ordered[-1]
        if last.high < _INF:
            bands.append((last.high, last.points))
            band_rule.append(idx[last])
            band_rule.append(default)
            otherwise = pts[default]
        else:
            band_rule.append(idx[last])
            otherwise = last.points
    else:
        for i, r in enumerate(rules):
            if r.kind == "in":
                levels.append((list(r.values), r.points))
                for v in r.values:
                    value_rule[_key(v)] = i
        otherwise = pts[default]
    known = [v for vals, _ in levels for v in vals]
    case = CaseRules(name, kind, float(pts[missing]), bands, levels, float(otherwise), known)
    return CompiledCriterion(name, kind, tuple(rules), case,
                             np.array([e for e, _ in bands], dtype=float),
                             np.asarray(band_rule, dtype=np.intp), value_rule, missing, default)
