"""How the cost of each stage of the pipeline grows with the customer base.

The other suites compare clientseg with its peers at one or two sizes; this one runs the
whole pipeline of ``clientseg demo`` (without the report) on a ladder of base sizes, so that
the time of each stage can be drawn against the size on log-log axes
(``benchmarks/plot_scaling.py``): a straight line of slope 1 is linear cost, 2 quadratic.

Stages, on one base per size (``make_customer_base(n, random_state=0)``):

* ``synthetic base``: drawing the base (customers, lines, contacts);
* ``rfm_table`` and ``RFMScorer``: the RFM table of the lines and its quintile scores;
* ``encode``: :class:`MixedDataEncoder` (FAMD, 10 components) on criteria + RFM;
* ``segment (auto cut)``: ``HierarchicalSegmenter("auto", k_range=(2, 10),
  consolidate=True)`` -- two-stage above 20,000 customers, exact below -- with its cut;
* ``segment_quality``: size, homogeneity, separation, value and profile (no stability);
* ``scorecard fit``: ``LogisticScorecard(ridge=1.0)`` on the contacts (one per customer, up
  to ``MAX_CONTACTS``; larger bases skip this stage, whose size would no longer grow).

Quality figures beside the time: ARI of the segments against the true ones and the chosen
k (true k = 6); the scorecard's in-sample AUC beside the true model's AUC on the same
contacts.

Run: ``python benchmarks/run.py --profile regular --suite pipeline`` then
``python benchmarks/plot_scaling.py benchmarks/results/regular-*.json``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.metrics import adjusted_rand_score, roc_auc_score

from benchmarks._harness import measure, record

SUITE = "pipeline"
SIZES = {
    "smoke": [1_000, 3_000],
    "regular": [10_000, 30_000, 100_000, 300_000, 1_000_000],
    "large": [10_000, 100_000, 1_000_000, 3_000_000, 10_000_000],
}
MAX_CONTACTS = 1_000_000
N_SEGMENTS = 6


def _one_size(n: int) -> list[dict[str, Any]]:
    import clientseg as cs

    rows: list[dict[str, Any]] = []
    size = {"n_customers": n}

    def add(stage: str, m: Any, **quality: Any) -> Any:
        rows.append(record(SUITE, stage, "clientseg", size, m, **quality))
        return m.result

    base = add("synthetic base",
               measure(cs.synth.make_customer_base, n, N_SEGMENTS, random_state=0,
                       n_contacts=min(n, MAX_CONTACTS)))
    tx = base.transactions
    table = add("rfm_table", measure(
        cs.rfm_table, tx, customer_id_col="customer_id", datetime_col="date",
        monetary_value_col="amount", invoice_col="invoice_id",
        observation_period_end=base.truth.as_of), n_transactions=len(tx))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cs.exceptions.TiedValuesWarning)  # small bases: ties
        add("RFMScorer", measure(cs.RFMScorer(n_bins=5).fit_transform, table))
    customers = base.customers.join(table[["recency_days", "frequency", "monetary"]],
                                    how="inner")
    X = add("encode", measure(cs.MixedDataEncoder(n_components=10).fit_transform, customers))
    segmenter = cs.HierarchicalSegmenter("auto", k_range=(2, 10), consolidate=True,
                                         random_state=0)
    truth = base.truth.segment.reindex(customers.index).to_numpy()
    labels = add("segment (auto cut)", measure(segmenter.fit_predict, X),
                 strategy=segmenter.strategy_, chosen_k=segmenter.n_segments_,
                 true_k=N_SEGMENTS)
    rows[-1]["ari"] = round(float(adjusted_rand_score(truth, labels)), 4)
    value = np.clip(customers["monetary"].to_numpy(), 0, None)
    add("segment_quality", measure(cs.segment_quality, X, labels, value=value,
                                   random_state=0))
    if n > MAX_CONTACTS:
        return rows
    contacts = base.contacts
    criteria = [c for c in contacts.columns if c != "converted"]
    card = add("scorecard fit", measure(cs.LogisticScorecard(ridge=1.0).fit,
                                        contacts[criteria], contacts["converted"]),
               n_contacts=len(contacts))
    y = contacts["converted"].to_numpy()
    proba = card.predict_proba(contacts[criteria])[:, 1]
    rows[-1]["auc"] = round(float(roc_auc_score(y, proba)), 4)
    rows[-1]["true_model_auc"] = round(float(roc_auc_score(
        y, base.truth.conversion_probability(contacts))), 4)
    return rows


def run(profile: str, peers: bool = False) -> list[dict[str, Any]]:
    """Run the pipeline at each size of the profile's ladder (there is no peer)."""
    rows: list[dict[str, Any]] = []
    for n in SIZES[profile]:
        rows += _one_size(n)
    return rows
