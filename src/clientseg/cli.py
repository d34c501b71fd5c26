"""The ``clientseg`` command.

``clientseg demo`` runs the library's main job on a built-in synthetic base and writes its
results to a folder; ``clientseg --help`` lists the commands. Errors in what you pass are
reported in one line naming the flag or column, with exit status 2 and no traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import pandas as pd

from clientseg._version import __version__
from clientseg.exceptions import ClientsegError

if TYPE_CHECKING:
    from clientseg.synth import CustomerBase

__all__ = ["main"]

_DESCRIPTION = """\
Customer segmentation and scoring: RFM, Ward hierarchies with an automatic cut,
logistic scorecards on 100 points, and segment quality checks.

Start with `clientseg demo`: it draws a synthetic customer base whose true segments
and conversion model are known, runs the pipeline on it and writes the results to a
folder, so you can see what every step produces before you use your own files.
"""


class _Progress:
    """One line per step on a terminal stream (stderr), with the elapsed time."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.t0 = time.perf_counter()

    def __call__(self, message: str) -> None:
        if self.stream is not None:
            elapsed = time.perf_counter() - self.t0
            print(f"[{elapsed:6.1f}s] {message}", file=self.stream, flush=True)


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


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
            "their invoice lines, a pool of contacts with a known conversion model), run the "
            "pipeline on it and write tables to --out. The base's truth (true segment of every "
            "customer) is written too, so each result can be checked against it."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    demo.add_argument("--customers", type=_positive_int, default=20_000,
                      help="number of customers of the synthetic base")
    demo.add_argument("--segments", type=_positive_int, default=6,
                      help="number of true segments (1 to 10)")
    demo.add_argument("--out", type=Path, default=Path("clientseg-demo"),
                      help="folder to write the results to (created if needed)")
    demo.add_argument("--seed", type=int, default=0, help="random seed of the base")
    demo.add_argument("--quiet", action="store_true", help="do not show progress")
    demo.set_defaults(func=_run_demo)
    return parser


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


def _run_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from clientseg.synth import make_customer_base

    progress = _Progress(None if args.quiet else err)
    progress(f"drawing a synthetic base of {args.customers:,} customers (seed {args.seed})")
    base = make_customer_base(args.customers, args.segments, random_state=args.seed)
    progress(f"drew {len(base.transactions):,} invoice lines and {len(base.contacts):,} "
             f"contacts")
    folder: Path = args.out
    folder.mkdir(parents=True, exist_ok=True)
    summary = _segment_summary(base)
    summary.to_csv(folder / "true_segments.csv")
    base.customers.join(base.truth.segment).to_csv(folder / "customers.csv")
    progress(f"wrote {folder / 'true_segments.csv'} and {folder / 'customers.csv'}")
    rate = base.contacts["converted"].mean()
    lines = [
        f"clientseg {__version__} demo: {base!r}",
        f"Contacts: {len(base.contacts):,}, conversion rate {rate:.1%}.",
        "True segments:",
        summary.to_string(float_format=lambda v: f"{v:,.3f}"),
        f"Results written to {folder.resolve()}",
    ]
    text = "\n".join(lines)
    (folder / "summary.txt").write_text(text + "\n", encoding="utf-8")
    print(text, file=out)
    return 0


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
    try:
        return int(args.func(args, out, err))
    except ClientsegError as exc:
        print(f"clientseg {args.command}: error: {exc}", file=err)
        return 2


if __name__ == "__main__":  # pragma: no cover - `python -m clientseg.cli`
    raise SystemExit(main())
