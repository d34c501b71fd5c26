"""Polars, DuckDB, PyArrow and Dask stay optional: the core works on pandas without them."""

import subprocess
import sys
import textwrap

import pytest

# fresh interpreters with engines blocked: outside the fast lane (pytest -m 'not slow')
pytestmark = pytest.mark.slow

OPTIONAL = ("polars", "duckdb", "dask", "distributed", "pyarrow")


def run(code):
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_the_core_runs_on_pandas_with_the_optional_engines_blocked():
    out = run(f"""
        import sys, warnings
        import importlib.abc

        BLOCKED = {OPTIONAL!r}

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"{{name}} is blocked for this test")
                return None

        sys.meta_path.insert(0, Block())
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        import clientseg as cs

        base = cs.synth.make_customer_base(800, n_segments=4, random_state=0, messy=True)
        table = cs.rfm_table(base.transactions, customer_id_col="customer_id",
                             datetime_col="date", monetary_value_col="amount",
                             invoice_col="invoice_id", observation_period_end=base.truth.as_of,
                             returns="net", duplicates="drop")
        excluded = cs.rfm_exclusions(table)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tied scores on a small base
            scores = cs.RFMScorer(n_bins=5).fit(table).transform(table)
        X = base.contacts[["age", "region", "email_open_rate", "lead_origin"]]
        card = cs.LogisticScorecard(ridge=1.0).fit(X, base.contacts["converted"])
        points, grades = card.points(X), card.grade(X)
        assert not [m for m in BLOCKED if m in sys.modules], "an optional engine was imported"
        print(type(table).__name__, len(table), int(excluded.loc["missing_id", "rows"]) > 0,
              scores["r_score"].between(1, 5).all(), int(points.min()), int(points.max()),
              sorted(grades.unique()))
    """)
    kind, n, excluded, in_range, low, high, grades = out.split(maxsplit=6)
    assert kind == "DataFrame" and int(n) > 700 and excluded == "True" and in_range == "True"
    assert int(low) >= 0 and int(high) <= 100
    assert grades.strip() == "['A', 'B', 'C']"


def test_importing_clientseg_loads_no_optional_engine():
    # pyarrow is left out: pandas itself imports it when it is installed
    out = run("""
        import sys
        import clientseg
        print(sorted(m for m in ("polars", "duckdb", "dask", "distributed") if m in sys.modules))
    """)
    assert out.strip() == "[]"
