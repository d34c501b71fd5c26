"""The ``clientseg`` subcommands that work on the user's own files (rfm, segment, score, quality).

``cli.py`` only declares the subcommands and their flags; this module reads the files,
checks that the columns named by the flags exist, runs the library and writes the CSV
results. Every user mistake becomes a :class:`~clientseg.exceptions.ClientsegError` whose
message names the **flag** (``--amount``) rather than the library parameter
(``monetary_value_col``), so ``cli.main`` can print it in one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import bz2
import csv
import gzip
import lzma
import re
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
import pandas as pd

from clientseg._core.validation import check_columns, coerce_datetime
from clientseg.exceptions import ClientsegError, InvalidDataError, InvalidParameterError

if TYPE_CHECKING:
    from clientseg.scorecard import LogisticScorecard

__all__: list[str] = []  # private module: the command line is the interface

#: File suffixes the commands read, in the order the messages list them.
SUFFIXES = (".csv", ".csv.gz", ".csv.xz", ".csv.bz2", ".txt", ".txt.gz", ".parquet")


class _Progress:
    """One line per step on a terminal stream (stderr), with the elapsed time."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.t0 = time.perf_counter()

    def __call__(self, message: str) -> None:
        if self.stream is not None:
            elapsed = time.perf_counter() - self.t0
            print(f"[{elapsed:6.1f}s] {message}", file=self.stream, flush=True)


# ------------------------------------------------------------------------- argument types


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _column_list(text: str) -> list[str]:
    """Split ``"a, b,c"`` into ``["a", "b", "c"]`` (an argparse type)."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated column names, got {text!r}")
    if len(set(names)) < len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise argparse.ArgumentTypeError(f"column(s) named twice: {', '.join(twice)}")
    return names


def _k_option(text: str) -> str | int:
    """``auto`` or a whole number >= 1 (an argparse type for ``--k``)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected 'auto' or a whole number >= 1, got {text!r}") from None


# ------------------------------------------------------------------------------ reading


#: Separators tried when ``--sep`` is not given, in order of preference on a tie.
SEPARATORS = (",", ";", "\t", "|")
#: Encodings tried when ``--encoding`` is not given: UTF-8 (with or without a BOM), then
#: Windows-1252, which decodes any byte (the usual encoding of spreadsheet exports).
ENCODINGS = ("utf-8-sig", "cp1252")


def _open_text(path: Path, encoding: str) -> Any:
    """Open a CSV file as text, decompressing .gz, .xz and .bz2 by suffix."""
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rt", encoding=encoding, newline="")
    if name.endswith(".xz"):
        return lzma.open(path, "rt", encoding=encoding, newline="")
    if name.endswith(".bz2"):
        return bz2.open(path, "rt", encoding=encoding, newline="")
    return open(path, encoding=encoding, newline="")


def _sniff(path: Path, where: str, sep: str | None, encoding: str | None) -> tuple[str, str]:
    """Choose the separator and encoding of a CSV file from its first 64 KiB.

    The encoding is the first of :data:`ENCODINGS` (or the one given) that decodes the head;
    the separator is the one of :data:`SEPARATORS` that splits the first lines into the
    same number of fields, most fields first (so a ';' export whose amounts use ',' as the
    decimal mark is read on ';').
    """
    head = ""
    tried = [encoding] if encoding else list(ENCODINGS)
    for enc in tried:
        try:
            with _open_text(path, enc) as fh:
                head = fh.read(65_536)
        except LookupError:
            raise InvalidParameterError(
                f"--encoding {encoding!r} is not an encoding Python knows; pass e.g. "
                f"--encoding utf-8 or --encoding cp1252.") from None
        except UnicodeDecodeError as exc:
            if encoding:
                raise InvalidDataError(
                    f"{where} is not {encoding}: byte {exc.start:,} cannot be decoded. Pass "
                    f"the file's encoding with --encoding (e.g. cp1252).") from None
            continue
        except (OSError, EOFError) as exc:
            raise InvalidDataError(f"{where} could not be read: {exc}") from None
        encoding = enc
        break
    assert encoding is not None  # cp1252 decodes every byte but 5: reported by pandas
    if sep is not None:
        return sep, encoding
    lines = [ln for ln in head.splitlines()[:20] if ln.strip()]
    if len(lines) > 1 and not head.endswith("\n"):
        lines = lines[:-1]  # the last line may be cut by the 64 KiB window
    best, best_fields = ",", 1
    for cand in SEPARATORS:
        counts = {len(next(csv.reader([ln], delimiter=cand))) for ln in lines}
        if len(counts) == 1 and (n := counts.pop()) > best_fields:
            best, best_fields = cand, n
    return best, encoding


def read_table(path: Path, *, flag: str = "FILE", sep: str | None = None,
               encoding: str | None = None) -> pd.DataFrame:
    """Read a CSV (plain, .gz, .xz, .bz2) or Parquet file into a DataFrame.

    A CSV file's separator (``,``, ``;``, tab or ``|``) and encoding (UTF-8, else
    Windows-1252) are found from its first lines unless ``sep`` / ``encoding`` are given.

    Raises
    ------
    InvalidParameterError
        When the suffix is not one of :data:`SUFFIXES` or the file does not exist.
    InvalidDataError
        When the file cannot be read in its format, or has no rows.
    """
    name = path.name.lower()
    accepted = ", ".join(SUFFIXES)
    if not name.endswith(SUFFIXES):
        raise InvalidParameterError(
            f"File '{path}' ({flag}) has an unknown format: its name must end in one of "
            f"{accepted} (the suffix says how to read it).")
    if not path.exists():
        raise InvalidParameterError(f"File '{path}' ({flag}) does not exist.")
    if not path.is_file():
        raise InvalidParameterError(f"'{path}' ({flag}) is not a file.")
    kind = "Parquet" if name.endswith(".parquet") else "CSV"
    where = _where(path, flag)
    try:
        if kind == "Parquet":
            frame = pd.read_parquet(path)
        else:
            sep, encoding = _sniff(path, where, sep, encoding)
            frame = pd.read_csv(path, sep=sep, encoding=encoding)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidDataError(
            f"File '{path}' ({flag}) could not be read as {kind}: {reason}. Check --sep "
            f"and --encoding.") from None
    if len(frame) == 0:
        raise InvalidDataError(f"File '{path}' ({flag}) has no rows.")
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()  # a Parquet file written by pandas keeps its index apart
    return frame


def amount_column(frame: pd.DataFrame, spec: str, where: str) -> tuple[pd.DataFrame, str]:
    """Resolve ``--amount``: a column, or the product of two (``"Quantity*UnitPrice"``).

    A product adds a column named after the expression to a copy of the frame (the input
    is not modified) and returns its name.
    """
    if spec in frame.columns or "*" not in spec:
        return frame, spec
    parts = [p.strip() for p in spec.split("*")]
    if len(parts) != 2 or not all(parts):
        raise InvalidParameterError(
            f"--amount {spec!r} must be a column or the product of two columns, such as "
            f"--amount 'Quantity*UnitPrice'.")
    _require(frame, [("--amount", p) for p in parts], where=where)
    values = []
    for p in parts:
        col = pd.to_numeric(frame[p], errors="coerce")
        bad = int((col.isna() & frame[p].notna()).sum())
        if bad:
            first = int(np.flatnonzero((col.isna() & frame[p].notna()).to_numpy())[0])
            raise InvalidDataError(
                f"Column {p!r} (--amount {spec!r}) has {bad:,} non-numeric value(s) (first "
                f"at line {first + 2:,}: {frame[p].iloc[first]!r}). Fix them, or pass the "
                f"right --sep (a decimal comma needs the file read on ';').")
        values.append(col)
    out = frame.copy(deep=False)
    out[spec] = values[0] * values[1]
    return out, spec


def _require(frame: pd.DataFrame, named: Sequence[tuple[str, str | None]], *,
             where: str) -> None:
    """Check that every column named by a flag is in ``frame``, naming the flags.

    ``named`` pairs a flag with a column (``None``: optional flag not given). The library's
    :func:`check_columns` writes the message, so it lists every missing column at once.
    """
    counts: dict[str, int] = {}
    for flag, _ in named:
        counts[flag] = counts.get(flag, 0) + 1
    seen: dict[str, int] = {}
    columns: dict[str, str | None] = {}
    for flag, col in named:
        seen[flag] = seen.get(flag, 0) + 1
        key = flag if counts[flag] == 1 else f"{flag}, item {seen[flag]}"
        columns[key] = col
    check_columns(frame, columns, frame_param=where)


def _where(path: Path, flag: str = "FILE") -> str:
    return f"File '{path}' ({flag})"


def _columns(frame: pd.DataFrame, path: Path, named: Sequence[tuple[str, str | None]],
             given: list[str] | None, *, forbidden: Sequence[str],
             exclude: list[str] | None = None) -> list[str]:
    """Check every column the flags name (one message for all) and return the criteria.

    The criteria are those of ``--columns``, else every column no flag of ``named`` names.
    ``forbidden`` flags (ids, labels, targets) name columns that cannot be criteria too.
    """
    _require(frame, [*named, *(("--columns", c) for c in given or ())], where=_where(path))
    if given is not None and exclude:
        raise InvalidParameterError(
            "Pass --columns (the criteria to use) or --exclude (the columns to leave out), "
            "not both.")
    if given is not None:
        for flag, col in named:
            if flag in forbidden and col is not None and col in given:
                raise InvalidParameterError(
                    f"--columns names {col!r}, the {flag} column; leave it out of --columns.")
        return given
    skip = {c for _, c in named if c is not None}
    if exclude:
        _require(frame, [("--exclude", c) for c in exclude], where=_where(path))
        skip |= set(exclude)
    rest = [str(c) for c in frame.columns if c not in skip]
    if not rest:
        raise InvalidDataError(
            f"{_where(path)} has no column left to use besides {sorted(skip)}.")
    return rest


# -------------------------------------------------------------------- parameter -> flag


def _as_flag(flag: str, match: re.Match[str]) -> str:
    """``returns='net'`` (a regex match) -> ``--returns net``."""
    return f"{flag} {next(g for g in match.groups() if g is not None)}"


def _translate(message: str, names: Mapping[str, str]) -> str:
    """Replace the library's parameter names in ``message`` by the CLI's flags."""
    for param, flag in names.items():
        p = re.escape(param)
        message = re.sub(rf"\({p}\)", f"({flag})", message)
        message = re.sub(rf"Parameter '{p}'", f"Option {flag}", message)
        message = re.sub(rf"^{p}(?= )", flag, message)  # "y must be 0/1" -> "--target must.."
        message = re.sub(rf"\b{p}=(?:'([^']*)'|\"([^\"]*)\"|([^\s,;:)]+))",
                         partial(_as_flag, flag), message)
    return message


@contextmanager
def _flags(names: Mapping[str, str]) -> Iterator[None]:
    """Re-raise (and re-warn) the library's messages with flags instead of parameter names.

    ``names`` maps a parameter (``monetary_value_col``) to its flag (``--amount``). The
    forms rewritten are ``(param)``, ``Parameter 'param'``, ``param`` opening the message
    and ``param='value'`` (a fix the message suggests becomes ``--returns net``).
    """
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    except ClientsegError as exc:
        message = _translate(str(exc), names)
        if message == str(exc):
            raise
        raise type(exc)(message) from None
    finally:
        # Outside the recording block, the caller's filters decide (cli: one line each).
        for w in caught:
            warnings.warn(_translate(str(w.message), names), w.category, stacklevel=3)


def _write(frame: pd.DataFrame | pd.Series, folder: Path, name: str, *, index: bool = True,
           written: list[str]) -> None:
    frame.to_csv(folder / name, index=index)
    written.append(name)


def _finish(lines: list[str], folder: Path, written: list[str], out: TextIO) -> int:
    lines += ["", f"Written to {folder.resolve()}: {', '.join(written)}"]
    print("\n".join(lines), file=out)
    return 0


def _outdir(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise InvalidParameterError(f"--out '{path}' exists and is not a folder.")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".clientseg-write-check"
        probe.touch()
        probe.unlink()
    except OSError as exc:  # a file on the way, a read-only or virtual file system...
        raise InvalidParameterError(
            f"--out '{path}' cannot be created or written: {exc.strerror or exc}. Pass a "
            f"folder you can write to."
        ) from None
    return path


# ----------------------------------------------------------------------------------- rfm

_RFM_FLAGS = {
    "customer_id_col": "--customer-id", "datetime_col": "--date",
    "monetary_value_col": "--amount", "invoice_col": "--invoice",
    "observation_period_end": "--as-of", "returns": "--returns", "duplicates": "--duplicates",
    "timezone": "--timezone", "date_format": "--date-format", "n_bins": "--bins",
    "transactions": "FILE",
}


def _as_dates(frame: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    """Return ``frame`` with the ``--date`` column parsed by the library's date policy.

    The library's rules apply (numbers are refused, day/month text needs ``--date-format``,
    mixed offsets are converted with ``--timezone``); only the wording of unparseable text
    is the command's own.
    """
    column = args.date
    if pd.api.types.is_datetime64_any_dtype(frame[column]):
        return frame
    try:
        with _flags(_RFM_FLAGS):
            parsed = coerce_datetime(frame[column], column=column, param="datetime_col",
                                     timezone=args.timezone, date_format=args.date_format)
    except InvalidDataError as exc:
        found = re.search(r"has (.+?) that cannot be parsed as dates(.*?\(first at row .*?\))\. ",
                          str(exc))
        if found is None:
            raise
        raise InvalidDataError(
            f"Column {column!r} (--date) could not be read as dates: {found[1]} cannot be "
            f"parsed{found[2]}. Write its dates as YYYY-MM-DD HH:MM:SS, or pass "
            f"--date-format."
        ) from None
    return frame.assign(**{column: parsed})


def rfm_step(args: argparse.Namespace,
             progress: _Progress) -> tuple[pd.DataFrame, pd.DataFrame, Path]:
    """Read the transactions of ``rfm`` and ``report``, check their flags, make the table.

    Returns the lines as read, the RFM table and the output folder (created).
    """
    import clientseg as cs

    progress(f"reading {args.file}")
    tx = read_table(args.file, sep=args.sep, encoding=args.encoding)
    tx, amount = amount_column(tx, args.amount, _where(args.file))
    _require(tx, [("--customer-id", args.customer_id), ("--date", args.date),
                  ("--amount", amount), ("--invoice", args.invoice)],
             where=_where(args.file))
    tx = _as_dates(tx, args)
    folder = _outdir(args.out)
    progress(f"RFM table of {len(tx):,} lines (returns={args.returns!r}, "
             f"duplicates={args.duplicates!r}) as of {args.as_of}")
    with _flags(_RFM_FLAGS):
        table = cs.rfm_table(
            tx, customer_id_col=args.customer_id, datetime_col=args.date,
            monetary_value_col=amount, invoice_col=args.invoice,
            observation_period_end=args.as_of, returns=args.returns,
            duplicates=args.duplicates, timezone=args.timezone,
            date_format=args.date_format)
    return tx, table, folder


def run_rfm(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``clientseg rfm``: RFM table, scores and exclusion counts of a transactions file."""
    import clientseg as cs

    progress = _Progress(None if args.quiet else err)
    tx, table, folder = rfm_step(args, progress)
    with _flags(_RFM_FLAGS):
        exclusions = cs.rfm_exclusions(table)
        progress(f"scoring {len(table):,} customers on {args.bins} bins")
        # the named segments (rf_grid) are written for 5 bins: other N score without names
        smap = "rf_grid" if args.bins == 5 else None
        scores = cs.RFMScorer(n_bins=args.bins, segment_map=smap).fit_transform(table)
    written: list[str] = []
    _write(table, folder, "rfm_table.csv", written=written)
    _write(scores, folder, "rfm_scores.csv", written=written)
    _write(exclusions, folder, "rfm_exclusions.csv", written=written)

    used = int(exclusions.loc["kept", "rows"])
    dropped = exclusions.drop(index="kept")
    dropped = dropped[dropped["rows"] > 0]
    if smap is None:
        sizes = scores["rfm_cell"].value_counts().sort_index()
        title = (f"Cells (customers; named segments need --bins 5, so --bins {args.bins} "
                 f"writes scores without them):")
    else:
        sizes = scores["segment"].value_counts()
        title = "Segments (customers):"
    sizes = sizes[sizes > 0]
    lines = [f"RFM of {args.file} as of {args.as_of}: {len(table):,} customers, "
             f"{used:,} of {len(tx):,} rows used."]
    if len(dropped):
        lines += ["Rows excluded or netted, by rule:",
                  dropped[["rows", "share", "amount", "policy"]].to_string()]
    else:
        lines.append("No row excluded.")
    lines += ["", title, sizes.rename("customers").to_string()]
    return _finish(lines, folder, written, out)


# ------------------------------------------------------------------------------- segment

_SEGMENT_FLAGS = {
    "n_segments": "--k", "k_range": "--k-min/--k-max", "n_components": "--components",
    "random_state": "--seed", "X": "FILE",
}


def run_segment(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``clientseg segment``: FAMD encoding, Ward tree and (automatic) cut of a customer file."""
    import clientseg as cs

    progress = _Progress(None if args.quiet else err)
    progress(f"reading {args.file}")
    frame = read_table(args.file, sep=args.sep, encoding=args.encoding)
    columns = _columns(frame, args.file, [("--id", args.id)], args.columns, forbidden=["--id"],
                       exclude=args.exclude)
    if args.k == "auto" and args.k_min > args.k_max:
        raise InvalidParameterError(
            f"--k-min ({args.k_min}) is larger than --k-max ({args.k_max}); pass a range "
            f"such as --k-min 2 --k-max 10.")
    folder = _outdir(args.out)
    data = frame.set_index(args.id)[columns]
    from clientseg.hierarchy._encoding import _is_categorical, non_criteria

    skipped = non_criteria(data, [c for c in columns if _is_categorical(data[c])])
    for col, why in skipped.items():
        progress(f"skipping column {col!r}: {why}, so it cannot be a criterion "
                 f"(pass --exclude {col} to silence this)")
    if skipped:
        columns = [c for c in columns if c not in skipped]
        if not columns:
            raise InvalidDataError(
                f"{_where(args.file)} has no column left to segment on once identifiers and "
                f"text dates are skipped ({sorted(skipped)}).")
        data = data[columns]
    k = args.k
    progress(f"encoding {len(columns)} columns of {len(data):,} customers "
             f"(categorical columns found automatically, {args.components} components)")
    with _flags(_SEGMENT_FLAGS):
        encoder = cs.MixedDataEncoder(n_components=args.components)
        X = encoder.fit_transform(data)
        how = "chosen automatically" if k == "auto" else f"k = {k}"
        progress(f"Ward tree and cut ({how}){', then k-means consolidation' * args.consolidate}")
        segmenter = cs.HierarchicalSegmenter(
            k, k_range=(args.k_min, args.k_max), consolidate=args.consolidate,
            random_state=args.seed)
        labels = segmenter.fit_predict(X)
    segments = pd.DataFrame({"segment": labels}, index=data.index)
    written: list[str] = []
    _write(segments, folder, "segments.csv", written=written)
    n_found = int(segments["segment"].nunique())
    cut = segmenter.cut_
    if cut is not None:
        _write(cut.table, folder, "cut_criteria.csv", written=written)
        reason = cut.reason
    else:
        reason = "given by --k"
    sizes = segments["segment"].value_counts().sort_index().rename("customers")
    lines = [f"Segmentation of {len(data):,} customers of {args.file} on {len(columns)} "
             f"columns ({X.shape[1]} FAMD components, {segmenter.strategy_} Ward tree"
             f"{', consolidated' if args.consolidate else ''}):",
             f"k = {n_found} ({reason})", "", "Segments (customers):", sizes.to_string()]
    return _finish(lines, folder, written, out)


# --------------------------------------------------------------------------------- score

_SCORE_FLAGS = {"ridge": "--ridge", "y": "--target", "X": "FILE"}


def _sql_table_name(path: Path) -> str:
    name = path.name
    for suffix in SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _auc(card: LogisticScorecard, X: pd.DataFrame, y: pd.Series) -> float:
    report = card.evaluate(X, y)
    metrics = report.to_frame().set_index("metric")["value"]
    return float(metrics["auc"])


#: Share of the rows held out to measure the AUC of a card fitted on the others.
HOLDOUT_SHARE = 0.3


def _holdout_auc(card: LogisticScorecard, X: pd.DataFrame, y: pd.Series, seed: int) -> str:
    """Fit ``card`` on 70% of the rows (stratified by outcome) and say its AUC on the rest."""
    from sklearn.model_selection import train_test_split

    try:
        X_fit, X_out, y_fit, y_out = train_test_split(
            X, y, test_size=HOLDOUT_SHARE, stratify=y, random_state=seed)
    except ValueError:  # too few rows of one outcome to split
        return "Hold-out AUC: not measured (too few rows of one outcome to hold 30% out)."
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the full fit above already warned
        card.fit(X_fit, y_fit)
    return (f"AUC on {len(X_out):,} held-out rows (fitted on the other "
            f"{len(X_fit):,}, stratified, --seed {seed}): {_auc(card, X_out, y_out):.3f}")


def run_score(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``clientseg score``: fit a 100-point logistic scorecard and (optionally) apply it."""
    import clientseg as cs

    progress = _Progress(None if args.quiet else err)
    progress(f"reading {args.file}")
    frame = read_table(args.file, sep=args.sep, encoding=args.encoding)
    columns = _columns(frame, args.file, [("--target", args.target), ("--id", args.id)],
                       args.columns, forbidden=["--target", "--id"],
                       exclude=args.exclude)
    other = None
    if args.apply is not None:
        progress(f"reading {args.apply}")
        other = read_table(args.apply, flag="--apply", sep=args.sep, encoding=args.encoding)
        label = "--columns" if args.columns is not None else f"criterion of {args.file}"
        _require(other, [("--id", args.id)] + [(label, c) for c in columns],
                 where=_where(args.apply, "--apply"))
    folder = _outdir(args.out)
    data = frame if args.id is None else frame.set_index(args.id)
    X, y = data[columns], data[args.target]
    progress(f"fitting a scorecard on {len(X):,} rows and {len(columns)} criteria "
             f"(ridge {args.ridge})")
    with _flags(_SCORE_FLAGS):
        card = cs.LogisticScorecard(ridge=args.ridge).fit(X, y)
        grades = card.grade_table(X, y)
        auc = _auc(card, X, y)
        holdout = _holdout_auc(cs.LogisticScorecard(ridge=args.ridge), X, y, args.seed)
        table = args.sql_table or _sql_table_name(args.file)
        sql = card.to_sql(table=table, id_col=args.id, grade_col="grade")
    written: list[str] = []
    _write(card.points_, folder, "scorecard_points.csv", index=False, written=written)
    _write(card.weights_, folder, "scorecard_weights.csv", written=written)
    (folder / "scorecard.json").write_text(card.to_json(), encoding="utf-8")
    (folder / "scorecard.sql").write_text(sql + "\n", encoding="utf-8")
    written += ["scorecard.json", "scorecard.sql"]
    _write(grades, folder, "grades.csv", index=False, written=written)
    lines = [f"Scorecard fitted on {len(X):,} rows of {args.file} "
             f"({int((y == y.max()).sum()):,} with {args.target} = {y.max()}).",
             "Weight of each criterion (% of the 100 points):",
             card.weights_.round(1).to_string(), "",
             f"AUC on the fitting rows (in-sample, optimistic): {auc:.3f}",
             holdout, "", "Grades:", grades.to_string()]
    if other is not None:
        progress(f"scoring {len(other):,} rows of {args.apply}")
        applied = other if args.id is None else other.set_index(args.id)
        with _flags(_SCORE_FLAGS):
            scores = pd.DataFrame({"points": card.points(applied[columns]),
                                   "grade": card.grade(applied[columns])},
                                  index=applied.index)
        _write(scores, folder, "scores.csv", index=args.id is not None, written=written)
        lines += ["", f"Applied to {len(scores):,} rows of {args.apply}: grades "
                  + ", ".join(f"{g} {n:,}" for g, n in
                              scores["grade"].value_counts(sort=False).items())]
        if args.target in applied.columns:
            with _flags(_SCORE_FLAGS):
                held_out = _auc(card, applied[columns], applied[args.target])
            lines.append(f"AUC on {args.apply} (its {args.target} column): {held_out:.3f}")
    return _finish(lines, folder, written, out)


# ------------------------------------------------------------------------------- quality

_QUALITY_FLAGS = {
    "labels": "--labels", "value": "--value", "converted": "--converted",
    "reachable": "--reachable", "random_state": "--seed", "X": "FILE",
}


def run_quality(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``clientseg quality``: the quality checks of the segments given in a column."""
    import clientseg as cs

    progress = _Progress(None if args.quiet else err)
    progress(f"reading {args.file}")
    frame = read_table(args.file, sep=args.sep, encoding=args.encoding)
    named = [("--labels", args.labels), ("--id", args.id), ("--value", args.value),
             ("--converted", args.converted), ("--reachable", args.reachable)]
    columns = _columns(frame, args.file, named, args.columns, forbidden=["--labels", "--id"],
                       exclude=args.exclude)
    folder = _outdir(args.out)
    data = frame if args.id is None else frame.set_index(args.id)
    progress(f"quality checks of {data[args.labels].nunique():,} segments of {len(data):,} "
             f"customers on {len(columns)} columns")
    with _flags(_QUALITY_FLAGS):
        report = cs.segment_quality(
            data[columns], data[args.labels],
            value=None if args.value is None else data[args.value],
            converted=None if args.converted is None else data[args.converted],
            reachable=None if args.reachable is None else data[args.reachable],
            random_state=args.seed)
    written: list[str] = []
    _write(report.checks, folder, "quality_checks.csv", index=False, written=written)
    _write(report.segments, folder, "quality_segments.csv", written=written)
    lines = [f"Segment quality of {args.file} (segments in {args.labels}, geometry on the "
             f"numeric columns as given):", str(report.summary())]
    return _finish(lines, folder, written, out)
