"""Benchmark of clientseg.campaign: speed of a plan, and whether its bands and depth hold.

Stages:

* ``plan_campaign``: a plan of ``n_contacts`` probabilities (Beta(1, 9)) with a calibration
  band from ``n_calibration`` labelled contacts and ``n_boot`` = 200 resamples. The issue's
  target: 1M contacts in under 2 s (``within_2s``). Peer (``--peers``): the expected-profit
  curve alone in pandas (``sort_values`` + ``cumsum``), no bands, for the ratio. Its
  ``best_n_contacts`` differs a little from ours because the plan recalibrates the
  probabilities on the calibration data first (the peer takes them as given).
* ``simulated_campaigns``: ``n_campaigns`` campaigns, each on a fresh list of
  ``n_contacts``: estimates p_hat ~ Beta(1, 12), true rates p = p_hat * U with
  U ~ Uniform(0.7, 1.3) (calibrated but noisy estimates); the plan sees p_hat, conversions
  are drawn from p. Quality: ``coverage`` (share of campaigns whose realised profit at the
  chosen depth fell inside the 95% realised-profit band; target 92-98%),
  ``band_width`` (mean width of that band), ``band_width_pct`` (as a share of the expected
  profit), ``regret_mean`` / ``regret_max`` (1 - true expected profit of the chosen depth
  over the best achievable with the true rates; target <= 2%).
* ``bank``: the UCI bank-marketing contacts (when ``../shared/data`` or
  ``$CLIENTSEG_SHARED_DATA`` holds them): ``LogisticScorecard(ridge=1.0)`` fitted on a random
  half (``duration`` left out), the plan on the other half at 5 per call and 60 per
  subscription, calibration data the fitting half; realised against expected profit.

Run: ``python benchmarks/run.py --profile regular --suite campaign``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._harness import measure, record

COST, VALUE = 2.0, 40.0
TARGET_S = 2.0
SIZES = {  # n_contacts of the plan, n_calibration, n_contacts per campaign, n_campaigns
    "smoke": (20_000, 5_000, 5_000, 20),
    "regular": (1_000_000, 100_000, 200_000, 100),
    "large": (5_000_000, 100_000, 200_000, 100),
}
BANK = "bank_additional_full_41188_reduced17cols.csv.gz"


def _pandas_curve(p: np.ndarray) -> int:
    import pandas as pd

    df = pd.DataFrame({"p": p}).sort_values("p", ascending=False)
    profit = (df["p"] * 60.0 - 2.0).cumsum()
    return int(np.argmax(profit.to_numpy())) + 1


def simulated_campaigns(n: int, n_campaigns: int, seed0: int = 1_000) -> dict[str, float]:
    """Coverage of the realised band, its width and the regret over simulated campaigns."""
    from clientseg.campaign import plan_campaign

    inside, width, rel_width, regret = [], [], [], []
    for r in range(n_campaigns):
        rng = np.random.default_rng(seed0 + r)
        p_hat = rng.beta(1.0, 12.0, n)
        p = p_hat * rng.uniform(0.7, 1.3, n)
        plan = plan_campaign(p_hat, cost_per_contact=COST, value_per_conversion=VALUE)
        sel = plan.selection()
        k = int(sel.sum())
        realised = VALUE * (rng.random(k) < p[sel]).sum() - COST * k
        lo, hi = plan.chosen_band
        inside.append(lo <= realised <= hi)
        width.append(hi - lo)
        rel_width.append((hi - lo) / plan.chosen_profit)
        gains = np.sort(p * VALUE - COST)[::-1]
        best = max(float(np.cumsum(gains).max()), 0.0)
        regret.append(1 - ((p[sel] * VALUE).sum() - COST * k) / best)
    return {"coverage": round(float(np.mean(inside)), 3),
            "band_width": round(float(np.mean(width)), 1),
            "band_width_pct": round(100 * float(np.mean(rel_width)), 2),
            "regret_mean": round(float(np.mean(regret)), 5),
            "regret_max": round(float(np.max(regret)), 5)}


def _bank_path() -> Path | None:
    env = os.environ.get("CLIENTSEG_SHARED_DATA")
    root = Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"
    path = root / BANK
    return path if path.is_file() else None


def bank_plan(path: Path) -> dict[str, Any]:
    """Scorecard on half the bank contacts, plan and evaluation on the other half."""
    import pandas as pd

    import clientseg as cs
    from clientseg.campaign import plan_campaign

    bank = pd.read_csv(path, sep=";")
    y = bank.pop("y")
    X = bank.drop(columns="duration")
    half = np.random.default_rng(0).permutation(len(X)) < len(X) // 2
    card = cs.LogisticScorecard(ridge=1.0).fit(X[half], y[half])
    p = card.predict_proba(X[~half])[:, 1]
    out: dict[str, Any] = {}
    for tag, calib in (("", None), ("calibrated_", (card.predict_proba(X[half])[:, 1],
                                                    y[half]))):
        plan = plan_campaign(p, cost_per_contact=5.0, value_per_conversion=60.0,
                             calibration=calib, random_state=0)
        ev = plan.evaluate(y[~half])
        out.update({
            f"{tag}depth": plan.chosen_n_contacts,
            f"{tag}expected_profit": round(ev.expected_profit, 1),
            f"{tag}realised_profit": round(ev.realised_profit, 1),
            f"{tag}band": f"{ev.band[0]:,.0f} to {ev.band[1]:,.0f}",
            f"{tag}z": round(ev.z, 2),
        })
        if calib is not None:
            lo, hi = plan.chosen_calibration_band  # type: ignore[misc]
            out[f"{tag}calibration_band"] = f"{lo:,.0f} to {hi:,.0f}"
            out[f"{tag}map"] = "a={:.3f}, b={:.3f}".format(*plan.calibration_map)
    return out


def run(profile: str, peers: bool = False) -> list[dict[str, Any]]:
    """Time a plan, then check its bands and depth on simulated and bank campaigns."""
    from clientseg.campaign import plan_campaign

    n, n_cal, n_sim, n_campaigns = SIZES[profile]
    rng = np.random.default_rng(0)
    p = rng.beta(1.0, 9.0, n)
    p_cal = rng.beta(1.0, 9.0, n_cal)
    y_cal = (rng.random(n_cal) < p_cal).astype(int)
    size = {"n_contacts": n, "n_calibration": n_cal, "n_boot": 200}
    rows = []
    m = measure(plan_campaign, p, cost_per_contact=2.0, value_per_conversion=60.0,
                calibration=(p_cal, y_cal), n_boot=200, random_state=0)
    plan = m.result
    rows.append(record("campaign", "plan_campaign", "clientseg", size, m,
                       best_n_contacts=plan.best_n_contacts,
                       within_2s=bool(m.wall_s < TARGET_S)))
    if peers:
        m = measure(_pandas_curve, p)
        rows.append(record("campaign", "plan_campaign", "pandas (curve only)", size, m,
                           best_n_contacts=m.result))
    del plan, m

    m = measure(simulated_campaigns, n_sim, n_campaigns)
    rows.append(record("campaign", "simulated_campaigns", "clientseg",
                       {"n_contacts": n_sim, "n_campaigns": n_campaigns}, m, **m.result))

    path = _bank_path()
    if path is not None:
        m = measure(bank_plan, path)
        rows.append(record("campaign", "bank", "clientseg", {"n_contacts": 41_188 // 2}, m,
                           **m.result))
    return rows
