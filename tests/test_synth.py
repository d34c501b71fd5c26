"""The synthetic bases: reproducible, shaped like a CRM export, and true to their truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import clientseg as cs
from clientseg.exceptions import InvalidParameterError
from clientseg.synth import (
    CONVERSION_MODEL,
    CRITERIA,
    SEGMENT_PARAMETERS,
    iter_customer_base,
    make_customer_base,
)

ALL_CRITERIA = [c for family in CRITERIA.values() for c in family]


@pytest.fixture(scope="module")
def base():
    """A 40k-customer base: large enough for per-segment means to be tight."""
    return make_customer_base(40_000, random_state=7, n_contacts=1_000)


@pytest.fixture(scope="module")
def invoices(base):
    """One row per invoice: its customer, date and total amount (computed with pandas)."""
    tx = base.transactions
    return tx.groupby("invoice_id").agg(
        customer_id=("customer_id", "first"),
        n_customers=("customer_id", "nunique"),
        n_dates=("date", "nunique"),
        date=("date", "first"),
        amount=("amount", "sum"),
    )


# ----------------------------------------------------------------------------- shape


def test_frames_have_the_documented_columns_and_dtypes(small_base):
    assert list(small_base.customers.columns) == ALL_CRITERIA
    assert small_base.customers.index.name == "customer_id"
    assert small_base.customers.index.is_unique
    assert list(small_base.transactions.columns) == ["customer_id", "invoice_id", "date", "amount"]
    dtypes = small_base.transactions.dtypes
    assert dtypes["customer_id"] == np.int64 and dtypes["invoice_id"] == np.int64
    assert dtypes["date"] == "datetime64[ns]" and dtypes["amount"] == np.float64
    assert list(small_base.contacts.columns) == [*ALL_CRITERIA, "converted"]
    assert small_base.contacts.index.name == "contact_id"
    mixed = small_base.customers.dtypes
    assert (mixed == "category").sum() == 7  # gender, region, income, occupation, ...
    assert mixed["income_band"].ordered


def test_every_customer_bought_and_every_line_is_in_the_period(small_base):
    tx, truth = small_base.transactions, small_base.truth
    assert set(tx["customer_id"].unique()) == set(small_base.customers.index)
    assert tx["date"].min() >= truth.start
    assert tx["date"].max() < truth.as_of
    assert truth.as_of == truth.end + pd.Timedelta(days=1)
    assert (tx["amount"] > 0).all()
    assert tx["date"].is_monotonic_increasing


@pytest.mark.slow
def test_an_invoice_has_one_customer_and_one_date(invoices):
    assert (invoices["n_customers"] == 1).all()
    assert (invoices["n_dates"] == 1).all()


def test_invoice_numbers_increase_with_date_within_a_customer(base):
    long_period = make_customer_base(2_000, random_state=0, start="2000-01-01",
                                     end="2025-12-31", n_contacts=0)
    for b in (base, long_period):  # 26 years: seconds before the as-of date pass 2**27
        tx = b.transactions.drop_duplicates("invoice_id").sort_values(
            ["customer_id", "invoice_id"])
        later = tx.groupby("customer_id")["date"].diff().dropna()
        assert (later >= pd.Timedelta(0)).all()


def test_truth_is_indexed_like_the_customers(small_base):
    truth = small_base.truth
    assert truth.segment.index.equals(small_base.customers.index)
    assert list(truth.segment.cat.categories) == list(SEGMENT_PARAMETERS.index[:6])
    assert truth.n_segments == 6 == truth.segment.nunique()


def test_repr_names_sizes(small_base):
    text = repr(small_base)
    assert "3,000 customers" in text and "6 true segments" in text


# ----------------------------------------------------------------------- reproducible


@pytest.mark.slow
def test_same_seed_same_base_other_seed_other_base():
    a = make_customer_base(2_000, random_state=11)
    b = make_customer_base(2_000, random_state=11)
    c = make_customer_base(2_000, random_state=12)
    pd.testing.assert_frame_equal(a.transactions, b.transactions)
    pd.testing.assert_frame_equal(a.customers, b.customers)
    pd.testing.assert_frame_equal(a.contacts, b.contacts)
    assert not a.transactions["amount"].equals(c.transactions["amount"])


def test_generator_and_randomstate_seeds_are_accepted_and_reproducible():
    a = make_customer_base(500, random_state=np.random.default_rng(3))
    b = make_customer_base(500, random_state=np.random.default_rng(3))
    pd.testing.assert_frame_equal(a.transactions, b.transactions)
    c = make_customer_base(500, random_state=np.random.RandomState(3))
    d = make_customer_base(500, random_state=np.random.RandomState(3))
    pd.testing.assert_frame_equal(c.customers, d.customers)


@pytest.mark.slow
def test_chunk_size_changes_memory_not_data():
    whole = make_customer_base(25_000, random_state=5)
    chunked = make_customer_base(25_000, random_state=5, chunk_size=7_000)
    pd.testing.assert_frame_equal(whole.transactions, chunked.transactions)
    pd.testing.assert_frame_equal(whole.customers, chunked.customers)
    pd.testing.assert_series_equal(whole.truth.segment, chunked.truth.segment)


@pytest.mark.slow
def test_a_customer_does_not_depend_on_the_base_size():
    # Random numbers are drawn per block of customers: the first 10k are the same
    # customers whether the base has 12k or 25k of them.
    small = make_customer_base(12_000, random_state=9, n_contacts=0)
    large = make_customer_base(25_000, random_state=9, n_contacts=0)
    pd.testing.assert_frame_equal(small.customers.iloc[:10_000], large.customers.iloc[:10_000])


@pytest.mark.slow
def test_chunks_put_together_are_the_base():
    whole = make_customer_base(25_000, random_state=4)
    chunks = list(iter_customer_base(25_000, random_state=4, chunk_size=10_000))
    assert [len(c.customers) for c in chunks] == [10_000, 10_000, 5_000]
    customers = pd.concat([c.customers for c in chunks])
    pd.testing.assert_frame_equal(customers, whole.customers)
    lines = pd.concat([c.transactions for c in chunks], ignore_index=True)
    key = ["date", "customer_id", "invoice_id", "amount"]
    pd.testing.assert_frame_equal(
        lines.sort_values(key, ignore_index=True),
        whole.transactions.sort_values(key, ignore_index=True),
    )
    for chunk in chunks:  # each chunk holds all lines of its own customers only
        assert set(chunk.transactions["customer_id"]) == set(chunk.customers.index)


# ------------------------------------------------------------------- truth is real


def test_segment_sizes_follow_the_shares(base):
    shares = SEGMENT_PARAMETERS["share"].iloc[:6]
    expected = shares / shares.sum()
    observed = base.truth.segment.value_counts(normalize=True).reindex(expected.index)
    n = len(base.customers)
    se = np.sqrt(expected * (1 - expected) / n)
    assert (np.abs(observed - expected) < 4 * se).all(), (observed, expected)


@pytest.mark.parametrize(
    ("column", "parameter"),
    [("email_open_rate", "open_rate"), ("site_visits", "visits"), ("forms_filled", "forms"),
     ("trial", "trial"), ("sales_contact", "sales"), ("event_signup", "event")],
)
def test_behavioural_criteria_have_their_segment_means(base, column, parameter):
    # Beta, Poisson(gamma-mixed) and Bernoulli draws all have the archetype's value as mean.
    values = base.customers[column].astype(float)
    grouped = values.groupby(base.truth.segment, observed=True)
    mean, se = grouped.mean(), grouped.std() / np.sqrt(grouped.size())
    target = SEGMENT_PARAMETERS[parameter].reindex(mean.index).astype(float)
    z = (mean - target) / se.clip(lower=1e-12)
    assert (z.abs() < 4.5).all(), pd.DataFrame({"mean": mean, "target": target, "z": z})


def test_segments_differ_in_the_variables_that_define_them(base):
    # The well-known RFM story: champions buy more recently, more often and more than the
    # lost; big spenders have the largest baskets; the new started last.
    tx = base.transactions
    per_customer = tx.groupby("customer_id").agg(
        last=("date", "max"), first=("date", "min"), frequency=("invoice_id", "nunique"),
        monetary=("amount", "sum"))
    per_customer["recency"] = (base.truth.as_of - per_customer["last"]).dt.days
    per_customer["basket"] = per_customer["monetary"] / per_customer["frequency"]
    prof = per_customer.groupby(base.truth.segment, observed=True).median()
    assert prof.loc["champions", "recency"] < prof.loc["at_risk", "recency"]
    assert prof.loc["at_risk", "recency"] < prof.loc["lost", "recency"]
    assert prof.loc["champions", "frequency"] > 2 * prof.loc["lost", "frequency"]
    assert prof["basket"].idxmax() == "big_spenders"
    assert prof["first"].idxmax() == "new"


def test_recency_is_the_true_lapse(base):
    last = base.transactions.groupby("customer_id")["date"].max()
    last_day = (base.truth.as_of - last.dt.normalize()).dt.days
    # lapse_days counts whole days between the last purchase day and the period's last day.
    pd.testing.assert_series_equal(
        (last_day - 1).rename("lapse_days"), base.truth.lapse_days, check_dtype=False,
        check_names=False, check_index_type=False)
    for seg, (lo, hi) in SEGMENT_PARAMETERS["lapse"].iloc[:6].items():
        lapse = base.truth.lapse_days[base.truth.segment == seg]
        assert lapse.min() >= 0
        assert lapse.max() <= hi
        assert (lapse >= lo).mean() > 0.9  # only clipped where the customer started late


def test_invoice_counts_follow_the_purchase_rates(base):
    # Invoices beyond the first ~ Poisson(rate x gamma multiplier x active years), and the
    # multiplier has mean 1: so E[invoices - 1] = rate x active years in every segment.
    tx = base.transactions
    observed = tx.groupby("customer_id")["invoice_id"].nunique() - 1
    rate = SEGMENT_PARAMETERS["rate"].reindex(base.truth.segment.astype(str)).to_numpy()
    expected = rate * base.truth.active_days.to_numpy() / 365.25
    diff = pd.Series(observed.to_numpy() - expected).groupby(base.truth.segment.to_numpy())
    z = diff.mean() / (diff.std() / np.sqrt(diff.size()))
    assert (z.abs() < 4.5).all(), z


def test_the_active_window_is_read_back_for_repeat_buyers(base):
    tx = base.transactions
    days = tx.groupby("customer_id")["date"].agg(["min", "max", "size"])
    repeat = tx.groupby("customer_id")["invoice_id"].nunique() > 1
    span = (days["max"].dt.normalize() - days["min"].dt.normalize()).dt.days
    np.testing.assert_array_equal(span[repeat], base.truth.active_days[repeat])
    assert (span[~repeat] == 0).all()


def test_mean_invoice_amount_is_the_segment_basket(invoices, base):
    seg = base.truth.segment.reindex(invoices["customer_id"]).to_numpy()
    amounts = pd.Series(invoices["amount"].to_numpy()).groupby(seg)
    mean, se = amounts.mean(), amounts.std() / np.sqrt(amounts.size())
    target = SEGMENT_PARAMETERS["basket"].reindex(mean.index)
    # Heavy tails: log-normal means converge slowly, so allow 5 standard errors.
    assert ((mean - target).abs() < 5 * se).all(), pd.DataFrame({"mean": mean, "basket": target})


def test_spend_is_skewed_and_many_buy_once(base):
    tx = base.transactions
    monetary = tx.groupby("customer_id")["amount"].sum()
    assert monetary.mean() > 1.5 * monetary.median()
    one_timers = (tx.groupby("customer_id")["invoice_id"].nunique() == 1).mean()
    assert 0.25 < one_timers < 0.5  # Online Retail: 34%


# ---------------------------------------------------------------------- conversion


def test_probability_is_the_logistic_of_the_coefficient_table(small_base):
    contacts, truth = small_base.contacts, small_base.truth
    design = truth.design(contacts)
    coefs = truth.coefficients.set_index(
        truth.coefficients["criterion"] + "=" + truth.coefficients["level"])["coef"]
    logit = coefs["(intercept)="] + design.to_numpy(float) @ coefs[design.columns].to_numpy()
    np.testing.assert_allclose(truth.conversion_probability(contacts), 1 / (1 + np.exp(-logit)))
    refs = truth.coefficients.groupby("criterion").head(1).iloc[1:]
    assert (refs["coef"] == 0).all()
    assert dict(zip(refs["criterion"], refs["level"], strict=True)) == truth.reference_levels


def test_design_bands_are_right_open(small_base):
    contacts = pd.DataFrame(small_base.contacts.iloc[:3]).copy()
    contacts["age"] = [24, 25, 65]
    design = small_base.truth.design(contacts)
    assert design["age=[25, 35)"].tolist() == [0, 1, 0]
    assert design["age=>=65"].tolist() == [0, 0, 1]
    assert design.filter(like="age=").sum(axis=1).tolist() == [0, 1, 1]  # <25 is reference


@pytest.mark.slow
def test_a_logistic_fit_recovers_the_true_coefficients():
    sm = pytest.importorskip("statsmodels.api")
    base = make_customer_base(1_000, random_state=21, n_contacts=200_000)
    design = base.truth.design(base.contacts).astype(float)
    fit = sm.Logit(base.contacts["converted"].to_numpy(float), sm.add_constant(design)).fit(
        disp=0, maxiter=100)
    coefs = base.truth.coefficients
    # The design's columns are the non-reference levels, in the coefficient table's order.
    true = np.concatenate([[CONVERSION_MODEL["intercept"]],
                           coefs.loc[coefs.groupby("criterion").cumcount() > 0, "coef"]])
    assert list(design.columns) == (coefs["criterion"] + "=" + coefs["level"])[
        coefs.groupby("criterion").cumcount() > 0].tolist()
    z = (fit.params.to_numpy() - np.asarray(true)) / fit.bse.to_numpy()
    # Each z is N(0, 1) if the data follow the model: all inside +-4, and together they
    # behave like a chi-square with as many degrees of freedom as coefficients.
    assert np.abs(z).max() < 4, dict(zip(fit.params.index, z.round(2), strict=True))
    assert (z**2).sum() < stats.chi2.ppf(0.999, df=z.size)
    ci = fit.conf_int(alpha=0.05).to_numpy()
    inside = (ci[:, 0] <= true) & (true <= ci[:, 1])
    assert inside.mean() >= 0.85  # 95% intervals: about 95% of 30 cover


@pytest.mark.slow
def test_conversion_rate_matches_the_true_probabilities():
    base = make_customer_base(500, random_state=2, n_contacts=100_000)
    p = base.truth.conversion_probability(base.contacts)
    y = base.contacts["converted"].to_numpy()
    se = np.sqrt((p * (1 - p)).sum()) / y.size
    assert abs(y.mean() - p.mean()) < 4 * se
    assert 0.08 < y.mean() < 0.16  # a realistic campaign rate (bank data: 11.3%)


@pytest.mark.slow
def test_design_does_not_modify_contacts(small_base):
    before = small_base.contacts.copy(deep=True)
    small_base.truth.design(small_base.contacts)
    small_base.truth.conversion_probability(small_base.contacts)
    pd.testing.assert_frame_equal(small_base.contacts, before)


def test_design_refuses_levels_outside_the_model(small_base):
    contacts = small_base.contacts.iloc[:5].copy()
    contacts["lead_origin"] = contacts["lead_origin"].astype(str)
    contacts.iloc[0, contacts.columns.get_loc("lead_origin")] = "billboard"
    match = r"'lead_origin' of contacts has 1 value\(s\) outside"
    with pytest.raises(InvalidParameterError, match=match):
        small_base.truth.design(contacts)


# ----------------------------------------------------------------------------- messy

@pytest.fixture(scope="module")
def online_retail_shares() -> dict[str, float]:
    """Shares of Online Retail's messy lines, counted on the shipped raw file."""
    from clientseg.datasets import load_online_retail

    raw = load_online_retail()
    cancel = raw["InvoiceNo"].str.startswith("C")
    amount = raw["Quantity"] * raw["UnitPrice"]
    return {
        "no_customer_id": raw["CustomerID"].isna().mean(),
        "cancellations": cancel.mean(),
        # Negative quantity without a "C": stock adjustments, all without a customer.
        "negative_adjustments": ((raw["Quantity"] < 0) & ~cancel).mean(),
        "zero_amounts": ((amount == 0) & (raw["Quantity"] > 0)).mean(),
        "duplicates": raw.duplicated().mean(),
    }


@pytest.mark.slow
def test_messy_proportions_follow_online_retail(messy_base, online_retail_shares):
    tx, injected = messy_base.transactions, messy_base.truth.injected
    shares = online_retail_shares
    n = len(tx)
    anonymous = tx["customer_id"].isna()
    cancel = tx["invoice_id"].str.startswith("C")
    adjustment = (tx["amount"] < 0) & ~cancel
    # Every line without an id counts once, whatever its kind: the total matches too.
    assert anonymous.mean() == pytest.approx(shares["no_customer_id"], abs=0.002)
    assert cancel.mean() == pytest.approx(shares["cancellations"], abs=0.002)
    assert adjustment.mean() == pytest.approx(shares["negative_adjustments"], abs=0.0005)
    assert anonymous[adjustment].all()
    assert (tx["amount"] == 0).mean() == pytest.approx(shares["zero_amounts"], abs=0.0005)
    assert injected["duplicates"] / n == pytest.approx(shares["duplicates"], abs=0.002)
    assert (tx.loc[cancel, "amount"] < 0).all()
    assert (tx["amount"] == 0).sum() == injected["zero_amounts"]
    assert adjustment.sum() == injected["negative_adjustments"]
    assert n - len(make_customer_base(2_000, n_segments=6, random_state=1).transactions) == sum(
        injected.values()
    )
    assert tx["customer_id"].dtype == "Int64"
    assert tx["invoice_id"].dtype == "string"
    assert tx["date"].max() < messy_base.truth.as_of


def test_removing_the_mess_gives_back_the_clean_lines(messy_base):
    clean = make_customer_base(2_000, n_segments=6, random_state=1).transactions
    tx = messy_base.transactions
    kept = tx[tx["customer_id"].notna() & ~tx["invoice_id"].str.startswith("C")
              & (tx["amount"] > 0)]
    kept = kept.drop_duplicates()
    expected = clean.drop_duplicates()
    key = ["date", "customer_id", "invoice_id", "amount"]
    got = kept.astype({"customer_id": "int64", "invoice_id": "int64"})
    pd.testing.assert_frame_equal(got.sort_values(key, ignore_index=True),
                                  expected.sort_values(key, ignore_index=True))


@pytest.mark.slow
def test_messy_does_not_change_customers_or_contacts(messy_base):
    clean = make_customer_base(2_000, n_segments=6, random_state=1)
    pd.testing.assert_frame_equal(clean.customers, messy_base.customers)
    pd.testing.assert_frame_equal(clean.contacts, messy_base.contacts)
    assert sum(clean.truth.injected.values()) == 0


# ---------------------------------------------------------------------- parameters


@pytest.mark.slow
@given(n_segments=st.integers(1, 10), n=st.integers(1, 300))
def test_any_number_of_segments_and_customers(n_segments, n):
    base = make_customer_base(n, n_segments, random_state=0, n_contacts=10)
    assert len(base.customers) == n
    assert base.truth.segment.cat.categories.size == n_segments
    assert set(base.truth.segment.unique()) <= set(SEGMENT_PARAMETERS.index[:n_segments])
    assert base.transactions["customer_id"].nunique() == n


def test_a_short_period_still_has_a_valid_base():
    base = make_customer_base(2_000, random_state=0, start="2025-01-01", end="2025-02-15")
    tx = base.transactions
    assert tx["date"].min() >= pd.Timestamp("2025-01-01")
    assert tx["date"].max() < pd.Timestamp("2025-02-16")
    assert (base.truth.lapse_days >= 0).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_customers": 0}, r"Parameter 'n_customers' must be in \[1, inf\); got 0"),
        ({"n_customers": 10, "n_segments": 11},
         r"Parameter 'n_segments' must be in \[1, 10\]; got 11"),
        ({"n_customers": 2.5}, r"Parameter 'n_customers' must be int; got 2.5 of type float"),
        ({"n_customers": True}, r"Parameter 'n_customers' must be int; got True of type bool"),
        ({"n_customers": 10, "n_contacts": -1}, r"'n_contacts' must be in \[0, inf\); got -1"),
        ({"n_customers": 10, "chunk_size": 0}, r"'chunk_size' must be in \[1, inf\); got 0"),
        ({"n_customers": 10, "random_state": -3}, r"'random_state' must be in \[0, inf\)"),
        ({"n_customers": 10, "messy": "yes"}, r"'messy' must be True or False; got 'yes'"),
        ({"n_customers": 10, "start": "2025-06-01", "end": "2025-06-10"},
         r"covers 10 day\(s\); at least 30 are needed.*Move 'start' earlier"),
        ({"n_customers": 10, "start": "2025-06-01", "end": "2024-06-10"},
         r"'end' \(2024-06-10\) is before 'start' \(2025-06-01\); swap them"),
        ({"n_customers": 10, "start": "not a date"},
         r"'start' and 'end' must be dates such as '2024-01-01'"),
        ({"n_customers": 10, "start": pd.Timestamp("2024-01-01", tz="UTC")},
         r"must be naive dates.*Drop the zone"),
    ],
)
def test_bad_parameters_are_refused_with_the_fix(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        make_customer_base(**kwargs)


def test_iter_refuses_bad_chunk_size():
    with pytest.raises(InvalidParameterError, match=r"'chunk_size' must be in \[1, inf\)"):
        next(iter_customer_base(100, chunk_size=-5))


def test_public_names_are_reachable_from_the_package():
    assert cs.synth.make_customer_base is make_customer_base
    assert set(cs.synth.__all__) >= {"make_customer_base", "iter_customer_base", "CustomerBase",
                                     "GroundTruth", "SEGMENT_PARAMETERS", "CONVERSION_MODEL"}


def test_truth_importance_is_the_share_of_each_criterions_true_effect_range():
    from clientseg.synth import CONVERSION_MODEL, make_customer_base

    base = make_customer_base(50, n_contacts=200, random_state=3)
    importance = base.truth.importance
    criteria = [c for c in base.contacts.columns if c != "converted"]
    assert list(importance.index) == criteria
    assert importance.sum() == pytest.approx(100.0)
    effects = CONVERSION_MODEL["effects"]
    spans = {c: max(e) - min(e) for c, e in effects.items()}
    # lead_origin: effects 0.6 down to -0.8, a range of 1.4 out of 8.8 in all
    assert importance["lead_origin"] == pytest.approx(100 * 1.4 / sum(spans.values()))
    assert importance["lead_origin"] == pytest.approx(100 * 1.4 / 8.8)
    no_effect = [c for c in criteria if c not in effects]
    assert no_effect and (importance[no_effect] == 0).all()
    assert (importance[list(effects)] > 0).all()
