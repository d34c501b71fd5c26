"""Segment maps of :mod:`clientseg.rfm`: ordered rules from score cells to segment names.

A map is a list of rules, each a segment name and a box of score ranges on the axes
``r``, ``f``, ``m`` and ``fm`` (the rounded mean of F and M). The first rule whose box holds
a customer's cell names the customer; a customer no rule holds gets the map's ``fallback``
name, so every customer gets a segment. :meth:`SegmentMap.validate` enumerates every cell
of the grid and reports overlaps (cells that several rules hold: the priority order
decides), uncovered cells, and rules that never win.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clientseg._core.validation import check_scalar
from clientseg.exceptions import InvalidParameterError

__all__ = ["BUILTIN_MAPS", "MapCheck", "SegmentMap", "fm_score"]

AXES = ("r", "f", "m", "fm")

_RuleSpec = tuple[str, Mapping[str, int | tuple[int, int]]]


def fm_score(f: Any, m: Any) -> np.ndarray:
    """FM score: the mean of F and M rounded half up, ``(f + m + 1) // 2`` (stays in 1..n)."""
    return (np.asarray(f, dtype=np.int64) + np.asarray(m, dtype=np.int64) + 1) // 2


@dataclass(frozen=True)
class MapCheck:
    """What :meth:`SegmentMap.validate` found on every cell of a map's grid.

    Attributes
    ----------
    cells : DataFrame
        One row per cell: the score axes, ``n_rules`` (how many rules hold the cell) and
        ``segment`` (the winner under the priority order, or the fallback name).
    overlaps : DataFrame
        The cells held by two rules or more, with ``rules`` (their names in priority order).
    uncovered : DataFrame
        The cells no rule holds (they get the fallback name).
    unreachable : tuple of str
        Rules that never win: every cell they hold is taken by an earlier rule.
    """

    cells: pd.DataFrame
    overlaps: pd.DataFrame
    uncovered: pd.DataFrame
    unreachable: tuple[str, ...]

    @property
    def is_partition(self) -> bool:
        """True when every cell is held by exactly one rule."""
        return self.overlaps.empty and self.uncovered.empty

    def __str__(self) -> str:
        kind = "an exact partition" if self.is_partition else "not a partition"
        lines = [
            f"Segment map over {len(self.cells)} cells: {kind}.",
            f"  overlapping cells: {len(self.overlaps)} (resolved by priority order)",
            f"  uncovered cells:   {len(self.uncovered)} (get the fallback name)",
            f"  unreachable rules: {', '.join(self.unreachable) or 'none'}",
        ]
        return "\n".join(lines)


class SegmentMap:
    """Ordered rules that name RFM score cells; the first rule that holds a cell wins.

    Parameters
    ----------
    rules : sequence of (str, mapping)
        In priority order, ``(segment_name, {axis: (low, high) or value})`` with axes among
        ``"r"``, ``"f"``, ``"m"`` and ``"fm"`` (``fm = (f + m + 1) // 2``) and inclusive
        integer bounds in ``1..n_bins``. An axis left out is unrestricted. Several rules may
        share a name (a segment made of several boxes).
    n_bins : int, default 5
        The score scale the map is written for.
    fallback : str, default "Unclassified"
        The segment of a cell that no rule holds.
    name : str, default "custom"
        A label shown in reprs and reports.

    See Also
    --------
    SegmentMap.from_name : the built-in maps ``"rf_grid"`` and ``"r_fm"``.

    Examples
    --------
    >>> from clientseg.rfm import SegmentMap
    >>> simple = SegmentMap([("Active", {"r": (4, 5)}), ("Lapsing", {"r": 3})],
    ...                     fallback="Inactive")
    >>> list(simple.assign({"r": [5, 3, 1]}))
    ['Active', 'Lapsing', 'Inactive']
    >>> SegmentMap.from_name("rf_grid").validate().is_partition
    True
    """

    def __init__(
        self,
        rules: Sequence[_RuleSpec],
        *,
        n_bins: int = 5,
        fallback: str = "Unclassified",
        name: str = "custom",
    ) -> None:
        check_scalar("n_bins", n_bins, kind=int, low=2, high=99)
        if isinstance(rules, str | bytes) or not isinstance(rules, Sequence) or not rules:
            raise InvalidParameterError(
                f"Parameter 'rules' must be a non-empty list of (segment_name, {{axis: (low, "
                f"high)}}) pairs in priority order; got {rules!r}."
            )
        parsed: list[tuple[str, dict[str, tuple[int, int]]]] = []
        for pos, rule in enumerate(rules):
            if not (isinstance(rule, tuple | list) and len(rule) == 2):
                raise InvalidParameterError(
                    f"Parameter 'rules' item {pos} must be a (segment_name, conditions) pair; "
                    f"got {rule!r}."
                )
            seg, cond = rule
            if not isinstance(seg, str) or not seg:
                raise InvalidParameterError(
                    f"Parameter 'rules' item {pos}: the segment name must be a non-empty "
                    f"string; got {seg!r}."
                )
            if not isinstance(cond, Mapping):
                raise InvalidParameterError(
                    f"Parameter 'rules' item {pos} ({seg!r}): conditions must be a mapping "
                    f"such as {{'r': (4, 5), 'f': (1, 2)}}; got {cond!r}."
                )
            bounds: dict[str, tuple[int, int]] = {}
            for axis, rng in cond.items():
                if axis not in AXES:
                    raise InvalidParameterError(
                        f"Parameter 'rules' item {pos} ({seg!r}) uses axis {axis!r}; axes "
                        f"must be among {list(AXES)}."
                    )
                lo, hi = (rng, rng) if isinstance(rng, int | np.integer) else tuple(rng)
                if not all(isinstance(v, int | np.integer) and not isinstance(v, bool)
                           for v in (lo, hi)) or not 1 <= lo <= hi <= n_bins:
                    raise InvalidParameterError(
                        f"Parameter 'rules' item {pos} ({seg!r}), axis {axis!r}: bounds must "
                        f"be integers with 1 <= low <= high <= n_bins={n_bins}; got {rng!r}."
                    )
                bounds[axis] = (int(lo), int(hi))
            parsed.append((seg, bounds))
        if not isinstance(fallback, str) or not fallback:
            raise InvalidParameterError(
                f"Parameter 'fallback' must be a non-empty string; got {fallback!r}."
            )
        self.rules: tuple[tuple[str, dict[str, tuple[int, int]]], ...] = tuple(parsed)
        self.n_bins = int(n_bins)
        self.fallback = fallback
        self.name = name

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_name(cls, name: str) -> SegmentMap:
        """Return a built-in map: ``"rf_grid"`` (10 names, R×F) or ``"r_fm"`` (11, R×FM)."""
        if name not in BUILTIN_MAPS:
            raise InvalidParameterError(
                f"Parameter 'segment_map' names no built-in map: got {name!r}; built-in maps "
                f"are {sorted(BUILTIN_MAPS)}. Pass a SegmentMap for your own rules."
            )
        return cls(BUILTIN_MAPS[name], n_bins=5, fallback="Unclassified", name=name)

    # ------------------------------------------------------------------ properties
    @property
    def axes(self) -> tuple[str, ...]:
        """The axes the rules use, in the order r, f, m, fm."""
        used = {a for _, b in self.rules for a in b}
        return tuple(a for a in AXES if a in used)

    @property
    def segments(self) -> tuple[str, ...]:
        """Segment names in order of first appearance, then the fallback (always last)."""
        names = dict.fromkeys(seg for seg, _ in self.rules)
        names.setdefault(self.fallback)
        return tuple(names)

    def __repr__(self) -> str:
        return (f"SegmentMap(name={self.name!r}, n_rules={len(self.rules)}, "
                f"n_bins={self.n_bins}, axes={self.axes})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SegmentMap):
            return NotImplemented
        return (self.rules, self.n_bins, self.fallback) == (
            other.rules, other.n_bins, other.fallback)

    def __hash__(self) -> int:
        return hash((repr(self.rules), self.n_bins, self.fallback))

    def to_frame(self) -> pd.DataFrame:
        """Return the rules as a table: priority, segment, ``<axis>_min``/``<axis>_max``."""
        rows = []
        for prio, (seg, bounds) in enumerate(self.rules, start=1):
            row: dict[str, Any] = {"priority": prio, "segment": seg}
            for axis in self.axes:
                lo, hi = bounds.get(axis, (1, self.n_bins))
                row[f"{axis}_min"], row[f"{axis}_max"] = lo, hi
            rows.append(row)
        return pd.DataFrame(rows).set_index("priority")

    # ------------------------------------------------------------------ assignment
    def _winner_codes(self, scores: Mapping[str, np.ndarray], n: int) -> tuple[np.ndarray,
                                                                                 np.ndarray]:
        """Index of the winning rule per row (-1: none) and the number of rules holding it."""
        winner = np.full(n, -1, dtype=np.int64)
        n_rules = np.zeros(n, dtype=np.int64)
        for i, (_, bounds) in enumerate(self.rules):
            hold = np.ones(n, dtype=bool)
            for axis, (lo, hi) in bounds.items():
                v = scores[axis]
                hold &= (v >= lo) & (v <= hi)
            n_rules += hold
            winner[(winner < 0) & hold] = i
        return winner, n_rules

    def _score_arrays(self, scores: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], int]:
        arrays: dict[str, np.ndarray] = {}
        for key, val in scores.items():
            if key in AXES:
                arrays[key] = np.asarray(val, dtype=np.int64).ravel()
        if "fm" not in arrays and "f" in arrays and "m" in arrays:
            arrays["fm"] = fm_score(arrays["f"], arrays["m"])
        missing = [a for a in self._base_axes() if a not in arrays]
        if missing:
            raise InvalidParameterError(
                f"SegmentMap {self.name!r} needs the score axes {missing} (got "
                f"{sorted(arrays)}); pass them, e.g. {{'r': r_score, 'f': f_score}}."
            )
        lengths = {len(v) for v in arrays.values()}
        if len(lengths) != 1:
            raise InvalidParameterError(
                f"Score arrays passed to SegmentMap.assign differ in length: "
                f"{ {k: len(v) for k, v in arrays.items()} }. Pass one score per customer."
            )
        return arrays, lengths.pop()

    def assign(self, scores: Mapping[str, Any]) -> pd.Categorical:
        """Name every customer: the first rule holding its cell, else ``fallback``.

        Parameters
        ----------
        scores : mapping
            Score arrays by axis, e.g. ``{"r": r_score, "f": f_score, "m": m_score}``;
            ``fm`` is computed from ``f`` and ``m`` when not given.

        Returns
        -------
        pandas.Categorical
            Segment names, with the categories in :attr:`segments` order (the fallback is
            always a category, so that every snapshot scored with a map shares categories).
        """
        arrays, n = self._score_arrays(scores)
        # Name every cell of the grid once, then look each customer's cell up (one gather).
        grid = self._grid()
        grid_winner, _ = self._winner_codes({a: grid[a].to_numpy() for a in grid.columns},
                                            len(grid))
        base = self._base_axes()
        for a in base:
            bad = (arrays[a] < 1) | (arrays[a] > self.n_bins)
            if bad.any():
                raise InvalidParameterError(
                    f"Scores passed to SegmentMap.assign on axis {a!r} must be in "
                    f"1..{self.n_bins}; {int(bad.sum()):,} "
                    f"{'is' if int(bad.sum()) == 1 else 'are'} not (first: "
                    f"{int(arrays[a][bad][0])}). Score with the map's n_bins."
                )
        cell = np.zeros(n, dtype=np.int64)
        for a in base:  # row-major index of the cell in the grid (itertools.product order)
            cell = cell * self.n_bins + (arrays[a] - 1)
        winner = grid_winner[cell]
        names = [seg for seg, _ in self.rules] + [self.fallback]
        cats = list(self.segments)
        code_of_rule = np.array([cats.index(nm) for nm in names], dtype=np.int64)
        codes = code_of_rule[np.where(winner < 0, len(self.rules), winner)]
        return pd.Categorical.from_codes(codes, categories=cats)

    # ------------------------------------------------------------------ validation
    def _base_axes(self) -> list[str]:
        """Independent axes of the grid: ``fm`` is derived when ``f`` or ``m`` is used too."""
        axes = list(self.axes)
        if "fm" in axes and ("f" in axes or "m" in axes):
            return [a for a in ("r", "f", "m") if a in axes or a in ("f", "m")]
        return axes

    def _grid(self) -> pd.DataFrame:
        axes = list(self.axes)
        base = self._base_axes()
        values = range(1, self.n_bins + 1)
        grid = pd.DataFrame(list(itertools.product(values, repeat=len(base))), columns=base)
        if "fm" in axes and "fm" not in base:
            grid["fm"] = fm_score(grid["f"], grid["m"])
        return grid

    def _grid_check(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, tuple[str, ...]]:
        grid = self._grid()
        arrays = {a: grid[a].to_numpy() for a in grid.columns}
        winner, n_rules = self._winner_codes(arrays, len(grid))
        names = [seg for seg, _ in self.rules]
        cells = grid.copy()
        cells["n_rules"] = n_rules
        cells["segment"] = [names[w] if w >= 0 else self.fallback for w in winner]
        holders = []
        for _, bounds in self.rules:
            hold = np.ones(len(grid), dtype=bool)
            for axis, (lo, hi) in bounds.items():
                hold &= (arrays[axis] >= lo) & (arrays[axis] <= hi)
            holders.append(hold)
        held = np.array(holders)  # rules x cells (small: at most a few thousand cells)
        overlaps = cells[n_rules > 1].copy()
        overlaps["rules"] = [tuple(names[i] for i in np.flatnonzero(held[:, c]))
                             for c in np.flatnonzero(n_rules > 1)]
        uncovered = cells[n_rules == 0].drop(columns=["n_rules", "segment"])
        won = set(winner[winner >= 0].tolist())
        unreachable = tuple(f"{i + 1}: {names[i]}" for i in range(len(names)) if i not in won)
        return cells, overlaps.reset_index(drop=True), uncovered.reset_index(drop=True), \
            unreachable

    def validate(self) -> MapCheck:
        """Check every cell of the grid: overlaps, uncovered cells, rules that never win.

        Returns
        -------
        MapCheck
            ``is_partition`` is True when every cell is held by exactly one rule. Overlaps
            are legitimate in a priority map (the first rule wins) and are listed so that
            the priority can be reviewed.
        """
        return MapCheck(*self._grid_check())


#: The 10-name map on the R×F grid (an exact partition of the 25 cells).
RF_GRID: tuple[_RuleSpec, ...] = (
    ("Champions", {"r": 5, "f": (4, 5)}),
    ("Loyal Customers", {"r": (3, 4), "f": (4, 5)}),
    ("Potential Loyalists", {"r": (4, 5), "f": (2, 3)}),
    ("New Customers", {"r": 5, "f": 1}),
    ("Promising", {"r": 4, "f": 1}),
    ("Need Attention", {"r": 3, "f": 3}),
    ("About to Sleep", {"r": 3, "f": (1, 2)}),
    ("At Risk", {"r": (1, 2), "f": (3, 4)}),
    ("Can't Lose Them", {"r": (1, 2), "f": 5}),
    ("Hibernating", {"r": (1, 2), "f": (1, 2)}),
)

#: The 11-name map on R×FM, in priority order (overlapping boxes; the first rule wins).
R_FM: tuple[_RuleSpec, ...] = (
    ("Champions", {"r": (4, 5), "fm": (4, 5)}),
    ("Can't Lose Them", {"r": 1, "fm": (4, 5)}),
    ("Loyal Customers", {"r": (2, 5), "fm": (3, 5)}),
    ("Recent Customers", {"r": (4, 5), "fm": 1}),
    ("Promising", {"r": (3, 4), "fm": 1}),
    ("Customers Needing Attention", {"r": (2, 3), "fm": (2, 3)}),
    ("Potential Loyalists", {"r": (3, 5), "fm": (1, 3)}),
    ("About to Sleep", {"r": (2, 3), "fm": (1, 2)}),
    ("Lost", {"r": 1, "fm": 1}),
    ("Hibernating", {"r": (1, 2), "fm": (1, 2)}),
    ("At Risk", {"r": (1, 2), "fm": (2, 5)}),
)

BUILTIN_MAPS: dict[str, tuple[_RuleSpec, ...]] = {"rf_grid": RF_GRID, "r_fm": R_FM}
