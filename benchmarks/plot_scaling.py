"""Draw time against base size on log-log axes, one line per stage, from benchmark results.

Usage::

    python benchmarks/plot_scaling.py RESULTS.json [RESULTS.json ...] [--suite pipeline]
                                      [--out docs/img/scaling.png]

Reads the JSON files that ``benchmarks/run.py`` writes, keeps clientseg's rows of the chosen
suite (default ``pipeline``, whose sizes form a ladder), and draws each stage's wall time
against its number of customers. The legend gives each stage's fitted slope on log-log axes
(1: time grows like the base; 2: like its square), fitted on the points that took at least
``MIN_FIT_S`` seconds, below which fixed overheads dominate.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

#: Points faster than this are drawn but left out of the slope: fixed costs dominate there.
MIN_FIT_S = 0.05


def scaling_slopes(rows: list[dict[str, Any]], *, size_key: str = "n_customers",
                   min_fit_s: float = MIN_FIT_S) -> dict[str, float]:
    """Least-squares slope of log(wall) on log(size) per stage (NaN under two usable points)."""
    out: dict[str, float] = {}
    for stage in dict.fromkeys(r["stage"] for r in rows):
        pts = [(r[size_key], r["wall_s"]) for r in rows
               if r["stage"] == stage and r["wall_s"] >= min_fit_s]
        sizes = {n for n, _ in pts}
        if len(sizes) < 2:
            out[stage] = float("nan")
            continue
        x, y = np.log10([p[0] for p in pts]), np.log10([p[1] for p in pts])
        out[stage] = float(np.polyfit(x, y, 1)[0])
    return out


def plot_scaling(rows: list[dict[str, Any]], out: Path, *, suite: str = "pipeline",
                 title: str | None = None) -> Path:
    """Write the log-log figure of clientseg's rows of ``suite`` to ``out``; return ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mine = [r for r in rows if r["suite"] == suite and r["tool"] == "clientseg"
            and r.get("n_customers")]
    if not mine:
        raise SystemExit(f"no clientseg rows of suite {suite!r} with n_customers in the input")
    slopes = scaling_slopes(mine)
    fig, ax = plt.subplots(figsize=(9.5, 5), layout="constrained")
    markers = "osD^v<>ph*"
    for i, (stage, slope) in enumerate(slopes.items()):
        pts = sorted((r["n_customers"], r["wall_s"]) for r in mine if r["stage"] == stage)
        label = stage if np.isnan(slope) else f"{stage} (slope {slope:.2f})"
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=markers[i % len(markers)],
                label=label)
    sizes = np.array(sorted({r["n_customers"] for r in mine}), dtype=float)
    ref = np.median([r["wall_s"] for r in mine if r["n_customers"] == sizes[-1]])
    ax.plot(sizes, ref * sizes / sizes[-1], color="0.6", linestyle=":", linewidth=1,
            label="linear cost (slope 1), for reference")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("customers in the base")
    ax.set_ylabel("wall time (s)")
    ax.set_title(title or "clientseg: time of each stage against the size of the base")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    """Read result files, draw the figure, print the slopes; return an exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", type=Path, help="JSON files of benchmarks/run.py")
    parser.add_argument("--suite", default="pipeline")
    parser.add_argument("--out", type=Path, default=Path("scaling.png"))
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    machines = set()
    for path in args.results:
        payload = json.loads(path.read_text())
        rows += payload["rows"]
        machines.add(payload.get("machine", ""))
    plot_scaling(rows, args.out, suite=args.suite)
    mine = [r for r in rows if r["suite"] == args.suite and r["tool"] == "clientseg"]
    for stage, slope in scaling_slopes(mine).items():
        print(f"{stage}: slope {slope:.2f}")
    print(f"figure: {args.out} ({'; '.join(sorted(m for m in machines if m))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
