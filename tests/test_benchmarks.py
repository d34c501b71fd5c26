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

import pandas as pd
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


def test_exact_tree_alternates_with_fastcluster_and_keeps_the_paired_ratios(monkeypatch,
                                                                           no_gc):
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
    ours_walls = [r["wall_s"] for r in ours_row["runs"]]
    assert ours_row["wall_s"] == pytest.approx(sorted(ours_walls)[1], abs=1e-4)  # median run
    expected = [f["wall_s"] / o["wall_s"] for o, f in zip(ours_row["runs"], fc_row["runs"],
                                                          strict=True)]
    assert fc_row["ratio"] == pytest.approx(sorted(expected)[1], rel=0.02)
    assert fc_row["ratio_min"] <= fc_row["ratio"] <= fc_row["ratio_max"]
    assert fc_row["threads"] == 1 and fc_row["flagged"] is False
    assert fc_row["max_rel_height_diff"] < 1e-9


def test_exact_tree_runs_scipy_and_scikit_learn_in_the_first_round_only(monkeypatch, no_gc):
    bench = importlib.import_module("benchmarks.bench_hierarchy")
    monkeypatch.setitem(bench.EXACT, "smoke", [200])
    monkeypatch.setitem(bench.REPEATS, "smoke", 2)
    rows = {r["tool"]: r for r in bench._exact_rows("smoke", peers=True)}
    assert rows["clientseg"]["repeats"] == 2
    assert rows["scipy.linkage"]["repeats"] == rows["sklearn.AgglomerativeClustering"][
        "repeats"] == 1
    assert rows["scipy.linkage"]["max_rel_height_diff"] < 1e-9
    assert rows["sklearn.AgglomerativeClustering"]["ari_vs_clientseg"] == 1.0


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
    assert payload["versions"]["numpy"] and payload["versions"]["pandas"]
    assert payload["command"].endswith("--profile smoke --suite synth")
    assert len(payload["started"]["loadavg"]) == 3 and payload["machine"]
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


# --------------------------------------------------------------------------- paired runs
harness = importlib.import_module("benchmarks._harness")


@pytest.fixture
def no_gc(monkeypatch):
    """Skip the full garbage collection before each timed call (0.1-0.3 s in this process)."""
    monkeypatch.setattr(harness, "_collect", lambda: 0)


@pytest.mark.parametrize(
    ("cpu_s", "wall_s", "threads", "load1", "others", "flagged"),
    [
        (1.91, 1.89, 2, 3.0, 1.2, True),    # the Polars run: one core on a busy box
        (1.91, 1.89, 2, 3.0, None, True),   # busy by the load average alone
        (1.91, 1.89, 2, 0.4, 0.8, True),    # busy by the other processes' CPU alone
        (1.52, 0.77, 2, 3.0, 1.2, False),   # the same table given both cores
        (1.90, 1.89, 1, 3.0, 1.2, False),   # single-threaded: cpu ~ wall says nothing
        (1.91, 1.89, 2, 0.4, 0.1, False),   # idle machine: the tool's work was serial
        (1.91, 1.89, 2, 0.4, None, False),  # idle by the load average, no CPU counters
        (0.01, 0.05, 2, 3.0, 1.2, False),   # too short to judge (thread start-up)
    ],
)
def test_flagging_rule_flags_only_a_starved_multithreaded_run_on_a_busy_machine(
        cpu_s, wall_s, threads, load1, others, flagged):
    assert harness.should_flag(cpu_s, wall_s, threads, load1, others, 2) is flagged


def test_flagging_thresholds_scale_with_the_cores():
    # 4 threads on 4 cores must show 2.5x CPU; 2.0x is starved, and load 2.5 of 4 is quiet
    assert harness.is_starved(2.0, 1.0, 4) and not harness.is_starved(2.6, 1.0, 4)
    assert not harness.is_busy(2.5, 0.2, 4) and harness.is_busy(3.0, 0.2, 4)


def test_multithreaded_peers_report_their_threads_and_the_others_one():
    assert harness.tool_threads("clientseg") == 1
    assert harness.tool_threads("pandas") == 1
    assert harness.tool_threads("fastcluster.linkage_vector") == 1
    for tool in ("polars", "duckdb"):
        assert 1 <= harness.tool_threads(tool) <= harness.cores()
    assert harness.tool_threads("polars") == min(
        importlib.import_module("polars").thread_pool_size(), harness.cores())


def test_paired_alternates_ours_and_peers_and_gives_median_ratios(no_gc):
    order: list[str] = []
    result = harness.paired(lambda: order.append("ours"),
                            {"a": lambda: order.append("a"), "b": lambda: order.append("b")},
                            repeats=3, peer_repeats={"b": 1}, report=order.append)
    assert order == ["ours", "a", "b", "ours", "a", "ours", "a"]
    row = result.row("a", "s", "st", {"n_x": 1})
    assert row["repeats"] == 3 and len(row["runs"]) == 3
    ratios = result.ratios("a")
    assert row["ratio"] == pytest.approx(sorted(ratios)[1], abs=1e-3)
    assert row["ratio_min"] == pytest.approx(min(ratios), abs=1e-3)
    assert result.row("clientseg", "s", "st", {"n_x": 1})["ratio"] == 1.0
    for run in row["runs"]:
        assert {"wall_s", "cpu_s", "peak_mib", "load_before", "load_after", "threads",
                "others_cores", "flagged"} <= set(run)


def test_paired_reruns_a_flagged_peer_run_and_marks_it_when_it_stays_flagged(monkeypatch,
                                                                             no_gc):
    # a peer whose every run is judged starved on a busy machine: rerun twice, then kept
    monkeypatch.setattr(harness, "should_flag", lambda cpu, wall, threads, *a: threads > 1)
    monkeypatch.setitem(harness.MULTI_THREADED, "fake", lambda: 2)
    harness.tool_threads.cache_clear()
    calls: list[str] = []
    lines: list[str] = []
    try:
        result = harness.paired(lambda: calls.append("ours"),
                                {"fake peer": lambda: calls.append("peer")},
                                repeats=2, max_reruns=2, report=lines.append)
        threads = harness.tool_threads("fake peer")
    finally:
        harness.tool_threads.cache_clear()
    assert threads == min(2, harness.cores())
    if threads < 2:
        pytest.skip("one core: nothing can be starved")
    assert calls == ["ours", "peer", "peer", "peer"] * 2
    row = result.row("fake peer", "s", "st", {"n_x": 1})
    assert row["flagged"] is True and row["flagged_runs"] == 2 and row["reruns"] == 4
    assert [r["attempt"] for r in row["runs"]] == [2, 2]
    assert len(lines) == 2 and lines[0].startswith("flagged: fake peer round 1")
    assert result.row("clientseg", "s", "st", {"n_x": 1})["flagged"] is False


def test_versions_name_python_numpy_pandas_the_peers_and_the_commit():
    found = harness.versions()
    for name in ("python", "numpy", "pandas", "scipy", "scikit-learn", "clientseg"):
        assert found[name], name
    for name in ("polars", "duckdb", "fastcluster"):
        assert found[name], name  # installed with the test extra
    assert "git_commit" in found


def test_rfm_stage_pairs_clientseg_with_every_peer_on_the_same_lines(no_gc):
    bench = importlib.import_module("benchmarks.bench_rfm")
    tx = bench.make_transactions(3_000, 300)
    rows = bench._stage(tx, "rfm_table", "table", {"n_transactions": 3_000}, 2, True)
    tools = [r["tool"] for r in rows]
    assert tools == ["clientseg", "pandas", "polars", "duckdb"]
    assert {r["customers"] for r in rows} == {300}
    assert all(r["repeats"] == 2 and len(r["runs"]) == 2 for r in rows)
    assert rows[0]["peak_over_input"] >= 0 and rows[0]["input_mib"] > 0
    assert rows[2]["threads"] == harness.tool_threads("polars")


def test_rfm_variants_keep_the_customers_and_drop_the_added_duplicates():
    bench = importlib.import_module("benchmarks.bench_rfm")
    tx = bench.make_transactions(4_000, 400)
    expected = bench.clientseg_table(tx)
    shared = bench.shared_invoice_ids(tx)
    assert shared["invoice_id"].max() < tx["invoice_id"].nunique()  # numbers are reused
    assert shared.groupby("invoice_id")["customer_id"].nunique().max() > 1
    assert bench.clientseg_table(shared)["frequency"].equals(expected["frequency"])
    dup = bench.with_duplicates(tx, share=0.05)
    assert dup.duplicated().sum() == len(dup) - len(tx) + tx.duplicated().sum()
    assert len(dup) - len(tx) == 200
    dropped = bench.clientseg_table(dup, duplicates="drop")
    once = bench.clientseg_table(tx, duplicates="drop")  # a few lines repeat by chance
    pd.testing.assert_frame_equal(dropped[["frequency", "monetary"]],
                                  once[["frequency", "monetary"]])
    us = bench.clientseg_table(tx.assign(date=tx["date"].astype("datetime64[us]")))
    assert us["recency_days"].equals(expected["recency_days"])


def test_rfm_drop_variant_times_the_deduplication_inside_every_peer(no_gc):
    bench = importlib.import_module("benchmarks.bench_rfm")
    tx = bench.with_duplicates(bench.make_transactions(2_000, 200), share=0.05)
    rows = bench._stage(tx, "rfm_table[drop duplicates]", "table", {"n_transactions": 1},
                        1, True, duplicates="drop")
    by_tool = {r["tool"]: r for r in rows}
    assert by_tool["pandas duplicated() only"]["duplicated_lines"] == tx.duplicated().sum()
    assert {by_tool[t]["customers"] for t in ("clientseg", "pandas", "polars", "duckdb")} == {
        200}


def test_stage_filter_skips_the_other_stages(monkeypatch, no_gc):
    bench = importlib.import_module("benchmarks.bench_rfm")
    monkeypatch.setitem(harness.SETTINGS, "stages", {"rfm_table[us]"})
    rows = bench.run("smoke", peers=False)
    assert {r["stage"] for r in rows} == {"rfm_table[us]"}


# --------------------------------------------------------------------------- headline table
render = importlib.import_module("benchmarks.render_headlines")


def _paired_row(tool, wall, ratio, flagged=False, threads=1):
    run = {"round": 0, "attempt": 0, "wall_s": wall, "cpu_s": wall, "flagged": flagged}
    return {"suite": "rfm", "stage": "rfm_table", "tool": tool, "n_transactions": 1000,
            "n_customers": 100, "wall_s": wall, "cpu_s": wall, "peak_mib": 5.0,
            "ratio": ratio, "ratio_min": ratio * 0.9, "ratio_max": ratio * 1.1,
            "repeats": 1, "threads": threads, "cpu_per_wall": 1.0, "load_max": 3.5,
            "flagged_runs": int(flagged), "reruns": 2 * int(flagged), "flagged": flagged,
            "runs": [run], "customers": 100}


def _payload(polars_ratio=2.0, flagged=True):
    ours = _paired_row("clientseg", 0.5, 1.0)
    ours.update(input_mib=10.0, peak_over_input=0.5)
    return {"profile": "regular", "machine": "x86_64, 2 cores", "command": "python x",
            "versions": {"python": "3.11", "numpy": "2.4", "pandas": "3.1",
                         "clientseg": "0.1", "git_commit": "abc"},
            "started": {"at": "2026-12-02T13:00:00", "loadavg": [3.0, 2.0, 1.0]},
            "finished": {"at": "2026-12-02T13:10:00", "loadavg": [4.0, 3.0, 2.0]},
            "rows": [ours, _paired_row("pandas", 2.5, 5.0),
                     _paired_row("polars", 1.0, polars_ratio, flagged=flagged, threads=2),
                     {"suite": "rfm", "stage": "other", "tool": "pandas", "wall_s": 1.0}]}


def test_record_keeps_the_paired_peer_rows_of_headline_stages_and_replaces_them_by_id():
    stages = {"rfm": {"rfm_table": "RFM table"}}
    data, n = render.record(render.empty(), _payload(), "results/regular-1.json", stages)
    assert n == 2 and [e["peer"] for e in data["headlines"]] == ["pandas", "polars"]
    polars = data["headlines"][1]
    assert polars["flagged"] is True and polars["ratio"] == 2.0
    assert polars["theirs"]["threads"] == 2 and polars["ours"]["peak_over_input"] == 0.5
    assert data["runs"]["regular-1"]["versions"]["numpy"] == "2.4"
    data, n = render.record(data, _payload(polars_ratio=3.0, flagged=False),
                            "results/regular-2.json", stages)
    assert n == 2 and len(data["headlines"]) == 2
    assert data["headlines"][1]["ratio"] == 3.0 and data["headlines"][1]["flagged"] is False
    assert set(data["runs"]) == {"regular-2"}  # the first run is no longer referred to
    assert render.record(render.empty(), _payload(), "r.json", {"rfm": {}})[1] == 0


def test_rendered_text_says_plainly_when_runs_were_flagged():
    stages = {"rfm": {"rfm_table": "RFM table"}}
    flagged, _ = render.record(render.empty(), _payload(), "r1.json", stages)
    text = render.render_readme(flagged)
    assert "**Measured on a loaded machine**" in text and "1 of 2 comparisons" in text
    assert "Polars 2.00× (one run) ⚑" in text and "pandas recipe 5.00×" in text
    assert render.RERUN in text and "`python x`" in text
    clean, _ = render.record(render.empty(), _payload(flagged=False), "r2.json", stages)
    assert "No run was flagged: every multi-threaded peer" in render.render_readme(clean)
    quiet = _payload(flagged=False)
    for row in quiet["rows"]:
        row.update(load_max=0.8, threads=1)
    quiet, _ = render.record(render.empty(), quiet, "r3.json", stages)
    text = render.render_readme(quiet)
    assert "Measured on a quiet machine (load average up to 0.8 on 2 cores)" in text
    assert "these peers are single-threaded" in text
    table = render.render_table(clean)
    assert "| RFM table | 1,000 lines | Polars |" in table
    assert "| RFM table | 1,000 lines | 10 | 5 | 0.50 |" in table  # clientseg's peak / input


def test_committed_readme_and_docs_match_the_headline_table():
    data = render.load()
    assert data["headlines"], "benchmarks/headlines.json holds no measured headline"
    assert render.stale_files(data) == []


def test_the_check_fails_when_a_number_or_a_block_differs(tmp_path):
    data, _ = render.record(render.empty(), _payload(), "r.json",
                            {"rfm": {"rfm_table": "RFM table"}})
    for name, view in render.TARGETS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(
            f"intro\n<!-- headlines:start view={view} -->\nold\n<!-- headlines:end -->\nend\n")
    headlines = tmp_path / "h.json"
    render.save(data, headlines)
    argv = ["--headlines", str(headlines), "--root", str(tmp_path)]
    out = io.StringIO()
    assert render.main([*argv, "--check"], out=out) == 1
    assert "stale: README.md" in out.getvalue()
    assert render.main(argv, out=io.StringIO()) == 0
    assert render.main([*argv, "--check"], out=io.StringIO()) == 0
    readme = (tmp_path / "README.md").read_text()
    assert readme.startswith("intro\n") and readme.endswith("end\n") and "old" not in readme
    data["headlines"][0]["ratio"] = 9.99  # a changed number: every view showing RFM is stale
    render.save(data, headlines)
    assert render.stale_files(data, tmp_path) == [
        "README.md", "docs/benchmarks.md", "docs/user_guide/rfm.md"]
    (tmp_path / "README.md").write_text("no markers\n")
    out = io.StringIO()
    assert render.main(argv, out=out) == 1
    assert "README.md has no block" in out.getvalue()


def test_runner_records_headlines_from_a_results_file(tmp_path):
    payload = _payload()
    payload["rows"] = [r for r in payload["rows"] if r["stage"] == "rfm_table"]
    results = tmp_path / "regular-x.json"
    results.write_text(json.dumps(payload))
    target = tmp_path / "headlines.json"
    out = io.StringIO()
    assert run_module.main(["--record-from", str(results), "--record", str(target)],
                           out=out) == 0
    assert "recorded 2 headline row(s)" in out.getvalue()
    data = json.loads(target.read_text())
    assert {e["peer"] for e in data["headlines"]} == {"pandas", "polars"}
    run_module.main(["--record-from", str(results), "--record", str(target), "--note",
                     "code of commit abc"], out=io.StringIO())
    data = json.loads(target.read_text())
    assert data["runs"]["regular-x"]["note"] == "code of commit abc"
    assert "; code of commit abc)" in render.render_table(data)
    payload["profile"] = "smoke"  # headlines come from the regular profile only
    results.write_text(json.dumps(payload))
    out = io.StringIO()
    run_module.main(["--record-from", str(results), "--record", str(tmp_path / "n.json")],
                    out=out)
    assert "recorded 0 headline row(s)" in out.getvalue()
    assert not (tmp_path / "n.json").exists()


def test_unknown_schema_is_refused(tmp_path):
    path = tmp_path / "h.json"
    path.write_text(json.dumps({"schema": 99}))
    with pytest.raises(SystemExit, match="schema 99, this script reads 1"):
        render.load(path)
