"""Shared fixtures: seeded data of every awkward shape, the shared research data, hypothesis.

Hypothesis profiles, chosen by the ``CLIENTSEG_HYPOTHESIS_PROFILE`` environment variable
(default ``ci`` when ``CI`` is set, else ``dev``):

* ``ci``: derandomized, 60 examples: the same examples on every run, so CI is reproducible;
* ``dev``: 60 random examples, to find new counter-examples while developing;
* ``thorough``: 1,000 random examples, run by hand before a release.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")  # tests never open a window

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", max_examples=60, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("dev", max_examples=60, **_COMMON)
settings.register_profile("thorough", max_examples=1000, **_COMMON)
settings.load_profile(
    os.environ.get("CLIENTSEG_HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
)

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """Where the research data live: $CLIENTSEG_SHARED_DATA, else ../shared/data."""
    env = os.environ.get("CLIENTSEG_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared research data folder; skips the test when it is absent (users' clones)."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"shared research data not found at {path} (set CLIENTSEG_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def shared_file(shared_data):
    """Return a function giving the path of one shared data file; skips when it is absent.

    A partial copy of the shared folder (one file missing) skips the tests that need that
    file instead of failing them with ``FileNotFoundError``.
    """

    def get(name: str) -> Path:
        path = shared_data / name
        if not path.is_file():
            pytest.skip(f"shared research file {name} not found in {shared_data}")
        return path

    return get


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every matplotlib figure a test made (only if pyplot was imported)."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture(scope="session")
def small_base():
    """A 3,000-customer synthetic base with 6 true segments (seeded; do not mutate)."""
    from clientseg.synth import make_customer_base

    return make_customer_base(3_000, n_segments=6, random_state=0)


@pytest.fixture(scope="session")
def messy_base():
    """A 2,000-customer base with Online-Retail-like messiness injected (seeded)."""
    from clientseg.synth import make_customer_base

    return make_customer_base(2_000, n_segments=6, random_state=1, messy=True)


@pytest.fixture
def tiny_transactions() -> pd.DataFrame:
    """Three customers, hand-made, with an answer you can work out on paper."""
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 3, 3],
            "invoice_id": [10, 10, 11, 12, 13, 14],
            "date": pd.to_datetime(
                ["2025-01-01", "2025-01-01", "2025-03-01", "2025-02-15", "2024-12-01",
                 "2025-03-30"]
            ),
            "amount": [10.0, 5.0, 20.0, 100.0, 7.5, 2.5],
        }
    )


@pytest.fixture
def one_customer_transactions() -> pd.DataFrame:
    """A single customer with a single purchase."""
    return pd.DataFrame(
        {"customer_id": [7], "invoice_id": [1], "date": pd.to_datetime(["2025-01-10"]),
         "amount": [42.0]}
    )


@pytest.fixture
def all_ties_transactions() -> pd.DataFrame:
    """Fifty customers with identical behaviour: every score must tie."""
    n = 50
    return pd.DataFrame(
        {"customer_id": np.arange(n), "invoice_id": np.arange(n),
         "date": pd.Timestamp("2025-01-10"), "amount": np.full(n, 9.99)}
    )


@pytest.fixture
def tz_aware_transactions(tiny_transactions) -> pd.DataFrame:
    """The tiny transactions with Paris-time-zone-aware dates."""
    out = tiny_transactions.copy()
    out["date"] = out["date"].dt.tz_localize("Europe/Paris")
    return out


@pytest.fixture
def negative_amount_transactions(tiny_transactions) -> pd.DataFrame:
    """The tiny transactions plus a return (negative amount) for customer 1."""
    extra = pd.DataFrame({"customer_id": [1], "invoice_id": [15],
                          "date": pd.to_datetime(["2025-03-05"]), "amount": [-5.0]})
    return pd.concat([tiny_transactions, extra], ignore_index=True)


@pytest.fixture
def nan_matrix() -> np.ndarray:
    """A numeric matrix with one NaN."""
    X = np.random.default_rng(0).normal(size=(20, 3))
    X[4, 1] = np.nan
    return X


@pytest.fixture
def categorical_unseen() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A train/test pair of frames where the test frame has an unseen category level."""
    train = pd.DataFrame({"channel": ["web", "store", "web", "phone"] * 5,
                          "age": np.arange(20, 40, dtype=float)})
    test = pd.DataFrame({"channel": ["web", "kiosk"], "age": [25.0, 31.0]})
    return train, test
