"""The benchmark suites run at their smoke size, so they never rot."""

from __future__ import annotations

import importlib
import json
import math
import sys

import pytest

from tests.conftest import REPO

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
