"""The ``clientseg`` command's parser and demo (private home of :mod:`clientseg.cli`)."""

from __future__ import annotations

import argparse
import sys
import textwrap
import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
import pandas as pd

from clientseg._core.version import __version__
from clientseg.cli._files import (
    SUFFIXES,
    _column_list,
    _k_option,
    _outdir,
    _positive_int,
    _Progress,
)
from clientseg.exceptions import ClientsegError, InvalidParameterError

if TYPE_CHECKING:
    from clientseg.synth import CustomerBase

__all__ = ["main"]

_DESCRIPTION = """\
Customer segmentation and scoring: RFM, Ward hierarchies with an automatic cut,
logistic scorecards on 100 points, and segment quality checks.

Start with `clientseg demo`: it draws a synthetic customer base whose true segments
and conversion model are known, runs the pipeline on it and writes the results to a
folder, so you can see what every step produces before you use your own files.
Then run each step on your CSV or Parquet files: `clientseg rfm`, `clientseg segment`,
`clientseg score`, `clientseg quality` (`clientseg COMMAND --help` shows an example).
`clientseg bench` times the library, and the usual tools beside it, on synthetic bases.
"""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clientseg",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"clientseg {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="run the pipeline on a built-in synthetic base and write the results",
        description=(
            "Draw a synthetic customer base (customers with criteria of the four families, "
            "their invoice lines with Online-Retail-like mess, a pool of contacts with a known "
            "conversion model) and run the pipeline on it: RFM table and scores (every "
            "excluded row counted), a Ward segmentation on behaviour and RFM whose number of "
            "segments is chosen automatically, the quality checks of those segments, and a "
            "logistic scorecard on 100 points with grades. Tables go to --out, with a "
            "summary.txt; the base's truth is written too, so each result can be checked."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    demo.add_argument("--customers", type=_positive_int, default=20_000,
                      help="number of customers of the synthetic base (at least 50)")
    demo.add_argument("--segments", type=_positive_int, default=6,
                      help="number of true segments (1 to 10)")
    demo.add_argument("--out", type=Path, default=Path("clientseg-demo"),
                      help="folder to write the results to (created if needed)")
    demo.add_argument("--seed", type=int, default=0, help="random seed of the base")
    demo.add_argument("--quiet", action="store_true",
                      help="do not show progress (warnings are still shown)")
    demo.set_defaults(func=_run_demo)
    _add_file_commands(commands)
    from clientseg.cli import _report as _cli_report
    _cli_report.add_parser(commands, _HelpFormatter)
    from clientseg.cli import _bench as _cli_bench
    _cli_bench.add_parser(commands, _HelpFormatter)
    return parser


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keep the epilog's line breaks; add "(default: X)" to options that have a default."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (action.option_strings and action.default not in (None, False, argparse.SUPPRESS)
                and "%(default)" not in text):
            text += " (default: %(default)s)"
        return text


_FILE_HELP = (f"input file: CSV ({', '.join(SUFFIXES[:-1])}) or Parquet ({SUFFIXES[-1]}), "
              f"one row per line; the format is read from the suffix, a CSV file's "
              f"separator and encoding from its first lines")


def _file_command(commands: Any, name: str, *, help: str, description: str, example: str,
                  func: Any) -> argparse.ArgumentParser:
    sub: argparse.ArgumentParser = commands.add_parser(
        name, help=help, description=textwrap.fill(description, 79),
        epilog=f"example:\n  {example}",
        formatter_class=_HelpFormatter)
    sub.add_argument("file", type=Path, metavar="FILE", help=_FILE_HELP)
    sub.add_argument("--sep", metavar="CHAR",
                     help="CSV separator (default: found from the first lines among , ; tab |)")
    sub.add_argument("--encoding", metavar="NAME",
                     help="CSV encoding (default: UTF-8, else Windows-1252)")
    sub.set_defaults(func=func)
    return sub


def _common_tail(sub: argparse.ArgumentParser, *, columns: str | None = None,
                 seed: bool = False) -> None:
    if columns is not None:
        sub.add_argument("--columns", type=_column_list, metavar="A,B,...", help=columns)
        sub.add_argument("--exclude", type=_column_list, metavar="A,B,...",
                         help="columns to leave out of the criteria (the rest are used)")
    if seed:
        sub.add_argument("--seed", type=int, default=0,
                         help="random seed (same seed, same file: same result)")
    sub.add_argument("--out", type=Path, required=True, metavar="DIR",
                     help="folder to write the CSV results to (created if needed)")
    sub.add_argument("--quiet", action="store_true",
                     help="do not show progress (warnings are still shown)")


def _add_file_commands(commands: Any) -> None:
    """Declare ``rfm``, ``segment``, ``score`` and ``quality`` (handlers in _cli_files)."""
    from clientseg.cli import _files as files
    from clientseg.cli import _grid as grid_cli
    rfm = _file_command(
        commands, "rfm", func=files.run_rfm,
        help="RFM table, scores and segments of a transactions file",
        description=(
            "Aggregate a file of transaction lines (one row per invoice line) into one row "
            "per customer -- recency in days before --as-of, frequency (invoices), monetary "
            "(sum of amounts) -- score each on 1..--bins and name RFM segments. Every row "
            "left out (missing customer, after --as-of, duplicate, return...) is counted by "
            "rule in rfm_exclusions.csv. Writes rfm_table.csv, rfm_scores.csv and "
            "rfm_exclusions.csv."),
        example=("clientseg rfm sales.csv --customer-id CustomerID --date InvoiceDate "
                 "--amount Amount --invoice InvoiceNo --as-of '2011-12-09 23:59:59' "
                 "--returns net --out rfm/"))
    rfm.add_argument("--customer-id", required=True, metavar="COL",
                     help="column of customer ids (lines without one are excluded, counted)")
    rfm.add_argument("--date", required=True, metavar="COL",
                     help="column of purchase date-times (text is parsed, e.g. 2024-03-01 "
                          "14:05:00)")
    rfm.add_argument("--amount", required=True, metavar="COL",
                     help="column of line amounts (negative = return)")
    rfm.add_argument("--invoice", metavar="COL",
                     help="column of invoice ids; frequency counts distinct invoices "
                          "(without it, lines)")
    rfm.add_argument("--as-of", required=True, metavar="DATE",
                     help="analysis date, inclusive; recency counts days to it and later "
                          "lines are excluded. A date alone means midnight: write "
                          "'2011-12-09 23:59:59' to keep that day")
    rfm.add_argument("--returns", choices=("raise", "net", "drop"), default="raise",
                     help="negative amounts: refuse them (raise), subtract them from "
                          "monetary (net) or exclude them (drop)")
    rfm.add_argument("--duplicates", choices=("keep", "drop", "raise"), default="keep",
                     help="rows equal in every column to an earlier row: keep, drop or "
                          "refuse them")
    rfm.add_argument("--timezone", metavar="TZ",
                     help="IANA zone (Europe/Paris, UTC) whose calendar days count; needed "
                          "when dates carry a UTC offset")
    rfm.add_argument("--date-format", metavar="FMT",
                     help="strftime format of every text date, e.g. '%%d/%%m/%%Y'; needed "
                          "for dates such as 01/02/2025, whose day and month are ambiguous")
    rfm.add_argument("--bins", type=_positive_int, default=5, metavar="N",
                     help="number of score levels of R, F and M (quantile bins); segments "
                          "are named for 5 only, other N write the scores and cells")
    _common_tail(rfm)

    segment = _file_command(
        commands, "segment", func=files.run_segment,
        help="Ward segmentation of a customer file, with an automatic number of segments",
        description=(
            "Segment the customers of a file (one row per customer): the chosen columns are "
            "encoded together (numeric ones standardised, text, boolean and category ones "
            "as categories: FAMD), a Ward hierarchy is built and cut at --k segments, chosen "
            "from --k-min..--k-max by ten criteria when --k is auto. Writes segments.csv "
            "(id, segment; 0 = largest) and, when automatic, cut_criteria.csv (every "
            "criterion for every k)."),
        example=("clientseg segment customers.csv --id customer_id "
                 "--columns age,region,recency_days,frequency,monetary --k auto "
                 "--consolidate --out seg/"))
    segment.add_argument("--id", required=True, metavar="COL",
                         help="column of customer ids (written next to each segment)")
    segment.add_argument("--k", type=_k_option, default="auto", metavar="auto|K",
                         help="number of segments, or auto to choose it")
    segment.add_argument("--k-min", type=_positive_int, default=2, metavar="K",
                         help="smallest k considered by --k auto (1 lets it answer 'no "
                              "structure')")
    segment.add_argument("--k-max", type=_positive_int, default=10, metavar="K",
                         help="largest k considered by --k auto")
    segment.add_argument("--consolidate", action="store_true",
                         help="refine the cut with k-means started from its centres")
    segment.add_argument("--components", type=_positive_int, default=10, metavar="N",
                         help="number of FAMD components kept (fewer if the columns give "
                              "fewer)")
    _common_tail(segment, seed=True,
                 columns="comma-separated columns to segment on (default: every column "
                         "but --id)")

    score = _file_command(
        commands, "score", func=grid_cli.run_score,
        help="fit a 100-point logistic scorecard on a contacts file and apply it",
        description=(
            "Fit a logistic scorecard on a file of contacts (one row each) whose --target "
            "column is 1 for a converted contact and 0 otherwise: numeric criteria are cut "
            "into bands, every level of every criterion gets points, totals run from 0 to "
            "100 and are graded A/B/C. Writes scorecard_points.csv, scorecard_weights.csv "
            "(% of the 100 points per criterion), scorecard.json (reload with "
            "LogisticScorecard.from_json), scorecard.sql (the scoring as a SELECT), "
            "grades.csv, and with --apply the points and grade of every row of another "
            "file (scores.csv)."),
        example=("clientseg score contacts.csv --target converted --id contact_id "
                 "--apply prospects.parquet --out card/"))
    score.add_argument("--target", metavar="COL",
                       help="column holding 1 (converted) or 0 (needed to fit a card)")
    score.add_argument("--grid", type=Path, metavar="GRIDFILE",
                       help="apply this points grid (CSV criterion,rule,points or JSON) "
                            "instead of fitting a card; with --target, evaluate it too")
    score.add_argument("--id", metavar="COL",
                       help="column of contact ids: left out of the criteria, written in "
                            "scores.csv and scorecard.sql")
    score.add_argument("--ridge", type=float, default=1.0, metavar="L",
                       help="ridge penalty on the coefficients (0: plain maximum "
                            "likelihood; more: steadier points for correlated criteria)")
    score.add_argument("--apply", type=Path, metavar="OTHERFILE",
                       help="CSV or Parquet file to score with the fitted card (needs the "
                            "criteria columns; its --target column, if present, gives a "
                            "held-out AUC)")
    score.add_argument("--sql-table", metavar="NAME",
                       help="table name in scorecard.sql (default: the name of FILE "
                            "without its suffix)")
    _common_tail(score, seed=True, columns="comma-separated criteria (default: every column "
                                           "but --target and --id)")

    quality = _file_command(
        commands, "quality", func=files.run_quality,
        help="check the quality of existing segments (size, homogeneity, separation...)",
        description=(
            "Check segments given in a column of a customer file: size, homogeneity, "
            "separation, silhouette, recognisable profile, and with --value / --converted "
            "/ --reachable their value, conversion and reach. Each measure is checked "
            "against a documented threshold and failures are explained. Distances use the "
            "numeric columns as given: standardise them first (or pass the columns the "
            "segments were made from). Writes quality_checks.csv and "
            "quality_segments.csv (every measure per segment)."),
        example=("clientseg quality segmented.csv --labels segment --id customer_id "
                 "--columns recency_days,frequency,monetary --value monetary --out q/"))
    quality.add_argument("--labels", required=True, metavar="COL",
                         help="column holding each customer's segment")
    quality.add_argument("--id", metavar="COL", help="column of customer ids (not a criterion)")
    quality.add_argument("--value", metavar="COL",
                         help="column of customer value (revenue): adds the value_share check")
    quality.add_argument("--converted", metavar="COL",
                         help="column of 0/1 conversions: adds conversion rates per segment")
    quality.add_argument("--reachable", metavar="COL",
                         help="column of true/false reachability (consent): adds the "
                              "reachable check")
    _common_tail(quality, seed=True,
                 columns="comma-separated columns describing the customers (default: every "
                         "column not named by another flag)")


def _segment_summary(base: CustomerBase) -> pd.DataFrame:
    """Per true segment: customers, share, revenue, share of revenue, invoices, basket."""
    tx, truth = base.transactions, base.truth
    per_customer = tx.groupby("customer_id").agg(
        revenue=("amount", "sum"), invoices=("invoice_id", "nunique"))
    seg = truth.segment.reindex(per_customer.index)
    table = per_customer.groupby(seg, observed=True).agg(
        customers=("revenue", "size"), revenue=("revenue", "sum"),
        invoices=("invoices", "sum"))
    table["customer_share"] = table["customers"] / table["customers"].sum()
    table["revenue_share"] = table["revenue"] / table["revenue"].sum()
    table["mean_basket"] = table["revenue"] / table["invoices"]
    table.index.name = "segment"
    return table[["customers", "customer_share", "revenue", "revenue_share", "invoices",
                  "mean_basket"]].round(4)


#: Numeric columns shown in the demo's quality profile (standardised, logs of skewed ones).
_PROFILE_COLUMNS = ("recency_days", "frequency", "monetary", "age", "email_open_rate",
                    "site_visits", "pages_viewed", "forms_filled", "days_since_last_contact")


def _profile_matrix(customers: pd.DataFrame) -> pd.DataFrame:
    """Log-transform the skewed counts and amounts, then standardise every column."""
    frame = customers[list(_PROFILE_COLUMNS)].astype(float)
    for col in ("frequency", "monetary", "site_visits", "pages_viewed"):
        frame[col] = np.log1p(frame[col].clip(lower=0))
    return (frame - frame.mean()) / frame.std(ddof=0)


#: Fewest customers the demo accepts: smaller bases may have no converted contact.
DEMO_MIN_CUSTOMERS = 50


def _run_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sklearn.metrics import adjusted_rand_score, roc_auc_score

    import clientseg as cs

    if args.customers < DEMO_MIN_CUSTOMERS:
        raise InvalidParameterError(
            f"--customers is {args.customers:,}; the demo needs at least "
            f"{DEMO_MIN_CUSTOMERS} customers (its scorecard needs contacts who convert and "
            f"contacts who do not). Raise --customers, e.g. --customers 2000."
        )
    progress = _Progress(None if args.quiet else err)
    folder = _outdir(args.out)
    lines = [f"clientseg {__version__} demo"]

    progress(f"drawing a synthetic base of {args.customers:,} customers (seed {args.seed}), "
             f"with Online-Retail-like mess in its transactions")
    base = cs.synth.make_customer_base(args.customers, args.segments, random_state=args.seed,
                                       messy=True)
    lines.append(f"Base: {base!r}")
    _segment_summary(_clean_view(base)).to_csv(folder / "true_segments.csv")

    progress("RFM: aggregating transactions (returns netted, duplicates and anonymous lines "
             "excluded and counted)")
    table = cs.rfm_table(
        base.transactions, customer_id_col="customer_id", datetime_col="date",
        monetary_value_col="amount", invoice_col="invoice_id",
        observation_period_end=base.truth.as_of, returns="net", duplicates="drop")
    exclusions = cs.rfm_exclusions(table)
    scorer = cs.RFMScorer(n_bins=5).fit(table)
    scores = table.join(scorer.transform(table))
    scores.to_csv(folder / "rfm_scores.csv")
    rfm_segments = scores["segment"].value_counts().rename("customers")
    lines += ["", f"RFM: {len(table):,} customers scored; rows excluded or netted:",
              exclusions[exclusions["rows"] > 0].to_string(index=False), "",
              "RFM segments (customers):", rfm_segments[rfm_segments > 0].to_string()]

    progress("segmentation: FAMD encoding of every criterion and RFM, Ward tree, number of "
             "segments chosen automatically, k-means consolidation")
    customers = base.customers.join(table[["recency_days", "frequency", "monetary"]],
                                    how="inner")
    encoder = cs.MixedDataEncoder(n_components=10)
    X = encoder.fit_transform(customers)
    segmenter = cs.HierarchicalSegmenter("auto", k_range=(2, 10), consolidate=True,
                                         random_state=args.seed)
    labels = segmenter.fit_predict(X)
    cut = segmenter.cut_
    assert cut is not None  # n_segments="auto" always keeps its cut
    truth = base.truth.segment.reindex(customers.index)
    ari = adjusted_rand_score(truth, labels)
    pd.DataFrame({"segment": labels, "true_segment": truth}, index=customers.index).to_csv(
        folder / "segments.csv")
    seg_line = (f"Segmentation ({segmenter.strategy_} Ward tree on {X.shape[1]} FAMD "
                f"components, then consolidated): k = {cut.k} ({cut.reason}); true k = "
                f"{base.truth.n_segments}; adjusted Rand index against the true segments "
                f"{ari:.2f}.")
    lines += ["", seg_line]

    progress(f"quality checks of the {cut.k} segments")
    report = cs.segment_quality(_profile_matrix(customers), labels,
                                value=customers["monetary"].clip(lower=0),
                                random_state=args.seed)
    lines += ["", "Segment quality (on the standardised behaviour and RFM columns):",
              str(report.summary())]

    progress(f"scorecard: logistic points on 100 from {len(base.contacts):,} contacts "
             f"(70% to fit, with a light ridge as for correlated criteria; 30% to evaluate)")
    contacts = base.contacts
    criteria = [c for c in contacts.columns if c != "converted"]
    train = contacts.sample(frac=0.7, random_state=args.seed)
    test = contacts.drop(train.index)
    card = cs.LogisticScorecard(ridge=1.0).fit(train[criteria], train["converted"])
    grades = card.grade_table(test[criteria], test["converted"])
    evaluation = card.evaluate(test[criteria], test["converted"])
    auc = evaluation.to_frame()
    true_auc = roc_auc_score(test["converted"], base.truth.conversion_probability(test))
    (folder / "scorecard.json").write_text(card.to_json(), encoding="utf-8")
    lines += ["", "Scorecard: weight of each criterion (% of the 100 points):",
              card.weights_.round(1).to_string(), "", "Grades on held-out contacts:",
              grades.to_string(), "", f"Held-out evaluation (true model's AUC "
              f"{true_auc:.3f}):", auc.to_string()]
    lines += ["", f"Results written to {folder.resolve()}; open "
              f"{folder.resolve() / 'index.html'} in a browser."]
    text = "\n".join(lines)
    (folder / "summary.txt").write_text(text + "\n", encoding="utf-8")

    progress("HTML report: figures and tables with a plain-words guide to each section")
    cs.build_report(
        folder, title=f"clientseg demo: {args.customers:,} synthetic customers",
        summary_text="\n\n".join([
            f"{base!r}: a synthetic base whose truth is known, so each result below can be "
            f"checked against it.", seg_line,
            f"Scorecard AUC on held-out contacts {evaluation.auc:.3f}; the true model's "
            f"AUC on the same contacts is {true_auc:.3f}."]),
        rfm_table=table, rfm_scores=scores, rfm_exclusions=exclusions,
        cut=cut, segmenter=segmenter, quality=report, scorecard=card,
        scorecard_report=evaluation, scorecard_grades=grades)
    print(text, file=out)
    progress(f"done: {folder / 'index.html'}")
    return 0


def _clean_view(base: CustomerBase) -> CustomerBase:
    """Return the base with only its clean lines (for the true-segment summary)."""
    tx = base.transactions
    keep = tx["customer_id"].notna() & (tx["amount"] > 0)
    if tx["invoice_id"].dtype == "string":
        keep &= ~tx["invoice_id"].str.startswith("C").fillna(False)
    return replace(base, transactions=tx[keep].drop_duplicates())


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Run the ``clientseg`` command and return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).
    out, err : text streams, optional
        Where results and progress/errors go (default: stdout and stderr).

    Returns
    -------
    int
        0 on success, 2 when the input is wrong (the reason is printed on ``err``).
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(out)
        return 0
    def show(message: Warning | str, category: type[Warning], *_: object, **__: object) -> None:
        print(f"clientseg {args.command}: warning ({category.__name__}): {message}", file=err)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")  # the command reports warnings, never raises them
            warnings.showwarning = show  # one readable line, no source excerpt
            return int(args.func(args, out, err))
    except ClientsegError as exc:
        print(f"clientseg {args.command}: error: {exc}", file=err)
        return 2


if __name__ == "__main__":  # pragma: no cover - `python -m clientseg.cli`
    raise SystemExit(main())
