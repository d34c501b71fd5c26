"""Generation time and peak memory of synthetic customer bases.

The foundation issue's target: 1M customers / ~10M transaction lines in about 10 s on the
project's 2-core machine, and 10M customers possible within 24 GiB. There is no peer: the
figure to watch is seconds and MiB per million customers. Quality figures check the base
is what it claims (one-time buyers share, conversion rate).
"""

from __future__ import annotations

from typing import Any

from benchmarks._harness import measure, record
from clientseg.synth import make_customer_base

SIZES = {"smoke": [10_000], "regular": [100_000, 1_000_000], "large": [1_000_000, 10_000_000]}


def run(profile: str, peers: bool = False) -> list[dict[str, Any]]:
    """Time make_customer_base (clean and messy) at the profile's sizes."""
    rows = []
    for n in SIZES[profile]:
        for messy in (False, True) if n <= 1_000_000 else (False,):
            m = measure(make_customer_base, n, random_state=0, messy=messy)
            base = m.result
            tx = base.transactions
            one_timers = float(
                (tx.groupby("customer_id")["invoice_id"].nunique() == 1).mean())
            rows.append(record(
                "synth", "make_customer_base" + (" (messy)" if messy else ""), "clientseg",
                {"n_customers": n, "n_transactions": len(tx)}, m,
                one_time_share=round(one_timers, 3),
                conversion_rate=round(float(base.contacts["converted"].mean()), 3),
            ))
            del base, m, tx
    return rows
