"""The same calls on pandas, Polars (eager and lazy), DuckDB, PyArrow and Dask.

Expected values always come from the pandas path (numpy on integer codes, an independent
implementation of the RFM rules and of the scorecard's banding); the other engines run
narwhals expressions and must agree with it and answer in their own kind, lazy ones
without computing anything in the scoring calls.
"""

import gc
import warnings

import numpy as np
import pandas as pd
import pytest

from clientseg._core import backends as _backends
from clientseg.exceptions import (
    DataQualityWarning,
    InvalidDataError,
    InvalidParameterError,
    MissingColumnsError,
    TiedValuesWarning,
)
from clientseg.rfm import RFM_COLUMNS, RFMScorer, rfm_exclusions, rfm_table, to_clv_summary
from clientseg.scorecard import LogisticScorecard
from clientseg.synth import make_customer_base

# every engine, two Dask clusters: outside the fast lane (pytest -m 'not slow')
pytestmark = pytest.mark.slow

ENGINES = ["polars", "polars-lazy", "duckdb", "pyarrow", "dask"]
LAZY = {"polars-lazy", "duckdb", "dask"}
COLS = {"customer_id_col": "customer_id", "datetime_col": "date",
        "monetary_value_col": "amount", "invoice_col": "invoice_id"}


# ------------------------------------------------------------------ helpers


def to_kind(kind, frame):
    """The pandas frame in an engine's kind (index dropped, as those engines have none)."""
    flat = frame.reset_index(drop=True)
    if kind == "polars":
        return pytest.importorskip("polars").from_pandas(flat)
    if kind == "polars-lazy":
        return pytest.importorskip("polars").from_pandas(flat).lazy()
    if kind == "duckdb":
        return pytest.importorskip("duckdb").from_df(flat)
    if kind == "pyarrow":
        return pytest.importorskip("pyarrow").Table.from_pandas(flat, preserve_index=False)
    dd = pytest.importorskip("dask.dataframe")
    return dd.from_pandas(flat, npartitions=4)


def native_type(kind):
    """The class a result of this kind must have (frame, or series for eager kinds)."""
    if kind == "polars":
        return pytest.importorskip("polars").DataFrame
    if kind == "polars-lazy":
        return pytest.importorskip("polars").LazyFrame
    if kind == "duckdb":
        return pytest.importorskip("duckdb").DuckDBPyRelation
    if kind == "pyarrow":
        return pytest.importorskip("pyarrow").Table
    return pytest.importorskip("dask.dataframe").DataFrame


def series_type(kind):
    if kind == "polars":
        return pytest.importorskip("polars").Series
    if kind == "pyarrow":
        return pytest.importorskip("pyarrow").ChunkedArray
    if kind == "dask":
        return pytest.importorskip("dask.dataframe").Series
    return native_type(kind)  # lazy frames without an index: X's columns come along


def as_pandas(obj):
    """Compute any engine's result and return it as pandas."""
    if hasattr(obj, "compute"):
        return obj.compute()
    if hasattr(obj, "collect"):
        return obj.collect().to_pandas()
    if hasattr(obj, "df"):  # DuckDB relation
        return obj.df()
    return obj.to_pandas()


def column(obj, name):
    """One result column as a pandas Series (from a Series kind or a frame kind)."""
    out = as_pandas(obj)
    return out[name] if isinstance(out, pd.DataFrame) else out


def names(series):
    """Criterion names with every kind of missing value as None."""
    return [None if pd.isna(v) else v for v in series]


class ComputeCounter:
    """Count the Dask graphs computed while it is active."""

    def __init__(self):
        self.n = 0

    def __enter__(self):
        from dask.callbacks import Callback

        def start(dsk):
            self.n += 1

        self._cb = Callback(start=start)
        self._cb.__enter__()
        return self

    def __exit__(self, *exc):
        self._cb.__exit__(*exc)


def no_compute(kind):
    """A context that fails the test if a Dask input is computed inside it."""
    if kind != "dask":
        return _Nothing()
    return _AssertNoCompute()


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _AssertNoCompute(ComputeCounter):
    def __exit__(self, *exc):
        super().__exit__(*exc)
        if exc[0] is None:
            assert self.n == 0, f"the Dask input was computed {self.n} time(s) in the call"


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def clean_base():
    return make_customer_base(2_500, n_segments=6, random_state=3)


@pytest.fixture(scope="module")
def messy_base():
    return make_customer_base(2_000, n_segments=6, random_state=1, messy=True)


CRITERIA = ["age", "region", "income_band", "email_open_rate", "lead_origin", "event_signup",
            "pages_viewed"]
UNSEEN = (r"X has values not seen at fit time in 2 criterion\(s\) \('region': 55, "
          r"'email_open_rate': 86 rows\); they were scored as handle_unseen='other' says")
MESSY = {"returns": "net", "duplicates": "drop", "missing_ids": "drop"}


@pytest.fixture(scope="module")
def card_and_contacts(clean_base):
    contacts = clean_base.contacts
    X = contacts[CRITERIA]
    card = LogisticScorecard(ridge=1.0).fit(X, contacts["converted"])
    # contacts to score: missing values and a category never met at fit time
    X_new = X.iloc[:600].reset_index(drop=True).copy()
    X_new["email_open_rate"] = X_new["email_open_rate"].mask(X_new.index % 7 == 0)
    region = X_new["region"].cat.add_categories(["Atlantis"])
    X_new["region"] = region.mask(X_new.index % 11 == 0, "Atlantis")
    return card, X_new


def assert_rfm_equal(got_pd, expected, *, kind):
    """Compare an engine's RFM table (as pandas) with the pandas path's."""
    if kind != "dask":
        assert list(got_pd.columns) == ["customer_id", *RFM_COLUMNS]
        got_pd = got_pd.set_index("customer_id")
    assert list(got_pd.columns) == list(RFM_COLUMNS)
    assert got_pd.dtypes.to_dict() == expected.dtypes.to_dict()
    np.testing.assert_array_equal(got_pd.index.to_numpy(dtype=np.int64),
                                  expected.index.to_numpy(dtype=np.int64))
    for col in RFM_COLUMNS:
        if col in ("monetary", "avg_basket"):  # engines sum in another order
            np.testing.assert_allclose(got_pd[col].to_numpy(), expected[col].to_numpy(),
                                       rtol=1e-12, atol=1e-9)
        else:
            np.testing.assert_array_equal(got_pd[col].to_numpy(), expected[col].to_numpy())


def assert_exclusions_equal(got, expected):
    pd.testing.assert_series_equal(got["rows"], expected["rows"])
    pd.testing.assert_series_equal(got["policy"], expected["policy"])
    np.testing.assert_allclose(got["amount"].to_numpy(), expected["amount"].to_numpy(),
                               rtol=1e-12, atol=1e-6)


# ------------------------------------------------------------------ rfm_table


@pytest.mark.parametrize("kind", ENGINES)
@pytest.mark.parametrize("which", ["clean", "messy"])
def test_rfm_table_answers_in_the_input_kind_and_equals_pandas(
        clean_base, messy_base, kind, which):
    base = clean_base if which == "clean" else messy_base
    kw = {**COLS, "observation_period_end": base.truth.as_of,
          **(MESSY if which == "messy" else {})}
    expected = rfm_table(base.transactions, **kw)
    got = rfm_table(to_kind(kind, base.transactions), **kw)
    assert isinstance(got, native_type(kind))
    assert_rfm_equal(as_pandas(got), expected, kind=kind)
    assert_exclusions_equal(rfm_exclusions(got), rfm_exclusions(expected))
    if which == "messy":  # the mess really was excluded, and counted
        assert rfm_exclusions(got).loc["missing_id", "rows"] > 0
        assert rfm_exclusions(got).loc["duplicate", "rows"] > 0


@pytest.mark.parametrize("kind", ENGINES)
def test_rfm_table_output_pandas_keeps_the_record_in_attrs(messy_base, kind):
    kw = {**COLS, "observation_period_end": messy_base.truth.as_of, **MESSY}
    got = rfm_table(to_kind(kind, messy_base.transactions), **kw, output="pandas")
    expected = rfm_table(messy_base.transactions, **kw)
    assert isinstance(got, pd.DataFrame)
    assert got.attrs["clientseg.rfm"]["n_rows_in"] == len(messy_base.transactions)
    assert_rfm_equal(got, expected, kind="dask")  # indexed by customer id, as pandas
    assert_exclusions_equal(rfm_exclusions(got), rfm_exclusions(expected))


def test_rfm_table_pandas_stays_pandas(clean_base):
    kw = {**COLS, "observation_period_end": clean_base.truth.as_of}
    native = rfm_table(clean_base.transactions, **kw)
    pd.testing.assert_frame_equal(native, rfm_table(clean_base.transactions, **kw,
                                                    output="pandas"))


def test_rfm_table_refuses_an_unknown_output(clean_base):
    with pytest.raises(InvalidParameterError,
                       match=r"Parameter 'output' must be one of 'native', 'pandas'; "
                             r"got 'polars'"):
        rfm_table(clean_base.transactions, **COLS, observation_period_end="2025-12-31",
                  output="polars")


@pytest.mark.parametrize("kind", ["polars", "pyarrow", "duckdb"])
def test_a_derived_result_has_no_record_and_says_what_to_pass(clean_base, kind):
    kw = {**COLS, "observation_period_end": clean_base.truth.as_of}
    got = rfm_table(to_kind(kind, clean_base.transactions), **kw)
    derived = got.select("customer_id", "monetary") if kind != "pyarrow" else \
        got.select(["customer_id", "monetary"])
    with pytest.raises(InvalidDataError,
                       match=r"carries no exclusion record: a non-pandas result of rfm_table "
                             r"keeps its record for the returned object only.*"
                             r"output='pandas'"):
        rfm_exclusions(derived)
    assert rfm_exclusions(got).loc["kept", "rows"] == len(clean_base.transactions)


def test_the_record_registry_forgets_dead_results(clean_base):
    pl = pytest.importorskip("polars")
    kw = {**COLS, "observation_period_end": clean_base.truth.as_of}
    got = rfm_table(pl.from_pandas(clean_base.transactions), **kw)
    key = id(got)
    assert key in _backends._RECORDS
    del got
    gc.collect()
    assert key not in _backends._RECORDS


def test_polars_time_zones_follow_the_pandas_policy(clean_base):
    pl = pytest.importorskip("polars")
    tx = clean_base.transactions.assign(date=clean_base.transactions["date"]
                                        .dt.tz_localize("Europe/Paris"))
    kw = {**COLS, "observation_period_end": clean_base.truth.as_of}
    expected = rfm_table(tx, **kw, timezone="Europe/Paris")
    got = rfm_table(pl.from_pandas(tx), **kw, timezone="Europe/Paris")
    assert_rfm_equal(got.to_pandas(), expected, kind="polars")


@pytest.mark.parametrize("kind", ["polars-lazy", "dask"])
def test_to_clv_summary_accepts_engine_frames(messy_base, kind):
    kw = {"customer_id_col": "customer_id", "datetime_col": "date",
          "monetary_value_col": "amount", "observation_period_end": messy_base.truth.as_of,
          "returns": "drop", "duplicates": "drop"}
    expected = to_clv_summary(messy_base.transactions, **kw)
    got = to_clv_summary(to_kind(kind, messy_base.transactions), **kw)
    pd.testing.assert_frame_equal(got, expected, check_index_type=False)
    assert_exclusions_equal(rfm_exclusions(got), rfm_exclusions(expected))


# ------------------------------------------------------------------ RFMScorer


@pytest.fixture(scope="module")
def rfm_tables(messy_base):
    kw = {**COLS, "observation_period_end": messy_base.truth.as_of, **MESSY}
    return messy_base.transactions, kw, rfm_table(messy_base.transactions, **kw)


@pytest.mark.parametrize("kind", ENGINES)
@pytest.mark.parametrize("segment_map", ["rf_grid", "r_fm"])
def test_rfm_scorer_scores_every_engine_like_pandas(rfm_tables, kind, segment_map):
    tx, kw, table = rfm_tables
    with pytest.warns(TiedValuesWarning, match=r"Column 'frequency' \(frequency\) gets"):
        scorer = RFMScorer(segment_map=segment_map).fit(table)
    expected = scorer.transform(table)
    native = rfm_table(to_kind(kind, tx), **kw)
    with no_compute(kind):
        got = scorer.transform(native)
    assert isinstance(got, native_type(kind))
    got_pd = as_pandas(got)
    if kind in ("polars-lazy", "duckdb"):  # the table's columns came along, nothing else
        assert list(got_pd.columns) == ["customer_id", *RFM_COLUMNS, *expected.columns]
    else:
        assert list(got_pd.columns) == list(expected.columns)
    for col in expected.columns:
        assert got_pd[col].astype(str).tolist() == expected[col].astype(str).tolist(), col
    for col in ("r_score", "f_score", "m_score", "rfm_score", "fm_score"):
        assert got_pd[col].dtype == np.int64


@pytest.mark.parametrize("kind", ["polars", "duckdb", "dask"])
def test_rfm_scorer_fits_on_engine_tables(rfm_tables, kind):
    tx, kw, table = rfm_tables
    with pytest.warns(TiedValuesWarning, match=r"Column 'frequency'"):
        expected = RFMScorer(segment_map=None).fit(table)
    with pytest.warns(TiedValuesWarning, match=r"Column 'frequency'"):
        got = RFMScorer(segment_map=None).fit(rfm_table(to_kind(kind, tx), **kw))
    for role, edges in expected.bin_edges_.items():
        np.testing.assert_allclose(got.bin_edges_[role], edges, rtol=1e-12)


def test_rfm_scorer_names_missing_and_non_numeric_columns(rfm_tables):
    pl = pytest.importorskip("polars")
    _, _, table = rfm_tables
    with pytest.warns(TiedValuesWarning, match=r"Column 'frequency'"):
        scorer = RFMScorer().fit(table)
    flat = pl.from_pandas(table.reset_index())
    with pytest.raises(InvalidDataError, match=r"lacks 1 of the columns named by parameter "
                                               r"'columns': \['monetary'\]"):
        scorer.transform(flat.drop("monetary"))
    with pytest.raises(InvalidDataError, match=r"Column 'frequency' \(columns\) of X must be "
                                               r"numeric; it has dtype String"):
        scorer.transform(flat.with_columns(pl.col("frequency").cast(pl.String)))
    with pytest.raises(InvalidDataError, match=r"Column 'monetary' \(columns\) of X has 1 "
                                               r"missing value\(s\)"):
        scorer.transform(flat.with_columns(
            pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.col("monetary"))
            .alias("monetary")))


# ------------------------------------------------------------------ scorecard


@pytest.mark.parametrize("kind", ENGINES)
def test_scorecard_scores_every_engine_like_pandas(card_and_contacts, kind):
    card, X = card_and_contacts
    with pytest.warns(DataQualityWarning, match=UNSEEN):
        expected_points = card.points(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        expected_grade = card.grade(X)
        expected_proba = card.predict_proba(X)
    frame = to_kind(kind, X)
    if kind in LAZY:  # nothing is computed, so nothing is counted: no warning
        with no_compute(kind):
            points = card.points(frame)
            grade = card.grade(frame)
            proba = card.predict_proba(frame)
    else:  # eager frames count unseen values and warn as pandas does
        with pytest.warns(DataQualityWarning, match=UNSEEN):
            points = card.points(frame)
        with pytest.warns(DataQualityWarning, match=r"not seen at fit time"):
            grade = card.grade(frame)
        with pytest.warns(DataQualityWarning, match=r"not seen at fit time"):
            proba = card.predict_proba(frame)
    assert isinstance(points, series_type(kind))
    assert isinstance(grade, series_type(kind))
    assert isinstance(proba, native_type(kind))
    np.testing.assert_array_equal(column(points, "score").to_numpy(),
                                  expected_points.to_numpy())
    assert column(grade, "grade").tolist() == expected_grade.astype(str).tolist()
    proba_pd = as_pandas(proba)
    np.testing.assert_allclose(proba_pd[["proba_0", "proba_1"]].to_numpy(), expected_proba,
                               rtol=0, atol=1e-12)
    if kind in ("polars-lazy", "duckdb"):  # X's columns come along
        assert list(as_pandas(points).columns) == [*X.columns, "score"]


@pytest.mark.parametrize("kind", ["polars", "polars-lazy", "duckdb", "pyarrow"])
@pytest.mark.parametrize("relative", [True, False])
def test_points_breakdown_on_engines_equals_pandas(card_and_contacts, kind, relative):
    card, X = card_and_contacts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        expected = card.points_breakdown(X, relative=relative)
        got = as_pandas(card.points_breakdown(to_kind(kind, X), relative=relative))
    for col in [*card.criteria_, "start", "score"]:
        np.testing.assert_array_equal(got[col].to_numpy(dtype=float),
                                      expected[col].to_numpy(dtype=float), err_msg=col)
    for col in ("top_up", "top_down"):
        assert names(got[col]) == names(expected[col]), col


def test_points_breakdown_on_dask_stays_lazy(card_and_contacts):
    card, X = card_and_contacts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        expected = card.points_breakdown(X.iloc[:100])
    frame = to_kind("dask", X.iloc[:100])
    with no_compute("dask"):
        got = card.points_breakdown(frame)
    got = got.compute()
    np.testing.assert_array_equal(got["score"].to_numpy(), expected["score"].to_numpy())
    assert names(got["top_up"]) == names(expected["top_up"])


@pytest.mark.parametrize("kind", ENGINES)
def test_unseen_counts_are_computed_in_the_engine(card_and_contacts, kind):
    card, X = card_and_contacts
    expected = card.unseen_counts(X)
    got = card.unseen_counts(to_kind(kind, X))
    pd.testing.assert_series_equal(got, expected)
    assert got["region"] == 55 and got["email_open_rate"] == 86


def test_handle_unseen_error_refuses_eager_frames_and_gives_null_on_lazy(card_and_contacts):
    pl = pytest.importorskip("polars")
    card, X = card_and_contacts
    strict = LogisticScorecard.from_json(card.to_json()).set_params(handle_unseen="error")
    message = r"Column 'region' \(X\) has 55 value\(s\) not seen at fit time " \
              r"\(first at row 0: 'Atlantis'\)\. Pass handle_unseen='other'"
    with pytest.raises(InvalidDataError, match=message):
        strict.points(X)
    with pytest.raises(InvalidDataError, match=message):
        strict.points(pl.from_pandas(X))
    lazy = strict.points(pl.from_pandas(X).lazy()).collect()
    unseen = X["email_open_rate"].isna().to_numpy() | (X["region"] == "Atlantis").to_numpy()
    assert lazy["score"].is_null().to_numpy().tolist() == unseen.tolist()  # as to_sql: NULL


def test_engine_frames_must_hold_the_criteria(card_and_contacts):
    pl = pytest.importorskip("polars")
    card, X = card_and_contacts
    with pytest.raises(MissingColumnsError,
                       match=r"X is missing 1 column: 'region' \(criteria_\[1\]\)"):
        card.points(pl.from_pandas(X).lazy().drop("region"))


def test_eager_engines_refuse_infinities_as_pandas_does(card_and_contacts):
    pl = pytest.importorskip("polars")
    card, X = card_and_contacts
    bad = X.assign(email_open_rate=np.where(X.index == 3, np.inf, X["email_open_rate"]))
    message = r"Column 'email_open_rate' \(X\) has 1 value that is inf \(first at row 3\)\. " \
              r"Replace them with finite numbers or with NaN"
    with pytest.raises(InvalidDataError, match=message):
        card.points(bad)
    with pytest.raises(InvalidDataError, match=message):
        card.points(pl.from_pandas(bad))
    empty = X.assign(age=np.nan)
    message = r"Column 'age' \(X\) has all 600 values missing\. Drop it from X"
    with pytest.raises(InvalidDataError, match=message):
        card.points(empty)
    with pytest.raises(InvalidDataError, match=message):
        card.points(pl.from_pandas(empty))


def test_scoring_leaves_the_input_alone(card_and_contacts):
    pl = pytest.importorskip("polars")
    card, X = card_and_contacts
    frame = pl.from_pandas(X)
    before = frame.clone()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        card.points(frame)
        card.points_breakdown(frame)
    assert frame.equals(before) and frame.columns == list(X.columns)


# ------------------------------------------------------------------ a real Dask cluster
# (last in the module: while its Client lives it is Dask's default scheduler)


@pytest.fixture(scope="module")
def client():
    pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # start-up chatter (ports, resource limits)
        cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                           dashboard_address=None)
        client = distributed.Client(cluster)
    yield client
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.close()
        cluster.close()


def test_rfm_and_scoring_run_on_a_local_cluster(client, messy_base, card_and_contacts):
    dd = pytest.importorskip("dask.dataframe")
    tx = messy_base.transactions.reset_index(drop=True)
    # duplicates="keep": dropping them is a cluster-wide shuffle, seconds on a small box
    kw = {**COLS, "observation_period_end": messy_base.truth.as_of, "returns": "net"}
    parts = dd.from_pandas(tx, npartitions=4)
    assert parts.npartitions >= 4
    assert len(client.scheduler_info()["workers"]) == 2
    table = rfm_table(parts, **kw)  # the counts and per-customer rows run on the workers
    expected = rfm_table(tx, **kw)
    assert isinstance(table, dd.DataFrame)
    assert_rfm_equal(table.compute(), expected, kind="dask")
    assert_exclusions_equal(rfm_exclusions(table), rfm_exclusions(expected))

    card, X = card_and_contacts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        expected_points = card.points(X)
    frame = dd.from_pandas(X, npartitions=4)
    points = card.points(frame)
    assert isinstance(points, dd.Series)
    got = client.compute(points).result()
    np.testing.assert_array_equal(got.to_numpy(), expected_points.to_numpy())
