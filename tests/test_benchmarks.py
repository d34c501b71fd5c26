"""The benchmark suites run at their smoke size, so they never rot."""

from __future__ import annotations

import importlib
import io
import json
import math
import os
import subprocess
import sys
import zipfile

import pytest

from clientseg import cli
from tests.conftest import REPO

# benchmark smoke profiles and a wheel build: outside the fast lane (pytest -m 'not slow')
pytestmark = pytest.mark.slow

sys.path.insert(0, str(REPO))
run_module = importlib.import_module("benchmarks.run")


@pytest.mark.parametrize("suite", run_module.available_suites())
def test_suite_smoke_profile_reports_time_memory_and_quality(suite):
    module = importlib.import_module(f"benchmarks.bench_{suite}")
    rows = module.run("smoke", peers=False)
    assert rows, f"suite {suite} returned no rows"
    for row in rows:
        assert row["suite"] == suite
        assert row["wall_s"] > 0 and math.isfinite(row["peak_mib"])
        assert any(k.startswith("n_") for k in row), "each row names its size"
    assert any(r["tool"] == "clientseg" for r in rows)


def test_exact_tree_alternates_with_fastcluster_and_keeps_the_paired_ratios(monkeypatch):
    # A stand-in fastcluster (scipy's Ward underneath) that records the call order.
    import types

    from scipy.cluster.hierarchy import linkage

    bench = importlib.import_module("benchmarks.bench_hierarchy")
    calls = []
    ours = bench.ward_linkage

    def fake_vector(X, method):
        calls.append("fastcluster")
        return linkage(X, method)

    def counted(X):
        calls.append("clientseg")
        return ours(X)

    monkeypatch.setitem(sys.modules, "fastcluster",
                        types.SimpleNamespace(linkage_vector=fake_vector))
    monkeypatch.setattr(bench, "ward_linkage", counted)
    monkeypatch.setitem(bench.EXACT, "smoke", [300])
    monkeypatch.setitem(bench.REPEATS, "smoke", 3)
    monkeypatch.setattr(bench, "SCIPY_MAX", 0)  # no scipy / scikit-learn rows
    rows = bench._exact_rows("smoke", peers=True)
    assert calls == ["clientseg", "fastcluster"] * 3
    ours_row, fc_row = rows
    assert (ours_row["tool"], fc_row["tool"]) == ("clientseg", "fastcluster.linkage_vector")
    assert ours_row["repeats"] == fc_row["repeats"] == 3
    assert ours_row["wall_s"] == sorted(ours_row["wall_s_runs"])[1]  # the median run
    expected = [f / o for o, f in zip(ours_row["wall_s_runs"], fc_row["wall_s_runs"],
                                      strict=True)]
    assert fc_row["paired_ratio_median"] == pytest.approx(sorted(expected)[1], rel=0.02)
    assert fc_row["max_rel_height_diff"] < 1e-9


def test_engine_suite_agrees_with_pandas_and_catches_a_changed_table():
    bench = importlib.import_module("benchmarks.bench_engines")
    rows = bench.run("smoke", peers=False)
    tools = {r["tool"] for r in rows}
    assert "clientseg" in tools and len(tools) == len(rows)
    assert all(r["same_as_pandas"] for r in rows), rows
    assert len({r["customers"] for r in rows}) == 1
    # the check itself can fail: one amount off, or one customer missing
    expected = bench.table_of(bench.make_transactions(2_000, 200)).sort_index()
    changed = expected.copy()
    changed.iloc[3, changed.columns.get_loc("monetary")] += 0.01
    assert bench.same_table(expected.copy(), expected)
    assert not bench.same_table(changed, expected)
    assert not bench.same_table(expected.iloc[1:], expected)


def test_runner_writes_json_and_markdown(tmp_path):
    code = run_module.main(["--profile", "smoke", "--suite", "synth", "--out", str(tmp_path)])
    assert code == 0
    (json_file,) = tmp_path.glob("smoke-*.json")
    payload = json.loads(json_file.read_text())
    assert payload["profile"] == "smoke" and payload["rows"]
    assert all(r["ratio"] == 1.0 for r in payload["rows"] if r["tool"] == "clientseg")
    (md_file,) = tmp_path.glob("smoke-*.md")
    assert "| suite | stage | tool |" in md_file.read_text()


def test_ratios_compare_tools_on_the_same_stage_and_size():
    rows = [
        {"suite": "s", "stage": "a", "tool": "clientseg", "n_x": 10, "wall_s": 2.0},
        {"suite": "s", "stage": "a", "tool": "peer", "n_x": 10, "wall_s": 8.0},
        {"suite": "s", "stage": "a", "tool": "peer", "n_x": 20, "wall_s": 8.0},
    ]
    out = run_module.add_ratios(rows)
    assert [r["ratio"] for r in out] == [1.0, 4.0, None]


def test_runner_refuses_unknown_suites(capsys):
    with pytest.raises(SystemExit) as exc:
        run_module.main(["--suite", "nope"])
    assert exc.value.code == 2
    assert "unknown suite(s) ['nope']" in capsys.readouterr().err


# --------------------------------------------------------------------------- the plot
plot_module = importlib.import_module("benchmarks.plot_scaling")


def _ladder(exponent: float, stage: str, c: float = 1e-6) -> list[dict]:
    return [{"suite": "pipeline", "stage": stage, "tool": "clientseg", "n_customers": n,
             "wall_s": c * n**exponent} for n in (10_000, 100_000, 1_000_000)]


def test_scaling_slopes_recover_the_growth_exponent():
    rows = _ladder(1.0, "linear", c=1e-5) + _ladder(2.0, "quadratic", c=1e-9)
    slopes = plot_module.scaling_slopes(rows, min_fit_s=0.0)
    assert slopes["linear"] == pytest.approx(1.0)
    assert slopes["quadratic"] == pytest.approx(2.0)


def test_scaling_slopes_leave_out_points_dominated_by_fixed_costs():
    # 0.001 s at 10k is under the threshold: the slope comes from the two larger sizes only
    rows = [{"suite": "pipeline", "stage": "s", "tool": "clientseg", "n_customers": n,
             "wall_s": w} for n, w in ((10_000, 0.001), (100_000, 0.1), (1_000_000, 1.0))]
    assert plot_module.scaling_slopes(rows, min_fit_s=0.05)["s"] == pytest.approx(1.0)
    assert math.isnan(plot_module.scaling_slopes(rows, min_fit_s=0.5)["s"])


def test_plot_scaling_writes_a_png(tmp_path):
    peer = {"suite": "rfm", "stage": "x", "tool": "pandas", "n_customers": 5, "wall_s": 1.0}
    rows = [*_ladder(1.0, "linear", c=1e-5), peer]
    out = plot_module.plot_scaling(rows, tmp_path / "fig" / "scaling.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_scaling_refuses_results_without_the_suite(tmp_path):
    rows = [{"suite": "rfm", "stage": "x", "tool": "clientseg", "n_customers": 5,
             "wall_s": 1.0}]
    with pytest.raises(SystemExit, match="no clientseg rows of suite 'pipeline'"):
        plot_module.plot_scaling(rows, tmp_path / "scaling.png")


# --------------------------------------------------------------------------- clientseg bench
def test_clientseg_bench_runs_a_suite_and_writes_results(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["bench", "--suite", "synth", "--out", str(tmp_path)], out=out, err=err)
    assert code == 0, err.getvalue()
    (json_file,) = tmp_path.glob("smoke-*.json")
    rows = json.loads(json_file.read_text())["rows"]
    assert {r["suite"] for r in rows} == {"synth"}
    assert "| suite | stage | tool |" in out.getvalue()


def test_clientseg_bench_plot_draws_the_pipeline_ladder(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["bench", "--suite", "pipeline", "--plot", "--out", str(tmp_path)],
                    out=out, err=err)
    assert code == 0, err.getvalue()
    (png,) = tmp_path.glob("smoke-*-scaling.png")
    assert png.stat().st_size > 10_000
    assert "log-log slopes:" in out.getvalue()


def test_clientseg_bench_plot_needs_the_pipeline_suite(tmp_path):
    err = io.StringIO()
    code = cli.main(["bench", "--suite", "synth", "--plot", "--out", str(tmp_path)],
                    out=io.StringIO(), err=err)
    assert code == 2
    assert "needs the 'pipeline' suite" in err.getvalue()


def test_clientseg_bench_names_the_flag_of_an_unknown_suite(tmp_path):
    err = io.StringIO()
    code = cli.main(["bench", "--suite", "rfm", "nope", "--out", str(tmp_path)],
                    out=io.StringIO(), err=err)
    assert code == 2
    message = err.getvalue()
    assert "Flag --suite names 1 unknown suite(s) ['nope']" in message
    assert "Traceback" not in message and not list(tmp_path.iterdir())


def test_clientseg_bench_says_where_it_looked_when_the_suites_are_missing(monkeypatch,
                                                                          tmp_path):
    from clientseg.cli import _bench as _cli_bench
    monkeypatch.setattr(_cli_bench, "_CANDIDATES", (tmp_path / "a", tmp_path / "b"))
    err = io.StringIO()
    assert cli.main(["bench", "--out", str(tmp_path)], out=io.StringIO(), err=err) == 2
    assert "found no benchmark suites" in err.getvalue()
    assert str(tmp_path / "a") in err.getvalue()


@pytest.mark.slow
def test_the_wheel_ships_the_suites_and_bench_runs_from_it(tmp_path):
    """Build the wheel, unpack it, and run `clientseg bench` from the unpacked copy."""
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "w"),
         str(REPO)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "w").glob("clientseg-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        z.extractall(tmp_path / "site")
    suites = {f"clientseg/_benchmarks/{p.name}" for p in (REPO / "benchmarks").glob("*.py")}
    assert suites <= names
    assert not any("/results/" in n for n in names)
    code = ("import sys; from clientseg.cli import main; rc = main(['bench', '--suite', "
            f"'synth', '--out', {str(tmp_path / 'out')!r}]); "
            "print(sys.modules['benchmarks'].__path__[0]); raise SystemExit(rc)")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=300)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout.strip().splitlines()[-1] == str(tmp_path / "site" / "clientseg" /
                                                      "_benchmarks")
    assert list((tmp_path / "out").glob("smoke-*.json"))
