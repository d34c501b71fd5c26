"""Run the benchmark suites and write JSON plus a markdown table.

Usage::

    python benchmarks/run.py --profile smoke|regular|large [--suite rfm synth ...] [--peers]
                             [--plot] [--out benchmarks/results] [--record [HEADLINES]]
                             [--repeats N] [--max-reruns N] [--stages STAGE ...]
    python benchmarks/run.py --record-from RESULTS.json [...] [--record HEADLINES]

or, from an installed clientseg, ``clientseg bench`` with the same flags.

Each ``benchmarks/bench_<suite>.py`` defines ``run(profile: str, peers: bool) -> list[dict]``
whose rows come from ``_harness.record``. In the table, ``ratio`` is a row's wall time
divided by clientseg's wall time for the same stage and size (so a peer at 5.0 is five times
slower than clientseg); rows from one run share the process and the machine. Rows measured
in paired rounds (``_harness.paired``: RFM, Ward) carry the median of their paired ratios
instead, with ``ratio_min``/``ratio_max``, CPU/wall, load and ``flagged``; the JSON also
records the versions, the machine, the load and the command. ``--record`` writes the
headline rows of a ``regular`` run into ``benchmarks/headlines.json``, which
``benchmarks/render_headlines.py`` renders into the README and the docs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, TextIO

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from benchmarks._harness import (  # noqa: E402
    MAX_RERUNS,
    PROFILES,
    SETTINGS,
    load_state,
    machine,
    versions,
)

HEADLINES = HERE / "headlines.json"


def available_suites() -> list[str]:
    """Names of the suites found beside this file (``bench_<name>.py``)."""
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def add_ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ``ratio`` = wall time / clientseg's wall time for the same suite, stage and size.

    Rows from paired runs (:func:`benchmarks._harness.paired`) already hold their ratio, the
    median of the paired ratios, and keep it.
    """
    size_keys = sorted({k for r in rows for k in r} - {
        "suite", "stage", "tool", "wall_s", "cpu_s", "peak_mib", "ratio"})
    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        return (r["suite"], r["stage"], *(r.get(k) for k in size_keys if k.startswith("n_")))
    ours = {key(r): r["wall_s"] for r in rows if r["tool"] == "clientseg"}
    for r in rows:
        if "runs" in r and "ratio" in r:
            continue
        base = ours.get(key(r))
        r["ratio"] = round(r["wall_s"] / base, 2) if base else None
    return rows


#: Columns of the markdown table (the JSON keeps everything, including every run).
_HIDDEN = ("runs",)


def to_markdown(rows: list[dict[str, Any]]) -> str:
    """Render rows as one markdown table (columns in first-seen order)."""
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols and k not in _HIDDEN]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = ["" if r.get(c) is None else str(r[c]) if isinstance(r.get(c), bool)
                 else f"{r[c]:,}" if isinstance(r.get(c), int) else str(r[c]) for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None, *, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Parse arguments, run the chosen suites, write the results; return an exit code."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=PROFILES, default="smoke")
    parser.add_argument("--suite", nargs="*", default=None,
                        help=f"suites to run (default: all of {available_suites()})")
    parser.add_argument("--peers", action="store_true", help="also time the peer tools")
    parser.add_argument("--plot", action="store_true",
                        help="also draw the log-log figure of time against base size "
                             "(suite 'pipeline')")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--record", nargs="?", type=Path, const=HEADLINES, default=None,
                        metavar="HEADLINES_JSON",
                        help="also write this run's paired headline rows (regular profile) "
                             "into the headline table (default benchmarks/headlines.json); "
                             "then run benchmarks/render_headlines.py")
    parser.add_argument("--record-from", nargs="+", type=Path, default=None,
                        metavar="RESULTS_JSON",
                        help="run nothing: record the headline rows of these results files "
                             "(into --record's file, default benchmarks/headlines.json)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="paired rounds per stage (default: each suite's for the profile)")
    parser.add_argument("--max-reruns", type=int, default=None,
                        help=f"reruns of a flagged peer run (default {MAX_RERUNS})")
    parser.add_argument("--stages", nargs="+", default=None,
                        help="run only these stages, in suites that can skip the others "
                             "(rfm: rfm_table, rfm_table[us], ...; hierarchy: 'exact tree', "
                             "'two-stage segmenter', 'two-stage vs exact')")
    parser.add_argument("--note", default=None,
                        help="with --record-from: a remark kept with the recorded run")
    args = parser.parse_args(argv)
    if args.record_from:
        target = args.record or HEADLINES
        for results in args.record_from:
            record_headlines(results, target, out, note=args.note)
        return 0
    suites = args.suite or available_suites()
    unknown = sorted(set(suites) - set(available_suites()))
    if unknown:
        parser.error(f"unknown suite(s) {unknown}; available: {available_suites()}")
    SETTINGS.update(repeats=args.repeats, max_reruns=args.max_reruns,
                    stages=set(args.stages) if args.stages else None)
    started = {"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **load_state()}
    found = versions()  # before the run: the commit of the code that runs
    rows: list[dict[str, Any]] = []
    for name in suites:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"[{time.strftime('%H:%M:%S')}] {name} ({args.profile})", file=err, flush=True)
        rows += module.run(args.profile, peers=args.peers)
    add_ratios(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"{args.profile}-{time.strftime('%Y%m%d-%H%M%S')}"
    flagged = [r for r in rows if r.get("flagged")]
    payload = {"machine": machine(), "profile": args.profile, "versions": found,
               "command": command_line(args), "started": started,
               "finished": {"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **load_state()},
               "flagged_rows": len(flagged), "rows": rows}
    (args.out / f"{stem}.json").write_text(json.dumps(payload, indent=2, default=str))
    table = (f"Machine: {machine()}; profile `{args.profile}`; load average "
             f"{started['loadavg']} at the start, {payload['finished']['loadavg']} at the end"
             f"{'; niceness ' + str(started['nice']) if started['nice'] else ''}.\n"
             f"Versions: {', '.join(f'{k} {v}' for k, v in payload['versions'].items())}.\n\n"
             f"{to_markdown(rows)}\n")
    (args.out / f"{stem}.md").write_text(table)
    print(table, file=out)
    if args.plot:
        if not any(r["suite"] == "pipeline" for r in rows):
            print("--plot: the figure needs the 'pipeline' suite (sizes in a ladder); "
                  "add it to --suite", file=err)
            return 2
        from benchmarks.plot_scaling import plot_scaling, scaling_slopes

        figure = plot_scaling(rows, args.out / f"{stem}-scaling.png")
        slopes = scaling_slopes([r for r in rows if r["suite"] == "pipeline"
                                 and r["tool"] == "clientseg"])
        print("log-log slopes: " + ", ".join(f"{k} {v:.2f}" for k, v in slopes.items()),
              file=out)
        print(f"figure: {figure}", file=out)
    for r in flagged:
        print(f"FLAGGED: {r['suite']} {r['stage']} {r['tool']}: {r['flagged_runs']} of "
              f"{r['repeats']} runs did not get their {r['threads']} threads on a busy "
              f"machine (median CPU/wall {r['cpu_per_wall']}, load up to {r['load_max']}); "
              f"its ratio {r['ratio']} flatters clientseg", file=err)
    print(f"results: {args.out / stem}.json and .md", file=out)
    if args.record is not None:
        record_headlines(args.out / f"{stem}.json", args.record, out)
    return 0


def record_headlines(results: Path, target: Path, out: TextIO,
                     note: str | None = None) -> int:
    """Merge the headline rows of one results file into the headline table ``target``."""
    from benchmarks import render_headlines

    payload = json.loads(results.read_text())
    stages = {}
    for suite in {r["suite"] for r in payload["rows"]}:
        module = importlib.import_module(f"benchmarks.bench_{suite}")
        if getattr(module, "HEADLINE_PROFILE", None) == payload["profile"]:
            stages[suite] = module.HEADLINE_STAGES
    try:
        shown = str(results.resolve().relative_to(HERE.parent))
    except ValueError:  # outside the checkout
        shown = str(results)
    data, n = render_headlines.record(render_headlines.load(target), payload, shown, stages,
                                      note=note)
    if n:
        render_headlines.save(data, target)
    print(f"recorded {n} headline row(s) from {shown} into {target}"
          + ("; now run python benchmarks/render_headlines.py" if n else
             f" (headlines come from paired rows of the profile each suite names; "
             f"this run is {payload['profile']!r})"), file=out)
    return n


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this run (``nice -n N`` prefixed when the run was niced)."""
    parts = ["python benchmarks/run.py", "--profile", args.profile]
    if args.suite:
        parts += ["--suite", *args.suite]
    if args.peers:
        parts.append("--peers")
    for flag in ("repeats", "max_reruns"):
        if getattr(args, flag, None) is not None:
            parts += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
    if getattr(args, "stages", None):
        parts += ["--stages", *(f"'{s}'" for s in args.stages)]
    nice = os.nice(0) if hasattr(os, "nice") else 0
    return (f"nice -n {nice} " if nice else "") + " ".join(parts)


if __name__ == "__main__":
    raise SystemExit(main())
