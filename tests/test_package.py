"""The package as users meet it: imports, public names, version, command line."""

from __future__ import annotations

import importlib
import io
import pkgutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import clientseg as cs
from clientseg import cli

SRC = Path(cs.__file__).parent
PUBLIC_MODULES = sorted(
    m.name for m in pkgutil.iter_modules(cs.__path__) if not m.name.startswith("_")
)

#: Every public name of the flat layout (0.1.0.dev0) and the path its docs give: each must
#: still import from there after the move into subpackages.
DOCUMENTED_NAMES = {
    "clientseg.cut": ["CUT_CRITERIA", "DEFAULT_CUT_CRITERIA", "CutResult", "select_cut",
                      "GAP_OVERRIDE_SE", "SILHOUETTE_NONE", "SILHOUETTE_REASONABLE"],
    "clientseg.hierarchy": ["HierarchicalSegmenter", "MixedDataEncoder", "WardTree",
                            "ward_linkage", "ward_tree", "EXACT_MAX_SAMPLES", "TREE_COLUMNS"],
    "clientseg.quality": ["DISSOLVED_JACCARD", "QUALITY_CHECK_COLUMNS", "QUALITY_THRESHOLDS",
                          "STABLE_JACCARD", "QualityReport", "RetentionResult",
                          "StabilityResult", "segment_quality", "segment_retention",
                          "segment_stability"],
    "clientseg.rfm": ["CLV_COLUMNS", "RFM_COLUMNS", "SCORE_COLUMNS", "MapCheck",
                      "MigrationResult", "RFMScorer", "SegmentMap", "rfm_exclusions",
                      "rfm_migration", "rfm_table", "to_clv_summary", "LEFT", "NEW"],
    "clientseg.scorecard": ["LogisticScorecard", "ScoreDrift", "ScorecardReport", "psi"],
    "clientseg.synth": ["BaseChunk", "CONVERSION_MODEL", "CRITERIA", "CustomerBase",
                        "GroundTruth", "ParquetBase", "SEGMENT_PARAMETERS",
                        "iter_customer_base", "make_customer_base", "write_customer_base",
                        "GENDERS", "REGIONS", "INCOME_BANDS", "OCCUPATIONS", "INTERESTS",
                        "LIFESTYLES", "LEAD_ORIGINS"],
    "clientseg.datasets": ["load_online_retail"],
    "clientseg.exceptions": ["ClientsegError", "ClientsegWarning", "ConvergenceWarning",
                             "DataQualityWarning", "EmptyDataError", "InvalidDataError",
                             "InvalidParameterError", "MissingColumnsError",
                             "SeparationWarning", "TiedValuesWarning"],
    "clientseg.plotting": ["plot_calibration", "plot_cut_criteria", "plot_dendrogram",
                           "plot_gains", "plot_inertia_gains", "plot_lift", "plot_rfm_grid",
                           "plot_rfm_migration", "plot_score_distribution",
                           "plot_scorecard_points", "plot_scorecard_weights",
                           "plot_segment_map", "plot_segment_profile", "plot_segment_sizes",
                           "plot_segment_stability"],
    "clientseg.report": ["build_report"],
    "clientseg.cli": ["main"],
}


@pytest.mark.parametrize("path", sorted(DOCUMENTED_NAMES))
def test_every_public_name_imports_from_its_documented_path(path):
    module = importlib.import_module(path)
    missing = [n for n in DOCUMENTED_NAMES[path] if not hasattr(module, n)]
    assert not missing, f"{path} lost {missing}"


def test_the_package_is_one_subpackage_per_concept():
    tops = {m.name: m.ispkg for m in pkgutil.iter_modules(cs.__path__)}
    for concept in ("_core", "synth", "rfm", "hierarchy", "scorecard", "quality", "cli"):
        assert tops.get(concept) is True, concept
    assert importlib.import_module("clientseg.hierarchy.cut").__name__.endswith(".cut")
    private = sorted(n for n in tops if n.startswith("_") and not n.startswith("__"))
    assert private == ["_core"]


@pytest.mark.slow
def test_dir_lists_only_public_names_and_dunders():
    # a fresh interpreter, after the modules that import the most of the package
    code = ("import clientseg, clientseg.cli, clientseg.report, clientseg.plotting\n"
            "print(','.join(n for n in dir(clientseg) if not n.startswith('__') "
            "and n not in clientseg.__all__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    # the command line is a public module but not part of the Python API
    assert out.stdout.strip() in ("", "cli")


@pytest.mark.slow
def test_import_does_not_import_pyplot():
    code = "import sys, clientseg; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_importing_plotting_does_not_import_pyplot_either():
    code = "import sys, clientseg.plotting; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_version_is_the_packaged_one():
    from importlib.metadata import version

    assert cs.__version__ == version("clientseg")


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_every_public_module_declares_an_all_of_existing_names(name):
    # (ruff's RUF022 keeps every __all__ sorted, constants then classes then functions)
    module = importlib.import_module(f"clientseg.{name}")
    assert hasattr(module, "__all__"), f"clientseg.{name} has no __all__"
    assert len(set(module.__all__)) == len(module.__all__)
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing


def test_package_all_reexports_the_modules_public_names():
    assert len(set(cs.__all__)) == len(cs.__all__)
    assert all(hasattr(cs, n) for n in cs.__all__)
    # Every public function/class of a module is importable from the package itself,
    # except the namespaces kept as modules (synth, datasets, exceptions, plotting).
    namespaces = {"synth", "datasets", "exceptions", "plotting", "cli"}
    for name in PUBLIC_MODULES:
        if name in namespaces or name == "__main__":
            continue
        module = importlib.import_module(f"clientseg.{name}")
        assert set(module.__all__) <= set(cs.__all__), name


def test_py_typed_marker_is_shipped():
    assert (SRC / "py.typed").is_file()


# ------------------------------------------------------------------------------- CLI


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_help_lists_the_demo(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    assert "demo" in capsys.readouterr().out


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"clientseg {cs.__version__}"


def test_no_command_prints_help():
    code, out, _ = run_cli()
    assert code == 0 and "usage: clientseg" in out


@pytest.mark.slow
def test_demo_runs_the_pipeline_and_agrees_with_the_base(tmp_path):
    code, out, err = run_cli("demo", "--customers", "1500", "--out", str(tmp_path),
                             "--seed", "3")
    assert code == 0
    assert "drawing a synthetic base of 1,500 customers" in err  # progress on stderr
    assert "warning (TiedValuesWarning)" in err or "Traceback" not in err
    assert (tmp_path / "summary.txt").read_text(encoding="utf-8") == out
    for name in ("index.html", "true_segments.csv", "rfm_scores.csv", "rfm_exclusions.csv",
                 "cut_criteria.csv", "segments.csv", "quality_checks.csv",
                 "scorecard_points.csv", "scorecard_grades.csv", "scorecard.json"):
        assert (tmp_path / name).is_file(), name
    clean = cs.synth.make_customer_base(1500, random_state=3)
    table = pd.read_csv(tmp_path / "true_segments.csv", index_col="segment")
    expected = clean.truth.segment.value_counts()
    assert table["customers"].to_dict() == expected[expected > 0].to_dict()
    revenue = clean.transactions.drop_duplicates()["amount"].sum()
    assert table["revenue"].sum() == pytest.approx(revenue)
    # RFM on the messy export: every customer scored, the anonymous lines counted
    scores = pd.read_csv(tmp_path / "rfm_scores.csv", index_col="customer_id")
    assert len(scores) == 1500 and scores["r_score"].between(1, 5).all()
    excluded = pd.read_csv(tmp_path / "rfm_exclusions.csv").set_index("policy")["rows"]
    messy = cs.synth.make_customer_base(1500, random_state=3, messy=True)
    assert excluded["missing_ids='drop'"] == messy.transactions["customer_id"].isna().sum()
    segments = pd.read_csv(tmp_path / "segments.csv", index_col="customer_id")
    k = segments["segment"].nunique()
    assert f"k = {k} " in out and 2 <= k <= 10
    card = cs.LogisticScorecard.from_json((tmp_path / "scorecard.json").read_text())
    assert card.weights_.sum() == pytest.approx(100)


@pytest.mark.slow
def test_demo_quiet_shows_no_progress(tmp_path):
    code, _, err = run_cli("demo", "--customers", "200", "--out", str(tmp_path), "--quiet")
    assert code == 0
    assert "drawing" not in err and "s] " not in err  # warnings, if any, still show


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["demo", "--customers", "0"], r"argument --customers: expected a number >= 1, got 0"),
        (["demo", "--customers", "many"], r"argument --customers: expected a whole number"),
        (["frobnicate"], r"invalid choice: 'frobnicate'"),
    ],
)
def test_bad_flags_exit_2_with_the_flag_named(argv, match, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert pytest.importorskip("re").search(match, capsys.readouterr().err)


@pytest.mark.slow
def test_library_errors_exit_2_without_traceback(tmp_path):
    code, _, err = run_cli("demo", "--segments", "11", "--out", str(tmp_path))
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith("clientseg demo: error: Parameter 'n_segments' must be in [1, 10]")
    assert "Traceback" not in err


@pytest.mark.slow
def test_console_script_runs_in_a_subprocess(tmp_path):
    out = subprocess.run([sys.executable, "-m", "clientseg", "demo", "--customers", "300",
                          "--out", str(tmp_path), "--quiet"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "300 customers" in out.stdout


def test_convergence_warning_is_caught_by_scikit_learns_filter():
    import warnings

    from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning

    from clientseg.exceptions import ClientsegWarning, ConvergenceWarning

    assert issubclass(ConvergenceWarning, SklearnConvergenceWarning)
    assert issubclass(ConvergenceWarning, ClientsegWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", SklearnConvergenceWarning)
        warnings.warn("stopped early", ConvergenceWarning, stacklevel=1)  # filtered: no error
