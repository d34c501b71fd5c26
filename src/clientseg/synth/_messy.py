"""Messy transaction exports for :mod:`clientseg.synth`, in Online Retail's proportions.

Private: :func:`clientseg.synth.make_customer_base` calls it with ``messy=True``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__: list[str] = []

# Online Retail's lines (541,909), split into disjoint kinds; see docs/user_guide/synth.md.
# A line without a customer id is counted once, under its kind: anonymous purchases,
# cancellations without a customer (383 of 9,288), negative-quantity adjustments (all
# 1,336 anonymous) and zero-price lines (1,139 of 1,179 anonymous) add up to Online Retail's
# 135,080 lines without a customer id (24.93%).
_ONLINE_RETAIL_LINES = 541_909
_LINES = {
    "missing_customer_id": 135_080 - 383 - 1_336 - 1_139,  # anonymous purchases
    "cancellations": 9_288,
    "negative_adjustments": 1_336,
    "zero_amounts": 1_179,  # zero price, positive quantity (the 1,336 above are the rest)
    "duplicates": 5_268,
}
MESSY_SHARES = {k: v / _ONLINE_RETAIL_LINES for k, v in _LINES.items()}
_ZERO_AMOUNT_KNOWN_SHARE = 40 / 1_179  # of zero-price lines, the share with a customer id
_CANCELLATION_ANONYMOUS_SHARE = 383 / 9_288  # of cancellation lines, the share without one


def inject_mess(
    rng: np.random.Generator, tx: pd.DataFrame, as_of: pd.Timestamp
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Add the rows a real export contains, in Online Retail's proportions (see the docs).

    The clean lines are all kept unchanged, so dropping the injected rows gives them back.
    """
    n_clean = len(tx)
    total = n_clean / (1.0 - sum(MESSY_SHARES.values()))
    counts = {k: round(v * total) for k, v in MESSY_SHARES.items()}
    cust = tx["customer_id"].to_numpy()
    inv = tx["invoice_id"].to_numpy()
    date = tx["date"].to_numpy()
    amt = tx["amount"].to_numpy()
    next_inv = int(inv.max()) + 1 if n_clean else 100_000
    pieces: list[dict[str, Any]] = []

    def new_invoices(m: int) -> np.ndarray:
        nonlocal next_inv
        out = np.arange(next_inv, next_inv + m)
        next_inv += m
        return out

    # Anonymous purchases: lines like real ones, without a customer id, on new invoices.
    # (With the anonymous lines of the other kinds: Online Retail's share without an id.)
    m = counts["missing_customer_id"]
    src = rng.integers(0, n_clean, size=m)
    pieces.append(dict(customer_id=np.full(m, -1), invoice_id=new_invoices(m).astype(str),
                       date=date[src], amount=amt[src]))
    # Cancellations: a line returned in full, 0-30 days later, on a "C" invoice.
    m = counts["cancellations"]
    src = rng.integers(0, n_clean, size=m)
    delay = rng.integers(0, 31 * 86_400, size=m).astype("timedelta64[s]")
    latest = as_of.to_datetime64() - np.timedelta64(1, "s")
    c_cust = np.where(rng.random(m) < _CANCELLATION_ANONYMOUS_SHARE, -1, cust[src])
    pieces.append(dict(customer_id=c_cust,
                       invoice_id=np.char.add("C", new_invoices(m).astype(str)),
                       date=np.minimum(date[src] + delay, latest), amount=-amt[src]))
    # Negative adjustments without a "C" (damaged stock, corrections): anonymous. Online
    # Retail records them as a negative quantity at price 0; with amounts only, they carry
    # a negative amount here, so that the returns policy has them to act on.
    m = counts["negative_adjustments"]
    src = rng.integers(0, n_clean, size=m)
    pieces.append(dict(customer_id=np.full(m, -1), invoice_id=new_invoices(m).astype(str),
                       date=date[src], amount=-np.round(rng.exponential(20.0, m) + 0.01, 2)))
    # Zero-price lines (free samples): mostly anonymous, a few on real customers' invoices.
    m = counts["zero_amounts"]
    src = rng.integers(0, n_clean, size=m)
    known = rng.random(m) < _ZERO_AMOUNT_KNOWN_SHARE
    z_inv = np.where(known, inv[src].astype(str), new_invoices(m).astype(str))
    pieces.append(dict(customer_id=np.where(known, cust[src], -1), invoice_id=z_inv,
                       date=date[src], amount=np.zeros(m)))
    # Exact duplicates of clean lines (an export run twice over a few lines).
    m = counts["duplicates"]
    src = rng.integers(0, n_clean, size=m)
    pieces.append(dict(customer_id=cust[src], invoice_id=inv[src].astype(str),
                       date=date[src], amount=amt[src]))

    extra = pd.DataFrame({k: np.concatenate([p[k] for p in pieces]) for k in pieces[0]})
    clean = tx.assign(invoice_id=tx["invoice_id"].astype(str))
    out = pd.concat([clean, extra], ignore_index=True)
    out = out.iloc[np.argsort(out["date"].to_numpy(), kind="stable")].reset_index(drop=True)
    ids = out["customer_id"].to_numpy()
    out["customer_id"] = pd.array(np.where(ids < 0, 0, ids), dtype="Int64")
    out.loc[ids < 0, "customer_id"] = pd.NA
    out["invoice_id"] = out["invoice_id"].astype("string")
    return out, counts
