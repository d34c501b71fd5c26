"""Benchmark of LogisticScorecard: fit and scoring time, memory and hold-out AUC.

Data: the bank marketing table (41,188 contacts, ``duration`` left out; from
``../shared/data`` or ``$CLIENTSEG_SHARED_DATA``, skipped when absent) and synthetic contacts
from :func:`clientseg.synth.make_customer_base` (17 criteria plus 3 noise columns = 20).
Each data set is split 70/30 (seeded); every tool is fitted and timed on the 70% and its AUC
measured on the 30%. clientseg's fit row also gives ``fit_all_rows_wall_s``, one more fit
timed on every row, for the targets stated on the whole data set.

Peers (``peers=True``), run in the same process on the same split: optbinning's
``BinningProcess`` + ``Scorecard`` (min-max scaling to 0..100, scikit-learn
``LogisticRegression``), and the plain scikit-learn recipe: numeric criteria cut in quintiles
(``KBinsDiscretizer``, missing values imputed plus a missing indicator), categorical ones
one-hot, then ``LogisticRegression`` (no points, no grades: the baseline a scorecard must
match in AUC).
Profiles: ``smoke`` 5,000 synthetic contacts (no peer); ``regular`` the bank data and
100,000 synthetic contacts; ``large`` adds 1,000,000 synthetic contacts.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from benchmarks._harness import measure, record

SUITE = "scorecard"
SIZES = {"smoke": [5_000], "regular": [100_000], "large": [100_000, 1_000_000]}


def _shared() -> Path:
    env = os.environ.get("CLIENTSEG_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def bank_marketing() -> tuple[pd.DataFrame, pd.Series] | None:
    """The 41,188-row bank table rebuilt from its two row-aligned copies (no ``duration``)."""
    d = _shared()
    a_path = d / "bank_additional_full_41188_reduced17cols.csv.gz"
    b_path = d / "bank_additional_full_41188_other15cols.csv.gz"
    if not (a_path.is_file() and b_path.is_file()):
        return None
    a = pd.read_csv(a_path, sep=";")
    b = pd.read_csv(b_path)
    bank = pd.concat([a, b[["contact", "month", "day_of_week"]]], axis=1)
    y = bank.pop("y")
    return bank.drop(columns="duration"), y


def synthetic(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """``n`` synthetic contacts with 20 criteria (3 of them pure noise) and the outcome."""
    from clientseg.synth import make_customer_base

    contacts = make_customer_base(100, n_contacts=n, random_state=seed).contacts
    y = contacts.pop("converted")
    rng = np.random.default_rng(seed)
    contacts["noise_score"] = rng.normal(size=n)
    contacts["noise_channel"] = pd.Categorical(rng.choice(["a", "b", "c", "d"], n))
    contacts["noise_count"] = rng.poisson(2, n)
    return contacts, y


def _split(X: pd.DataFrame, y: pd.Series, seed: int = 0) -> tuple[Any, ...]:
    test = np.random.default_rng(seed).random(len(X)) < 0.3
    return X[~test], y[~test], X[test], y[test]


def _ours(name: str, X: pd.DataFrame, y: pd.Series, size: dict[str, int]) -> list[dict[str, Any]]:
    from clientseg import LogisticScorecard

    X_tr, y_tr, X_te, y_te = _split(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # aliased criteria on the bank data are reported
        fit = measure(LogisticScorecard(ridge=1.0).fit, X_tr, y_tr)
        card = fit.result
        score = measure(card.points, X_te)
        # The targets name the whole data set: time one more fit on every row.
        whole = measure(LogisticScorecard(ridge=1.0).fit, X, y)
    auc = round(float(roc_auc_score(y_te, score.result)), 4)
    return [
        record(SUITE, f"fit {name}", "clientseg", size, fit, auc=auc,
               n_fit_rows=len(X_tr), fit_all_rows_wall_s=round(whole.wall_s, 4),
               max_weight=float(card.weights_.max()),
               rounding_auc_loss=round(card.rounding_auc_loss_, 5)),
        record(SUITE, f"score {name}", "clientseg", size, score, auc=auc),
    ]


def _optbinning(name: str, X: pd.DataFrame, y: pd.Series,
                size: dict[str, int]) -> list[dict[str, Any]]:
    try:
        from optbinning import BinningProcess, Scorecard
    except ImportError:  # pragma: no cover - optional peer
        return []
    from sklearn.linear_model import LogisticRegression

    X_tr, y_tr, X_te, y_te = _split(X, y)
    cat = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])
           or pd.api.types.is_bool_dtype(X[c])]

    def prep(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(**{c: frame[c].astype(str) for c in cat})

    X_tr, X_te = prep(X_tr), prep(X_te)

    def fit() -> Any:
        process = BinningProcess(list(X.columns), categorical_variables=cat)
        card = Scorecard(binning_process=process, estimator=LogisticRegression(max_iter=1000),
                         scaling_method="min_max",
                         scaling_method_params={"min": 0, "max": 100})
        return card.fit(X_tr, y_tr.to_numpy())

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m_fit = measure(fit)
        m_score = measure(m_fit.result.score, X_te)
        # optbinning's score is credit-style (high = no event): rank by P(event) instead
        proba = m_fit.result.predict_proba(X_te)[:, 1]
    auc = round(float(roc_auc_score(y_te, proba)), 4)
    return [record(SUITE, f"fit {name}", "optbinning", size, m_fit, auc=auc),
            record(SUITE, f"score {name}", "optbinning", size, m_score, auc=auc)]


def _sklearn(name: str, X: pd.DataFrame, y: pd.Series,
             size: dict[str, int]) -> list[dict[str, Any]]:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import MissingIndicator, SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder

    X_tr, y_tr, X_te, y_te = _split(X, y)
    num = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])
           and not pd.api.types.is_bool_dtype(X[c])]
    cat = [c for c in X.columns if c not in num]

    def prep(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(**{c: frame[c].astype(str) for c in cat})

    X_tr, X_te = prep(X_tr), prep(X_te)
    bins = KBinsDiscretizer(5, encode="onehot", strategy="quantile",
                            quantile_method="averaged_inverted_cdf")
    gappy = [c for c in num if X_tr[c].isna().any()]
    parts = [("bands", make_pipeline(SimpleImputer(strategy="median"), bins), num),
             ("levels", OneHotEncoder(handle_unknown="ignore", min_frequency=20), cat)]
    if gappy:
        parts.append(("missing", MissingIndicator(error_on_new=False), gappy))
    model = make_pipeline(ColumnTransformer(parts), LogisticRegression(max_iter=1000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant columns give fewer bands than asked
        m_fit = measure(model.fit, X_tr, y_tr.to_numpy())
        m_score = measure(model.predict_proba, X_te)
    auc = round(float(roc_auc_score(y_te, m_score.result[:, 1])), 4)
    return [record(SUITE, f"fit {name}", "sklearn one-hot LR", size, m_fit, auc=auc),
            record(SUITE, f"score {name}", "sklearn one-hot LR", size, m_score, auc=auc)]


def run(profile: str, peers: bool) -> list[dict[str, Any]]:
    """Run the suite for a profile; return result rows (see ``benchmarks/run.py``)."""
    rows: list[dict[str, Any]] = []
    if profile != "smoke":
        bank = bank_marketing()
        if bank is not None:
            size = {"n_contacts": len(bank[0]), "n_criteria": bank[0].shape[1]}
            rows += _ours("bank", *bank, size)
            if peers:
                rows += _optbinning("bank", *bank, size) + _sklearn("bank", *bank, size)
    for n in SIZES[profile]:
        X, y = synthetic(n)
        size = {"n_contacts": n, "n_criteria": X.shape[1]}
        rows += _ours("synthetic", X, y, size)
        if peers:
            rows += _optbinning("synthetic", X, y, size) + _sklearn("synthetic", X, y, size)
    return rows
