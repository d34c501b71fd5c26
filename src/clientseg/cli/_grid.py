"""``clientseg score FILE --grid GRID``: apply (and, with --target, evaluate) a points grid."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from clientseg.cli._files import _finish, _outdir, _Progress, _write, read_table
from clientseg.exceptions import InvalidParameterError

__all__: list[str] = []


def read_grid(path: Path) -> Any:
    """Read a grid file: JSON by its ``.json`` suffix, CSV otherwise."""
    from clientseg.scorecard import PointsGrid

    if not path.is_file():
        raise InvalidParameterError(
            f"--grid '{path}' is not a file. Pass a grid written as CSV (criterion,rule,points) "
            f"or JSON (PointsGrid.to_json)."
        )
    if path.suffix.lower() == ".json":
        return PointsGrid.read_json(path)
    return PointsGrid.read_csv(path)


def run_score(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Dispatch ``clientseg score``: the grid of ``--grid``, else a fitted scorecard."""
    from clientseg.cli import _files

    if getattr(args, "grid", None) is None:
        if args.target is None:
            raise InvalidParameterError(
                "clientseg score needs --target COL to fit a scorecard (or --grid FILE to "
                "apply a points grid)."
            )
        return _files.run_score(args, out, err)
    return run_grid(args, out, err)


def run_grid(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Apply the grid of ``--grid`` to FILE; evaluate it when FILE has the --target column."""
    progress = _Progress(None if args.quiet else err)
    progress(f"reading {args.grid}")
    grid = read_grid(args.grid)
    progress(f"reading {args.file}")
    frame = read_table(args.file)
    data = frame if args.id is None else frame.set_index(args.id)
    folder = _outdir(args.out)
    scores = pd.DataFrame({"points": grid.points(data), "grade": grid.grade(data)},
                          index=data.index)
    written: list[str] = []
    _write(scores, folder, "grid_scores.csv", index=args.id is not None, written=written)
    table = args.sql_table or args.file.name.split(".")[0]
    (folder / "grid.sql").write_text(grid.to_sql(table=table, id_col=args.id) + "\n",
                                     encoding="utf-8")
    written.append("grid.sql")
    counts = scores["grade"].value_counts(sort=False)
    lines = [f"Grid {args.grid} ({len(grid.criteria)} criteria, scores "
             f"{grid.worst_total:g} to {grid.best_total:g}) applied to {len(scores):,} rows "
             f"of {args.file}: grades " + ", ".join(f"{g} {n:,}" for g, n in counts.items())]
    if args.target is not None and args.target in data.columns:
        report = grid.evaluate(data, data[args.target])
        _write(report.rules, folder, "grid_rules.csv", index=False, written=written)
        _write(report.criteria, folder, "grid_criteria.csv", index=False, written=written)
        _write(report.grades, folder, "grid_grades.csv", index=False, written=written)
        lines += ["", f"AUC against {args.target}: {report.auc:.3f}",
                  "Flagged criteria (points not supported by conversions): "
                  + (", ".join(report.flagged) or "none")]
    return _finish(lines, folder, written, out)
