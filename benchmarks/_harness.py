"""Shared measuring tools of the benchmark suites.

``measure(fn, *args, **kwargs)`` runs ``fn`` once and returns its result with wall time,
CPU time (this process, all threads) and peak resident memory above the level at the start.
Peak memory is sampled from ``/proc/self/statm`` by a background thread every few
milliseconds, so allocations made by C/C++/Rust code (numpy, Polars, DuckDB, fastcluster)
count too, which ``tracemalloc`` would miss. Peers run in the same process as clientseg, one
after the other, so the ratios of one run compare like with like.
"""

from __future__ import annotations

import gc
import os
import platform
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PROFILES = ("smoke", "regular", "large")

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


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
    gc.collect()
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
