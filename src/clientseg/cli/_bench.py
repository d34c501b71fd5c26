"""``clientseg bench``: run the benchmark suites from the command line.

The suites live in ``benchmarks/`` of the source tree; wheels ship the same files as
``clientseg/_benchmarks``. They import one another as the package ``benchmarks``, so this
module loads whichever copy belongs to the running clientseg under that name, then calls
``benchmarks/run.py``'s ``main`` with the command's flags.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from clientseg.exceptions import InvalidParameterError

__all__: list[str] = []  # private module

_PACKAGE = Path(__file__).resolve().parents[1]  # src/clientseg (or site-packages/clientseg)
#: Where the suites may be: a source checkout (editable install) first, then the wheel's copy.
_CANDIDATES = (_PACKAGE.parents[1] / "benchmarks", _PACKAGE / "_benchmarks")
PROFILES = ("smoke", "regular", "large")

DESCRIPTION = (
    "Time clientseg on synthetic customer bases (clientseg.synth), stage by stage, with "
    "peak memory and a quality figure beside each time (ARI against the true segments, "
    "chosen k against the true k, AUC against the true model). With --peers, the usual "
    "tools for each step run in the same process on the same data (pandas, Polars and "
    "DuckDB for RFM; scipy, scikit-learn and fastcluster for Ward; optbinning and "
    "scikit-learn for scorecards), and the table gives their time as a ratio of "
    "clientseg's. Suite 'engines' times rfm_table on each engine it accepts (Polars, "
    "PyArrow, DuckDB, Dask) against its pandas path. Profiles: smoke (about 10k "
    "customers, seconds), regular (1M customers / 10M lines, minutes), large (10M "
    "customers / 100M lines where memory allows). Writes "
    "a JSON file and a markdown table to --out; --plot adds the log-log figure of time "
    "against base size (suite 'pipeline')."
)


def _suites_folder() -> Path:
    for folder in _CANDIDATES:
        if (folder / "run.py").is_file():
            return folder
    raise InvalidParameterError(
        f"clientseg bench found no benchmark suites: looked for run.py in "
        f"{[str(p) for p in _CANDIDATES]}. Reinstall clientseg from a wheel or a source "
        f"checkout (the suites ship with both), or run `python benchmarks/run.py` in a clone."
    )


def load_runner() -> ModuleType:
    """Import the suites as the package ``benchmarks`` and return its ``run`` module."""
    folder = _suites_folder()
    loaded = sys.modules.get("benchmarks")
    paths = [Path(p).resolve() for p in getattr(loaded, "__path__", [])]
    if loaded is not None and folder not in paths:
        raise InvalidParameterError(
            f"clientseg bench cannot load its suites from {folder}: another module named "
            f"'benchmarks' ({paths or loaded!r}) is already imported in this process. Run "
            f"`clientseg bench` in its own process."
        )
    if loaded is None:
        spec = importlib.util.spec_from_file_location(
            "benchmarks", folder / "__init__.py", submodule_search_locations=[str(folder)])
        assert spec is not None and spec.loader is not None
        package = importlib.util.module_from_spec(spec)
        sys.modules["benchmarks"] = package
        spec.loader.exec_module(package)
    return importlib.import_module("benchmarks.run")


def add_parser(commands: Any, formatter: type[argparse.HelpFormatter]) -> None:
    """Declare ``clientseg bench`` on the command's sub-parsers."""
    bench = commands.add_parser(
        "bench", help="time clientseg (and its peers) on synthetic bases",
        description=textwrap.fill(DESCRIPTION, 79), formatter_class=formatter,
        epilog="example:\n  clientseg bench --profile smoke --suite rfm scorecard --peers "
               "--out bench-results")
    bench.add_argument("--profile", choices=PROFILES, default="smoke",
                       help="base sizes to run at")
    bench.add_argument("--suite", nargs="+", metavar="NAME",
                       help="suites to run: synth, rfm, hierarchy, cut, scorecard, quality, "
                            "pipeline, ... (default: all)")
    bench.add_argument("--peers", action="store_true",
                       help="also time the peer tools (pip install 'clientseg[bench]')")
    bench.add_argument("--plot", action="store_true",
                       help="also draw time against base size on log-log axes (PNG)")
    bench.add_argument("--out", type=Path, default=Path("clientseg-bench"), metavar="DIR",
                       help="folder to write the JSON results and markdown table to")
    bench.set_defaults(func=run_bench)


def run_bench(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Check the flags, then hand over to ``benchmarks/run.py``."""
    runner = load_runner()
    available = runner.available_suites()
    unknown = sorted(set(args.suite or ()) - set(available))
    if unknown:
        raise InvalidParameterError(
            f"Flag --suite names {len(unknown)} unknown suite(s) {unknown}; the suites are "
            f"{available}. Pass some of those, or leave --suite out to run them all."
        )
    argv = ["--profile", args.profile, "--out", str(args.out)]
    if args.suite:
        argv += ["--suite", *args.suite]
    if args.peers:
        argv.append("--peers")
    if args.plot:
        argv.append("--plot")
    return int(runner.main(argv, out=out, err=err))
