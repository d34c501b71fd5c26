"""The docs as users read them: examples that run, an API reference that matches the code.

The ```python blocks of the getting-started page, of the README and of the user guides are
executed in order, in one namespace per page, at a small size (the customer count written
in the page is swapped for a small one), so the pages never rot. The scale guide alone is
left out: it writes 11.5M customers and starts a Dask cluster; the tests of
``test_scale.py`` and ``test_backends.py`` run its calls at a small size.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import warnings
from pathlib import Path

import pytest

from clientseg.exceptions import ClientsegWarning

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
PUBLIC_MODULES = ("synth", "datasets", "rfm", "hierarchy", "cut", "scorecard", "quality",
                  "campaign", "plotting", "report", "exceptions")
SMALL = "3_000"

_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks(path: Path) -> list[str]:
    """The ```python code blocks of a Markdown file, in order."""
    return _BLOCK.findall(path.read_text(encoding="utf-8"))


def run_page(path: Path, size: str | None, tmp_path: Path, monkeypatch) -> dict:
    """Run a page's blocks in order in one namespace, at ``SMALL`` customers, in tmp_path.

    ``size`` is the customer count written in the page (None: the page runs as written).

    The page's own warnings (ties in RFM scores, ...) are library warnings it explains;
    any other warning fails the test.
    """
    blocks = python_blocks(path)
    assert blocks, f"{path.name} has no python block"
    code = "\n".join(blocks)
    if size is not None:
        assert size in code, f"{path.name} no longer draws {size} customers: update this test"
        code = code.replace(size, SMALL)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(code, str(path), "exec"), namespace)
    others = [w for w in caught if not issubclass(w.category, ClientsegWarning)]
    assert not others, [f"{w.category.__name__}: {w.message}" for w in others]
    return namespace


# the customer count each user guide draws (None: it runs as written); scale.md is left out
GUIDE_SIZES = {"synth.md": "100_000", "rfm.md": "20_000", "hierarchy.md": "100_000",
               "cut.md": "5_000", "quality.md": "20_000", "scorecard.md": None,
               "errors.md": None, "report.md": "5_000", "campaign.md": None,
               "grid.md": None}


def run_guide(name: str, tmp_path: Path, monkeypatch) -> dict:
    """``run_page`` on the user guide ``name`` at its entry of ``GUIDE_SIZES``."""
    return run_page(DOCS / "user_guide" / name, GUIDE_SIZES[name], tmp_path, monkeypatch)


# ---------------------------------------------------------------------- pages that run


@pytest.mark.slow
def test_getting_started_runs_from_top_to_bottom(tmp_path, monkeypatch, capsys):
    ns = run_page(DOCS / "getting_started.md", "20_000", tmp_path, monkeypatch)
    out = capsys.readouterr().out
    assert ns["seg"].n_segments_ >= 2 and ns["seg"].cut_.reason in out
    assert ns["card"].weights_.sum() == pytest.approx(100.0)
    assert ns["sql"].startswith('SELECT "contact_id"')
    assert (tmp_path / "my-first-report" / "index.html").is_file()
    assert ns["path"] == Path("my-first-report") / "index.html"


@pytest.mark.slow
def test_readme_example_runs(tmp_path, monkeypatch, capsys):
    ns = run_page(REPO / "README.md", "50_000", tmp_path, monkeypatch)
    assert ns["seg"].cut_.reason in capsys.readouterr().out
    assert ns["sql"].startswith('SELECT "contact_id"')


@pytest.mark.slow
def test_report_guide_example_runs(tmp_path, monkeypatch):
    run_guide("report.md", tmp_path, monkeypatch)
    assert (tmp_path / "report" / "index.html").is_file()


@pytest.mark.slow
def test_every_user_guide_but_scale_runs():
    guides = {p.name for p in (DOCS / "user_guide").glob("*.md") if python_blocks(p)}
    assert guides == set(GUIDE_SIZES) | {"scale.md"}


@pytest.mark.slow
def test_synth_guide_runs(tmp_path, monkeypatch):
    ns = run_guide("synth.md", tmp_path, monkeypatch)
    assert len(ns["base"].customers) == int(SMALL)


@pytest.mark.slow
def test_rfm_guide_runs(tmp_path, monkeypatch):
    ns = run_guide("rfm.md", tmp_path, monkeypatch)
    # the page's own figure for Online Retail with returns="drop"
    assert len(ns["table"]) == 4_339
    assert ns["table"]["monetary"].sum() == pytest.approx(8_911_407.90, abs=0.01)
    assert len(ns["lazy_scores"].collect()) == len(ns["lazy_table"].collect())
    moves = ns["moves"]
    nonempty = moves.counts.sum(axis=1) > 0
    assert moves.rates[nonempty].sum(axis=1).to_numpy() == pytest.approx(1.0)


@pytest.mark.slow
def test_hierarchy_guide_runs(tmp_path, monkeypatch):
    ns = run_guide("hierarchy.md", tmp_path, monkeypatch)
    assert len(ns["customer_files"]) == 4 and ns["seg"].n_segments_ >= 2


@pytest.mark.slow
def test_cut_guide_runs(tmp_path, monkeypatch):
    ns = run_guide("cut.md", tmp_path, monkeypatch)
    assert 1 <= ns["result"].k <= 10 and ns["result"].reason


@pytest.mark.slow
def test_quality_guide_runs(tmp_path, monkeypatch):
    ns = run_guide("quality.md", tmp_path, monkeypatch)
    assert len(ns["report"].segments) == 6
    assert 0.0 <= ns["moves"].retention <= 1.0


@pytest.mark.slow
def test_scorecard_guide_runs(tmp_path, monkeypatch):
    ns = run_guide("scorecard.md", tmp_path, monkeypatch)
    assert ns["card"].weights_.sum() == pytest.approx(100.0)
    assert (tmp_path / "card.json").is_file()


@pytest.mark.slow
def test_grid_guide_runs(tmp_path, monkeypatch):
    ns = run_guide("grid.md", tmp_path, monkeypatch)
    # the page simulates sector and budget without effect, and says the check flags them
    assert set(ns["report"].flagged) == {"sector", "budget"}
    assert ns["revision"].auc_new > ns["revision"].auc_old
    assert "gender" in ns["edited_grid"].evaluate(ns["X"], ns["y"]).flagged
    assert (tmp_path / "b2b_grid_revised.csv").is_file()


@pytest.mark.slow
def test_errors_guide_runs(tmp_path, monkeypatch):
    run_guide("errors.md", tmp_path, monkeypatch)
    # the page turns our warnings into errors; that must not leak into the other tests
    assert not any(f[0] == "error" and f[2] is ClientsegWarning for f in warnings.filters)


def test_the_demo_options_the_page_names_exist(capsys):
    from clientseg import cli

    text = (DOCS / "getting_started.md").read_text(encoding="utf-8")
    assert "clientseg demo --out clientseg-demo" in text
    with pytest.raises(SystemExit) as exc:
        cli.main(["demo", "--help"])
    assert exc.value.code == 0
    help_text = capsys.readouterr().out
    for option in re.findall(r"`(--[a-z-]+)`", text):
        assert option in help_text, f"getting_started.md names {option}, not in demo --help"


# -------------------------------------------------------------------- the API reference


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_each_public_module_has_an_api_page(name):
    page = DOCS / "api" / f"{name}.md"
    assert page.is_file(), f"docs/api/{name}.md is missing"
    assert f"::: clientseg.{name}\n" in page.read_text(encoding="utf-8")


def test_every_public_module_is_in_the_api_reference():
    import clientseg

    modules = {m.name for m in pkgutil.iter_modules(clientseg.__path__)
               if not m.name.startswith("_")}
    assert modules - {"cli"} == set(PUBLIC_MODULES)


def test_the_nav_holds_getting_started_and_every_api_page():
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    assert "getting_started.md" in config
    for name in PUBLIC_MODULES:
        assert f"api/{name}.md" in config
    assert "(getting_started.md)" in (DOCS / "index.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_docs_site_builds_without_a_warning(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings_handlers.python")
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f",
         str(REPO / "mkdocs.yml"), "-d", str(tmp_path / "site")],
        capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    # each module's page documents exactly its __all__ (filters: public in mkdocs.yml)
    for name in PUBLIC_MODULES:
        html = (tmp_path / "site" / "api" / name / "index.html").read_text(encoding="utf-8")
        shown = set(re.findall(rf'id="clientseg\.{name}\.(\w+)"', html))
        module = importlib.import_module(f"clientseg.{name}")
        assert shown == set(module.__all__), (
            f"api/{name}: missing {sorted(set(module.__all__) - shown)}, "
            f"extra {sorted(shown - set(module.__all__))}")
