"""The file subcommands of ``clientseg``: rfm, segment, score, quality on CSV/Parquet files.

Every run is checked against the library called directly on the same frame (the oracle), and
every user mistake must end in one line naming the flag, exit status 2 and no traceback.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clientseg as cs
from clientseg import cli
from clientseg.exceptions import TiedValuesWarning

N = 800


@pytest.fixture(scope="module")
def base():
    return cs.synth.make_customer_base(N, random_state=0)


@pytest.fixture(scope="module")
def messy():
    return cs.synth.make_customer_base(N, random_state=0, messy=True)


def run_cli(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def assert_error(code: int, err: str, pattern: str) -> None:
    """Exit 2, one error line matching ``pattern``, no traceback."""
    assert code == 2
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert len(errors) == 1, err
    assert re.search(pattern, errors[0]), errors[0]


def read_tx(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, parse_dates=["date"])


def rfm_flags(path: Path, out: Path, *extra: str) -> list[object]:
    return ["rfm", path, "--customer-id", "customer_id", "--date", "date", "--amount",
            "amount", "--invoice", "invoice_id", "--as-of", "2026-01-01", "--out", out,
            "--quiet", *extra]


def rfm_oracle(tx: pd.DataFrame, **policies: str) -> pd.DataFrame:
    return cs.rfm_table(tx, customer_id_col="customer_id", datetime_col="date",
                        monetary_value_col="amount", invoice_col="invoice_id",
                        observation_period_end="2026-01-01", **policies)


# ----------------------------------------------------------------------------------- rfm


def test_rfm_writes_the_library_table_scores_and_exclusions(base, tmp_path):
    path = tmp_path / "tx.csv"
    base.transactions.to_csv(path, index=False)
    code, out, err = run_cli(*rfm_flags(path, tmp_path / "res"))
    assert code == 0, err
    # the library's tie warning is shown in one line, with the flag instead of n_bins=
    assert re.search(r"warning \(TiedValuesWarning\): .*--bins 5", err)
    expected = rfm_oracle(read_tx(path))
    table = pd.read_csv(tmp_path / "res" / "rfm_table.csv", index_col="customer_id",
                        parse_dates=["first_purchase", "last_purchase"])
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)
    with pytest.warns(TiedValuesWarning, match=r"Column 'frequency' \(frequency\)"):
        scores = cs.RFMScorer(n_bins=5).fit_transform(expected)
    written = pd.read_csv(tmp_path / "res" / "rfm_scores.csv", index_col="customer_id")
    for col in ("r_score", "f_score", "m_score", "rfm_score"):
        np.testing.assert_array_equal(written[col], scores[col])
    assert (written["segment"] == scores["segment"].astype(str)).all()
    exclusions = pd.read_csv(tmp_path / "res" / "rfm_exclusions.csv", index_col="rule")
    assert exclusions["rows"].sum() == len(base.transactions)
    assert f"{N} customers, {len(base.transactions):,} of {len(base.transactions):,} rows" in out
    assert "No row excluded." in out
    for name, size in scores["segment"].value_counts().items():
        if size:
            assert re.search(rf"{re.escape(str(name))}\s+{size}\n", out)


@pytest.mark.slow
def test_rfm_on_a_messy_gzip_file_counts_every_rule(messy, tmp_path):
    path = tmp_path / "tx.csv.gz"
    messy.transactions.to_csv(path, index=False)
    code, out, err = run_cli(*rfm_flags(path, tmp_path, "--returns", "net",
                                        "--duplicates", "drop"))
    assert code == 0, err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TiedValuesWarning)
        expected = cs.rfm_exclusions(rfm_oracle(read_tx(path), returns="net",
                                                duplicates="drop"))
    written = pd.read_csv(tmp_path / "rfm_exclusions.csv", index_col="rule")
    np.testing.assert_array_equal(written["rows"], expected["rows"])
    missing = int(messy.transactions["customer_id"].isna().sum())
    assert written.loc["missing_id", "rows"] == missing > 0
    assert re.search(rf"missing_id\s+{missing}\s", out)


def test_rfm_library_errors_name_the_flags(messy, tmp_path):
    path = tmp_path / "tx.csv"
    messy.transactions.to_csv(path, index=False)
    code, _, err = run_cli(*rfm_flags(path, tmp_path))  # returns='raise' by default
    assert_error(code, err, r"Column 'amount' \(--amount\) has \d+ values that are negative"
                            r".*Pass --returns net to subtract them or --returns drop")
    argv = rfm_flags(path, tmp_path)
    argv[argv.index("2026-01-01")] = "yesterday"
    code, _, err = run_cli(*argv)
    assert_error(code, err, r"rfm: error: Option --as-of must be a date")


def test_rfm_missing_columns_are_all_named_with_their_flags(base, tmp_path):
    path = tmp_path / "tx.csv"
    base.transactions.to_csv(path, index=False)
    argv = rfm_flags(path, tmp_path)
    argv[argv.index("amount")] = "amt"
    argv[argv.index("invoice_id")] = "invoice"
    code, _, err = run_cli(*argv)
    assert_error(code, err, r"^clientseg rfm: error: File '.*tx\.csv' \(FILE\) is missing 2 "
                            r"columns: 'amt' \(--amount\), 'invoice' \(--invoice\)\. Columns "
                            r"present: 'customer_id', 'invoice_id', 'date', 'amount'")
    assert not (tmp_path / "rfm_table.csv").exists()


def test_rfm_unparseable_dates_name_the_date_flag(base, tmp_path):
    path = tmp_path / "tx.csv"
    base.transactions.assign(date="not a date").to_csv(path, index=False)
    code, _, err = run_cli(*rfm_flags(path, tmp_path))
    assert_error(code, err, r"Column 'date' \(--date\) could not be read as dates")


# ------------------------------------------------------------------------------- segment


@pytest.fixture(scope="module")
def customers(base):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TiedValuesWarning)
        table = cs.rfm_table(base.transactions, customer_id_col="customer_id",
                             datetime_col="date", monetary_value_col="amount",
                             invoice_col="invoice_id", observation_period_end=base.truth.as_of)
    return base.customers.join(table[["recency_days", "frequency", "monetary"]])


@pytest.mark.slow
def test_segment_auto_on_parquet_reports_the_k_it_writes(customers, tmp_path):
    path = tmp_path / "customers.parquet"
    customers.to_parquet(path)  # the id is the frame's index: read back as a column
    code, out, err = run_cli("segment", path, "--id", "customer_id", "--consolidate",
                             "--out", tmp_path / "res")
    assert code == 0, err
    assert "[" in err and "Ward tree" in err  # progress on stderr
    segments = pd.read_csv(tmp_path / "res" / "segments.csv", index_col="customer_id")
    assert list(segments.columns) == ["segment"]
    assert segments.index.tolist() == customers.index.tolist()
    k = int(re.search(r"^k = (\d+) \(", out, re.MULTILINE).group(1))
    assert segments["segment"].nunique() == k and 2 <= k <= 10
    criteria = pd.read_csv(tmp_path / "res" / "cut_criteria.csv", index_col=0)
    assert criteria.index.min() == 2 and criteria.index.max() == 10


@pytest.mark.slow
def test_segment_fixed_k_equals_the_library_on_the_same_frame(customers, tmp_path):
    path = tmp_path / "customers.csv"
    customers.to_csv(path)
    columns = ["age", "region", "trial", "email_open_rate", "recency_days", "frequency",
               "monetary"]
    code, out, err = run_cli("segment", path, "--id", "customer_id", "--columns",
                             ",".join(columns), "--k", "4", "--seed", "1", "--out", tmp_path)
    assert code == 0, err
    assert "k = 4 (given by --k)" in out
    assert not (tmp_path / "cut_criteria.csv").exists()
    frame = pd.read_csv(path, index_col="customer_id")[columns]
    X = cs.MixedDataEncoder(n_components=10).fit_transform(frame)
    labels = cs.HierarchicalSegmenter(4, random_state=1).fit_predict(X)
    written = pd.read_csv(tmp_path / "segments.csv", index_col="customer_id")
    np.testing.assert_array_equal(written["segment"], labels)


def test_segment_bad_columns_and_range(customers, tmp_path):
    path = tmp_path / "customers.csv"
    customers.to_csv(path)
    code, _, err = run_cli("segment", path, "--id", "cid", "--columns", "age,nope",
                           "--out", tmp_path)
    assert_error(code, err, r"is missing 2 columns: 'cid' \(--id\), 'nope' \(--columns, item 2\)")
    code, _, err = run_cli("segment", path, "--id", "customer_id", "--columns",
                           "age,customer_id", "--out", tmp_path)
    assert_error(code, err, r"--columns names 'customer_id', the --id column")
    code, _, err = run_cli("segment", path, "--id", "customer_id", "--k-min", "6",
                           "--k-max", "3", "--out", tmp_path)
    assert_error(code, err, r"--k-min \(6\) is larger than --k-max \(3\)")


def test_segment_bad_k_is_refused_by_argparse(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        cli.main(["segment", "x.csv", "--id", "i", "--k", "many", "--out", str(tmp_path)])
    assert exc.value.code == 2
    assert re.search(r"argument --k: expected 'auto' or a whole number >= 1, got 'many'",
                     capsys.readouterr().err)


# --------------------------------------------------------------------------------- score


@pytest.mark.slow
def test_score_fits_writes_and_applies_the_card(base, tmp_path):
    contacts = base.contacts
    fit_path, apply_path = tmp_path / "contacts.csv", tmp_path / "prospects.parquet"
    contacts.iloc[:600].to_csv(fit_path)
    contacts.iloc[600:].reset_index().to_parquet(apply_path)
    code, out, err = run_cli("score", fit_path, "--target", "converted", "--id", "contact_id",
                             "--apply", apply_path, "--out", tmp_path / "res")
    assert code == 0, err
    res = tmp_path / "res"
    for name in ("scorecard_points.csv", "scorecard_weights.csv", "scorecard.json",
                 "scorecard.sql", "grades.csv", "scores.csv"):
        assert (res / name).is_file(), name
    # the card equals an independent fit on the same frame
    frame = pd.read_csv(fit_path, index_col="contact_id")
    X, y = frame.drop(columns="converted"), frame["converted"]
    oracle = cs.LogisticScorecard(ridge=1.0).fit(X, y)
    weights = pd.read_csv(res / "scorecard_weights.csv", index_col="criterion")
    np.testing.assert_allclose(weights["weight_pct"], oracle.weights_)
    auc = oracle.evaluate(X, y).to_frame().set_index("metric")["value"]["auc"]
    assert f"AUC on the fitting rows (in-sample, optimistic): {auc:.3f}" in out
    assert re.search(r"trial\s+\d+\.\d", out)  # the weights are printed
    # scores.csv: the points and grade of every applied row, as the saved card gives them
    card = cs.LogisticScorecard.from_json((res / "scorecard.json").read_text())
    applied = pd.read_parquet(apply_path).set_index("contact_id")
    scores = pd.read_csv(res / "scores.csv", index_col="contact_id")
    assert scores.index.tolist() == applied.index.tolist()
    np.testing.assert_array_equal(scores["points"], card.points(applied))
    np.testing.assert_array_equal(scores["points"], oracle.points(applied))
    assert (scores["grade"] == card.grade(applied).astype(str)).all()
    grades = pd.read_csv(res / "grades.csv")
    assert grades["contacts"].sum() == 600
    sql = (res / "scorecard.sql").read_text()
    assert '"contact_id"' in sql and "FROM contacts" in sql.replace('"', "")


def test_score_missing_columns_name_the_flags(base, tmp_path):
    path = tmp_path / "contacts.csv"
    base.contacts.to_csv(path)
    code, _, err = run_cli("score", path, "--target", "conv", "--out", tmp_path)
    assert_error(code, err, r"is missing 1 column: 'conv' \(--target\)")
    other = tmp_path / "other.csv"
    base.contacts.drop(columns=["trial", "age"]).to_csv(other)
    code, _, err = run_cli("score", path, "--target", "converted", "--id", "contact_id",
                           "--apply", other, "--out", tmp_path)
    assert_error(code, err, r"File '.*other\.csv' \(--apply\) is missing 2 columns: 'age' "
                            r"\(criterion of .*contacts\.csv, item 1\), 'trial'")
    code, _, err = run_cli("score", path, "--target", "converted", "--ridge", "-1",
                           "--out", tmp_path)
    assert_error(code, err, r"Option --ridge must be in \[0\.0, inf\); got -1\.0")
    words = tmp_path / "words.csv"
    base.contacts.assign(converted=base.contacts["converted"].map({0: "no", 1: "yes"})).to_csv(
        words)
    code, _, err = run_cli("score", words, "--target", "converted", "--out", tmp_path)
    assert_error(code, err, r"score: error: --target must be 0/1")
    assert not (tmp_path / "scorecard.json").exists()


# ------------------------------------------------------------------------------- quality


@pytest.mark.slow
def test_quality_checks_equal_the_library_report(base, customers, tmp_path):
    frame = customers[["recency_days", "frequency", "monetary", "age", "region"]].copy()
    frame["segment"] = base.truth.segment.reindex(frame.index).to_numpy()
    path = tmp_path / "segmented.csv"
    frame.to_csv(path)
    code, out, err = run_cli("quality", path, "--labels", "segment", "--id", "customer_id",
                             "--value", "monetary", "--seed", "3", "--out", tmp_path / "res")
    assert code == 0, err
    data = pd.read_csv(path, index_col="customer_id")
    report = cs.segment_quality(data[["recency_days", "frequency", "age", "region"]],
                                data["segment"], value=data["monetary"], random_state=3)
    buffer = io.StringIO()
    report.checks.to_csv(buffer, index=False)
    assert (tmp_path / "res" / "quality_checks.csv").read_text() == buffer.getvalue()
    segments = pd.read_csv(tmp_path / "res" / "quality_segments.csv", index_col=0)
    np.testing.assert_array_equal(segments["count"], report.segments["count"])
    assert str(report.summary()) in out


def test_quality_columns_may_include_the_value(base, customers, tmp_path):
    frame = customers[["recency_days", "frequency", "monetary"]].copy()
    frame["segment"] = base.truth.segment.reindex(frame.index).to_numpy()
    path = tmp_path / "segmented.csv"
    frame.to_csv(path)
    code, _, err = run_cli("quality", path, "--labels", "segment", "--id", "customer_id",
                           "--columns", "recency_days,frequency,monetary", "--value",
                           "monetary", "--quiet", "--out", tmp_path)
    assert code == 0, err
    checks = pd.read_csv(tmp_path / "quality_checks.csv")
    assert "value_share" in set(checks["check"])


def test_quality_missing_columns_name_the_flags(customers, tmp_path):
    path = tmp_path / "segmented.csv"
    customers.to_csv(path)
    code, _, err = run_cli("quality", path, "--labels", "seg", "--value", "spend",
                           "--columns", "age,monetary", "--out", tmp_path)
    assert_error(code, err, r"is missing 2 columns: 'seg' \(--labels\), 'spend' \(--value\)\.")
    code, _, err = run_cli("quality", path, "--labels", "region", "--columns", "region,age",
                           "--out", tmp_path)
    assert_error(code, err, r"--columns names 'region', the --labels column")
    gaps = tmp_path / "gaps.csv"
    customers.assign(segment=[None, *range(1, len(customers))]).to_csv(gaps)
    code, _, err = run_cli("quality", gaps, "--labels", "segment", "--columns", "age",
                           "--out", tmp_path)
    assert_error(code, err, r"quality: error: --labels has 1 value .*missing \(first at row 0\)")


# ------------------------------------------------------------------------------- files


@pytest.mark.parametrize("command", [
    ["rfm", "--customer-id", "c", "--date", "d", "--amount", "a", "--as-of", "2020-01-01"],
    ["segment", "--id", "c"],
    ["score", "--target", "y"],
    ["quality", "--labels", "s"],
])
def test_unknown_suffix_and_missing_file(command, tmp_path):
    name, flags = command[0], command[1:]
    bad = tmp_path / "data.xlsx"
    bad.write_text("a,b\n1,2\n")
    code, _, err = run_cli(name, bad, *flags, "--out", tmp_path)
    assert_error(code, err, rf"^clientseg {name}: error: File '.*data\.xlsx' \(FILE\) has an "
                            r"unknown format: its name must end in one of \.csv, \.csv\.gz, "
                            r"\.csv\.xz, \.csv\.bz2, \.txt, \.txt\.gz, \.parquet")
    code, _, err = run_cli(name, tmp_path / "absent.csv", *flags, "--out", tmp_path)
    assert_error(code, err, r"File '.*absent\.csv' \(FILE\) does not exist\.")


def test_unreadable_and_empty_files(tmp_path):
    broken = tmp_path / "broken.parquet"
    broken.write_text("not parquet")
    code, _, err = run_cli("segment", broken, "--id", "c", "--out", tmp_path)
    assert_error(code, err, r"File '.*broken\.parquet' \(FILE\) could not be read as Parquet")
    empty = tmp_path / "empty.csv"
    empty.write_text("c,x\n")
    code, _, err = run_cli("segment", empty, "--id", "c", "--out", tmp_path)
    assert_error(code, err, r"File '.*empty\.csv' \(FILE\) has no rows\.")


def test_out_must_be_a_folder(customers, tmp_path):
    path = tmp_path / "customers.csv"
    customers.to_csv(path)
    code, _, err = run_cli("segment", path, "--id", "customer_id", "--out", path)
    assert_error(code, err, r"--out '.*customers\.csv' exists and is not a folder")


@pytest.mark.parametrize(("command", "flags"), [
    ("rfm", ["--customer-id", "--date", "--amount", "--invoice", "--as-of", "--returns",
             "--duplicates", "--timezone", "--bins", "--out", "--quiet"]),
    ("segment", ["--id", "--columns", "--k", "--k-min", "--k-max", "--consolidate",
                 "--components", "--seed", "--out"]),
    ("score", ["--target", "--id", "--columns", "--ridge", "--apply", "--sql-table", "--out"]),
    ("quality", ["--labels", "--id", "--columns", "--value", "--converted", "--reachable",
                 "--seed", "--out"]),
])
def test_each_help_teaches_with_an_example(command, flags, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([command, "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert re.search(rf"example:\n  clientseg {command} \S+\.(csv|parquet) ", text)
    for flag in flags:
        assert re.search(rf"^  {flag}\b", text, re.MULTILINE), flag
    assert "(default: " in text


def test_top_level_help_lists_the_file_commands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    for command in ("rfm", "segment", "score", "quality"):
        assert re.search(rf"^    {command}\s+\S", text, re.MULTILINE), command


# ------------------------------------------------------------------- ordinary exports


@pytest.mark.parametrize(("sep", "suffix", "encoding"), [
    (";", ".csv", "utf-8"), ("\t", ".csv.gz", "utf-8"), ("|", ".csv.xz", "cp1252"),
    (",", ".csv.bz2", "utf-8-sig")])
@pytest.mark.slow
def test_rfm_reads_separators_compressions_and_encodings_it_finds(base, tmp_path, sep, suffix,
                                                                  encoding):
    """An export as spreadsheets write them: found from the first lines, no flag needed."""
    tx = base.transactions.copy()
    tx["country"] = "Côte-d'Or"  # a byte that differs between UTF-8 and Windows-1252
    path = tmp_path / f"tx{suffix}"
    tx.to_csv(path, index=False, sep=sep, encoding=encoding)
    code, _, err = run_cli(*rfm_flags(path, tmp_path / "res"))
    assert code == 0, err
    got = pd.read_csv(tmp_path / "res" / "rfm_table.csv", index_col=0)
    expected = rfm_oracle(base.transactions)
    np.testing.assert_allclose(got["monetary"].to_numpy(), expected["monetary"].to_numpy())


def test_rfm_computes_the_amount_as_a_product_of_two_columns(base, tmp_path):
    tx = base.transactions.copy()
    tx["Quantity"] = 2
    tx["UnitPrice"] = tx["amount"] / 2
    path = tmp_path / "tx.csv"
    tx.drop(columns="amount").to_csv(path, index=False)
    flags = rfm_flags(path, tmp_path / "res")
    flags[flags.index("amount")] = "Quantity*UnitPrice"
    code, _, err = run_cli(*flags)
    assert code == 0, err
    got = pd.read_csv(tmp_path / "res" / "rfm_table.csv", index_col=0)
    expected = rfm_oracle(base.transactions)
    np.testing.assert_allclose(got["monetary"].to_numpy(), expected["monetary"].to_numpy())


def test_a_product_amount_names_the_non_numeric_column_and_its_line(base, tmp_path):
    tx = base.transactions.assign(Quantity=2, UnitPrice=1.5)
    tx["UnitPrice"] = tx["UnitPrice"].astype(object)
    tx.loc[tx.index[3], "UnitPrice"] = "abc"
    path = tmp_path / "tx.csv"
    tx.to_csv(path, index=False)
    flags = rfm_flags(path, tmp_path / "res")
    flags[flags.index("amount")] = "Quantity*UnitPrice"
    assert_error(*run_cli(*flags)[::2], r"Column 'UnitPrice' \(--amount 'Quantity\*UnitPrice'"
                                        r"\) has 1 non-numeric value\(s\) \(first at line 5")


def test_an_unknown_encoding_is_named(base, tmp_path):
    path = tmp_path / "tx.csv"
    base.transactions.to_csv(path, index=False)
    code, _, err = run_cli(*rfm_flags(path, tmp_path / "res", "--encoding", "klingon"))
    assert_error(code, err, r"--encoding 'klingon' is not an encoding.*--encoding utf-8")


@pytest.mark.slow
def test_score_leaves_out_excluded_columns_and_reports_a_held_out_auc(base, tmp_path):
    contacts = base.contacts.assign(leak=base.contacts["converted"] * 1.0)
    path = tmp_path / "contacts.csv"
    contacts.to_csv(path, index=False, sep=";")
    code, out, err = run_cli("score", path, "--target", "converted", "--exclude", "leak",
                             "--out", tmp_path / "res", "--quiet")
    assert code == 0, err
    weights = pd.read_csv(tmp_path / "res" / "scorecard_weights.csv", index_col=0)
    assert "leak" not in weights.index
    assert len(weights) == contacts.shape[1] - 2
    m = re.search(r"AUC on ([\d,]+) held-out rows \(fitted on the other ([\d,]+)", out)
    assert m is not None, out
    held, fitted = (int(g.replace(",", "")) for g in m.groups())
    assert held + fitted == len(contacts) and abs(held / len(contacts) - 0.3) < 0.01


def test_columns_and_exclude_together_are_refused(base, tmp_path):
    path = tmp_path / "contacts.csv"
    base.contacts.to_csv(path, index=False)
    code, _, err = run_cli("score", path, "--target", "converted", "--columns", "region",
                           "--exclude", "gender", "--out", tmp_path / "res", "--quiet")
    assert_error(code, err, r"Pass --columns .* or --exclude .*, not both")


@pytest.mark.slow
def test_segment_skips_text_dates_and_ids_with_a_line_each(base, tmp_path):
    table = cs.rfm_table(base.transactions, customer_id_col="customer_id", datetime_col="date",
                         monetary_value_col="amount", invoice_col="invoice_id",
                         observation_period_end="2026-01-01")
    frame = table.reset_index()
    frame["ref"] = [f"R{i:05d}" for i in range(len(frame))]
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    code, _, err = run_cli("segment", path, "--id", "customer_id", "--k", "3",
                             "--out", tmp_path / "res")
    assert code == 0, err
    for col in ("first_purchase", "last_purchase"):
        assert f"skipping column {col!r}: dates written as text" in err
    assert re.search(r"skipping column 'ref': [\d,]+ distinct values in [\d,]+ rows", err)


# ------------------------------------------------------------------------------- report


@pytest.mark.slow
def test_report_runs_the_pipeline_on_an_export(messy, tmp_path):
    """Transactions as an export holds them (no amount column, ';'), plus contacts."""
    tx = messy.transactions.assign(Quantity=2.0, UnitPrice=messy.transactions["amount"] / 2)
    path = tmp_path / "lines.csv.gz"
    tx.drop(columns="amount").to_csv(path, index=False, sep=";")
    contacts = tmp_path / "contacts.csv"
    messy.contacts.assign(contact_ref=range(len(messy.contacts))).to_csv(contacts, index=False)
    code, out, err = run_cli(
        "report", path, "--customer-id", "customer_id", "--date", "date", "--amount",
        "Quantity*UnitPrice", "--invoice", "invoice_id", "--as-of", "2026-01-01",
        "--contacts", contacts, "--target", "converted", "--exclude", "contact_ref",
        "--out", tmp_path / "rep")
    assert code == 0, err
    oracle = cs.rfm_table(messy.transactions, customer_id_col="customer_id",
                          datetime_col="date", monetary_value_col="amount",
                          invoice_col="invoice_id", observation_period_end="2026-01-01",
                          returns="net", duplicates="drop")
    customers = pd.read_csv(tmp_path / "rep" / "customers.csv", index_col=0)
    assert len(customers) == len(oracle)
    np.testing.assert_allclose(customers["monetary"].to_numpy(), oracle["monetary"].to_numpy())
    assert (tmp_path / "rep" / "index.html").is_file()
    m = re.search(r"k = (\d+)", out)
    assert m is not None and customers["segment"].nunique() == int(m.group(1))
    assert re.search(r"AUC on [\d,]+ held-out contacts: 0\.\d{3}", out)
    for step in ("RFM table of", "segmentation of", "quality checks", "scorecard:"):
        assert step in err


def test_report_needs_contacts_and_target_together(base, tmp_path):
    path = tmp_path / "tx.csv"
    base.transactions.to_csv(path, index=False)
    code, _, err = run_cli("report", path, "--customer-id", "customer_id", "--date", "date",
                           "--amount", "amount", "--as-of", "2026-01-01", "--target", "y",
                           "--out", tmp_path / "rep")
    assert_error(code, err, r"Pass --contacts FILE and --target COL together")
