"""Draw synthetic customer bases (private home of :mod:`clientseg.synth`)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from clientseg._core.validation import check_scalar
from clientseg.exceptions import InvalidParameterError
from clientseg.synth._messy import MESSY_SHARES, inject_mess

__all__ = [
    "CONVERSION_MODEL",
    "CRITERIA",
    "SEGMENT_PARAMETERS",
    "BaseChunk",
    "CustomerBase",
    "GroundTruth",
    "iter_customer_base",
    "make_customer_base",
]

_BLOCK = 10_000  # customers (or contacts) per random-number block: fixes the data
_LINES_PER_INVOICE_EXTRA = 0.6  # lines per invoice = 1 + Poisson(0.6)
_LINE_SIGMA = 0.7  # log-sd of one line's amount around the customer's level
_CUSTOMER_SIGMA = 0.35  # log-sd of a customer's spending level around the segment's
_RATE_SHAPE = 2.0  # gamma shape of a customer's purchase-rate multiplier (mean 1)

# --------------------------------------------------------------------------------------
# Criteria and their levels
# --------------------------------------------------------------------------------------

GENDERS = ("F", "M")
REGIONS = (
    "Ile-de-France", "Auvergne-Rhone-Alpes", "Hauts-de-France", "Nouvelle-Aquitaine",
    "Occitanie", "Grand Est", "Provence-Alpes-Cote d'Azur", "Bretagne", "Other",
)
_REGION_P = (0.19, 0.12, 0.09, 0.09, 0.09, 0.08, 0.08, 0.05, 0.21)
INCOME_BANDS = ("<20k", "20-35k", "35-50k", "50-80k", "80k+")
OCCUPATIONS = (
    "farmer", "craftsman/trader", "executive", "intermediate", "employee", "worker",
    "retired", "student/other",
)
INTERESTS = ("fashion", "home", "sports", "tech", "culture", "travel")
LIFESTYLES = ("budget", "mainstream", "premium", "eco")
LEAD_ORIGINS = ("organic", "paid search", "social", "referral", "trade show", "purchased list")

_DTYPES = {
    "gender": pd.CategoricalDtype(GENDERS),
    "region": pd.CategoricalDtype(REGIONS),
    "income_band": pd.CategoricalDtype(INCOME_BANDS, ordered=True),
    "occupation": pd.CategoricalDtype(OCCUPATIONS),
    "interest": pd.CategoricalDtype(INTERESTS),
    "lifestyle": pd.CategoricalDtype(LIFESTYLES),
    "lead_origin": pd.CategoricalDtype(LEAD_ORIGINS),
}

#: The criteria of customers and contacts, by family (the order of the frames' columns).
CRITERIA: dict[str, tuple[str, ...]] = {
    "socio_demographic": (
        "age", "gender", "region", "household_size", "income_band", "occupation",
    ),
    "psychographic": ("interest", "lifestyle"),
    "behavioural": (
        "email_open_rate", "site_visits", "pages_viewed", "forms_filled", "event_signup",
        "trial", "sales_contact", "days_since_last_contact", "lead_origin",
    ),
}
_COLUMNS = tuple(c for family in CRITERIA.values() for c in family)

# --------------------------------------------------------------------------------------
# Segments: one row per archetype; the first n_segments rows are used (shares renormalised)
# --------------------------------------------------------------------------------------

_SEGMENTS: dict[str, dict[str, Any]] = {
    # share: of customers; rate: purchases per active year; basket: mean invoice amount;
    # first: first purchase, days before the as-of date (None = start of the period);
    # lapse: days from the last purchase to the as-of date; then criteria profiles.
    "champions": dict(share=0.10, rate=14.0, basket=60.0, first=(180, None), lapse=(0, 20),
                      age=41, open_rate=0.55, visits=14.0, pages_per_visit=5.0, forms=1.5,
                      event=0.35, trial=0.30, sales=0.40, contact_days=15, income=0.65,
                      interest="tech", lifestyle="premium", lead="referral"),
    "lost": dict(share=0.26, rate=1.4, basket=28.0, first=(450, None), lapse=(400, 700),
                 age=48, open_rate=0.07, visits=0.5, pages_per_visit=2.0, forms=0.1,
                 event=0.02, trial=0.02, sales=0.05, contact_days=300, income=0.35,
                 interest="home", lifestyle="budget", lead="purchased list"),
    "new": dict(share=0.13, rate=4.0, basket=40.0, first=(1, 60), lapse=(0, 30),
                age=32, open_rate=0.40, visits=9.0, pages_per_visit=4.0, forms=1.2,
                event=0.10, trial=0.45, sales=0.10, contact_days=10, income=0.40,
                interest="fashion", lifestyle="mainstream", lead="social"),
    "big_spenders": dict(share=0.07, rate=2.5, basket=260.0, first=(180, None),
                         lapse=(0, 120), age=55, open_rate=0.30, visits=5.0,
                         pages_per_visit=6.0, forms=0.6, event=0.25, trial=0.10, sales=0.50,
                         contact_days=25, income=0.95, interest="travel", lifestyle="premium",
                         lead="trade show"),
    "at_risk": dict(share=0.14, rate=5.0, basket=45.0, first=(365, None), lapse=(150, 300),
                    age=46, open_rate=0.18, visits=2.0, pages_per_visit=3.0, forms=0.3,
                    event=0.05, trial=0.05, sales=0.15, contact_days=120, income=0.50,
                    interest="sports", lifestyle="mainstream", lead="paid search"),
    "loyal": dict(share=0.16, rate=6.0, basket=38.0, first=(270, None), lapse=(0, 60),
                  age=52, open_rate=0.45, visits=8.0, pages_per_visit=3.5, forms=0.8,
                  event=0.20, trial=0.15, sales=0.25, contact_days=30, income=0.55,
                  interest="culture", lifestyle="eco", lead="organic"),
    "promising": dict(share=0.09, rate=3.0, basket=32.0, first=(60, 180), lapse=(0, 45),
                      age=36, open_rate=0.35, visits=6.0, pages_per_visit=3.0, forms=0.9,
                      event=0.15, trial=0.25, sales=0.10, contact_days=20, income=0.45,
                      interest="sports", lifestyle="eco", lead="organic"),
    "hibernating": dict(share=0.12, rate=1.5, basket=22.0, first=(300, None),
                        lapse=(90, 240), age=50, open_rate=0.12, visits=1.0,
                        pages_per_visit=2.0, forms=0.1, event=0.03, trial=0.03, sales=0.05,
                        contact_days=200, income=0.30, interest="home", lifestyle="budget",
                        lead="paid search"),
    "bargain_hunters": dict(share=0.08, rate=10.0, basket=12.0, first=(180, None),
                            lapse=(0, 60), age=29, open_rate=0.60, visits=18.0,
                            pages_per_visit=7.0, forms=0.4, event=0.05, trial=0.05,
                            sales=0.02, contact_days=20, income=0.15, interest="fashion",
                            lifestyle="budget", lead="social"),
    "occasional": dict(share=0.08, rate=1.2, basket=90.0, first=(365, None), lapse=(20, 200),
                       age=60, open_rate=0.25, visits=1.5, pages_per_visit=2.5, forms=0.2,
                       event=0.10, trial=0.02, sales=0.20, contact_days=90, income=0.70,
                       interest="culture", lifestyle="mainstream", lead="referral"),
}

#: The archetypes behind the segments, one row each, in the order they are used.
SEGMENT_PARAMETERS = pd.DataFrame.from_dict(_SEGMENTS, orient="index")
SEGMENT_PARAMETERS.index.name = "segment"

_MAX_SEGMENTS = len(SEGMENT_PARAMETERS)

# --------------------------------------------------------------------------------------
# Conversion model of contacts: logit = intercept + sum of level effects
# --------------------------------------------------------------------------------------

_INF = float("inf")

#: The true conversion model. Numeric criteria act through right-open bands ``[a, b)``;
#: the first level of every criterion is its reference (effect 0). Criteria not listed
#: (gender, region, household_size, occupation, interest, lifestyle, pages_viewed) have no
#: effect at all: a scorecard should give them (almost) no points.
CONVERSION_MODEL: dict[str, Any] = {
    "intercept": -4.9,
    "bands": {
        "age": (-_INF, 25, 35, 50, 65, _INF),
        "email_open_rate": (-_INF, 0.1, 0.25, 0.5, _INF),
        "site_visits": (-_INF, 1, 3, 8, _INF),
        "forms_filled": (-_INF, 1, 2, _INF),
        "days_since_last_contact": (-_INF, 30, 90, 180, _INF),
    },
    "effects": {
        "age": (0.0, 0.3, 0.5, 0.4, 0.0),
        "income_band": (0.0, 0.2, 0.45, 0.7, 0.9),
        "email_open_rate": (0.0, 0.4, 0.8, 1.1),
        "site_visits": (0.0, 0.3, 0.6, 0.9),
        "forms_filled": (0.0, 0.5, 0.8),
        "event_signup": (0.0, 0.4),
        "trial": (0.0, 1.0),
        "sales_contact": (0.0, 0.6),
        "days_since_last_contact": (0.0, -0.3, -0.7, -1.2),
        "lead_origin": (0.0, 0.1, -0.2, 0.6, 0.4, -0.8),
    },
}

def _band_labels(edges: tuple[float, ...]) -> tuple[str, ...]:
    """Labels of right-open bands, e.g. ``"<25"``, ``"[25, 35)"``, ``">=65"``."""
    out = []
    for lo, hi in itertools.pairwise(edges):
        if lo == -_INF:
            out.append(f"<{hi:g}")
        elif hi == _INF:
            out.append(f">={lo:g}")
        else:
            out.append(f"[{lo:g}, {hi:g})")
    return tuple(out)


def _levels(criterion: str) -> tuple[str, ...]:
    """Return the levels of a criterion in the conversion model (bands, categories, bools)."""
    if criterion in CONVERSION_MODEL["bands"]:
        return _band_labels(CONVERSION_MODEL["bands"][criterion])
    if criterion == "income_band":
        return INCOME_BANDS
    if criterion == "lead_origin":
        return LEAD_ORIGINS
    return ("False", "True")  # event_signup, trial, sales_contact


# --------------------------------------------------------------------------------------
# Result objects
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroundTruth:
    """What the generator knows and a method must find.

    Attributes
    ----------
    segment : Series
        True segment of each customer (categorical, indexed by ``customer_id``).
    n_segments : int
        Number of true segments.
    segment_parameters : DataFrame
        The archetype behind each segment (shares renormalised to the segments used).
    as_of : Timestamp
        The analysis date: every transaction happens strictly before it (midnight after
        ``end``). Pass it as ``observation_period_end``.
    start, end : Timestamp
        First and last day of the transaction period.
    lapse_days : Series
        Whole days between a customer's last purchase day and the as-of day, minus one
        (0 = bought on the last day of the period), indexed by ``customer_id``.
    active_days : Series
        Days from the first to the last day of the customer's active window. Invoices
        beyond the first follow a Poisson law of mean ``rate x multiplier x active_days /
        365.25``; a one-time buyer's window is drawn too, but its single purchase falls on
        the window's last day, so it cannot be read from the transactions.
    coefficients : DataFrame
        The true conversion model: columns ``criterion``, ``level``, ``coef``; the first row
        is ``("(intercept)", "", intercept)``; reference levels have ``coef`` 0.
    bands : dict
        Criterion -> band edges (right-open ``[a, b)``) for numeric criteria of the model.
    reference_levels : dict
        Criterion -> its reference level (effect 0).
    injected : dict
        With ``messy=True``, how many rows of each kind of mess were added; zeros otherwise.
    importance : Series
        Each criterion's true share of the points (%; 0 for criteria with no effect).
    """

    segment: pd.Series
    n_segments: int
    segment_parameters: pd.DataFrame
    as_of: pd.Timestamp
    start: pd.Timestamp
    end: pd.Timestamp
    lapse_days: pd.Series
    active_days: pd.Series
    coefficients: pd.DataFrame
    bands: dict[str, tuple[float, ...]]
    reference_levels: dict[str, str]
    injected: dict[str, int] = field(default_factory=dict)

    def design(self, contacts: pd.DataFrame) -> pd.DataFrame:
        """Return the true model's dummy design of ``contacts`` (no intercept column).

        One 0/1 column ``"criterion=level"`` per non-reference level of every criterion of
        the model, in the order of :attr:`coefficients`. A logistic regression of
        ``converted`` on it (plus an intercept) estimates exactly the true coefficients.
        """
        columns = {}
        for criterion in CONVERSION_MODEL["effects"]:
            levels = _levels(criterion)
            codes = _level_codes(contacts[criterion], criterion)
            for j, level in enumerate(levels[1:], start=1):
                columns[f"{criterion}={level}"] = (codes == j).astype(np.int8)
        return pd.DataFrame(columns, index=contacts.index)

    @property
    def importance(self) -> pd.Series:
        """Each contact criterion's true share of the points (%), the recovery target.

        The share of criterion ``c`` is ``100 * range_c / sum of ranges``, where ``range_c``
        is the largest minus the smallest of its true level effects (the reference level's
        0 included), the same definition as a fitted card's ``weights_`` (the span of its
        points). Criteria with no true effect get 0. Indexed by every criterion of the
        contacts (see :data:`CRITERIA`), in that order; the shares sum to 100.

        Examples
        --------
        >>> from clientseg.synth import make_customer_base
        >>> truth = make_customer_base(50, n_contacts=100, random_state=0).truth
        >>> round(float(truth.importance.sum()), 6), float(truth.importance["gender"])
        (100.0, 0.0)
        >>> truth.importance.idxmax()
        'lead_origin'
        """
        spans = {c: float(max(e) - min(e)) for c, e in CONVERSION_MODEL["effects"].items()}
        total = sum(spans.values())
        values = [100.0 * spans.get(c, 0.0) / total for c in _COLUMNS]
        return pd.Series(values, index=pd.Index(list(_COLUMNS), name="criterion"),
                         name="importance_pct")

    def conversion_logit(self, contacts: pd.DataFrame) -> np.ndarray:
        """Return the true log-odds of conversion of each contact."""
        return _conversion_logit(contacts)

    def conversion_probability(self, contacts: pd.DataFrame) -> np.ndarray:
        """Return the true probability of conversion of each contact."""
        return 1.0 / (1.0 + np.exp(-_conversion_logit(contacts)))


@dataclass(frozen=True)
class CustomerBase:
    """A synthetic customer base: the frames a CRM export would give, plus the truth.

    Attributes
    ----------
    customers : DataFrame
        One row per customer (index ``customer_id``), criteria of the socio-demographic,
        psychographic and behavioural families (see :data:`CRITERIA`).
    transactions : DataFrame
        Invoice lines: ``customer_id``, ``invoice_id``, ``date``, ``amount``, in date order.
    contacts : DataFrame
        Prospects (index ``contact_id``) with the same criteria and ``converted`` (0/1).
    truth : GroundTruth
        True segments, true conversion model, as-of date, injected mess.
    """

    customers: pd.DataFrame
    transactions: pd.DataFrame
    contacts: pd.DataFrame
    truth: GroundTruth

    def __repr__(self) -> str:
        return (
            f"CustomerBase({len(self.customers):,} customers, "
            f"{len(self.transactions):,} transaction lines, {len(self.contacts):,} contacts, "
            f"{self.truth.n_segments} true segments, as of {self.truth.as_of.date()})"
        )


# --------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------


def _level_codes(values: pd.Series, criterion: str) -> np.ndarray:
    """Integer code of each value's level in the conversion model (bands or categories)."""
    if criterion in CONVERSION_MODEL["bands"]:
        edges = np.asarray(CONVERSION_MODEL["bands"][criterion], dtype=float)
        return np.searchsorted(edges[1:-1], values.to_numpy(dtype=float), side="right")
    if criterion in ("income_band", "lead_origin"):
        levels = INCOME_BANDS if criterion == "income_band" else LEAD_ORIGINS
        codes = pd.Index(levels).get_indexer(values.astype(object))
        if (codes < 0).any():
            n_bad = int((codes < 0).sum())
            raise InvalidParameterError(
                f"Column {criterion!r} of contacts has {n_bad} value(s) outside the model's "
                f"levels {levels}; pass contacts drawn by make_customer_base."
            )
        return codes.astype(np.intp)
    return values.to_numpy(dtype=bool).astype(np.intp)


def _conversion_logit(contacts: pd.DataFrame) -> np.ndarray:
    """Return the true log-odds: intercept plus the effect of each criterion's level."""
    logit = np.full(len(contacts), float(CONVERSION_MODEL["intercept"]))
    for criterion, effects in CONVERSION_MODEL["effects"].items():
        codes = _level_codes(contacts[criterion], criterion)
        logit += np.asarray(effects, dtype=float)[codes]
    return logit


def _seed_root(random_state: Any) -> int:
    """One integer of entropy from ``random_state`` (None, int, RandomState or Generator)."""
    if random_state is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63 - 1))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    return int(check_scalar("random_state", random_state, kind=int, low=0))


def _block_rng(root: int, stream: int, block: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(root, spawn_key=(stream, block)))


def _choice_by_row(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Draw one level per row from the row's probabilities (vectorised inverse CDF)."""
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    u = np.asarray(rng.random(size=probs.shape[0]))
    return (u[:, None] > cum).sum(axis=1)


def _tilted(levels: tuple[str, ...], favoured: pd.Series, seg: np.ndarray,
            weight: float) -> np.ndarray:
    """Per-row probabilities: uniform over levels plus ``weight`` on the segment's favourite."""
    codes = np.array([levels.index(f) for f in favoured])[seg]  # one lookup per segment
    probs = np.full((len(seg), len(levels)), (1.0 - weight) / len(levels))
    probs[np.arange(len(seg)), codes] += weight
    return probs


def _income_probs(position: np.ndarray) -> np.ndarray:
    """Income-band probabilities centred on a position in [0, 1] (one row per position)."""
    centres = np.linspace(0.0, 1.0, len(INCOME_BANDS))
    w = np.exp(-((centres[None, :] - position[:, None]) ** 2) / 0.08)
    return w / w.sum(axis=1, keepdims=True)


def _occupation_probs(age: np.ndarray) -> np.ndarray:
    """Occupation probabilities that depend on age (retired after 62, students before 25)."""
    base = np.array([0.02, 0.07, 0.18, 0.22, 0.25, 0.16, 0.0, 0.10])
    probs = np.tile(base, (len(age), 1))
    probs[:, 6] = np.where(age >= 62, 3.0, 0.02)
    probs[:, 7] = np.where(age < 25, 1.5, 0.03)
    return probs / probs.sum(axis=1, keepdims=True)


def _criteria(rng: np.random.Generator, params: pd.DataFrame, seg: np.ndarray) -> pd.DataFrame:
    """Draw the criteria of people whose archetype codes are ``seg`` (vectorised)."""
    n = len(seg)
    numeric = ("age", "open_rate", "visits", "pages_per_visit", "forms", "event", "trial",
               "sales", "contact_days", "income")
    p = {col: params[col].to_numpy(dtype=float)[seg] for col in numeric}
    age = np.clip(np.rint(rng.normal(p["age"], 11.0)), 18, 90).astype(np.int16)
    concentration = 12.0
    open_rate = rng.beta(p["open_rate"] * concentration, (1 - p["open_rate"]) * concentration)
    heterogeneity = rng.gamma(2.0, 0.5, size=n)  # visit-rate multiplier, mean 1
    visits = rng.poisson(p["visits"] * heterogeneity)
    pages = rng.poisson(visits * p["pages_per_visit"])
    contact_days = np.minimum(rng.exponential(p["contact_days"]), 730).astype(np.int16)
    frame = {
        "age": age,
        "gender": pd.Categorical.from_codes(
            (rng.random(n) < 0.46).astype(np.int8), dtype=_DTYPES["gender"]),
        "region": pd.Categorical.from_codes(
            rng.choice(len(REGIONS), size=n, p=_REGION_P).astype(np.int8), dtype=_DTYPES["region"]),
        "household_size": (1 + rng.poisson(np.where(age < 30, 0.6, 1.4))).astype(np.int8),
        "income_band": pd.Categorical.from_codes(
            _choice_by_row(rng, _income_probs(p["income"])).astype(np.int8),
            dtype=_DTYPES["income_band"]),
        "occupation": pd.Categorical.from_codes(
            _choice_by_row(rng, _occupation_probs(age)).astype(np.int8),
            dtype=_DTYPES["occupation"]),
        "interest": pd.Categorical.from_codes(
            _choice_by_row(rng, _tilted(INTERESTS, params["interest"], seg, 0.55)).astype(np.int8),
            dtype=_DTYPES["interest"]),
        "lifestyle": pd.Categorical.from_codes(
            _choice_by_row(rng, _tilted(LIFESTYLES, params["lifestyle"], seg, 0.6)).astype(np.int8),
            dtype=_DTYPES["lifestyle"]),
        "email_open_rate": np.round(open_rate, 4),
        "site_visits": visits.astype(np.int32),
        "pages_viewed": pages.astype(np.int32),
        "forms_filled": rng.poisson(p["forms"]).astype(np.int16),
        "event_signup": rng.random(n) < p["event"],
        "trial": rng.random(n) < p["trial"],
        "sales_contact": rng.random(n) < p["sales"],
        "days_since_last_contact": contact_days,
        "lead_origin": pd.Categorical.from_codes(
            _choice_by_row(rng, _tilted(LEAD_ORIGINS, params["lead"], seg, 0.5)).astype(np.int8),
            dtype=_DTYPES["lead_origin"]),
    }
    return pd.DataFrame(frame)


def _customer_block(
    rng: np.random.Generator,
    params: pd.DataFrame,
    n: int,
    span_days: int,
) -> tuple[np.ndarray, pd.DataFrame, np.ndarray, dict[str, np.ndarray]]:
    """Segments, criteria, lapse and transaction lines of ``n`` customers.

    Lines are returned with customer positions local to the block and an invoice number
    local to the block; the caller offsets both.
    """
    shares = params["share"].to_numpy()
    seg = rng.choice(len(params), size=n, p=shares / shares.sum())
    criteria = _criteria(rng, params, seg)

    # Activity window, in whole days before the as-of day (1 = the period's last day).
    first_lo = np.minimum(np.array([f[0] for f in params["first"]])[seg], span_days)
    first_hi = np.array([span_days if f[1] is None else min(f[1], span_days)
                         for f in params["first"]])[seg]
    first = rng.integers(np.maximum(first_lo, 1), np.maximum(first_hi, 1) + 1)
    lapse_lo = np.array([lp[0] for lp in params["lapse"]])[seg]
    lapse_hi = np.array([lp[1] for lp in params["lapse"]])[seg]
    lapse = np.minimum(rng.integers(lapse_lo, lapse_hi + 1), first - 1)  # last day >= first
    active_years = (first - 1 - lapse) / 365.25

    # Invoices: 1 + Poisson(rate x gamma multiplier x active years).
    multiplier = rng.gamma(_RATE_SHAPE, 1.0 / _RATE_SHAPE, size=n)
    n_inv = 1 + rng.poisson(params["rate"].to_numpy()[seg] * multiplier * active_years)
    owner = np.repeat(np.arange(n), n_inv)
    starts = np.cumsum(n_inv) - n_inv
    k = np.arange(owner.size) - starts[owner]  # rank of the invoice within its customer
    last_k = n_inv[owner] - 1
    u = rng.random(owner.size)
    lo, hi = lapse[owner] + 1, first[owner]
    days_before = np.where(k == last_k, lo, np.where(k == 0, hi, lo + np.floor(u * (hi - lo + 1))))
    seconds = rng.integers(8 * 3600, 20 * 3600, size=owner.size)  # shop hours
    # Number a customer's invoices in date order: sort by date within each customer.
    before = days_before.astype(np.int64) * 86_400 - seconds
    # One int64 key (owner, then date) sorts faster than lexsort on two keys.
    shift = max(int(before.max()).bit_length(), 1)
    order = np.argsort((owner.astype(np.int64) << shift) + ((1 << shift) - 1 - before))
    before = before[order]

    # Lines: 1 + Poisson(0.6) per invoice; amount log-normal around the customer's level.
    n_lines = 1 + rng.poisson(_LINES_PER_INVOICE_EXTRA, size=owner.size)
    line_inv = np.repeat(np.arange(owner.size), n_lines)
    # E[line] = basket / E[lines], so the mean invoice amount is the segment's basket.
    level = (np.log(params["basket"].to_numpy()[seg] / (1 + _LINES_PER_INVOICE_EXTRA))
             - (_LINE_SIGMA**2 + _CUSTOMER_SIGMA**2) / 2
             + rng.normal(0.0, _CUSTOMER_SIGMA, size=n))
    line_owner = owner[line_inv]
    amount = np.round(np.exp(level[line_owner] + rng.normal(0.0, _LINE_SIGMA, line_inv.size)), 2)
    lines = {
        "owner": line_owner,
        "invoice": line_inv,
        "seconds_before": before[line_inv],
        "amount": np.maximum(amount, 0.01),
    }
    return seg, criteria, np.stack([lapse, first - 1 - lapse]), lines


def _validate_period(start: Any, end: Any) -> tuple[pd.Timestamp, pd.Timestamp, int]:
    try:
        t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    except (ValueError, TypeError) as exc:
        raise InvalidParameterError(
            f"Parameters 'start' and 'end' must be dates such as '2024-01-01'; got "
            f"start={start!r}, end={end!r} ({exc})."
        ) from exc
    if t0.tz is not None or t1.tz is not None:
        raise InvalidParameterError(
            f"Parameters 'start' and 'end' must be naive dates (the base has no time zone); "
            f"got start={start!r}, end={end!r}. Drop the zone, e.g. '2024-01-01'."
        )
    t0, t1 = t0.normalize(), t1.normalize()
    if t1 < t0:
        raise InvalidParameterError(
            f"Parameter 'end' ({t1.date()}) is before 'start' ({t0.date()}); swap them."
        )
    span = (t1 - t0).days + 1
    if span < 30:
        raise InvalidParameterError(
            f"The period from start={t0.date()} to end={t1.date()} covers {span} day(s); at "
            f"least 30 are needed for purchases to differ in recency. Move 'start' earlier."
        )
    return t0, t1, span


@dataclass(frozen=True)
class BaseChunk:
    """A consecutive range of customers of a base, as :func:`iter_customer_base` yields it.

    Attributes
    ----------
    customers : DataFrame
        The chunk's customers (index ``customer_id``).
    transactions : DataFrame
        Their invoice lines, in date order within the chunk.
    segment : Series
        True segment of each of the chunk's customers.
    lapse_days : Series
        True days from the last purchase day to the as-of day, minus one.
    active_days : Series
        True length in days of each customer's active window (see :class:`GroundTruth`).
    """

    customers: pd.DataFrame
    transactions: pd.DataFrame
    segment: pd.Series
    lapse_days: pd.Series
    active_days: pd.Series


def _chunk(
    root: int,
    params: pd.DataFrame,
    lo: int,
    hi: int,
    span: int,
    as_of: pd.Timestamp,
    invoice_offset: int,
) -> tuple[BaseChunk, int]:
    """Draw customers ``lo..hi-1`` (0-based) and their lines; return the next invoice number.

    Each block of ``_BLOCK`` customers has its own random stream, so the data of a customer
    do not depend on how customers are grouped into chunks; invoice numbers run on from
    ``invoice_offset`` in customer order, dates increasing within a customer.
    """
    crit_parts, seg_parts, lapse_parts, line_parts = [], [], [], []
    for start in range(lo, hi, _BLOCK):
        rng = _block_rng(root, 0, start // _BLOCK)
        stop = min(start + _BLOCK, hi)
        seg, crit, window, lines = _customer_block(rng, params, stop - start, span)
        crit_parts.append(crit)
        seg_parts.append(seg)
        lapse_parts.append(window)
        invoice = lines["invoice"] + invoice_offset
        invoice_offset = int(invoice[-1]) + 1
        line_parts.append((lines["owner"] + start, invoice, lines["seconds_before"],
                           lines["amount"]))
    owner, invoice, seconds_before, amount = (
        np.concatenate(part) for part in zip(*line_parts, strict=True)
    )
    # Chronological order, ties in customer order: a unique key sorts like a stable sort.
    key = (seconds_before.max() - seconds_before) * owner.size + np.arange(owner.size)
    order = np.argsort(key)
    dates = as_of.to_datetime64() - seconds_before[order].astype("timedelta64[s]")
    ids = pd.RangeIndex(lo + 1, hi + 1, name="customer_id")
    customers = pd.concat(crit_parts, ignore_index=True).set_axis(ids)
    transactions = pd.DataFrame({
        "customer_id": owner[order].astype(np.int64) + 1,
        "invoice_id": invoice[order].astype(np.int64),
        "date": dates.astype("datetime64[ns]"),
        "amount": amount[order],
    })
    names = params.index.tolist()
    segment = pd.Series(pd.Categorical.from_codes(np.concatenate(seg_parts), categories=names),
                        index=ids, name="segment")
    window = np.concatenate(lapse_parts, axis=1)
    lapse_days = pd.Series(window[0], index=ids, name="lapse_days")
    active_days = pd.Series(window[1], index=ids, name="active_days")
    return BaseChunk(customers, transactions, segment, lapse_days, active_days), invoice_offset


def _segment_table(n_segments: int) -> pd.DataFrame:
    params = SEGMENT_PARAMETERS.iloc[:n_segments].copy()
    params["share"] = params["share"] / params["share"].sum()
    return params


def iter_customer_base(
    n_customers: int,
    n_segments: int = 6,
    *,
    start: Any = "2024-01-01",
    end: Any = "2025-12-31",
    random_state: Any = None,
    chunk_size: int = 1_000_000,
) -> Iterator[BaseChunk]:
    """Yield a base's customers and transactions chunk by chunk, for bases beyond memory.

    The chunks, put together, hold exactly the customers and lines that
    :func:`make_customer_base` gives with the same arguments (which uses this function); only
    the row order differs (each chunk is in date order on its own). Write each chunk to a
    Parquet file to build a base larger than memory. Contacts and ``messy`` rows need the
    whole base and are made by :func:`make_customer_base` only.

    Parameters
    ----------
    n_customers, n_segments, start, end, random_state
        As in :func:`make_customer_base`.
    chunk_size : int, default 1,000,000
        Customers per chunk, rounded up to a multiple of 10,000 (the random-number block).

    Yields
    ------
    BaseChunk
        ``customers``, ``transactions``, ``segment`` and ``lapse_days`` of one range of
        customers, in customer-id order.

    Examples
    --------
    >>> from clientseg.synth import iter_customer_base
    >>> chunks = list(iter_customer_base(25_000, random_state=0, chunk_size=10_000))
    >>> [len(c.customers) for c in chunks]
    [10000, 10000, 5000]
    """
    check_scalar("n_customers", n_customers, kind=int, low=1)
    check_scalar("n_segments", n_segments, kind=int, low=1, high=_MAX_SEGMENTS)
    check_scalar("chunk_size", chunk_size, kind=int, low=1)
    _, t1, span = _validate_period(start, end)
    as_of = t1 + pd.Timedelta(days=1)
    root = _seed_root(random_state)
    yield from _iter_chunks(root, _segment_table(n_segments), n_customers, span, as_of,
                            chunk_size)


def _iter_chunks(
    root: int, params: pd.DataFrame, n: int, span: int, as_of: pd.Timestamp, chunk_size: int
) -> Iterator[BaseChunk]:
    step = -(-chunk_size // _BLOCK) * _BLOCK
    invoice_offset = 100_000
    for lo in range(0, n, step):
        chunk, invoice_offset = _chunk(root, params, lo, min(lo + step, n), span, as_of,
                                       invoice_offset)
        yield chunk


def _make_contacts(root: int, params: pd.DataFrame, n: int) -> pd.DataFrame:
    """Prospects drawn from the same archetype mixture; conversion from the true model."""
    parts = []
    shares = params["share"].to_numpy()
    for b, lo in enumerate(range(0, n, _BLOCK)):
        hi = min(lo + _BLOCK, n)
        rng = _block_rng(root, 1, b)
        seg = rng.choice(len(params), size=hi - lo, p=shares / shares.sum())
        crit = _criteria(rng, params, seg)
        crit["_u"] = rng.random(hi - lo)
        parts.append(crit)
    contacts = pd.concat(parts, ignore_index=True) if parts else _criteria(
        np.random.default_rng(0), params, np.zeros(0, dtype=int)).assign(_u=np.zeros(0))
    contacts.index = pd.RangeIndex(1, n + 1, name="contact_id")
    prob = 1.0 / (1.0 + np.exp(-_conversion_logit(contacts)))
    converted = (contacts.pop("_u").to_numpy() < prob).astype(np.int8)
    contacts["converted"] = converted
    return contacts


def make_customer_base(
    n_customers: int,
    n_segments: int = 6,
    *,
    start: Any = "2024-01-01",
    end: Any = "2025-12-31",
    n_contacts: int | None = None,
    random_state: Any = None,
    messy: bool = False,
    chunk_size: int = 1_000_000,
) -> CustomerBase:
    """Draw a synthetic customer base with known segments and a known conversion model.

    Parameters
    ----------
    n_customers : int
        Number of customers (every one has bought at least once in the period).
    n_segments : int, default 6
        Number of true segments, 1 to 10: the first ``n_segments`` archetypes of
        :data:`SEGMENT_PARAMETERS` (champions, lost, new, big spenders, at risk, loyal,
        promising, hibernating, bargain hunters, occasional), shares renormalised.
    start, end : date-like, default "2024-01-01" and "2025-12-31"
        First and last day of the transaction period (naive, at least 30 days apart).
    n_contacts : int, optional
        Number of prospects in ``contacts``; default ``n_customers``.
    random_state : int, Generator, RandomState or None
        Seed. The same seed gives the same base.
    messy : bool, default False
        Add what real exports contain, in the proportions of UCI Online Retail: lines without
        a customer id (24.9% of rows), cancellations on "C" invoices with negative amounts
        (1.7%), negative adjustments (0.25%), zero amounts (0.46%), exact duplicates (0.97%).
        ``customer_id`` is then a nullable ``Int64`` and ``invoice_id`` a string. The clean
        lines are kept unchanged; ``truth.injected`` counts the added rows.
    chunk_size : int, default 1,000,000
        Customers generated per step (see :func:`iter_customer_base`). The memory of the
        intermediates grows with it; the data do not depend on it.

    Returns
    -------
    CustomerBase
        ``customers``, ``transactions``, ``contacts`` and ``truth`` (see their docs).

    Examples
    --------
    >>> import clientseg as cs
    >>> base = cs.synth.make_customer_base(1_000, random_state=0)
    >>> base.customers.shape[0], base.truth.n_segments
    (1000, 6)
    >>> bool((base.transactions["date"] < base.truth.as_of).all())
    True
    >>> sorted(base.contacts["converted"].unique().tolist())
    [0, 1]
    """
    check_scalar("n_customers", n_customers, kind=int, low=1)
    check_scalar("n_segments", n_segments, kind=int, low=1, high=_MAX_SEGMENTS)
    check_scalar("chunk_size", chunk_size, kind=int, low=1)
    if n_contacts is None:
        n_contacts = n_customers
    check_scalar("n_contacts", n_contacts, kind=int, low=0)
    if not isinstance(messy, bool | np.bool_):
        raise InvalidParameterError(f"Parameter 'messy' must be True or False; got {messy!r}.")
    t0, t1, span = _validate_period(start, end)
    as_of = t1 + pd.Timedelta(days=1)
    root = _seed_root(random_state)
    params = _segment_table(n_segments)

    chunks = list(_iter_chunks(root, params, n_customers, span, as_of, chunk_size))
    customers = pd.concat([c.customers for c in chunks])
    transactions = pd.concat([c.transactions for c in chunks], ignore_index=True)
    if len(chunks) > 1:  # one date order for the whole base (stable: ties in id order)
        order = np.argsort(transactions["date"].to_numpy(), kind="stable")
        transactions = transactions.take(order).reset_index(drop=True)
    segment = pd.concat([c.segment for c in chunks])
    lapse_days = pd.concat([c.lapse_days for c in chunks])
    active_days = pd.concat([c.active_days for c in chunks])
    del chunks
    contacts = _make_contacts(root, params, n_contacts)

    injected = dict.fromkeys(MESSY_SHARES, 0)
    if messy:
        transactions, injected = inject_mess(_block_rng(root, 2, 0), transactions, as_of)

    truth = GroundTruth(
        segment=segment,
        n_segments=n_segments,
        segment_parameters=params,
        as_of=as_of,
        start=t0,
        end=t1,
        lapse_days=lapse_days,
        active_days=active_days,
        coefficients=_coefficient_table(),
        bands=dict(CONVERSION_MODEL["bands"]),
        reference_levels={c: _levels(c)[0] for c in CONVERSION_MODEL["effects"]},
        injected=injected,
    )
    return CustomerBase(customers, transactions, contacts, truth)


def _coefficient_table() -> pd.DataFrame:
    rows = [("(intercept)", "", float(CONVERSION_MODEL["intercept"]))]
    for criterion, effects in CONVERSION_MODEL["effects"].items():
        rows += [(criterion, lvl, float(e))
                 for lvl, e in zip(_levels(criterion), effects, strict=True)]
    return pd.DataFrame(rows, columns=["criterion", "level", "coef"])
