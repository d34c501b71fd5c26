"""``clientseg report``: what the demo runs, on the user's own transactions (and contacts).

RFM with every excluded row counted, segmentation on the documented path (log1p of recency,
frequency and spend, standardised, Ward tree with the automatic cut and k-means
consolidation), quality measured on the matrix the segmenter saw, and a scorecard when a
contacts file is given; the same HTML report and CSV files as the demo.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from clientseg.cli._files import (
    _RFM_FLAGS,
    _SCORE_FLAGS,
    _columns,
    _flags,
    _Progress,
    read_table,
    rfm_step,
)
from clientseg.exceptions import InvalidDataError

__all__: list[str] = []  # private module

#: The RFM columns the documented path segments on.
RFM_CRITERIA = ("recency_days", "frequency", "monetary")


def segmentation_matrix(table: pd.DataFrame) -> pd.DataFrame:
    """Recency, frequency and spend as the segmenter sees them: log1p, then standardised.

    Spend and frequency are heavy-tailed: on raw values a Ward tree spends its first splits
    on a few big spenders (Online Retail: segments of 15, 5, 3, 3 and 2 customers). log1p
    keeps their order and tames the tail; the registered cut study (benchmarks/bench_cut.py)
    found it better than ranks, which flatten the segments' margins. Negative net spend
    (returns larger than purchases) counts as 0 here; profiles use the raw values.
    """
    raw = table[list(RFM_CRITERIA)].astype(float).clip(lower=0.0)
    logged = np.log1p(raw)
    spread = logged.std(ddof=0).replace(0.0, 1.0)
    return (logged - logged.mean()) / spread


def add_parser(commands: Any, formatter: Any) -> None:
    """Declare ``clientseg report``."""
    import textwrap

    from clientseg.cli._files import _positive_int

    sub: argparse.ArgumentParser = commands.add_parser(
        "report", help="the whole pipeline on your own transactions file, as an HTML report",
        formatter_class=formatter,
        description=textwrap.fill(
            "Run what `clientseg demo` runs on your own export: the RFM table (every row "
            "left out counted by rule), RFM scores and segments, a Ward segmentation of "
            "log1p(recency, frequency, spend) with the number of segments chosen "
            "automatically, the quality checks of those segments, and, with --contacts and "
            "--target, a 100-point scorecard evaluated on 30% held-out contacts. Writes "
            "index.html and the tables as CSV, keyed by customer id.", 79),
        epilog=("example:\n  clientseg report Online_Retail.csv --customer-id CustomerID "
                "--date InvoiceDate --amount 'Quantity*UnitPrice' --invoice InvoiceNo "
                "--as-of '2011-12-09 23:59:59' --out report/"))
    sub.add_argument("file", type=Path, metavar="TRANSACTIONS",
                     help="transaction lines: CSV (plain or compressed) or Parquet")
    sub.add_argument("--sep", metavar="CHAR", help="CSV separator (default: found)")
    sub.add_argument("--encoding", metavar="NAME", help="CSV encoding (default: found)")
    sub.add_argument("--customer-id", required=True, metavar="COL")
    sub.add_argument("--date", required=True, metavar="COL")
    sub.add_argument("--amount", required=True, metavar="COL|A*B",
                     help="column of line amounts, or the product of two columns")
    sub.add_argument("--invoice", metavar="COL", help="column of invoice ids")
    sub.add_argument("--as-of", required=True, metavar="DATE", help="analysis date")
    sub.add_argument("--returns", choices=("raise", "net", "drop"), default="net",
                     help="negative amounts: refuse, subtract from spend, or exclude")
    sub.add_argument("--duplicates", choices=("keep", "drop", "raise"), default="drop",
                     help="rows equal in every column to an earlier row")
    sub.add_argument("--timezone", metavar="TZ", help="IANA zone whose calendar days count")
    sub.add_argument("--date-format", metavar="FMT",
                     help="strftime format of text dates, e.g. %%d/%%m/%%Y (needed when day "
                          "and month could be swapped)")
    sub.add_argument("--k-min", type=_positive_int, default=2, metavar="K")
    sub.add_argument("--k-max", type=_positive_int, default=10, metavar="K")
    sub.add_argument("--contacts", type=Path, metavar="FILE",
                     help="contacts file (criteria and a 0/1 outcome) for a scorecard")
    sub.add_argument("--target", metavar="COL", help="0/1 outcome column of --contacts")
    sub.add_argument("--exclude", metavar="A,B,...",
                     type=lambda text: [c.strip() for c in text.split(",") if c.strip()],
                     help="columns of --contacts to leave out of the criteria")
    sub.add_argument("--seed", type=int, default=0, help="random seed")
    sub.add_argument("--out", type=Path, required=True, metavar="DIR")
    sub.add_argument("--quiet", action="store_true", help="do not show progress")
    sub.set_defaults(func=run_report)


def run_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``clientseg report``: the demo's pipeline on the user's files."""
    import clientseg as cs

    if (args.contacts is None) != (args.target is None):
        raise InvalidDataError("Pass --contacts FILE and --target COL together (the "
                               "scorecard needs both), or neither.")
    progress = _Progress(None if args.quiet else err)
    tx, table, folder = rfm_step(args, progress)
    with _flags(_RFM_FLAGS):
        exclusions = cs.rfm_exclusions(table)
        scores = table.join(cs.RFMScorer(n_bins=5).fit(table).transform(table))
    used = int(exclusions.loc["kept", "rows"]) if "kept" in exclusions.index else len(tx)
    lines = [f"Report on {args.file} as of {args.as_of}: {len(table):,} customers from "
             f"{used:,} of {len(tx):,} lines."]
    dropped = exclusions.drop(index="kept", errors="ignore")
    dropped = dropped[dropped["rows"] > 0]
    if len(dropped):
        lines += ["Lines excluded or netted, by rule:",
                  dropped[["rows", "share", "policy"]].to_string()]

    X = segmentation_matrix(table)
    progress(f"segmentation of {len(X):,} customers on log1p(recency, frequency, spend), "
             f"standardised: Ward tree, automatic k in {args.k_min}..{args.k_max}, k-means "
             f"consolidation")
    segmenter = cs.HierarchicalSegmenter("auto", k_range=(args.k_min, args.k_max),
                                         consolidate=True, random_state=args.seed)
    labels = segmenter.fit_predict(X.to_numpy())
    cut = segmenter.cut_
    sizes = pd.Series(labels).value_counts().sort_index()
    seg_line = (f"Segmentation ({segmenter.strategy_} Ward tree on log1p(recency, frequency, "
                f"spend), standardised, then consolidated): k = {segmenter.n_segments_}"
                + (f" ({cut.reason})" if cut is not None else "") + "; smallest segment "
                f"{int(sizes.min()):,} customers ({sizes.min() / len(labels):.1%}).")
    lines += ["", seg_line]

    progress(f"quality checks of the {segmenter.n_segments_} segments, on the matrix the "
             f"segmenter saw")
    quality = cs.segment_quality(X, labels, value=table["monetary"].clip(lower=0.0),
                                 random_state=args.seed)
    lines += ["", "Segment quality (distances on the segmentation matrix; value = spend, "
              "negative net spend counted as 0):", str(quality.summary())]
    segments = table.assign(rfm_segment=scores.get("segment"), segment=labels)
    segments.to_csv(folder / "customers.csv")

    card = evaluation = grades = None
    if args.contacts is not None:
        progress(f"reading {args.contacts}")
        contacts = read_table(args.contacts, flag="--contacts", sep=args.sep,
                              encoding=args.encoding)
        criteria = _columns(contacts, args.contacts, [("--target", args.target)], None,
                            forbidden=["--target"], exclude=args.exclude)
        train = contacts.sample(frac=0.7, random_state=args.seed)
        test = contacts.drop(train.index)
        progress(f"scorecard: points on 100 from {len(train):,} contacts (70%), evaluated "
                 f"on the other {len(test):,}")
        with _flags(_SCORE_FLAGS):
            card = cs.LogisticScorecard(ridge=1.0).fit(train[criteria], train[args.target])
            evaluation = card.evaluate(test[criteria], test[args.target])
            grades = card.grade_table(test[criteria], test[args.target])
        (folder / "scorecard.json").write_text(card.to_json(), encoding="utf-8")
        lines += ["", "Scorecard: weight of each criterion (% of the 100 points):",
                  card.weights_.round(1).to_string(), "",
                  f"AUC on {len(test):,} held-out contacts: {evaluation.auc:.3f}",
                  "Grades on held-out contacts:", grades.to_string()]

    lines += ["", f"Results written to {folder.resolve()}; open "
              f"{folder.resolve() / 'index.html'} in a browser."]
    text = "\n".join(lines)
    (folder / "summary.txt").write_text(text + "\n", encoding="utf-8")
    progress("HTML report")
    cs.build_report(
        folder, title=f"clientseg report: {args.file.name}", summary_text=text,
        rfm_table=table, rfm_scores=scores, rfm_exclusions=exclusions, cut=cut,
        segmenter=segmenter, quality=quality, scorecard=card, scorecard_report=evaluation,
        scorecard_grades=grades)
    print(text, file=out)
    progress(f"done: {folder / 'index.html'}")
    return 0
