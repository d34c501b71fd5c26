"""The one table of headline numbers, and the text rendered from it.

``benchmarks/headlines.json`` (committed) holds every benchmark number that the README, the
benchmark page and the guides quote. ``python benchmarks/run.py --record`` (or
``--record-from RESULTS.json``) writes the paired rows of a ``regular`` run into it; this
script rewrites the blocks between ``<!-- headlines:start view=NAME -->`` and
``<!-- headlines:end -->`` in the files of ``TARGETS`` from it, so the numbers cannot
drift apart. ``--check`` changes nothing and exits 1 when a file is stale (the test suite
runs the same check).

File format (``"schema": 1``)::

    {"schema": 1,
     "about": "...",
     "runs": {RUN_ID: {"profile", "command", "machine", "versions", "started",
                       "finished", "results_file"}},
     "headlines": [{"id": "rfm:rfm_table:n_transactions=10000000:polars", "run": RUN_ID,
                    "suite", "stage", "label", "size": {...}, "peer",
                    "ratio": median of peer time / clientseg time over the paired rounds,
                    "ratio_min", "ratio_max", "repeats", "flagged": bool,
                    "ours": {"wall_s", "cpu_s", "cpu_per_wall", "peak_mib", ...},
                    "theirs": {"wall_s", "cpu_s", "cpu_per_wall", "peak_mib", "threads",
                               "flagged_runs", "reruns", "load_max"}}],
     "notes": [{"id", "text", "measured"}]}

``notes`` are claims not yet re-measured with paired runs; they are rendered as such.

Run: ``python benchmarks/render_headlines.py [--check]``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, TextIO

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HEADLINES = HERE / "headlines.json"
#: Files with a rendered block, and the view each block shows.
TARGETS: tuple[tuple[str, str], ...] = (
    ("README.md", "readme"),
    ("docs/benchmarks.md", "table"),
    ("docs/user_guide/rfm.md", "rfm"),
    ("docs/user_guide/hierarchy.md", "hierarchy"),
)
SCHEMA = 1
_BLOCK = re.compile(r"(<!-- headlines:start view=(?P<view>[a-z]+) -->\n)(?P<body>.*?)"
                    r"(<!-- headlines:end -->)", re.S)
_PEERS = {"pandas": "pandas recipe", "polars": "Polars", "duckdb": "DuckDB SQL",
          "fastcluster.linkage_vector": "fastcluster `linkage_vector`",
          "scipy.linkage": "scipy `linkage`",
          "sklearn.AgglomerativeClustering": "scikit-learn `AgglomerativeClustering`",
          "pandas duplicated() only": "pandas `duplicated()` alone"}
FLAG = "⚑"
#: The rendered text says "loaded machine" from this load average per core up (the
#: harness's busy threshold, ``_harness.BUSY_LOAD_SHARE``).
LOADED_SHARE = 0.75
#: How to measure the headlines again and refresh every rendered block.
RERUN = ("python benchmarks/run.py --profile regular --suite rfm hierarchy --peers --record "
         "&& python benchmarks/render_headlines.py")


# ------------------------------------------------------------------------------ recording
def empty() -> dict[str, Any]:
    """A headline file with no numbers yet."""
    return {"schema": SCHEMA,
            "about": "Headline benchmark numbers; written by `python benchmarks/run.py "
                     "--record`, rendered into README.md and docs by `python "
                     "benchmarks/render_headlines.py`. Edit neither the rendered text nor "
                     "the numbers by hand.",
            "runs": {}, "headlines": [], "notes": []}


def load(path: Path = HEADLINES) -> dict[str, Any]:
    """Read the headline file (an empty one when it does not exist yet)."""
    if not path.exists():
        return empty()
    data = json.loads(path.read_text())
    if data.get("schema") != SCHEMA:
        raise SystemExit(f"{path}: schema {data.get('schema')!r}, this script reads {SCHEMA}")
    return data


def _size_key(row: dict[str, Any]) -> dict[str, int]:
    return {k: v for k, v in row.items() if k.startswith("n_") and isinstance(v, int)}


def headline_id(row: dict[str, Any]) -> str:
    """Stable id of a headline: suite, stage, size and peer."""
    size = ",".join(f"{k}={v}" for k, v in sorted(_size_key(row).items()))
    return f"{row['suite']}:{row['stage']}:{size}:{row['tool']}"


def _cost(row: dict[str, Any], *extra: str) -> dict[str, Any]:
    keys = ("wall_s", "cpu_s", "cpu_per_wall", "peak_mib", "threads", "flagged_runs",
            "reruns", "load_max", *extra)
    return {k: row[k] for k in keys if k in row}


def headline_entries(payload: dict[str, Any], run_id: str,
                     stages: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """The headline entries of one results payload: every paired peer row of a listed stage.

    ``stages`` maps a suite to its ``HEADLINE_STAGES`` (stage -> label).
    """
    rows = payload["rows"]
    ours = {(r["suite"], r["stage"], tuple(sorted(_size_key(r).items()))): r
            for r in rows if r["tool"] == "clientseg" and "runs" in r}
    entries = []
    for r in rows:
        label = stages.get(r["suite"], {}).get(r["stage"])
        base = ours.get((r["suite"], r["stage"], tuple(sorted(_size_key(r).items()))))
        if label is None or base is None or r is base or "runs" not in r:
            continue
        entries.append({
            "id": headline_id(r), "run": run_id, "suite": r["suite"], "stage": r["stage"],
            "label": label, "size": _size_key(r), "peer": r["tool"],
            "ratio": r["ratio"], "ratio_min": r["ratio_min"], "ratio_max": r["ratio_max"],
            "repeats": r["repeats"], "flagged": bool(r["flagged"]),
            "ours": _cost(base, "input_mib", "peak_over_input"), "theirs": _cost(r),
        })
    return entries


def record(data: dict[str, Any], payload: dict[str, Any], results_file: str,
           stages: dict[str, dict[str, str]], note: str | None = None
           ) -> tuple[dict[str, Any], int]:
    """Merge one run's headline entries into ``data``; return it and the number recorded.

    An entry replaces the one with the same id; runs no entry refers to any more are
    dropped, so the file stays small. ``note`` (what the results file cannot say, such as
    a correction of its provenance) is kept with the run and rendered.
    """
    run_id = Path(results_file).stem
    entries = headline_entries(payload, run_id, stages)
    if not entries:
        return data, 0
    data["runs"][run_id] = {k: payload.get(k) for k in (
        "profile", "command", "machine", "versions", "started", "finished")}
    data["runs"][run_id]["results_file"] = results_file
    if note:
        data["runs"][run_id]["note"] = note
    merged = {e["id"]: e for e in data["headlines"]}  # an entry keeps its place when
    merged.update((e["id"], e) for e in entries)      # replaced; new ones come in run order
    data["headlines"] = list(merged.values())
    used = {e["run"] for e in data["headlines"]}
    data["runs"] = {k: v for k, v in sorted(data["runs"].items()) if k in used}
    return data, len(entries)


def save(data: dict[str, Any], path: Path = HEADLINES) -> None:
    """Write the headline file (sorted, indented, one trailing newline)."""
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------------------ rendering
def _ratio(e: dict[str, Any]) -> str:
    mark = f" {FLAG}" if e["flagged"] else ""
    spread = ("one run" if e["repeats"] == 1
              else f"{e['ratio_min']:.2f}–{e['ratio_max']:.2f}")
    return f"{e['ratio']:.2f}× ({spread}){mark}"


def _size(e: dict[str, Any]) -> str:
    size = e["size"]
    if "n_transactions" in size:
        return f"{size['n_transactions']:,} lines"
    return f"{size.get('n_customers', 0):,} rows"


def _peer(e: dict[str, Any]) -> str:
    return _PEERS.get(e["peer"], e["peer"])


def _provenance(data: dict[str, Any], suites: set[str]) -> str:
    runs = {e["run"] for e in data["headlines"] if e["suite"] in suites}
    lines = []
    for run_id in sorted(runs):
        run = data["runs"][run_id]
        v = run.get("versions") or {}
        shown = ", ".join(f"{k} {v[k]}" for k in (
            "python", "numpy", "pandas", "polars", "duckdb", "pyarrow", "fastcluster",
            "scipy", "scikit-learn", "optbinning") if v.get(k))
        load = (run.get("started") or {}).get("loadavg"), (run.get("finished") or {}).get(
            "loadavg")
        lines.append(f"`{run['command']}` on {run['started']['at'][:10]} ({run['machine']}; "
                     f"{shown}; clientseg {v.get('clientseg')} at "
                     f"{str(v.get('git_commit'))[:12]}; load average {load[0]} at the "
                     f"start, {load[1]} at the end"
                     + (f"; {run['note']}" if run.get("note") else "") + ")")
    return "; ".join(lines)


def _loaded_warning(data: dict[str, Any], entries: list[dict[str, Any]]) -> str:
    """Say how busy the machine was, what was flagged, and how to measure again."""
    flagged = sum(e["flagged"] for e in entries)
    load = max((e["theirs"].get("load_max", 0) for e in entries), default=0)
    cores = max((data["runs"][e["run"]].get("started", {}).get("cores", 2) for e in entries),
                default=2)
    ours = min((e["ours"].get("cpu_per_wall", 1.0) for e in entries), default=1.0)
    text = (f"**Measured on a loaded machine** (1-minute load average up to {load} on "
            f"{cores} cores, other programs running)." if load >= LOADED_SHARE * cores else
            f"Measured on a quiet machine (load average up to {load} on {cores} cores).")
    if flagged:
        text += (f" {flagged} of {len(entries)} comparisons are flagged {FLAG}: a "
                 "multi-threaded peer did not get its cores in some runs even after reruns, "
                 "so its ratio flatters clientseg. Do not quote a flagged number.")
    elif any(e["theirs"].get("threads", 1) > 1 for e in entries):
        text += " No run was flagged: every multi-threaded peer got its cores."
    else:
        text += (" No run was flagged: these peers are single-threaded, so a busy machine "
                 "slows both sides of a pair (flagging applies to multi-threaded peers).")
    if ours < 0.9:
        text += (f" Even single-threaded runs got less than a core (clientseg's CPU/wall "
                 f"down to {ours:.2f}), so every time here is longer than on an idle machine.")
    return text + f" Measure again on an idle machine with `{RERUN}`."


def render_readme(data: dict[str, Any]) -> str:
    """The README's list of headlines."""
    entries = list(data["headlines"])
    out = [
        "Ratios are the peer's time over clientseg's (above 1: clientseg is faster), the "
        "median of paired runs that alternate clientseg and each peer, with the range in "
        "brackets. " + _loaded_warning(data, entries), "",
    ]
    main = [e for e in entries if e["stage"] in ("rfm_table", "exact tree")
            and not e["peer"].startswith("pandas duplicated")]
    for stage_label in dict.fromkeys(f"{e['label']}, {_size(e)}" for e in main):
        group = [e for e in main if f"{e['label']}, {_size(e)}" == stage_label]
        ours = group[0]["ours"]
        peers = "; ".join(f"{_peer(e)} {_ratio(e)}" for e in group)
        out.append(f"- {stage_label}: clientseg {ours['wall_s']:.2f} s "
                   f"({ours['cpu_per_wall']:.2f} CPU/wall); {peers}.")
    out += ["", "Every variant (`[us]` dates, shared invoice ids, `duplicates=\"drop\"`, "
            "scores) with CPU/wall and threads is in "
            "[the headline table](docs/benchmarks.md#headline-table). Measured by "
            + _provenance(data, {e["suite"] for e in entries}) + "."]
    if data["notes"]:
        out += ["", "Not yet re-measured with paired runs (single runs, kept until they are):",
                ""]
        out += [f"- {n['text']} ({n['measured']})" for n in data["notes"]]
    return "\n".join(out) + "\n"


def _table(entries: list[dict[str, Any]]) -> list[str]:
    lines = ["| stage | size | peer | clientseg s (CPU/wall) | peer s (CPU/wall, threads) "
             "| peer / clientseg: median (range) | runs | load | flagged |",
             "|---|---|---|---|---|---|---|---|---|"]
    for e in entries:
        o, t = e["ours"], e["theirs"]
        flag = (f"{FLAG} {t.get('flagged_runs', 0)} of {e['repeats']} runs"
                if e["flagged"] else "no")
        lines.append(
            f"| {e['label']} | {_size(e)} | {_peer(e)} | {o['wall_s']:.2f} "
            f"({o['cpu_per_wall']:.2f}) | {t['wall_s']:.2f} ({t['cpu_per_wall']:.2f}, "
            f"{t.get('threads', 1)}) | {_ratio(e)} | {e['repeats']} "
            f"(+{t.get('reruns', 0)} reruns) | {t.get('load_max', '')} | {flag} |")
    return lines


def render_table(data: dict[str, Any], suites: set[str] | None = None) -> str:
    """The full headline table (all suites, or ``suites``), with provenance and warning."""
    entries = [e for e in data["headlines"] if suites is None or e["suite"] in suites]
    if not entries:
        return "No paired measurement recorded yet.\n"
    out = [_loaded_warning(data, entries), "", *_table(entries), "",
           "Measured by " + _provenance(data, {e["suite"] for e in entries}) + "."]
    memory = {(e["label"], _size(e)): e["ours"] for e in entries
              if "peak_over_input" in e["ours"]}
    if memory:
        out += ["", "clientseg's peak memory above the start, against the input frame "
                    "(the speed issue's target: at most 2× the input):", "",
                "| stage | size | input MiB | peak MiB | peak / input |", "|---|---|---|---|---|"]
        out += [f"| {label} | {size} | {o['input_mib']:.0f} | {o['peak_mib']:.0f} | "
                f"{o['peak_over_input']:.2f}{'' if o['peak_over_input'] <= 2 else ' (over 2)'} |"
                for (label, size), o in memory.items()]
    return "\n".join(out) + "\n"


VIEWS = {
    "readme": render_readme,
    "table": render_table,
    "rfm": lambda data: render_table(data, {"rfm"}),
    "hierarchy": lambda data: render_table(data, {"hierarchy"}),
}


def rewrite(text: str, data: dict[str, Any]) -> str:
    """``text`` with every headline block re-rendered from ``data``."""
    def block(m: re.Match[str]) -> str:
        view = m.group("view")
        if view not in VIEWS:
            raise SystemExit(f"unknown headline view {view!r}; views: {sorted(VIEWS)}")
        return m.group(1) + VIEWS[view](data) + m.group(4)

    return _BLOCK.sub(block, text)


def stale_files(data: dict[str, Any], root: Path = ROOT) -> list[str]:
    """Files of ``TARGETS`` whose blocks differ from what ``data`` renders (or lack one)."""
    stale = []
    for name, view in TARGETS:
        text = (root / name).read_text()
        if f"<!-- headlines:start view={view} -->" not in text or rewrite(text, data) != text:
            stale.append(name)
    return stale


def main(argv: list[str] | None = None, *, out: TextIO | None = None) -> int:
    """Rewrite the rendered blocks (or, with ``--check``, report the stale files)."""
    out = sys.stdout if out is None else out
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 when a file differs from the table")
    parser.add_argument("--headlines", type=Path, default=HEADLINES)
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    data = load(args.headlines)
    stale = stale_files(data, args.root)
    if args.check:
        for name in stale:
            print(f"stale: {name} (run python benchmarks/render_headlines.py)", file=out)
        return 1 if stale else 0
    code = 0
    for name, view in TARGETS:
        if name in stale:
            path = args.root / name
            text = path.read_text()
            if f"<!-- headlines:start view={view} -->" not in text:
                print(f"{name} has no block: add '<!-- headlines:start view={view} -->' and "
                      f"'<!-- headlines:end -->' where the numbers go", file=out)
                code = 1
                continue
            path.write_text(rewrite(text, data))
            print(f"rewrote {name}", file=out)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
