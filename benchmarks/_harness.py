"""Shared measuring tools of the benchmark suites.

``measure(fn, *args, **kwargs)`` runs ``fn`` once and returns its result with wall time,
CPU time (this process, all threads) and peak resident memory above the level at the start.
Peak memory is sampled from ``/proc/self/statm`` by a background thread every few
milliseconds, so allocations made by C/C++/Rust code (numpy, Polars, DuckDB, fastcluster)
count too, which ``tracemalloc`` would miss. Peers run in the same process as clientseg, one
after the other, so the ratios of one run compare like with like.

``paired(ours, peers, repeats=5)`` alternates clientseg and its peers round by round and
records each run's wall, CPU, peak memory, load average, the other processes' CPU and the
threads the tool may use; a multi-threaded peer's run that did not get its cores on a busy
machine is rerun and, if it stays so, kept with ``flagged=True`` (``should_flag`` is the
rule). ``versions()`` and ``machine()`` describe what ran where, for every results file.
"""

from __future__ import annotations

import functools
import gc
import os
import platform
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROFILES = ("smoke", "regular", "large")

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


#: Called before each timed call so that garbage left by the previous one is not freed
#: inside it (the tests replace it: a full collection takes 0.1-0.3 s in a big process).
_collect = gc.collect


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except OSError:  # not Linux: fall back to the lifetime peak
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass(frozen=True)
class Measurement:
    """One timed call: the function's result and what it cost."""

    result: Any
    wall_s: float
    cpu_s: float
    peak_mib: float


def measure(
    fn: Callable[..., Any], *args: Any, interval: float = 0.002, **kwargs: Any
) -> Measurement:
    """Run ``fn(*args, **kwargs)`` once; return result, wall, CPU and peak extra RSS (MiB)."""
    _collect()
    base = _rss_bytes()
    peak = base
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _rss_bytes())
            time.sleep(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    c0, t0 = time.process_time(), time.perf_counter()
    try:
        result = fn(*args, **kwargs)
    finally:
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        stop.set()
        thread.join()
    peak = max(peak, _rss_bytes())
    return Measurement(result, wall, cpu, (peak - base) / 2**20)


def machine() -> str:
    """Describe the machine in one line (for the tables in docs/benchmarks.md)."""
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kib = int(fh.readline().split()[1])
        mem = f", {kib / 2**20:.0f} GiB RAM"
    except OSError:
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}"


def record(suite: str, stage: str, tool: str, size: dict[str, int], m: Measurement,
           **quality: Any) -> dict[str, Any]:
    """Build one result row: what ran, on what size, what it cost, and its quality figures."""
    return {"suite": suite, "stage": stage, "tool": tool, **size,
            "wall_s": round(m.wall_s, 4), "cpu_s": round(m.cpu_s, 4),
            "peak_mib": round(m.peak_mib, 1), **quality}


# ------------------------------------------------------------------------ paired runs
#: Tools that compute on several threads, and how to ask each how many it may use. Every
#: other tool (clientseg, pandas, fastcluster, scipy and scikit-learn's Ward) computes on one
#: thread, so its ``cpu_s`` close to its ``wall_s`` says nothing about a busy machine.
MULTI_THREADED: dict[str, Callable[[], int]] = {}

#: A multi-threaded run is *starved* when its CPU time is under
#: ``1 + STARVED_SHARE * (threads - 1)`` times its wall time: on 2 cores, under 1.5 (a
#: Polars group-by that gets both cores uses about 1.9). The issue's example: 1.91 s CPU for
#: 1.89 s wall, 1.01.
STARVED_SHARE = 0.5
#: The machine is *busy* during a run when the 1-minute load average (the larger of the
#: readings before and after) reaches ``BUSY_LOAD_SHARE`` of the cores, or when other
#: processes used at least ``BUSY_OTHER_CORES`` cores during the run (from ``/proc/stat``:
#: all CPU time of the machine minus this process's). The load average lags by about a
#: minute; the other processes' CPU is measured over the run itself. Either says busy.
BUSY_LOAD_SHARE = 0.75
BUSY_OTHER_CORES = 0.5
#: A flagged run is rerun at most this many times; one that stays flagged is kept, marked.
MAX_RERUNS = 2
#: Runs shorter than this are not judged: thread start-up dominates them, and the
#: machine's CPU counters tick every 10 ms (the smoke sizes run in milliseconds).
MIN_JUDGED_WALL_S = 0.1


#: Overrides set by ``run.py`` flags for a whole run: ``repeats`` (paired rounds instead of
#: each suite's profile value), ``max_reruns``, ``stages`` (a set of stage names to run;
#: suites that honour it skip the others). None keeps the suite's choice.
SETTINGS: dict[str, Any] = {"repeats": None, "max_reruns": None, "stages": None}


def wanted(stage: str) -> bool:
    """Whether ``stage`` is to run under ``SETTINGS["stages"]`` (all when it is None)."""
    stages = SETTINGS["stages"]
    return stages is None or stage in stages


def _polars_threads() -> int:
    import polars as pl

    return int(pl.thread_pool_size())


def _duckdb_threads() -> int:
    import duckdb

    con = duckdb.connect()
    try:
        return int(con.execute("SELECT current_setting('threads')").fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


MULTI_THREADED.update(polars=_polars_threads, duckdb=_duckdb_threads)


def cores() -> int:
    """Cores this process may run on (its CPU affinity; ``os.cpu_count()`` elsewhere)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@functools.cache
def tool_threads(tool: str) -> int:
    """Threads ``tool`` may compute on: its pool size capped by the cores, 1 if single-threaded.

    The tool's name is matched on its first word (``"polars"`` for ``"polars (unique)"``).
    """
    key = tool.lower().replace(".", " ").split()[0] if tool.strip() else tool
    counter = MULTI_THREADED.get(key)
    if counter is None:
        return 1
    try:
        return max(1, min(counter(), cores()))
    except ImportError:
        return 1


def _load1() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:  # not available: never says busy
        return 0.0


def _machine_cpu_s() -> float | None:
    """CPU seconds used so far by the whole machine (all cores, every process), or None."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal [guest guest_nice]: busy = all but
    # idle and iowait (guest time is already inside user)
    busy = sum(fields[:8]) - fields[3] - fields[4]
    return busy / os.sysconf("SC_CLK_TCK")


def is_busy(load1: float, others_cores: float | None, n_cores: int) -> bool:
    """Whether the machine was busy with other work during a run (see ``BUSY_*``)."""
    if load1 >= BUSY_LOAD_SHARE * n_cores:
        return True
    return others_cores is not None and others_cores >= BUSY_OTHER_CORES


def is_starved(cpu_s: float, wall_s: float, threads: int) -> bool:
    """Whether a run that may use ``threads`` threads used too little CPU for its wall time."""
    if threads < 2 or wall_s < MIN_JUDGED_WALL_S:
        return False
    return cpu_s / wall_s < 1 + STARVED_SHARE * (threads - 1)


def should_flag(cpu_s: float, wall_s: float, threads: int, load1: float,
                others_cores: float | None, n_cores: int) -> bool:
    """The flagging rule: a multi-threaded run starved of CPU while the machine was busy.

    A single-threaded run is never flagged (its CPU is its wall time, busy or not), and
    neither is a starved run on an idle machine (the tool's work was serial, not crowded out).
    """
    return is_starved(cpu_s, wall_s, threads) and is_busy(load1, others_cores, n_cores)


@dataclass(frozen=True)
class Run:
    """One timed run inside a paired measurement, with the machine's state around it."""

    tool: str
    round: int
    attempt: int
    wall_s: float
    cpu_s: float
    peak_mib: float
    threads: int
    load_before: float
    load_after: float
    others_cores: float | None
    flagged: bool

    @property
    def cpu_per_wall(self) -> float:
        return self.cpu_s / self.wall_s if self.wall_s > 0 else float("nan")

    def as_dict(self) -> dict[str, Any]:
        """Compact, rounded form for the JSON results."""
        return {"round": self.round, "attempt": self.attempt, "wall_s": round(self.wall_s, 4),
                "cpu_s": round(self.cpu_s, 4), "cpu_per_wall": round(self.cpu_per_wall, 2),
                "peak_mib": round(self.peak_mib, 1), "threads": self.threads,
                "load_before": round(self.load_before, 2),
                "load_after": round(self.load_after, 2),
                "others_cores": None if self.others_cores is None
                else round(self.others_cores, 2),
                "flagged": self.flagged}


def timed_run(tool: str, fn: Callable[[], Any], *, round_: int = 0,
              attempt: int = 0) -> tuple[Run, Any]:
    """Measure ``fn()`` once with the load average and the other processes' CPU around it."""
    threads = tool_threads(tool)
    n_cores = cores()
    load_before, machine0 = _load1(), _machine_cpu_s()
    m = measure(fn)
    load_after, machine1 = _load1(), _machine_cpu_s()
    others = None
    if machine0 is not None and machine1 is not None and m.wall_s >= MIN_JUDGED_WALL_S:
        others = min(float(n_cores), max(0.0, (machine1 - machine0 - m.cpu_s) / m.wall_s))
    flagged = should_flag(m.cpu_s, m.wall_s, threads, max(load_before, load_after), others,
                          n_cores)
    return Run(tool, round_, attempt, m.wall_s, m.cpu_s, m.peak_mib, threads, load_before,
               load_after, others, flagged), m.result


@dataclass
class Paired:
    """The runs of a paired measurement: clientseg's and each peer's, round by round."""

    ours: str
    runs: dict[str, list[Run]]
    results: dict[str, Any]
    reruns: dict[str, int]
    log: list[str]

    def median_run(self, tool: str) -> Run:
        """The run with the median wall time (the lower middle one for an even count)."""
        return sorted(self.runs[tool], key=lambda r: r.wall_s)[(len(self.runs[tool]) - 1) // 2]

    def ratios(self, tool: str) -> list[float]:
        """The peer's wall time over clientseg's in the same round, round by round."""
        ours = {r.round: r.wall_s for r in self.runs[self.ours]}
        return [r.wall_s / ours[r.round] for r in self.runs[tool] if ours.get(r.round)]

    def row(self, tool: str, suite: str, stage: str, size: dict[str, int],
            **quality: Any) -> dict[str, Any]:
        """One result row for ``tool``: its median run, the paired ratios and every run."""
        med = self.median_run(tool)
        runs = self.runs[tool]
        row = record(suite, stage, tool, size, Measurement(None, med.wall_s, med.cpu_s,
                                                           med.peak_mib), **quality)
        ratios = [1.0] * len(runs) if tool == self.ours else self.ratios(tool)
        row.update(
            ratio=round(float(statistics.median(ratios)), 3),
            ratio_min=round(min(ratios), 3), ratio_max=round(max(ratios), 3),
            repeats=len(runs), threads=med.threads,
            cpu_per_wall=round(statistics.median(r.cpu_per_wall for r in runs), 2),
            load_max=round(max(max(r.load_before, r.load_after) for r in runs), 2),
            flagged_runs=sum(r.flagged for r in runs), reruns=self.reruns.get(tool, 0),
            flagged=any(r.flagged for r in runs),
            runs=[r.as_dict() for r in runs],
        )
        return row


def paired(ours: Callable[[], Any], peers: dict[str, Callable[[], Any]], *,
           repeats: int = 5, ours_name: str = "clientseg",
           peer_repeats: dict[str, int] | None = None, max_reruns: int = MAX_RERUNS,
           report: Callable[[str], None] | None = None) -> Paired:
    """Alternate clientseg and its peers: ours, peer1, peer2, ours, peer1, ... ``repeats`` times.

    Each run records wall, CPU (this process, all threads), peak memory, the load average
    before and after, the other processes' CPU and the threads the tool may use. A run of a
    multi-threaded peer that :func:`should_flag` is rerun at once, at most ``max_reruns``
    times; a run still flagged after that is kept with ``flagged=True`` and reported through
    ``report`` (stderr by default). ``peer_repeats`` gives a peer fewer rounds (a slow
    scipy run, once): it runs in the first rounds only. The last result of each tool is
    kept for the quality figures.
    """
    if report is None:
        def report(line: str) -> None:
            print(line, file=sys.stderr, flush=True)

    peer_repeats = peer_repeats or {}
    if SETTINGS["repeats"] is not None:
        repeats = SETTINGS["repeats"]
    if SETTINGS["max_reruns"] is not None:
        max_reruns = SETTINGS["max_reruns"]
    runs: dict[str, list[Run]] = {ours_name: [], **{name: [] for name in peers}}
    results: dict[str, Any] = {}
    reruns: dict[str, int] = {}
    log: list[str] = []
    for round_ in range(repeats):
        run, results[ours_name] = timed_run(ours_name, ours, round_=round_)
        runs[ours_name].append(run)
        for name, fn in peers.items():
            if round_ >= peer_repeats.get(name, repeats):
                continue
            run, results[name] = timed_run(name, fn, round_=round_)
            while run.flagged and run.attempt < max_reruns:
                reruns[name] = reruns.get(name, 0) + 1
                run, results[name] = timed_run(name, fn, round_=round_,
                                               attempt=run.attempt + 1)
            if run.flagged:
                line = (f"flagged: {name} round {round_ + 1} kept after {run.attempt} "
                        f"rerun(s): {run.cpu_s:.2f} s CPU for {run.wall_s:.2f} s wall on "
                        f"{run.threads} threads, load {run.load_before:.2f}->"
                        f"{run.load_after:.2f}, other processes "
                        f"{'?' if run.others_cores is None else f'{run.others_cores:.2f}'} "
                        f"cores")
                log.append(line)
                report(line)
            runs[name].append(run)
    return Paired(ours_name, runs, results, reruns, log)


# ------------------------------------------------------------------------ provenance
_VERSIONED = ("numpy", "pandas", "polars", "duckdb", "pyarrow", "fastcluster", "scipy",
              "scikit-learn", "optbinning", "narwhals")


def versions() -> dict[str, str | None]:
    """Versions of Python, numpy, pandas, every peer present, and clientseg with its commit."""
    from importlib import metadata

    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # absent peers are left out, not guessed
    try:
        import clientseg

        found["clientseg"] = clientseg.__version__
    except (ImportError, AttributeError):
        found["clientseg"] = None
    found["git_commit"] = git_commit()
    return found


def git_commit() -> str | None:
    """The commit of the checkout the suites run from (``+dirty`` with local changes)."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=10, check=True)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                "--untracked-files=no", "--",
                                "src", "benchmarks"], capture_output=True, text=True,
                               timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None  # a wheel's copy: no checkout
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def load_state() -> dict[str, Any]:
    """The machine's load now: 1/5/15-minute load averages, cores, this process's niceness."""
    try:
        load = [round(v, 2) for v in os.getloadavg()]
    except OSError:
        load = []
    return {"loadavg": load, "cores": cores(), "nice": os.nice(0) if hasattr(os, "nice") else 0}


def fastest(repeats: int, fn: Callable[..., Any], *args: Any) -> Measurement:
    """Measure ``fn(*args)`` ``repeats`` times; keep the run with the lowest wall time.

    For clientseg against itself (the engines suite); peers are compared with ``paired``.
    """
    runs = [measure(fn, *args) for _ in range(repeats)]
    return min(runs, key=lambda m: m.wall_s)
